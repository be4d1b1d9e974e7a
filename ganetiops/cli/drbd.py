"""``gnt-py drbd``: DRBD health read from the nodes (status, watch), and the guards
that the risky instance and node commands call before they submit anything.

The nodes are reached over SSH as ``cluster verify`` reaches the master (the
context's ``[ssh]`` table, or the lab's keys for a lab context); host keys are
verified. The minors of each instance's disks come from RAPI's instance info.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from ganetiops.cli.common import complete_instances
from ganetiops.cli.output import (
    Column,
    OutputOptions,
    dump,
    output_options,
    print_records,
    select_fields,
)
from ganetiops.cli.state import State, echo_err, pass_state
from ganetiops.errors import ValidationError

if TYPE_CHECKING:
    from ganetiops.drbd.guards import Decision
    from ganetiops.drbd.health import ClusterDrbd, HealthReader
    from ganetiops.drbd.view import InstanceHealth

#: ``drbd status`` fields (instance view).
FIELDS: dict[str, Column] = {
    c.name: c
    for c in (
        Column("name", "Instance"),
        Column("primary", "Primary"),
        Column("secondary", "Secondary"),
        Column("state", "State"),
        Column("percent", "Sync%", "number"),
        Column("eta", "ETA"),
        Column("speed", "KiB/s", "number"),
        Column("oos", "OOS_KiB", "number"),
        Column("detail", "Detail"),
        Column("minors", "Minors"),
        Column("ports", "Ports"),
        Column("good_copies", "UpToDate_on"),
        Column("admin_state", "Admin"),
        Column("running", "Running", "bool"),
        Column("disks", "Disks", "number"),
    )
}
DEFAULT_FIELDS = ("name", "primary", "secondary", "state", "percent", "eta", "detail")
#: ``drbd status --minors`` fields (one row per node and minor).
MINOR_FIELDS: dict[str, Column] = {
    c.name: c
    for c in (
        Column("node", "Node"),
        Column("minor", "Minor", "number"),
        Column("resource", "Resource"),
        Column("instance", "Instance"),
        Column("disk", "Disk", "number"),
        Column("role", "Role"),
        Column("peer_role", "Peer"),
        Column("cstate", "CState"),
        Column("disk_state", "DState"),
        Column("peer_disk_state", "Peer_DState"),
        Column("percent", "Sync%", "number"),
        Column("speed_kib", "KiB/s", "number"),
        Column("eta", "ETA"),
        Column("oos_kib", "OOS_KiB", "number"),
        Column("split_brain", "SplitBrain", "bool"),
    )
}
DEFAULT_MINOR_FIELDS = (
    "node",
    "minor",
    "instance",
    "disk",
    "role",
    "cstate",
    "disk_state",
    "peer_disk_state",
    "percent",
    "eta",
)


def format_eta(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def instance_record(inst: InstanceHealth) -> dict[str, Any]:
    disks = inst.disks
    speeds = [d.speed_kib for d in disks if d.speed_kib is not None]
    oos = [d.out_of_sync_kib for d in disks if d.out_of_sync_kib is not None]
    return {
        "name": inst.name,
        "primary": inst.primary,
        "secondary": inst.secondary,
        "state": inst.state,
        "percent": inst.percent,
        "eta": format_eta(inst.eta_seconds),
        "speed": min(speeds) if speeds else None,
        "oos": sum(oos) if oos else None,
        "detail": inst.detail,
        "minors": ",".join(f"{d.primary_minor}/{d.secondary_minor}" for d in disks),
        "ports": ",".join(str(d.port) for d in disks),
        "good_copies": list(inst.good_copies),
        "admin_state": inst.admin_state,
        "running": inst.running,
        "disks": len(disks),
    }


def _columns(option: str | None, defaults: Sequence[str], known: dict[str, Column]) -> list[Column]:
    names = select_fields(option, defaults)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValidationError(
            f"unknown field(s): {', '.join(unknown)} (known: {', '.join(known)})",
            field="output",
        )
    return [known[n] for n in names]


def reader_for(state: State, instances: Sequence[str] | None = None, **kwargs: Any) -> HealthReader:
    """A :class:`HealthReader` for the context's cluster and SSH login."""
    from ganetiops.cli.remote import ssh_login  # lazy: start-up
    from ganetiops.drbd.health import HealthReader  # lazy: start-up

    settings, user, port = ssh_login(state.context)
    return HealthReader(
        state.client(), settings, user=user, port=port, instances=instances, **kwargs
    )


def read_health(state: State, instances: Sequence[str] | None = None, **kwargs: Any) -> ClusterDrbd:
    with reader_for(state, instances, **kwargs) as reader:
        return reader.read()


class GanetiReader:
    """Ganeti's own view (non-static instance info), for a context without SSH login:
    what ``drbd status`` and ``drbd watch`` fall back to, saying so."""

    def __init__(self, state: State, instances: Sequence[str] | None) -> None:
        self.state = state
        self.wanted = list(instances) if instances else None

    def read(self) -> ClusterDrbd:
        from ganetiops.drbd.health import ClusterDrbd, drbd_instances  # lazy: start-up

        names = [i.name for i in drbd_instances(self.state.client(), self.wanted)]
        if not names:
            return ClusterDrbd(nodes={})
        report = _ganeti_health(self.state, "drbd status", names, force=False)
        assert report is not None  # force=False: unreadable raises
        return report

    def close(self) -> None:
        pass

    def __enter__(self) -> GanetiReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def any_reader(
    state: State, instances: Sequence[str] | None = None, **kwargs: Any
) -> HealthReader | GanetiReader:
    """The nodes' view over SSH, or without an SSH login Ganeti's (with a note)."""
    from ganetiops.errors import ConfigError  # lazy: start-up

    try:
        return reader_for(state, instances, **kwargs)
    except ConfigError as exc:
        echo_err(f"no SSH login ({exc}); showing Ganeti's own disk status instead")
        return GanetiReader(state, instances)


@click.group()
def drbd() -> None:
    """DRBD health: per instance and per node minor, read from the nodes over SSH."""


@drbd.command("status")
@click.argument("names", nargs=-1, shell_complete=complete_instances)
@click.option("--minors", is_flag=True, help="One row per node and minor instead.")
@click.option("--all-nodes", is_flag=True, help="Read every online node, not only DRBD ones.")
@output_options(DEFAULT_FIELDS)
@pass_state
def status(
    state: State, names: tuple[str, ...], minors: bool, all_nodes: bool, output: OutputOptions
) -> None:
    """DRBD state of the DRBD instances (all, or NAMES): healthy, syncing (percent,
    ETA), degraded (which side), disconnected, split brain.

    \b
    Examples:
      gnt-py drbd status
      gnt-py drbd status -o name,state,percent,eta,speed,oos web1
      gnt-py drbd status --minors --all-nodes
      gnt-py drbd status --format json
    """
    with any_reader(state, names or None, all_nodes=all_nodes or minors) as reader:
        report = reader.read()
    missing = [n for n in names if report.instance(n) is None]
    if missing:
        echo_err(f"not DRBD instances (or unknown): {', '.join(missing)}")
    if minors:
        columns = _columns(output.fields, DEFAULT_MINOR_FIELDS, MINOR_FIELDS)
        rows = [{**r, "eta": format_eta(r["eta"])} for r in report.minors()]
        print_records(rows, columns, output)
    else:
        columns = _columns(output.fields, DEFAULT_FIELDS, FIELDS)
        records = [instance_record(i) for i in report.instances]
        print_records(records, columns, output)
    # Notes go to stderr whatever the format (stdout holds only the data).
    for name in sorted(report.nodes):
        node = report.nodes[name]
        if not node.loaded or node.problems or node.unknown_lines:
            echo_err(f"{name}: {node.summary}{_node_notes(node)}")
    if not report.instances:
        echo_err("no DRBD instances")


def _node_notes(node: Any) -> str:
    notes = [f"{k}: {v}" for k, v in node.problems.items() if k != "connect"]
    if node.unknown_lines:
        notes.append(f"{len(node.unknown_lines)} unknown line(s): {node.unknown_lines[0]!r}")
    return ("; " + "; ".join(notes)) if notes else ""


def bar(percent: float | None, width: int = 24) -> str:
    if percent is None:
        return "[" + "?" * width + "]"
    filled = round(width * max(0.0, min(percent, 100.0)) / 100)
    return "[" + "#" * filled + "." * (width - filled) + "]"


def watch_lines(report: ClusterDrbd, *, tty: bool) -> list[str]:
    """One line per instance disk that is not plainly healthy (or a summary line)."""
    lines = []
    for inst in report.instances:
        for disk in inst.disks:
            if disk.state == "healthy" and disk.percent is None:
                continue
            eta = format_eta(disk.eta_seconds) or "-"
            speed = f"{disk.speed_kib} KiB/s" if disk.speed_kib is not None else "-"
            pct = f"{disk.percent:5.1f}%" if disk.percent is not None else "    ?%"
            head = f"{inst.name} disk/{disk.index} {disk.state}"
            if tty:
                lines.append(f"{head:40} {bar(disk.percent)} {pct} ETA {eta} {speed}")
            else:
                lines.append(f"{head} {pct.strip()} eta={eta} speed={speed} ({disk.detail})")
    if not lines:
        count = len(report.instances)
        lines.append(f"all {count} DRBD instance(s) in sync" if count else "no DRBD instances")
    return lines


def settled(report: ClusterDrbd) -> bool:
    """Nothing syncing any more (nothing left to watch)."""
    return not any(d.state == "syncing" for i in report.instances for d in i.disks)


@drbd.command("watch")
@click.argument("names", nargs=-1, shell_complete=complete_instances)
@click.option("-i", "--interval", type=click.FloatRange(min=0.2), default=2.0, show_default=True)
@click.option("--until-synced", is_flag=True, help="Stop when nothing is syncing any more.")
@click.option("--timeout", type=click.FloatRange(min=0), help="Give up after SECONDS (exit 4).")
@click.option("-n", "--count", type=click.IntRange(min=1), help="Stop after COUNT readings.")
@pass_state
def watch(
    state: State,
    names: tuple[str, ...],
    interval: float,
    until_synced: bool,
    timeout: float | None,
    count: int | None,
) -> None:
    """Live resync progress with ETA: a bar on a terminal, plain lines otherwise.

    \b
    Examples:
      gnt-py drbd watch                      # until Ctrl-C
      gnt-py drbd watch web1 --until-synced  # exit 0 once web1 is in sync
    """
    tty = sys.stdout.isatty()
    started = time.monotonic()
    drawn = 0
    readings = 0
    with any_reader(state, names or None) as reader:
        while True:
            report = reader.read()
            readings += 1
            lines = watch_lines(report, tty=tty)
            if tty:
                if drawn:
                    click.echo(f"\x1b[{drawn}F\x1b[J", nl=False)
                click.echo("\n".join(lines))
                drawn = len(lines)
            else:
                stamp = time.strftime("%H:%M:%S")
                click.echo("\n".join(f"{stamp} {line}" for line in lines))
            if until_synced and settled(report):
                return
            if count is not None and readings >= count:
                return
            if timeout is not None and time.monotonic() - started > timeout:
                from ganetiops.cli import exits  # lazy: start-up

                echo_err(f"still syncing after {timeout:g}s (the resync goes on)")
                raise click.exceptions.Exit(exits.TIMEOUT)
            time.sleep(interval)


# --- guards, for the instance and node commands ------------------------------------


def _announce(decision: Decision) -> None:
    if decision.forced:
        echo_err("WARNING: " + decision.message)


def guard_instance(
    state: State, operation: str, name: str, *, force: bool, target: str | None = None
) -> Decision | None:
    """Refuse ``operation`` on ``name`` if its DRBD is not healthy (no-op if not DRBD).

    Costs one RAPI request for an instance that is not DRBD; reads its two nodes
    otherwise.
    """
    from ganetiops.drbd.guards import check_instance_operation  # lazy: start-up
    from ganetiops.drbd.health import DRBD_TEMPLATES  # lazy: start-up

    inst = state.client().instances.get(name)
    if inst.disk_template not in DRBD_TEMPLATES:
        return None
    report = _guard_health(state, operation, [name], force)
    if report is None:
        return None
    decision = check_instance_operation(
        operation, report.instance(name), target=target, force=force
    ).enforce()
    _announce(decision)
    return decision


def guard_replace_disks(state: State, name: str, mode: str, *, force: bool) -> Decision | None:
    """replace-disks keeps one side and rebuilds the other: -p keeps the secondary,
    -s and -n keep the primary, auto keeps whichever is good."""
    target: str | None = None
    if mode in ("replace_on_primary", "replace_on_secondary", "replace_new_secondary"):
        inst = state.client().instances.get(name)
        if mode == "replace_on_primary":
            target = inst.snodes[0] if inst.snodes else None
        else:
            target = inst.pnode
    return guard_instance(state, "replace-disks", name, force=force, target=target)


def guard_node(
    state: State, operation: str, node: str, *, force: bool, secondaries_too: bool = True
) -> Decision | None:
    """Refuse ``operation`` on ``node`` if a DRBD instance there is unhealthy or the node
    holds its only good copy (no-op when no DRBD instance uses the node)."""
    from ganetiops.drbd.guards import check_node_operation  # lazy: start-up
    from ganetiops.drbd.health import DRBD_TEMPLATES  # lazy: start-up

    client = state.client()
    touching = [
        i.name
        for i in client.instances.list()
        if i.disk_template in DRBD_TEMPLATES
        and (i.pnode == node or (secondaries_too and node in i.snodes))
    ]
    if not touching:
        return None
    report = _guard_health(state, operation, touching, force)
    if report is None:
        return None
    decision = check_node_operation(
        operation, node, report.instances, secondaries_too=secondaries_too, force=force
    ).enforce()
    _announce(decision)
    return decision


def _guard_health(
    state: State, operation: str, names: Sequence[str], force: bool
) -> ClusterDrbd | None:
    """The nodes' view over SSH; without an SSH login, Ganeti's own disk status."""
    from ganetiops.errors import ConfigError  # lazy: start-up

    try:
        return read_health(state, names)
    except ConfigError as exc:
        echo_err(f"{operation}: DRBD read through Ganeti's disk status (no SSH login: {exc})")
        return _ganeti_health(state, operation, names, force)


def _ganeti_health(
    state: State, operation: str, names: Sequence[str], force: bool
) -> ClusterDrbd | None:
    from ganetiops.drbd.guards import GuardRefused  # lazy: start-up
    from ganetiops.drbd.health import ClusterDrbd  # lazy: start-up
    from ganetiops.drbd.view import ganeti_view  # lazy: start-up
    from ganetiops.errors import GanetiOpsError  # lazy: start-up

    client = state.client()
    try:
        jobs = [(name, client.instances.info(name, static=False)) for name in names]
        infos = [{**dict(job.wait(on_log=None).value or {}), "name": n} for n, job in jobs]
    except GanetiOpsError as exc:
        if force:
            echo_err(f"WARNING: {operation}: DRBD state not checked (--force): {exc}")
            return None
        raise GuardRefused(
            f"{operation} refused: the DRBD state of {', '.join(names)} cannot be read ({exc}); "
            "--force does it unchecked",
            field="force",
        ) from exc
    return ClusterDrbd(nodes={}, instances=tuple(ganeti_view(info) for info in infos))


force_option = click.option(
    "--force",
    is_flag=True,
    help="Even if DRBD is not healthy (the DRBD guard is overridden, and says so).",
)

__all__ = [
    "drbd",
    "force_option",
    "guard_instance",
    "guard_node",
    "guard_replace_disks",
    "read_health",
    "reader_for",
    "watch_lines",
]


def dump_report(report: ClusterDrbd, fmt: str) -> str:
    return dump(report.to_dict(), fmt)
