"""``gnt-py lab status``: which machines run, their Ganeti roles, daemons and addresses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Protocol

import attrs

from ganetiops.errors import LabError
from ganetiops.lab import procs, topology
from ganetiops.lab.build import HOLDER
from ganetiops.lab.facts import ClusterFacts, LabFacts
from ganetiops.lab.record import LabRecord

if TYPE_CHECKING:
    from ganetiops.lab.lab import Lab

#: ``gnt-node list -o role`` letters.
ROLES: Final = {"M": "master", "C": "candidate", "R": "regular", "D": "drained", "O": "offline"}


@attrs.frozen
class MachineStatus:
    """One machine of a lab as it is now."""

    name: str
    fqdn: str
    #: ``master``, ``candidate``, ``regular``, ``drained``, ``offline`` (Ganeti's view),
    #: ``boot server``, or ``-`` for a node of a bare lab.
    role: str
    running: bool
    primary_ip: str
    secondary_ip: str | None
    #: Daemons running in the machine: the lab's own (sshd, nginx, ovsdb-server-nb...)
    #: then Ganeti's, by their pidfiles.
    daemons: tuple[str, ...]


class AnyLabFacts(Protocol):
    """What status shows of any kind of lab's facts (namespace ``LabFacts``, DRBD's own)."""

    @property
    def cluster(self) -> ClusterFacts | None: ...

    def to_json(self) -> dict[str, Any]: ...


@attrs.frozen
class LabStatus:
    """A lab as it is now; ``phase`` is ``down`` when it does not exist."""

    name: str
    slot: int | None
    phase: str
    #: Every machine's namespace holder is alive.
    running: bool
    machines: tuple[MachineStatus, ...] = ()
    context: str | None = None
    error: str | None = None
    facts: AnyLabFacts | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--format json``: paths to secrets, never secrets."""
        return {
            "name": self.name,
            "slot": self.slot,
            "phase": self.phase,
            "running": self.running,
            "context": self.context,
            "error": self.error,
            "machines": [attrs.asdict(m) for m in self.machines],
            "facts": self.facts.to_json() if self.facts else None,
        }


def lab_status(lab: Lab) -> LabStatus:
    """Gather the status of ``lab`` from its record, /proc and (if any) the cluster."""
    record = lab.record()
    if record is None:
        return LabStatus(name=lab.name, slot=None, phase="down", running=False)
    facts = LabFacts.from_json(record.facts) if record.facts else None
    holders = {p.machine: p for p in record.processes if p.role == HOLDER}
    alive = {name: procs.is_alive(entry) for name, entry in holders.items()}
    roles = _roles(lab, facts, alive, topology.node_names(record.node_count))
    plan = topology.AddressPlan.for_slot(record.slot, record.node_count)
    machines = []
    for name in (*plan.nodes, topology.BOOT):
        running = alive.get(name, False)
        if name == topology.BOOT:
            role, secondary = "boot server", None
        else:
            role = roles.get(topology.fqdn(name), "-")
            secondary = plan.secondary_ip(name)
        machines.append(
            MachineStatus(
                name=name,
                fqdn=topology.fqdn(name),
                role=role,
                running=running,
                primary_ip=plan.primary_ip(name),
                secondary_ip=secondary,
                daemons=_daemons(lab, record, name) if running else (),
            )
        )
    return LabStatus(
        name=lab.name,
        slot=record.slot,
        phase=record.phase,
        running=bool(alive) and all(alive.values()),
        machines=tuple(machines),
        context=record.context.name if record.context else None,
        error=record.error,
        facts=facts,
    )


def _roles(
    lab: Lab, facts: LabFacts | None, alive: dict[str, bool], nodes: tuple[str, ...]
) -> dict[str, str]:
    """Node FQDN -> role, asked from the current master (empty without a cluster)."""
    if facts is None or facts.cluster is None:
        return {}
    master = None
    for name in nodes:
        ssconf = lab.layout.machine(name) / "var-lib-ganeti" / "ssconf_master_node"
        if alive.get(name) and ssconf.exists():
            master = ssconf.read_text().strip().removesuffix(f".{topology.DOMAIN}")
            break
    if master is None or not alive.get(master):
        return {}
    try:
        done = lab.machine(master).run(
            ["gnt-node", "list", "--no-headers", "--separator=|", "-o", "name,role"],
            timeout=30,
            check=False,
        )
    except LabError:
        return {}
    roles = {}
    for line in done.stdout.splitlines():
        name, _, letter = line.partition("|")
        roles[name] = ROLES.get(letter.strip(), letter.strip())
    return roles


def _daemons(lab: Lab, record: LabRecord, name: str) -> tuple[str, ...]:
    own = [
        p.role
        for p in record.processes
        if p.machine == name and p.role != HOLDER and procs.is_alive(p)
    ]
    ganeti = []
    if name != topology.BOOT:
        try:
            pidfiles = sorted(lab.machine(name).path("/run/ganeti").glob("*.pid"))
        except LabError:
            pidfiles = []
        for pidfile in pidfiles:
            try:
                pid = int(pidfile.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            if procs.is_running(pid):
                ganeti.append(pidfile.stem)
    return (*own, *ganeti)
