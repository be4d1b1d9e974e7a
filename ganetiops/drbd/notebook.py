"""Notebook view of DRBD health, in the display room's manner: an HTML table with
coloured states, a DataFrame, and a picture of which node replicates to which.

>>> report = drbd.health(client, settings)   # doctest: +SKIP
>>> report                                   # the HTML table, in Jupyter
>>> report.to_dataframe()                    # one row per instance disk
>>> report.plot()                            # nodes on a circle, primary → secondary
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

from ganetiops.display.html import STYLE, rows_html

if TYPE_CHECKING:
    from ganetiops.drbd.health import ClusterDrbd

__all__ = ["STATE_COLOURS", "disk_rows", "health_html", "plot_replication", "to_dataframe"]

STATE_COLOURS = {
    "healthy": "#1a7f37",
    "syncing": "#0969da",
    "inactive": "#6e7781",
    "degraded": "#bc4c00",
    "disconnected": "#bc4c00",
    "unknown": "#8c959f",
    "split-brain": "#cf222e",
}


def disk_rows(report: ClusterDrbd) -> list[dict[str, Any]]:
    """One record per instance disk: nodes, minors, state, progress."""
    rows = []
    for inst in report.instances:
        for disk in inst.disks:
            rows.append(
                {
                    "instance": inst.name,
                    "disk": disk.index,
                    "primary": disk.primary,
                    "secondary": disk.secondary,
                    "minors": f"{disk.primary_minor}/{disk.secondary_minor}",
                    "port": disk.port,
                    "state": disk.state,
                    "percent": disk.percent,
                    "eta_s": disk.eta_seconds,
                    "speed_kib": disk.speed_kib,
                    "oos_kib": disk.out_of_sync_kib,
                    "detail": disk.detail,
                }
            )
    return rows


def health_html(report: ClusterDrbd) -> str:
    """The instances' disks as a table (states coloured) and the nodes' summaries."""
    rows = disk_rows(report)
    table = rows_html(rows, f"DRBD: {len(report.instances)} instances, {report.state}")
    for state, colour in STATE_COLOURS.items():
        cell = f"<td>{html.escape(state)}</td>"
        table = table.replace(
            cell, f'<td><span style="color:{colour};font-weight:600">● {state}</span></td>'
        )
    nodes = "".join(
        f"<li>{html.escape(name)}: {html.escape(node.summary)}</li>"
        for name, node in sorted(report.nodes.items())
    )
    return f'{table}{STYLE}<ul class="gnt-nodes">{nodes}</ul>'


def to_dataframe(report: ClusterDrbd) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("to_dataframe needs pandas: pip install 'ganetiops[jupyter]'") from None
    return pd.DataFrame(disk_rows(report))


def plot_replication(report: ClusterDrbd, ax: Any = None) -> Any:
    """Nodes on a circle, an arrow primary → secondary per instance (its state's colour,
    labelled with the instance). Returns the matplotlib ``Figure``."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "plot_replication needs matplotlib: pip install 'ganetiops[jupyter]'"
        ) from None
    names = sorted(
        set(report.nodes)
        | {n for i in report.instances for n in (i.primary, i.secondary) if n is not None}
    )
    if ax is None:
        figure, ax = plt.subplots(figsize=(6, 6))
    else:
        figure = ax.figure
    count = max(len(names), 1)
    where = {
        name: (math.cos(2 * math.pi * k / count), math.sin(2 * math.pi * k / count))
        for k, name in enumerate(names)
    }
    for name, (x, y) in where.items():
        node = report.nodes.get(name)
        colour = "#8c959f" if node is None or not node.loaded else "#0969da"
        ax.scatter([x], [y], s=900, color=colour, zorder=3)
        ax.annotate(name.split(".", 1)[0], (x, y), ha="center", va="center", color="white")
    pairs: dict[tuple[str, str], int] = {}
    for inst in report.instances:
        if inst.primary not in where or inst.secondary not in where:
            continue
        key = (inst.primary, inst.secondary)
        bend = 0.15 * (1 + pairs.get(key, 0))
        pairs[key] = pairs.get(key, 0) + 1
        (x0, y0), (x1, y1) = where[inst.primary], where[inst.secondary]
        colour = STATE_COLOURS.get(inst.state, "#8c959f")
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={
                "arrowstyle": "-|>",
                "color": colour,
                "lw": 2,
                "shrinkA": 18,
                "shrinkB": 18,
                "connectionstyle": f"arc3,rad={bend}",
            },
        )
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        ax.annotate(f"{inst.name} ({inst.state})", (mx, my + bend / 2), fontsize=8, color=colour)
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.6, 1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("DRBD replication: primary → secondary")
    return figure
