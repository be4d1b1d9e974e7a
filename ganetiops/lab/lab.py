"""The :class:`Lab`: bring a namespace replica of the homelab up, inspect it, take it down."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeVar

import attrs

from ganetiops.config import Context, PasswordSource, SshVia, load_config
from ganetiops.errors import GanetiOpsError, LabError, ValidationError
from ganetiops.lab import configs, host, procs, topology
from ganetiops.lab.build import HOLDER, Builder
from ganetiops.lab.facts import ClusterFacts, LabFacts, recorded_facts, require_cluster
from ganetiops.lab.layout import Layout, lab_root
from ganetiops.lab.machine import Machine
from ganetiops.lab.record import ContextEntry, LabRecord, recorded_process
from ganetiops.lab.status import LabStatus, lab_status

if TYPE_CHECKING:
    from ganetiops.lab.vm.facts import DrbdFacts

ENV_NAME: Final = "GANETIOPS_LAB"
ENV_SLOT: Final = "GANETIOPS_LAB_SLOT"
ENV_RAPI_BIND: Final = "GANETIOPS_LAB_RAPI_BIND"


@contextlib.contextmanager
def _flock(path: Path, *, blocking: bool = False, what: str = "the lock") -> Iterator[None]:
    """Hold an exclusive lock on ``path``: with ``blocking``, wait for it (short critical
    sections); else fail at once, naming ``what``, if another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LabError(f"{what} is busy: another gnt-py lab command is running") from None
        yield
    finally:
        os.close(fd)


def slots_in_use(root: Path | None = None, *, but: str | None = None) -> dict[int, str]:
    """Slot -> lab name for every lab record under ``root`` (except lab ``but``)."""
    taken = {}
    for path in (root or lab_root()).glob("*/lab.json"):
        if path.parent.name == but:
            continue
        with contextlib.suppress(LabError):
            other = LabRecord.load(path)
            if other is not None:
                taken[other.slot] = other.name
    return taken


def _free_slot(taken: dict[int, str], routes: list[dict[str, object]]) -> int:
    for slot in range(topology.MAX_SLOT, 0, -1):
        plan = topology.AddressPlan.for_slot(slot)
        if slot not in taken and not host.conflicting_routes(routes, plan.prefixes):
            return slot
    raise LabError(f"no free lab slot (1-{topology.MAX_SLOT})")


def free_slot(root: Path | None = None) -> int:
    """The highest slot that no lab claims and the host does not route (labs without an
    explicit slot get one this way, counting down from 99; people pick low ones)."""
    return _free_slot(slots_in_use(root), host.host_routes())


class Lab:
    """One lab: four Ganeti nodes, a boot server and OVN central, in namespaces.

    ``Lab()`` is the default lab (``lab``, slot 0, the homelab's addresses);
    ``Lab("dev1", 1)`` another one beside it. Without a slot, an existing lab keeps
    its own and a new non-default lab gets a free one (counting down from 99).
    Creating the object does nothing; :meth:`up` and :meth:`down` act.
    """

    def __init__(
        self,
        name: str = topology.DEFAULT_NAME,
        slot: int | None = None,
        *,
        rapi_bind: str = "all",
        root: Path | None = None,
        nodes: int | None = None,
        default_hypervisor: str | None = None,
    ) -> None:
        from ganetiops.lab.cluster import validate_hypervisor  # lazy: lab room, start-up

        self.name = topology.validate_name(name)
        self._default_hypervisor = (
            None if default_hypervisor is None else validate_hypervisor(default_hypervisor)
        )
        self._slot = None if slot is None else topology.validate_slot(slot)
        self._nodes = None if nodes is None else topology.validate_node_count(nodes)
        if rapi_bind not in configs.RAPI_BINDS:
            choices = ", ".join(configs.RAPI_BINDS)
            raise ValidationError(f"rapi_bind must be one of {choices}", field="rapi_bind")
        self._rapi_bind = rapi_bind
        self.names = topology.LabNames(self.name)
        self.layout = Layout(root or lab_root(), self.name)

    @classmethod
    def from_env(cls, name: str | None = None, *, default_hypervisor: str | None = None) -> Lab:
        """The lab named by ``GANETIOPS_LAB`` (default ``lab``), with ``GANETIOPS_LAB_SLOT``
        and ``GANETIOPS_LAB_RAPI_BIND`` (``all`` or ``loopback``) when set."""
        slot_text = os.environ.get(ENV_SLOT)
        try:
            slot = int(slot_text) if slot_text else None
        except ValueError:
            raise ValidationError(
                f"{ENV_SLOT}={slot_text!r}: not an integer", field="slot"
            ) from None
        return cls(
            name or os.environ.get(ENV_NAME) or topology.DEFAULT_NAME,
            slot,
            rapi_bind=os.environ.get(ENV_RAPI_BIND) or "all",
            default_hypervisor=default_hypervisor,
        )

    def __repr__(self) -> str:
        return f"Lab(name={self.name!r}, slot={self._slot!r})"

    # -- what the record says -------------------------------------------------------------

    def record(self) -> LabRecord | None:
        """The lab's record, or ``None`` when the lab does not exist."""
        return LabRecord.load(self.layout.record)

    @property
    def slot(self) -> int:
        """The lab's address-plan slot (from its record when it exists)."""
        record = self.record()
        if record is not None:
            return record.slot
        if self._slot is not None:
            return self._slot
        if self.name == topology.DEFAULT_NAME:
            return 0
        raise LabError(f"lab {self.name} has no slot yet: it is not up")

    @property
    def node_count(self) -> int:
        """How many Ganeti nodes the lab has (from its record when it exists)."""
        record = self.record()
        if record is not None:
            return record.node_count
        return self._nodes or len(topology.NODE_NAMES)

    @property
    def plan(self) -> topology.AddressPlan:
        return topology.AddressPlan.for_slot(self.slot, self.node_count)

    @property
    def rapi_bind(self) -> str:
        record = self.record()
        return str(record.options.get("rapi_bind", self._rapi_bind)) if record else self._rapi_bind

    @property
    def default_hypervisor(self) -> str:
        """The cluster's default hypervisor (first enabled): ``kvm`` unless asked for
        ``fake``. From the record when the lab exists (``fake`` for records older than
        the option: those clusters enabled fake first)."""
        from ganetiops.lab.cluster import DEFAULT_HYPERVISOR  # lazy: lab room, start-up

        record = self.record()
        if record is not None:
            return str(record.options.get("default_hypervisor", "fake"))
        return self._default_hypervisor or DEFAULT_HYPERVISOR

    def is_up(self) -> bool:
        """True when ``up`` completed and every machine's holder still runs."""
        record = self.record()
        return record is not None and record.phase == "up" and self._holders_alive(record)

    @staticmethod
    def _holders_alive(record: LabRecord) -> bool:
        holders = [p for p in record.processes if p.role == HOLDER]
        return bool(holders) and all(procs.is_alive(p) for p in holders)

    def facts(self) -> LabFacts:
        """The lab's facts (nodes, keys, boot server, cluster) from its record."""
        return LabFacts.from_json(recorded_facts(self.record(), self.name))

    def cluster(self) -> ClusterFacts:
        """The cluster's facts; :class:`LabError` on a bare lab."""
        return require_cluster(self.facts().cluster, self.name)

    def machine(self, name: str) -> Machine:
        """A node (short name or FQDN) or ``boot``, to run commands in."""
        short = name.removesuffix(f".{topology.DOMAIN}")
        nodes = topology.node_names(self.node_count)
        if short not in (topology.BOOT, *nodes):
            known = ", ".join((*nodes, topology.BOOT))
            raise ValidationError(f"no lab machine {name!r} (known: {known})", field="machine")
        holder = recorded_process(self.record(), self.name, short, HOLDER)
        chroot = str(self.layout.machine(short) / "fs") if short == topology.BOOT else None
        machine = Machine(short, holder, chroot)
        machine.check_alive()
        return machine

    def run(
        self, machine: str, command: Sequence[str], *, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` inside a lab machine (see :meth:`Machine.run`)."""
        return self.machine(machine).run(command, input=input, check=check)

    def check_route(self, address: str) -> None:
        """Raise :class:`LabError` unless the host sends ``address`` into this lab."""
        host.check_route(address, self.names.workstation_link)

    # -- up -------------------------------------------------------------------------------

    def up(self, *, bare: bool = False, keep_on_error: bool = False) -> LabFacts:
        """Create the lab; with ``bare``, prepared nodes and no cluster.

        Raises :class:`LabError` if the lab already exists. On failure everything
        created is removed again, unless ``keep_on_error`` (then ``down`` removes it).
        """
        host.preflight()
        self.layout.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.layout.root.chmod(0o700)
        with _standard_umask(), _flock(self.layout.lock, what=f"lab {self.name}"):
            self.refuse_existing(self._holders_alive)
            record, builder = self._claim(bare)
            try:
                with procs.timed("lab-wide files and keys"):
                    builder.lab_files()
                with procs.timed("host network"):
                    builder.host_network()
                with procs.timed("machines"):
                    builder.machines()
                facts = builder.facts()
                builder.write_known_hosts(facts)
                record.set_facts(facts.to_json())
                if not bare:
                    from ganetiops.lab.cluster import create_cluster  # lazy: lab room, start-up

                    facts = add_cluster(record, facts, lambda: create_cluster(self))
                    self._write_context(record, facts)
                record.set_phase("up")
            except BaseException as exc:
                self.failed_up(record, exc, keep_on_error=keep_on_error)
                raise
        return facts

    def refuse_existing(self, alive: Callable[[LabRecord], bool]) -> None:
        """Before ``up``: :class:`LabError` if the lab runs (``alive`` says whether its
        machines do) or has leftovers (of an interrupted ``up``, or of a reboot)."""
        existing = self.record()
        if existing is None:
            return
        if existing.phase == "up" and alive(existing):
            raise LabError(f"lab {self.name} is already up (slot {existing.slot})")
        raise LabError(
            f"lab {self.name} has leftovers of an interrupted up or of a reboot "
            f"(phase {existing.phase}); remove them first: {down_command(self.name)}"
        )

    def failed_up(self, record: LabRecord, exc: BaseException, *, keep_on_error: bool) -> None:
        """What a failed ``up`` of any kind of lab does before re-raising ``exc``: the
        record says ``failed`` with the error; unless ``keep_on_error`` everything created
        is removed again, a failure of that removal added to ``exc`` as a note."""
        record.set_phase("failed", error=str(exc) or type(exc).__name__)
        if not keep_on_error:
            try:
                self._teardown(record)
            except (GanetiOpsError, OSError) as cleanup:
                exc.add_note(f"removing the failed lab: {cleanup}")

    def _claim(self, bare: bool) -> tuple[LabRecord, Builder]:
        """Choose the slot, check its prefixes are free, write the record, close routes."""
        with _flock(self.layout.root / ".slots.lock", blocking=True):
            taken = slots_in_use(self.layout.root, but=self.name)
            routes = host.host_routes()
            if self._slot is not None or self.name == topology.DEFAULT_NAME:
                slot = self._slot if self._slot is not None else 0
                if slot in taken:
                    raise LabError(f"slot {slot} is used by lab {taken[slot]}")
            else:
                slot = _free_slot(taken, routes)
            plan = topology.AddressPlan.for_slot(slot, self._nodes or len(topology.NODE_NAMES))
            conflicts = host.conflicting_routes(routes, plan.prefixes)
            if conflicts:
                raise LabError(
                    f"the lab's networks {plan.primary} and {plan.secondary} are already "
                    f"routed on this host: {'; '.join(conflicts)}. Choose another slot."
                )
            record = LabRecord(
                path=self.layout.record,
                name=self.name,
                slot=slot,
                options={
                    "bare": bare,
                    "rapi_bind": self._rapi_bind,
                    "nodes": len(plan.nodes),
                    "default_hypervisor": self.default_hypervisor,
                },
            )
            self._remove_files()  # a directory without a record holds nothing running
            self.layout.dir.mkdir(mode=0o700)
            self.layout.logs.mkdir(mode=0o700)
            record.save()
            builder = Builder(plan, self.names, self.layout, record, self._rapi_bind)
            builder.fail_closed_routes()
        return record, builder

    def _write_context(self, record: LabRecord, facts: LabFacts) -> None:
        """Record the configuration context ``<lab name>`` for the write user."""
        from ganetiops.netboot.labboot import boot_server_from_lab  # lazy: netboot room, start-up

        cluster = facts.cluster
        assert cluster is not None
        write = cluster.user("write")
        ssh = None
        if cluster.rapi_bind == "loopback":
            ssh = SshVia(
                nodes=tuple(n.primary_ip for n in facts.nodes),
                key=str(self.layout.workstation_key),
                known_hosts=str(self.layout.known_hosts),
            )
        context = Context(
            name=self.name,
            url=cluster.url if ssh is None else None,
            user=write.name,
            password=PasswordSource("file", write.password_file),
            certificate_sha256=cluster.certificate_sha256,
            ssh=ssh,
            description=self._context_description(),
            boot=boot_server_from_lab(facts),
        )
        self.save_context(record, context, cluster.url)

    def save_context(self, record: LabRecord, context: Context, url: str) -> None:
        """Write ``context`` into the configuration file and note it in the record
        (``down`` removes it), under the lock every lab of this root shares."""
        with _flock(self.layout.root / ".config.lock", blocking=True):
            config = load_config()
            record.set_context(ContextEntry(self.name, str(config.path), url))
            config.set_context(context)
            config.save()

    def _context_description(self) -> str:
        return f"ganetiops namespace lab {self.name} ({self.layout.dir})"

    # -- down -----------------------------------------------------------------------------

    def down(self) -> bool:
        """Remove everything the lab's record lists; ``False`` if there was no lab."""
        host.require_root()
        if not self.layout.record.exists():
            return False
        with _flock(self.layout.lock, what=f"lab {self.name}"):
            record = self.record()
            if record is None:
                return False
            record.set_phase("removing")
            self._teardown(record)
        return True

    def _teardown(self, record: LabRecord) -> None:
        """Undo the record in reverse: context, processes, links, namespaces, routes, files."""
        problems: list[str] = []
        steps: list[Callable[[], None]] = [
            functools.partial(self._remove_context, record),
            functools.partial(self._stop_processes, record),
            *(functools.partial(host.delete_link, link) for link in record.links),
            *(functools.partial(host.delete_netns, ns) for ns in reversed(record.netns)),
            *(functools.partial(host.delete_route, route) for route in record.routes),
        ]
        for step in steps:
            try:
                step()
            except (GanetiOpsError, OSError) as exc:
                problems.append(str(exc))
        if problems:
            raise LabError(
                f"lab {self.name} was not fully removed (run {down_command(self.name)} again): "
                + "; ".join(problems)
            )
        self._remove_files()

    def _stop_processes(self, record: LabRecord) -> None:
        """Stop every process of the lab: recorded ones and any inside its namespaces."""
        inodes = [i for i in (procs.netns_inode(ns) for ns in record.netns) if i is not None]
        holders = {p.pid for p in record.processes if p.role == HOLDER and procs.is_alive(p)}

        def lab_processes() -> set[int]:
            alive = {p.pid for p in record.processes if procs.is_alive(p)}
            return alive | set(procs.pids_in_netns(inodes))

        for _ in range(3):  # again, in case a dying daemon forked meanwhile
            pids = lab_processes()
            if not pids:
                return
            # Daemons first, holders last: the namespaces stay until their users are gone.
            procs.terminate(pids - holders)
            procs.terminate(pids & holders)
        left = lab_processes()
        if left:
            raise LabError(f"processes of the lab survived SIGKILL: {sorted(left)}")

    def _remove_context(self, record: LabRecord) -> None:
        if record.context is None:
            return
        with _flock(self.layout.root / ".config.lock", blocking=True):
            config = load_config(Path(record.context.config_path))
            ours = config.contexts.get(record.context.name)
            if ours is not None and ours.description == self._context_description():
                config.remove_context(record.context.name)
                config.save()
        record.set_context(None)

    def _remove_files(self) -> None:
        """Delete the state directory, after checking no host mount points into it."""
        directory = self.layout.dir
        if not directory.exists():
            return
        prefix = f"{directory}/"
        with open("/proc/self/mountinfo") as handle:
            mounted = [line.split()[4] for line in handle]
        inside = [m for m in mounted if m == str(directory) or m.startswith(prefix)]
        if inside:
            raise LabError(f"not removing {directory}: mounts inside it: {', '.join(inside)}")
        shutil.rmtree(directory)

    # -- status ---------------------------------------------------------------------------

    def status(self) -> LabStatus:
        """What runs where: machines, roles, daemons, addresses (:mod:`ganetiops.lab.status`)."""
        return lab_status(self)


@contextlib.contextmanager
def _standard_umask() -> Iterator[None]:
    """Build the lab under umask 022, whatever the caller's.

    The machines' files are made with modes that assume it: under a umask of 077 the
    boot server's /etc/ssh was 0700, so sshd (reading authorized_keys as ``admin``)
    refused the workstation key ("authentication refused"), and nginx could not read
    the web root. Private files are chmod'ed explicitly, so 022 widens nothing secret.
    """
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


_Facts = TypeVar("_Facts", bound="LabFacts | DrbdFacts")


def add_cluster(record: LabRecord, facts: _Facts, create: Callable[[], ClusterFacts]) -> _Facts:
    """``facts`` with the cluster ``create`` makes (timed), recorded as it is made."""
    with procs.timed("cluster"):
        facts = attrs.evolve(facts, cluster=create())
    record.set_facts(facts.to_json())
    return facts


def down_command(name: str) -> str:
    """The command that takes lab ``name`` down (``--name`` belongs to the ``lab`` group)."""
    return f"gnt-py lab --name {name} down"
