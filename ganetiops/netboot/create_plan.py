"""The plan of ``instance create`` for a netbooted class: every step decided, nothing changed.

:func:`plan_create` reads the cluster and the boot server and rejects bad or impossible
input (an existing instance, a class not published, too little memory, no way to place
a drbd disk...); the :class:`CreatePlan` it returns says in sentences what
:func:`~ganetiops.netboot.create.apply_create` will do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ganetiops.errors import ValidationError
from ganetiops.netboot import wrappers
from ganetiops.netboot.classes import (
    LocalClass,
    PublishPlan,
    class_info,
    find_local_class,
    plan_publish,
)
from ganetiops.netboot.create_request import (
    GUEST_FIXED_MIB,
    CreateRequest,
    KeysMode,
    checked_request,
    default_memory,
    memory_floor,
    mib_ceil,
)
from ganetiops.netboot.layout import host_label
from ganetiops.netboot.sequence import PXE_OS, PlanStep, existing_instance, plan_lines
from ganetiops.netboot.server import BootServerClient
from ganetiops.rapi import validate

if TYPE_CHECKING:
    from ganetiops.rapi import RapiClient
    from ganetiops.rapi.models.cluster import ClusterInfo


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


def refuse_existing(rapi: RapiClient, name: str) -> None:
    """Raise a clear error when an instance of that name, or of its first label, exists
    (two instances with one first label would share keys/<label>.tar.gz: refused)."""
    existing = existing_instance(rapi, name)
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
    name, short, cls, memory_req, disk = checked_request(request)
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
            f"({mib_ceil(store_size)} MiB), at least {floor} MiB: the first boot downloads the "
            "store into a tmpfs of half the RAM",
            field="memory",
        )
    return memory


def _check_disk(disk: int, store_size: int) -> None:
    disk_floor = GUEST_FIXED_MIB + mib_ceil(store_size) + 1
    if disk < disk_floor:
        raise ValidationError(
            f"disk: {disk} MiB cannot hold the guest's home and swap (2 GiB) plus the store "
            f"cache in /var ({mib_ceil(store_size)} MiB): at least {disk_floor} MiB",
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
