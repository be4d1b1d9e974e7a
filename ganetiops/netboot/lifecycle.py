"""After create: wipe, remove, and the first-boot wait — each planned, then applied
(re-image is :mod:`ganetiops.netboot.reimage`, built on the :class:`Target` here).

* **wipe** ("Full wipe"): set the provision flag, reboot, wait for the wrapper fetch,
  clear the flag.
* **remove**: remove the instance, its wrapper(s) and its key tarball.
* **await_boot**: wait for the fetch of a flagged wrapper, then clear the flag (what
  ``create --no-wait`` leaves for later).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ganetiops.errors import NetbootError, RapiNotFoundError, ValidationError
from ganetiops.netboot import wrappers
from ganetiops.netboot.layout import host_label, mac_hyphens
from ganetiops.netboot.pins import remove_pin, unused_pins
from ganetiops.netboot.sequence import (
    DEFAULT_BOOT_TIMEOUT,
    PXE_OS,
    EventSink,
    JobLog,
    PlanStep,
    await_fetch,
    existing_instance,
    plan_lines,
)
from ganetiops.netboot.server import BootServerClient, WrapperState
from ganetiops.rapi import validate

if TYPE_CHECKING:
    from ganetiops.netboot.accesslog import AccessEntry
    from ganetiops.rapi import RapiClient
    from ganetiops.rapi.models.instance import Instance


@attrs.frozen
class Target:
    """An instance as the cluster and the boot server know it."""

    name: str
    short: str
    instance: Instance | None
    mac: str | None
    wrapper: WrapperState | None

    @property
    def running(self) -> bool:
        return bool(self.instance is not None and self.instance.oper_state)


def _silent(_step: str, _text: str) -> None:
    return None


def find_target(rapi: RapiClient, boot: BootServerClient, name: str) -> Target:
    """The instance ``name`` (by full or short name) and its wrapper, if any."""
    validate.hostname(name, "name")
    short = host_label(name)
    existing = existing_instance(rapi, name)
    instance = rapi.instances.get(existing) if existing is not None else None
    mac = instance.nics[0].mac if instance is not None and instance.nics else None
    wrapper = boot.wrapper(mac) if mac else None
    return Target(instance.name if instance else name, short, instance, mac, wrapper)


def _is_fake(instance: Instance | None) -> bool:
    """Whether the instance runs on Ganeti's ``fake`` hypervisor (nothing boots)."""
    raw = getattr(instance, "raw", None) or {}
    hypervisor = raw.get("hypervisor") if isinstance(raw, dict) else None
    if hypervisor:
        return bool(hypervisor == "fake")
    hvparams = getattr(instance, "hvparams", None) or {}
    return "kvm_path" not in hvparams and "kernel_path" not in hvparams


def _require_pxe(target: Target) -> None:
    if target.instance is None:
        raise ValidationError(f"instance {target.name} does not exist", field="name")
    if (target.instance.os or "").split("+")[0] != PXE_OS:
        raise ValidationError(
            f"instance {target.name} runs OS {target.instance.os}, not {PXE_OS}: it does not "
            "netboot a class",
            field="name",
        )
    if target.mac is None:
        raise NetbootError(f"instance {target.name} has no MAC on its first NIC")
    if target.wrapper is None:
        raise ValidationError(
            f"instance {target.name} has no wrapper at by-mac/{mac_hyphens(target.mac)}/ipxe",
            field="name",
        )


def _boot_verb(target: Target) -> tuple[str, str]:
    if target.running:
        return "reboot", f"reboot instance {target.name} (hard)"
    return "start", f"start instance {target.name} (it is not running)"


def _power(rapi: RapiClient, target: Target, verb: str, on_log: JobLog | None) -> None:
    if verb == "reboot":
        rapi.instances.reboot(target.name, type="hard").wait(on_log=on_log)
    else:
        rapi.instances.startup(target.name).wait(on_log=on_log)


# -- wipe ---------------------------------------------------------------------------------


@attrs.frozen
class WipePlan:
    target: Target
    verb: str
    wait: bool
    boot_timeout: float
    steps: tuple[PlanStep, ...]

    def lines(self) -> list[str]:
        title = f"Plan to wipe {self.target.name} (its disk is formatted anew at boot):"
        return plan_lines(title, self.steps)


@attrs.frozen
class WipeResult:
    name: str
    fetched: AccessEntry | None
    flag_cleared: bool


def plan_wipe(
    rapi: RapiClient,
    boot: BootServerClient,
    name: str,
    *,
    wait: bool = True,
    boot_timeout: float = DEFAULT_BOOT_TIMEOUT,
) -> WipePlan:
    target = find_target(rapi, boot, name)
    _require_pxe(target)
    assert target.mac is not None
    wait = wait and bool(boot.config.access_log)
    verb, verb_text = _boot_verb(target)
    steps = [
        PlanStep("flag", f"set {wrappers.PROVISION_FLAG} in {boot.layout.wrapper_url(target.mac)}"),
        PlanStep(verb, verb_text),
    ]
    if wait:
        steps += [
            PlanStep("await", "wait for the wrapper fetch in the access log"),
            PlanStep("clear", "clear the provision flag"),
        ]
    else:
        steps.append(PlanStep("flag", "leave the flag set (clear it after the boot)"))
    return WipePlan(target, verb, wait, boot_timeout, tuple(steps))


def apply_wipe(
    rapi: RapiClient,
    boot: BootServerClient,
    plan: WipePlan,
    *,
    on_event: EventSink | None = None,
    on_log: JobLog | None = None,
) -> WipeResult:
    say = on_event or _silent
    mac = plan.target.mac
    assert mac is not None
    position = boot.log_position() if plan.wait else None
    boot.set_flag(mac, True)
    say("flag", "provision flag set")
    say(plan.verb, plan.steps[1].text)
    _power(rapi, plan.target, plan.verb, on_log)
    fetched = None
    if plan.wait:
        fetched = await_fetch(boot, mac, position, plan.boot_timeout, say)
        boot.set_flag(mac, False)
        say("clear", "provision flag cleared")
    return WipeResult(plan.target.name, fetched, plan.wait)


# -- remove -------------------------------------------------------------------------------


@attrs.frozen
class RemovePlan:
    name: str
    short: str
    instance: bool
    macs: tuple[str, ...]
    keys: bool
    steps: tuple[PlanStep, ...]
    notes: tuple[str, ...] = ()
    #: Pinned generations (class, key) only the removed wrappers chained.
    pins: tuple[tuple[str, str], ...] = ()

    def lines(self) -> list[str]:
        return plan_lines(f"Plan to remove {self.name}:", self.steps, self.notes)


@attrs.frozen
class RemoveResult:
    name: str
    instance_removed: bool
    wrappers_removed: tuple[str, ...]
    keys_removed: bool
    pins_removed: tuple[str, ...] = ()


def _orphaned_pins(boot: BootServerClient, macs: list[str]) -> list[tuple[str, str]]:
    """The pins chained by the wrappers of ``macs`` and by no other wrapper."""
    chained = set()
    for mac in macs:
        state = boot.wrapper(mac)
        if state is not None and state.wrapper.pin and state.wrapper.class_name:
            chained.add((state.wrapper.class_name, state.wrapper.pin))
    out = []
    for klass in sorted({k for k, _ in chained}):
        out += [p for p in unused_pins(boot, klass, ignore=tuple(macs)) if p in chained]
    return out


def plan_remove(
    rapi: RapiClient, boot: BootServerClient, name: str, *, keep_keys: bool = False
) -> RemovePlan:
    """Remove the instance and what the boot server holds for it (leftovers too)."""
    target = find_target(rapi, boot, name)
    # Another instance with the same first label shares keys/<label>.tar.gz and the
    # wrappers naming that label: they are its identity too, and are left alone.
    sharing = [
        other
        for other in rapi.instances.names()
        if other != target.name and host_label(other) == target.short
    ]
    macs = []
    if target.mac and target.wrapper is not None:
        macs.append(mac_hyphens(target.mac))
    if not sharing:
        for state in boot.find_wrappers(target.short):
            if state.wrapper.mac not in macs:
                macs.append(state.wrapper.mac)
    has_keys = not keep_keys and not sharing and boot.keys_entry(target.short) is not None
    steps = []
    notes = []
    if sharing and boot.keys_entry(target.short) is not None:
        notes.append(
            f"keys/{target.short}.tar.gz is kept: instance {', '.join(sharing)} has the same "
            "first label and boots with that identity too"
        )
    if target.instance is not None:
        steps.append(
            PlanStep(
                "remove",
                f"remove instance {target.name} and its disks (OS "
                f"{target.instance.os}, primary {target.instance.pnode})",
            )
        )
    steps += [PlanStep("wrapper", f"remove wrapper by-mac/{mac}/ipxe") for mac in macs]
    pins = _orphaned_pins(boot, macs)
    steps += [
        PlanStep("pin", f"remove pinned generation by-class/{k}.gen-{key} (no other wrapper)")
        for k, key in pins
    ]
    if has_keys:
        steps.append(PlanStep("keys", f"remove keys/{target.short}.tar.gz"))
    if not steps:
        raise ValidationError(
            f"nothing to remove: no instance {name}, no wrapper naming {target.short}"
            + ("" if keep_keys else f", no keys/{target.short}.tar.gz"),
            field="name",
        )
    return RemovePlan(
        target.name,
        target.short,
        target.instance is not None,
        tuple(macs),
        has_keys,
        tuple(steps),
        tuple(notes),
        pins=tuple(pins),
    )


def apply_remove(
    rapi: RapiClient,
    boot: BootServerClient,
    plan: RemovePlan,
    *,
    on_event: EventSink | None = None,
    on_log: JobLog | None = None,
    shutdown_timeout: int | None = None,
) -> RemoveResult:
    say = on_event or _silent
    removed_instance = False
    if plan.instance:
        say("remove", f"removing instance {plan.name}")
        try:
            rapi.instances.remove(plan.name, shutdown_timeout=shutdown_timeout).wait(on_log=on_log)
            removed_instance = True
        except RapiNotFoundError:
            say("remove", f"instance {plan.name} was already gone")
    gone = []
    for mac in plan.macs:
        if boot.remove_wrapper(mac):
            gone.append(mac)
            say("wrapper", f"wrapper by-mac/{mac}/ipxe removed")
    pins = []
    for klass, key in plan.pins:
        remove_pin(boot, klass, key)
        pins.append(f"{klass}.gen-{key}")
        say("pin", f"by-class/{klass}.gen-{key} removed")
    keys_removed = False
    if plan.keys:
        keys_removed = boot.remove_identity(plan.short)
        say("keys", f"keys/{plan.short}.tar.gz removed")
    return RemoveResult(plan.name, removed_instance, tuple(gone), keys_removed, tuple(pins))


# -- first boot ---------------------------------------------------------------------------


def resolve_mac(rapi: RapiClient | None, boot: BootServerClient, name_or_mac: str) -> str:
    """A MAC (hyphenated) from a MAC, an instance name, or a wrapper's hostname."""
    try:
        return mac_hyphens(name_or_mac)
    except ValidationError:
        pass
    validate.hostname(name_or_mac, "name")
    if rapi is not None:
        try:
            instance = rapi.instances.get(name_or_mac)
        except RapiNotFoundError:
            instance = None
        if instance is not None and instance.nics and instance.nics[0].mac:
            return mac_hyphens(instance.nics[0].mac)
    found = boot.find_wrappers(name_or_mac)
    if len(found) == 1:
        return found[0].wrapper.mac
    if not found:
        raise ValidationError(f"no instance and no wrapper named {name_or_mac}", field="name")
    raise ValidationError(
        f"several wrappers name {name_or_mac} ({', '.join(s.wrapper.mac for s in found)}): "
        "give the MAC",
        field="name",
    )


def await_boot(
    boot: BootServerClient,
    mac: str,
    *,
    timeout: float = DEFAULT_BOOT_TIMEOUT,
    clear: bool = True,
) -> tuple[AccessEntry, bool]:
    """Wait for a fetch of the wrapper made since it was last written; then clear the flag.

    Returns the fetch and whether the flag was cleared (``False`` when it was not set).
    """
    state = boot.wrapper(mac)
    if state is None:
        raise NetbootError(f"no wrapper for {mac_hyphens(mac)} on the boot server")
    fetched = boot.wait_fetch(
        boot.layout.wrapper_rel(mac), since_mtime=state.mtime, timeout=timeout
    )
    cleared = boot.set_flag(mac, False) if clear else False
    return fetched, cleared
