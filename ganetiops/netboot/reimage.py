"""Re-image an instance (homelab.md §3.5 "Re-image"), planned, then applied.

Optionally publish a new build of the class, or point the wrapper at another class,
or return to the class's previous generation: this instance alone (its wrapper pinned
to a copy of ``<class>.old``, :mod:`ganetiops.netboot.pins`) or, class-wide, every
instance (``<class>.old`` swapped in); then reboot. The guest sees the new
``.sha256`` and downloads the new store; with ``reports`` the machine's own boot
report must show the planned class and store. Refused while the wrapper carries the
provision flag (that reboot would wipe).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from ganetiops.errors import BootTimeout, NetbootError, ValidationError
from ganetiops.netboot import wrappers
from ganetiops.netboot.classes import (
    PublishPlan,
    UploadProgress,
    class_info,
    find_local_class,
    plan_publish,
)
from ganetiops.netboot.classes import rollback as classes_rollback
from ganetiops.netboot.layout import class_name, pin_key
from ganetiops.netboot.lifecycle import (
    Target,
    _boot_verb,
    _is_fake,
    _power,
    _require_pxe,
    _silent,
    find_target,
)
from ganetiops.netboot.pins import pin_previous, pinned_sha256, remove_pin, unused_pins
from ganetiops.netboot.report import BootReport, Diagnose, boot_timeout
from ganetiops.netboot.sequence import (
    DEFAULT_BOOT_TIMEOUT,
    EventSink,
    JobLog,
    PlanStep,
    await_fetch,
    await_report,
    plan_lines,
    publish_class,
)
from ganetiops.netboot.server import BootServerClient

if TYPE_CHECKING:
    from ganetiops.netboot.accesslog import AccessEntry
    from ganetiops.rapi import RapiClient


@attrs.frozen
class ReimagePlan:
    target: Target
    class_name: str
    publish: PublishPlan | None
    sha256: str | None
    verb: str
    wait: bool
    boot_timeout: float
    steps: tuple[PlanStep, ...]
    notes: tuple[str, ...] = ()
    #: The wrapper chains another class (or a pinned generation) now, and is pointed
    #: at ``class_name`` (at generation ``pin`` when set).
    repoint_from: str | None = None
    #: Roll the class back to ``<class>.old`` for every instance first (class-wide).
    rollback: bool = False
    #: Wait for the machine's boot report and check it runs ``sha256``.
    reports: bool = False
    #: Pin this instance to the class's previous generation (per-instance rollback):
    #: the key of ``<class>.gen-<key>``, copied from ``<class>.old``.
    pin: str | None = None

    def lines(self) -> list[str]:
        return plan_lines(f"Plan to re-image {self.target.name}:", self.steps, self.notes)


@attrs.frozen
class ReimageResult:
    name: str
    class_name: str
    sha256: str | None
    published: bool
    fetched: AccessEntry | None
    report: BootReport | None = None
    rolled_back: bool = False
    #: The pinned generation the wrapper chains now (``None``: the class as published).
    pin: str | None = None
    #: Pins of the class removed because no wrapper chained them any more.
    pins_removed: tuple[str, ...] = ()


def _chained(target: Target) -> tuple[str | None, str | None]:
    """The class and pinned generation the target's wrapper chains."""
    assert target.wrapper is not None
    return target.wrapper.wrapper.class_name, target.wrapper.wrapper.pin


def _refuse_flagged(target: Target) -> None:
    assert target.wrapper is not None
    if target.wrapper.wrapper.provision:
        raise ValidationError(
            f"the wrapper of {target.name} still carries the provision flag, so a reboot "
            f"would wipe the disk: use gnt-py instance wipe {target.name}, or clear the flag "
            f"first (gnt-py netboot clear-flag {target.name})",
            field="name",
        )


def _rollback_source(
    boot: BootServerClient, target: Target, cls: str, class_wide: bool
) -> tuple[str, list[PlanStep], list[str], str | None]:
    """The sha256, steps, notes and pin of a rollback (see :func:`plan_reimage`)."""
    info = class_info(boot, cls)
    if info is None or not info.has_old or not info.old_sha256:
        raise ValidationError(
            f"class {cls} has no previous generation on the boot server "
            f"(nixos/by-class/{cls}.old): nothing to roll back to",
            field="rollback",
        )
    sha = info.old_sha256
    if class_wide:
        step = PlanStep(
            "rollback",
            f"roll class {cls} back to its previous generation for every instance of the "
            f"class (by-class/{cls}.old, sha256 {sha}); the current one ({info.sha256}) "
            f"becomes {cls}.old",
        )
        return sha, [step], [f"every instance of class {cls} boots {sha} at its next boot"], None
    if not boot.config.reports:
        raise ValidationError(
            f"rolling back {target.name} alone pins it to by-class/{cls}.gen-…, and only a "
            "class that reports its boot shows that it runs from there (a class built with "
            "a fixed store URL, as the homelab's netboot-http module builds them, would "
            "boot the old kernel with the current store); this context has no reports: "
            f"roll back the whole class with --class-wide (gnt-py netboot rollback {cls})",
            field="rollback",
        )
    key = pin_key(sha)
    pinned = pinned_sha256(boot, cls, key) == sha
    step = PlanStep(
        "pin",
        f"pin generation {key} of class {cls} for {target.name} only: "
        + (
            f"by-class/{cls}.gen-{key} exists"
            if pinned
            else f"copy by-class/{cls}.old (sha256 {sha}) to by-class/{cls}.gen-{key}"
        ),
    )
    notes = [
        f"the other instances of class {cls} keep the current generation ({info.sha256}); "
        f"gnt-py instance reimage {target.name} returns {target.name} to it"
    ]
    return sha, [step], notes, key


def plan_reimage(
    rapi: RapiClient,
    boot: BootServerClient,
    name: str,
    *,
    publish_dir: Path | None = None,
    class_: str | None = None,
    rollback: bool = False,
    class_wide: bool = False,
    wait: bool = True,
    boot_timeout: float = DEFAULT_BOOT_TIMEOUT,
) -> ReimagePlan:
    """Plan a re-image: a new build of the class (``publish_dir``), another class
    (``class_`` differing from the wrapper's: the wrapper is pointed at it), or the
    class's previous generation (``rollback``): for this instance only (its wrapper
    pinned to a copy of ``<class>.old``), or with ``class_wide`` for every instance
    (``<class>.old`` swapped back in). A pinned instance re-imaged otherwise returns
    to the class as published."""
    target = find_target(rapi, boot, name)
    _require_pxe(target)
    chained, pinned = _chained(target)
    cls = class_name(class_ or chained or "", "class")
    _refuse_options(target, cls, publish_dir=publish_dir, rollback=rollback, class_wide=class_wide)
    _refuse_flagged(target)
    plan_pub, sha, steps, notes, pin = _image_source(
        boot, target, cls, publish_dir=publish_dir, rollback=rollback, class_wide=class_wide
    )
    repoint_from = None
    if pin is not None or pinned is not None or (chained and cls != chained):
        repoint_from = f"{chained} generation {pinned}" if pinned else (chained or "?")
        to = f"{cls} generation {pin}" if pin else cls
        url = boot.layout.wrapper_url(target.mac or "")
        steps.append(PlanStep("wrapper", f"point {url} from class {repoint_from} to {to}"))
    wait = wait and bool(boot.config.access_log)
    # A fake instance runs nothing that could report: only the wrapper fetch counts.
    reports = wait and boot.config.reports and not _is_fake(target.instance)
    verb, verb_text = _boot_verb(target)
    steps.append(PlanStep(verb, verb_text))
    if wait:
        steps.append(PlanStep("await", "wait for the wrapper fetch in the access log"))
    if reports:
        steps.append(
            PlanStep(
                "report",
                f"wait for the machine's boot report and check it runs class {cls} "
                f"(store sha256 {sha}) and kept its disks",
            )
        )
    return ReimagePlan(
        target,
        cls,
        plan_pub,
        sha,
        verb,
        wait,
        boot_timeout,
        tuple(steps),
        tuple(notes),
        repoint_from=repoint_from,
        rollback=rollback and class_wide,
        reports=reports,
        pin=pin,
    )


def _refuse_options(
    target: Target, cls: str, *, publish_dir: Path | None, rollback: bool, class_wide: bool
) -> None:
    """Refuse the combinations of options that contradict each other or the wrapper."""
    chained, pinned = _chained(target)
    if class_wide and not rollback:
        raise ValidationError("--class-wide goes with --rollback", field="class_wide")
    if rollback and (publish_dir is not None or (chained and cls != chained)):
        raise ValidationError(
            "--rollback returns the instance's class to its previous generation: it takes "
            "neither --publish nor another --class",
            field="rollback",
        )
    if rollback and pinned is not None:
        raise ValidationError(
            f"{target.name} is already pinned to generation {pinned} of class {cls} (rolled "
            f"back alone): gnt-py instance reimage {target.name} returns it to the current "
            "generation",
            field="rollback",
        )


def _image_source(
    boot: BootServerClient,
    target: Target,
    cls: str,
    *,
    publish_dir: Path | None,
    rollback: bool,
    class_wide: bool,
) -> tuple[PublishPlan | None, str | None, list[PlanStep], list[str], str | None]:
    """Where the image comes from: a new build, the previous generation, or the class
    as published; with its publish plan, sha256, first steps, notes and pin."""
    chained, _pinned = _chained(target)
    notes: list[str] = []
    steps: list[PlanStep] = []
    plan_pub = None
    pin = None
    sha: str | None
    if publish_dir is not None:
        plan_pub = plan_publish(boot, find_local_class(publish_dir, cls))
        sha = plan_pub.local.sha256
        steps.append(PlanStep("publish", plan_pub.describe()))
        if not plan_pub.needed:
            notes.append("the boot server already has this build: the reboot reloads the same")
    elif rollback:
        sha, steps, notes, pin = _rollback_source(boot, target, cls, class_wide)
    else:
        info = class_info(boot, cls)
        if info is None or not info.complete:
            raise ValidationError(
                f"class {cls} is not published on the boot server"
                + (": publish it first (--publish DIR)" if chained != cls else ""),
                field="class",
            )
        sha = info.sha256
        steps.append(PlanStep("class", f"class {cls} as published (sha256 {sha})"))
    return plan_pub, sha, steps, notes, pin


def check_running(report: BootReport, plan: ReimagePlan) -> None:
    """Raise :class:`NetbootError` unless the report shows the planned image running."""
    problems = []
    if report.class_name != plan.class_name:
        problems.append(f"it runs class {report.class_name or '?'}, not {plan.class_name}")
    if report.store is not None and plan.sha256 is not None and report.store != plan.sha256:
        problems.append(f"it runs store sha256 {report.store}, not {plan.sha256}")
    if report.provisioned:
        problems.append("it wiped its disks (the provision flag was set at boot)")
    if problems:
        raise NetbootError(
            f"{plan.target.name} rebooted, but its boot report says: {'; '.join(problems)}"
        )


def apply_reimage(
    rapi: RapiClient,
    boot: BootServerClient,
    plan: ReimagePlan,
    *,
    on_event: EventSink | None = None,
    on_log: JobLog | None = None,
    on_upload: UploadProgress | None = None,
    diagnose: Diagnose | None = None,
) -> ReimageResult:
    say = on_event or _silent
    published = False
    mac = plan.target.mac
    assert mac is not None
    if plan.publish is not None:
        published = publish_class(boot, plan.publish, plan.class_name, say, on_upload)
    if plan.rollback:
        rolled = classes_rollback(boot, plan.class_name)
        say("rollback", f"class {plan.class_name}: now serving {rolled.sha256}")
    if plan.pin is not None:
        assert plan.sha256 is not None
        pin_previous(boot, plan.class_name, plan.sha256)
        say("pin", f"by-class/{plan.class_name}.gen-{plan.pin} holds {plan.sha256}")
    removed: list[str] = []
    if plan.repoint_from is not None:
        state = boot.wrapper(mac)
        assert state is not None
        text = wrappers.render(
            boot.layout,
            mac=mac,
            hostname=state.wrapper.hostname or plan.target.short,
            class_=plan.class_name,
            provision=False,
            hostname_parameter=boot.hostname_param,
            extra=state.wrapper.extra,
            pin=plan.pin,
        )
        boot.write_wrapper(mac, text)
        pinned = f" generation {plan.pin}" if plan.pin else " as published"
        say("wrapper", f"wrapper now chains class {plan.class_name}{pinned}")
        if state.wrapper.pin is not None:
            for klass, key in unused_pins(boot, state.wrapper.class_name or plan.class_name):
                remove_pin(boot, klass, key)
                removed.append(f"{klass}.gen-{key}")
                say("pin", f"by-class/{klass}.gen-{key} removed (no wrapper chains it)")
    position = boot.log_position() if plan.wait else None
    verb_step = next(step for step in plan.steps if step.action == plan.verb)
    say(plan.verb, verb_step.text)
    _power(rapi, plan.target, plan.verb, on_log)
    fetched = None
    report = None
    if plan.wait:
        assert position is not None
        try:
            fetched = await_fetch(boot, mac, position, plan.boot_timeout, say)
        except BootTimeout as exc:
            raise boot_timeout(str(exc), boot.log_since(position)[0], position, diagnose) from None
        if plan.reports:
            report = await_report(boot, mac, position, plan.boot_timeout, say, diagnose)
            check_running(report, plan)
    return ReimageResult(
        plan.target.name,
        plan.class_name,
        plan.sha256,
        published,
        fetched,
        report=report,
        rolled_back=plan.rollback or plan.pin is not None,
        pin=plan.pin,
        pins_removed=tuple(removed),
    )
