"""What DRBD looks like on one node: devices (minors) with their replication state.

One :class:`DrbdDevice` per configured minor, whichever command it was read from
(``/proc/drbd``, ``drbdsetup status``/``drbdadm status``, ``drbdsetup events2``).
Connection states are kept in DRBD 8.4's vocabulary (``cs:`` of ``/proc/drbd``:
``Connected``, ``SyncSource``, ``WFConnection``, ``StandAlone``...), the DRBD 9
``replication`` state beside it, so that one set of rules judges both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = [
    "CONNECTED_STATES",
    "SYNC_STATES",
    "VERIFY_STATES",
    "DrbdDevice",
    "NodeDrbd",
]

#: A resync is running (or paused) in these states.
SYNC_STATES = frozenset(
    {
        "StartingSyncS",
        "StartingSyncT",
        "WFBitMapS",
        "WFBitMapT",
        "WFSyncUUID",
        "SyncSource",
        "SyncTarget",
        "PausedSyncS",
        "PausedSyncT",
    }
)
#: An online verify is running.
VERIFY_STATES = frozenset({"VerifyS", "VerifyT"})
#: 8.4 connection states in which the peers talk to each other: idle, resyncing,
#: verifying, or one ahead of the other (congestion).
CONNECTED_STATES = SYNC_STATES | VERIFY_STATES | {"Connected", "Ahead", "Behind"}
#: States that hold a usable copy of the data.
GOOD_DISK = "UpToDate"


@attrs.frozen
class DrbdDevice:
    """One DRBD minor on one node.

    Sizes are KiB (DRBD's unit); ``speed_kib`` is KiB/s; ``eta_seconds`` the resync's
    or verify's estimated time left. ``None`` means "not said by the source".
    """

    minor: int | None
    resource: str | None = None
    volume: int | None = None
    #: 8.4 connection state (``cs:``), also derived from DRBD 9 output.
    connection: str | None = None
    #: DRBD 9 replication state (``Established``, ``SyncSource``, ``Off``...).
    replication: str | None = None
    role: str | None = None
    peer_role: str | None = None
    disk: str | None = None
    peer_disk: str | None = None
    protocol: str | None = None
    #: 8.4 I/O flags (``r-----``: running, ``r--u--``: user-paused resync...).
    flags: str | None = None
    sync_percent: float | None = None
    verify_percent: float | None = None
    speed_kib: int | None = None
    want_kib: int | None = None
    eta_seconds: int | None = None
    out_of_sync_kib: int | None = None
    size_kib: int | None = None
    #: Why a resync is paused (``user``, ``peer``, ``dependency``), ``None`` if not.
    resync_suspended: str | None = None
    #: The kernel said "Split-Brain detected" and no connection followed.
    split_brain: bool = False
    #: Counters (``ns``, ``nr``, ``dw``, ``dr``... or ``read``, ``written``...).
    counters: Mapping[str, int] = attrs.field(factory=dict)

    @property
    def connected(self) -> bool:
        return self.connection in CONNECTED_STATES

    @property
    def syncing(self) -> bool:
        return self.connection in SYNC_STATES

    @property
    def verifying(self) -> bool:
        return self.connection in VERIFY_STATES

    @property
    def paused(self) -> bool:
        return bool(self.connection and self.connection.startswith("PausedSync")) or bool(
            self.resync_suspended
        )

    @property
    def up_to_date(self) -> bool:
        """Connected and UpToDate on both sides: nothing to worry about."""
        return self.connected and self.disk == GOOD_DISK and self.peer_disk == GOOD_DISK

    @property
    def progress(self) -> float | None:
        return self.sync_percent if self.sync_percent is not None else self.verify_percent

    def to_dict(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data["counters"] = dict(self.counters)
        return data


@attrs.frozen
class NodeDrbd:
    """DRBD on one node: loaded or not, its version, devices, and what was not understood."""

    host: str
    #: The module is loaded (``/proc/drbd`` exists).
    loaded: bool = False
    version: str | None = None
    #: ``8.4`` for a DRBD 9 module in 8.4 compatibility mode.
    compat: str | None = None
    devices: tuple[DrbdDevice, ...] = ()
    #: Lines no parser understood, kept to be reported (never a crash).
    unknown_lines: tuple[str, ...] = ()
    #: Things that went wrong reading this node (``connect``: not reached).
    problems: Mapping[str, str] = attrs.field(factory=dict)
    #: Which outputs the devices were read from (``proc``, ``events2``...).
    sources: tuple[str, ...] = ()

    @property
    def reachable(self) -> bool:
        return "connect" not in self.problems

    @property
    def summary(self) -> str:
        """One line: ``no DRBD on this node``, ``DRBD 8.4.11, 2 devices``..."""
        if not self.reachable:
            return f"not reached: {self.problems['connect']}"
        if not self.loaded:
            return "no DRBD on this node"
        count = len(self.devices)
        return f"DRBD {self.version or '?'}, {count} device{'s' if count != 1 else ''}"

    def device(self, minor: int) -> DrbdDevice | None:
        for device in self.devices:
            if device.minor == minor:
                return device
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "loaded": self.loaded,
            "version": self.version,
            "compat": self.compat,
            "summary": self.summary,
            "devices": [d.to_dict() for d in self.devices],
            "unknown_lines": list(self.unknown_lines),
            "problems": dict(self.problems),
            "sources": list(self.sources),
        }
