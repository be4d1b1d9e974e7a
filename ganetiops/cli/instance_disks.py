"""``gnt-py instance grow-disk``, ``activate-disks``, ``deactivate-disks``,
``replace-disks`` and ``recreate-disks``: an instance's disks, as gnt-instance knows them.

The commands are registered on the ``instance`` group by :mod:`ganetiops.cli.instance`.
"""

from __future__ import annotations

import click

from ganetiops.cli.common import (
    complete_instances,
    complete_nodes,
    confirm,
    drbd_force_option,
    yes_option,
)
from ganetiops.cli.jobs_ui import JobOptions, follow_job, job_options
from ganetiops.cli.output import echo_data
from ganetiops.cli.state import State, pass_state
from ganetiops.errors import ValidationError


@click.command("grow-disk")
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


@click.command("activate-disks")
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
        text = "\n".join(":".join(str(v) for v in row) for row in rows)
        echo_data(rows, jobs.output_format, text)


@click.command("deactivate-disks")
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


@click.command("replace-disks")
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
@drbd_force_option
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


@click.command("recreate-disks")
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
