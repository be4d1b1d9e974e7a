"""``gnt-py instance modify``: parameters, NICs, disks and disk template of an instance.

The command is registered on the ``instance`` group by :mod:`ganetiops.cli.instance`.
"""

from __future__ import annotations

from typing import Any

import click

from ganetiops.cli.common import (
    complete_instances,
    complete_nodes,
    confirm,
    is_index,
    parse_kv,
    yes_option,
)
from ganetiops.cli.jobs_ui import JobOptions, follow_job, job_options
from ganetiops.cli.output import print_changes
from ganetiops.cli.state import State, pass_state
from ganetiops.errors import ValidationError


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
        elif is_index(head.lstrip("-")):
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


@click.command("modify")
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
        print_changes(result.value, jobs.output_format)


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
