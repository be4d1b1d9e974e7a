"""What code needs to know about a running lab, in plain values.

:class:`LabFacts` is written into the lab's record by ``up`` and shown by
``gnt-py --format json lab status``. It holds paths to secrets, never secrets:
:meth:`ClusterFacts.password` reads one when asked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from ganetiops.config.secrets import Secret
from ganetiops.errors import LabError


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


@attrs.frozen
class LabFacts:
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

    def node(self, name: str) -> NodeFacts:
        """A node by short name or FQDN."""
        for node in self.nodes:
            if name in (node.name, node.fqdn):
                return node
        raise LabError(f"the lab has no node {name!r}")

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> LabFacts:
        """Rebuild facts from :meth:`to_json` output."""
        try:
            cluster_raw = raw.get("cluster")
            cluster = None
            if cluster_raw:
                users = tuple(RapiUser(**u) for u in cluster_raw["users"])
                cluster = ClusterFacts(**{**cluster_raw, "users": users})
            return cls(
                **{
                    **raw,
                    "nodes": tuple(NodeFacts(**n) for n in raw["nodes"]),
                    "boot": BootFacts(**raw["boot"]),
                    "cluster": cluster,
                }
            )
        except (KeyError, TypeError) as exc:
            raise LabError(f"damaged lab facts ({exc})") from None
