"""Creating the lab's Ganeti cluster on the prepared nodes, with the library's bootstrap.

:func:`create_cluster` turns a bare lab into a cluster exactly as ganetiops would
bootstrap the homelab (homelab.md §1.4; ``gnt-py cluster bootstrap``): an
inventory is built from the lab's facts (:func:`lab_inventory`, the same values as
``examples/lab.toml``) and :func:`ganetiops.bootstrap.run_bootstrap` applies it
over SSH from the host's workstation interface, verifying every node's host key
against the lab's known_hosts. Only what is particular to the lab stays here:
waiting for RAPI, root-owned pidfiles for bookworm's start-stop-daemon, and the
certificate and users recorded in the lab's facts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ganetiops.errors import LabError, ValidationError
from ganetiops.lab import configs, procs, topology
from ganetiops.lab.facts import ClusterFacts, LabFacts, RapiUser

if TYPE_CHECKING:
    from ganetiops.lab.lab import Lab
    from ganetiops.lab.layout import Layout
    from ganetiops.lab.topology import AddressPlan

#: The RAPI users of the lab: ``(name, access)``.
RAPI_USERS: Final = (("gnt-py", "write"), ("gnt-py-read", "read"))
DISK_TEMPLATES: Final = ("sharedfile", "file", "diskless")
#: Small instances allowed (any memory from 1 MiB, no disk), with a sane ceiling.
IPOLICY_BOUNDS: Final = (
    "min:disk-size=0,cpu-count=1,disk-count=0,memory-size=1,nic-count=0,spindle-use=0"
    "/max:disk-size=1048576,cpu-count=8,disk-count=16,memory-size=32768,nic-count=8,"
    "spindle-use=12"
)


#: The hypervisors the lab's cluster enables. The first of Ganeti's
#: ``enabled_hypervisors`` is the cluster's default (what an instance gets when the
#: caller names none): ``kvm`` for the user's lab, so that the headline
#: (``gnt-py --context lab instance create navidrome --yes``) boots a real VM;
#: ``fake`` for the test suite's labs, which create many instances that need not boot.
HYPERVISORS: Final = ("kvm", "fake")
DEFAULT_HYPERVISOR: Final = "kvm"


def validate_hypervisor(name: str) -> str:
    """``name`` if it is one of the lab's hypervisors, else :class:`ValidationError`."""
    if name not in HYPERVISORS:
        raise ValidationError(
            f"default hypervisor {name!r}: the lab has {', '.join(HYPERVISORS)}",
            field="default_hypervisor",
        )
    return name


def enabled_hypervisors(default: str = DEFAULT_HYPERVISOR) -> list[str]:
    """The lab's hypervisors, ``default`` first (Ganeti's default is the first one)."""
    validate_hypervisor(default)
    return [default, *(hv for hv in HYPERVISORS if hv != default)]


#: The kvm hypervisor's parameters in the lab. ``kvm_path`` is the lab's wrapper that
#: forces software emulation (a lab adaptation, see ganetiops/lab/data/qemu-tcg); no
#: external kernel (instances boot from disk 0, iPXE); no VNC; serial console on.
KVM_PARAMS: Final = {
    "kvm_path": topology.KVM_PATH,
    "kernel_path": "",
    "initrd_path": "",
    "vnc_bind_address": "",
    "serial_console": True,
    "boot_order": "disk",
    "migration_bandwidth": 1000,
    "migration_downtime": 100,
}


def lab_inventory(
    lab: Lab, facts: LabFacts, *, plan: topology.AddressPlan | None = None
) -> dict[str, Any]:
    """The lab as a bootstrap inventory (the raw TOML structure, before validation).

    ``plan`` is the lab's address plan when the caller has it (else read from the record).
    The lab's default hypervisor (:attr:`Lab.default_hypervisor`) comes first in
    ``enabled-hypervisors``.
    """
    from ganetiops.netboot.labboot import boot_server_from_lab  # lazy: netboot room, start-up

    if plan is None:
        plan = lab.plan
    templates = list(DISK_TEMPLATES)
    return {
        "cluster": {
            **cluster_header(plan, topology.MASTER),
            "enabled-hypervisors": enabled_hypervisors(lab.default_hypervisor),
            "hypervisor-params": {"kvm": KVM_PARAMS},
            "enabled-disk-templates": templates,
            "ipolicy-disk-templates": templates,
            "ipolicy-bounds-specs": IPOLICY_BOUNDS,
            "file-storage-dir": configs.FILE_STORAGE_DIR,
            "shared-file-storage-dir": configs.SHARED_FILE_STORAGE_DIR,
            "nic-params": {"mode": "bridged", "link": "br0"},
            "os-providers": ["noop", "pxe"],
            # The homelab's four are all candidates; a large lab keeps it at four, or
            # every job update is copied to every node (and times out on 2 cores).
            "candidate-pool-size": len(topology.NODE_NAMES),
        },
        "ssh": {"user": "root", "key": facts.workstation_key, "known-hosts": facts.known_hosts},
        "nodes": {
            node: {"primary": plan.primary_ip(node), "secondary": plan.secondary_ip(node)}
            for node in (topology.MASTER, *plan.join_order)
        },
        "rapi-users": {
            name: {
                "rights": [access],
                "password": {"file": str(lab.layout.password_file(name)), "create": True},
            }
            for name, access in RAPI_USERS
        },
        # The lab's boot server, for the context a bootstrap from this inventory writes.
        "boot": boot_server_from_lab(facts).to_config(),
    }


def create_cluster(lab: Lab) -> ClusterFacts:
    """Bootstrap the cluster on the lab's nodes; return what the lab records of it."""
    from ganetiops.bootstrap import parse_inventory, run_bootstrap  # lazy: asyncssh, start-up

    facts = lab.facts()
    plan = lab.plan
    for fact in facts.nodes:
        lab.check_route(fact.primary_ip)  # fail closed before SSH goes anywhere
    lab.layout.secrets.mkdir(mode=0o700, exist_ok=True)
    inventory = parse_inventory(lab_inventory(lab, facts, plan=plan))
    with procs.timed("bootstrap (init, known_hosts, RAPI users, node adds)"):
        run_bootstrap(inventory, verify=False)

    users = tuple(
        RapiUser(name=name, access=access, password_file=str(lab.layout.password_file(name)))
        for name, access in RAPI_USERS
    )
    write = users[0]
    with procs.timed("RAPI ready"):
        _wait_for_rapi(lab, write.name, Path(write.password_file).read_text().strip())
    for node in plan.nodes:
        for pidfile in lab.machine(node).path("/run/ganeti").glob("*.pid"):
            os.chown(pidfile, 0, 0)  # bookworm's start-stop-daemon (peers.md §3.3)

    master_dir = lab.layout.machine(topology.MASTER) / "var-lib-ganeti"
    pem = (master_dir / "rapi.pem").read_text()
    return rapi_cluster_facts(
        lab.layout, plan, master=topology.MASTER, rapi_bind=lab.rapi_bind, pem=pem, users=users
    )


def cluster_header(plan: AddressPlan, master: str) -> dict[str, Any]:
    """The ``[cluster]`` keys of every kind of lab's inventory: name, address, master."""
    return {
        "name": topology.fqdn(topology.CLUSTER),
        "address": plan.cluster_ip,
        "initial-master": master,
        "master-netdev": "eth0",
    }


def rapi_cluster_facts(
    layout: Layout,
    plan: AddressPlan,
    *,
    master: str,
    rapi_bind: str,
    pem: str,
    users: tuple[RapiUser, ...],
) -> ClusterFacts:
    """Every kind of lab's cluster facts, once RAPI answers: the master's RAPI
    certificate ``pem`` written into the lab (and pinned by its SHA-256)."""
    _write(layout.rapi_certificate, configs.certificate_pem(pem), 0o644)
    return ClusterFacts(
        name=topology.fqdn(topology.CLUSTER),
        ip=plan.cluster_ip,
        master=topology.fqdn(master),
        url=f"https://{plan.cluster_ip}:{topology.RAPI_PORT}",
        rapi_bind=rapi_bind,
        certificate=str(layout.rapi_certificate),
        certificate_sha256=configs.certificate_sha256(pem),
        users=users,
    )


def _wait_for_rapi(lab: Lab, user: str, password: str) -> None:
    """Poll RAPI on the master's loopback until it accepts the write user."""
    log = lab.layout.machine(topology.MASTER) / "var-log-ganeti" / "rapi-daemon.log"
    try:
        wait_for_rapi(lab.machine(topology.MASTER), user, password, timeout=60, interval=0.2)
    except LabError as exc:
        tail = log.read_text().splitlines()[-5:] if log.exists() else ["(no log)"]
        exc.add_note("end of the master's rapi-daemon.log:\n" + "\n".join(tail))
        raise


def wait_for_rapi(
    master: Any,
    user: str,
    password: str,
    *,
    timeout: float,
    interval: float,
    run_timeout: float = 10,
) -> None:
    """Poll RAPI on ``master``'s loopback (a machine of any kind of lab: its ``run``)
    until it accepts the write user; :class:`LabError` with the last answer otherwise."""
    url = f"https://127.0.0.1:{topology.RAPI_PORT}/2/info"
    command = ["curl", "-sSk", "-o", "/dev/null", "-w", "%{http_code}", "-K", "-", url]
    credentials = f'user = "{user}:{password}"\n'  # via stdin: never in argv
    last: list[str] = []

    def ready() -> bool:
        done = master.run(command, input=credentials, timeout=run_timeout, check=False)
        last[:] = [done.stdout.strip(), done.stderr.strip()]
        return bool(done.stdout.strip() == "200")

    try:
        procs.wait_for(
            ready, timeout=timeout, what="RAPI to accept the lab's user", interval=interval
        )
    except LabError as exc:
        exc.add_note(f"last answer: HTTP {last[0] if last else '?'} {last[1] if last else ''}")
        raise


def _write(path: Path, text: str, mode: int) -> None:
    """Replace ``path`` atomically, with its final mode from the start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            os.fchmod(f.fileno(), mode)
            f.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
