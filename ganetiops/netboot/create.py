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

The request and its own checks are :mod:`~.create_request`, the plan
:mod:`~.create_plan`; the steps create shares with reimage, wipe and remove are
:mod:`~.sequence`. This module carries the plan out and re-exports the public names.

>>> plan = plan_create(rapi, boot, CreateRequest("navidrome"))     # doctest: +SKIP
>>> print("\\n".join(plan.lines()))
>>> result = apply_create(rapi, boot, plan, on_event=print)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ganetiops.errors import BootTimeout, NetbootError
from ganetiops.netboot import keys as keymod
from ganetiops.netboot import wrappers
from ganetiops.netboot.classes import UploadProgress
from ganetiops.netboot.create_plan import CreatePlan, plan_create, refuse_existing
from ganetiops.netboot.create_request import CreateRequest, memory_floor
from ganetiops.netboot.layout import mac_hyphens
from ganetiops.netboot.report import BootReport, Diagnose, boot_timeout
from ganetiops.netboot.sequence import (
    PXE_OS,
    EventSink,
    JobLog,
    await_fetch,
    await_report,
    check_report,
    pin_machine,
    publish_class,
)
from ganetiops.netboot.server import BootServerClient

if TYPE_CHECKING:
    from ganetiops.netboot.accesslog import AccessEntry
    from ganetiops.rapi import RapiClient

__all__ = [
    "PXE_OS",
    "CreatePlan",
    "CreateRequest",
    "CreateResult",
    "apply_create",
    "check_report",
    "memory_floor",
    "plan_create",
    "refuse_existing",
]


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
            published = publish_class(boot, plan.publish, plan.class_name, say, on_upload)
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
        fetched = await_fetch(boot, mac, position, plan.boot_timeout, say)
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
