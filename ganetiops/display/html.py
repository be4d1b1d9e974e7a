"""HTML for Jupyter: one model as a key/value card, many as a table.

Statuses are coloured (running green, stopped grey, errors red...), sizes read
``1.5G`` instead of ``1536``, timestamps are dates. Everything is escaped.

Every ``<table>``, ``<th>`` and ``<td>`` carries its own ``style`` attribute: an inline
style outranks any selector of the front end, so text is left-aligned and numbers
right-aligned alike in JupyterLab (whose ``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon
td {text-align: right}`` beats a class selector), classic Notebook, VS Code, nbconvert and
on GitHub (which drops ``<style>`` elements). No ``<style>`` element is emitted.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ganetiops.display.rows import KINDS, record_of, records

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
MUTED = "#8c959f"

#: Cosmetics (padding, rules, numerals) for front ends that keep ``<style>``. The selectors
#: (``table.gnt-table td``: 0,1,2) outrank JupyterLab's ``.jp-RenderedHTMLCommon td``
#: (0,1,1); the alignment itself is inline on every cell, which outranks any selector.
STYLE = (
    "<style>"
    "table.gnt-table{border-collapse:collapse;border:none;font-size:0.9em;margin:0 0 .5em 0;"
    "table-layout:auto;width:auto}"
    "table.gnt-table th,table.gnt-table td{padding:2px 8px;line-height:1.35;max-width:none;"
    "border:none;vertical-align:top}"
    "table.gnt-table thead th{border-bottom:1px solid #8c959f;vertical-align:bottom;"
    "white-space:nowrap}"
    "table.gnt-table tbody td{border-bottom:1px solid rgba(140,149,159,.3)}"
    "table.gnt-table td.num{font-variant-numeric:tabular-nums;white-space:nowrap}"
    "table.gnt-table th.grp{text-align:center;border-bottom:1px solid #8c959f}"
    "table.gnt-card th{font-weight:500;color:#57606a;white-space:nowrap}"
    "table.gnt-card tbody td,table.gnt-card tbody th{border-bottom:none}"
    ".gnt-caption{font-weight:600;margin:4px 0}"
    ".gnt-note{color:#6e7781;font-size:.8em}"
    "</style>"
)
LEFT = ' style="text-align:left"'
RIGHT = ' style="text-align:right"'


def colour_of(value: str) -> str | None:
    if value in COLOURS:
        return COLOURS[value]
    if value.startswith("ERROR"):
        return ERROR_COLOUR
    return None


def format_size(mib: Any) -> str:
    """``1536`` -> ``1.5G``; ``0`` -> ``0`` (no unit on nothing)."""
    if mib == 0:
        return "0"
    from ganetiops.rapi.models.base import format_mib

    return format_mib(mib)


def muted(text: str) -> str:
    return f'<span style="color:{MUTED}">{text}</span>'


def cell_html(key: str, value: Any) -> tuple[str, bool]:
    """(HTML, is_numeric) for one value of column ``key``."""
    kind = KINDS.get(key, "text")
    if value is None:
        return muted("–"), False
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
    if kind == "percent" and isinstance(value, int | float):
        return html.escape(f"{value:.0%}"), True
    if isinstance(value, bool):
        return ("✔" if value else muted("✗")), False
    if isinstance(value, int | float):
        return html.escape(f"{value:g}" if isinstance(value, float) else str(value)), True
    if isinstance(value, list | tuple):
        if not value:
            return muted("–"), False
        return html.escape(", ".join(str(v) for v in value)), False
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k}={v}" for k, v in value.items())
        return html.escape(inner), False
    return html.escape(str(value)), False


def th(text: str, *, right: bool = False, attributes: str = "") -> str:
    """A header cell, aligned by its own style (``text`` already escaped)."""
    return f"<th{attributes}{RIGHT if right else LEFT}>{text}</th>"


def td(text: str, *, right: bool = False) -> str:
    """A data cell: numbers right (``class="num"``), everything else left."""
    if right:
        return f'<td class="num"{RIGHT}>{text}</td>'
    return f"<td{LEFT}>{text}</td>"


def caption_html(caption: str | None) -> str:
    return f'<div class="gnt-caption"{LEFT}>{html.escape(caption)}</div>' if caption else ""


def table_html(
    head: str,
    body: Sequence[str],
    caption: str | None = None,
    note: str = "",
    css_class: str = "gnt-table",
) -> str:
    """Assemble a table from its header rows (HTML) and body rows (HTML ``<tr>``)."""
    thead = f"<thead>{head}</thead>" if head else ""
    foot = f'<div class="gnt-note"{LEFT}>{note}</div>' if note else ""
    return (
        f'{STYLE}<div class="gnt-display"{LEFT}>{caption_html(caption)}'
        f'<table class="{css_class}">{thead}'
        f"<tbody>{''.join(body)}</tbody></table>{foot}</div>"
    )


def rows_html(rows: Sequence[Mapping[str, Any]], caption: str | None = None) -> str:
    """A table of records; columns are the union of keys, in first-seen order.

    A column is right-aligned (header too) when all its values are numbers.
    """
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    rendered = [[cell_html(c, row.get(c)) for c in columns] for row in rows]
    numeric = [
        all(r[i][1] or row.get(c) is None for r, row in zip(rendered, rows, strict=True))
        and any(r[i][1] for r in rendered)
        for i, c in enumerate(columns)
    ]
    head = (
        "<tr>"
        + "".join(th(html.escape(c), right=n) for c, n in zip(columns, numeric, strict=True))
        + "</tr>"
    )
    body = [
        "<tr>" + "".join(td(text, right=num) for text, num in cells) + "</tr>" for cells in rendered
    ]
    return table_html(head, body, caption)


def card_html(title: str, fields: Sequence[tuple[str, str]], note: str = "") -> str:
    """A compact key/value card: labels and values both left-aligned."""
    lines = [f"<tr>{th(html.escape(k))}{td(v)}</tr>" for k, v in fields]
    return table_html("", lines, title, note, css_class="gnt-table gnt-card")


def model_html(obj: Any) -> str:
    """One model as a two-column card (field, value), titled with its kind and name."""
    record = record_of(obj)
    kind = type(obj).__name__
    name = record.get("name") or record.get("id") or record.get("uuid") or ""
    title = f"{kind} {name}".strip()
    return card_html(title, [(key, cell_html(key, value)[0]) for key, value in record.items()])


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


# --- the capacity report ------------------------------------------------------------------


def _size(mib: int | None) -> str:
    return muted("–") if mib is None else html.escape(format_size(mib))


def capacity_html(report: Any) -> str:
    """The capacity report as one table, its columns grouped: Memory, Disk, N+1."""
    shared_pool = report.disk_pool == "shared"
    any_shared = any(n.disk_shared for n in report)
    disk_cols = ["on pool"] if shared_pool else ["allocated", "free of total"]
    if any_shared and not shared_pool:
        disk_cols.append("shared")
    disk_title = f"Disk: shared pool ({report.disk_template})" if shared_pool else "Local disk"
    memory_cols = ["usable", "allocated", "free", "reserve"]
    n1_cols = ["needs", "verdict"]
    head = (
        "<tr>"
        + th("node", attributes=' rowspan="2"')
        + th("instances", right=True, attributes=' rowspan="2" title="primaries / secondaries"')
        + _group_th("Memory", len(memory_cols))
        + _group_th(disk_title, len(disk_cols))
        + _group_th("N+1: if this node fails", len(n1_cols))
        + "</tr><tr>"
        + "".join(th(c, right=True) for c in memory_cols)
        + "".join(th(c, right=True) for c in disk_cols)
        + th(n1_cols[0], right=True)
        + th(n1_cols[1])
        + "</tr>"
    )
    body = []
    for n in report:
        short_role = {"master-candidate": "candidate"}.get(n.role or "", n.role)
        role = ""
        if n.role:
            colour = colour_of(n.role) or MUTED
            role = f'<span style="color:{colour}">● {html.escape(short_role or "")}</span>'

        name = (
            f'<span style="white-space:nowrap">{html.escape(n.name)} '
            f'<span style="font-size:0.85em">{role}</span></span>'
        )
        over = n.mem_overcommit
        allocated = _size(n.mem_allocated)
        if over is not None:
            colour = ERROR_COLOUR if over > 1 else MUTED
            allocated += f' <span style="color:{colour}">({over:.0%})</span>'
        reserve_short = n.mem_free is not None and n.mem_reserve > n.mem_free
        reserve = _size(n.mem_reserve)
        if reserve_short:
            reserve = f'<span style="color:{ERROR_COLOUR};font-weight:600">{reserve}</span>'
        cells = [
            td(name),
            td(html.escape(f"{n.primary_instances} / {n.secondary_instances}"), right=True),
            td(_size(n.mem_usable), right=True),
            td(allocated, right=True),
            td(_size(n.mem_free), right=True),
            td(reserve, right=True),
        ]
        if shared_pool:
            cells.append(td(_size(n.disk_shared), right=True))
        else:
            cells += [
                td(_size(n.disk_allocated), right=True),
                td(f"{_size(n.disk_free)} of {_size(n.disk_total)}", right=True),
            ]
            if any_shared:
                cells.append(td(_size(n.disk_shared), right=True))
        if n.n1_ok:
            verdict = (
                f'<span style="color:{COLOURS["success"]}">✔ {_size(n.n1_headroom)} left</span>'
            )
        else:
            short = _size(-n.n1_headroom)
            verdict = f'<span style="color:{ERROR_COLOUR};font-weight:600">✗ {short} short</span>'
            if n.n1_unprotected:
                stuck = html.escape(", ".join(n.n1_unprotected))
                verdict += f' <span style="color:{MUTED}">(local disk: {stuck})</span>'
        cells += [td(_size(n.n1_needed), right=True), td(verdict)]
        body.append("<tr>" + "".join(cells) + "</tr>")
    verdict = "N+1: ok" if report.n1_ok else "N+1: NOT satisfied"
    return table_html(
        head, body, f"Capacity per node — {verdict}", _capacity_note(report, shared_pool)
    )


def _group_th(label: str, span: int) -> str:
    return f'<th class="grp" colspan="{span}" style="text-align:center">{html.escape(label)}</th>'


def _capacity_note(report: Any, shared_pool: bool) -> str:
    notes = [
        "Sizes in binary units (G = GiB).",
        "usable: total minus the node's own use (mtotal − mnode).",
        "allocated: maxmem of the running primaries (in brackets: % of usable; over 100 % "
        "is overcommit).",
        "free: what the node reports free; it includes memory allocated but not yet used.",
        "reserve: the most this node takes in when another node fails (N+1).",
    ]
    if shared_pool and len(report):
        first = report[0]
        notes.append(
            f"Disk: every node reports the same {html.escape(str(report.disk_template))} pool"
            f" ({_size(first.disk_total)}, {_size(first.disk_free)} free); its instances"
            f" hold {_size(report.disk_shared_total)} of it."
        )
    return " ".join(notes)


# --- cards of the objects that are not models -------------------------------------------


def short_fingerprint(value: str) -> str:
    """``AB:CD:...:EF`` (95 characters) -> ``AB:CD:EF:01…89:EF``: enough to recognise it."""
    parts = value.split(":")
    if len(parts) <= 8:
        return value
    return ":".join(parts[:4]) + "…" + ":".join(parts[-2:])


def _tls_html(policy: Any) -> str:
    if policy is None:
        return muted("–")
    if getattr(policy, "insecure", False):
        return f'<span style="color:{ERROR_COLOUR};font-weight:600">NOT VERIFIED (insecure)</span>'
    sha256 = getattr(policy, "sha256", None) or getattr(policy, "certificate_sha256", None)
    if sha256:
        short = html.escape(short_fingerprint(sha256))
        return f'pinned SHA-256 <code title="{html.escape(sha256)}">{short}</code>'
    ca_file = getattr(policy, "ca_file", None)
    if ca_file:
        return f"CA file <code>{html.escape(str(ca_file))}</code>"
    return "system CAs, hostname checked"


def client_html(client: Any) -> str:
    """A RAPI client: where it talks to, as whom, how TLS is checked; never a secret."""
    auth = getattr(client, "auth", None)
    http = getattr(client, "_http", None)
    closed = bool(getattr(http, "is_closed", False))
    state = (
        f'<span style="color:{MUTED};font-weight:600">closed</span>'
        if closed
        else f'<span style="color:{COLOURS["running"]};font-weight:600">open</span>'
    )
    timeout = getattr(client, "timeout", None)
    fields = [
        ("url", f"<code>{html.escape(str(client.url))}</code>"),
        ("user", html.escape(auth.user) if auth and auth.user else muted("none")),
        ("TLS", _tls_html(getattr(client, "tls", None))),
        ("connections", html.escape(f"≤ {client.max_connections}")),
    ]
    if timeout is not None:
        fields.append(
            ("timeouts", html.escape(f"connect {timeout.connect:g}s, read {timeout.read:g}s"))
        )
    fields.append(("state", state))
    return card_html(type(client).__name__, fields)


def context_html(context: Any) -> str:
    """A configuration context: how to reach the cluster (the password's source, not it)."""
    fields: list[tuple[str, str]] = []
    if context.description:
        fields.append(("description", html.escape(context.description)))
    if context.url:
        fields.append(("url", f"<code>{html.escape(context.url)}</code>"))
    fields.append(("user", html.escape(context.user) if context.user else muted("none")))
    password = context.password
    fields.append(("password", html.escape(password.describe()) if password else muted("none")))
    fields.append(("TLS", _tls_html(context)))
    if context.ssh is not None:
        ssh = context.ssh
        nodes = ", ".join(str(n) for n in ssh.nodes)
        fields.append(("via SSH", html.escape(f"{ssh.user}@ {nodes} (port {ssh.port})")))
    return card_html(f"Context {context.name}", fields)


def job_html(job: Any) -> str:
    """A job handle (no request is sent to draw it): its id and what to do with it."""
    fields = [
        ("id", html.escape(str(job.id))),
        ("follow", "<code>job.wait()</code> · <code>job.info()</code> · <code>job.logs()</code>"),
    ]
    return card_html(f"{type(job).__name__} {job.id}", fields)


def job_result_html(result: Any) -> str:
    """A finished job: its info card, its value and its children."""
    info = record_of(result.info)
    fields = [(k, cell_html(k, v)[0]) for k, v in info.items() if v not in (None, "")]
    if result.value is not None:
        fields.append(("value", html.escape(_short(result.value))))
    if result.children:
        children = ", ".join(f"{c.id} ({c.status})" for c in result.children)
        fields.append(("children", html.escape(children)))
    return card_html(f"JobResult {result.id}", fields)


def _short(value: Any, limit: int = 200) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def object_html(obj: Any) -> str:
    """Dispatch for the ``_repr_html_`` hooks of clients, contexts and jobs."""
    names = {k.__name__ for k in type(obj).__mro__}
    if "ClientCore" in names:
        return client_html(obj)
    if "Context" in names and attrs.has(type(obj)):
        return context_html(obj)
    if "JobResult" in names:
        return job_result_html(obj)
    if "_JobBase" in names:
        return job_html(obj)
    return repr_html(obj)


__all__ = [
    "COLOURS",
    "capacity_html",
    "card_html",
    "cell_html",
    "client_html",
    "collection_html",
    "colour_of",
    "context_html",
    "job_html",
    "model_html",
    "object_html",
    "repr_html",
    "rows_html",
    "table_html",
]
