"""What the netboot sequences share: ``instance create``, ``reimage``, ``wipe`` and ``remove``.

Each of them is a plan of :class:`PlanStep` sentences, then an apply that reports its
progress through an :data:`EventSink`. The steps they have in common live here: find
the instance a name means, publish a class, wait for the wrapper's fetch, read and
check the machine's boot report and pin its host key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs

from ganetiops.errors import NetbootError
from ganetiops.netboot import keys as keymod
from ganetiops.netboot.classes import PublishPlan, UploadProgress, publish
from ganetiops.netboot.knownhosts import pin_host_key
from ganetiops.netboot.layout import host_label, mac_hyphens
from ganetiops.netboot.report import BootReport, Diagnose, wait_report
from ganetiops.netboot.server import BootServerClient

if TYPE_CHECKING:
    from ganetiops.netboot.accesslog import AccessEntry
    from ganetiops.rapi import RapiClient
    from ganetiops.rapi.models.job import LogEntry

PXE_OS: Final = "pxe"
#: How long to wait for the first fetch of the wrapper.
DEFAULT_BOOT_TIMEOUT: Final = 600.0

#: ``on_event(step, message)``: progress of an apply, one line per event.
EventSink = Callable[[str, str], Any]
JobLog = Callable[["LogEntry"], Any]


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


def existing_instance(rapi: RapiClient, name: str) -> str | None:
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


def publish_class(
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


def await_fetch(
    boot: BootServerClient, mac: str, position: int | None, timeout: float, say: EventSink
) -> AccessEntry:
    """Wait for the wrapper of ``mac`` to be fetched (after ``position``) and report it."""
    fetched = boot.wait_fetch(boot.layout.wrapper_rel(mac), position=position, timeout=timeout)
    say("await", f"wrapper fetched by {fetched.client} at {fetched.time.isoformat()}")
    return fetched


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
