"""``gnt-py node``: list nodes, change their role, move instances off them, install the
pxe OS provider on them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ganetiops.cli.common import (
    YES_NO,
    add_info_command,
    add_list_command,
    add_tag_commands,
    complete_nodes,
    confirm,
    drbd_force_option,
    on_off,
    parse_kv,
    yes_option,
)
from ganetiops.cli.jobs_ui import JobOptions, follow_job, job_options
from ganetiops.cli.output import (
    Column,
    OutputOptions,
    dump,
    echo_data,
    format_timestamp,
    output_options,
    print_changes,
    print_records,
)
from ganetiops.cli.remote import ssh_login
from ganetiops.cli.state import State, pass_state
from ganetiops.errors import ValidationError

#: ``gnt-node list`` defaults.
DEFAULT_FIELDS = ("name", "dtotal", "dfree", "mtotal", "mnode", "mfree", "pinst_cnt", "sinst_cnt")
ROLES = ("regular", "master-candidate", "drained", "offline")


@click.group()
def node() -> None:
    """Nodes: list, inspect, drain, evacuate, migrate, power-cycle."""


add_list_command(
    node,
    "node",
    DEFAULT_FIELDS,
    complete_nodes,
    """List nodes (all, or NAMES), with gnt-node list fields.

    \b
    Examples:
      gnt-py node list
      gnt-py node list -o name,role,pip,sip,pinst_list,drained,offline
    """,
    where_help="Only rows where FIELD=VALUE.",
)


def describe_node(n: Any) -> dict[str, Any]:
    def size(value: Any) -> str | None:
        return value.human if value is not None else None

    return {
        "Role": n.role,
        "UUID": n.uuid,
        "Primary IP": n.pip,
        "Secondary IP": n.sip,
        "Group": n.raw.get("group") or n.group_uuid,
        "Flags": ", ".join(
            flag
            for flag, on in (
                ("master-capable", n.master_capable),
                ("vm-capable", n.vm_capable),
                ("drained", n.drained),
                ("offline", n.offline),
            )
            if on
        )
        or "-",
        "Memory": f"{size(n.mtotal)} total, {size(n.mnode)} node, {size(n.mfree)} free",
        "Disk": f"{size(n.dtotal)} total, {size(n.dfree)} free",
        "CPUs": n.ctotal,
        "Primary instances": ", ".join(n.pinst_list) or "-",
        "Secondary instances": ", ".join(n.sinst_list) or "-",
        "Tags": ", ".join(n.tags) or "-",
        "Modified": format_timestamp(n.mtime) if n.mtime else None,
    }


add_info_command(
    node,
    "nodes",
    complete_nodes,
    "Show nodes in detail.",
    describe=describe_node,
    label="Node",
)


@node.command("role")
@click.argument("name", shell_complete=complete_nodes)
@click.argument("role", required=False, type=click.Choice(ROLES))
@click.option("--auto-promote", is_flag=True, help="Promote another node to keep the pool.")
@click.option(
    "--force", is_flag=True, help="Even if the change is not advisable (or DRBD unhealthy)."
)
@yes_option
@job_options
@pass_state
def role(
    state: State,
    name: str,
    role: str | None,
    auto_promote: bool,
    force: bool,
    yes: bool,
    jobs: JobOptions,
) -> None:
    """Show a node's role, or set it (regular, master-candidate, drained, offline)."""
    client = state.client()
    if role is None:
        current = client.nodes.role(name)
        echo_data({"name": name, "role": current}, jobs.output_format, current)
        return
    kwargs: dict[str, Any] = {"force": force, "auto_promote": auto_promote, **jobs.common()}
    call = client.nodes.set_role.call(name, role, **kwargs)  # type: ignore[arg-type]
    if role in ("drained", "offline"):
        from ganetiops.cli.drbd import guard_node  # lazy: start-up

        guard_node(state, "drain" if role == "drained" else "offline", name, force=force)
        confirm(f"Set node {name} to {role}?", yes)
    follow_job(state.submit(call), jobs, what=f"set role of {name} to {role}")


@node.command("evacuate")
@click.argument("name", shell_complete=complete_nodes)
@click.option("-p", "--primary-only", "mode", flag_value="primary-only", help="Primaries only.")
@click.option("-s", "--secondary-only", "mode", flag_value="secondary-only")
@click.option("--all", "mode", flag_value="all", help="Both primaries and secondaries.")
@click.option("-I", "--iallocator", help="Allocator choosing the new nodes.")
@click.option("-n", "--new-secondary", shell_complete=complete_nodes, help="For -s: this node.")
@click.option("--early-release", is_flag=True)
@click.option("--ignore-soft-errors", is_flag=True)
@drbd_force_option
@yes_option
@job_options
@pass_state
def evacuate(
    state: State,
    name: str,
    mode: Any,
    iallocator: str | None,
    new_secondary: str | None,
    early_release: bool,
    ignore_soft_errors: bool,
    force: bool,
    yes: bool,
    jobs: JobOptions,
) -> None:
    """Move instances off a node; follows the child jobs Ganeti spawns.

    Say which: -p (primaries), -s (secondaries) or --all, as gnt-node evacuate wants.
    """
    if mode is None:
        raise click.UsageError(
            "say which instances to move: -p/--primary-only, -s/--secondary-only or --all"
        )
    client = state.client()
    kwargs: dict[str, Any] = {
        "mode": mode,
        "iallocator": iallocator,
        "remote_node": new_secondary,
        "early_release": early_release or None,
        "ignore_soft_errors": ignore_soft_errors or None,
        **jobs.common(),
    }
    call = client.nodes.evacuate.call(name, **kwargs)
    from ganetiops.cli.drbd import guard_node  # lazy: start-up

    guard_node(state, "evacuate", name, force=force, secondaries_too=mode != "primary-only")
    confirm(f"Evacuate ({mode}) all instances from node {name}?", yes)
    follow_job(state.submit(call), jobs, what=f"evacuate {name}")


@node.command("migrate")
@click.argument("name", shell_complete=complete_nodes)
@click.option("--mode", type=click.Choice(["live", "non-live"]))
@click.option("-n", "--target-node", shell_complete=complete_nodes)
@click.option("-I", "--iallocator")
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
    ignore_ipolicy: bool,
    force: bool,
    yes: bool,
    jobs: JobOptions,
) -> None:
    """Live-migrate every primary instance off a node (child jobs followed)."""
    client = state.client()
    kwargs: dict[str, Any] = {
        "mode": mode,
        "target_node": target_node,
        "iallocator": iallocator,
        "ignore_ipolicy": ignore_ipolicy or None,
        **jobs.common(),
    }
    call = client.nodes.migrate.call(name, **kwargs)
    from ganetiops.cli.drbd import guard_node  # lazy: start-up

    guard_node(state, "migrate", name, force=force, secondaries_too=False)
    confirm(f"Migrate all primary instances off node {name}?", yes)
    follow_job(state.submit(call), jobs, what=f"migrate off {name}")


@node.command("modify")
@click.argument("name", shell_complete=complete_nodes)
@click.option("-C", "--master-candidate", type=YES_NO)
@click.option("-D", "--drained", type=YES_NO)
@click.option("-O", "--offline", type=YES_NO)
@click.option("--master-capable", type=YES_NO)
@click.option("--vm-capable", type=YES_NO)
@click.option("-s", "--secondary-ip", metavar="IP")
@click.option("--node-parameters", metavar="K=V,...", help="ndparams (oob_program...).")
@click.option("--auto-promote", is_flag=True)
@click.option("--force", is_flag=True)
@yes_option
@job_options
@pass_state
def modify(
    state: State,
    name: str,
    master_candidate: str | None,
    drained: str | None,
    offline: str | None,
    master_capable: str | None,
    vm_capable: str | None,
    secondary_ip: str | None,
    node_parameters: str | None,
    auto_promote: bool,
    force: bool,
    yes: bool,
    jobs: JobOptions,
) -> None:
    """Change node flags and parameters (gnt-node modify)."""
    client = state.client()
    kwargs: dict[str, Any] = {
        "master_candidate": on_off(master_candidate),
        "drained": on_off(drained),
        "offline": on_off(offline),
        "master_capable": on_off(master_capable),
        "vm_capable": on_off(vm_capable),
        "secondary_ip": secondary_ip,
        "ndparams": parse_kv(node_parameters, "--node-parameters") or None,
        "auto_promote": auto_promote or None,
        "force": force or None,
        **jobs.common(),
    }
    call = client.nodes.modify.call(name, **kwargs)
    if kwargs["offline"] or kwargs["drained"]:
        from ganetiops.cli.drbd import guard_node  # lazy: start-up

        guard_node(state, "offline" if kwargs["offline"] else "drain", name, force=force)
        confirm(f"Mark node {name} {'offline' if kwargs['offline'] else 'drained'}?", yes)
    result = follow_job(state.submit(call), jobs, what=f"modify {name}")
    if result is not None and result.value and jobs.output_format == "table":
        print_changes(result.value, "table")


@node.command("powercycle")
@click.argument("name", shell_complete=complete_nodes)
@click.option("--force", is_flag=True, help="Even the master node (or DRBD unhealthy).")
@yes_option
@job_options
@pass_state
def powercycle(state: State, name: str, force: bool, yes: bool, jobs: JobOptions) -> None:
    """Power-cycle a node through its hypervisor (everything on it stops hard)."""
    call = state.client().nodes.powercycle.call(name, force=force, **jobs.common())
    from ganetiops.cli.drbd import guard_node  # lazy: start-up

    guard_node(state, "reboot", name, force=force)
    confirm(f"Power-cycle node {name}? Every instance on it stops at once.", yes)
    follow_job(state.submit(call), jobs, what=f"powercycle {name}")


@node.command("storage")
@click.argument("name", shell_complete=complete_nodes)
@click.option(
    "-t",
    "--storage-type",
    default="file",
    show_default=True,
    help="lvm-vg, lvm-pv, file, sharedfile...",
)
@click.option(
    "-o",
    "--output",
    "storage_fields",
    default="name,size,used,free,allocatable",
    show_default=True,
    metavar="FIELDS",
)
@output_options()
@pass_state
def storage(
    state: State, name: str, storage_type: str, storage_fields: str, output: OutputOptions
) -> None:
    """Storage units of a node (runs a job; needs a write user)."""
    names = [f for f in storage_fields.split(",") if f]
    job = state.client().nodes.storage(name, storage_type=storage_type, output_fields=names)
    units = job.wait().value
    kinds = {"size": "unit", "used": "unit", "free": "unit", "allocatable": "bool"}
    print_records(
        [u.values for u in units],
        [Column(f, f.capitalize(), kinds.get(f, "text")) for f in names],
        output,
    )


add_tag_commands(node, "nodes", "a node", complete_nodes)


@node.command("install-os-provider")
@click.option(
    "--node",
    "nodes",
    multiple=True,
    metavar="NODE",
    help="Nodes to install on (default: every node of the cluster).",
)
@click.option(
    "--path",
    "target",
    default="/srv/ganeti/os/pxe",
    show_default=True,
    help="OS directory on the nodes.",
)
@click.option(
    "--image",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An iPXE disk image to install beside the scripts (ipxe.img).",
)
@click.option("--plan", is_flag=True, help="Show the plan and change nothing.")
@pass_state
def install_os_provider(
    state: State, nodes: tuple[str, ...], target: str, image: Path | None, plan: bool
) -> None:
    """Install the project's pxe OS provider on the nodes over SSH; check with gnt-os."""
    # lazy: netboot room, start-up
    from ganetiops.netboot.osprovider import install_os_provider as install
    from ganetiops.ssh import Host, Nodes, run_sync  # lazy: asyncssh, start-up

    client = state.client()
    info = client.cluster.info()
    cluster_nodes = {n.name: n for n in client.nodes.list()}
    chosen = list(nodes) or sorted(cluster_nodes)
    unknown = [n for n in chosen if n not in cluster_nodes]
    if unknown:
        raise ValidationError(f"not nodes of the cluster: {', '.join(unknown)}", field="node")
    settings, user, port = ssh_login(state.context)
    hosts = [Host(name=n, address=cluster_nodes[n].pip, user=user, port=port) for n in chosen]
    master = info.master if info.master in chosen else None
    if master is None and info.master:
        hosts.append(
            Host(name=info.master, address=cluster_nodes[info.master].pip, user=user, port=port)
        )
        master = info.master

    async def go() -> Any:
        async with Nodes(hosts, settings) as connected:
            return await install(
                connected,
                target=target,
                image=image,
                master=master,
                hosts=chosen,
                plan_only=plan,
            )

    report = run_sync(go())
    if state.output_format != "table":
        data = {
            "target": report.target,
            "changed": {k: list(v) for k, v in report.changed.items()},
            "os_list": report.os_list.split(),
        }
        click.echo(dump(data, state.output_format))
        return
    for check in report.checks:
        changed = report.changed.get(check.node, ())
        verb = "would update" if plan else "updated"
        zstd = "zstd" if check.has_zstd else "no zstd (export uses gzip)"
        what = f"{verb} {', '.join(changed)}" if changed else "up to date"
        click.echo(f"{check.node}: {what}; image {check.image or 'uploaded'}; {zstd}")
    if not plan:
        click.echo(f"gnt-os list on {report.master}: {' '.join(report.os_list.split())}")


from ganetiops.cli.drbd_ops import maintenance, return_  # noqa: E402 - the DRBD room's commands

node.add_command(maintenance)
node.add_command(return_)
