"""``gnt-py query``: any fields of any resource through Ganeti's query interface."""

from __future__ import annotations

import click

from ganetiops.cli.common import FILTER_HELP, list_resource, parse_filter
from ganetiops.cli.output import Column, OutputOptions, output_options, print_records
from ganetiops.cli.state import State, pass_state
from ganetiops.rapi import validate

#: What the query interface answers for (the operation checks the same list).
RESOURCES = validate.QUERY_RESOURCES
DEFAULTS = {"job": ("id", "status", "summary"), "filter": ("uuid", "priority", "action")}


@click.group()
def query() -> None:
    """Ganeti's query interface: any field of any resource, with filters."""


@query.command("list")
@click.argument("resource", type=click.Choice(RESOURCES))
@click.option("-F", "--filter", "filter_", metavar="FILTER", help=FILTER_HELP)
@click.option(
    "--where",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Only rows where FIELD=VALUE (FIELD!=VALUE negates); repeatable, ANDed.",
)
@output_options(("name",))
@pass_state
def list_(
    state: State,
    resource: str,
    filter_: str | None,
    where: tuple[str, ...],
    output: OutputOptions,
) -> None:
    """Rows of RESOURCE with the fields of -o (default: name).

    \b
    Examples:
      gnt-py query list instance -o name,pnode,oper_ram --where status=running
      gnt-py query list node -o name,mfree --filter '[">", "mfree", 1024]'
    """
    defaults = DEFAULTS.get(resource, ("name",))
    list_resource(state, resource, output, defaults, (), parse_filter(filter_, where))


@query.command("fields")
@click.argument("resource", type=click.Choice(RESOURCES))
@click.argument("names", nargs=-1)
@output_options()
@pass_state
def fields(state: State, resource: str, names: tuple[str, ...], output: OutputOptions) -> None:
    """The fields RESOURCE offers (name, title, kind, description)."""
    defs = state.client().query.fields(resource, list(names) or None)
    records = [{"name": f.name, "title": f.title, "kind": f.kind, "doc": f.doc} for f in defs]
    columns = [
        Column("name", "Name"),
        Column("title", "Title"),
        Column("kind", "Kind"),
        Column("doc", "Description"),
    ]
    print_records(records, columns, output)
