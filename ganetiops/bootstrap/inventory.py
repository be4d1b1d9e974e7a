"""The inventory: one TOML file describing a cluster to bootstrap. Validated before any I/O.

Every error names the key it is about (``nodes.bet.secondary: not an IPv4 address
('10.1.97.300')``) and is a :class:`~ganetiops.errors.ValidationError` whose ``field``
is that key. See ``docs/bootstrap.md`` for the full format and ``examples/`` for the
homelab's and the lab's inventories.

Paths (``ssh.key``, ``ssh.known-hosts``, ``host-key = { file = ... }``) expand ``~`` and
``$VARIABLES`` and are relative to the inventory's directory, so an inventory can take
the lab's host keys at run time (``examples/lab.toml``).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ganetiops.bootstrap import toml_checks as check
from ganetiops.bootstrap.toml_checks import parse_bounds_specs
from ganetiops.bootstrap.users_file import RIGHTS, check_name
from ganetiops.config import BootServer
from ganetiops.config.secrets import PasswordSource
from ganetiops.errors import ConfigError, ValidationError

__all__ = [
    "ClusterSpec",
    "Inventory",
    "NodeSpec",
    "RapiUserSpec",
    "SshSpec",
    "load_inventory",
    "parse_bounds_specs",
    "parse_inventory",
]

PLACEHOLDER = "PLACEHOLDER"
_HV_NAMES = ("kvm", "xen-pvm", "xen-hvm", "lxc", "fake", "chroot")
_DISK_TEMPLATES = (
    "diskless",
    "file",
    "sharedfile",
    "plain",
    "drbd",
    "blockdev",
    "rbd",
    "ext",
    "gluster",
)
_MAC_PREFIX = re.compile(r"^[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$")


@attrs.frozen
class NodeSpec:
    """One node: its short name (the table key), Ganeti name, addresses and host keys."""

    name: str
    fqdn: str
    primary: str
    secondary: str | None
    #: Where SSH connects (default: the primary address).
    address: str
    #: Public host key lines the node must present (may be empty with ``ssh.known-hosts``).
    host_keys: tuple[str, ...] = ()


@attrs.frozen
class RapiUserSpec:
    """A RAPI user: rights, and where its password comes from (or its HA1 hash)."""

    name: str
    rights: tuple[str, ...]
    password: PasswordSource | None = None
    ha1: str | None = None
    #: With ``password = { file = ..., create = true }``: generate the file if it is missing.
    create: bool = False


@attrs.frozen
class SshSpec:
    user: str = "root"
    port: int = 22
    #: Private key files for authentication (empty: the usual ``~/.ssh/id_*``).
    keys: tuple[str, ...] = ()
    #: known_hosts files consulted besides the nodes' ``host-key``.
    known_hosts: tuple[str, ...] = ()
    connect_timeout: float = 10.0


@attrs.frozen
class ClusterSpec:
    """Cluster-wide settings, as ``gnt-cluster init`` takes them."""

    name: str
    address: str
    domain: str
    initial_master: str
    master_netdev: str
    enabled_hypervisors: tuple[str, ...]
    enabled_disk_templates: tuple[str, ...]
    master_netmask: int | None = None
    volume_group: str | None = None
    hypervisor_params: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    disk_params: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    nic_params: Mapping[str, Any] = attrs.field(factory=dict)
    drbd_usermode_helper: str | None = None
    file_storage_dir: str | None = None
    shared_file_storage_dir: str | None = None
    mac_prefix: str | None = None
    ipolicy_disk_templates: tuple[str, ...] = ()
    #: ``min:...,.../max:...`` as ``gnt-cluster init --ipolicy-bounds-specs`` takes it.
    ipolicy_bounds_specs: str | None = None
    #: How many nodes are master candidates (``--candidate-pool-size``; Ganeti's default
    #: is 10). Every job's queue file is copied to each candidate on every update.
    candidate_pool_size: int | None = None
    #: OS providers every node should have (checked, not installed).
    os_providers: tuple[str, ...] = ()


@attrs.frozen
class Inventory:
    cluster: ClusterSpec
    nodes: tuple[NodeSpec, ...]
    ssh: SshSpec = SshSpec()
    rapi_users: tuple[RapiUserSpec, ...] = ()
    path: Path | None = None
    #: The boot server (``[boot]``, a context's boot table): copied into the context
    #: bootstrap writes, so that netboot commands (``instance create``) work with it.
    boot: BootServer | None = None

    def node(self, name: str) -> NodeSpec:
        """A node by short name or FQDN."""
        for node in self.nodes:
            if name in (node.name, node.fqdn):
                return node
        raise ValidationError(f"unknown node {name!r}", field="nodes")

    @property
    def master(self) -> NodeSpec:
        """The initial master (where ``gnt-cluster init`` runs)."""
        return self.node(self.cluster.initial_master)

    @property
    def others(self) -> tuple[NodeSpec, ...]:
        """The nodes ``gnt-node add`` joins, in inventory order."""
        return tuple(n for n in self.nodes if n.name != self.cluster.initial_master)

    @property
    def multi_homed(self) -> bool:
        return any(n.secondary for n in self.nodes)


def load_inventory(path: str | os.PathLike[str]) -> Inventory:
    """Read and validate an inventory file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"inventory {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"inventory {path}: not valid TOML: {exc}") from None
    return parse_inventory(raw, path=path)


def parse_inventory(raw: Mapping[str, Any], *, path: Path | None = None) -> Inventory:
    """Validate an already parsed TOML document (``path`` anchors relative paths)."""
    base = path.parent if path is not None else Path.cwd()
    check.known(raw, {"cluster", "nodes", "ssh", "rapi-users", "boot"}, "")
    cluster_raw = check.table(raw, "cluster", "")
    nodes_raw = check.table(raw, "nodes", "")
    if not nodes_raw:
        raise check.err("nodes", "at least one node is required")
    domain = _domain(cluster_raw)
    nodes = tuple(_node(name, value, domain, base) for name, value in nodes_raw.items())
    _unique(nodes)
    cluster = _cluster(cluster_raw, domain, nodes)
    ssh = _ssh(raw.get("ssh", {}), base)
    users_raw = check.table(raw, "rapi-users", "") if "rapi-users" in raw else {}
    users = tuple(_user(name, value, path, base) for name, value in users_raw.items())
    if ssh.known_hosts == () and any(not n.host_keys for n in nodes):
        missing = next(n.name for n in nodes if not n.host_keys)
        raise check.err(
            f"nodes.{missing}.host-key",
            "required (or list known_hosts files in ssh.known-hosts): host keys are never "
            "accepted on first use",
        )
    boot = _boot(raw["boot"], base) if "boot" in raw else None
    return Inventory(cluster=cluster, nodes=nodes, ssh=ssh, rapi_users=users, path=path, boot=boot)


# -- sections ------------------------------------------------------------------------


def _domain(raw: Mapping[str, Any]) -> str:
    name = check.req_str(raw, "name", "cluster")
    check.hostname(name, "cluster.name")
    if "." not in name:
        raise check.err("cluster.name", f"{name!r} is not a fully qualified name")
    domain = check.opt_str(raw, "domain", "cluster") or name.split(".", 1)[1]
    check.hostname(domain, "cluster.domain")
    return domain


def _cluster(raw: Mapping[str, Any], domain: str, nodes: Sequence[NodeSpec]) -> ClusterSpec:
    where = "cluster"
    check.known(
        raw,
        {
            "name", "address", "domain", "initial-master", "master-netdev", "master-netmask",
            "enabled-hypervisors", "enabled-disk-templates", "volume-group",
            "hypervisor-params", "disk-params", "nic-params", "drbd-usermode-helper",
            "file-storage-dir", "shared-file-storage-dir", "mac-prefix", "os-providers",
            "ipolicy-disk-templates", "ipolicy-bounds-specs", "candidate-pool-size",
        },
        where,
    )  # fmt: skip
    name = check.req_str(raw, "name", where)
    address = check.ipv4(check.req_str(raw, "address", where), "cluster.address")
    master = check.req_str(raw, "initial-master", where)
    names = [n.name for n in nodes]
    if master not in names:
        raise check.err(
            "cluster.initial-master", f"{master!r} is not one of the nodes ({', '.join(names)})"
        )
    hypervisors = check.str_list(raw, "enabled-hypervisors", where, required=True)
    check.only(hypervisors, _HV_NAMES, "cluster.enabled-hypervisors", "unknown hypervisor {!r}")
    templates = check.str_list(raw, "enabled-disk-templates", where, required=True)
    check.only(
        templates, _DISK_TEMPLATES, "cluster.enabled-disk-templates", "unknown disk template {!r}"
    )
    vg = check.opt_str(raw, "volume-group", where)
    if ("plain" in templates or "drbd" in templates) and not vg:
        raise check.err("cluster.volume-group", "required when plain or drbd is enabled")
    helper = check.opt_str(raw, "drbd-usermode-helper", where)
    hv_params = check.params_by_name(raw, "hypervisor-params", where)
    check.only(hv_params, hypervisors, "cluster.hypervisor-params.{}", "hypervisor is not enabled")
    disk_params = check.params_by_name(raw, "disk-params", where)
    check.only(disk_params, templates, "cluster.disk-params.{}", "disk template is not enabled")
    netmask = raw.get("master-netmask")
    if netmask is not None and (not isinstance(netmask, int) or not 0 < netmask <= 32):
        raise check.err("cluster.master-netmask", "expected a prefix length 1-32")
    ipolicy_templates = check.str_list(raw, "ipolicy-disk-templates", where)
    check.only(
        ipolicy_templates, templates, "cluster.ipolicy-disk-templates", "{!r} is not enabled"
    )
    bounds = check.opt_str(raw, "ipolicy-bounds-specs", where)
    if bounds is not None:
        try:
            parse_bounds_specs(bounds)
        except ValueError as exc:
            raise check.err("cluster.ipolicy-bounds-specs", str(exc)) from None
    pool = raw.get("candidate-pool-size")
    if pool is not None and (isinstance(pool, bool) or not isinstance(pool, int) or pool < 1):
        raise check.err("cluster.candidate-pool-size", "expected a positive integer")
    mac_prefix = check.opt_str(raw, "mac-prefix", where)
    if mac_prefix is not None and not _MAC_PREFIX.fullmatch(mac_prefix):
        raise check.err("cluster.mac-prefix", f"{mac_prefix!r} is not like aa:00:00")
    return ClusterSpec(
        name=name,
        address=address,
        domain=domain,
        initial_master=master,
        master_netdev=check.req_str(raw, "master-netdev", where),
        master_netmask=netmask,
        enabled_hypervisors=tuple(hypervisors),
        enabled_disk_templates=tuple(templates),
        volume_group=vg,
        hypervisor_params=hv_params,
        disk_params=disk_params,
        nic_params=check.param_table(raw.get("nic-params", {}), "cluster.nic-params"),
        drbd_usermode_helper=helper,
        file_storage_dir=check.abs_path(raw, "file-storage-dir", where),
        shared_file_storage_dir=check.abs_path(raw, "shared-file-storage-dir", where),
        mac_prefix=mac_prefix,
        ipolicy_disk_templates=tuple(ipolicy_templates),
        ipolicy_bounds_specs=bounds,
        os_providers=tuple(check.str_list(raw, "os-providers", where)),
        candidate_pool_size=pool,
    )


def _node(name: str, raw: Any, domain: str, base: Path) -> NodeSpec:
    where = f"nodes.{name}"
    if not isinstance(raw, Mapping):
        raise check.err(where, "expected a table")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise check.err(where, f"{name!r} is not a short host name")
    check.known(raw, {"fqdn", "primary", "secondary", "address", "host-key"}, where)
    fqdn = check.opt_str(raw, "fqdn", where) or f"{name}.{domain}"
    check.hostname(fqdn, f"{where}.fqdn")
    if fqdn.split(".", 1)[0] != name:
        raise check.err(f"{where}.fqdn", f"{fqdn!r} does not start with the node's name {name!r}")
    primary = check.ipv4(check.req_str(raw, "primary", where), f"{where}.primary")
    secondary_text = check.opt_str(raw, "secondary", where)
    secondary = check.ipv4(secondary_text, f"{where}.secondary") if secondary_text else None
    address = check.opt_str(raw, "address", where) or primary
    return NodeSpec(
        name=name,
        fqdn=fqdn,
        primary=primary,
        secondary=secondary,
        address=address,
        host_keys=_host_keys(raw.get("host-key"), f"{where}.host-key", base),
    )


def _host_keys(value: Any, where: str, base: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, Mapping):
        check.known(value, {"file"}, where)
        if not isinstance(value.get("file"), str):
            raise check.err(
                where, 'expected "ssh-... AAAA...", a list of them, or { file = "..." }'
            )
        path = check.expand(value["file"], base, f"{where}.file")
        try:
            text = path.read_text()
        except OSError as exc:
            raise check.err(f"{where}.file", f"cannot read {path}: {exc.strerror}") from None
        lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
        if not lines:
            raise check.err(f"{where}.file", f"{path} holds no key")
        return tuple(_one_key(line, f"{where}.file") for line in lines)
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise check.err(where, 'expected "ssh-... AAAA...", a list of them, or { file = "..." }')
    return tuple(_one_key(item, where) for item in items)


def _one_key(text: str, where: str) -> str:
    if text.strip().startswith(PLACEHOLDER):
        raise check.err(
            where,
            "still a placeholder: put the node's public host key here "
            "(e.g. from /etc/ssh/ssh_host_*_key.pub on the node, checked out of band)",
        )
    from ganetiops.ssh.hostkeys import key_line, parse_public_key  # lazy: asyncssh, start-up

    return key_line(parse_public_key(text, field=where))


def _ssh(raw: Any, base: Path) -> SshSpec:
    where = "ssh"
    if not isinstance(raw, Mapping):
        raise check.err(where, "expected a table")
    check.known(raw, {"user", "port", "key", "known-hosts", "connect-timeout"}, where)
    port = raw.get("port", 22)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise check.err("ssh.port", "expected a port number")
    timeout = raw.get("connect-timeout", 10.0)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise check.err("ssh.connect-timeout", "expected a positive number of seconds")
    return SshSpec(
        user=check.opt_str(raw, "user", where) or "root",
        port=port,
        keys=tuple(
            str(check.expand(k, base, "ssh.key")) for k in check.str_or_list(raw, "key", where)
        ),
        known_hosts=tuple(
            str(check.expand(k, base, "ssh.known-hosts"))
            for k in check.str_or_list(raw, "known-hosts", where)
        ),
        connect_timeout=float(timeout),
    )


def _boot(raw: Any, base: Path) -> BootServer:
    """``[boot]``: a context's boot table; its local paths expand like ``ssh.key``."""
    if not isinstance(raw, Mapping):
        raise check.err("boot", "expected a table")
    local = {"key", "known-hosts", "pin-known-hosts"}  # access-log is on the boot server
    table = {
        k: str(check.expand(v, base, f"boot.{k}")) if k in local and isinstance(v, str) else v
        for k, v in raw.items()
    }
    try:
        return BootServer.from_config(table, "boot")
    except ConfigError as exc:
        raise ValidationError(str(exc), field="boot") from None


def _user(name: str, raw: Any, path: Path | None, base: Path) -> RapiUserSpec:
    where = f"rapi-users.{name}"
    if not isinstance(raw, Mapping):
        raise check.err(where, "expected a table")
    check_name(name, field=where)
    check.known(raw, {"rights", "password", "ha1"}, where)
    rights = check.str_list(raw, "rights", where, required=True)
    for right in rights:
        if right not in RIGHTS:
            raise check.err(f"{where}.rights", f"unknown right {right!r} (use read, write)")
    if ("password" in raw) == ("ha1" in raw):
        raise check.err(where, "give exactly one of password (a source) or ha1")
    if "ha1" in raw:
        digest = raw["ha1"]
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-fA-F]{32}", digest):
            raise check.err(f"{where}.ha1", "expected 32 hexadecimal digits")
        return RapiUserSpec(name=name, rights=tuple(rights), ha1=digest.lower())
    password_raw = raw["password"]
    create = False
    if isinstance(password_raw, Mapping) and "create" in password_raw:
        create = password_raw["create"]
        if not isinstance(create, bool) or set(password_raw) != {"file", "create"}:
            raise check.err(f"{where}.password.create", "only with file = ..., and true or false")
        password_raw = {
            "file": str(check.expand(password_raw["file"], base, f"{where}.password.file"))
        }
    elif isinstance(password_raw, Mapping) and isinstance(password_raw.get("file"), str):
        password_raw = {
            "file": str(check.expand(password_raw["file"], base, f"{where}.password.file"))
        }
    if isinstance(password_raw, str):
        raise check.err(
            f"{where}.password",
            "inline passwords are not allowed in an inventory; use { env = ... }, "
            "{ file = ... }, { command = ... }, { netrc = ... } or { keyring = ... }",
        )
    try:
        source = PasswordSource.parse(password_raw, origin=path, key=f"{where}.password")
    except ConfigError as exc:
        raise ValidationError(str(exc), field=f"{where}.password") from None
    return RapiUserSpec(name=name, rights=tuple(rights), password=source, create=create)


def _unique(nodes: Sequence[NodeSpec]) -> None:
    seen: dict[str, str] = {}
    for node in nodes:
        for kind, value in (("primary", node.primary), ("secondary", node.secondary)):
            if value is None:
                continue
            if value in seen:
                raise check.err(f"nodes.{node.name}.{kind}", f"{value} is also {seen[value]}")
            seen[value] = f"nodes.{node.name}.{kind}"
    homed = {n.secondary is not None for n in nodes}
    if len(homed) > 1:
        lacking = next(n.name for n in nodes if n.secondary is None)
        raise check.err(
            f"nodes.{lacking}.secondary",
            "required: Ganeti wants every node multi-homed once one is",
        )
