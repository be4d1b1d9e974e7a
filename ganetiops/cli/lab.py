"""``gnt-py lab``: the local namespace lab (up, down, status, exec)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import click

from ganetiops.cli.output import dump
from ganetiops.cli.state import State, echo_err, pass_state

if TYPE_CHECKING:
    from ganetiops.lab import Lab, LabStatus


def _lab(slot: int | None = None, rapi_bind: str = "all") -> Lab:
    """The lab the group's ``--name`` selects."""
    from ganetiops.lab import Lab  # lazy: lab room, start-up

    name = str(click.get_current_context().meta["lab_name"])
    return Lab(name, slot, rapi_bind=rapi_bind)


@click.group()
@click.option(
    "--name",
    envvar="GANETIOPS_LAB",
    default="lab",
    show_default=True,
    metavar="NAME",
    help="Which lab (env GANETIOPS_LAB). Several labs can run side by side.",
)
@click.pass_context
def lab(ctx: click.Context, name: str) -> None:
    """The local lab: the homelab's four Ganeti nodes, boot server and OVN, in namespaces.

    Needs root. The default lab uses the homelab's addresses (10.1.100.0/24 and
    10.1.97.0/24); other labs use a slot N: 10.(100+N).100.0/24 and 10.(100+N).97.0/24.
    """
    ctx.meta["lab_name"] = name


@lab.command()
@click.option("--bare", is_flag=True, help="Prepared nodes, no cluster (for bootstrap tests).")
@click.option(
    "--slot",
    type=click.IntRange(0, 99),
    envvar="GANETIOPS_LAB_SLOT",
    help="Address plan slot (env GANETIOPS_LAB_SLOT); default 0 for 'lab', else a free one.",
)
@click.option(
    "--rapi-bind",
    type=click.Choice(["all", "loopback"]),
    envvar="GANETIOPS_LAB_RAPI_BIND",
    default="all",
    show_default=True,
    help="RAPI on every address (lab convenience) or the master's 127.0.0.1 only (homelab).",
)
@click.option("--keep-on-error", is_flag=True, help="Leave a failed lab for inspection.")
def up(bare: bool, slot: int | None, rapi_bind: str, keep_on_error: bool) -> None:
    """Bring the lab up (and create the cluster unless --bare)."""
    from ganetiops.lab.host import require_root  # lazy: lab room, start-up

    require_root()
    target = _lab(slot, rapi_bind)
    if target.is_up():
        echo_err(f"lab {target.name} is already up (slot {target.slot}); nothing changed.")
        return
    started = time.monotonic()
    echo_err(f"Bringing lab {target.name} up{' (bare)' if bare else ''}...")
    facts = target.up(bare=bare, keep_on_error=keep_on_error)
    elapsed = time.monotonic() - started
    echo_err(f"lab {facts.name} is up in {elapsed:.1f} s (slot {facts.slot}).")
    if facts.cluster:
        echo_err(
            f"Cluster {facts.cluster.name} at {facts.cluster.url}; "
            f"use: gnt-py --context {facts.name} ..."
        )


@lab.command()
def down() -> None:
    """Take the lab down, leaving nothing behind.

    Stops every process of the lab, removes its namespaces, veth, routes, files and the
    configuration context it wrote; also after an up that failed half-way.
    """
    from ganetiops.lab.host import require_root  # lazy: lab room, start-up

    require_root()
    target = _lab()
    if target.down():
        echo_err(f"lab {target.name} is down.")
    else:
        echo_err(f"lab {target.name} is not up; nothing to do.")


@lab.command()
@pass_state
def status(state: State) -> None:
    """Show machines, roles, daemons and addresses.

    With the global option (gnt-py --format json lab status): everything, including
    host keys and the paths of keys and password files (never the secrets).
    """
    from ganetiops.lab.host import require_root  # lazy: lab room, start-up

    require_root()
    current = _lab().status()
    if state.output_format == "table":
        click.echo(_table(current))
    else:
        click.echo(dump(current.to_json(), state.output_format))


def _table(current: LabStatus) -> str:
    from tabulate import tabulate  # lazy: tabulate, start-up

    if current.phase == "down":
        return f"lab {current.name}: down"
    header = [f"lab {current.name}: {current.phase}, slot {current.slot}"]
    if current.phase == "up" and not current.running:
        header[0] += " (machines missing: run gnt-py lab down, then up)"
    facts = current.facts
    if facts and facts.cluster:
        header.append(
            f"cluster {facts.cluster.name}: {facts.cluster.url} (context {current.context})"
        )
    elif facts:
        header.append("no cluster (bare)")
    if current.error:
        header.append(f"error: {current.error}")
    rows: list[list[Any]] = [
        [
            m.name,
            m.role,
            m.primary_ip,
            m.secondary_ip or "",
            "yes" if m.running else "NO",
            ", ".join(m.daemons),
        ]
        for m in current.machines
    ]
    table = tabulate(
        rows, headers=["machine", "role", "primary", "secondary", "running", "daemons"]
    )
    return "\n".join(header) + "\n\n" + table


@lab.command(
    name="exec",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("machine")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(machine: str, command: tuple[str, ...]) -> None:
    """Run COMMAND inside MACHINE (aleph, bet, gimel, dalet or boot).

    Example: gnt-py lab exec aleph -- gnt-node list
    """
    from ganetiops.lab.host import require_root  # lazy: lab room, start-up

    require_root()
    words = list(command[1:] if command[0] == "--" else command)
    if not words:
        raise click.UsageError("no command given after --")
    argv = _lab().machine(machine).argv(words, env=_terminal_env())
    sys.stdout.flush()
    # SystemExit passes through click (which would swallow an Exit's code here).
    sys.exit(subprocess.call(argv))


def _terminal_env() -> dict[str, str]:
    return {"TERM": os.environ["TERM"]} if "TERM" in os.environ else {}
