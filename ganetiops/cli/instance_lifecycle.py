"""``gnt-py instance reimage|wipe|remove``: what happens to a netbooting instance after
its create (:mod:`ganetiops.cli.instance_netboot`).

``reimage`` loads a new build of the instance's class, another class, or its previous
generation (this instance alone, or ``--class-wide``), reboots and checks the
machine's own boot report; ``wipe`` reprovisions its disk through the provision flag;
``remove`` removes instances and, with a boot server in the context, their MAC
wrappers, key tarballs and the generations only they pinned. Each shows its plan
first; ``--plan`` stops there, and all of them ask unless ``--yes``.
"""

from __future__ import annotations

from typing import Any

import click

from ganetiops.cli.bootserver import (
    boot_config,
    boot_timeout_option,
    hostname_param_option,
    job_log,
    open_boot,
    out,
    plan_approved,
    plan_option,
    publish_option,
    say,
    upload_progress,
)
from ganetiops.cli.common import complete_instances, yes_option
from ganetiops.cli.jobs_ui import follow_job
from ganetiops.cli.state import State, pass_state
from ganetiops.errors import ConfigError


def console_tail(state: State, name: str) -> Any:
    """For a lab context: a function giving the VM's last serial console lines (the
    lab's kvm wrapper keeps them in a file on the node); ``None`` elsewhere."""
    from ganetiops.cli.remote import lab_facts_for  # lazy: start-up

    facts = lab_facts_for(state.context)
    if facts is None:
        return None

    def tail() -> list[str]:
        from ganetiops.lab.kvm import serial_tail  # lazy: lab room, start-up

        node = state.client().instances.get(name).pnode or ""
        return serial_tail(facts, node, name, lines=30)  # a boot's firmware part is ~25

    return tail


# -- reimage, wipe ------------------------------------------------------------------------


@click.command("reimage")
@click.argument("name")
@publish_option("Publish this build of the instance's class first.")
@click.option(
    "--class",
    "class_",
    metavar="CLASS",
    help="Class to run (default: the wrapper's); another class re-points the wrapper.",
)
@click.option(
    "--rollback",
    is_flag=True,
    help="Return this instance alone to its class's previous generation (its wrapper is "
    "pinned to a copy of by-class/<class>.old; the class's other instances stay), then reboot.",
)
@click.option(
    "--class-wide",
    is_flag=True,
    help="With --rollback: roll the whole class back (by-class/<class>.old swapped in: every "
    "instance of the class boots it at its next boot).",
)
@click.option("--no-wait", is_flag=True, help="Do not wait for the wrapper fetch.")
@boot_timeout_option
@hostname_param_option
@plan_option
@yes_option
@pass_state
def reimage(state: State, /, name: str, **opts: Any) -> None:
    """Load a new build of the instance's class, another class, or (--rollback) the
    previous generation; then reboot and check the machine's own boot report.

    --rollback pins this instance to the previous generation; re-imaging it without
    --rollback returns it to the class as published. The guest compares its cached
    store with the served sha256 and downloads the new one.
    """
    # lazy: netboot room, start-up
    from ganetiops.netboot.reimage import apply_reimage, plan_reimage

    client = state.client()
    boot = open_boot(state, opts["hostname_param"])
    plan = plan_reimage(
        client,
        boot,
        name,
        publish_dir=opts["publish"],
        class_=opts["class_"],
        rollback=opts["rollback"],
        class_wide=opts["class_wide"],
        wait=not opts["no_wait"],
        boot_timeout=opts["boot_timeout"],
    )
    question = f"Reboot {plan.target.name} into class {plan.class_name}?"
    if not plan_approved(state, plan.lines(), opts, question):
        return
    result = apply_reimage(
        client,
        boot,
        plan,
        on_event=say,
        on_log=job_log,
        on_upload=upload_progress(),
        diagnose=console_tail(state, plan.target.name),
    )
    from ganetiops.netboot.report import report_summary  # lazy: netboot room, start-up

    pinned = f" (pinned: generation {result.pin})" if result.pin else ""
    lines = [f"instance {result.name}: class {result.class_name}{pinned}, sha256 {result.sha256}"]
    if result.fetched:
        lines.append(f"  wrapper fetched by {result.fetched.client} at {result.fetched.time}")
    if result.report:
        lines.append(f"  boot report from {result.report.client}: {result.report.describe()}")
    out(
        state,
        {
            "name": result.name,
            "class": result.class_name,
            "sha256": result.sha256,
            "published": result.published,
            "rolled_back": result.rolled_back,
            "pin": result.pin,
            "pins_removed": list(result.pins_removed),
            "report": report_summary(result.report) if result.report else None,
        },
        lines,
    )


@click.command("wipe")
@click.argument("name")
@click.option(
    "--no-wait", is_flag=True, help="Do not wait for the boot: the flag stays set (clear it later)."
)
@boot_timeout_option
@hostname_param_option
@plan_option
@yes_option
@pass_state
def wipe(state: State, /, name: str, **opts: Any) -> None:
    """Wipe and reprovision an instance's disk: set the provision flag, reboot, clear it."""
    from ganetiops.netboot.lifecycle import apply_wipe, plan_wipe  # lazy: netboot room, start-up

    client = state.client()
    boot = open_boot(state, opts["hostname_param"])
    plan = plan_wipe(
        client, boot, name, wait=not opts["no_wait"], boot_timeout=opts["boot_timeout"]
    )
    question = f"Wipe the disk of {plan.target.name}? Its data is lost."
    if not plan_approved(state, plan.lines(), opts, question):
        return
    result = apply_wipe(client, boot, plan, on_event=say, on_log=job_log)
    lines = [f"instance {result.name}: rebooted with the provision flag"]
    lines.append(
        "  flag cleared after the first fetch"
        if result.flag_cleared
        else f"  WARNING: the flag is still set (gnt-py netboot await-boot {result.name})"
    )
    out(state, {"name": result.name, "provision_flag": not result.flag_cleared}, lines)


# -- remove ------------------------------------------------------------------------------


@click.command("remove")
@click.argument("names", nargs=-1, required=True, shell_complete=complete_instances)
@click.option("--shutdown-timeout", type=click.IntRange(min=0), metavar="SECONDS")
@click.option("--keep-keys", is_flag=True, help="Keep keys/<host>.tar.gz on the boot server.")
@hostname_param_option
@plan_option
@yes_option
@pass_state
def remove(state: State, /, names: tuple[str, ...], **opts: Any) -> None:
    """Remove instances with their disks (gnt-instance remove); with a boot server in the
    context, also their MAC wrappers and key tarballs."""
    if boot_config(state) is None:
        _plain_remove(state, names, opts)
        return
    # lazy: netboot room, start-up
    from ganetiops.netboot.lifecycle import apply_remove, plan_remove

    client = state.client()
    boot = open_boot(state, opts["hostname_param"])
    plans = [plan_remove(client, boot, n, keep_keys=opts["keep_keys"]) for n in names]
    lines = [line for plan in plans for line in plan.lines()]
    question = f"Remove {', '.join(p.name for p in plans)}? Disks and identities are lost."
    if not plan_approved(state, lines, opts, question):
        return
    done = []
    for plan in plans:
        result = apply_remove(
            client,
            boot,
            plan,
            on_event=say,
            on_log=job_log,
            shutdown_timeout=opts["shutdown_timeout"],
        )
        done.append(
            {
                "name": result.name,
                "instance": result.instance_removed,
                "wrappers": list(result.wrappers_removed),
                "keys": result.keys_removed,
                "pins": list(result.pins_removed),
            }
        )
    out(state, {"removed": done}, [f"removed {d['name']}" for d in done])


def _plain_remove(state: State, names: tuple[str, ...], opts: dict[str, Any]) -> None:
    """No boot server in the context: remove the instances only."""
    from ganetiops.netboot.sequence import PXE_OS  # lazy: netboot room, start-up
    from ganetiops.rapi import validate  # lazy: httpx, start-up

    client = state.client()
    for name in names:  # a netbooting instance's wrapper and identity live on the server
        instance = client.instances.get(validate.hostname(name, "name"))
        if (instance.os or "").split("+")[0] == PXE_OS:
            raise ConfigError(
                f"instance {name} netboots (OS {instance.os}): removing it needs the boot "
                "server in the context (its MAC wrapper and identity live there)"
            )
    timeout = opts["shutdown_timeout"]
    calls = [client.instances.remove.call(name, shutdown_timeout=timeout) for name in names]
    lines = []
    for name in names:
        lines += [f"Plan to remove {name}:", f"  1. remove instance {name} and its disks"]
    listed = ", ".join(names)
    question = f"Remove instance(s) {listed} and all their disks?"
    if not plan_approved(state, lines, opts, question):
        return
    done = []
    for name, call in zip(names, calls, strict=True):
        follow_job(client.submit(call), what=f"remove {name}")
        done.append({"name": name, "instance": True, "wrappers": [], "keys": False})
    out(state, {"removed": done}, [f"removed {d['name']}" for d in done])


__all__ = ["console_tail", "reimage", "remove", "wipe"]
