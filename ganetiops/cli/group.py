"""``gnt-py group``: node groups, their policies and members."""

from __future__ import annotations

from typing import Any

import click

from ganetiops.cli.common import (
    add_info_command,
    add_list_command,
    add_tag_commands,
    complete_groups,
    complete_nodes,
    confirm,
    parse_kv,
    yes_option,
)
from ganetiops.cli.jobs_ui import JobOptions, follow_job, job_options
from ganetiops.cli.state import State, pass_state

#: ``gnt-group list`` defaults.
DEFAULT_FIELDS = ("name", "node_cnt", "pinst_cnt", "alloc_policy")
POLICIES = ("preferred", "last_resort", "unallocable")


@click.group()
def group() -> None:
    """Node groups: list, create, assign nodes, change policies."""


def describe_group(g: Any) -> dict[str, Any]:
    return {
        "UUID": g.uuid,
        "Allocation policy": g.alloc_policy,
        "Nodes": ", ".join(g.node_list) or "-",
        "Instance policy": g.ipolicy or "-",
        "Node parameters": g.ndparams or "-",
        "Tags": ", ".join(g.tags) or "-",
    }


add_list_command(
    group, "group", DEFAULT_FIELDS, complete_groups, "List node groups (gnt-group list fields)."
)
add_info_command(
    group,
    "groups",
    complete_groups,
    "Show node groups in detail.",
    describe=describe_group,
    label="Node group",
)


@group.command("add")
@click.argument("name")
@click.option("--alloc-policy", type=click.Choice(POLICIES))
@click.option("--node-parameters", metavar="K=V,...")
@job_options
@pass_state
def add(
    state: State,
    name: str,
    alloc_policy: Any,
    node_parameters: str | None,
    jobs: JobOptions,
) -> None:
    """Create a node group."""
    job = state.submit(
        state.client().groups.create.call(
            name,
            alloc_policy=alloc_policy,
            ndparams=parse_kv(node_parameters, "--node-parameters") or None,
            **jobs.common(),
        )
    )
    follow_job(job, jobs, what=f"add group {name}")


@group.command("remove")
@click.argument("name", shell_complete=complete_groups)
@yes_option
@job_options
@pass_state
def remove(state: State, name: str, yes: bool, jobs: JobOptions) -> None:
    """Remove an empty node group."""
    call = state.client().groups.remove.call(name, **jobs.common())
    confirm(f"Remove node group {name}?", yes)
    follow_job(state.submit(call), jobs, what=f"remove group {name}")


@group.command("rename")
@click.argument("name", shell_complete=complete_groups)
@click.argument("new_name")
@job_options
@pass_state
def rename(state: State, name: str, new_name: str, jobs: JobOptions) -> None:
    """Rename a node group."""
    job = state.submit(state.client().groups.rename.call(name, new_name, **jobs.common()))
    follow_job(job, jobs, what=f"rename group {name}")


@group.command("modify")
@click.argument("name", shell_complete=complete_groups)
@click.option("--alloc-policy", type=click.Choice(POLICIES))
@click.option("--node-parameters", metavar="K=V,...")
@click.option("--ipolicy", "ipolicy", metavar="K=V,...", help="Instance policy values.")
@job_options
@pass_state
def modify(
    state: State,
    name: str,
    alloc_policy: Any,
    node_parameters: str | None,
    ipolicy: str | None,
    jobs: JobOptions,
) -> None:
    """Change a node group's policy or parameters."""
    job = state.submit(
        state.client().groups.modify.call(
            name,
            alloc_policy=alloc_policy,
            ndparams=parse_kv(node_parameters, "--node-parameters") or None,
            ipolicy=parse_kv(ipolicy, "--ipolicy") or None,
            **jobs.common(),
        )
    )
    follow_job(job, jobs, what=f"modify group {name}")


@group.command("assign-nodes")
@click.argument("name", shell_complete=complete_groups)
@click.argument("nodes", nargs=-1, required=True, shell_complete=complete_nodes)
@click.option("--force", is_flag=True, help="Even if it splits DRBD pairs across groups.")
@job_options
@pass_state
def assign_nodes(
    state: State, name: str, nodes: tuple[str, ...], force: bool, jobs: JobOptions
) -> None:
    """Move NODES into the group."""
    job = state.submit(
        state.client().groups.assign_nodes.call(name, list(nodes), force=force, **jobs.common())
    )
    follow_job(job, jobs, what=f"assign nodes to {name}")


add_tag_commands(group, "groups", "a node group", complete_groups)
