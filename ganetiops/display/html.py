"""HTML for Jupyter: one model as a key/value card, many as a table.

Statuses are coloured (running green, stopped grey, errors red...), sizes read
``1.5G`` instead of ``1536``, timestamps are dates. Everything is escaped.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Mapping, Sequence
from typing import Any

from ganetiops.display.rows import KINDS, record_of, records
from ganetiops.units import format_mib

#: Status or role value -> colour (CSS).
COLOURS: dict[str, str] = {
    # instances
    "running": "#1a7f37",
    "ADMIN_down": "#6e7781",
    "ADMIN_offline": "#6e7781",
    "USER_down": "#bc4c00",
    # nodes
    "master": "#0969da",
    "master-candidate": "#1a7f37",
    "regular": "#1a7f37",
    "drained": "#bc4c00",
    "offline": "#cf222e",
    # jobs
    "success": "#1a7f37",
    "error": "#cf222e",
    "canceled": "#bc4c00",
    "canceling": "#bc4c00",
    "queued": "#6e7781",
    "waiting": "#6e7781",
}
ERROR_COLOUR = "#cf222e"
STYLE = (
    "<style>.gnt-table{border-collapse:collapse;font-size:0.9em}"
    ".gnt-table th{text-align:left;border-bottom:1px solid #8c959f;padding:2px 8px}"
    ".gnt-table td{padding:2px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}"
    ".gnt-table td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".gnt-caption{font-weight:bold;margin:4px 0}</style>"
)


def colour_of(value: str) -> str | None:
    if value in COLOURS:
        return COLOURS[value]
    if value.startswith("ERROR"):
        return ERROR_COLOUR
    return None


def format_size(mib: Any) -> str:
    return format_mib(mib)


def cell_html(key: str, value: Any) -> tuple[str, bool]:
    """(HTML, is_numeric) for one value of column ``key``."""
    kind = KINDS.get(key, "text")
    if value is None:
        return '<span style="color:#8c959f">–</span>', False
    if kind == "size" and isinstance(value, int | float) and not isinstance(value, bool):
        return html.escape(format_size(value)), True
    if kind == "status" and isinstance(value, str):
        colour = colour_of(value)
        text = html.escape(value)
        if colour:
            style = f"color:{colour};font-weight:600;white-space:nowrap"
            return f'<span style="{style}">● {text}</span>', False
        return text, False
    if kind == "time" and isinstance(value, int | float):
        stamp = datetime.datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")
        return html.escape(stamp), False
    if kind == "seconds" and isinstance(value, int | float):
        return html.escape(f"{value:.1f}s"), True
    if isinstance(value, bool):
        return ("✔" if value else '<span style="color:#8c959f">✗</span>'), False
    if isinstance(value, int | float):
        return html.escape(f"{value:g}" if isinstance(value, float) else str(value)), True
    if isinstance(value, list | tuple):
        return html.escape(", ".join(str(v) for v in value)), False
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k}={v}" for k, v in value.items())
        return html.escape(inner), False
    return html.escape(str(value)), False


def rows_html(rows: Sequence[Mapping[str, Any]], caption: str | None = None) -> str:
    """A table of records; columns are the union of keys, in first-seen order."""
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for column in columns:
            text, numeric = cell_html(column, row.get(column))
            css = ' class="num"' if numeric else ""
            cells.append(f"<td{css}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    title = f'<div class="gnt-caption">{html.escape(caption)}</div>' if caption else ""
    return (
        f'{STYLE}{title}<table class="gnt-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def model_html(obj: Any) -> str:
    """One model as a two-column card (field, value), titled with its kind and name."""
    record = record_of(obj)
    kind = type(obj).__name__
    name = record.get("name") or record.get("id") or record.get("uuid") or ""
    lines = []
    for key, value in record.items():
        text, numeric = cell_html(key, value)
        css = ' class="num"' if numeric else ""
        lines.append(f"<tr><th>{html.escape(key)}</th><td{css}>{text}</td></tr>")
    title = html.escape(f"{kind} {name}".strip())
    return (
        f'{STYLE}<div class="gnt-caption">{title}</div>'
        f'<table class="gnt-table"><tbody>{"".join(lines)}</tbody></table>'
    )


def repr_html(obj: Any) -> str:
    """HTML for anything the clients return: a model, a list of models or a ``QueryResult``.

    The one function ``_repr_html_`` hooks delegate to.
    """
    if isinstance(obj, list | tuple) or (hasattr(obj, "records") and hasattr(obj, "fields")):
        return collection_html(obj)
    return model_html(obj)


def collection_html(items: Any, caption: str | None = None) -> str:
    """Many models (or a ``QueryResult``) as one table."""
    rows = records(items)
    if caption is None:
        kinds = {type(i).__name__ for i in items} if isinstance(items, list | tuple) else set()
        caption = f"{len(rows)} × {kinds.pop()}" if len(kinds) == 1 else f"{len(rows)} rows"
    return rows_html(rows, caption)


__all__ = [
    "COLOURS",
    "cell_html",
    "collection_html",
    "colour_of",
    "model_html",
    "repr_html",
    "rows_html",
]
