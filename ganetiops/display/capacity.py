"""Capacity per node: memory and disk allocated versus total, overcommit, N+1 headroom.

Definitions (all sizes MiB):

``mem_allocated``
    The configured memory (``beparams.maxmem``) of the node's primary instances that
    should run (admin state ``up``).
``mem_overcommit``
    ``mem_allocated / (mtotal - mnode)``: above 1.0 the instances could not all get
    their memory at once.
``disk_allocated``
    The disk of instances whose data lives on this node: primaries of ``file``/``plain``,
    primaries and secondaries of ``drbd``. Shared storage (``sharedfile``, ``rbd``,
    ``ext``, ``gluster``) and ``diskless`` are not counted against a node.
``n1_needed`` / ``n1_headroom`` / ``n1_ok``
    What happens if *this node* fails: its running primaries must restart elsewhere.
    A ``drbd`` instance can go only to its secondary; an externally mirrored or
    diskless instance to any other online, vm-capable, undrained node. Instances are
    placed greedily (largest first) into the other nodes' free memory; ``n1_ok`` says
    whether all fit, ``n1_headroom`` is the free memory left on the other nodes after
    placing them (negative: the memory that did not fit). Instances on local storage
    (``file``, ``plain``) cannot move and are listed in ``n1_unprotected``.

This is the classic N+1 check of ``hbal``/``gnt-cluster verify`` reduced to memory,
computed from one node and one instance listing (no extra RAPI calls).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from ganetiops.display.collection import Collection
from ganetiops.display.html import rows_html
from ganetiops.display.rows import to_dataframe

MIRRORED_INTERNALLY = frozenset({"drbd"})
EXTERNALLY_MIRRORED = frozenset({"sharedfile", "rbd", "ext", "gluster", "blockdev", "diskless"})
LOCAL = frozenset({"file", "plain"})


@attrs.frozen
class NodeCapacity:
    """The capacity figures of one node (see the module docstring)."""

    name: str
    role: str | None
    mem_total: int | None
    mem_node: int | None
    mem_free: int | None
    mem_allocated: int
    disk_total: int | None
    disk_free: int | None
    disk_allocated: int
    primary_instances: int
    secondary_instances: int
    n1_needed: int
    n1_headroom: int
    n1_ok: bool
    n1_unprotected: tuple[str, ...] = ()

    @property
    def mem_overcommit(self) -> float | None:
        usable = (self.mem_total or 0) - (self.mem_node or 0)
        if not self.mem_total or usable <= 0:
            return None
        return self.mem_allocated / usable

    @property
    def disk_used_ratio(self) -> float | None:
        if not self.disk_total:
            return None
        return self.disk_allocated / self.disk_total

    def record(self) -> dict[str, Any]:
        overcommit = self.mem_overcommit
        return {
            "name": self.name,
            "role": self.role,
            "instances": f"{self.primary_instances}/{self.secondary_instances}",
            "mtotal": self.mem_total,
            "mem_allocated": self.mem_allocated,
            "mfree": self.mem_free,
            "mem_overcommit": round(overcommit, 2) if overcommit is not None else None,
            "dtotal": self.disk_total,
            "disk_allocated": self.disk_allocated,
            "dfree": self.disk_free,
            "n1_needed": self.n1_needed,
            "n1_headroom": self.n1_headroom,
            "n1_ok": self.n1_ok,
            "n1_unprotected": list(self.n1_unprotected),
        }


class CapacityReport(Collection[NodeCapacity]):
    """Per-node capacity, as a table in notebooks; :meth:`plot` draws it."""

    def _repr_html_(self) -> str:
        verdict = "N+1: ok" if self.n1_ok else "N+1: NOT satisfied"
        return rows_html([n.record() for n in self], caption=f"Capacity per node — {verdict}")

    def to_records(self) -> list[dict[str, Any]]:
        return [n.record() for n in self]

    def to_dataframe(self) -> Any:
        return to_dataframe(self.to_records())

    @property
    def n1_ok(self) -> bool:
        """True when the failure of any single node can be absorbed."""
        return all(n.n1_ok for n in self)

    def plot(self, ax: Any = None) -> Any:
        """A matplotlib figure: memory and disk, allocated versus total, per node."""
        return plot_capacity(self, ax=ax)


def _memory(instance: Any) -> int:
    value = instance.memory
    return int(value) if value is not None else 0


def _should_run(instance: Any) -> bool:
    return (instance.admin_state or ("up" if instance.is_running else "down")) == "up"


def _can_host(node: Any) -> bool:
    return not (node.offline or node.drained) and node.vm_capable is not False


def capacity(nodes: Any, instances: Iterable[Any] | None = None) -> CapacityReport:
    """Capacity per node, from ``client`` (nodes and instances are fetched) or from
    the two lists a client returned: ``capacity(client.nodes.list(), client.instances.list())``.
    """
    if instances is None and hasattr(nodes, "nodes") and hasattr(nodes, "instances"):
        client = nodes
        nodes, instances = client.nodes.list(), client.instances.list()
    node_list = list(nodes)
    instance_list = list(instances or ())
    free = {n.name: int(n.mfree or 0) if _can_host(n) else 0 for n in node_list}
    report = CapacityReport(caption="capacity")
    for node in node_list:
        primaries = [i for i in instance_list if i.pnode == node.name]
        secondaries = [i for i in instance_list if node.name in i.snodes]
        mem_allocated = sum(_memory(i) for i in primaries if _should_run(i))
        disk_allocated = sum(
            int(i.disk_total)
            for i in primaries + secondaries
            if i.disk_template in LOCAL | MIRRORED_INTERNALLY
        )
        needed, headroom, ok, unprotected = _n_plus_one(node.name, primaries, node_list, free)
        report.append(
            NodeCapacity(
                name=node.name,
                role=node.role,
                mem_total=_opt(node.mtotal),
                mem_node=_opt(node.mnode),
                mem_free=_opt(node.mfree),
                mem_allocated=mem_allocated,
                disk_total=_opt(node.dtotal),
                disk_free=_opt(node.dfree),
                disk_allocated=disk_allocated,
                primary_instances=len(primaries),
                secondary_instances=len(secondaries),
                n1_needed=needed,
                n1_headroom=headroom,
                n1_ok=ok,
                n1_unprotected=unprotected,
            )
        )
    return report


def _opt(value: Any) -> int | None:
    return int(value) if value is not None else None


def _n_plus_one(
    failing: str, primaries: Sequence[Any], nodes: Sequence[Any], free: dict[str, int]
) -> tuple[int, int, bool, tuple[str, ...]]:
    """Place the failing node's running primaries on the others; see the module doc."""
    room = {n.name: free[n.name] for n in nodes if n.name != failing}
    running = [i for i in primaries if _should_run(i)]
    needed = sum(_memory(i) for i in running)
    unprotected = tuple(
        i.name for i in running if i.disk_template in LOCAL or i.disk_template is None
    )
    unplaced = 0
    # Fixed targets first: a DRBD instance can only fail over to its secondary.
    for inst in running:
        if inst.disk_template in MIRRORED_INTERNALLY:
            target = inst.snodes[0] if inst.snodes else None
            if target in room and room[target] >= _memory(inst):
                room[target] -= _memory(inst)
            else:
                unplaced += _memory(inst)
    movable = sorted(
        (i for i in running if i.disk_template in EXTERNALLY_MIRRORED), key=_memory, reverse=True
    )
    for inst in movable:
        target = max(room, key=lambda n: room[n], default=None)
        if target is not None and room[target] >= _memory(inst):
            room[target] -= _memory(inst)
        else:
            unplaced += _memory(inst)
    unplaced += sum(_memory(i) for i in running if i.name in unprotected)
    ok = unplaced == 0
    headroom = sum(room.values()) if ok else -unplaced
    return needed, headroom, ok, unprotected


def plot_capacity(report: Sequence[NodeCapacity], ax: Any = None) -> Any:
    """Bars per node: memory total / allocated / in use, and disk total / allocated.

    Returns the matplotlib ``Figure``. Needs matplotlib (extra ``[jupyter]``).
    """
    try:
        import matplotlib.pyplot as plt  # lazy: optional extra
    except ImportError:
        raise ImportError(
            "plot_capacity needs matplotlib: pip install 'ganetiops[jupyter]'"
        ) from None
    names = [n.name.split(".", 1)[0] for n in report]
    positions = list(range(len(names)))
    if ax is None:
        figure, (mem_ax, disk_ax) = plt.subplots(1, 2, figsize=(11, 3.8))
    else:
        mem_ax, disk_ax = ax
        figure = mem_ax.figure
    width = 0.27
    gib = 1024.0
    mem_ax.bar(
        [p - width for p in positions],
        [(n.mem_total or 0) / gib for n in report],
        width,
        label="total",
        color="#d0d7de",
    )
    mem_ax.bar(
        positions,
        [n.mem_allocated / gib for n in report],
        width,
        label="allocated (maxmem)",
        color="#0969da",
    )
    mem_ax.bar(
        [p + width for p in positions],
        [((n.mem_total or 0) - (n.mem_free or 0)) / gib for n in report],
        width,
        label="in use",
        color="#1a7f37",
    )
    mem_ax.set_title("Memory per node (GiB)")
    disk_ax.bar(
        [p - width / 2 for p in positions],
        [(n.disk_total or 0) / gib for n in report],
        width,
        label="total",
        color="#d0d7de",
    )
    disk_ax.bar(
        [p + width / 2 for p in positions],
        [n.disk_allocated / gib for n in report],
        width,
        label="allocated",
        color="#bc4c00",
    )
    disk_ax.set_title("Local disk per node (GiB)")
    for axis in (mem_ax, disk_ax):
        axis.set_xticks(positions)
        axis.set_xticklabels(names)
        axis.legend(fontsize="small", loc="lower right")
    for position, node in zip(positions, report, strict=False):
        if not node.n1_ok:
            mem_ax.annotate(
                "N+1!", (position, (node.mem_total or 0) / gib), ha="center", color="#cf222e"
            )
    figure.tight_layout()
    return figure


__all__ = ["CapacityReport", "NodeCapacity", "capacity", "plot_capacity"]
