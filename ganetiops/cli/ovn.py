"""``gnt-py ovn``: OVN switches, ports, chassis; Ganeti's NICs checked against them, repair.

The databases: ``--nb``/``--sb`` (env ``GNTPY_OVN_NB``/``GNTPY_OVN_SB``), else the
cluster's KVM hvparam ``ovn_nb_connection`` (patched Ganeti) for the NB.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
import click

from ganetiops.cli import exits
from ganetiops.cli.common import confirm, yes_option
from ganetiops.cli.output import (
    Column,
    OutputOptions,
    Table,
    dump,
    echo,
    output_options,
    render_table,
    select_fields,
)
from ganetiops.cli.state import State, echo_err, pass_state
from ganetiops.errors import OvnConnectionError, ValidationError


@attrs.define
class OvnOptions:
    nb: str | None
    sb: str | None
    timeout: float


pass_ovn = click.make_pass_decorator(OvnOptions)


@click.group()
@click.option("--nb", envvar="GNTPY_OVN_NB", metavar="REMOTE", help="NB database, tcp:IP:6641.")
@click.option("--sb", envvar="GNTPY_OVN_SB", metavar="REMOTE", help="SB database, tcp:IP:6642.")
@click.option("--db-timeout", "timeout", type=float, default=10.0, show_default=True)
@click.pass_context
def ovn(ctx: click.Context, nb: str | None, sb: str | None, timeout: float) -> None:
    """OVN: switches, ports, DHCP options, routers, chassis; check and repair Ganeti's ports."""
    ctx.meta["ovn"] = OvnOptions(nb, sb, timeout)


def _options() -> OvnOptions:
    return click.get_current_context().meta["ovn"]  # type: ignore[no-any-return]


@contextlib.contextmanager
def _db(kind: str, state: State | None = None) -> Iterator[Any]:
    """The NB or SB database; a connection failure exits with code 3 and a clear line."""
    from ganetiops.ovn.db import Northbound, Southbound

    options = _options()
    remote = options.nb if kind == "nb" else options.sb
    if remote is None and kind == "nb" and state is not None:
        from ganetiops.ovn import ops

        remote = ops.support(state.client()).nb_connection
    if remote is None:
        flag = "--nb" if kind == "nb" else "--sb"
        raise ValidationError(
            f"no {kind.upper()} database: give {flag} tcp:HOST:PORT (or GNTPY_OVN_{kind.upper()})",
            field=kind,
        )
    try:
        db = (Northbound if kind == "nb" else Southbound)(remote, timeout=options.timeout)
    except OvnConnectionError as exc:
        echo_err(click.style(f"Error: {exc}", fg="red"))
        raise click.exceptions.Exit(exits.CONNECTION) from None
    try:
        yield db
    finally:
        db.close()


def _show(
    records: Sequence[dict[str, Any]], defaults: Sequence[str], output: OutputOptions
) -> None:
    fields = select_fields(output.fields, defaults)
    known = set(defaults) | {k for r in records for k in r}
    unknown = [f for f in fields if f not in known]
    if unknown:
        raise ValidationError(
            f"-o: unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})",
            field="output",
        )
    if output.format != "table":
        echo(dump([{f: r.get(f) for f in fields} for r in records], output.format))
        return
    echo(render_table(Table.from_records(records, [Column(f) for f in fields]), output))


def _records(models: Sequence[Any]) -> list[dict[str, Any]]:
    return [attrs.asdict(m) for m in models]


# -- status --------------------------------------------------------------------------


@ovn.command("status")
@output_options()
@pass_state
def status(state: State, output: OutputOptions) -> None:
    """Does the cluster have the OVN patch; what the NB and SB hold."""
    from ganetiops.ovn import ops

    support = ops.support(state.client())
    report: dict[str, Any] = {
        "patched": support.patched,
        "ganeti": support.message,
        "evidence": list(support.evidence),
    }
    with _db("nb", state) as nb:
        snap = nb.snapshot()
        report["nb"] = nb.remote
        report["switches"] = len(snap.switches)
        report["ports"] = len(snap.ports)
        report["dhcp_options"] = len(snap.dhcp_options)
        report["routers"] = len(snap.routers)
    if _options().sb:
        with _db("sb") as sb:
            sbs = sb.snapshot()
            report["sb"] = sb.remote
            report["chassis"] = list(sbs.chassis_names)
            report["bindings"] = len(sbs.bindings)
    if output.format == "table":
        from ganetiops.cli.output import render_mapping

        echo(render_mapping(report, "table", title="OVN"))
    else:
        echo(dump(report, output.format))


# -- lists -----------------------------------------------------------------------------

_LISTS: dict[str, tuple[str, str, tuple[str, ...], str]] = {
    # name: (db, snapshot attribute, default fields, help)
    "switches": ("nb", "switches", ("name", "ports", "other_config"), "Logical switches."),
    "ports": (
        "nb",
        "ports",
        ("name", "switch", "type", "addresses", "options"),
        "Logical switch ports (-o port_security,external_ids,dhcpv4_options,up...).",
    ),
    "dhcp-options": ("nb", "dhcp_options", ("uuid", "cidr", "options"), "DHCP_Options rows."),
    "routers": ("nb", "routers", ("name", "ports", "nat"), "Logical routers."),
    "router-ports": (
        "nb",
        "router_ports",
        ("name", "router", "mac", "networks", "peer"),
        "Logical router ports.",
    ),
    "nat": (
        "nb",
        "nats",
        ("router", "type", "external_ip", "logical_ip", "logical_port"),
        "NAT rules.",
    ),
    "chassis": ("sb", "chassis", ("name", "hostname", "encaps"), "Chassis in the SB."),
    "bindings": (
        "sb",
        "bindings",
        ("logical_port", "type", "chassis", "requested_chassis", "up"),
        "Port bindings in the SB.",
    ),
}


def _add_list(name: str, db: str, attribute: str, defaults: tuple[str, ...], text: str) -> None:
    @ovn.command(f"list-{name}", help=text)
    @output_options(defaults)
    @pass_state
    def list_(state: State, output: OutputOptions) -> None:
        with _db(db, state if db == "nb" else None) as database:
            models = getattr(database.snapshot(), attribute)
        _show(_records(models), defaults, output)


for _name, (_kind, _attr, _defaults, _help) in _LISTS.items():
    _add_list(_name, _kind, _attr, _defaults, _help)


# -- making things -----------------------------------------------------------------------


@ovn.command("add-switch")
@click.argument("name")
@click.option("--cidr", metavar="CIDR", help="Subnet (other_config:subnet; DHCP options' CIDR).")
@click.option("--dhcp", metavar="K=V,...", help="DHCPv4 options: lease_time=3600,router=IP,...")
@click.option("--localnet", metavar="PHYSNET", help="Add <name>-localnet on this physnet.")
@click.option("--network", "ganeti_network", metavar="NET", help="The Ganeti network it serves.")
@output_options()
@pass_state
def add_switch(
    state: State,
    name: str,
    cidr: str | None,
    dhcp: str | None,
    localnet: str | None,
    ganeti_network: str | None,
    output: OutputOptions,
) -> None:
    """Create a logical switch (with DHCP options and a localnet port): one transaction."""
    from ganetiops.cli.common import parse_kv
    from ganetiops.ovn.ganeti import NETWORK_KEY

    options = {k: str(v) for k, v in parse_kv(dhcp, "--dhcp", typed=False).items()}
    ids = {NETWORK_KEY: ganeti_network} if ganeti_network else {}
    with _db("nb", state) as nb:
        made = nb.create_network(
            name, cidr=cidr, dhcp=options or None, localnet=localnet, external_ids=ids
        )
    if output.format == "table":
        echo(f"switch {name}: {made['switch']}")
        if made["dhcp_options"]:
            echo(f"dhcp options: {made['dhcp_options']}")
        if made["localnet"]:
            echo(f"localnet port: {made['localnet']}")
    else:
        echo(dump(made, output.format))


@ovn.command("remove-switch")
@click.argument("name")
@yes_option
@pass_state
def remove_switch(state: State, name: str, yes: bool) -> None:
    """Delete a logical switch and its ports."""
    from ganetiops.ovn import validate

    validate.name(name, "switch")
    with _db("nb", state) as nb:
        switch = nb.snapshot().switch(name)
        if switch is None:
            raise ValidationError(f"no logical switch {name}", field="switch")
        confirm(f"Delete switch {name} and its {len(switch.ports)} port(s)?", yes)
        nb.delete_switch(name)


# -- Ganeti side -------------------------------------------------------------------------


@ovn.command("set-nb-connection")
@click.argument("remote")
@pass_state
def set_nb_connection(state: State, remote: str) -> None:
    """Set the KVM hvparam ovn_nb_connection (patched Ganeti only)."""
    from ganetiops.cli.jobs_ui import JobOptions, follow_job
    from ganetiops.ovn import ops

    job = ops.set_nb_connection(state.client(), remote)
    follow_job(job, JobOptions(), what="set ovn_nb_connection")


@ovn.command("connect")
@click.argument("network")
@click.argument("group")
@click.option("--switch", required=True, help="The OVN logical switch.")
@click.option("--dhcp", "dhcp_uuid", metavar="UUID", help="DHCP_Options UUID.")
@click.option("--link", default="br-int", show_default=True, help="Integration bridge.")
@pass_state
def connect(
    state: State, network: str, group: str, switch: str, dhcp_uuid: str | None, link: str
) -> None:
    """Connect a Ganeti network in mode ovn (patched Ganeti only)."""
    from ganetiops.cli.jobs_ui import JobOptions, follow_job
    from ganetiops.ovn import ops

    job = ops.connect_network(
        state.client(), network, group, switch=switch, dhcpv4_options=dhcp_uuid, link=link
    )
    follow_job(job, JobOptions(), what=f"connect {network} to {group} (ovn)")


# -- check and repair ----------------------------------------------------------------------

_switch_map = click.option(
    "--switch",
    "switch_map",
    multiple=True,
    metavar="NET=SWITCH",
    help="The switch of a Ganeti network (default: the patch's, or a switch of that name).",
)
CHECK_FIELDS = ("kind", "instance", "nic", "port", "expected", "actual")


def _gather(state: State, switch_map: Sequence[str], nb: Any, sb: Any) -> Any:
    from ganetiops.ovn import ops
    from ganetiops.ovn.ganeti import parse_mapping

    return ops.gather(state.client(), nb, sb, switches=parse_mapping(switch_map))


@contextlib.contextmanager
def _dbs(state: State) -> Iterator[tuple[Any, Any]]:
    with _db("nb", state) as nb:
        if _options().sb:
            with _db("sb") as sb:
                yield nb, sb
        else:
            yield nb, None


@ovn.command("check")
@_switch_map
@output_options(CHECK_FIELDS)
@pass_state
def check_cmd(state: State, switch_map: tuple[str, ...], output: OutputOptions) -> int:
    """Hold Ganeti's NICs against the NB ports (and SB bindings with --sb).

    Exit code 1 when something repairable differs.
    """
    from ganetiops.ovn import ops

    with _dbs(state) as (nb, sb):
        report = ops.check_state(_gather(state, switch_map, nb, sb))
    _show([f.record() for f in report.findings], CHECK_FIELDS, output)
    counts = ", ".join(f"{k} {v}" for k, v in report.counts().items()) or "nothing differs"
    echo_err(f"{report.nics} NIC(s) on OVN networks, {report.ports} NB port(s): {counts}")
    return exits.OK if report.ok else exits.JOB_FAILED


@ovn.command("repair")
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
    from ganetiops.ovn import check as checks
    from ganetiops.ovn import ops

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


@ovn.command("follow")
@click.argument("instance")
@_switch_map
@pass_state
def follow(state: State, instance: str, switch_map: tuple[str, ...]) -> None:
    """Point requested-chassis of INSTANCE's ports at its primary node (after a failover)."""
    from ganetiops.ovn import ops
    from ganetiops.ovn.ganeti import parse_mapping

    with _db("nb", state) as nb:
        plan = ops.follow_primary(state.client(), nb, instance, switches=parse_mapping(switch_map))
    for change in plan.changes:
        echo(change.describe())
    echo_err(f"{len(plan.changes)} port(s) updated" if plan.changes else "nothing was stale")


# -- chassis over SSH ----------------------------------------------------------------------

CHASSIS_FIELDS = ("node", "chassis", "ok", "registered", "drift", "ovn-encap-ip", "error")


def _chassis_options(fn: Any) -> Any:
    for option in reversed(
        [
            click.option("--key", metavar="FILE", help="SSH private key (default: the context's)."),
            click.option("--known-hosts", metavar="FILE", help="known_hosts with the nodes' keys."),
            click.option(
                "--encap",
                type=click.Choice(["primary", "secondary"]),
                default="primary",
                show_default=True,
                help="Which node address is ovn-encap-ip.",
            ),
            click.option("--bridge-mappings", metavar="PHYSNET:BRIDGE[,...]"),
            click.option("--node", "only", multiple=True, help="Only these nodes."),
        ]
    ):
        fn = option(fn)
    return fn


def _chassis_run(state: State, options: dict[str, Any], *, apply: bool, dry_run: bool) -> list[Any]:
    from ganetiops.ovn import chassis
    from ganetiops.ssh import Host, HostKeys, Nodes, SshSettings
    from ganetiops.ssh.sync import run_sync

    sb_remote = _options().sb
    if sb_remote is None:
        raise ValidationError("chassis need the SB address: give --sb tcp:HOST:6642", field="sb")
    nodes = state.client().nodes.list()
    if options["only"]:
        wanted = set(options["only"])
        nodes = [n for n in nodes if n.name in wanted or n.name.split(".")[0] in wanted]
    ips = [(n.name, (n.sip if options["encap"] == "secondary" else n.pip) or "") for n in nodes]
    desired = chassis.desired_for(
        ips, ovn_remote=sb_remote, bridge_mappings=options["bridge_mappings"]
    )
    via = state.context.ssh
    key = options["key"] or (via.key if via else None)
    known = options["known_hosts"] or (via.known_hosts if via else None)
    settings = SshSettings(
        HostKeys(known_hosts=[known] if known else []), client_keys=(key,) if key else ()
    )
    hosts = [Host(n.name, n.pip, aliases=(n.name.split(".")[0],)) for n in nodes]

    async def go() -> dict[str, Any]:
        async with Nodes(hosts, settings) as conns:
            if apply:
                return await chassis.apply_chassis(conns, desired, dry_run=dry_run)
            return await chassis.read_chassis(conns, desired)

    states = run_sync(go())
    with _db("sb") as sb:
        states = chassis.registration(states, sb.snapshot())
    return list(states.values())


@ovn.command("chassis-check")
@_chassis_options
@output_options(CHASSIS_FIELDS)
@pass_state
def chassis_check(state: State, /, output: OutputOptions, **options: Any) -> int:
    """Read every node's chassis external-ids over SSH; show drift and SB registration."""
    states = _chassis_run(state, options, apply=False, dry_run=False)
    _show([s.record() for s in states], CHASSIS_FIELDS, output)
    return exits.OK if all(s.ok for s in states) else exits.JOB_FAILED


@ovn.command("chassis-apply")
@_chassis_options
@click.option("-n", "--dry-run", is_flag=True, help="Only show what would be set.")
@yes_option
@output_options(CHASSIS_FIELDS)
@pass_state
def chassis_apply(
    state: State, /, output: OutputOptions, dry_run: bool, yes: bool, **options: Any
) -> int:
    """Set the drifting chassis external-ids on each node over SSH, then read them back."""
    if not dry_run:
        confirm("Set the chassis external-ids of the nodes that drift?", yes)
    states = _chassis_run(state, options, apply=True, dry_run=dry_run)
    _show([s.record() for s in states], CHASSIS_FIELDS, output)
    return exits.OK if all(s.ok for s in states) or dry_run else exits.JOB_FAILED
