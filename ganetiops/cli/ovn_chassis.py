"""``gnt-py ovn chassis-check`` and ``chassis-apply``: every node's chassis external-ids
over SSH, their drift and SB registration. Registered on the ``ovn`` group by
:mod:`ganetiops.cli.ovn`.
"""

from __future__ import annotations

from typing import Any

import click

from ganetiops.cli import exits
from ganetiops.cli.common import confirm, yes_option
from ganetiops.cli.output import (
    OutputOptions,
    output_options,
)
from ganetiops.cli.ovn_common import database, ovn_options, show_records
from ganetiops.cli.state import State, pass_state
from ganetiops.errors import ValidationError

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
    from ganetiops.ovn import chassis  # lazy: start-up
    from ganetiops.ssh import Host, HostKeys, Nodes, SshSettings  # lazy: asyncssh, start-up
    from ganetiops.ssh.sync import run_sync  # lazy: asyncssh, start-up

    sb_remote = ovn_options().sb
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
    with database("sb") as sb:
        states = chassis.registration(states, sb.snapshot())
    return list(states.values())


@click.command("chassis-check")
@_chassis_options
@output_options(CHASSIS_FIELDS)
@pass_state
def chassis_check(state: State, /, output: OutputOptions, **options: Any) -> int:
    """Read every node's chassis external-ids over SSH; show drift and SB registration."""
    states = _chassis_run(state, options, apply=False, dry_run=False)
    show_records([s.record() for s in states], CHASSIS_FIELDS, output)
    return exits.OK if all(s.ok for s in states) else exits.JOB_FAILED


@click.command("chassis-apply")
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
    show_records([s.record() for s in states], CHASSIS_FIELDS, output)
    return exits.OK if all(s.ok for s in states) or dry_run else exits.JOB_FAILED
