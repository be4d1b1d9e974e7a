"""Rendering for ``gnt-py``: tables (gnt-* style), JSON and YAML.

Lists follow the gnt-* tools: ``-o name,pnode,status`` picks fields (the same
names as ``gnt-instance list -o``, because list commands ask Ganeti's query
interface for exactly those fields), ``-o +field`` adds to the defaults,
``--no-headers``, ``--separator`` and ``--units``. Cells Ganeti could not fill
are shown as gnt-* shows them (``?`` no data, ``*`` offline node, ``-`` not
applicable, ``??`` unknown field) in tables and as ``null`` in JSON/YAML.

JSON and YAML are for machines: a list of objects keyed by field name in the
order asked, raw values (sizes in MiB unless ``--units`` is given), stable
from run to run. Nothing but the data goes to stdout; progress and notes go to
stderr.
"""

from __future__ import annotations

import datetime
import functools
import json
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import click

from ganetiops.errors import ValidationError
from ganetiops.units import format_mib

if TYPE_CHECKING:
    from ganetiops.rapi.call import Call

F = TypeVar("F", bound=Callable[..., Any])

#: Query result status codes (``RS_*``) and how a table shows a cell that has no value.
CELL_MARKS = {1: "??", 2: "?", 3: "-", 4: "*"}
FORMATS = ("table", "json", "yaml")
UNITS = ("h", "m", "g", "t")


@attrs.frozen
class Column:
    """One output column: field name (as in ``-o``), title and Ganeti field kind."""

    name: str
    title: str = ""
    #: Ganeti's field kind: ``text``, ``number``, ``unit`` (MiB), ``bool``, ``timestamp``,
    #: ``other`` (lists, dicts) or ``unknown`` (no such field).
    kind: str = "text"

    @property
    def header(self) -> str:
        return self.title or self.name


@attrs.frozen
class Cell:
    """A value with its query status (0 normal; see :data:`CELL_MARKS`)."""

    status: int
    value: Any


@attrs.frozen
class Table:
    """Columns and rows ready to render; a row's cells are :class:`Cell` or plain values."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]

    @classmethod
    def from_query(cls, result: Any) -> Table:
        """From a :class:`~ganetiops.rapi.models.QueryResult`."""
        columns = tuple(Column(f.name, f.title, f.kind) for f in result.fields)
        rows = tuple(tuple(Cell(status, value) for status, value in row) for row in result.rows)
        return cls(columns, rows)

    @classmethod
    def from_records(
        cls, records: Iterable[Mapping[str, Any]], columns: Sequence[Column | str]
    ) -> Table:
        cols = tuple(c if isinstance(c, Column) else Column(c) for c in columns)
        rows = tuple(tuple(r.get(c.name) for c in cols) for r in records)
        return cls(cols, rows)

    def records(self, units: str | None = None) -> list[dict[str, Any]]:
        """Rows as dicts (field name -> raw value; ``None`` where Ganeti has no value)."""
        out = []
        for row in self.rows:
            item: dict[str, Any] = {}
            for column, cell in zip(self.columns, row, strict=False):
                value = _value(cell)
                if units and column.kind == "unit" and isinstance(value, int | float):
                    value = format_size(value, units)
                item[column.name] = value
            out.append(item)
        return out


@attrs.frozen
class OutputOptions:
    """What the user asked for: format, fields and the gnt-* table options."""

    format: str = "table"
    fields: str | None = None
    no_headers: bool = False
    separator: str | None = None
    units: str | None = None


# --- fields ------------------------------------------------------------------------


def select_fields(option: str | None, defaults: Sequence[str]) -> list[str]:
    """``-o`` -> field list: ``None`` gives the defaults, ``+a,b`` appends to them.

    Duplicates are dropped (first one kept); empty names are an error.
    """
    if option is None:
        return list(defaults)
    if option.strip() in ("", "+"):
        raise ValidationError(
            f"-o {option!r}: name at least one field (leave -o out for the defaults)",
            field="output",
        )
    text = option.strip()
    base: list[str] = []
    if text.startswith("+"):
        base, text = list(defaults), text[1:]
    extra = [f.strip() for f in text.split(",")]
    if any(not f for f in extra):
        raise ValidationError(f"-o {option!r}: empty field name", field="output")
    seen: list[str] = []
    for name in [*base, *extra]:
        if name not in seen:
            seen.append(name)
    return seen


def known_fields(option: str | None, defaults: Sequence[str], known: Iterable[str]) -> list[str]:
    """:func:`select_fields`, refusing (before anything is shown) the fields not in
    ``known``, naming them and what is known."""
    fields = select_fields(option, defaults)
    names = list(known)
    unknown = [f for f in fields if f not in names]
    if unknown:
        raise ValidationError(
            f"-o: unknown field(s) {', '.join(unknown)} (known: {', '.join(names)})",
            field="output",
        )
    return fields


def check_known(table: Table, resource: str) -> None:
    """Refuse fields Ganeti does not know (kind ``unknown``), naming them."""
    unknown = [c.name for c in table.columns if c.kind == "unknown"]
    if unknown:
        raise ValidationError(
            f"unknown {resource} field(s): {', '.join(unknown)} "
            f"(see: gnt-py query fields {resource})",
            field="output",
        )


# --- values ------------------------------------------------------------------------


def format_size(mib: float, unit: str = "h") -> str:
    """MiB as gnt-* prints with ``--units``: ``h`` human (``1.5G``), or fixed m/g/t."""
    unit = unit.lower()
    if unit not in UNITS:
        raise ValidationError(f"--units: {unit!r} is not one of {', '.join(UNITS)}", field="units")
    if unit == "h":
        return format_mib(mib)
    if unit == "m":
        return str(int(mib))
    scaled = mib / (1024 if unit == "g" else 1024 * 1024)
    return f"{scaled:.1f}"


def _value(cell: Any) -> Any:
    if isinstance(cell, Cell):
        return cell.value if cell.status == 0 else None
    return cell


def format_cell(cell: Any, kind: str, units: str | None) -> str:
    """One table cell as text."""
    if isinstance(cell, Cell):
        if cell.status != 0:
            return CELL_MARKS.get(cell.status, "?")
        cell = cell.value
    return format_value(cell, kind, units)


def format_value(value: Any, kind: str = "text", units: str | None = "h") -> str:
    if value is None:
        return "-"
    if kind == "unit" and isinstance(value, int | float) and not isinstance(value, bool):
        return format_size(value, units or "h")
    if isinstance(value, bool) or kind == "bool":
        return "Y" if value else "N"
    if kind == "timestamp" and isinstance(value, int | float | list | tuple):
        return format_timestamp(value)
    if isinstance(value, list | tuple):
        return ",".join(format_value(v, "text", units) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}={format_value(v, 'text', units)}" for k, v in sorted(value.items()))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def format_timestamp(value: Any) -> str:
    """Seconds (or Ganeti's ``[seconds, microseconds]``) as local ``YYYY-mm-dd HH:MM:SS``."""
    if isinstance(value, list | tuple) and len(value) == 2:
        value = float(value[0]) + float(value[1]) / 1e6
    try:
        stamp = datetime.datetime.fromtimestamp(float(value))
    except (TypeError, ValueError, OverflowError, OSError):
        return str(value)
    return stamp.strftime("%Y-%m-%d %H:%M:%S")


# --- rendering ---------------------------------------------------------------------


def render_table(table: Table, options: OutputOptions) -> str:
    """The table as text in the requested format (no trailing newline)."""
    if options.format in ("json", "yaml"):
        return dump(table.records(options.units), options.format)
    units = options.units or ("m" if options.separator is not None else "h")
    cells = [
        [
            format_cell(cell, column.kind, units)
            for column, cell in zip(table.columns, row, strict=False)
        ]
        for row in table.rows
    ]
    headers = [c.header for c in table.columns]
    if options.separator is not None:
        lines = [] if options.no_headers else [options.separator.join(headers)]
        lines += [options.separator.join(row) for row in cells]
        return "\n".join(lines)
    numeric = [c.kind in ("number", "unit") for c in table.columns]
    aligns = ["right" if n else "left" for n in numeric]
    if not cells:
        return "" if options.no_headers else "  ".join(headers)
    shown = () if options.no_headers else headers
    plain = plain_table(cells, shown, numeric)
    if plain is not None:
        return plain
    from tabulate import tabulate  # lazy: tabulate, start-up

    text: str = tabulate(
        cells,
        headers=() if options.no_headers else headers,
        tablefmt="plain",
        colalign=aligns,
        disable_numparse=True,
    )
    return text


def print_records(
    records: Sequence[Mapping[str, Any]], columns: Sequence[Column | str], options: OutputOptions
) -> None:
    """``records`` as a table of ``columns`` on stdout, in the format ``options`` ask."""
    echo(render_table(Table.from_records(records, columns), options))


def echo_data(data: Any, fmt: str, text: str) -> None:
    """``data`` as JSON or YAML on stdout, or ``text`` for ``--format table``."""
    echo(dump(data, fmt) if fmt != "table" else text)


def print_changes(changes: Sequence[Sequence[Any]], fmt: str) -> None:
    """A modify job's result, ``[(key, value), ...]``: `` - key -> value`` lines (or data)."""
    text = "\n".join(f" - {key} -> {value}" for key, value in changes)
    echo_data([list(change) for change in changes], fmt, text)


def plain_table(
    cells: Sequence[Sequence[str]], headers: Sequence[str], right: Sequence[bool]
) -> str | None:
    """The table exactly as ``tabulate(tablefmt="plain", disable_numparse=True)`` with
    ``right`` columns right-aligned prints it, when every cell is printable ASCII on
    one line (a listing's usual case), else ``None`` (tabulate measures wide and
    invisible characters and splits lines). Spares ``gnt-py ... list`` importing
    tabulate and wcwidth: about a tenth of its CPU time (docs/scale.md).
    """
    if any(len(row) != len(right) for row in cells) or len(headers) not in (0, len(right)):
        return None
    rows = [[cell.strip() for cell in row] for row in cells]
    if not all(cell.isascii() and cell.isprintable() for row in rows for cell in row):
        return None
    if not all(h.isascii() and h.isprintable() for h in headers):
        return None
    heads = [h.strip() for h in headers]
    widths = [
        max((len(row[i]) for row in rows if i < len(row)), default=0) for i in range(len(right))
    ]
    if heads:
        widths = [max(w, len(h) + 2) for w, h in zip(widths, heads, strict=False)]

    def line(row: Sequence[str]) -> str:
        padded = [
            (cell.rjust(width) if flush else cell.ljust(width))
            for cell, width, flush in zip(row, widths, right, strict=False)
        ]
        return "  ".join(padded).rstrip()

    return "\n".join(line(row) for row in ([heads] if heads else []) + rows)


def dump(data: Any, fmt: str) -> str:
    """JSON (indented, keys in insertion order) or YAML (block style)."""
    if fmt == "json":
        return json.dumps(data, indent=2, default=_json_default)
    if fmt == "yaml":
        import yaml  # lazy: yaml, start-up

        text: str = yaml.safe_dump(
            _plain(data), sort_keys=False, default_flow_style=False, allow_unicode=True
        )
        return text.rstrip("\n")
    raise ValidationError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}", field="format")


def _json_default(value: Any) -> Any:
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


def _plain(value: Any) -> Any:
    """Turn tuples, MiB and other int/str subclasses into plain YAML-safe values."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if hasattr(value, "to_dict"):
        return _plain(value.to_dict())
    return str(value)


def render_mapping(data: Mapping[str, Any], fmt: str, *, title: str | None = None) -> str:
    """One object: JSON/YAML as is, or indented ``key: value`` lines for people."""
    if fmt in ("json", "yaml"):
        return dump(data, fmt)
    lines = [title] if title else []
    _describe(data, lines, "  " if title else "")
    return "\n".join(lines)


def _describe(value: Any, lines: list[str], indent: str) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, Mapping) and item:
                lines.append(f"{indent}{key}:")
                _describe(item, lines, indent + "  ")
            elif (
                isinstance(item, list | tuple)
                and item
                and any(isinstance(v, Mapping) for v in item)
            ):
                lines.append(f"{indent}{key}:")
                for i, entry in enumerate(item):
                    lines.append(f"{indent}  - {i}:")
                    _describe(entry, lines, indent + "      ")
            else:
                lines.append(f"{indent}{key}: {format_value(item)}")
    else:
        lines.append(f"{indent}{format_value(value)}")


# --- click glue ------------------------------------------------------------------


def output_options(defaults: Sequence[str] | None = None) -> Callable[[F], F]:
    """Add ``--format``, and for field lists ``-o``, ``--no-headers``, ``--separator``, ``--units``.

    The command receives one ``output: OutputOptions`` argument. ``--format`` here
    overrides the global ``gnt-py --format``.
    """

    def decorate(fn: F) -> F:
        options = [
            click.option(
                "--format",
                "format_",
                type=click.Choice(FORMATS),
                default=None,
                help="Output format (overrides the global --format).",
            )
        ]
        if defaults is not None:
            options += [
                click.option(
                    "-o",
                    "--output",
                    "fields",
                    metavar="FIELDS",
                    help=f"Comma-separated fields; '+f1,f2' adds to the default "
                    f"({','.join(defaults)}).",
                ),
                click.option("--no-headers", is_flag=True, help="Do not print the header row."),
                click.option(
                    "--separator", metavar="SEP", help="Separate fields with SEP, no alignment."
                ),
                click.option(
                    "--units",
                    type=click.Choice(UNITS, case_sensitive=False),
                    help="Size units: h (human), m, g, t (MiB unless human).",
                ),
            ]
        for option in reversed(options):
            fn = option(fn)
        return _collect(fn, with_fields=defaults is not None)

    return decorate


def _collect(fn: F, *, with_fields: bool) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        chosen = kwargs.pop("format_", None) or current_format()
        if with_fields:  # only the options this decorator added are taken
            kwargs["output"] = OutputOptions(
                format=chosen,
                fields=kwargs.pop("fields"),
                no_headers=kwargs.pop("no_headers"),
                separator=kwargs.pop("separator"),
                units=kwargs.pop("units"),
            )
        else:
            kwargs["output"] = OutputOptions(format=chosen)
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def current_format(default: str = "table") -> str:
    """The global ``--format`` of the running command (the state object carries it)."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        fmt = getattr(ctx.obj, "output_format", None)
        if isinstance(fmt, str):
            return fmt
        ctx = ctx.parent
    return default


def describe_call(call: Call[Any]) -> dict[str, Any]:
    """A job-submitting request as data: method, path, query, body (for ``--plan``)."""
    return {
        "method": call.method,
        "path": call.path,
        "query": [list(pair) for pair in call.query],
        "body": json.loads(call.body) if call.body else None,
    }


def print_plan(call: Call[Any], output_format: str = "table") -> None:
    """One planned request on stdout: ``PUT /2/instances/web1/migrate?... {body}``."""
    data = describe_call(call)
    if output_format in ("json", "yaml"):
        click.echo(dump(data, output_format))
        return
    query = urllib.parse.urlencode(call.query)
    line = f"{call.method} {call.path}" + (f"?{query}" if query else "")
    if data["body"] is not None:
        line += " " + json.dumps(data["body"], sort_keys=True)
    click.echo(line)


def echo(text: str) -> None:
    """Print data on stdout (nothing for an empty text)."""
    if text:
        click.echo(text)


__all__ = [
    "CELL_MARKS",
    "Cell",
    "Column",
    "OutputOptions",
    "Table",
    "check_known",
    "current_format",
    "describe_call",
    "dump",
    "echo",
    "format_size",
    "format_timestamp",
    "format_value",
    "output_options",
    "print_plan",
    "render_mapping",
    "render_table",
    "select_fields",
]
