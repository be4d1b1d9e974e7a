"""``gnt-py instance``: the life of an instance, as gnt-instance knows it.

``create``, ``remove``, ``reimage`` and ``wipe`` are in
:mod:`ganetiops.cli.instance_netboot` (the boot server may take part in them);
the rest is here.
"""

from __future__ import annotations

from typing import Any

import click

from ganetiops.cli.common import (
    add_list_command,
    add_tag_commands,
    complete_instances,
    complete_nodes,
    confirm,
    parse_kv,
    show_models,
    yes_option,
)
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
from ganetiops.errors import ValidationError

#: ``gnt-instance list`` defaults.
DEFAULT_FIELDS = ("name", "hypervisor", "os", "pnode", "status", "oper_ram")


@click.group()
def instance() -> None:
    """Instances: list, inspect, create, start, stop, move and change them."""


for _command in (create, remove, reimage, wipe):
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
    client = state.client()
    for name in _each(names):
        job = state.submit(
            client.instances.startup.call(
                name, force=force, no_remember=no_remember, **jobs.common()
            )
        )
        follow_job(job, jobs, what=f"start {name}")


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
    client = state.client()
    checked = _each(names)
    confirm(f"Stop instance(s) {', '.join(checked)}? Their services go down.", yes)
    for name in checked:
        job = state.submit(
            client.instances.shutdown.call(
                name,
                timeout=shutdown_timeout,
                no_remember=no_remember,
                force=force or None,
                **jobs.common(),
            )
        )
        follow_job(job, jobs, what=f"stop {name}")


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
    client = state.client()
    checked = _each(names)
    confirm(f"Reboot ({reboot_type}) instance(s) {', '.join(checked)}?", yes)
    for name in checked:
        job = state.submit(
            client.instances.reboot.call(
                name,
                type=reboot_type,
                shutdown_timeout=shutdown_timeout,
                ignore_secondaries=ignore_secondaries,
                **jobs.common(),
            )
        )
        follow_job(job, jobs, what=f"reboot {name}")


@instance.command("migrate")
@click.argument("name", shell_complete=complete_instances)
@click.option("--mode", type=click.Choice(["live", "non-live"]), help="Migration mode.")
@click.option("-n", "--target-node", shell_complete=complete_nodes, help="Node to move to.")
@click.option("-I", "--iallocator", help="Let this allocator choose the node.")
@click.option("--cleanup", is_flag=True, help="Recover from a failed migration.")
@click.option("--allow-failover", is_flag=True, help="Fail over if migration is impossible.")
@click.option("--ignore-ipolicy", is_flag=True)
@click.option(
    "--force", is_flag=True, help="Even if DRBD is not healthy (overrides the DRBD guard)."
)
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
@click.option(
    "--force", is_flag=True, help="Even if DRBD is not healthy (overrides the DRBD guard)."
)
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


@instance.command("grow-disk")
@click.argument("name", shell_complete=complete_instances)
@click.argument("disk", type=click.IntRange(min=0))
@click.argument("amount")
@click.option("--absolute", is_flag=True, help="AMOUNT is the new size, not the increase.")
@click.option("--no-wait-for-sync", is_flag=True, help="Do not wait for DRBD to resync.")
@click.option("--ignore-ipolicy", is_flag=True)
@job_options
@pass_state
def grow_disk(
    state: State,
    name: str,
    disk: int,
    amount: str,
    absolute: bool,
    no_wait_for_sync: bool,
    ignore_ipolicy: bool,
    jobs: JobOptions,
) -> None:
    """Grow disk DISK of an instance by AMOUNT (512M, 10G...)."""
    job = state.submit(
        state.client().instances.grow_disk.call(
            name,
            disk,
            amount,
            absolute=absolute or None,
            wait_for_sync=False if no_wait_for_sync else None,
            ignore_ipolicy=ignore_ipolicy or None,
            **jobs.common(),
        )
    )
    follow_job(job, jobs, what=f"grow disk {disk} of {name}")


@instance.command("activate-disks")
@click.argument("name", shell_complete=complete_instances)
@click.option("--ignore-size", is_flag=True)
@job_options
@pass_state
def activate_disks(state: State, name: str, ignore_size: bool, jobs: JobOptions) -> None:
    """Activate an instance's disks; prints node:disk:device for each."""
    job = state.submit(
        state.client().instances.activate_disks.call(name, ignore_size=ignore_size, **jobs.common())
    )
    result = follow_job(job, jobs, what=f"activate disks of {name}")
    if result is not None:
        rows = [list(row) for row in result.value or ()]
        if jobs.output_format != "table":
            echo(dump(rows, jobs.output_format))
        else:
            echo("\n".join(":".join(str(v) for v in row) for row in rows))


@instance.command("deactivate-disks")
@click.argument("name", shell_complete=complete_instances)
@click.option("--force", is_flag=True)
@yes_option
@job_options
@pass_state
def deactivate_disks(state: State, name: str, force: bool, yes: bool, jobs: JobOptions) -> None:
    """Deactivate the disks of a stopped instance. Asks first (or --yes)."""
    call = state.client().instances.deactivate_disks.call(name, force=force, **jobs.common())
    confirm(f"Deactivate the disks of {name}? It cannot run until they are active.", yes)
    job = state.submit(call)
    follow_job(job, jobs, what=f"deactivate disks of {name}")


@instance.command("replace-disks")
@click.argument("name", shell_complete=complete_instances)
@click.option(
    "-p", "--on-primary", is_flag=True, help="Rebuild the primary's disks (from the secondary)."
)
@click.option("-s", "--on-secondary", is_flag=True, help="Rebuild the secondary's disks.")
@click.option("-a", "--auto", is_flag=True, help="Rebuild whichever side is faulty (the default).")
@click.option("-n", "--new-secondary", shell_complete=complete_nodes, help="Move to this node.")
@click.option("-I", "--iallocator", help="Choose the new secondary with this allocator.")
@click.option("--disks", metavar="0,1", help="Only these disk indexes (with -p or -s).")
@click.option("--early-release", is_flag=True)
@click.option(
    "--force", is_flag=True, help="Even if DRBD is not healthy (overrides the DRBD guard)."
)
@yes_option
@job_options
@pass_state
def replace_disks(
    state: State,
    name: str,
    on_primary: bool,
    on_secondary: bool,
    auto: bool,
    new_secondary: str | None,
    iallocator: str | None,
    disks: str | None,
    early_release: bool,
    force: bool,
    yes: bool,
    jobs: JobOptions,
) -> None:
    """Replace the DRBD disks of an instance: one of -p, -s, -n NODE, -I ALLOC or -a
    (-a when none is given).

    Asks first (or --yes): the instance runs without redundancy meanwhile.
    """
    mode = replace_mode(
        on_primary=on_primary,
        on_secondary=on_secondary,
        auto=auto,
        new_secondary=new_secondary,
        iallocator=iallocator,
    )
    indexes = _indexes(disks)
    call = state.client().instances.replace_disks.call(
        name,
        mode=mode,  # type: ignore[arg-type]
        disks=indexes,
        remote_node=new_secondary,
        iallocator=iallocator,
        early_release=early_release or None,
        **jobs.common(),
    )
    from ganetiops.cli.drbd import guard_replace_disks  # lazy: start-up

    guard_replace_disks(state, name, mode, force=force)
    confirm(f"Replace the disks of {name} ({mode})? It has no redundancy until the sync ends.", yes)
    job = state.submit(call)
    follow_job(job, jobs, what=f"replace disks of {name}")


def replace_mode(
    *,
    on_primary: bool = False,
    on_secondary: bool = False,
    auto: bool = False,
    new_secondary: str | None = None,
    iallocator: str | None = None,
) -> str:
    """The replace-disks mode of gnt-instance's options: at most one of them."""
    chosen = [
        (flag, mode)
        for flag, given, mode in (
            ("-p", on_primary, "replace_on_primary"),
            ("-s", on_secondary, "replace_on_secondary"),
            ("-a", auto, "replace_auto"),
            ("-n", new_secondary is not None, "replace_new_secondary"),
            ("-I", iallocator is not None, "replace_new_secondary"),
        )
        if given
    ]
    if len(chosen) > 1:
        raise ValidationError(
            f"replace-disks: give one of -p, -s, -a, -n NODE or -I ALLOC, not "
            f"{' and '.join(flag for flag, _ in chosen)}",
            field="mode",
        )
    return chosen[0][1] if chosen else "replace_auto"


def _indexes(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise ValidationError(
            f"--disks: {text!r} is not a list of indexes", field="disks"
        ) from None


@instance.command("recreate-disks")
@click.argument("name", shell_complete=complete_instances)
@click.option("--disks", metavar="0,1", help="Only these disk indexes.")
@click.option("-n", "--nodes", metavar="NODE[,NODE]", help="Recreate on these nodes.")
@click.option("-I", "--iallocator")
@yes_option
@job_options
@pass_state
def recreate_disks(
    state: State,
    name: str,
    disks: str | None,
    nodes: str | None,
    iallocator: str | None,
    yes: bool,
    jobs: JobOptions,
) -> None:
    """Recreate missing disks of an instance (their data is gone)."""
    indexes = _indexes(disks)
    node_list = [n for n in (nodes or "").split(",") if n] or None
    kwargs = {"disks": indexes, "nodes": node_list, "iallocator": iallocator, **jobs.common()}
    call = state.client().instances.recreate_disks.call(name, **kwargs)
    confirm(f"Recreate the disks of {name}?", yes)
    follow_job(state.submit(call), jobs, what=f"recreate disks of {name}")


# --- modify ------------------------------------------------------------------------


def parse_modifications(values: tuple[str, ...], option: str) -> list[tuple[Any, Any, Any]]:
    """gnt-instance modify's ``--net``/``--disk`` changes.

    \b
    add:link=br0        add (at the end)
    add                 add with defaults
    1:link=br1          modify index 1
    1:remove / remove   remove index 1 / the last one
    """
    out: list[tuple[Any, Any, Any]] = []
    for value in values:
        head, _, rest = value.partition(":")
        ident: Any
        if head in ("add", "remove", "attach", "detach"):
            action, ident, params = head, -1, rest
        elif head.lstrip("-").isdigit():
            ident = int(head)
            if rest in ("remove", "detach"):
                action, params = rest, ""
            elif rest.startswith(("add,", "modify,")) or rest in ("add", "modify"):
                action, _, params = rest.partition(",")
            else:
                action, params = "modify", rest
        else:
            raise ValidationError(
                f"{option} {value!r}: expected add[:k=v,...], N:k=v,..., N:remove or remove",
                field=option,
            )
        parsed = parse_kv(params, option, typed=False) if params else {}
        out.append((action, ident, parsed))
    return out


@instance.command("modify")
@click.argument("name", shell_complete=complete_instances)
@click.option("-B", "--backend-parameters", metavar="K=V,...", help="memory, vcpus, ...")
@click.option("-H", "--hypervisor-parameters", metavar="K=V,...")
@click.option("-O", "--os-parameters", metavar="K=V,...")
@click.option("-o", "--os-type", help="Change the OS (takes effect at the next reinstall).")
@click.option("--net", multiple=True, metavar="CHANGE", help="NIC change: add:link=br0, 0:ip=…")
@click.option("--disk", multiple=True, metavar="CHANGE", help="Disk change: add:size=1G, 1:remove")
@click.option("-t", "--disk-template", help="Convert to this disk template.")
@click.option("-n", "--node", "remote_node", shell_complete=complete_nodes, help="New secondary.")
@click.option(
    "-I", "--iallocator", help="-t drbd: let this allocator (e.g. hail) choose the new secondary."
)
@click.option("-m", "--runtime-memory", metavar="SIZE", help="Balloon to SIZE while running.")
@click.option("--offline/--online", "offline", default=None, help="Mark offline or online.")
@click.option("--hotplug/--no-hotplug", default=None, help="Apply NIC/disk changes live.")
@click.option("--ignore-ipolicy", is_flag=True)
@yes_option
@job_options
@pass_state
def modify(
    state: State,
    name: str,
    backend_parameters: str | None,
    hypervisor_parameters: str | None,
    os_parameters: str | None,
    os_type: str | None,
    net: tuple[str, ...],
    disk: tuple[str, ...],
    disk_template: str | None,
    remote_node: str | None,
    iallocator: str | None,
    runtime_memory: str | None,
    offline: bool | None,
    hotplug: bool | None,
    ignore_ipolicy: bool,
    yes: bool,
    jobs: JobOptions,
) -> None:
    """Change an instance's parameters, NICs or disks (gnt-instance modify).

    Removing or detaching a disk or NIC, converting the disk template or marking
    the instance offline asks first (or --yes).

    \b
    Examples:
      gnt-py instance modify web1 -B memory=2G,vcpus=2
      gnt-py instance modify web1 --net add:link=br0
      gnt-py instance modify web1 --disk add:size=10G --hotplug
      gnt-py instance modify db1 -t drbd -n bet     # stopped: plain -> drbd, secondary bet
      gnt-py instance modify db1 -t drbd -I hail    # stopped: hail chooses the secondary
      gnt-py instance modify db1 -t plain           # stopped: drbd -> plain
    """
    changes: dict[str, Any] = {
        "beparams": parse_kv(backend_parameters, "-B") or None,
        "hvparams": parse_kv(hypervisor_parameters, "-H") or None,
        "osparams": parse_kv(os_parameters, "-O", typed=False) or None,
        "os_name": os_type,
        "nics": parse_modifications(net, "--net") or None,
        "disks": parse_modifications(disk, "--disk") or None,
        "disk_template": disk_template,
        "remote_node": remote_node,
        "iallocator": iallocator,
        "runtime_mem": runtime_memory,
        "offline": offline,
        "hotplug": hotplug,
        "ignore_ipolicy": ignore_ipolicy or None,
    }
    call = state.client().instances.modify.call(name, **changes, **jobs.common())
    if disk_template:
        from ganetiops.rapi.ops.instances import check_conversion  # lazy: start-up

        check_conversion(state.client().instances.get(name), disk_template, remote_node)
    losses = _losses(changes)
    if losses:
        confirm(f"Modify {name}: {'; '.join(losses)}?", yes)
    job = state.submit(call)
    result = follow_job(job, jobs, what=f"modify {name}")
    if result is not None and result.value:
        if jobs.output_format != "table":
            echo(dump([list(p) for p in result.value], jobs.output_format))
        else:
            echo("\n".join(f" - {key} -> {value}" for key, value in result.value))


def _losses(changes: dict[str, Any]) -> list[str]:
    """What in an instance modification loses data or availability (asked about)."""
    out = []
    for what in ("disks", "nics"):
        for change in changes.get(what) or ():
            if change and change[0] in ("remove", "detach"):
                noun = what[:-1].upper() if what == "nics" else what[:-1]
                out.append(f"{change[0]} {noun} {change[1]}")
    if changes.get("disk_template"):
        target = changes["disk_template"]
        secondary = (
            f" with secondary {changes['remote_node']}" if changes.get("remote_node") else ""
        )
        if changes.get("iallocator"):
            secondary = f" with the secondary {changes['iallocator']} chooses"
        out.append(f"convert its disks to {target}{secondary}")
    if changes.get("offline"):
        out.append("mark it offline")
    return out


add_tag_commands(instance, "instances", "an instance", complete_instances)
