"""Creating the lab's Ganeti cluster on the prepared nodes.

:func:`create_cluster` is the one place that turns a bare lab into a cluster. For now
it runs Ganeti's own commands on the master, as homelab.md §1.2-1.4 describes the
homelab's bootstrap (with the secondary address from the start, the homelab's TODO);
once ganetiops has its own bootstrap (from an inventory file), this function's body
becomes a call to it. Its contract: given a lab whose nodes are prepared
(``Lab.facts()`` works, ``Lab.machine(name)`` runs commands), leave a running
cluster with RAPI users ``gnt-py`` (write) and ``gnt-py-read`` (read) and return its
:class:`~ganetiops.lab.facts.ClusterFacts`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ganetiops.errors import LabError
from ganetiops.lab import configs, procs, topology
from ganetiops.lab.facts import ClusterFacts, LabFacts, RapiUser

if TYPE_CHECKING:
    from ganetiops.lab.lab import Lab

#: The RAPI users of the lab: ``(name, access)``.
RAPI_USERS: Final = (("gnt-py", "write"), ("gnt-py-read", "read"))
DISK_TEMPLATES: Final = ("sharedfile", "file", "diskless")
#: Small instances allowed (any memory from 1 MiB, no disk), with a sane ceiling.
IPOLICY_BOUNDS: Final = (
    "min:disk-size=0,cpu-count=1,disk-count=0,memory-size=1,nic-count=0,spindle-use=0"
    "/max:disk-size=1048576,cpu-count=8,disk-count=16,memory-size=32768,nic-count=8,"
    "spindle-use=12"
)


def init_argv(plan: topology.AddressPlan) -> list[str]:
    """``gnt-cluster init`` for the lab: fake hypervisor, file-based disks, multi-homed."""
    templates = ",".join(DISK_TEMPLATES)
    return [
        "gnt-cluster",
        "init",
        "-s",
        plan.secondary_ip(topology.MASTER),
        "--enabled-hypervisors=fake",
        f"--enabled-disk-templates={templates}",
        f"--ipolicy-disk-templates={templates}",
        f"--ipolicy-bounds-specs={IPOLICY_BOUNDS}",
        f"--file-storage-dir={configs.FILE_STORAGE_DIR}",
        f"--shared-file-storage-dir={configs.SHARED_FILE_STORAGE_DIR}",
        "--nic-parameters=mode=bridged,link=br0",
        "--master-netdev=eth0",
        "--no-etc-hosts",
        "--no-ssh-init",
        topology.fqdn(topology.CLUSTER),
    ]


def node_add_argv(plan: topology.AddressPlan, node: str) -> list[str]:
    """``gnt-node add`` of one node with its secondary address."""
    return ["gnt-node", "add", "-s", plan.secondary_ip(node), topology.fqdn(node)]


def cluster_known_hosts(facts: LabFacts) -> str:
    """Ganeti's known_hosts: every node's host keys under the cluster's name (§1.2)."""
    alias = topology.fqdn(topology.CLUSTER)
    lines = [
        configs.known_hosts_line([alias], key)
        for node in facts.nodes
        for key in node.host_keys.values()
    ]
    return "\n".join(lines) + "\n"


def create_cluster(lab: Lab) -> ClusterFacts:
    """Initialise the cluster on aleph, add bet, dalet and gimel, set up RAPI."""
    facts = lab.facts()
    plan = lab.plan
    master = lab.machine(topology.MASTER)
    master_dir = lab.layout.machine(topology.MASTER) / "var-lib-ganeti"

    with procs.timed("gnt-cluster init"):
        master.run(init_argv(plan))
    _write(master_dir / "known_hosts", cluster_known_hosts(facts), 0o644)
    for node in topology.JOIN_ORDER:
        with procs.timed(f"gnt-node add {node}"):
            master.run(node_add_argv(plan, node))

    users = []
    passwords = []
    lab.layout.secrets.mkdir(mode=0o700, exist_ok=True)
    for name, access in RAPI_USERS:
        password = secrets.token_urlsafe(24)
        path = lab.layout.password_file(name)
        _write(path, password + "\n", 0o600)
        users.append(RapiUser(name=name, access=access, password_file=str(path)))
        passwords.append((name, password, access))
    users_file = configs.rapi_users_file(passwords)
    owner = _ids("gnt-rapi", "gnt-masterd")
    for node in topology.NODE_NAMES:
        path = lab.layout.machine(node) / "var-lib-ganeti" / "rapi" / "users"
        _write(path, users_file, 0o640, owner=owner)

    write_user, write_password, _ = passwords[0]
    with procs.timed("RAPI ready"):
        _wait_for_rapi(lab, write_user, write_password)
    for node in topology.NODE_NAMES:
        for pidfile in lab.machine(node).path("/run/ganeti").glob("*.pid"):
            os.chown(pidfile, 0, 0)  # bookworm's start-stop-daemon (peers.md §3.3)

    pem = (master_dir / "rapi.pem").read_text()
    _write(lab.layout.rapi_certificate, configs.certificate_pem(pem), 0o644)
    cluster_ip = plan.cluster_ip
    return ClusterFacts(
        name=topology.fqdn(topology.CLUSTER),
        ip=cluster_ip,
        master=topology.fqdn(topology.MASTER),
        url=f"https://{cluster_ip}:{topology.RAPI_PORT}",
        rapi_bind=lab.rapi_bind,
        certificate=str(lab.layout.rapi_certificate),
        certificate_sha256=configs.certificate_sha256(pem),
        users=tuple(users),
    )


def _wait_for_rapi(lab: Lab, user: str, password: str) -> None:
    """Poll RAPI on the master's loopback until it accepts the write user."""
    master = lab.machine(topology.MASTER)
    url = f"https://127.0.0.1:{topology.RAPI_PORT}/2/info"
    command = ["curl", "-sSk", "-o", "/dev/null", "-w", "%{http_code}", "-K", "-", url]
    credentials = f'user = "{user}:{password}"\n'  # via stdin: never in argv
    last: list[str] = []

    def ready() -> bool:
        done = master.run(command, input=credentials, timeout=10, check=False)
        last[:] = [done.stdout.strip(), done.stderr.strip()]
        return done.stdout.strip() == "200"

    try:
        procs.wait_for(ready, timeout=60, what="RAPI to accept the lab's user", interval=0.2)
    except LabError as exc:
        log = lab.layout.machine(topology.MASTER) / "var-log-ganeti" / "rapi-daemon.log"
        tail = log.read_text().splitlines()[-5:] if log.exists() else ["(no log)"]
        exc.add_note(f"last answer: HTTP {last[0] if last else '?'} {last[1] if last else ''}")
        exc.add_note("end of the master's rapi-daemon.log:\n" + "\n".join(tail))
        raise


def _write(path: Path, text: str, mode: int, *, owner: tuple[int, int] = (0, 0)) -> None:
    """Replace ``path`` atomically, with its final owner and mode from the start.

    ganeti-rapi reloads its users file when a file of that name is written or moved
    into its directory (inotify); a file that appeared with the wrong owner first
    could be read, refused, and never read again.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            os.fchown(f.fileno(), *owner)
            os.fchmod(f.fileno(), mode)
            f.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _ids(user: str, group: str) -> tuple[int, int]:
    import grp
    import pwd

    try:
        return pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
    except KeyError as exc:
        raise LabError(f"the host lacks Ganeti's user or group: {exc}") from None
