"""The capacity picture: per node, one bar in percent of the node, stacked.

Memory (100 % = the node's total):

- *node*: the node's own use (``mnode``: OS, Ganeti, the hypervisor's overhead);
- *allocated*: the ``maxmem`` of the node's running primaries;
- *other use*: what the node reports in use beyond those two (``mtotal - mfree - mnode -
  allocated``): page cache, other processes, or instances of a hypervisor that does not
  account them (the ``fake`` one of the lab);
- *free*, of which the hatched part is the *N+1 reserve*: what the node must keep free to
  take in another node's instances if that node fails.

Each bar is labelled with the figures, so that 256 MiB beside 23.5 GiB is read even where
it is one pixel wide. Disk: the local disk of each node; when the nodes' disk figures
describe one shared pool (``sharedfile``, ``rbd``...), one bar for that pool instead.
The legend sits below the bars, never over them.
"""

from __future__ import annotations

from typing import Any

from ganetiops.units import format_size

NODE = "#8c959f"
ALLOCATED = "#0969da"
OTHER = "#b6c2cf"
FREE = "#f6f8fa"
RESERVE = "#bc4c00"
DISK = "#8250df"
SHORT = "#cf222e"


def _pct(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else 0.0


def _memory_segments(node: Any) -> tuple[float, float, float, float, float]:
    """(node, allocated, other, free, reserve) in percent of the node's total."""
    total = float(node.mem_total or 0)
    own = float(node.mem_node or 0)
    allocated = float(node.mem_allocated)
    used = float(node.mem_used if node.mem_used is not None else own + allocated)
    other = max(0.0, used - own - allocated)
    free = max(0.0, total - own - allocated - other)
    reserve = min(float(node.mem_reserve), free) if node.mem_reserve else 0.0
    return (
        _pct(own, total),
        _pct(allocated, total),
        _pct(other, total),
        _pct(free, total),
        _pct(reserve, total),
    )


def plot_capacity(report: Any, ax: Any = None) -> Any:
    """Memory and disk per node in percent of the node, stacked, labelled with sizes.

    ``ax``: a pair of matplotlib axes (memory, disk) to draw into. Returns the ``Figure``.
    Needs matplotlib (extra ``[jupyter]``).
    """
    try:
        import matplotlib.pyplot as plt  # lazy: optional extra
        from matplotlib.patches import Patch  # lazy: optional extra
    except ImportError:
        raise ImportError(
            "plot_capacity needs matplotlib: pip install 'ganetiops[jupyter]'"
        ) from None
    nodes = list(report)
    names = [n.name.split(".", 1)[0] for n in nodes]
    shared = getattr(report, "disk_pool", "local") == "shared"
    disk_rows = 1 if shared else len(nodes)
    if ax is None:
        heights = [max(len(nodes), 1) * 0.55 + 0.6, max(disk_rows, 1) * 0.55 + 0.6]
        figure, (mem_ax, disk_ax) = plt.subplots(
            2, 1, figsize=(10, sum(heights) + 1.6), height_ratios=heights
        )
    else:
        mem_ax, disk_ax = ax
        figure = mem_ax.figure

    segments = [_memory_segments(n) for n in nodes]
    _memory_bars(mem_ax, nodes, names, segments)
    if shared:
        _shared_disk(disk_ax, report)
    else:
        _local_disk(disk_ax, nodes, names)
    for axis in (mem_ax, disk_ax):
        axis.set_xlim(0, max(100.0, *(sum(s[:4]) for s in segments)) if segments else 100.0)
        axis.xaxis.set_major_formatter(lambda value, _pos: f"{value:.0f} %")
        axis.spines[["top", "right"]].set_visible(False)
        axis.tick_params(axis="both", labelsize=8)
    handles = [
        Patch(facecolor=NODE, label="node's own (mnode)"),
        Patch(facecolor=ALLOCATED, label="allocated to instances (maxmem)"),
        Patch(facecolor=OTHER, label="other use (reported in use beyond both)"),
        Patch(facecolor=FREE, edgecolor="#57606a", label="free"),
        Patch(facecolor="none", edgecolor=RESERVE, hatch="///", label="N+1 reserve (in free)"),
        Patch(facecolor=DISK, label="disk allocated to instances"),
    ]
    figure.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0.09, 1, 1))
    return figure


def _memory_bars(
    mem_ax: Any,
    nodes: list[Any],
    names: list[str],
    segments: list[tuple[float, float, float, float, float]],
) -> None:
    """The memory bars: stacked segments, the hatched N+1 reserve, a label per node."""
    rows = list(range(len(nodes)))
    left = [0.0] * len(nodes)
    for index, (label, colour) in enumerate(
        (("node's own", NODE), ("allocated", ALLOCATED), ("other use", OTHER), ("free", FREE))
    ):
        widths = [s[index] for s in segments]
        mem_ax.barh(
            rows,
            widths,
            left=left,
            color=colour,
            edgecolor="#57606a",
            linewidth=0.4,
            height=0.6,
            label=label,
        )
        left = [a + b for a, b in zip(left, widths, strict=True)]
    # The N+1 reserve: the first part of the free memory, hatched.
    reserved = [(r, s[0] + s[1] + s[2], s[4]) for r, s in zip(rows, segments, strict=True) if s[4]]
    if reserved:
        mem_ax.barh(
            [r for r, _, _ in reserved],
            [w for _, _, w in reserved],
            left=[x for _, x, _ in reserved],
            color="none",
            edgecolor=RESERVE,
            hatch="///",
            linewidth=0.8,
            height=0.6,
        )
    for row, node, seg in zip(rows, nodes, segments, strict=True):
        text, colour = _memory_label(node)
        mem_ax.text(1, row + 0.42, text, va="top", ha="left", fontsize=8, color=colour)
        # A marker at the end of the allocated part: visible even at 1 %.
        mem_ax.plot([seg[0] + seg[1]] * 2, [row - 0.3, row + 0.3], color=ALLOCATED, linewidth=2)
    mem_ax.set_yticks(rows, names)
    mem_ax.set_ylim(len(nodes) - 0.4, -0.75)
    mem_ax.set_title("Memory per node (% of the node's total)", loc="left", fontsize=10)


def _memory_label(node: Any) -> tuple[str, str]:
    """A node's memory figures as text, and its colour (red when N+1 fails)."""
    over = node.mem_overcommit
    text = (
        f"allocated {format_size(node.mem_allocated)}"
        + (f" ({over:.0%} of usable)" if over is not None else "")
        + f" · in use {format_size(node.mem_used or 0)}"
        + f" · free {format_size(node.mem_free or 0)} of {format_size(node.mem_total or 0)}"
    )
    if node.mem_reserve:
        text += f" · reserve {format_size(node.mem_reserve)}"
    if not node.n1_ok or (node.mem_free is not None and node.mem_reserve > node.mem_free):
        text += " · N+1 fails" + (
            f" ({', '.join(node.n1_unprotected)} on local disk cannot move)"
            if node.n1_unprotected
            else ""
        )
        return text, SHORT
    return text, "#24292f"


def _local_disk(ax: Any, nodes: list[Any], names: list[str]) -> None:
    rows = list(range(len(nodes)))
    allocated = [_pct(n.disk_allocated, n.disk_total or 0) for n in nodes]
    used = [
        max(0.0, _pct((n.disk_total or 0) - (n.disk_free or 0), n.disk_total or 0) - a)
        for n, a in zip(nodes, allocated, strict=True)
    ]
    free = [
        max(0.0, 100.0 - a - u) if n.disk_total else 0.0
        for n, a, u in zip(nodes, allocated, used, strict=True)
    ]
    ax.barh(rows, allocated, color=DISK, height=0.6, edgecolor="#57606a", linewidth=0.4)
    ax.barh(rows, used, left=allocated, color=OTHER, height=0.6, edgecolor="#57606a", linewidth=0.4)
    ax.barh(
        rows,
        free,
        left=[a + u for a, u in zip(allocated, used, strict=True)],
        color=FREE,
        height=0.6,
        edgecolor="#57606a",
        linewidth=0.4,
    )
    for row, node in zip(rows, nodes, strict=True):
        if not node.disk_total:
            text = "no local disk reported"
        else:
            text = (
                f"allocated {format_size(node.disk_allocated)} · free "
                f"{format_size(node.disk_free or 0)} of {format_size(node.disk_total)}"
            )
        if node.disk_shared:
            text += f" · {format_size(node.disk_shared)} on shared storage (not local)"
        ax.text(1, row + 0.42, text, va="top", ha="left", fontsize=8)
    ax.set_yticks(rows, names)
    ax.set_ylim(len(nodes) - 0.4, -0.75)
    ax.set_title("Local disk per node (% of the node's disk)", loc="left", fontsize=10)


def _shared_disk(ax: Any, report: Any) -> None:
    first = report[0] if len(report) else None
    total = float(first.disk_total or 0) if first else 0.0
    free = float(first.disk_free or 0) if first else 0.0
    allocated = float(report.disk_shared_total)
    other = max(0.0, total - free - allocated)
    parts = [_pct(allocated, total), _pct(other, total)]
    parts.append(max(0.0, 100.0 - sum(parts)) if total else 0.0)
    left = 0.0
    for width, colour in zip(parts, (DISK, OTHER, FREE), strict=True):
        ax.barh(
            [0], [width], left=left, color=colour, height=0.6, edgecolor="#57606a", linewidth=0.4
        )
        left += width
    text = (
        f"instances hold {format_size(int(allocated))} · other use {format_size(int(other))}"
        f" · free {format_size(int(free))} of {format_size(int(total))}"
    )
    ax.text(1, 0.42, text, va="top", ha="left", fontsize=8)
    ax.set_yticks([0], [f"{report.disk_template} pool"])
    ax.set_ylim(0.6, -0.75)
    ax.set_title(
        f"Disk: one shared pool ({report.disk_template}), seen alike by every node",
        loc="left",
        fontsize=10,
    )


__all__ = ["plot_capacity"]
