"""The DRBD lab's cluster, made by the project's own bootstrap over real SSH.

The inventory (:func:`drbd_inventory`) is the namespace lab's in shape (same cluster
name and address, RAPI users, workstation key and known_hosts) with what DRBD needs:
``drbd`` and ``plain`` enabled, the volume group ``xenvg`` on every node's data disk,
DRBD's usermode helper ``/bin/true`` (the module is loaded with it, see the image), and
an instance policy that allows the tier's small disks. :func:`create_cluster` applies
it with :func:`ganetiops.bootstrap.run_bootstrap` from the host's workstation veth,
each node's host key verified against the lab's known_hosts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ganetiops.errors import LabError
from ganetiops.lab import configs, procs, topology
from ganetiops.lab.cluster import IPOLICY_BOUNDS, RAPI_USERS, _write
from ganetiops.lab.facts import ClusterFacts, RapiUser
from ganetiops.lab.vm import qemu

if TYPE_CHECKING:
    from ganetiops.lab.vm.drbdlab import DrbdLab

DISK_TEMPLATES: Final = ("drbd", "plain")
DRBD_USERMODE_HELPER: Final = "/bin/true"


def drbd_inventory(lab: DrbdLab, nodes: tuple[str, ...]) -> dict[str, Any]:
    """The DRBD lab as a bootstrap inventory (raw TOML structure, before validation)."""
    plan = lab.plan
    templates = list(DISK_TEMPLATES)
    return {
        "cluster": {
            "name": topology.fqdn(topology.CLUSTER),
            "address": plan.cluster_ip,
            "initial-master": nodes[0],
            "master-netdev": "eth0",
            "enabled-hypervisors": ["fake"],
            "enabled-disk-templates": templates,
            "ipolicy-disk-templates": templates,
            "ipolicy-bounds-specs": IPOLICY_BOUNDS,
            "volume-group": qemu.VOLUME_GROUP,
            "drbd-usermode-helper": DRBD_USERMODE_HELPER,
            "nic-params": {"mode": "bridged", "link": "br0"},
            "os-providers": ["noop"],
        },
        "ssh": {
            "user": "root",
            "key": str(lab.layout.workstation_key),
            "known-hosts": str(lab.layout.known_hosts),
            "connect-timeout": 30.0,
        },
        "nodes": {
            node: {"primary": plan.primary_ip(node), "secondary": plan.secondary_ip(node)}
            for node in nodes
        },
        "rapi-users": {
            name: {
                "rights": [access],
                "password": {"file": str(lab.layout.password_file(name)), "create": True},
            }
            for name, access in RAPI_USERS
        },
    }


def create_cluster(lab: DrbdLab) -> ClusterFacts:
    """Bootstrap the cluster on the lab's VMs; return what the lab records of it."""
    from ganetiops.bootstrap import parse_inventory, run_bootstrap  # lazy: asyncssh, start-up

    plan = lab.plan
    for name in lab.node_names:
        lab.check_route(plan.primary_ip(name))  # fail closed before SSH goes anywhere
    lab.layout.secrets.mkdir(mode=0o700, exist_ok=True)
    inventory = parse_inventory(drbd_inventory(lab, lab.node_names))
    with procs.timed("bootstrap (init, known_hosts, RAPI users, node adds)"):
        run_bootstrap(inventory, verify=False, progress=lab.progress)
    users = tuple(
        RapiUser(name=name, access=access, password_file=str(lab.layout.password_file(name)))
        for name, access in RAPI_USERS
    )
    write = users[0]
    master = lab.machine(lab.node_names[0])
    with procs.timed("RAPI ready"):
        _wait_for_rapi(master, write.name, Path(write.password_file).read_text().strip())
    pem = master.run(["cat", "/var/lib/ganeti/rapi.pem"], timeout=60).stdout
    _write(lab.layout.rapi_certificate, configs.certificate_pem(pem), 0o644)
    return ClusterFacts(
        name=topology.fqdn(topology.CLUSTER),
        ip=plan.cluster_ip,
        master=topology.fqdn(lab.node_names[0]),
        url=f"https://{plan.cluster_ip}:{topology.RAPI_PORT}",
        rapi_bind="all",
        certificate=str(lab.layout.rapi_certificate),
        certificate_sha256=configs.certificate_sha256(pem),
        users=users,
    )


def _wait_for_rapi(master: Any, user: str, password: str) -> None:
    """Poll RAPI on the master's loopback (over SSH) until it accepts the write user."""
    url = f"https://127.0.0.1:{topology.RAPI_PORT}/2/info"
    command = ["curl", "-sSk", "-o", "/dev/null", "-w", "%{http_code}", "-K", "-", url]
    credentials = f'user = "{user}:{password}"\n'  # via stdin: never in argv
    last: list[str] = []

    def ready() -> bool:
        done = master.run(command, input=credentials, timeout=30, check=False)
        last[:] = [done.stdout.strip(), done.stderr.strip()]
        return bool(done.stdout.strip() == "200")

    try:
        procs.wait_for(ready, timeout=180, what="RAPI to accept the lab's user", interval=2.0)
    except LabError as exc:
        exc.add_note(f"last answer: HTTP {last[0] if last else '?'} {last[1] if last else ''}")
        raise
