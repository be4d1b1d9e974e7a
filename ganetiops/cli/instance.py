"""``gnt-py instance``: the life of an instance, as gnt-instance knows it.

``create``, ``remove``, ``reimage`` and ``wipe`` are in
:mod:`ganetiops.cli.instance_netboot` (the boot server may take part in them), the
disk commands in :mod:`ganetiops.cli.instance_disks`, ``modify`` in
:mod:`ganetiops.cli.instance_modify`; reading, state changes and moves are here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from ganetiops.cli.common import (
    add_list_command,
    add_tag_commands,
    complete_instances,
    complete_nodes,
    confirm,
    drbd_force_option,
    parse_kv,
    show_models,
    yes_option,
)
from ganetiops.cli.instance_disks import (
    activate_disks,
    deactivate_disks,
    grow_disk,
    recreate_disks,
    replace_disks,
    replace_mode,
)
from ganetiops.cli.instance_modify import modify, parse_modifications
from ganetiops.cli.instance_netboot import create, reimage, remove, wipe
from ganetiops.cli.jobs_ui import JobOptions, follow_job, job_options
from ganetiops.cli.output import (
    OutputOptions,
    dump,
    echo,
    format_timestamp,
    output_options,
    render_mapping,
)
from ganetiops.cli.state import State, pass_state

if TYPE_CHECKING:
    from ganetiops.rapi.call import Call

#: ``gnt-instance list`` defaults.
DEFAULT_FIELDS = ("name", "hypervisor", "os", "pnode", "status", "oper_ram")


@click.group()
def instance() -> None:
    """Instances: list, inspect, create, start, stop, move and change them."""


for _command in (
    create,
    remove,
    reimage,
    wipe,
    grow_disk,
    activate_disks,
    deactivate_disks,
    replace_disks,
    recreate_disks,
    modify,
):
    instance.add_command(_command)


# --- reading -----------------------------------------------------------------------


add_list_command(
    instance,
    "instance",
    DEFAULT_FIELDS,
    complete_instances,
    """List instances (all, or NAMES), with gnt-instance list fields.

    \b
    Examples:
      gnt-py instance list
      gnt-py instance list -o name,pnode,snodes,status,oper_ram,disk_template,nic.mac/0
      gnt-py instance list -o +be/vcpus --where status=running
      gnt-py --format json instance list web1
    """,
    where_help="Only rows where FIELD=VALUE.",
)


def describe_instance(inst: Any) -> dict[str, Any]:
    """The fields a person wants to see first, in gnt-instance info's order."""
    out: dict[str, Any] = {
        "State": f"{inst.status or 'unknown'} ({inst.status_text})",
        "UUID": inst.uuid,
        "Primary node": inst.pnode,
        "Secondary nodes": ", ".join(inst.snodes) or "-",
        "Operating system": inst.os,
        "Disk template": inst.disk_template,
        "Hypervisor": inst.raw.get("hypervisor"),
        "Memory": inst.memory.human if inst.memory is not None else None,
        "Memory in use": inst.oper_ram.human if inst.oper_ram is not None else None,
        "VCPUs": inst.vcpus,
        "Network port": inst.network_port,
    }
    out["NICs"] = [
        {
            "index": nic.index,
            "name": nic.name,
            "mac": nic.mac,
            "ip": nic.ip,
            "mode": nic.mode,
            "link": nic.link,
            "network": nic.network_name or nic.network,
        }
        for nic in inst.nics
    ] or "-"
    out["Disks"] = [
        {
            "index": disk.index,
            "name": disk.name,
            "size": disk.size.human if disk.size is not None else None,
        }
        for disk in inst.disks
    ] or "-"
    out["Tags"] = ", ".join(inst.tags) or "-"
    out["Created"] = format_timestamp(inst.ctime) if inst.ctime else None
    out["Modified"] = format_timestamp(inst.mtime) if inst.mtime else None
    return out


@instance.command("info")
@click.argument("names", nargs=-1, required=True, shell_complete=complete_instances)
@click.option(
    "--details",
    is_flag=True,
    help="Also ask the nodes (an info job): disk devices, sync state, hypervisor state.",
)
@click.option("--static", is_flag=True, help="With --details: configuration only, no node calls.")
@output_options()
@pass_state
def info(
    state: State, names: tuple[str, ...], details: bool, static: bool, output: OutputOptions
) -> None:
    """Show instances in detail (configuration and state)."""
    client = state.client()
    documents: list[dict[str, Any]] = []
    for name in names:
        inst = client.instances.get(name)
        doc = inst.to_dict() if output.format != "table" else describe_instance(inst)
        if details:
            result = client.instances.info(name, static=static).wait(on_log=None).value
            doc = {**doc, "details": result}
        documents.append(doc)
        if output.format == "table":
            echo(render_mapping(doc, "table", title=f"Instance: {inst.name}"))
    if output.format != "table":
        echo(dump(documents if len(documents) > 1 else documents[0], output.format))


def describe_console(info: Any) -> dict[str, Any]:
    doc = {
        "Kind": info.kind,
        "Host": info.host,
        "Port": info.port,
        "User": info.user,
        "Display": info.display,
        "Command": " ".join(info.command) or None,
        "Message": info.message,
    }
    return {k: v for k, v in doc.items() if v is not None}


@instance.command("console")
@click.argument("name", shell_complete=complete_instances)
@output_options()
@pass_state
def console(state: State, name: str, output: OutputOptions) -> None:
    """How to reach an instance's console (kind, host, port, command)."""
    show_models(output, [state.client().instances.console(name)], describe_console)


# --- state changes ---------------------------------------------------------------


def _each(names: tuple[str, ...]) -> tuple[str, ...]:
    """The instance names, checked (before any question is asked or anything sent)."""
    if not names:
        raise click.UsageError("name at least one instance")
    from ganetiops.rapi import validate  # lazy: httpx, start-up

    return tuple(validate.hostname(n, "name") for n in names)


def _each_job(
    state: State,
    names: tuple[str, ...],
    jobs: JobOptions,
    verb: str,
    make_call: Callable[[str], Call[int]],
    *,
    ask: tuple[str, bool] | None = None,
) -> None:
    """One job per instance, one after the other, each followed: the names checked
    first, then (with ``ask``: the question, ``{}`` for the names; and ``--yes``) asked."""
    checked = _each(names)
    if ask is not None:
        confirm(ask[0].format(", ".join(checked)), ask[1])
    for name in checked:
        follow_job(state.submit(make_call(name)), jobs, what=f"{verb} {name}")


@instance.command("start")
@click.argument("names", nargs=-1, required=True, shell_complete=complete_instances)
@click.option("--force", is_flag=True, help="Start even if the disks are degraded.")
@click.option("--no-remember", is_flag=True, help="Do not record the state change.")
@job_options
@pass_state
def start(
    state: State, names: tuple[str, ...], force: bool, no_remember: bool, jobs: JobOptions
) -> None:
    """Start instances (gnt-instance startup)."""
    startup = state.client().instances.startup.call
    _each_job(
        state,
        names,
        jobs,
        "start",
        lambda name: startup(name, force=force, no_remember=no_remember, **jobs.common()),
    )


@instance.command("stop")
@click.argument("names", nargs=-1, required=True, shell_complete=complete_instances)
@click.option(
    "--shutdown-timeout",
    type=click.IntRange(min=0),
    metavar="SECONDS",
    help="Seconds before the instance is killed (0: at once; Ganeti's default 120).",
)
@click.option("--no-remember", is_flag=True, help="Do not record the state change.")
@click.option("--force", is_flag=True, help="Stop even if it is marked offline.")
@yes_option
@job_options
@pass_state
def stop(
    state: State,
    names: tuple[str, ...],
    shutdown_timeout: int | None,
    no_remember: bool,
    force: bool,
    yes: bool,
    jobs: JobOptions,
) -> None:
    """Stop instances (gnt-instance shutdown). Asks first (or --yes)."""
    shutdown = state.client().instances.shutdown.call

    def call(name: str) -> Call[int]:
        return shutdown(
            name,
            timeout=shutdown_timeout,
            no_remember=no_remember,
            force=force or None,
            **jobs.common(),
        )

    _each_job(
        state, names, jobs, "stop", call, ask=("Stop instance(s) {}? Their services go down.", yes)
    )


@instance.command("reboot")
@click.argument("names", nargs=-1, required=True, shell_complete=complete_instances)
@click.option(
    "--type",
    "reboot_type",
    type=click.Choice(["soft", "hard", "full"]),
    default="hard",
    show_default=True,
    help="soft: inside the guest; hard: restart the VM; full: stop and start.",
)
@click.option("--shutdown-timeout", type=click.IntRange(min=0), metavar="SECONDS")
@click.option("--ignore-secondaries", is_flag=True)
@yes_option
@job_options
@pass_state
def reboot(
    state: State,
    names: tuple[str, ...],
    reboot_type: Any,
    shutdown_timeout: int | None,
    ignore_secondaries: bool,
    yes: bool,
    jobs: JobOptions,
) -> None:
    """Reboot instances. Asks first (or --yes)."""
    reboot_call = state.client().instances.reboot.call

    def call(name: str) -> Call[int]:
        return reboot_call(
            name,
            type=reboot_type,
            shutdown_timeout=shutdown_timeout,
            ignore_secondaries=ignore_secondaries,
            **jobs.common(),
        )

    _each_job(
        state, names, jobs, "reboot", call, ask=(f"Reboot ({reboot_type}) instance(s) {{}}?", yes)
    )


@instance.command("migrate")
@click.argument("name", shell_complete=complete_instances)
@click.option("--mode", type=click.Choice(["live", "non-live"]), help="Migration mode.")
@click.option("-n", "--target-node", shell_complete=complete_nodes, help="Node to move to.")
@click.option("-I", "--iallocator", help="Let this allocator choose the node.")
@click.option("--cleanup", is_flag=True, help="Recover from a failed migration.")
@click.option("--allow-failover", is_flag=True, help="Fail over if migration is impossible.")
@click.option("--ignore-ipolicy", is_flag=True)
@drbd_force_option
@yes_option
@job_options
@pass_state
def migrate(
    state: State,
    name: str,
    mode: Any,
    target_node: str | None,
    iallocator: str | None,
    cleanup: bool,
    allow_failover: bool,
    ignore_ipolicy: bool,
    force: bool,
    yes: bool,
    jobs: JobOptions,
) -> None:
    """Live-migrate an instance to its secondary or another node."""
    job_kwargs: dict[str, Any] = {
        "mode": mode,
        "target_node": target_node,
        "iallocator": iallocator,
        "cleanup": cleanup or None,
        "allow_failover": allow_failover or None,
        "ignore_ipolicy": ignore_ipolicy or None,
    }
    call = state.client().instances.migrate.call(name, **job_kwargs, **jobs.common())
    if cleanup:
        # The repair of a failed migration: its DRBD is expected to be in a bad way
        # (dual primary, disconnected), so the guard would refuse the one fix.
        confirm(f"Clean up after a failed migration of {name}?", yes)
        follow_job(state.submit(call), jobs, what=f"migrate --cleanup {name}")
        return
    from ganetiops.cli.drbd import guard_instance  # lazy: start-up

    guard_instance(state, "migrate", name, force=force, target=target_node)
    where = f" to {target_node}" if target_node else ""
    confirm(f"Migrate instance {name}{where}?", yes)
    follow_job(state.submit(call), jobs, what=f"migrate {name}")


@instance.command("failover")
@click.argument("name", shell_complete=complete_instances)
@click.option("-n", "--target-node", shell_complete=complete_nodes, help="Node to move to.")
@click.option("-I", "--iallocator")
@click.option("--ignore-consistency", is_flag=True, help="Even if the disks are degraded.")
@click.option("--shutdown-timeout", type=click.IntRange(min=0), metavar="SECONDS")
@click.option("--cleanup", is_flag=True)
@click.option("--ignore-ipolicy", is_flag=True)
@drbd_force_option
@yes_option
@job_options
@pass_state
def failover(
    state: State,
    name: str,
    target_node: str | None,
    iallocator: str | None,
    ignore_consistency: bool,
    shutdown_timeout: int | None,
    cleanup: bool,
    ignore_ipolicy: bool,
    force: bool,
    yes: bool,
    jobs: JobOptions,
) -> None:
    """Stop an instance and start it on its secondary (or another) node."""
    job_kwargs: dict[str, Any] = {
        "target_node": target_node,
        "iallocator": iallocator,
        "ignore_consistency": ignore_consistency or None,
        "shutdown_timeout": shutdown_timeout,
        "cleanup": cleanup or None,
        "ignore_ipolicy": ignore_ipolicy or None,
    }
    call = state.client().instances.failover.call(name, **job_kwargs, **jobs.common())
    from ganetiops.cli.drbd import guard_instance  # lazy: start-up

    guard_instance(state, "failover", name, force=force, target=target_node)
    confirm(f"Fail over instance {name}? It will be stopped and started again.", yes)
    follow_job(state.submit(call), jobs, what=f"failover {name}")


@instance.command("rename")
@click.argument("name", shell_complete=complete_instances)
@click.argument("new_name")
@click.option(
    "--name-check/--no-name-check",
    default=None,
    help="Resolve the new name (default: not sent, Ganeti's: 3.0 yes, 3.1+ no).",
)
@click.option(
    "--ip-check/--no-ip-check",
    default=None,
    help="Check the new IP is free (default: not sent, Ganeti's).",
)
@job_options
@pass_state
def rename(
    state: State,
    name: str,
    new_name: str,
    name_check: bool | None,
    ip_check: bool | None,
    jobs: JobOptions,
) -> None:
    """Rename a stopped instance."""
    job = state.submit(
        state.client().instances.rename.call(
            name, new_name, name_check=name_check, ip_check=ip_check, **jobs.common()
        )
    )
    follow_job(job, jobs, what=f"rename {name} to {new_name}")


@instance.command("reinstall")
@click.argument("name", shell_complete=complete_instances)
@click.option("-o", "--os", "os_name", help="Install this OS instead of the current one.")
@click.option("-O", "--os-parameters", metavar="K=V,...", help="OS parameters.")
@click.option("--no-start", is_flag=True, help="Leave the instance stopped afterwards.")
@yes_option
@job_options(common=False)
@pass_state
def reinstall(
    state: State,
    name: str,
    os_name: str | None,
    os_parameters: str | None,
    no_start: bool,
    yes: bool,
    jobs: JobOptions,
) -> None:
    """Reinstall the OS of an instance: everything on its disks is lost."""
    osparams = parse_kv(os_parameters, "--os-parameters", typed=False) or None
    call = state.client().instances.reinstall.call(
        name, os=os_name, start=not no_start, osparams=osparams
    )
    confirm(f"Reinstall instance {name}? Everything on its disks will be lost.", yes)
    follow_job(state.submit(call), jobs, what=f"reinstall {name}")


add_tag_commands(instance, "instances", "an instance", complete_instances)

__all__ = ["DEFAULT_FIELDS", "instance", "parse_modifications", "replace_mode"]
