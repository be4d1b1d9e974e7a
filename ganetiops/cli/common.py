"""Pieces every command group shares: confirmation, list-by-query, ``list`` and ``info``
commands of named resources, key=value options, tag subcommands and dynamic completion
of names."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import click

from ganetiops.cli.completion import complete_names
from ganetiops.cli.jobs_ui import JobOptions, follow_job, job_options
from ganetiops.cli.output import (
    OutputOptions,
    Table,
    check_known,
    dump,
    echo,
    output_options,
    render_mapping,
    render_table,
    select_fields,
)
from ganetiops.cli.qlang import parse_qlang
from ganetiops.cli.state import State, pass_state
from ganetiops.errors import RapiNotFoundError, RapiServerError, ValidationError

F = TypeVar("F", bound=Callable[..., Any])
#: A ``shell_complete`` function (see :func:`_complete`).
Completer = Callable[[click.Context, click.Parameter, str], list[Any]]

FILTER_HELP = (
    "Ganeti query language, e.g. 'status == \"running\" and pnode =~ m/^aleph/' "
    "(or the nested-list form as JSON)."
)

yes_option = click.option("-y", "--yes", "yes", is_flag=True, help="Do not ask for confirmation.")
#: ``--force`` of the commands the DRBD guard checks first (migrate, failover, evacuate...).
drbd_force_option = click.option(
    "--force", is_flag=True, help="Even if DRBD is not healthy (overrides the DRBD guard)."
)


def parse_json(text: str, option: str, example: str, *, field: str) -> Any:
    """``text`` as JSON; a :class:`ValidationError` naming ``option`` and showing an
    ``example`` otherwise."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{option}: not JSON ({exc.msg}); e.g. '{example}'", field=field
        ) from None


def is_index(text: str) -> bool:
    """Whether ``text`` is a whole number in ASCII digits (``int()`` takes it; ``"²"``,
    which ``str.isdigit`` accepts, is not one)."""
    return text.isascii() and text.isdigit()


def confirm(message: str, yes: bool) -> None:
    """Ask before a destructive step; ``--yes`` skips the question.

    Declining (or having no terminal to answer on) aborts with exit code 5.
    """
    if yes:
        return
    ctx = click.get_current_context(silent=True)
    state = ctx.find_object(State) if ctx is not None else None
    if state is not None and state.plan:
        return  # --plan: nothing will be sent, so nothing to confirm
    try:
        click.confirm(message, abort=True, err=True)
    except (OSError, ValueError) as e:  # stdin closed or unreadable: nobody can answer
        why = getattr(e, "strerror", None) or e
        click.echo(f"\ncannot ask ({why}); pass --yes to go on", err=True)
        raise click.Abort() from None


# --- lists through the query interface -------------------------------------------


def name_filter(names: Sequence[str], field: str = "name") -> list[Any] | None:
    """A query filter matching any of ``names`` (``None`` for no names)."""
    if not names:
        return None
    if len(names) == 1:
        return ["=", field, names[0]]
    return ["|", *(["=", field, n] for n in names)]


def query_table(
    state: State,
    resource: str,
    fields: Sequence[str],
    qfilter: Any = None,
    *,
    names: Sequence[str] = (),
    name_field: str = "name",
) -> Table:
    """Ask ``/2/query/<resource>`` for ``fields``; unknown fields and names are errors."""
    wanted = list(fields)
    if names and name_field not in wanted:
        wanted.append(name_field)
    combined = qfilter
    by_name = name_filter(names, name_field)
    if by_name is not None:
        combined = by_name if combined is None else ["&", by_name, combined]
    try:
        result = state.client().query.query(resource, wanted, combined)
    except RapiServerError as exc:
        # A name filter is resolved by Ganeti itself: an unknown name is a 500
        # carrying ("... not found", "unknown_entity").
        if "unknown_entity" in str(exc):
            named = re.search(r"\('(.*?)', 'unknown_entity'\)", exc.message)
            raise RapiNotFoundError(404, named.group(1) if named else exc.message) from None
        raise
    table = Table.from_query(result)
    check_known(table, resource)
    if names:
        found = {str(v) for v in result.column(name_field)}
        missing = [n for n in names if n not in found]
        if missing:
            raise RapiNotFoundError(
                404, "Not Found", f"unknown {resource}(s): {', '.join(missing)}"
            )
        if len(wanted) != len(fields):  # drop the name column we added
            index = wanted.index(name_field)
            table = Table(
                table.columns[:index] + table.columns[index + 1 :],
                tuple(row[:index] + row[index + 1 :] for row in table.rows),
            )
    return table


def list_resource(
    state: State,
    resource: str,
    output: OutputOptions,
    defaults: Sequence[str],
    names: Sequence[str] = (),
    qfilter: Any = None,
) -> None:
    """The body of every ``list`` command: fields from ``-o``, rows from the query."""
    fields = select_fields(output.fields, defaults)
    table = query_table(state, resource, fields, qfilter, names=names)
    echo(render_table(table, output))


def add_list_command(
    group: click.Group,
    resource: str,
    defaults: Sequence[str],
    complete: Completer,
    help_text: str,
    *,
    where_help: str | None = None,
) -> None:
    """``list [NAMES]... [-F FILTER] [--where F=V] [-o FIELDS]``: ``/2/query/<resource>`` rows."""

    @group.command("list", help=help_text)
    @click.argument("names", nargs=-1, shell_complete=complete)
    @click.option("-F", "--filter", "filter_", metavar="FILTER", help=FILTER_HELP)
    @click.option("--where", multiple=True, metavar="FIELD=VALUE", help=where_help)
    @output_options(defaults)
    @pass_state
    def list_(
        state: State,
        names: tuple[str, ...],
        filter_: str | None,
        where: tuple[str, ...],
        output: OutputOptions,
    ) -> None:
        list_resource(state, resource, output, defaults, names, parse_filter(filter_, where))


# --- showing objects in detail ----------------------------------------------------


def show_models(
    output: OutputOptions,
    models: Iterable[Any],
    describe: Callable[[Any], Mapping[str, Any]],
    title: Callable[[Any], str] | None = None,
) -> None:
    """The body of every ``info``/``show`` command.

    As a table, each model is printed as it comes (``describe`` picks the lines,
    ``title`` heads them); with ``--format json|yaml`` the models' ``to_dict()`` are
    printed at the end, one document, a list when there are several. ``models`` may
    be lazy (``map(client.nodes.get, names)``): each is fetched just before it is shown;
    a command about one object passes ``[model]``.
    """
    documents = []
    for model in models:
        documents.append(model.to_dict())
        if output.format == "table":
            heading = title(model) if title is not None else None
            echo(render_mapping(describe(model), "table", title=heading))
    if output.format != "table":
        echo(dump(documents if len(documents) > 1 else documents[0], output.format))


def add_info_command(
    group: click.Group,
    namespace: str,
    complete: Completer,
    help_text: str,
    *,
    describe: Callable[[Any], Mapping[str, Any]],
    label: str,
) -> None:
    """``info NAMES...``: each object of ``client.<namespace>`` in detail, titled
    ``<label>: <name>``."""

    @group.command("info", help=help_text)
    @click.argument("names", nargs=-1, required=True, shell_complete=complete)
    @output_options()
    @pass_state
    def info(state: State, names: tuple[str, ...], output: OutputOptions) -> None:
        get = getattr(state.client(), namespace).get
        show_models(output, map(get, names), describe, lambda model: f"{label}: {model.name}")


def parse_filter(text: str | None, where: Sequence[str] = ()) -> Any:
    """``-F/--filter`` and ``--where f=v`` (ANDed) -> a ``/2/query`` filter.

    The filter is Ganeti's query language as gnt-* reads it
    (``status == "running" and pnode =~ m/^aleph/``, see :mod:`ganetiops.cli.qlang`)
    or, when it starts with ``[``, the nested-list form as JSON.
    """
    parts: list[Any] = []
    if text and text.lstrip().startswith("["):
        parts.append(parse_json(text, "--filter", '["=", "status", "running"]', field="filter"))
        if not isinstance(parts[0], list):
            raise ValidationError("--filter: expected a JSON list", field="filter")
    elif text:
        parts.append(parse_qlang(text))
    for item in where:
        field, sep, value = item.partition("=")
        if not sep or not field:
            raise ValidationError(f"--where {item!r}: expected FIELD=VALUE", field="where")
        negate = field.endswith("!")
        field = field.rstrip("!")
        parsed: Any = _scalar(value)
        clause: list[Any] = ["=", field, parsed]
        parts.append(["!", clause] if negate else clause)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else ["&", *parts]


# --- key=value options (gnt-* -B, -H, --net...) ---------------------------------


def _scalar(value: str) -> Any:
    low = value.lower()
    if low in ("true", "yes"):
        return True
    if low in ("false", "no"):
        return False
    try:
        return int(value)
    except ValueError:
        return value


def parse_kv(text: str | None, option: str, *, typed: bool = True) -> dict[str, Any]:
    """``key=value,key2=value2`` -> dict; values become bool/int where they look so.

    A bare ``key`` means ``True``; ``no_key`` means ``False`` (as gnt-* reads them).
    """
    if not text:
        return {}
    out: dict[str, Any] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise ValidationError(f"{option}: empty item in {text!r}", field=option)
        key, sep, value = part.partition("=")
        key = key.strip()
        if not key:
            raise ValidationError(f"{option}: missing key in {part!r}", field=option)
        if not sep:
            if key.startswith("no_"):
                out[key[3:]] = False
            else:
                out[key] = True
            continue
        out[key] = _scalar(value) if typed else value
    return out


def parse_indexed(
    values: Iterable[str], option: str, *, typed: bool = False
) -> list[dict[str, Any]]:
    """Repeated ``--net 0:link=br0`` / ``--disk 0:size=10G`` (index optional) -> list of dicts."""
    items: dict[int, dict[str, Any]] = {}
    for position, value in enumerate(values):
        head, sep, rest = value.partition(":")
        if sep and is_index(head):
            index, body = int(head), rest
        else:
            index, body = position, value
        if index in items:
            raise ValidationError(f"{option}: index {index} given twice", field=option)
        items[index] = parse_kv(body, option, typed=typed) if body else {}
    expected = list(range(len(items)))
    if sorted(items) != expected:
        raise ValidationError(f"{option}: indexes must be 0..{len(items) - 1}", field=option)
    return [items[i] for i in expected]


def on_off(value: str | None) -> bool | None:
    """``yes``/``no`` option values (gnt-* style) -> bool."""
    if value is None:
        return None
    return value.lower() in ("yes", "y", "true", "on", "1")


YES_NO = click.Choice(["yes", "no"], case_sensitive=False)


# --- completion -------------------------------------------------------------------


def _complete(kind: str) -> Completer:
    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        return complete_names(ctx, kind, incomplete)

    return complete


complete_instances = _complete("instances")
complete_nodes = _complete("nodes")
complete_groups = _complete("groups")
complete_networks = _complete("networks")
complete_contexts = _complete("contexts")


# --- tags ---------------------------------------------------------------------------


def add_tag_commands(
    group: click.Group,
    namespace: str,
    what: str,
    complete: Completer,
) -> None:
    """``list-tags NAME``, ``add-tags NAME TAG...``, ``remove-tags NAME TAG...`` (gnt-* names)."""

    @group.command("list-tags")
    @click.argument("name", shell_complete=complete)
    @output_options()
    @pass_state
    def list_tags(state: State, name: str, output: OutputOptions) -> None:
        tags = getattr(state.client(), namespace).tags(name)
        if output.format == "table":
            echo("\n".join(sorted(tags)))
        else:
            echo(dump(sorted(tags), output.format))

    list_tags.help = f"The tags of {what}."

    for verb in ("add", "remove"):
        _tag_change_command(group, namespace, what, complete, verb)


def _tag_change_command(
    group: click.Group, namespace: str, what: str, complete: Completer, verb: str
) -> None:
    """``add-tags NAME TAG...`` or ``remove-tags NAME TAG...``: one job."""
    change = f"{verb} tags {'to' if verb == 'add' else 'from'}"

    @group.command(f"{verb}-tags", help=f"{change.capitalize()} {what}.")
    @click.argument("name", shell_complete=complete)
    @click.argument("tags", nargs=-1, required=True)
    @job_options
    @pass_state
    def command(state: State, name: str, tags: tuple[str, ...], jobs: JobOptions) -> None:
        operation = getattr(getattr(state.client(), namespace), f"{verb}_tags")
        job = state.submit(operation.call(name, list(tags), **jobs.common()))
        follow_job(job, jobs, what=f"{change} {name}")


__all__ = [
    "FILTER_HELP",
    "YES_NO",
    "Completer",
    "add_info_command",
    "add_list_command",
    "add_tag_commands",
    "complete_contexts",
    "complete_groups",
    "complete_instances",
    "complete_networks",
    "complete_nodes",
    "confirm",
    "list_resource",
    "name_filter",
    "on_off",
    "parse_filter",
    "parse_indexed",
    "parse_kv",
    "query_table",
    "show_models",
    "yes_option",
]
