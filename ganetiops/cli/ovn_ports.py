"""``gnt-py ovn check``, ``repair`` and ``follow``: Ganeti's NICs held against the NB
ports (and SB bindings), and the repairs. Registered on the ``ovn`` group by
:mod:`ganetiops.cli.ovn`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import click

from ganetiops.cli import exits
from ganetiops.cli.common import confirm, yes_option
from ganetiops.cli.output import (
    OutputOptions,
    dump,
    echo,
    output_options,
)
from ganetiops.cli.ovn_common import database, ovn_options, show_records
from ganetiops.cli.state import State, echo_err, pass_state
from ganetiops.errors import ValidationError

_switch_map = click.option(
    "--switch",
    "switch_map",
    multiple=True,
    metavar="NET=SWITCH",
    help="The switch of a Ganeti network (default: the patch's, or a switch of that name).",
)
CHECK_FIELDS = ("kind", "instance", "nic", "port", "expected", "actual")


def _gather(state: State, switch_map: Sequence[str], nb: Any, sb: Any) -> Any:
    from ganetiops.ovn import ops  # lazy: start-up
    from ganetiops.ovn.ganeti import parse_mapping  # lazy: start-up

    return ops.gather(state.client(), nb, sb, switches=parse_mapping(switch_map))


@contextlib.contextmanager
def _dbs(state: State) -> Iterator[tuple[Any, Any]]:
    with database("nb", state) as nb:
        if ovn_options().sb:
            with database("sb") as sb:
                yield nb, sb
        else:
            yield nb, None


@click.command("check")
@_switch_map
@output_options(CHECK_FIELDS)
@pass_state
def check_cmd(state: State, switch_map: tuple[str, ...], output: OutputOptions) -> int:
    """Hold Ganeti's NICs against the NB ports (and SB bindings with --sb).

    Exit code 1 when something repairable differs.
    """
    from ganetiops.ovn import ops  # lazy: start-up

    with _dbs(state) as (nb, sb):
        report = ops.check_state(_gather(state, switch_map, nb, sb))
    show_records([f.record() for f in report.findings], CHECK_FIELDS, output)
    counts = ", ".join(f"{k} {v}" for k, v in report.counts().items()) or "nothing differs"
    echo_err(f"{report.nics} NIC(s) on OVN networks, {report.ports} NB port(s): {counts}")
    return exits.OK if report.ok else exits.JOB_FAILED


@click.command("repair")
@_switch_map
@click.option("-n", "--dry-run", is_flag=True, help="Show the plan; change nothing.")
@click.option("--keep-orphans", is_flag=True, help="Do not delete orphaned ports.")
@click.option("--kind", "kinds", multiple=True, help="Repair only findings of this kind.")
@yes_option
@output_options()
@pass_state
def repair(
    state: State,
    switch_map: tuple[str, ...],
    dry_run: bool,
    keep_orphans: bool,
    kinds: tuple[str, ...],
    yes: bool,
    output: OutputOptions,
) -> None:
    """Show the repair plan, then apply it in one transaction (asks unless --yes)."""
    from ganetiops.ovn import check as checks  # lazy: start-up
    from ganetiops.ovn import ops  # lazy: start-up

    for kind in kinds:
        if kind not in checks.REPAIRABLE:
            known = ", ".join(sorted(checks.REPAIRABLE))
            raise ValidationError(f"--kind {kind!r}: not repairable (one of {known})", field="kind")
    with _dbs(state) as (nb, sb):
        gathered = _gather(state, switch_map, nb, sb)
        report = ops.check_state(gathered)
        plan = ops.plan_repair(
            gathered, report, delete_orphans=not keep_orphans, kinds=kinds or None
        )
        if output.format != "table":
            echo(
                dump(
                    {"dry_run": dry_run, "changes": [c.record() for c in plan.changes]},
                    output.format,
                )
            )
        else:
            for change in plan.changes:
                echo(f"{change.describe()}   [{change.reason}]")
        if plan.empty:
            echo_err("nothing to repair")
            return
        if dry_run:
            echo_err(f"dry run: {len(plan.changes)} change(s) not applied")
            return
        deletes = f", deleting {len(plan.deletes)} port(s)" if plan.deletes else ""
        confirm(f"Apply {len(plan.changes)} change(s) in one transaction{deletes}?", yes)
        applied = ops.apply_plan(nb, plan)
    echo_err(f"applied {applied} change(s) in one transaction")


@click.command("follow")
@click.argument("instance")
@_switch_map
@pass_state
def follow(state: State, instance: str, switch_map: tuple[str, ...]) -> None:
    """Point requested-chassis of INSTANCE's ports at its primary node (after a failover)."""
    from ganetiops.ovn import ops  # lazy: start-up
    from ganetiops.ovn.ganeti import parse_mapping  # lazy: start-up

    with database("nb", state) as nb:
        plan = ops.follow_primary(state.client(), nb, instance, switches=parse_mapping(switch_map))
    for change in plan.changes:
        echo(change.describe())
    echo_err(f"{len(plan.changes)} port(s) updated" if plan.changes else "nothing was stale")
