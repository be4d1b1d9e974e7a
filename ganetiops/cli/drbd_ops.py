"""``gnt-py cluster recover``, ``gnt-py node maintenance NODE`` and ``node return NODE``.

Each shows its plan first (``--dry-run`` stops there), asks (``--yes`` does not),
runs one Ganeti job per step, and ends with a report of what each step did.
Running one again is safe: every step checks that it is still needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from ganetiops.cli.common import complete_nodes, confirm, yes_option
from ganetiops.cli.output import dump, echo
from ganetiops.cli.state import State, echo_err, pass_state


def _show_plan(title: str, steps: Sequence[Any], fmt: str) -> None:
    if fmt != "table":
        return
    echo(f"Plan for {title}:")
    echo("\n".join(f"  {n}. {s.text}" for n, s in enumerate(steps, 1)) or "  nothing to do")


def _report(title: str, steps: Sequence[Any], outcomes: Sequence[Any] | None, fmt: str) -> None:
    if fmt != "table":
        data: dict[str, Any] = {"plan": [s.to_dict() for s in steps]}
        if outcomes is not None:
            data["outcomes"] = [o.to_dict() for o in outcomes]
        echo(dump(data, fmt))
    elif outcomes is not None:
        echo(f"Report of {title}:")
        for outcome in outcomes:
            detail = f" ({outcome.detail})" if outcome.detail else ""
            echo(f"  {outcome.step.action} {outcome.step.target or ''}".rstrip() + f": "
                 f"{outcome.status}{detail}")  # fmt: skip
        if len(outcomes) < len(steps):
            echo(f"  not run: {len(steps) - len(outcomes)} step(s) after the failure")
    if outcomes is not None and any(o.status == "failed" for o in outcomes):
        from ganetiops.cli import exits

        raise click.exceptions.Exit(exits.JOB_FAILED)


def _io(state: State, *, wait_timeout: float, approve: Any = None) -> Any:
    from ganetiops.cli.drbd import read_health
    from ganetiops.cli.remote import run_on_master
    from ganetiops.drbd.recover import Io

    def say(line: str) -> None:
        echo_err(line)

    return Io(
        client=state.client(),
        run_master=lambda argv: run_on_master(state, argv),
        read_health=lambda: read_health(state),
        say=say,
        approve=approve or (lambda plan: False),
        wait_timeout=wait_timeout,
    )


def _health_or_none(state: State, instances: Sequence[Any]) -> Any:
    """DRBD health when there are DRBD instances (None without; a note when unreadable)."""
    from ganetiops.cli.drbd import read_health
    from ganetiops.drbd.health import DRBD_TEMPLATES
    from ganetiops.errors import ConfigError

    if not any(i.disk_template in DRBD_TEMPLATES for i in instances):
        return None
    try:
        return read_health(state)
    except ConfigError as exc:
        echo_err(f"DRBD state not read from the nodes: {exc}")
        return None


wait_timeout_option = click.option(
    "--wait-timeout",
    type=click.FloatRange(min=0),
    default=3600.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for DRBD resyncs.",
)


@click.command("recover")
@click.option("--dry-run", is_flag=True, help="Show the plan and change nothing.")
@click.option("--no-wait", is_flag=True, help="Do not wait for the resyncs to finish.")
@wait_timeout_option
@yes_option
@pass_state
def recover(state: State, dry_run: bool, no_wait: bool, wait_timeout: float, yes: bool) -> None:
    """After a power cut or a node reboot: verify-disks, activate the disks of degraded
    DRBD instances, start instances that are admin-up but down, wait for the resyncs.

    \b
    Examples:
      gnt-py cluster recover --dry-run
      gnt-py cluster recover --yes
    """
    from ganetiops.drbd.recover import apply, plan_recovery

    client = state.client()
    instances = client.instances.list()
    nodes = client.nodes.list()
    report = _health_or_none(state, instances)
    steps = plan_recovery(instances, nodes, report)
    if no_wait:
        steps = tuple(s for s in steps if s.action != "wait-sync")
    fmt = state.output_format
    _show_plan("cluster recover", steps, fmt)
    if dry_run:
        _report("cluster recover", steps, None, fmt)
        return
    if any(s.action not in ("verify-disks", "manual") for s in steps):
        confirm("Run this plan?", yes)
    outcomes = apply(steps, _io(state, wait_timeout=wait_timeout))
    _report("cluster recover", steps, outcomes, fmt)


@click.command("maintenance")
@click.argument("name", shell_complete=complete_nodes)
@click.option("--move-secondaries", is_flag=True, help="Move DRBD secondaries off too.")
@click.option("-I", "--iallocator", help="Allocator choosing where instances go.")
@click.option("-n", "--new-secondary", shell_complete=complete_nodes, help="For secondaries.")
@click.option("--dry-run", is_flag=True, help="Show the plan and change nothing.")
@click.option("--force", is_flag=True, help="Even if DRBD is not healthy (the guard).")
@yes_option
@pass_state
def maintenance(
    state: State,
    name: str,
    move_secondaries: bool,
    iallocator: str | None,
    new_secondary: str | None,
    dry_run: bool,
    force: bool,
    yes: bool,
) -> None:
    """Prepare NODE for maintenance: drain it, migrate its primaries off (failover
    where migration is impossible), optionally move its secondaries, mark it ready.
    Interrupted? Run it again: it resumes where it stopped."""
    from ganetiops.cli.drbd import guard_node
    from ganetiops.drbd.recover import apply, plan_maintenance

    client = state.client()
    nodes = client.nodes.list()
    if name not in {n.name for n in nodes}:
        from ganetiops.errors import ValidationError

        raise ValidationError(f"{name} is not a node of the cluster", field="name")
    instances = client.instances.list()
    steps = plan_maintenance(
        name,
        nodes,
        instances,
        move_secondaries=move_secondaries,
        iallocator=iallocator,
        new_secondary=new_secondary,
    )
    fmt = state.output_format
    _show_plan(f"node maintenance {name}", steps, fmt)
    guard_node(state, "maintenance", name, force=force, secondaries_too=True)
    if dry_run:
        _report(f"node maintenance {name}", steps, None, fmt)
        return
    confirm(f"Put {name} in maintenance ({len(steps)} steps)?", yes)
    outcomes = apply(steps, _io(state, wait_timeout=0))
    _report(f"node maintenance {name}", steps, outcomes, fmt)


@click.command("return")
@click.argument("name", shell_complete=complete_nodes)
@click.option("--no-rebalance", is_flag=True, help="Do not offer hbal's moves.")
@click.option("--dry-run", is_flag=True, help="Show the plan and change nothing.")
@wait_timeout_option
@yes_option
@pass_state
def return_(
    state: State, name: str, no_rebalance: bool, dry_run: bool, wait_timeout: float, yes: bool
) -> None:
    """Bring NODE back after maintenance: online, undrain, wait for the resyncs, then
    show a rebalance plan (hbal) and apply it once approved (--yes approves)."""
    from ganetiops.drbd.recover import apply, plan_return

    client = state.client()
    nodes = client.nodes.list()
    if name not in {n.name for n in nodes}:
        from ganetiops.errors import ValidationError

        raise ValidationError(f"{name} is not a node of the cluster", field="name")
    steps = plan_return(name, nodes, rebalance=not no_rebalance)
    fmt = state.output_format
    _show_plan(f"node return {name}", steps, fmt)
    if dry_run:
        _report(f"node return {name}", steps, None, fmt)
        return
    confirm(f"Return {name} to service?", yes)

    def approve(plan: str) -> bool:
        echo_err("hbal's rebalance plan:\n" + plan.rstrip())
        if yes:
            return True
        return click.confirm("Apply these moves?", err=True, default=False)

    # Without DRBD instances the health read asks RAPI once and no node.
    outcomes = apply(steps, _io(state, wait_timeout=wait_timeout, approve=approve))
    _report(f"node return {name}", steps, outcomes, fmt)


__all__ = ["maintenance", "recover", "return_"]
