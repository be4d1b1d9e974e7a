"""Plain ``instance create`` and ``instance remove`` (gnt-instance add/remove).

Stand-ins used by the ``instance`` group while :mod:`ganetiops.cli.instance_netboot`
is absent; once it exists its commands are used instead (see
:class:`ganetiops.cli.instance.InstanceGroup`). They stay importable on their own.
"""

from __future__ import annotations

from typing import Any

import click

from ganetiops.cli.common import (
    check_call,
    complete_instances,
    complete_nodes,
    confirm,
    parse_indexed,
    parse_kv,
    yes_option,
)
from ganetiops.cli.jobs_ui import JobOptions, follow_job, job_options
from ganetiops.cli.output import dump, echo
from ganetiops.cli.state import State, pass_state
from ganetiops.errors import ValidationError


def create_arguments(
    *,
    disk_template: str,
    disk: tuple[str, ...],
    os_size: str | None,
    os_name: str | None,
    node: str | None,
    iallocator: str | None,
    backend_parameters: str | None,
    hypervisor_parameters: str | None,
    os_parameters: str | None,
    net: tuple[str, ...],
    no_nics: bool,
    hypervisor: str | None,
    no_start: bool,
    no_install: bool,
    name_check: bool | None,
    ip_check: bool | None,
    tags: str | None,
) -> dict[str, Any]:
    """Command-line values -> keyword arguments of ``client.instances.create`` (pure)."""
    if disk and os_size:
        raise ValidationError("give --disk or -s/--os-size, not both", field="disk")
    disks: list[Any] = parse_indexed(disk, "--disk") if disk else []
    if os_size:
        disks = [{"size": os_size}]
    if no_nics and net:
        raise ValidationError("give --net or --no-nics, not both", field="net")
    nics = parse_indexed(net, "--net") if net else ([] if no_nics else [{}])
    pnode = snode = None
    if node:
        pnode, _, second = node.partition(":")
        snode = second or None
    return {
        "disk_template": disk_template,
        "disks": disks,
        "nics": nics,
        "os": os_name,
        "pnode": pnode,
        "snode": snode,
        "iallocator": iallocator,
        "beparams": parse_kv(backend_parameters, "-B") or None,
        "hvparams": parse_kv(hypervisor_parameters, "-H") or None,
        "osparams": parse_kv(os_parameters, "-O", typed=False) or None,
        "hypervisor": hypervisor,
        "start": not no_start,
        "no_install": True if no_install else None,
        "name_check": name_check,
        "ip_check": ip_check,
        "tags": [t for t in (tags or "").split(",") if t],
    }


@click.command("create")
@click.argument("name")
@click.option("-t", "--disk-template", required=True, help="diskless, file, sharedfile, drbd...")
@click.option(
    "--disk", multiple=True, metavar="[N:]size=SIZE,...", help="A disk (repeat for more)."
)
@click.option("-s", "--os-size", metavar="SIZE", help="One disk of SIZE (like gnt-instance -s).")
@click.option("-o", "--os", "os_name", help="OS definition (noop, debootstrap+default, pxe...).")
@click.option(
    "-n", "--node", metavar="PNODE[:SNODE]", shell_complete=complete_nodes, help="Placement."
)
@click.option("-I", "--iallocator", help="Let this allocator place the instance.")
@click.option("-B", "--backend-parameters", metavar="K=V,...", help="memory=1G,vcpus=2...")
@click.option("-H", "--hypervisor-parameters", metavar="K=V,...")
@click.option("-O", "--os-parameters", metavar="K=V,...")
@click.option("--net", multiple=True, metavar="[N:]K=V,...", help="A NIC: link=br0, network=…")
@click.option("--no-nics", is_flag=True, help="Create without any NIC.")
@click.option("--hypervisor", help="Hypervisor (default: the cluster's).")
@click.option("--no-start", is_flag=True, help="Do not start it after creation.")
@click.option("--no-install", is_flag=True, help="Do not run the OS create script.")
@click.option(
    "--name-check/--no-name-check",
    default=None,
    help="Resolve the name first (default: not sent, Ganeti's: 3.0 yes, 3.1+ no).",
)
@click.option(
    "--ip-check/--no-ip-check",
    default=None,
    help="Check its IP is free (default: not sent, Ganeti's).",
)
@click.option("--tags", metavar="T1,T2", help="Tags to set.")
@job_options
@pass_state
def create(state: State, /, name: str, jobs: JobOptions, **options: Any) -> None:
    """Create an instance (gnt-instance add).

    \b
    Example:
      gnt-py instance create web1 -t sharedfile -s 1G -o noop -n aleph.homelab.tel \\
          -B memory=256M --net link=br0
    """
    kwargs = create_arguments(**options)
    client = state.client()
    check_call(client.instances, "create", name, **kwargs, **jobs.common())
    job = client.instances.create(name, **kwargs, **jobs.common())
    result = follow_job(job, jobs, what=f"create {name}")
    if result is not None and jobs.output_format != "table":
        echo(dump({"name": name, "job_id": job.id, "nodes": result.value}, jobs.output_format))


@click.command("remove")
@click.argument("names", nargs=-1, required=True, shell_complete=complete_instances)
@click.option("--shutdown-timeout", type=click.IntRange(min=0), metavar="SECONDS")
@yes_option
@job_options
@pass_state
def remove(
    state: State,
    names: tuple[str, ...],
    shutdown_timeout: int | None,
    yes: bool,
    jobs: JobOptions,
) -> None:
    """Remove instances and their disks (gnt-instance remove)."""
    client = state.client()
    for name in names:
        check_call(client.instances, "remove", name, shutdown_timeout=shutdown_timeout)
    listed = ", ".join(names)
    confirm(f"Remove instance(s) {listed} and all their disks?", yes)
    for name in names:
        job = client.instances.remove(name, shutdown_timeout=shutdown_timeout, **jobs.common())
        follow_job(job, jobs, what=f"remove {name}")
