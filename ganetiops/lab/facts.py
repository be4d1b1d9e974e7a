"""What code needs to know about a running lab, in plain values.

:class:`LabFacts` is written into the lab's record by ``up`` and shown by
``gnt-py --format json lab status``. It holds paths to secrets, never secrets:
:meth:`ClusterFacts.password` reads one when asked.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ganetiops.config.secrets import Secret
from ganetiops.errors import LabError
from ganetiops.lab import topology

if TYPE_CHECKING:
    from ganetiops.lab.layout import Layout
    from ganetiops.lab.record import LabRecord
    from ganetiops.lab.topology import AddressPlan
    from ganetiops.rapi import RapiClient


@attrs.frozen
class NodeFacts:
    """One Ganeti node of the lab."""

    name: str
    fqdn: str
    primary_ip: str
    secondary_ip: str
    #: Public host keys, ``{"ssh-ed25519": "ssh-ed25519 AAAA...", "ssh-rsa": ...}``.
    host_keys: dict[str, str]
    netns: str


@attrs.frozen
class BootFacts:
    """The boot server (homelab: the MikroTik router at .1)."""

    name: str
    fqdn: str
    ip: str
    #: ``http://<ip>`` (the host does not resolve ``boot.homelab.tel``; nodes do).
    url: str
    #: The web root as SFTP and the boot server see it: ``/usb1-part1/http``.
    web_root: str
    #: The same directory on the host.
    web_root_path: str
    #: nginx access log on the host: one JSON object per request (see ganetiops.lab.boot).
    access_log: str
    admin_user: str
    #: Private key that logs in as ``admin`` (the lab's workstation key).
    admin_key: str
    host_keys: dict[str, str]
    netns: str


@attrs.frozen
class RapiUser:
    """A RAPI user of the lab's cluster; the password stays in its 0600 file."""

    name: str
    access: str
    password_file: str


@attrs.frozen
class ClusterFacts:
    """The Ganeti cluster ``up`` created (absent on a bare lab)."""

    name: str
    ip: str
    master: str
    #: ``https://<cluster ip>:5080``; answers from the host only when ``rapi_bind`` is ``all``.
    url: str
    #: ``all`` (0.0.0.0, a lab-only convenience) or ``loopback`` (127.0.0.1, the homelab's).
    rapi_bind: str
    #: PEM file with the RAPI certificate (no key): a trust anchor for TLS clients.
    certificate: str
    #: SHA-256 of the certificate, ``AB:CD:...``, as a context's ``certificate-sha256``.
    certificate_sha256: str
    users: tuple[RapiUser, ...]

    def user(self, access: str) -> RapiUser:
        """The RAPI user with ``access`` (``write`` or ``read``)."""
        for user in self.users:
            if user.access == access:
                return user
        raise LabError(f"the lab has no RAPI user with {access} access")

    def password(self, access: str = "write") -> Secret:
        """Read the password of the ``write`` or ``read`` user from its file."""
        return Secret(Path(self.user(access).password_file).read_text().strip())

    def client(self, access: str = "write", **options: Any) -> RapiClient:
        """A RAPI client of this cluster as ``access``'s user, pinned to its certificate
        (``options``: more :class:`~ganetiops.rapi.RapiClient` arguments)."""
        from ganetiops.rapi import RapiClient  # lazy: start-up (httpx)

        return RapiClient(
            self.url,
            user=self.user(access).name,
            password=self.password(access),
            certificate_sha256=self.certificate_sha256,
            **options,
        )


class SharedFactsMethods:
    """What every kind of lab's facts class (:class:`LabFacts`, the DRBD lab's
    ``DrbdFacts``) offers over the fields it shares (:func:`shared_fields`)."""

    __slots__ = ()
    nodes: tuple[NodeFacts, ...]

    def node(self, name: str) -> NodeFacts:
        """A node by short name or FQDN."""
        return find_node(self.nodes, name)

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)  # type: ignore[arg-type]


@attrs.frozen
class LabFacts(SharedFactsMethods):
    """Everything about one lab that code and tests need, as plain values."""

    name: str
    slot: int
    domain: str
    state_dir: str
    primary_network: str
    secondary_network: str
    workstation_ip: str
    #: The host-side veth into the lab's primary network.
    workstation_link: str
    nodes: tuple[NodeFacts, ...]
    boot: BootFacts
    #: Private key of the root key pair every node trusts (``.pub`` beside it).
    root_key: str
    #: Private key of the workstation: root on the nodes, ``admin`` on the boot server.
    workstation_key: str
    #: known_hosts with every machine's keys under its FQDN, short name and addresses.
    known_hosts: str
    ovn_nb: str
    ovn_sb: str
    cluster: ClusterFacts | None = None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> LabFacts:
        """Rebuild facts from :meth:`to_json` output."""
        try:
            return cls(**{**decode_shared(raw), "boot": BootFacts(**raw["boot"])})
        except (KeyError, TypeError) as exc:
            raise LabError(f"damaged lab facts ({exc})") from None


# --- what every kind of lab shares (the namespace lab's build, the DRBD lab's VMs) ------


def recorded_facts(record: LabRecord | None, lab: str) -> dict[str, Any]:
    """The facts a lab's record holds (JSON); :class:`LabError` when it is not up."""
    if record is None or record.facts is None:
        raise LabError(f"lab {lab} is not up")
    return record.facts


def require_cluster(cluster: ClusterFacts | None, lab: str) -> ClusterFacts:
    """A lab's cluster facts; :class:`LabError` on a bare lab."""
    if cluster is None:
        raise LabError(f"lab {lab} is bare: it has no cluster")
    return cluster


def find_node(nodes: tuple[NodeFacts, ...], name: str) -> NodeFacts:
    """The node of ``nodes`` by short name or FQDN; :class:`LabError` if none is."""
    for node in nodes:
        if name in (node.name, node.fqdn):
            return node
    raise LabError(f"the lab has no node {name!r}")


def decode_shared(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` (a facts class's ``to_json``) with its nodes and cluster rebuilt as
    :class:`NodeFacts` and :class:`ClusterFacts`: what every kind of lab's facts shares.
    Raises ``KeyError``/``TypeError`` on damaged input (the callers say which lab)."""
    cluster_raw = raw.get("cluster")
    cluster = None
    if cluster_raw:
        users = tuple(RapiUser(**u) for u in cluster_raw["users"])
        cluster = ClusterFacts(**{**cluster_raw, "users": users})
    return {**raw, "nodes": tuple(NodeFacts(**n) for n in raw["nodes"]), "cluster": cluster}


def host_keys(directory: Path) -> dict[str, str]:
    """The public host keys in ``directory`` (``ssh_host_<kind>_key.pub``), by type:
    ``{"ssh-ed25519": "ssh-ed25519 AAAA..."}`` (the comment dropped)."""
    from ganetiops.lab.configs import SSH_HOST_KEY_TYPES  # lazy: TLS helpers, start-up

    keys = {}
    for kind in SSH_HOST_KEY_TYPES:
        words = (directory / f"ssh_host_{kind}_key.pub").read_text().split()
        keys[words[0]] = " ".join(words[:2])
    return keys


def node_facts(plan: AddressPlan, name: str, *, keys: dict[str, str], netns: str) -> NodeFacts:
    """One node of the address plan, with its host keys and network namespace."""
    return NodeFacts(
        name=name,
        fqdn=topology.fqdn(name),
        primary_ip=plan.primary_ip(name),
        secondary_ip=plan.secondary_ip(name),
        host_keys=keys,
        netns=netns,
    )


def shared_fields(
    plan: AddressPlan,
    layout: Layout,
    *,
    name: str,
    workstation_link: str,
    nodes: tuple[NodeFacts, ...],
) -> dict[str, Any]:
    """The fields of :class:`LabFacts` that every kind of lab's facts has (the DRBD lab's
    ``DrbdFacts`` too), from the address plan and the state layout."""
    return {
        "name": name,
        "slot": plan.slot,
        "domain": topology.DOMAIN,
        "state_dir": str(layout.dir),
        "primary_network": str(plan.primary),
        "secondary_network": str(plan.secondary),
        "workstation_ip": plan.workstation_ip,
        "workstation_link": workstation_link,
        "nodes": nodes,
        "root_key": str(layout.root_key),
        "workstation_key": str(layout.workstation_key),
        "known_hosts": str(layout.known_hosts),
    }


def known_hosts_lines(nodes: tuple[NodeFacts, ...]) -> list[str]:
    """known_hosts lines: every node's keys under its FQDN, short name and addresses."""
    from ganetiops.lab.configs import known_hosts_line  # lazy: TLS helpers, start-up

    lines = []
    for node in nodes:
        names = [node.fqdn, node.name, node.primary_ip, node.secondary_ip]
        lines += [known_hosts_line(names, key) for key in node.host_keys.values()]
    return lines
