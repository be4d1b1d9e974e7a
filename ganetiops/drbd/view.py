"""Instance view: Ganeti's DRBD disks (from instance info) matched with the nodes' minors.

Ganeti's instance info (``GET /2/instances/NAME/info``, a job; ``static=1`` asks no
node) gives each ``drbd`` disk a ``drbd_info``: ``primary_node``, ``primary_minor``,
``secondary_node``, ``secondary_minor``, ``port``. The minor on each node is looked up
in that node's :class:`~ganetiops.drbd.model.NodeDrbd`, and the pair judged:

``healthy``      both sides connected and UpToDate (an online verify may be running);
``syncing``      a resync is running or paused (percent, ETA, speed);
``degraded``     connected but a side's disk is not UpToDate, or a side has no device
                 (its disks are not active), which side is said;
``disconnected`` both sides have their device but they do not talk;
``split-brain``  the kernel said so, or both sides are Primary and not connected;
``inactive``     neither side has its device (a stopped instance's deactivated disks);
``unknown``      a node could not be read.

Pure: no I/O (see :mod:`ganetiops.drbd.health` for the reading).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ganetiops.drbd.model import GOOD_DISK, DrbdDevice, NodeDrbd

__all__ = [
    "STATES",
    "DiskHealth",
    "InstanceHealth",
    "drbd_disks_of",
    "instance_health",
    "judge_disk",
]

#: Worst first: an instance takes the worst state of its disks.
STATES = (
    "split-brain",
    "unknown",
    "disconnected",
    "degraded",
    "syncing",
    "inactive",
    "healthy",
)
_RANK = {state: i for i, state in enumerate(STATES)}


@attrs.frozen
class DiskHealth:
    """One DRBD disk of an instance, seen from both of its nodes."""

    index: int
    primary: str
    secondary: str
    primary_minor: int | None
    secondary_minor: int | None
    port: int | None = None
    primary_device: DrbdDevice | None = None
    secondary_device: DrbdDevice | None = None
    state: str = "unknown"
    detail: str = ""
    percent: float | None = None
    eta_seconds: int | None = None
    speed_kib: int | None = None
    out_of_sync_kib: int | None = None
    #: Nodes that hold an UpToDate copy of this disk.
    good_copies: tuple[str, ...] = ()
    size_mib: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = attrs.asdict(self, recurse=False)
        for side in ("primary_device", "secondary_device"):
            device = data[side]
            data[side] = device.to_dict() if device is not None else None
        data["good_copies"] = list(self.good_copies)
        return data


@attrs.frozen
class InstanceHealth:
    """An instance's replication: its nodes, each DRBD disk, and the worst of them."""

    name: str
    primary: str | None
    secondary: str | None
    disks: tuple[DiskHealth, ...] = ()
    admin_state: str | None = None
    running: bool | None = None

    @property
    def state(self) -> str:
        if not self.disks:
            return "unknown"
        return min((d.state for d in self.disks), key=lambda s: _RANK.get(s, 0))

    @property
    def detail(self) -> str:
        parts = [f"disk/{d.index}: {d.detail}" for d in self.disks if d.state != "healthy"]
        if not parts and self.disks:
            verify = [d.detail for d in self.disks if d.detail != "UpToDate/UpToDate"]
            return "; ".join(verify) or "UpToDate/UpToDate"
        return "; ".join(parts)

    @property
    def percent(self) -> float | None:
        values = [d.percent for d in self.disks if d.percent is not None and d.state == "syncing"]
        return min(values) if values else None

    @property
    def eta_seconds(self) -> int | None:
        values = [d.eta_seconds for d in self.disks if d.eta_seconds is not None]
        return max(values) if values else None

    @property
    def healthy(self) -> bool:
        return bool(self.disks) and all(d.state == "healthy" for d in self.disks)

    @property
    def good_copies(self) -> tuple[str, ...]:
        """Nodes that hold an UpToDate copy of every disk."""
        if not self.disks:
            return ()
        common = set(self.disks[0].good_copies)
        for disk in self.disks[1:]:
            common &= set(disk.good_copies)
        return tuple(n for n in (self.primary, self.secondary) if n in common)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "primary": self.primary,
            "secondary": self.secondary,
            "state": self.state,
            "detail": self.detail,
            "percent": self.percent,
            "eta_seconds": self.eta_seconds,
            "admin_state": self.admin_state,
            "running": self.running,
            "good_copies": list(self.good_copies),
            "disks": [d.to_dict() for d in self.disks],
        }


def drbd_disks_of(info: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The DRBD disks of one instance-info result, as ``drbd_info`` plus index and size.

    Reads ``disks[i].drbd_info`` (Ganeti 2.x-3.x); when only ``logical_id`` is there
    (``[nodeA, nodeB, port, minorA, minorB, secret]`` with node *names* already
    resolved, as some versions print), it is used with the instance's ``pnode``.
    """
    out: list[dict[str, Any]] = []
    for index, disk in enumerate(info.get("disks") or ()):
        if not isinstance(disk, Mapping):
            continue
        drbd = disk.get("drbd_info")
        if not isinstance(drbd, Mapping):
            if disk.get("dev_type") not in ("drbd", "drbd8"):
                continue
            logical: Sequence[Any] = disk.get("logical_id") or ()
            if len(logical) < 5:
                continue
            a, b, port, minor_a, minor_b = logical[:5]
            primary = info.get("pnode")
            if primary == b:
                a, b, minor_a, minor_b = b, a, minor_b, minor_a
            drbd = {
                "primary_node": a,
                "secondary_node": b,
                "port": port,
                "primary_minor": minor_a,
                "secondary_minor": minor_b,
            }
        out.append({"index": index, "size": disk.get("size"), **drbd})
    return out


def _side(name: str, role: str, device: DrbdDevice | None) -> str:
    if device is None:
        return f"{role} {name} has no device"
    return f"{role} {name} {device.connection or '?'} {device.disk or '?'}"


def judge_disk(
    index: int,
    drbd: Mapping[str, Any],
    nodes: Mapping[str, NodeDrbd],
) -> DiskHealth:
    """One disk's state from its ``drbd_info`` and what its two nodes said."""
    primary = str(drbd.get("primary_node") or "")
    secondary = str(drbd.get("secondary_node") or "")
    pminor = _as_int(drbd.get("primary_minor"))
    sminor = _as_int(drbd.get("secondary_minor"))
    base: dict[str, Any] = {
        "index": index,
        "primary": primary,
        "secondary": secondary,
        "primary_minor": pminor,
        "secondary_minor": sminor,
        "port": _as_int(drbd.get("port")),
        "size_mib": _as_int(drbd.get("size")),
    }
    unread = [
        f"{role} {name}: {nodes[name].summary if name in nodes else 'not read'}"
        for role, name in (("primary", primary), ("secondary", secondary))
        if name not in nodes or not nodes[name].reachable
    ]
    pnode, snode = nodes.get(primary), nodes.get(secondary)
    pdev = pnode.device(pminor) if pnode is not None and pminor is not None else None
    sdev = snode.device(sminor) if snode is not None and sminor is not None else None
    base["primary_device"], base["secondary_device"] = pdev, sdev
    good = tuple(
        name for name, dev in ((primary, pdev), (secondary, sdev)) if dev and dev.disk == GOOD_DISK
    )
    base["good_copies"] = good
    if unread and pdev is None and sdev is None:
        return DiskHealth(**base, state="unknown", detail="; ".join(unread))
    devices = [d for d in (pdev, sdev) if d is not None]
    base["out_of_sync_kib"] = max(
        (d.out_of_sync_kib for d in devices if d.out_of_sync_kib is not None), default=None
    )
    if any(d.split_brain for d in devices) or (
        pdev is not None
        and sdev is not None
        and pdev.role == "Primary"
        and sdev.role == "Primary"
        and not pdev.connected
        and not sdev.connected
    ):
        sides = ", ".join(_side(n, r, d) for n, r, d in (
            (primary, "primary", pdev), (secondary, "secondary", sdev)))  # fmt: skip
        return DiskHealth(**base, state="split-brain", detail=f"split brain ({sides})")
    if pdev is None and sdev is None:
        missing = "; ".join(unread) if unread else "disks not active on either node"
        state = "unknown" if unread else "inactive"
        return DiskHealth(**base, state=state, detail=missing)
    syncing = [d for d in devices if d.syncing]
    if syncing:
        ahead = next((d for d in syncing if d.sync_percent is not None), syncing[0])
        percent = ahead.sync_percent
        paused = next((d for d in syncing if d.paused), None)
        target = _sync_target(primary, pdev, secondary, sdev)
        text = f"resync to {target}"
        if percent is not None:
            text += f" {percent:.1f}%"
        if paused is not None:
            text += f" (paused: {paused.resync_suspended or 'yes'})"
        eta = next((d.eta_seconds for d in syncing if d.eta_seconds is not None), None)
        speed = next((d.speed_kib for d in syncing if d.speed_kib is not None), None)
        return DiskHealth(
            **base,
            state="syncing",
            detail=text,
            percent=percent,
            eta_seconds=eta,
            speed_kib=speed,
        )
    if pdev is None or sdev is None:
        present, missing_side = (
            (pdev, ("secondary", secondary)) if pdev is not None else (sdev, ("primary", primary))
        )
        assert present is not None
        why = "; ".join(unread) if unread else "disks not active there"
        return DiskHealth(
            **base,
            state="degraded" if not unread else "unknown",
            detail=f"{missing_side[0]} {missing_side[1]} has no minor ({why}); "
            f"{'primary' if present is pdev else 'secondary'} is {present.connection} "
            f"{present.disk}",
        )
    if not pdev.connected or not sdev.connected:
        return DiskHealth(
            **base,
            state="disconnected",
            detail=f"{_side(primary, 'primary', pdev)}, {_side(secondary, 'secondary', sdev)}",
        )
    bad = [
        (role, name, dev)
        for role, name, dev in (("primary", primary, pdev), ("secondary", secondary, sdev))
        if dev.disk != GOOD_DISK
    ]
    if bad:
        text = ", ".join(f"{role} {name} disk {dev.disk}" for role, name, dev in bad)
        return DiskHealth(**base, state="degraded", detail=text)
    verify = next((d for d in devices if d.verifying), None)
    if verify is not None:
        text = "online verify"
        if verify.verify_percent is not None:
            text += f" {verify.verify_percent:.1f}%"
        return DiskHealth(
            **base,
            state="healthy",
            detail=text,
            percent=verify.verify_percent,
            eta_seconds=verify.eta_seconds,
            speed_kib=verify.speed_kib,
        )
    return DiskHealth(**base, state="healthy", detail="UpToDate/UpToDate")


def _sync_target(
    primary: str, pdev: DrbdDevice | None, secondary: str, sdev: DrbdDevice | None
) -> str:
    """The node being written by the resync (the ``...T`` side, or the peer of ``...S``)."""
    for name, other, dev in ((primary, secondary, pdev), (secondary, primary, sdev)):
        if dev is not None and dev.syncing:
            return name if (dev.connection or "").endswith("T") else other
    return secondary


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def instance_health(
    info: Mapping[str, Any],
    nodes: Mapping[str, NodeDrbd],
    *,
    admin_state: str | None = None,
    running: bool | None = None,
) -> InstanceHealth:
    """One instance (its info job's result) judged against the nodes' DRBD state."""
    disks = tuple(judge_disk(d["index"], d, nodes) for d in drbd_disks_of(info))
    snodes: Sequence[str] = info.get("snodes") or ()
    return InstanceHealth(
        name=str(info.get("name") or ""),
        primary=info.get("pnode") or (disks[0].primary if disks else None),
        secondary=(snodes[0] if snodes else None) or (disks[0].secondary if disks else None),
        disks=disks,
        admin_state=admin_state if admin_state is not None else info.get("config_state"),
        running=running if running is not None else _run_state(info.get("run_state")),
    )


def _run_state(value: Any) -> bool | None:
    if value is None:
        return None
    return bool(value == "up")


def worst(instances: Iterable[InstanceHealth]) -> str:
    states = [i.state for i in instances]
    return min(states, key=lambda s: _RANK.get(s, 0)) if states else "healthy"
