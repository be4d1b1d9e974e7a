"""``instance create`` for netbooted NixOS classes: the sequence of homelab.md §3.5.

:func:`plan_create` reads the cluster and the boot server and decides everything; it
changes nothing and rejects bad or impossible input (an existing instance, a class not
published, too little memory, no way to place a drbd disk...). :func:`apply_create`
then carries the plan out:

1. publish the class from a local directory (when asked; skipped if the sha256 matches);
2. create the host identity ``keys/<host>.tar.gz`` (when asked and absent);
3. create the instance (OS ``pxe``, not started) and wait for the job;
4. read its MAC back and write ``by-mac/<mac>/ipxe`` with the provision flag;
5. start the instance;
6. wait until the boot server's access log shows the wrapper fetched (iPXE at boot);
7. clear the provision flag, so that later boots keep the disk.

>>> plan = plan_create(rapi, boot, CreateRequest("navidrome"))     # doctest: +SKIP
>>> print("\\n".join(plan.lines()))
>>> result = apply_create(rapi, boot, plan, on_event=print)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from ganetiops.errors import BootTimeout, NetbootError, ValidationError
from ganetiops.netboot import keys as keymod
from ganetiops.netboot import wrappers
from ganetiops.netboot.classes import (
    LocalClass,
    PublishPlan,
    UploadProgress,
    class_info,
    find_local_class,
    plan_publish,
    publish,
)
from ganetiops.netboot.knownhosts import pin_host_key
from ganetiops.netboot.layout import class_name, host_label, mac_hyphens
from ganetiops.netboot.report import BootReport, Diagnose, boot_timeout, wait_report
from ganetiops.netboot.server import BootServerClient
from ganetiops.rapi import validate

if TYPE_CHECKING:
    from ganetiops.netboot.accesslog import AccessEntry
    from ganetiops.rapi import RapiClient
    from ganetiops.rapi.models.cluster import ClusterInfo
    from ganetiops.rapi.models.job import LogEntry

KeysMode = Literal["create", "require", "skip"]
KEYS_MODES: Final = ("create", "require", "skip")
PXE_OS: Final = "pxe"
#: Default size of disk 0.
DEFAULT_DISK_MIB: Final = 10 * 1024
#: The guest's own LVs besides /var: home 1 GiB and swap 1 GiB (homelab.md §3.1).
GUEST_FIXED_MIB: Final = 2 * 1024
#: Memory is rounded up to this step.
MEMORY_STEP_MIB: Final = 256
#: How long to wait for the first fetch of the wrapper.
DEFAULT_BOOT_TIMEOUT: Final = 600.0

#: ``on_event(step, message)``: progress of an apply, one line per event.
EventSink = Callable[[str, str], Any]
JobLog = Callable[["LogEntry"], Any]


def _mib_ceil(size_bytes: int) -> int:
    return -(-size_bytes // (1 << 20))


def memory_floor(store_size: int) -> int:
    """Least memory (MiB) for a first boot: twice ``store.squashfs``, rounded up.

    The first boot downloads the store into the root tmpfs, which gets half the RAM,
    before the guest's ``/var`` exists (homelab.md §3.1).
    """
    return _mib_ceil(2 * store_size)


def default_memory(store_size: int, cluster_default: int | None) -> int:
    floor = memory_floor(store_size)
    rounded = -(-floor // MEMORY_STEP_MIB) * MEMORY_STEP_MIB
    return max(rounded, cluster_default or 0)


@attrs.frozen
class CreateRequest:
    """What the owner asked for; sizes in MiB (strings with units are accepted)."""

    name: str
    class_name: str | None = None
    publish: Path | None = None
    keys: KeysMode = "require"
    memory: int | str | None = None
    vcpus: int | None = None
    disk: int | str | None = None
    disk_template: str | None = None
    pnode: str | None = None
    snode: str | None = None
    iallocator: str | None = None
    network: str | None = None
    #: Hypervisor (default: the cluster's first enabled one).
    hypervisor: str | None = None
    start: bool = True
    wait: bool = True
    boot_timeout: float = DEFAULT_BOOT_TIMEOUT


@attrs.frozen
class PlanStep:
    """One step of a plan: what it does, in a sentence."""

    action: str
    text: str


def plan_lines(title: str, steps: Sequence[PlanStep], notes: Sequence[str] = ()) -> list[str]:
    """A plan as text: its title, numbered steps, then notes."""
    out = [title]
    out += [f"  {i}. {step.text}" for i, step in enumerate(steps, 1)]
    out += [f"  note: {note}" for note in notes]
    return out


@attrs.frozen
class CreatePlan:
    """Everything :func:`apply_create` will do, decided up front."""

    name: str
    short: str
    class_name: str
    publish: PublishPlan | None
    store_size: int
    sha256: str | None
    memory: int
    vcpus: int | None
    disk: int
    disk_template: str
    pnode: str | None
    snode: str | None
    iallocator: str | None
    nics: tuple[dict[str, str], ...]
    nic_text: str
    create_keys: bool
    start: bool
    wait: bool
    boot_timeout: float
    steps: tuple[PlanStep, ...]
    notes: tuple[str, ...] = ()
    hypervisor: str | None = None
    #: Wait for the machine's own boot report (the boot server's ``reports``).
    reports: bool = False

    def lines(self) -> list[str]:
        """The plan as text: numbered steps, then notes."""
        return plan_lines(f"Plan for instance {self.name}:", self.steps, self.notes)


@attrs.frozen
class CreateResult:
    """What :func:`apply_create` did."""

    name: str
    class_name: str
    mac: str
    wrapper_url: str
    sha256: str | None
    memory: int
    disk: int
    disk_template: str
    nodes: tuple[str, ...]
    published: bool
    identity: keymod.HostIdentity | None
    started: bool
    fetched: AccessEntry | None
    flag_cleared: bool
    report: BootReport | None = None
    #: The known_hosts line written for the machine (``None``: not pinned).
    pinned: str | None = None

    def summary(self) -> list[str]:
        out = [
            f"instance {self.name}: OS {PXE_OS}, class {self.class_name}, "
            f"{self.memory} MiB, disk {self.disk} MiB ({self.disk_template}), "
            f"nodes {', '.join(self.nodes) or '?'}",
            f"  MAC {self.mac}; wrapper {self.wrapper_url}",
        ]
        if self.sha256:
            now = " (published now)" if self.published else ""
            out.append(f"  class sha256 {self.sha256}{now}")
        if self.identity is not None:
            out.append("  new host identity; add the public keys to the secrets file and rekey:")
            out += [f"    {line}" for line in self.identity.public_lines()]
        if self.fetched is not None:
            out.append(
                f"  first boot: wrapper fetched by {self.fetched.client} at "
                f"{self.fetched.time.isoformat()}"
            )
        if self.report is not None:
            out.append(f"  boot report from {self.report.client}: {self.report.describe()}")
        if self.pinned is not None:
            out.append(f"  host key pinned: {self.pinned.split()[0]} {self.pinned.split()[1]}")
        if self.flag_cleared:
            out.append("  provision flag cleared: later boots keep the disk")
        else:
            out.append(
                f"  WARNING: the provision flag is still set: every boot wipes the disk until "
                f"it is cleared (gnt-py netboot await-boot {self.name}, or "
                f"gnt-py netboot clear-flag {self.name})"
            )
        return out


def _existing_instance(rapi: RapiClient, name: str) -> str | None:
    """The instance called ``name``; else the one whose first label is ``name``'s
    (an exact name always wins: ``navidrome.other.tel`` never finds ``navidrome.homelab.tel``
    when both exist)."""
    short = host_label(name)
    names = rapi.instances.names()
    if name in names:
        return name
    if "." in name.rstrip("."):
        return None  # a full name that does not exist is not another instance's
    for existing in names:
        if host_label(existing) == short:
            return existing
    return None


def refuse_existing(rapi: RapiClient, name: str) -> None:
    """Raise a clear error when an instance of that name, or of its first label, exists
    (two instances with one first label would share keys/<label>.tar.gz: refused)."""
    existing = _existing_instance(rapi, name)
    if existing is None:
        short = host_label(name)
        clash = [n for n in rapi.instances.names() if host_label(n) == short]
        if clash:
            raise ValidationError(
                f"instance {clash[0]} has the same first label as {name}: both would boot "
                f"with hostname {short} and share keys/{short}.tar.gz (one identity for two "
                "machines); choose another first label. Nothing was changed.",
                field="name",
            )
        return
    instance = rapi.instances.get(existing)
    where = f"OS {instance.os or '?'}, primary {instance.pnode or '?'}"
    raise ValidationError(
        f"instance {existing} already exists ({where}); nothing was changed. "
        f"To load a new image: gnt-py instance reimage {existing}; to wipe it: "
        f"gnt-py instance wipe {existing}; to start over: gnt-py instance remove {existing}",
        field="name",
    )


def _publish(
    boot: BootServerClient,
    plan: PublishPlan,
    class_: str,
    say: EventSink,
    on_upload: UploadProgress | None,
) -> bool:
    """Publish ``plan`` and report it; return whether anything was uploaded."""
    result = publish(boot, plan, progress=on_upload)
    say(
        "publish",
        f"class {class_}: "
        + ("skipped, sha256 matches" if result.skipped else f"published {result.sha256}"),
    )
    return not result.skipped


def _await_fetch(
    boot: BootServerClient, mac: str, position: int | None, timeout: float, say: EventSink
) -> AccessEntry:
    """Wait for the wrapper of ``mac`` to be fetched (after ``position``) and report it."""
    fetched = boot.wait_fetch(boot.layout.wrapper_rel(mac), position=position, timeout=timeout)
    say("await", f"wrapper fetched by {fetched.client} at {fetched.time.isoformat()}")
    return fetched


def _placement(
    request: CreateRequest, template: str, default_iallocator: str | None
) -> tuple[str | None, str | None, str | None, str]:
    pnode, snode, iallocator = request.pnode, request.snode, request.iallocator
    if pnode is not None and iallocator is not None:
        raise ValidationError("give --pnode or --iallocator, not both", field="iallocator")
    if snode is not None and pnode is None:
        raise ValidationError("--snode needs --pnode", field="snode")
    if template in validate.MIRRORED_INTERNALLY and pnode is not None and snode is None:
        raise ValidationError(
            f"a {template} instance needs a secondary node: give --snode, or --iallocator "
            "instead of --pnode",
            field="snode",
        )
    if template not in validate.MIRRORED_INTERNALLY and snode is not None:
        raise ValidationError(f"the {template} template has no secondary node", field="snode")
    if pnode is None and iallocator is None:
        if not default_iallocator:
            raise ValidationError(
                "the cluster has no default iallocator: give --pnode (and --snode for drbd) "
                "or --iallocator",
                field="pnode",
            )
        return None, None, None, f"nodes chosen by the cluster's iallocator {default_iallocator}"
    if iallocator is not None:
        return None, None, iallocator, f"nodes chosen by iallocator {iallocator}"
    text = f"on {pnode}" + (f" (secondary {snode})" if snode else "")
    return pnode, snode, None, text


def plan_create(rapi: RapiClient, boot: BootServerClient, request: CreateRequest) -> CreatePlan:
    """Decide every step of a create; read-only. Raises on anything that would fail.

    The checks run in this order, the cheap and local ones first: the request itself,
    then the cluster (name free, template, hypervisor, placement, OS, network), then
    the boot server (class image, sizes it implies, keys, access log).
    """
    name, short, cls, memory_req, disk = _checked_request(request)
    local = find_local_class(request.publish, cls) if request.publish is not None else None

    refuse_existing(rapi, name)
    info = rapi.cluster.info()
    template = _disk_template(request.disk_template, info)
    hypervisor = _hypervisor(request.hypervisor, info)
    # A fake instance runs nothing that could report: only the wrapper fetch counts.
    reports = request.wait and request.start and boot.config.reports and hypervisor != "fake"
    pnode, snode, iallocator, place_text = _placement(request, template, info.default_iallocator)
    _require_pxe_os(rapi)
    nics, nic_text = _nics(rapi, request.network, info)

    publish_plan, store_size, sha = _class_image(boot, cls, local)
    memory = _memory(memory_req, store_size, info)
    _check_disk(disk, store_size)
    create_keys = _keys_to_create(boot, request.keys, short)
    wait, notes = _wait_and_notes(boot, request, short)

    plan = CreatePlan(
        name=name,
        short=short,
        class_name=cls,
        publish=publish_plan,
        store_size=store_size,
        sha256=sha,
        memory=memory,
        vcpus=request.vcpus,
        disk=disk,
        disk_template=template,
        pnode=pnode,
        snode=snode,
        iallocator=iallocator,
        nics=nics,
        nic_text=nic_text,
        create_keys=create_keys,
        start=request.start,
        wait=wait,
        boot_timeout=request.boot_timeout,
        steps=(),
        notes=tuple(notes),
        hypervisor=request.hypervisor,
        reports=reports and wait,
    )
    return attrs.evolve(plan, steps=_steps(plan, request, boot, place_text))


def _checked_request(request: CreateRequest) -> tuple[str, str, str, int | None, int]:
    """The request's own values checked (no I/O): name, first label, class, memory, disk."""
    name = validate.hostname(request.name, "name")
    short = host_label(name)
    cls = class_name(request.class_name or short)
    if request.keys not in KEYS_MODES:
        raise ValidationError(f"keys: expected one of {', '.join(KEYS_MODES)}", field="keys")
    memory_req = validate.size_mib(request.memory, "memory") if request.memory else None
    disk = validate.size_mib(request.disk or DEFAULT_DISK_MIB, "disk")
    if request.vcpus is not None and (isinstance(request.vcpus, bool) or request.vcpus < 1):
        raise ValidationError("vcpus: expected a positive integer", field="vcpus")
    if request.hypervisor is not None:
        validate.choice(request.hypervisor, validate.HYPERVISORS, "hypervisor")
    if request.boot_timeout <= 0:
        raise ValidationError("boot timeout: expected a positive number", field="boot_timeout")
    for field in ("pnode", "snode"):
        value = getattr(request, field)
        if value is not None:
            validate.hostname(value, field)
    return name, short, cls, memory_req, disk


def _disk_template(asked: str | None, info: ClusterInfo) -> str:
    """The template asked for, or the cluster's first enabled one; never diskless."""
    enabled = info.enabled_disk_templates
    template = asked or (enabled[0] if enabled else "")
    if not template:
        raise ValidationError("the cluster enables no disk template", field="disk_template")
    validate.choice(template, validate.DISK_TEMPLATES, "disk_template")
    if enabled and template not in enabled:
        raise ValidationError(
            f"disk template {template} is not enabled on this cluster "
            f"(enabled: {', '.join(enabled)})",
            field="disk_template",
        )
    if template == "diskless":
        raise ValidationError(
            "a pxe instance needs disk 0 for its iPXE image: choose another disk template",
            field="disk_template",
        )
    return template


def _hypervisor(asked: str | None, info: ClusterInfo) -> str | None:
    """The hypervisor the instance will run under (asked, else the cluster's first)."""
    hypervisors = list(info.enabled_hypervisors)
    if asked is not None and hypervisors and asked not in hypervisors:
        raise ValidationError(
            f"hypervisor {asked} is not enabled on this cluster "
            f"(enabled: {', '.join(hypervisors)})",
            field="hypervisor",
        )
    return asked or (hypervisors[0] if hypervisors else None)


def _require_pxe_os(rapi: RapiClient) -> None:
    os_names = {os.name for os in rapi.os.list()}
    if PXE_OS not in os_names:
        raise ValidationError(
            f"OS {PXE_OS} is not installed on every node (the cluster offers "
            f"{', '.join(sorted(os_names)) or 'none'}): gnt-py node install-os-provider",
            field="os",
        )


def _nics(
    rapi: RapiClient, network: str | None, info: ClusterInfo
) -> tuple[tuple[dict[str, str], ...], str]:
    """The one NIC (on ``network``, or with the cluster's defaults) and its description."""
    if network is not None:
        network = validate.object_name(network, "network")
        if network not in rapi.networks.names():
            raise ValidationError(f"network {network} does not exist", field="network")
        return ({"network": network},), f"NIC on network {network}"
    defaults = info.nic_defaults
    shown = ",".join(f"{k}={defaults[k]}" for k in ("mode", "link") if defaults.get(k))
    return ({},), f"NIC with the cluster defaults ({shown or 'none'})"


def _class_image(
    boot: BootServerClient, cls: str, local: LocalClass | None
) -> tuple[PublishPlan | None, int, str | None]:
    """How the class gets to the boot server (a publish plan, or already there and
    served), with the size of its store and its sha256."""
    if local is not None:
        return plan_publish(boot, local), local.store_size, local.sha256
    current = class_info(boot, cls)
    if current is None or not current.complete:
        missing = "" if current is None else f" (lacks {', '.join(current.missing)})"
        raise ValidationError(
            f"class {cls} is not published on the boot server{missing}: give --publish DIR "
            f"or run gnt-py netboot publish DIR --class {cls}",
            field="class",
        )
    assert current.store_size is not None
    served = boot.served_sha256(cls)
    if served != current.sha256:
        raise ValidationError(
            f"class {cls} is on the boot server, but {boot.layout.class_url(cls, 'ipxe')} "
            f"serves sha256 {served or 'nothing'} instead of {current.sha256}: check the "
            "context's boot url and root",
            field="class",
        )
    return None, current.store_size, current.sha256


def _memory(asked: int | None, store_size: int, info: ClusterInfo) -> int:
    """The memory (asked, else a default the store needs), at least the store's floor."""
    floor = memory_floor(store_size)
    default_mem = info.beparams.get("default", {}).get("maxmem")
    memory = asked or default_memory(
        store_size, default_mem if isinstance(default_mem, int) else None
    )
    if memory < floor:
        raise ValidationError(
            f"memory: {memory} MiB is less than twice store.squashfs "
            f"({_mib_ceil(store_size)} MiB), at least {floor} MiB: the first boot downloads the "
            "store into a tmpfs of half the RAM",
            field="memory",
        )
    return memory


def _check_disk(disk: int, store_size: int) -> None:
    disk_floor = GUEST_FIXED_MIB + _mib_ceil(store_size) + 1
    if disk < disk_floor:
        raise ValidationError(
            f"disk: {disk} MiB cannot hold the guest's home and swap (2 GiB) plus the store "
            f"cache in /var ({_mib_ceil(store_size)} MiB): at least {disk_floor} MiB",
            field="disk",
        )


def _keys_to_create(boot: BootServerClient, keys: KeysMode, short: str) -> bool:
    """Whether the create makes the host identity; raises if it is required and missing."""
    if keys == "skip" or boot.keys_entry(short) is not None:
        return False
    if keys == "require":
        raise ValidationError(
            f"keys/{short}.tar.gz is not on the boot server: create it first with "
            f"gnt-py netboot keys create {short} (then put its public host key in the "
            "secrets file, rekey and rebuild the class), or pass --keys create",
            field="keys",
        )
    return True


def _wait_and_notes(
    boot: BootServerClient, request: CreateRequest, short: str
) -> tuple[bool, list[str]]:
    """Whether the first boot can be awaited, and what the owner should know."""
    notes: list[str] = []
    wait = request.wait and request.start
    if wait and not boot.config.access_log:
        wait = False
        notes.append(
            "the boot server has no access log configured (boot.access-log): the first boot "
            "cannot be seen, so the provision flag stays set until you clear it"
        )
    leftovers = [s.wrapper.mac for s in boot.find_wrappers(short)]
    if leftovers:
        notes.append(
            f"wrapper(s) for {short} already exist at by-mac/{', by-mac/'.join(leftovers)} "
            "(an earlier instance?); they are left alone"
        )
    return wait, notes


def _steps(
    plan: CreatePlan, request: CreateRequest, boot: BootServerClient, place_text: str
) -> tuple[PlanStep, ...]:
    """The plan's steps, in the order :func:`apply_create` takes them."""
    short, cls = plan.short, plan.class_name
    steps: list[PlanStep] = []
    if plan.publish is not None:
        steps.append(PlanStep("publish", plan.publish.describe()))
    else:
        steps.append(PlanStep("class", f"class {cls} is published (sha256 {plan.sha256})"))
    if plan.create_keys:
        steps.append(
            PlanStep("keys", f"create host identity keys/{short}.tar.gz (RSA host, ed25519 root)")
        )
    elif request.keys == "skip":
        steps.append(PlanStep("keys", f"keys/{short}.tar.gz not checked (--keys skip)"))
    else:
        steps.append(PlanStep("keys", f"keys/{short}.tar.gz is present"))
    vcpu_text = f", {request.vcpus} vCPUs" if request.vcpus else ""
    if request.hypervisor:
        vcpu_text += f", hypervisor {request.hypervisor}"
    steps.append(
        PlanStep(
            "create",
            f"create instance {plan.name}: OS {PXE_OS}, {plan.disk_template} disk of "
            f"{plan.disk} MiB, {plan.memory} MiB memory (at least "
            f"{memory_floor(plan.store_size)}){vcpu_text}, {plan.nic_text}, {place_text}; "
            "not started; name_check=false, ip_check=false (sent: the instance keeps the "
            "name given and gets its address when it boots)",
        )
    )
    steps.append(
        PlanStep(
            "wrapper",
            f"read its MAC, write nixos/by-mac/<mac>/ipxe: {boot.hostname_param}={short}, "
            f"{wrappers.PROVISION_FLAG}, chain {boot.layout.class_url(cls)}",
        )
    )
    if request.start:
        steps.append(PlanStep("start", f"start instance {plan.name}"))
    return (*steps, *_boot_steps(plan, request, boot))


def _boot_steps(plan: CreatePlan, request: CreateRequest, boot: BootServerClient) -> list[PlanStep]:
    """After the start: await the first boot and clear the flag, or leave it set."""
    if not plan.wait:
        return [PlanStep("flag", "leave the provision flag set (clear it after the first boot)")]
    steps = [
        PlanStep(
            "await",
            f"wait up to {plan.boot_timeout:g} s for the boot server's access log to "
            "show the wrapper fetched (first boot)",
        ),
        PlanStep("clear", "clear the provision flag from the wrapper"),
    ]
    if plan.reports:
        pin = boot.config.pin_known_hosts
        steps.append(
            PlanStep(
                "report",
                "wait for the machine's own boot report (GET /nixos/report/<mac>) and "
                "check its class and hostname"
                + (f"; pin its host key in {pin}" if pin and request.keys != "skip" else ""),
            )
        )
    return steps


def check_report(report: BootReport, *, class_: str, hostname: str, provisioned: bool) -> None:
    """Raise :class:`NetbootError` unless the machine says it runs ``class_`` as
    ``hostname`` (and, for a first boot, that it provisioned its disks)."""
    problems = []
    if report.class_name != class_:
        problems.append(f"it runs class {report.class_name or '?'}, not {class_}")
    if report.hostname != hostname:
        problems.append(f"its hostname is {report.hostname or '?'}, not {hostname}")
    if provisioned and not report.provisioned:
        problems.append("it did not provision its disks although the flag was set")
    if problems:
        raise NetbootError(f"the boot report of {report.mac} is wrong: {'; '.join(problems)}")


def await_report(
    boot: BootServerClient,
    mac: str,
    position: int,
    timeout: float,
    say: EventSink,
    diagnose: Diagnose | None,
) -> BootReport:
    """Wait for the machine's report (logged after ``position``) and say what it says."""
    say("report", f"waiting for the boot report of {mac_hyphens(mac)}")
    report = wait_report(boot, mac, position=position, timeout=timeout, diagnose=diagnose)
    say("report", f"{report.client}: {report.describe()}")
    return report


def pin_machine(
    boot: BootServerClient,
    identity: keymod.HostIdentity | None,
    short: str,
    names: tuple[str, ...],
    report: BootReport,
) -> str | None:
    """Pin the machine's host key (from ``identity`` or its key tarball) for its names
    and reported address; ``None`` when the context pins nowhere or no key is known."""
    path = boot.config.pin_known_hosts
    if not path:
        return None
    if identity is None:
        identity = boot.read_identity(short)
    if identity is None:
        return None
    all_names = [n for n in dict.fromkeys((*names, report.ip or "")) if n]
    return pin_host_key(path, all_names, identity.host_public)


def apply_create(
    rapi: RapiClient,
    boot: BootServerClient,
    plan: CreatePlan,
    *,
    on_event: EventSink | None = None,
    on_log: JobLog | None = None,
    on_upload: UploadProgress | None = None,
    diagnose: Diagnose | None = None,
) -> CreateResult:
    """Carry out a :class:`CreatePlan`. Stops at the first failure, saying what is done.

    ``diagnose()`` gives lines (such as the VM's last serial console lines) that a
    timeout error carries besides the access log.
    """
    say: EventSink = on_event or (lambda _step, _text: None)
    done: list[str] = []

    def failed(exc: BaseException) -> NetbootError:
        state = "; ".join(done) or "nothing was changed"
        kind = type(exc) if isinstance(exc, NetbootError) else NetbootError
        return kind(f"create {plan.name} stopped: {exc}. Done so far: {state}")

    refuse_existing(rapi, plan.name)
    published = False
    try:
        if plan.publish is not None:
            published = _publish(boot, plan.publish, plan.class_name, say, on_upload)
            if published:
                done.append(f"class {plan.class_name} published")
        identity = _make_identity(boot, plan, say, done)
        mac, nodes = _create_instance(rapi, plan, on_log, say, done)
        position = boot.log_position() if plan.wait else None
        _write_wrapper(boot, plan, mac, say, done)
        if plan.start:
            say("start", f"starting instance {plan.name}")
            rapi.instances.startup(plan.name).wait(on_log=on_log)
            done.append(f"instance {plan.name} started")
        fetched, report, pinned = None, None, None
        if plan.wait:
            assert position is not None
            fetched, report, pinned = _first_boot(
                boot, plan, mac, position, identity, say, done, diagnose
            )
    except NetbootError as exc:
        raise failed(exc) from exc
    except Exception as exc:
        if not done:
            raise
        raise failed(exc) from exc
    return CreateResult(
        name=plan.name,
        class_name=plan.class_name,
        mac=mac,
        wrapper_url=boot.layout.wrapper_url(mac),
        sha256=plan.sha256,
        memory=plan.memory,
        disk=plan.disk,
        disk_template=plan.disk_template,
        nodes=nodes,
        published=published,
        identity=identity,
        started=plan.start,
        fetched=fetched,
        flag_cleared=fetched is not None,
        report=report,
        pinned=pinned,
    )


def _make_identity(
    boot: BootServerClient, plan: CreatePlan, say: EventSink, done: list[str]
) -> keymod.HostIdentity | None:
    """The new host identity, uploaded, when the plan creates one."""
    if not plan.create_keys:
        return None
    identity = keymod.generate(plan.short)
    boot.upload_identity(identity)
    done.append(f"keys/{plan.short}.tar.gz created")
    say("keys", f"keys/{plan.short}.tar.gz uploaded")
    return identity


def _create_instance(
    rapi: RapiClient, plan: CreatePlan, on_log: JobLog | None, say: EventSink, done: list[str]
) -> tuple[str, tuple[str, ...]]:
    """Create the instance, not started; its first NIC's MAC and its nodes."""
    say("create", f"creating instance {plan.name}")
    extra: dict[str, Any] = {"hypervisor": plan.hypervisor} if plan.hypervisor else {}
    job = rapi.instances.create(
        plan.name,
        disk_template=plan.disk_template,
        disks=[{"size": plan.disk}],
        nics=[dict(n) for n in plan.nics],
        os=PXE_OS,
        pnode=plan.pnode,
        snode=plan.snode,
        iallocator=plan.iallocator,
        beparams={
            "minmem": plan.memory,
            "maxmem": plan.memory,
            **({"vcpus": plan.vcpus} if plan.vcpus else {}),
        },
        start=False,
        # Deliberate, and said in the plan: a name check would rename the instance to
        # the name its short name resolves to (the wrapper and keys use the name given),
        # and an IP check would ping an address the VM only gets when it boots.
        name_check=False,
        ip_check=False,
        **extra,
    )
    outcome = job.wait(on_log=on_log)
    done.append(f"instance {plan.name} created (job {job.id})")
    nodes = tuple(outcome.value or ())
    instance = rapi.instances.get(plan.name)
    mac = instance.nics[0].mac if instance.nics else None
    if not mac:
        raise NetbootError(f"instance {plan.name} has no MAC address on its first NIC")
    say("mac", f"MAC {mac}")
    return mac, nodes or tuple(n for n in (instance.pnode, *instance.snodes) if n)


def _write_wrapper(
    boot: BootServerClient, plan: CreatePlan, mac: str, say: EventSink, done: list[str]
) -> None:
    """The machine's iPXE wrapper, with the provision flag set."""
    text = wrappers.render(
        boot.layout,
        mac=mac,
        hostname=plan.short,
        class_=plan.class_name,
        provision=True,
        hostname_parameter=boot.hostname_param,
    )
    boot.write_wrapper(mac, text)
    done.append(f"wrapper by-mac/{mac_hyphens(mac)}/ipxe written with the flag")
    say("wrapper", f"{boot.layout.wrapper_url(mac)} written with the provision flag")


def _first_boot(
    boot: BootServerClient,
    plan: CreatePlan,
    mac: str,
    position: int,
    identity: keymod.HostIdentity | None,
    say: EventSink,
    done: list[str],
    diagnose: Diagnose | None,
) -> tuple[AccessEntry, BootReport | None, str | None]:
    """Await the wrapper's fetch, clear the flag, then (when the plan says so) check
    the machine's boot report and pin its host key: (fetch, report, pinned line)."""
    say("await", f"waiting for {plan.name} to fetch its wrapper")
    try:
        fetched = _await_fetch(boot, mac, position, plan.boot_timeout, say)
    except BootTimeout as exc:
        seen = boot.log_since(position)[0]
        raise boot_timeout(str(exc), seen, position, diagnose) from None
    boot.set_flag(mac, False)
    done.append("provision flag cleared after the wrapper was fetched")
    say("clear", "provision flag cleared")
    if not plan.reports:
        return fetched, None, None
    report = await_report(boot, mac, position, plan.boot_timeout, say, diagnose)
    check_report(report, class_=plan.class_name, hostname=plan.short, provisioned=True)
    names = tuple(dict.fromkeys((plan.short, plan.name)))
    pinned = pin_machine(boot, identity, plan.short, names, report)
    if pinned is not None:
        say("pin", f"host key pinned for {pinned.split()[0]}")
    return fetched, report, pinned
