"""``gnt-py lab``: the local namespace lab (up, down, status, exec)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import click

from ganetiops.cli.progress import FanoutProgress
from ganetiops.cli.state import State, echo_err, pass_state
from ganetiops.errors import LabError

if TYPE_CHECKING:
    from ganetiops.lab import Lab, LabStatus
    from ganetiops.lab.vm import DrbdLab

KINDS = ("namespace", "drbd")
#: The namespace lab's hypervisors (ganetiops.lab.cluster.HYPERVISORS), default first.
HYPERVISORS = ("kvm", "fake")


def _lab(
    slot: int | None = None,
    rapi_bind: str = "all",
    nodes: int | None = None,
    default_hypervisor: str | None = None,
) -> Lab:
    """The namespace lab the group's ``--name`` selects."""
    from ganetiops.lab import Lab  # lazy: lab room, start-up

    name = str(click.get_current_context().meta["lab_name"])
    return Lab(name, slot, rapi_bind=rapi_bind, nodes=nodes, default_hypervisor=default_hypervisor)


def _existing() -> Lab | DrbdLab:
    """The lab ``--name`` selects, of the kind its record says (namespace if none)."""
    from ganetiops.lab.vm import DrbdLab, record_kind  # lazy: lab room, start-up

    target = _lab()
    if record_kind(target.record()) == "drbd":
        return DrbdLab(target.name)
    return target


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
@click.option(
    "--nodes",
    type=click.IntRange(1, 36),
    default=None,
    help="Ganeti nodes. namespace: 4 (the homelab's four, default) to 36 (node05, "
    "node06...). drbd: 1 to 3 (default 3).",
)
@click.option(
    "--default-hypervisor",
    type=click.Choice(HYPERVISORS),
    help="The cluster's default hypervisor, for instances created without --hypervisor "
    "(both are enabled). kvm (the default): real VMs, QEMU in software emulation, so "
    "`instance create navidrome` boots; fake: instances that need no VM (the test suite, "
    "many instances).  [default: kvm]",
)
@click.option("--keep-on-error", is_flag=True, help="Leave a failed lab for inspection.")
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default="namespace",
    show_default=True,
    help="namespace: four nodes in namespaces (kvm in software emulation and fake, "
    "file/sharedfile). "
    "drbd: three QEMU/TCG VMs on Debian's kernel with real DRBD and LVM (about 4 GB of "
    "memory; the first run builds a cached image).",
)
@click.option(
    "--release",
    type=click.Choice(["bookworm", "trixie"]),
    default="bookworm",
    show_default=True,
    help="--kind drbd: the VMs' Debian release (bookworm: Ganeti 3.0.2, trixie: 3.1).",
)
def up(
    bare: bool,
    slot: int | None,
    rapi_bind: str,
    nodes: int | None,
    default_hypervisor: str | None,
    keep_on_error: bool,
    kind: str,
    release: str,
) -> None:
    """Bring the lab up (and create the cluster unless --bare)."""
    from ganetiops.lab.host import require_root  # lazy: lab room, start-up
    from ganetiops.lab.lab import down_command  # lazy: lab room, start-up

    if kind == "drbd":
        if nodes is not None and nodes > 3:
            raise click.UsageError("--kind drbd has 1 to 3 nodes (--nodes)")
        if default_hypervisor is not None:
            raise click.UsageError(
                "--default-hypervisor is for the namespace lab (--kind namespace)"
            )
    elif nodes is not None and nodes < 4:
        raise click.UsageError("the namespace lab has 4 to 36 nodes (--nodes)")
    require_root()
    if kind == "drbd":
        _up_drbd(slot, rapi_bind, bare, keep_on_error, release, nodes)
        return
    target = _lab(slot, rapi_bind, nodes or 4, default_hypervisor or HYPERVISORS[0])
    if target.is_up():
        echo_err(f"lab {target.name} is already up (slot {target.slot}); nothing changed.")
        if default_hypervisor and default_hypervisor != target.default_hypervisor:
            echo_err(
                f"Its default hypervisor stays {target.default_hypervisor}; to change it: "
                f"{down_command(target.name)}, then up again."
            )
        return
    started = time.monotonic()
    echo_err(f"Bringing lab {target.name} up{' (bare)' if bare else ''}...")
    facts = target.up(bare=bare, keep_on_error=keep_on_error)
    elapsed = time.monotonic() - started
    echo_err(f"lab {facts.name} is up in {elapsed:.1f} s (slot {facts.slot}).")
    if facts.cluster:
        echo_err(
            f"Cluster {facts.cluster.name} at {facts.cluster.url} (default hypervisor "
            f"{target.default_hypervisor}); use: gnt-py --context {facts.name} ..."
        )


def _up_drbd(
    slot: int | None,
    rapi_bind: str,
    bare: bool,
    keep_on_error: bool,
    release: str,
    nodes: int | None = None,
) -> None:
    from ganetiops.lab.vm import DrbdLab  # lazy: lab room, start-up

    if rapi_bind != "all":
        raise click.UsageError("--kind drbd serves RAPI on the cluster address (--rapi-bind all)")
    name = str(click.get_current_context().meta["lab_name"])
    target = DrbdLab(name, slot, release=release, nodes=nodes, progress=echo_err)
    if target.is_up():
        echo_err(f"lab {target.name} is already up (slot {target.slot}); nothing changed.")
        return
    started = time.monotonic()
    echo_err(f"Bringing DRBD lab {target.name} up ({release}){' (bare)' if bare else ''}...")
    facts = target.up(bare=bare, keep_on_error=keep_on_error)
    elapsed = time.monotonic() - started
    echo_err(
        f"lab {facts.name} is up in {elapsed:.1f} s (slot {facts.slot}, Ganeti {facts.ganeti})."
    )
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
    target = _existing()
    if target.down():
        echo_err(f"lab {target.name} is down.")
    else:
        echo_err(f"lab {target.name} is not up; nothing to do.")


@lab.command()
@click.option(
    "--instances",
    "count",
    type=click.IntRange(1, 9999),
    required=True,
    help="How many instances the lab should hold (the missing ones are created).",
)
@click.option("--prefix", default="fill", show_default=True, help="Instance name prefix.")
@click.option("--remove", is_flag=True, help="Remove every <prefix>NNNN instance instead.")
@click.option("--yes", is_flag=True, help="Do not ask before removing.")
@click.option(
    "--candidates",
    type=click.IntRange(1),
    help="Keep only N master candidates while creating (each create is about twice as "
    "cheap with 1); the others are promoted again afterwards.",
)
def fill(count: int, prefix: str, remove: bool, yes: bool, candidates: int | None) -> None:
    """Fill the lab with many real diskless instances (scale tests, benchmarks).

    Creates <prefix>0001... up to --instances through the library's async fan-out,
    spread over the nodes, not started; --remove takes them all away again.
    """
    from ganetiops.lab import fill as lab_fill  # lazy: lab room, start-up
    from ganetiops.rapi import AsyncRapiClient  # lazy: httpx, start-up

    lab_fill.instance_names(count, prefix)  # bad input refused before anything is sent
    record = _lab().record()
    if record is None or record.context is None:
        raise LabError(f"lab {_lab().name} is not up with a cluster")
    context = record.context.name
    if remove and not yes:
        click.confirm(f"Remove every {prefix}NNNN instance of lab {record.name}?", abort=True)
    progress = FanoutProgress("remove" if remove else "create")

    async def go() -> tuple[list[Any], int]:
        async with AsyncRapiClient.from_context(context) as client:
            if remove:
                return await lab_fill.empty(client, prefix=prefix, on_progress=progress), 0
            return await lab_fill.fill(
                client, count, prefix=prefix, on_progress=progress, candidates=candidates
            )

    try:
        outcomes, existing = asyncio.run(go())
    finally:
        progress.close()
    failed = [o for o in outcomes if not o.ok]
    verb = "removed" if remove else "created"
    echo_err(
        f"{len(outcomes) - len(failed)} {verb}"
        + (f", {existing} existed already" if existing else "")
        + (f", {len(failed)} failed" if failed else "")
    )
    for outcome in failed[:10]:
        echo_err(f"  {outcome.key}: {outcome.error}")
    if failed:
        raise SystemExit(1)


@lab.command()
@pass_state
def status(state: State) -> None:
    """Show machines, roles, daemons and addresses.

    With the global option (gnt-py --format json lab status): everything, including
    host keys and the paths of keys and password files (never the secrets).
    """
    from ganetiops.lab.host import require_root  # lazy: lab room, start-up

    require_root()
    target = _existing()
    current = target.status()
    hypervisor = _default_hypervisor(target)
    if state.output_format == "table":
        click.echo(_table(current, hypervisor))
    else:
        from ganetiops.cli.output import dump  # lazy: start-up

        data = current.to_json()
        if hypervisor:
            data["default_hypervisor"] = hypervisor
        click.echo(dump(data, state.output_format))


def _default_hypervisor(target: Lab | DrbdLab) -> str | None:
    """A namespace lab's default hypervisor, from its record (``None``: DRBD lab, down)."""
    from ganetiops.lab import Lab  # lazy: lab room, start-up

    if not isinstance(target, Lab) or target.record() is None:
        return None
    return target.default_hypervisor


def _table(current: LabStatus, hypervisor: str | None = None) -> str:
    from tabulate import tabulate  # lazy: tabulate, start-up

    if current.phase == "down":
        return f"lab {current.name}: down"
    header = [f"lab {current.name}: {current.phase}, slot {current.slot}"]
    if current.phase == "up" and not current.running:
        header[0] += f" (machines missing: run gnt-py lab --name {current.name} down, then up)"
    facts = current.facts
    if facts and facts.cluster:
        header.append(
            f"cluster {facts.cluster.name}: {facts.cluster.url} (context {current.context}"
            + (f", default hypervisor {hypervisor})" if hypervisor else ")")
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
    """Run COMMAND inside MACHINE (aleph, bet, gimel, dalet or boot; a VM over SSH).

    Example: gnt-py lab exec aleph -- gnt-node list
    """
    from ganetiops.lab.host import require_root  # lazy: lab room, start-up

    require_root()
    words = list(command[1:] if command[0] == "--" else command)
    if not words:
        raise click.UsageError("no command given after --")
    argv = _existing().machine(machine).argv(words, env=_terminal_env())
    sys.stdout.flush()
    # SystemExit passes through click (which would swallow an Exit's code here).
    sys.exit(subprocess.call(argv))


def _terminal_env() -> dict[str, str]:
    return {"TERM": os.environ["TERM"]} if "TERM" in os.environ else {}
