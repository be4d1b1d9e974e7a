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

from ganetiops.lab import procs
from ganetiops.lab.cluster import (
    IPOLICY_BOUNDS,
    RAPI_USERS,
    cluster_header,
    rapi_cluster_facts,
    wait_for_rapi,
)
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
            **cluster_header(plan, nodes[0]),
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
        wait_for_rapi(
            master,
            write.name,
            Path(write.password_file).read_text().strip(),
            timeout=180,
            interval=2.0,
            run_timeout=30,
        )
    pem = master.run(["cat", "/var/lib/ganeti/rapi.pem"], timeout=60).stdout
    return rapi_cluster_facts(
        lab.layout, plan, master=lab.node_names[0], rapi_bind="all", pem=pem, users=users
    )
