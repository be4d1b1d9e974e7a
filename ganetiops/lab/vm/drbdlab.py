"""The DRBD lab: Ganeti nodes as QEMU/TCG VMs on Debian's own kernel (real DRBD 8.4, LVM).

``gnt-py lab up --kind drbd`` brings up three VMs (aleph, bet, gimel) from the cached
image (:mod:`ganetiops.lab.vm.image`), on the same host network as the namespace lab:
the lab's switch namespace with its ``pri`` and ``sec`` bridges, the workstation veth
``<name>-ws`` and the fail-closed routes (:mod:`ganetiops.lab.build`), the same
address plan and slots (:mod:`ganetiops.lab.topology`). The VMs' taps exist only in
the switch namespace; QEMU runs there. The cluster is made by the project's own
bootstrap over real SSH (:mod:`ganetiops.lab.vm.cluster`).

The record on disk is the namespace lab's (:mod:`ganetiops.lab.record`), with
``options.kind = "drbd"``: every QEMU process by PID and start time, the switch
namespace, the veth, the routes, the context. ``down`` is the namespace lab's own
teardown of that record; the overlays, data disks and seeds are files in the lab's
state directory and go with it. No host mount is ever made.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from ganetiops.errors import LabError, ValidationError
from ganetiops.lab import host, procs, topology
from ganetiops.lab.facts import (
    ClusterFacts,
    host_keys,
    known_hosts_lines,
    node_facts,
    recorded_facts,
    require_cluster,
    shared_fields,
)
from ganetiops.lab.lab import Lab, _flock, add_cluster
from ganetiops.lab.machine import spawn_recorded
from ganetiops.lab.record import LabRecord, ProcessEntry, recorded_process
from ganetiops.lab.status import LabStatus, MachineStatus
from ganetiops.lab.vm import image as images
from ganetiops.lab.vm import qemu
from ganetiops.lab.vm.facts import DrbdFacts
from ganetiops.lab.vm.machine import VmMachine, ssh_answers

KIND: Final = "drbd"
ROLE: Final = "qemu"
#: The nodes of the tier: a primary, a secondary, and a third to replace or evacuate to.
NODE_NAMES: Final = qemu.NODE_NAMES
#: Generous: three TCG VMs booting at once on a busy 2-core host took 217 s here.
SSH_TIMEOUT: Final = 600.0
#: Host memory a tier needs free before it starts (3 VMs plus headroom for Ganeti jobs).
MIN_FREE_MIB: Final = len(NODE_NAMES) * qemu.HOST_MIB_PER_VM + 512
#: Disk a tier needs free in the lab root (overlays and data disks grow with use).
MIN_FREE_DISK: Final = 4 * 1024**3


class _Base(Lab):
    """The namespace lab's record keeping, slots and teardown, for the DRBD lab."""

    def _context_description(self) -> str:
        return f"ganetiops DRBD lab {self.name} ({self.layout.dir})"


def preflight(*, build: bool) -> None:
    """Root, QEMU, memory, disk (and the build tools when the image must be built):
    one clear error before anything is created."""
    host.require_root()
    missing = [
        tool
        for tool in (qemu.QEMU, "qemu-img", "ip", "ssh", "ssh-keygen")
        if not shutil.which(tool)
    ]
    if build:
        missing += images.build_tools_missing()
    if not os.path.exists("/dev/net/tun"):
        missing.append("/dev/net/tun")
    if missing:
        raise LabError(
            f"the DRBD lab cannot run here: missing {', '.join(sorted(set(missing)))}. "
            "Install: apt-get install qemu-system-x86 qemu-utils debootstrap e2fsprogs "
            "openssh-client iproute2"
        )
    free = _available_mib()
    if free < MIN_FREE_MIB:
        raise LabError(
            f"the DRBD lab needs {MIN_FREE_MIB} MiB of free memory "
            f"({len(NODE_NAMES)} VMs of about {qemu.HOST_MIB_PER_VM} MiB); {free} MiB available"
        )


def _available_mib() -> int:
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    return 0


class DrbdLab:
    """A DRBD lab: three VMs and a Ganeti cluster with drbd and plain (see the module)."""

    kind: Final = KIND

    def __init__(
        self,
        name: str = topology.DEFAULT_NAME,
        slot: int | None = None,
        *,
        release: str = images.DEFAULT_RELEASE,
        nodes: int | None = None,
        root: Path | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self._base = _Base(name, slot, root=root)
        self.name = self._base.name
        self.names = self._base.names
        self.layout = self._base.layout
        self.release = images.validate_release(release)
        if nodes is not None and not 1 <= nodes <= len(NODE_NAMES):
            raise ValidationError(
                f"nodes {nodes}: the DRBD lab has 1 to {len(NODE_NAMES)} VMs", field="nodes"
            )
        self._nodes = nodes
        self.progress: Callable[[str], None] = progress or (lambda text: None)

    def __repr__(self) -> str:
        return f"DrbdLab(name={self.name!r})"

    # -- the record -------------------------------------------------------------------

    def record(self) -> LabRecord | None:
        return self._base.record()

    @property
    def slot(self) -> int:
        return self._base.slot

    @property
    def plan(self) -> topology.AddressPlan:
        return self._base.plan

    @property
    def node_names(self) -> tuple[str, ...]:
        """The lab's VMs: the first ``nodes`` of :data:`NODE_NAMES` (the record's, once up)."""
        record = self.record()
        count = record.options.get("vms") if record is not None else None
        if not isinstance(count, int):
            count = self._nodes or len(NODE_NAMES)
        return NODE_NAMES[:count]

    def is_up(self) -> bool:
        record = self.record()
        return record is not None and record.phase == "up" and _vms_alive(record)

    def facts(self) -> DrbdFacts:
        return DrbdFacts.from_json(recorded_facts(self.record(), self.name))

    def cluster(self) -> ClusterFacts:
        return require_cluster(self.facts().cluster, self.name)

    def check_route(self, address: str) -> None:
        host.check_route(address, self.names.workstation_link)

    def machine(self, name: str) -> VmMachine:
        short = name.removesuffix(f".{topology.DOMAIN}")
        if short not in self.node_names:
            known = ", ".join(self.node_names)
            raise ValidationError(
                f"no machine {name!r} in DRBD lab {self.name} (known: {known})",
                field="machine",
            )
        machine = VmMachine(
            short,
            recorded_process(self.record(), self.name, short, ROLE),
            link=self.names.workstation_link,
            address=self.plan.primary_ip(short),
            key=str(self.layout.workstation_key),
            known_hosts=str(self.layout.known_hosts),
        )
        machine.check_alive()
        return machine

    def run(
        self, machine: str, command: Sequence[str], *, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return self.machine(machine).run(command, input=input, check=check)

    def set_link(self, machine: str, network: str, *, up: bool) -> None:
        """Cut (``up=False``) or restore a VM's link on ``"primary"`` or ``"secondary"``.

        A fault for tests: the VM's tap is set down or up inside the lab's switch
        namespace (the VM sees its cable pulled; nothing outside the lab changes).
        """
        short = machine.removesuffix(f".{topology.DOMAIN}")
        if short not in self.node_names or network not in ("primary", "secondary"):
            raise ValidationError(
                f"no {network!r} link of {machine!r} in DRBD lab {self.name}", field="machine"
            )
        self.machine(short)  # the lab is up and the VM alive
        tap = topology.switch_port(short, network)
        host.ip_batch([f"link set {tap} {'up' if up else 'down'}"], netns=self.names.switch_netns)

    def hard_reset(self, machine: str) -> None:
        """Hard-reset a VM through its QEMU monitor (QMP ``system_reset``): the power
        cycle of a node, without QEMU stopping (its PID and taps stay as recorded).

        A fault for tests: the guest loses what it had not written to its disks and
        boots again from the same overlay (:meth:`wait_for_ssh` waits for it). Raises
        :class:`LabError` for a VM started without a monitor (a tier older than this).
        """
        short = self._short(machine)
        self.machine(short)  # the lab is up and the VM alive
        qemu.monitor_command(self.layout.machine(short) / "monitor.sock", "system_reset")

    def wait_for_ssh(self, machine: str, *, timeout: float = SSH_TIMEOUT) -> float:
        """Wait until the VM's sshd answers with the host key the lab gave it; the
        seconds waited. :class:`LabError` after ``timeout`` or if QEMU exited."""
        short = self._short(machine)
        vm = self.machine(short)
        host.check_route(vm.address, vm.link)  # packets leave through the lab's veth only
        started = time.monotonic()
        while True:
            vm.check_alive()
            if ssh_answers(vm.address, vm.key, vm.known_hosts):
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise LabError(f"{short} not reachable over SSH after {timeout:g} s")
            time.sleep(1.0)

    def _short(self, machine: str) -> str:
        short = machine.removesuffix(f".{topology.DOMAIN}")
        if short not in self.node_names:
            raise ValidationError(f"no VM {machine!r} in DRBD lab {self.name}", field="machine")
        return short

    # -- up ---------------------------------------------------------------------------

    def up(self, *, bare: bool = False, keep_on_error: bool = False) -> DrbdFacts:
        """Build or reuse the image, start the VMs, bootstrap the cluster (unless ``bare``)."""
        spec = images.ImageSpec(release=self.release)
        found = images.find_image(spec)
        preflight(build=found is None)
        base = self._base
        base.layout.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        free = shutil.disk_usage(base.layout.root).free
        if free < MIN_FREE_DISK:
            raise LabError(
                f"the DRBD lab needs {MIN_FREE_DISK // 1024**3} GiB free in "
                f"{base.layout.root}; {free / 1024**3:.1f} GiB available"
            )
        image = found or images.ensure_image(spec, progress=self.progress)
        with _flock(base.layout.lock, what=f"lab {self.name}"):
            base.refuse_existing(_vms_alive)
            record, builder = base._claim(bare)
            record.options.update(kind=KIND, release=self.release, image=image.spec.name)
            # "vms", not "nodes": the namespace lab's record reads "nodes" (4 or more).
            record.options.update(vms=self._nodes or len(NODE_NAMES))
            record.save()
            try:
                with procs.timed("lab-wide files and keys"):
                    builder.lab_files()
                with procs.timed("host network"):
                    builder.host_network()
                plan = topology.AddressPlan.for_slot(record.slot)
                vms = self._vm_specs(plan)
                self.progress(f"starting {len(vms)} VMs (QEMU/TCG) from image {image.spec.name}")
                started = time.monotonic()
                with procs.timed("VMs"):
                    self._start_vms(record, plan, vms, image)
                    facts = self._facts(plan, image)  # the host keys the seeds carry
                    base.layout.known_hosts.write_text(
                        "\n".join(known_hosts_lines(facts.nodes)) + "\n"
                    )
                    self._wait_for_ssh(record, vms)
                self.progress(f"VMs answer on SSH after {time.monotonic() - started:.0f} s")
                record.set_facts(facts.to_json())
                if not bare:
                    from ganetiops.lab.vm.cluster import create_cluster  # lazy: lab room, start-up

                    self.progress("bootstrapping the cluster (init, node adds, RAPI users)")
                    facts = add_cluster(record, facts, lambda: create_cluster(self))
                    self._write_context(record, facts)
                record.set_phase("up")
            except BaseException as exc:
                base.failed_up(record, exc, keep_on_error=keep_on_error)
                raise
        return facts

    def _vm_specs(self, plan: topology.AddressPlan) -> list[qemu.VmSpec]:
        return [
            qemu.VmSpec(
                name=name,
                fqdn=topology.fqdn(name),
                primary_ip=plan.primary_ip(name),
                secondary_ip=plan.secondary_ip(name),
                prefix_len=plan.primary.prefixlen,
                index=index,
                slot=plan.slot,
                directory=self.layout.machine(name),
            )
            for index, name in enumerate(self.node_names, start=1)
        ]

    def _start_vms(
        self,
        record: LabRecord,
        plan: topology.AddressPlan,
        vms: Sequence[qemu.VmSpec],
        image: images.Image,
    ) -> None:
        bridges = (topology.PRIMARY_BRIDGE, topology.SECONDARY_BRIDGE)
        for vm in vms:
            qemu.create_disks(vm, image.root)
            qemu.write_seed(
                vm, plan, root_key=self.layout.root_key, workstation_key=self.layout.workstation_key
            )
            host.ip_batch(qemu.tap_batch(vm, bridges), netns=self.names.switch_netns)
        for vm in vms:
            argv = qemu.qemu_argv(
                vm, kernel=image.kernel, initrd=image.initrd, switch_netns=self.names.switch_netns
            )
            entry = spawn_recorded(
                argv,
                machine=vm.name,
                role=ROLE,
                log=self.layout.log(vm.name, ROLE),
                record=record,
                what=f"QEMU for {vm.name}",
            )
            time.sleep(0.5)
            if not procs.is_alive(entry):
                procs.reap(entry.pid)
                log = self.layout.log(vm.name, ROLE)
                tail = log.read_text()[-1500:] if log.exists() else ""
                raise LabError(f"QEMU for {vm.name} exited at start: {tail.strip()}")

    def _wait_for_ssh(self, record: LabRecord, vms: Sequence[qemu.VmSpec]) -> None:
        """Each VM's sshd answering with the host key the lab gave it (in known_hosts)."""
        for vm in vms:
            self.check_route(vm.primary_ip)
        pending = {vm.name: vm for vm in vms}
        deadline = time.monotonic() + SSH_TIMEOUT
        while pending:
            for name, vm in list(pending.items()):
                entry = record.processes_of(name, ROLE)[0]
                if not procs.is_alive(entry):
                    procs.reap(entry.pid)
                    raise LabError(f"QEMU for {name} exited; see {vm.console_log}")
                key, known = str(self.layout.workstation_key), str(self.layout.known_hosts)
                if ssh_answers(vm.primary_ip, key, known):
                    del pending[name]
            if pending and time.monotonic() > deadline:
                tails = []
                for vm in pending.values():
                    text = (
                        vm.console_log.read_text(errors="replace")
                        if vm.console_log.exists()
                        else ""
                    )
                    tails.append(f"{vm.name}: ...{text[-800:]}")
                raise LabError(
                    f"VMs {', '.join(pending)} not reachable over SSH after {SSH_TIMEOUT:g} s; "
                    + "\n".join(tails)
                )
            if pending:
                time.sleep(1.0)

    def _facts(self, plan: topology.AddressPlan, image: images.Image) -> DrbdFacts:
        """The lab's facts from the host keys its seeds carry (no cluster yet)."""
        nodes = tuple(
            node_facts(
                plan,
                name,
                keys=host_keys(self.layout.machine(name) / "ssh"),
                netns=self.names.switch_netns,
            )
            for name in self.node_names
        )
        shared = shared_fields(
            plan,
            self.layout,
            name=self.name,
            workstation_link=self.names.workstation_link,
            nodes=nodes,
        )
        return DrbdFacts(
            **shared,
            kind=KIND,
            release=image.spec.release,
            ganeti=images.RELEASES[image.spec.release],
            image=str(image.path),
            volume_group=qemu.VOLUME_GROUP,
        )

    def _write_context(self, record: LabRecord, facts: DrbdFacts) -> None:
        from ganetiops.config import Context, PasswordSource  # lazy: start-up

        cluster = facts.cluster
        assert cluster is not None
        write = cluster.user("write")
        context = Context(
            name=self.name,
            url=cluster.url,
            user=write.name,
            password=PasswordSource("file", write.password_file),
            certificate_sha256=cluster.certificate_sha256,
            description=self._base._context_description(),
        )
        self._base.save_context(record, context, cluster.url)

    # -- down, status -----------------------------------------------------------------

    def down(self) -> bool:
        """Stop every VM by its PID, remove the taps, bridges, veth, routes and files."""
        return self._base.down()

    def status(self) -> LabStatus:
        record = self.record()
        if record is None:
            return LabStatus(name=self.name, slot=None, phase="down", running=False)
        plan = topology.AddressPlan.for_slot(record.slot)
        alive = {
            name: any(procs.is_alive(p) for p in record.processes_of(name, ROLE))
            for name in self.node_names
        }
        roles = self._roles(alive) if record.facts and record.phase == "up" else {}
        machines = tuple(
            MachineStatus(
                name=name,
                fqdn=topology.fqdn(name),
                role=roles.get(topology.fqdn(name), "-"),
                running=alive[name],
                primary_ip=plan.primary_ip(name),
                secondary_ip=plan.secondary_ip(name),
                daemons=(ROLE,) if alive[name] else (),
            )
            for name in self.node_names
        )
        return LabStatus(
            name=self.name,
            slot=record.slot,
            phase=record.phase,
            running=all(alive.values()),
            machines=machines,
            context=record.context.name if record.context else None,
            error=record.error,
            facts=DrbdFacts.from_json(record.facts) if record.facts else None,
        )

    def _roles(self, alive: dict[str, bool]) -> dict[str, str]:
        from ganetiops.lab.status import ROLES  # lazy: lab room, start-up

        for name in self.node_names:
            if not alive.get(name):
                continue
            with contextlib.suppress(LabError):
                done = self.machine(name).run(
                    ["gnt-node", "list", "--no-headers", "--separator=|", "-o", "name,role"],
                    timeout=60,
                    check=False,
                )
                if done.returncode != 0:
                    continue
                roles = {}
                for line in done.stdout.splitlines():
                    node, _, letter = line.partition("|")
                    roles[node] = ROLES.get(letter.strip(), letter.strip())
                return roles
        return {}


def _vms_alive(record: LabRecord) -> bool:
    vms = [p for p in record.processes if p.role == ROLE]
    return bool(vms) and all(procs.is_alive(p) for p in vms)


def record_kind(record: LabRecord | None) -> str:
    """``drbd`` or ``namespace``: which kind of lab a record belongs to."""
    if record is None:
        return "namespace"
    return str(record.options.get("kind", "namespace"))


__all__ = ["DrbdFacts", "DrbdLab", "ProcessEntry", "VmMachine", "preflight", "record_kind"]
