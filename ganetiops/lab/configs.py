"""Text of every file the lab writes, and of the scripts it runs: pure functions.

Nothing here touches the machine, so each builder is unit-tested on its own.
"""

from __future__ import annotations

import base64
import hashlib
import shlex
import ssl
from collections.abc import Iterable, Sequence
from typing import Final

import attrs

from ganetiops.errors import LabError, ValidationError
from ganetiops.lab import topology
from ganetiops.rapi.tls import first_certificate, pem_fingerprint

#: ``rapi_bind`` option -> the address ganeti-rapi listens on.
RAPI_BINDS: Final = {"all": "0.0.0.0", "loopback": "127.0.0.1"}  # noqa: S104 - documented


@attrs.frozen
class Bind:
    """Bind-mount ``source`` onto ``target`` (``--rbind`` when ``recursive``)."""

    source: str
    target: str
    read_only: bool = False
    recursive: bool = False


@attrs.frozen
class Tmpfs:
    """Mount a fresh tmpfs on ``target``."""

    target: str
    mode: str = "0755"


@attrs.frozen
class Mkdir:
    path: str


@attrs.frozen
class Symlink:
    link: str
    points_to: str


@attrs.frozen
class Command:
    argv: tuple[str, ...]


Step = Bind | Tmpfs | Mkdir | Symlink | Command


# -- name resolution ----------------------------------------------------------------------


def hosts_file(plan: topology.AddressPlan) -> str:
    """The /etc/hosts of every lab machine.

    Loopback carries only ``localhost``: Ganeti refuses a node name that resolves to
    127.x (the homelab maps 127.0.0.1 to nothing for the same reason).
    """
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", ""]
    lines += [f"{ip}\t{name} {short}" for ip, name, short in plan.hosts_entries()]
    return "\n".join(lines) + "\n"


def resolv_conf() -> str:
    """A resolver that only asks loopback: lab machines never query a real DNS server."""
    return f"search {topology.DOMAIN}\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n"


# -- SSH ----------------------------------------------------------------------------------

SSH_HOST_KEY_TYPES: Final = ("ed25519", "rsa")


def node_sshd_config(listen: Sequence[str]) -> str:
    """sshd_config of a node: root by key only, on the node's own addresses."""
    lines = [f"ListenAddress {address}" for address in listen]
    lines += [f"HostKey /etc/ssh/ssh_host_{kind}_key" for kind in SSH_HOST_KEY_TYPES]
    lines += [
        "PidFile /run/sshd.pid",
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "AuthorizedKeysFile .ssh/authorized_keys",
        "AcceptEnv LANG LC_*",
        "Subsystem sftp /usr/lib/openssh/sftp-server",
    ]
    return "\n".join(lines) + "\n"


def boot_sshd_config(listen: str, admin: str) -> str:
    """sshd_config of the boot server: only ``admin``, by key, SFTP only."""
    lines = [f"ListenAddress {listen}"]
    lines += [f"HostKey /etc/ssh/ssh_host_{kind}_key" for kind in SSH_HOST_KEY_TYPES]
    lines += [
        "PidFile /run/sshd.pid",
        "PermitRootLogin no",
        f"AllowUsers {admin}",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "AuthorizedKeysFile /etc/ssh/authorized_keys/%u",
        "DisableForwarding yes",
        "Subsystem sftp internal-sftp -u 0022",
        "ForceCommand internal-sftp -u 0022",
    ]
    return "\n".join(lines) + "\n"


def known_hosts_line(names: Iterable[str], public_key: str) -> str:
    """``name1,name2 <type> <base64>`` (the key's comment is dropped)."""
    kind, blob = public_key.split()[:2]
    return f"{','.join(names)} {kind} {blob}"


def public_key_sha256(public_key: str) -> str:
    """OpenSSH's fingerprint of a public key line: ``SHA256:<base64, unpadded>``."""
    blob = base64.b64decode(public_key.split()[1])
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


# -- the boot server ------------------------------------------------------------------------

#: nginx access log: one JSON object per line (documented in ganetiops.lab.boot).
ACCESS_LOG_FORMAT: Final = (
    '{"time":"$time_iso8601","client":"$remote_addr","method":"$request_method",'
    '"path":"$uri","query":"$args","status":$status,"bytes":$body_bytes_sent,'
    '"user_agent":"$http_user_agent"}'
)


def nginx_conf(listen: str, server_name: str, web_root: str) -> str:
    """nginx.conf of the boot server (paths as seen inside its root)."""
    return f"""\
# Written by ganetiops.lab: the boot server's HTTP side.
user www-data;
worker_processes 1;
daemon off;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;

events {{
    worker_connections 64;
}}

http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    server_tokens off;
    log_format lab escape=json '{ACCESS_LOG_FORMAT}';
    access_log /var/log/nginx/access.log lab;

    server {{
        listen {listen}:80;
        server_name {server_name};
        root {web_root};

        # A booted lab class reports itself here (GET /nixos/report/<mac>?class=...):
        # the request is the report, kept in the access log.
        location /nixos/report/ {{
            return 204;
        }}
    }}
}}
"""


def dnsmasq_argv(
    *,
    listen: str,
    dhcp_range: tuple[str, str],
    root_script_url: str,
    hosts: Sequence[tuple[str, str]],
) -> list[str]:
    """dnsmasq on the boot server: DHCP only (no DNS), as the homelab's router does it.

    Every client gets an address from ``dhcp_range`` with next-server ``listen`` and
    the root script as boot file (iPXE fetches it over HTTP); a client that sends one
    of the ``hosts`` names (``(name, address)``) gets that name's address.
    """
    argv = [
        "/usr/sbin/dnsmasq",
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--port=0",
        "--user=root",
        "--group=root",
        "--interface=eth0",
        "--bind-interfaces",
        "--except-interface=lo",
        "--log-facility=-",
        "--log-dhcp",
        "--pid-file=/run/dnsmasq.pid",
        "--dhcp-leasefile=/run/dnsmasq.leases",
        "--dhcp-authoritative",
        f"--dhcp-range={dhcp_range[0]},{dhcp_range[1]},255.255.255.0,1h",
        "--dhcp-option=option:router",
        "--dhcp-option=option:dns-server",
        f"--dhcp-boot={root_script_url},{topology.fqdn(topology.BOOT)},{listen}",
    ]
    argv += [f"--dhcp-host={name},{address}" for name, address in hosts]
    return argv


@attrs.frozen
class Account:
    """A passwd entry of the boot server's private user database."""

    name: str
    uid: int
    gid: int
    group: str
    home: str
    shell: str


def passwd_file(accounts: Sequence[Account]) -> str:
    return "".join(f"{a.name}:x:{a.uid}:{a.gid}::{a.home}:{a.shell}\n" for a in accounts)


def group_file(accounts: Sequence[Account]) -> str:
    seen: dict[str, int] = {}
    for account in accounts:
        seen.setdefault(account.group, account.gid)
    return "".join(f"{name}:x:{gid}:\n" for name, gid in seen.items())


def shadow_file(accounts: Sequence[Account]) -> str:
    """Every password locked for password use (``*``); keys still work."""
    return "".join(f"{a.name}:*:19000:0:99999:7:::\n" for a in accounts)


# -- Ganeti ---------------------------------------------------------------------------------


def ganeti_defaults(rapi_bind: str) -> str:
    """/etc/default/ganeti: Debian's file, with RAPI bound as the lab option asks.

    ``loopback`` is the homelab's setting (the master's 127.0.0.1 only); ``all`` is the
    lab-only convenience that makes RAPI answer on the cluster address too.
    Authentication is required either way.
    """
    try:
        address = RAPI_BINDS[rapi_bind]
    except KeyError:
        raise LabError(f"rapi_bind must be one of {', '.join(RAPI_BINDS)}") from None
    return (
        "# Default arguments for Ganeti daemons (written by ganetiops.lab)\n"
        'NODED_ARGS=""\n'
        f'RAPI_ARGS="-b {address} --require-authentication"\n'
        'CONFD_ARGS=""\nMOND_ARGS=""\nWCONFD_ARGS=""\nLUXID_ARGS=""\nKVMD_ARGS=""\n'
    )


FILE_STORAGE_DIR: Final = "/srv/ganeti/file-storage"
SHARED_FILE_STORAGE_DIR: Final = "/srv/ganeti/shared-file-storage"


def file_storage_paths() -> str:
    """/etc/ganeti/file-storage-paths: must list both directories before init."""
    return f"{FILE_STORAGE_DIR}\n{SHARED_FILE_STORAGE_DIR}\n"


def certificate_sha256(pem: str) -> str:
    """SHA-256 fingerprint of the first certificate in ``pem``: ``AB:CD:...`` (uppercase)."""
    try:
        return pem_fingerprint(pem)
    except ValidationError:
        raise LabError(_NO_CERTIFICATE) from None


def certificate_pem(pem: str) -> str:
    """Only the first certificate of ``pem`` (which may also hold a key), without the key."""
    try:
        first = first_certificate(pem)
    except ValidationError:
        raise LabError(_NO_CERTIFICATE) from None
    return ssl.DER_cert_to_PEM_cert(ssl.PEM_cert_to_DER_cert(first))


_NO_CERTIFICATE: Final = "no certificate in the PEM text"


# -- scripts run inside a machine's namespaces ------------------------------------------------


def namespace_script(hostname: str, steps: Sequence[Step]) -> str:
    """The shell script that furnishes a machine's private mount and UTS namespaces.

    It first drops the namespace's copies of the host's ``/run/netns`` mounts: those
    would pin *other* labs' network namespaces (and their veths) alive after their
    ``down``. Then it sets the hostname and performs ``steps`` in order.
    """
    q = shlex.quote
    lines = [
        "set -eu",
        "if mountpoint -q /run/netns; then umount -l /run/netns; fi",
        f"hostname {q(hostname)}",
    ]
    for step in steps:
        if isinstance(step, Tmpfs):
            lines.append(f"mount -t tmpfs -o mode={step.mode} tmpfs {q(step.target)}")
        elif isinstance(step, Mkdir):
            lines.append(f"mkdir -p {q(step.path)}")
        elif isinstance(step, Symlink):
            lines.append(f"ln -sfn {q(step.points_to)} {q(step.link)}")
        elif isinstance(step, Bind):
            flag = "--rbind" if step.recursive else "--bind"
            lines.append(f"mount {flag} {q(step.source)} {q(step.target)}")
            if step.read_only:
                lines.append(f"mount -o remount,bind,ro {q(step.target)}")
        else:
            lines.append(shlex.join(step.argv))
    return "\n".join(lines) + "\n"


def mount_targets(steps: Sequence[Step]) -> list[str]:
    """The mountpoints ``steps`` create, for the lab's record."""
    return [s.target for s in steps if isinstance(s, Bind | Tmpfs)]


def network_batch(
    *,
    switch_netns: str,
    nics: Sequence[tuple[str, str, str, str]],
    bridge: str | None,
) -> tuple[list[str], list[str]]:
    """``ip -batch`` lines that wire one machine: ``(in the machine, in the switch)``.

    ``nics`` holds ``(device, address/len, switch port, switch bridge)``: each NIC is one
    end of a veth pair whose other end is a port of a bridge in the switch namespace.
    ``bridge`` adds an unaddressed bridge (``br0``, for instance NICs) in the machine.
    Run the first list with ``ip -n <machine netns> -batch -`` (it creates the pairs),
    then the second with ``ip -n <switch netns> -batch -``.
    """
    inside = ["link set lo up"]
    switch: list[str] = []
    for device, address, port, switch_bridge in nics:
        inside += [
            f"link add name {device} type veth peer name {port} netns {switch_netns}",
            f"addr add {address} dev {device}",
            f"link set {device} up",
        ]
        switch.append(f"link set {port} master {switch_bridge} up")
    if bridge:
        inside += [f"link add {bridge} type bridge", f"link set {bridge} up"]
    return inside, switch
