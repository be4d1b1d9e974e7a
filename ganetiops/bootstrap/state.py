"""What bootstrap reads from the nodes: Ganeti's configuration and its distributed files.

The cluster's state comes from ``/var/lib/ganeti/config.data`` on the master (JSON,
written by Ganeti on every change): the nodes with their addresses and the cluster
parameters. It also holds instance secrets, so the text is parsed into
:class:`ClusterConfig` right away and never kept, printed or logged.

Each fact below is a command plus a pure parser, gathered with the node's other facts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from ganetiops.ssh.facts import Fact

__all__ = [
    "BOOTSTRAP_FACTS",
    "KNOWN_HOSTS_FILE",
    "ClusterConfig",
    "FileState",
    "NodeEntry",
    "parse_config_data",
    "parse_file_state",
]

CONFIG_FILE = "/var/lib/ganeti/config.data"
KNOWN_HOSTS_FILE = "/var/lib/ganeti/known_hosts"
RAPI_USERS_FILE = "/var/lib/ganeti/rapi/users"


@attrs.frozen
class NodeEntry:
    name: str
    primary_ip: str
    secondary_ip: str


@attrs.frozen
class ClusterConfig:
    """The part of ``config.data`` bootstrap compares with the inventory."""

    cluster_name: str
    master_node: str
    nodes: Mapping[str, NodeEntry]
    enabled_hypervisors: tuple[str, ...] = ()
    hvparams: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    enabled_disk_templates: tuple[str, ...] = ()
    diskparams: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    nicparams: Mapping[str, Any] = attrs.field(factory=dict)
    master_netdev: str | None = None
    master_ip: str | None = None
    volume_group: str | None = None
    drbd_usermode_helper: str | None = None
    candidate_pool_size: int | None = None
    ipolicy_disk_templates: tuple[str, ...] = ()
    #: The first min/max pair of the instance policy (``{"min": {...}, "max": {...}}``).
    ipolicy_bounds: Mapping[str, Mapping[str, int]] = attrs.field(factory=dict)

    def node(self, name: str) -> NodeEntry | None:
        return self.nodes.get(name)


def parse_config_data(text: str, status: int | None) -> ClusterConfig | None:
    """``cat /var/lib/ganeti/config.data`` → :class:`ClusterConfig`; ``None`` if absent."""
    if status != 0 or not text.strip():
        return None
    try:
        data = json.loads(text)
        cluster = data["cluster"]
        nodes_raw = data["nodes"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"config.data is not Ganeti's configuration ({exc})") from None
    nodes: dict[str, NodeEntry] = {}
    master_name = ""
    for uuid, node in nodes_raw.items():
        entry = NodeEntry(
            name=node["name"], primary_ip=node["primary_ip"], secondary_ip=node["secondary_ip"]
        )
        nodes[entry.name] = entry
        if uuid == cluster.get("master_node") or node["name"] == cluster.get("master_node"):
            master_name = entry.name
    nicparams = cluster.get("nicparams", {})
    ipolicy = cluster.get("ipolicy", {})
    minmax = ipolicy.get("minmax") or [{}]
    return ClusterConfig(
        cluster_name=cluster["cluster_name"],
        master_node=master_name,
        nodes=nodes,
        enabled_hypervisors=tuple(cluster.get("enabled_hypervisors", ())),
        hvparams=cluster.get("hvparams", {}),
        enabled_disk_templates=tuple(cluster.get("enabled_disk_templates", ())),
        diskparams=cluster.get("diskparams", {}),
        nicparams=nicparams.get("default", nicparams),
        master_netdev=cluster.get("master_netdev"),
        master_ip=cluster.get("master_ip"),
        volume_group=cluster.get("volume_group_name") or None,
        drbd_usermode_helper=cluster.get("drbd_usermode_helper") or None,
        candidate_pool_size=cluster.get("candidate_pool_size"),
        ipolicy_disk_templates=tuple(ipolicy.get("disk-templates", ())),
        ipolicy_bounds=minmax[0],
    )


@attrs.frozen
class FileState:
    """A file's owner, mode and content (``exists`` False when it is absent)."""

    exists: bool
    owner: str = ""
    mode: int = 0
    content: str = ""

    def __repr__(self) -> str:  # content may be sensitive (hashes): never shown
        return f"FileState(exists={self.exists}, owner={self.owner!r}, mode={self.mode:04o})"


def _file_command(path: str) -> str:
    return (
        f"if [ -e {path} ]; then stat -c '%U:%G %a' {path} && echo '--' && cat {path}; "
        "else echo absent; fi"
    )


def parse_file_state(stdout: str, status: int | None) -> FileState | None:
    """Output of the file command: ``owner:group mode``, ``--``, content; or ``absent``."""
    if status != 0:
        return None
    if stdout.strip() == "absent":
        return FileState(exists=False)
    head, sep, content = stdout.partition("--\n")
    if not sep:
        head, sep, content = stdout.partition("--")
    fields = head.split()
    if len(fields) != 2:
        raise ValueError("unexpected stat output")
    return FileState(exists=True, owner=fields[0], mode=int(fields[1], 8), content=content)


BOOTSTRAP_FACTS: tuple[Fact[Any], ...] = (
    Fact("config", f"cat {CONFIG_FILE} 2>/dev/null", parse_config_data),
    Fact("known_hosts", _file_command(KNOWN_HOSTS_FILE), parse_file_state),
    Fact("rapi_users", _file_command(RAPI_USERS_FILE), parse_file_state),
)


def config_summary(config: ClusterConfig) -> str:
    """One line about a configuration, for messages."""
    return f"cluster {config.cluster_name}, master {config.master_node}, {len(config.nodes)} nodes"


def params_text(params: Mapping[str, Any]) -> str:
    """``a=1,b=x``: Ganeti's CLI syntax for a parameter set (values as Ganeti prints them)."""
    return ",".join(f"{k}={format_value(v)}" for k, v in params.items())


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def same_value(wanted: Any, have: Any) -> bool:
    """Whether an inventory value equals what Ganeti stored (types differ: TOML vs JSON)."""
    if isinstance(have, bool) or isinstance(wanted, bool):
        truthy = {"true", "yes", "1", "on", "enabled"}
        return (str(wanted).lower() in truthy) == (str(have).lower() in truthy)
    if isinstance(have, int | float) and not isinstance(wanted, bool):
        try:
            return float(wanted) == float(have)
        except (TypeError, ValueError):
            return False
    return str(wanted) == str(have if have is not None else "")
