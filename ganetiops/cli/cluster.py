"""``gnt-py cluster``: cluster-wide commands.

One section per subcommand (or subgroup) below; each command body parses options,
calls the library (``ganetiops.bootstrap``, ``ganetiops.ssh``) and renders the result.
Heavy modules are imported inside the functions so that ``gnt-py --help`` stays fast.

* ``bootstrap INVENTORY [--plan] [--yes]`` — build or complete a cluster over SSH.
* ``rapi-user list|add|remove`` — the RAPI users file on the master, over SSH.

The cluster-wide commands of :mod:`ganetiops.cli.cluster_ops` (info, verify, modify,
master...) are added to this group when this module is imported.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from ganetiops.cli import exits
from ganetiops.cli.cluster_ops import register
from ganetiops.cli.state import State, echo_err, pass_state

if TYPE_CHECKING:
    from ganetiops.bootstrap.apply import BootstrapReport
    from ganetiops.bootstrap.plan import Plan
    from ganetiops.bootstrap.verify import VerifyReport
    from ganetiops.ssh.nodes import Nodes


@click.group("cluster")
def cluster() -> None:
    """The cluster: bootstrap from an inventory, RAPI users, and cluster-wide commands."""


# -- rendering shared by the subcommands ------------------------------------------------


def _render(state: State, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A table on stdout, or JSON/YAML records with ``--format``."""
    if state.output_format == "table":
        from tabulate import tabulate

        click.echo(tabulate(rows, headers=list(headers), tablefmt="simple"))
        return
    keys = [h.lower().replace(" ", "_") for h in headers]
    records = [dict(zip(keys, row, strict=True)) for row in rows]
    if state.output_format == "json":
        click.echo(json.dumps(records, indent=2))
    else:
        import yaml

        click.echo(yaml.safe_dump(records, sort_keys=False), nl=False)


def _plan_table(state: State, plan: Plan, *, commands: bool = False) -> None:
    _render(state, ("Step", "Node", "State", "Why"), plan.rows(commands=commands))


def _verify_table(state: State, report: VerifyReport) -> None:
    if not report.issues:
        echo_err("verify: no errors, no warnings")
        return
    _render(state, ("Severity", "Code", "Item", "Message"), report.rows())


# -- bootstrap ------------------------------------------------------------------------


@cluster.command("bootstrap")
@click.argument("inventory", type=click.Path(dir_okay=False))
@click.option("--plan", "plan_only", is_flag=True, help="Show the plan and stop; change nothing.")
@click.option("--yes", "-y", is_flag=True, help="Apply without asking for confirmation.")
@click.option(
    "--known-hosts",
    "known_hosts",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Another known_hosts file with the nodes' host keys (repeatable).",
)
@click.option(
    "--ssh-key",
    "ssh_keys",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Private key to log in with, instead of the inventory's ssh.key (repeatable).",
)
@click.option(
    "--stop-after",
    metavar="STEP",
    help="Stop once this step is applied (e.g. init, node-add:bet); a later run resumes.",
)
@click.option("--no-verify", is_flag=True, help="Skip the final gnt-cluster verify.")
@click.option("--commands", is_flag=True, help="Show the command of every step to do.")
@pass_state
@click.pass_context
def bootstrap(
    ctx: click.Context,
    state: State,
    inventory: str,
    plan_only: bool,
    yes: bool,
    known_hosts: tuple[str, ...],
    ssh_keys: tuple[str, ...],
    stop_after: str | None,
    no_verify: bool,
    commands: bool,
) -> None:
    """Bootstrap the cluster INVENTORY describes, over SSH to its nodes.

    Gathers facts on every node at once, prints the plan (step, node, state: done /
    to do / blocked, why), asks, then applies the steps in order: init on the
    initial master with its secondary address, Ganeti's known_hosts, the RAPI users
    file, node add for the others, parameters, distribution, and a final verify.
    Running it again changes nothing; a run that stopped resumes where it stopped.
    A blocked plan (unreachable node, host key other than the inventory's...) runs
    nothing at all.

    Exit status: 0 done (verify found nothing unexpected); 1 a step failed or verify
    found something; 6 the plan is blocked (nothing was changed).
    """
    import asyncio

    from ganetiops.bootstrap.apply import Bootstrap
    from ganetiops.bootstrap.inventory import load_inventory
    from ganetiops.errors import BootstrapError
    from ganetiops.ssh.hostkeys import HostKeys

    inv = load_inventory(inventory)
    extra_keys = HostKeys(known_hosts=known_hosts) if known_hosts else None
    boot = Bootstrap(
        inv,
        host_keys=extra_keys,
        client_keys=ssh_keys or None,
        progress=lambda line: echo_err(f"  {line}"),
        create_passwords=not plan_only,
    )

    async def main() -> int:
        async with boot:
            echo_err(f"Gathering facts on {len(inv.nodes)} nodes of {inv.cluster.name}...")
            plan = await boot.plan()
            if stop_after is not None:
                plan.check_step_id(stop_after, field="--stop-after")
            _plan_table(state, plan, commands=commands or plan_only)
            if plan.blocked:
                raise BootstrapError(
                    f"{len(plan.blocked)} step(s) blocked; nothing was changed", plan=plan
                )
            if plan_only:
                return exits.OK
            if plan.next_step() is None:
                echo_err("Nothing to do: every step is done; nothing was changed.")
                if not no_verify:
                    _verify_table(state, await boot.verify(plan.master))
                return exits.OK
            todo = [s for s in plan.todo if s.actions]
            if not yes:
                click.confirm(
                    f"Apply {len(todo)} step(s) to {inv.cluster.name}?", abort=True, err=True
                )
            report = await boot.apply(plan=plan, stop_after=stop_after, verify=not no_verify)
            return _finish(state, report)

    try:
        code = asyncio.run(main())
    except BootstrapError as exc:
        click.secho(f"Error: {exc}", fg="red", err=True)
        if exc.step is None:  # blocked before anything ran
            ctx.exit(exits.ERROR)
        if exc.plan is not None:
            echo_err("Plan when it stopped (run again to resume):")
            _plan_table(state, exc.plan)
        ctx.exit(exits.JOB_FAILED)
    ctx.exit(code)


def _finish(state: State, report: BootstrapReport) -> int:
    applied = ", ".join(f"{a.step.id} ({a.duration:.1f} s)" for a in report.applied)
    echo_err(f"Applied {len(report.applied)} step(s) in {report.duration:.1f} s: {applied}")
    if report.stopped_after:
        echo_err(f"Stopped after {report.stopped_after}, as asked; run again to resume.")
    _plan_table(state, report.final)
    if report.verify is not None:
        _verify_table(state, report.verify)
        if not report.verify.ok:
            echo_err("verify reported findings other than the expected ones")
            return exits.JOB_FAILED
    return exits.OK


# -- rapi-user ------------------------------------------------------------------------


def _nodes(state: State, inventory: str | None) -> Nodes:
    """Nodes from an inventory file, else from the context's ``ssh`` table."""
    if inventory:
        from ganetiops.bootstrap.apply import nodes_for_inventory
        from ganetiops.bootstrap.inventory import load_inventory

        return nodes_for_inventory(load_inventory(inventory))
    from ganetiops.ssh.nodes import Nodes

    context = state.context
    if context.ssh is None:
        raise click.UsageError(
            f"context {context.name!r} has no ssh table; give --inventory FILE instead"
        )
    return Nodes.from_ssh_via(context.ssh)


_inventory_option = click.option(
    "--inventory",
    type=click.Path(dir_okay=False),
    help="Reach the nodes as this inventory says (default: the context's ssh table).",
)


@cluster.group("rapi-user")
def rapi_user() -> None:
    """RAPI users (/var/lib/ganeti/rapi/users on the master, copied to every node)."""


@rapi_user.command("list")
@_inventory_option
@pass_state
def rapi_user_list(state: State, inventory: str | None) -> None:
    """List RAPI users and their rights (never their passwords or hashes)."""
    import asyncio

    from ganetiops.bootstrap.rapi_users import list_users

    async def main() -> None:
        async with _nodes(state, inventory) as nodes:
            master, users = await list_users(nodes)
        echo_err(f"RAPI users on the master {master}:")
        _render(state, ("Name", "Rights"), [(u.name, ",".join(u.rights)) for u in users])

    asyncio.run(main())


def _rights(value: str) -> tuple[str, ...]:
    rights = tuple(r.strip() for r in value.split(",") if r.strip())
    bad = [r for r in rights if r not in ("read", "write")]
    if bad or not rights:
        raise click.BadParameter("a comma-separated list of read, write")
    return rights


@rapi_user.command("add")
@click.argument("name")
@click.option(
    "--rights",
    default="read",
    show_default=True,
    help="Comma-separated: read, write.",
)
@click.option(
    "--password-source",
    metavar="SOURCE",
    help="Where the password comes from: env:VAR, file:PATH, command:CMD, netrc, "
    "keyring:SERVICE. Without it, the password is asked for (never on the command line).",
)
@_inventory_option
@pass_state
def rapi_user_add(
    state: State, name: str, rights: str, password_source: str | None, inventory: str | None
) -> None:
    """Add RAPI user NAME, or update its password and rights; then redistribute."""
    import asyncio

    from ganetiops.bootstrap.rapi_users import add_user
    from ganetiops.config.secrets import Secret

    wanted = _rights(rights)
    if password_source:
        password = _source(password_source).resolve(user=name)
    else:
        password = Secret(
            click.prompt(
                f"Password for RAPI user {name}",
                hide_input=True,
                confirmation_prompt=True,
                err=True,
            )
        )

    async def main() -> None:
        async with _nodes(state, inventory) as nodes:
            master, changed = await add_user(nodes, name, password, wanted)
        if changed:
            echo_err(f"RAPI user {name} ({','.join(wanted)}) written on {master}, redistributed.")
        else:
            echo_err(f"RAPI user {name} already present as given on {master}; nothing changed.")

    asyncio.run(main())


def _source(text: str) -> Any:
    """``env:VAR`` → a PasswordSource (the same kinds as a context's ``password``)."""
    from ganetiops.config.secrets import PasswordSource

    kind, _, value = text.partition(":")
    if kind == "netrc":
        return PasswordSource("netrc", value)
    if kind not in PasswordSource.KINDS or not value:
        raise click.BadParameter(
            "expected env:VAR, file:PATH, command:CMD, netrc[:PATH] or keyring:SERVICE",
            param_hint="--password-source",
        )
    return PasswordSource(kind, value)


@rapi_user.command("remove")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@_inventory_option
@pass_state
def rapi_user_remove(state: State, name: str, yes: bool, inventory: str | None) -> None:
    """Remove RAPI user NAME from the users file; then redistribute."""
    import asyncio

    from ganetiops.bootstrap.rapi_users import remove_user

    if not yes:
        click.confirm(f"Remove RAPI user {name}?", abort=True, err=True)

    async def main() -> bool:
        async with _nodes(state, inventory) as nodes:
            master, found = await remove_user(nodes, name)
        if found:
            echo_err(f"RAPI user {name} removed on {master}, redistributed.")
        else:
            echo_err(f"No RAPI user {name} on {master}; nothing changed.")
        return found

    if not asyncio.run(main()):
        raise click.exceptions.Exit(getattr(exits, "NOT_FOUND", exits.ERROR))


register(cluster)

from ganetiops.cli.drbd_ops import recover  # noqa: E402 - the DRBD room's command

cluster.add_command(recover)
