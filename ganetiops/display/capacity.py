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

MIRRORED_INTERNALLY = frozenset({"drbd"})
EXTERNALLY_MIRRORED = frozenset({"sharedfile", "rbd", "ext", "gluster", "blockdev", "diskless"})
LOCAL = frozenset({"file", "plain"})
#: Templates whose disks live in one pool every node sees (not on a node's own disks).
SHARED_STORAGE = frozenset({"sharedfile", "rbd", "ext", "gluster"})


@attrs.frozen
class NodeCapacity:
    """The capacity figures of one node (see the module docstring); sizes in MiB."""

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
    #: The most memory this node must take in when another single node fails.
    mem_reserve: int = 0
    #: Disk of this node's primaries on shared storage (counted in the cluster's pool).
    disk_shared: int = 0

    @property
    def mem_usable(self) -> int | None:
        """What instances can get: total minus the node's own use (``mtotal - mnode``)."""
        if self.mem_total is None:
            return None
        return self.mem_total - (self.mem_node or 0)

    @property
    def mem_used(self) -> int | None:
        """What the node reports in use (``mtotal - mfree``): its own, instances', others'."""
        if self.mem_total is None or self.mem_free is None:
            return None
        return self.mem_total - self.mem_free

    @property
    def mem_overcommit(self) -> float | None:
        """``mem_allocated / mem_usable`` (a ratio: 1.0 = 100 %)."""
        usable = self.mem_usable
        if not self.mem_total or usable is None or usable <= 0:
            return None
        return self.mem_allocated / usable

    @property
    def disk_used_ratio(self) -> float | None:
        if not self.disk_total:
            return None
        return self.disk_allocated / self.disk_total

    def record(self) -> dict[str, Any]:
        """Flat figures for a DataFrame: sizes in MiB, the overcommit a ratio."""
        overcommit = self.mem_overcommit
        return {
            "name": self.name,
            "role": self.role,
            "primaries": self.primary_instances,
            "secondaries": self.secondary_instances,
            "mem_total": self.mem_total,
            "mem_node": self.mem_node,
            "mem_used": self.mem_used,
            "mem_free": self.mem_free,
            "mem_allocated": self.mem_allocated,
            "mem_overcommit": round(overcommit, 4) if overcommit is not None else None,
            "mem_reserve": self.mem_reserve,
            "disk_total": self.disk_total,
            "disk_free": self.disk_free,
            "disk_allocated": self.disk_allocated,
            "disk_shared": self.disk_shared,
            "n1_needed": self.n1_needed,
            "n1_headroom": self.n1_headroom,
            "n1_ok": self.n1_ok,
            "n1_unprotected": list(self.n1_unprotected),
        }


#: Units of the record's columns (``df.attrs["units"]``; the DataFrame names carry them too).
_SIZES = (
    "mem_total",
    "mem_node",
    "mem_used",
    "mem_free",
    "mem_allocated",
    "mem_reserve",
    "disk_total",
    "disk_free",
    "disk_allocated",
    "disk_shared",
    "n1_needed",
    "n1_headroom",
)
UNITS: dict[str, str] = {**dict.fromkeys(_SIZES, "MiB"), "mem_overcommit": "ratio"}


class CapacityReport(Collection[NodeCapacity]):
    """Per-node capacity, as a grouped table in notebooks; :meth:`plot` draws it.

    ``disk_pool`` says what the nodes' ``dtotal``/``dfree`` describe: ``"local"`` storage
    of each node, or one ``"shared"`` pool (when the cluster's default disk template is
    ``sharedfile``, ``rbd``...); ``disk_template`` is that template when known.
    """

    disk_pool: str = "local"
    disk_template: str | None = None

    def _repr_html_(self) -> str:
        from ganetiops.display.html import capacity_html

        return capacity_html(self)

    def to_records(self) -> list[dict[str, Any]]:
        return [n.record() for n in self]

    def to_dataframe(self) -> Any:
        """One row per node; size columns named ``..._mib``, ``mem_overcommit_ratio``."""
        from ganetiops.display.rows import to_dataframe

        return to_dataframe(self.to_records(), units=UNITS)

    def styled(self) -> Any:
        """The DataFrame as a pandas ``Styler``: sizes readable, N+1 failures red."""
        from ganetiops.display.rows import styled

        return styled(self.to_dataframe())

    @property
    def n1_ok(self) -> bool:
        """True when the failure of any single node can be absorbed."""
        return all(n.n1_ok for n in self)

    @property
    def disk_shared_total(self) -> int:
        """Disk allocated on shared storage by all instances (each counted once)."""
        return sum(n.disk_shared for n in self)

    def plot(self, ax: Any = None) -> Any:
        """A matplotlib figure: per node, memory and disk in percent of the node."""
        from ganetiops.display.plot import plot_capacity

        return plot_capacity(self, ax=ax)


def _memory(instance: Any) -> int:
    value = instance.memory
    return int(value) if value is not None else 0


def _should_run(instance: Any) -> bool:
    return (instance.admin_state or ("up" if instance.is_running else "down")) == "up"


def _can_host(node: Any) -> bool:
    return not (node.offline or node.drained) and node.vm_capable is not False


def capacity(
    nodes: Any, instances: Iterable[Any] | None = None, *, disk_template: str | None = None
) -> CapacityReport:
    """Capacity per node, from ``client`` (nodes, instances and the cluster's default disk
    template are fetched) or from the two lists a client returned:
    ``capacity(client.nodes.list(), client.instances.list(), disk_template="sharedfile")``.

    ``disk_template``: the cluster's default (first enabled) disk template, whose storage
    the nodes' ``dtotal``/``dfree`` describe; a shared one makes that one pool.
    """
    if instances is None and hasattr(nodes, "nodes") and hasattr(nodes, "instances"):
        client = nodes
        nodes, instances = client.nodes.list(), client.instances.list()
        if disk_template is None and hasattr(client, "cluster"):
            enabled = client.cluster.info().enabled_disk_templates
            disk_template = enabled[0] if enabled else None
    node_list = list(nodes)
    instance_list = list(instances or ())
    free = {n.name: int(n.mfree or 0) if _can_host(n) else 0 for n in node_list}
    report = CapacityReport(caption="capacity")
    report.disk_template = disk_template
    report.disk_pool = "shared" if disk_template in SHARED_STORAGE else "local"
    reserve = dict.fromkeys(free, 0)
    for node in node_list:
        primaries = [i for i in instance_list if i.pnode == node.name]
        for target, taken in _n_plus_one(node.name, primaries, node_list, free)[4].items():
            reserve[target] = max(reserve.get(target, 0), taken)
    for node in node_list:
        primaries = [i for i in instance_list if i.pnode == node.name]
        secondaries = [i for i in instance_list if node.name in i.snodes]
        mem_allocated = sum(_memory(i) for i in primaries if _should_run(i))
        disk_allocated = sum(
            int(i.disk_total)
            for i in primaries + secondaries
            if i.disk_template in LOCAL | MIRRORED_INTERNALLY
        )
        disk_shared = sum(
            int(i.disk_total or 0) for i in primaries if i.disk_template in SHARED_STORAGE
        )
        needed, headroom, ok, unprotected, _ = _n_plus_one(node.name, primaries, node_list, free)
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
                mem_reserve=reserve.get(node.name, 0),
                disk_shared=disk_shared,
            )
        )
    return report


def _opt(value: Any) -> int | None:
    return int(value) if value is not None else None


def _n_plus_one(
    failing: str, primaries: Sequence[Any], nodes: Sequence[Any], free: dict[str, int]
) -> tuple[int, int, bool, tuple[str, ...], dict[str, int]]:
    """Place the failing node's running primaries on the others; see the module doc.

    Also returns the memory placed on each other node (what it must keep in reserve).
    """
    room = {n.name: free[n.name] for n in nodes if n.name != failing}
    start = dict(room)
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
    placed = {name: start[name] - left for name, left in room.items() if start[name] > left}
    return needed, headroom, ok, unprotected, placed


def plot_capacity(report: Any, ax: Any = None) -> Any:
    """See :func:`ganetiops.display.plot.plot_capacity`."""
    from ganetiops.display.plot import plot_capacity as plot

    return plot(report, ax=ax)


__all__ = ["UNITS", "CapacityReport", "NodeCapacity", "capacity", "plot_capacity"]
