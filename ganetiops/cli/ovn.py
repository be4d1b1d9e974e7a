"""``gnt-py ovn``: OVN switches, ports, chassis; Ganeti's NICs checked against them, repair.

The databases: ``--nb``/``--sb`` (env ``GNTPY_OVN_NB``/``GNTPY_OVN_SB``), else the
cluster's KVM hvparam ``ovn_nb_connection`` (patched Ganeti) for the NB. The status,
lists and changes are here; ``check``/``repair``/``follow`` in
:mod:`ganetiops.cli.ovn_ports`, the chassis in :mod:`ganetiops.cli.ovn_chassis`, what
they share in :mod:`ganetiops.cli.ovn_common`.
"""

from __future__ import annotations

from typing import Any

import click

from ganetiops.cli.common import confirm, yes_option
from ganetiops.cli.output import OutputOptions, dump, echo, output_options
from ganetiops.cli.ovn_chassis import chassis_apply, chassis_check
from ganetiops.cli.ovn_common import OvnOptions, database, ovn_options, records_of, show_records
from ganetiops.cli.ovn_ports import check_cmd, follow, repair
from ganetiops.cli.state import State, pass_state
from ganetiops.errors import ValidationError


@click.group()
@click.option("--nb", envvar="GNTPY_OVN_NB", metavar="REMOTE", help="NB database, tcp:IP:6641.")
@click.option("--sb", envvar="GNTPY_OVN_SB", metavar="REMOTE", help="SB database, tcp:IP:6642.")
@click.option("--db-timeout", "timeout", type=float, default=10.0, show_default=True)
@click.pass_context
def ovn(ctx: click.Context, nb: str | None, sb: str | None, timeout: float) -> None:
    """OVN: switches, ports, DHCP options, routers, chassis; check and repair Ganeti's ports."""
    ctx.meta["ovn"] = OvnOptions(nb, sb, timeout)


# -- status --------------------------------------------------------------------------


@ovn.command("status")
@output_options()
@pass_state
def status(state: State, output: OutputOptions) -> None:
    """Does the cluster have the OVN patch; what the NB and SB hold."""
    from ganetiops.ovn import ops  # lazy: start-up

    support = ops.support(state.client())
    report: dict[str, Any] = {
        "patched": support.patched,
        "ganeti": support.message,
        "evidence": list(support.evidence),
    }
    with database("nb", state) as nb:
        snap = nb.snapshot()
        report["nb"] = nb.remote
        report["switches"] = len(snap.switches)
        report["ports"] = len(snap.ports)
        report["dhcp_options"] = len(snap.dhcp_options)
        report["routers"] = len(snap.routers)
    if ovn_options().sb:
        with database("sb") as sb:
            sbs = sb.snapshot()
            report["sb"] = sb.remote
            report["chassis"] = list(sbs.chassis_names)
            report["bindings"] = len(sbs.bindings)
    if output.format == "table":
        from ganetiops.cli.output import render_mapping  # lazy: start-up

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
        with database(db, state if db == "nb" else None) as opened:
            models = getattr(opened.snapshot(), attribute)
        show_records(records_of(models), defaults, output)


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
    from ganetiops.cli.common import parse_kv  # lazy: start-up
    from ganetiops.ovn.ganeti import NETWORK_KEY  # lazy: start-up

    options = {k: str(v) for k, v in parse_kv(dhcp, "--dhcp", typed=False).items()}
    ids = {NETWORK_KEY: ganeti_network} if ganeti_network else {}
    with database("nb", state) as nb:
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
    from ganetiops.ovn import validate  # lazy: start-up

    validate.name(name, "switch")
    with database("nb", state) as nb:
        switch = nb.snapshot().switch(name)
        if switch is None:
            raise ValidationError(f"no logical switch {name}", field="switch")
        confirm(f"Delete switch {name} and its {len(switch.ports)} port(s)?", yes)
        nb.delete_switch(name)


@ovn.command("add-router")
@click.argument("name")
@click.option("--port", "ports", multiple=True, metavar="NAME,MAC,IP/LEN", help="A router port.")
@click.option("--nat", "nats", multiple=True, metavar="TYPE,EXTERNAL,LOGICAL", help="A NAT rule.")
@pass_state
def add_router(state: State, name: str, ports: tuple[str, ...], nats: tuple[str, ...]) -> None:
    """Create a logical router with its ports and NAT rules: one transaction."""
    parsed_ports = []
    for item in ports:
        parts = item.split(",")
        if len(parts) < 3:
            raise ValidationError(f"--port {item!r}: expected NAME,MAC,IP/LEN", field="port")
        parsed_ports.append((parts[0], parts[1], parts[2:]))
    parsed_nats = []
    for item in nats:
        parts = item.split(",")
        if len(parts) != 3:
            raise ValidationError(f"--nat {item!r}: expected TYPE,EXTERNAL,LOGICAL", field="nat")
        parsed_nats.append((parts[0], parts[1], parts[2]))
    with database("nb", state) as nb:
        nb.create_router(name, ports=parsed_ports, nats=parsed_nats)


@ovn.command("remove-router")
@click.argument("name")
@yes_option
@pass_state
def remove_router(state: State, name: str, yes: bool) -> None:
    """Delete a logical router with its ports and NAT rules."""
    from ganetiops.ovn import validate  # lazy: start-up

    validate.name(name, "router")
    with database("nb", state) as nb:
        if not any(r.name == name for r in nb.snapshot().routers):
            raise ValidationError(f"no logical router {name}", field="router")
        confirm(f"Delete router {name}?", yes)
        nb.delete_router(name)


# -- Ganeti side -------------------------------------------------------------------------


@ovn.command("set-nb-connection")
@click.argument("remote")
@pass_state
def set_nb_connection(state: State, remote: str) -> None:
    """Set the KVM hvparam ovn_nb_connection (patched Ganeti only)."""
    from ganetiops.cli.jobs_ui import JobOptions, follow_job  # lazy: start-up
    from ganetiops.ovn import ops  # lazy: start-up

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
    from ganetiops.cli.jobs_ui import JobOptions, follow_job  # lazy: start-up
    from ganetiops.ovn import ops  # lazy: start-up

    job = ops.connect_network(
        state.client(), network, group, switch=switch, dhcpv4_options=dhcp_uuid, link=link
    )
    follow_job(job, JobOptions(), what=f"connect {network} to {group} (ovn)")


for _command in (check_cmd, repair, follow, chassis_check, chassis_apply):
    ovn.add_command(_command)
