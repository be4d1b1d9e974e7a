"""Pure parsers of DRBD's outputs: text in, :class:`~ganetiops.drbd.model.DrbdDevice` out.

* :func:`parse_proc_drbd` — ``/proc/drbd`` (8.4, and DRBD 9's, which has only the
  version lines, with its ``(compat 8.4)`` suffix when the module runs that way);
* :func:`parse_status` — ``drbdadm status`` and ``drbdsetup status [--verbose
  --statistics]`` (the same layout);
* :func:`parse_events2` — ``drbdsetup events2 --now [--statistics]``;
* :func:`split_brain_minors` — kernel log lines (``dmesg``) to the minors whose last
  word was "Split-Brain detected" with no connection since.

None of them raises on output it does not know: such lines are returned in
``unknown`` so that a caller can report them. Tested on every real output in
``tests/data/drbd/samples`` (``tests/unit/test_drbd_parsers.py``). One module per
format (:mod:`~ganetiops.drbd.parse_proc`, :mod:`~ganetiops.drbd.parse_status`);
this one gathers them, merges their devices and reads the kernel log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import attrs

from ganetiops.drbd.model import CONNECTED_STATES, DrbdDevice
from ganetiops.drbd.parse_proc import parse_proc_drbd
from ganetiops.drbd.parse_status import parse_events2, parse_status
from ganetiops.drbd.parsed import Parsed

__all__ = [
    "Parsed",
    "merge_devices",
    "parse_events2",
    "parse_proc_drbd",
    "parse_status",
    "split_brain_minors",
]


# --- merge and kernel log -------------------------------------------------------------

_PREFER_PROC = (
    "sync_percent",
    "verify_percent",
    "speed_kib",
    "want_kib",
    "eta_seconds",
    "protocol",
    "flags",
)


def merge_devices(
    proc: Sequence[DrbdDevice], events: Sequence[DrbdDevice]
) -> tuple[DrbdDevice, ...]:
    """One device per minor from both sources: names, sizes and DRBD 9 states from
    events2, progress, speed and ETA from ``/proc/drbd`` (8.4's only place for them).

    ``/proc/drbd``'s connection state wins when both have one (it is the finer).
    """
    by_minor: dict[int | None, DrbdDevice] = {d.minor: d for d in events if d.minor is not None}
    merged: list[DrbdDevice] = []
    seen: set[int | None] = set()
    for device in proc:
        other = by_minor.get(device.minor)
        seen.add(device.minor)
        if other is None:
            merged.append(device)
            continue
        changes = {
            name: getattr(device, name)
            for name in _PREFER_PROC
            if getattr(device, name) is not None or name in ("sync_percent", "verify_percent")
        }
        if device.sync_percent is None and other.sync_percent is not None:
            changes["sync_percent"] = other.sync_percent
        if device.verify_percent is None and other.verify_percent is not None:
            changes["verify_percent"] = other.verify_percent
        merged.append(
            attrs.evolve(
                other,
                connection=device.connection or other.connection,
                replication=device.replication or other.replication,
                role=device.role or other.role,
                peer_role=device.peer_role or other.peer_role,
                disk=device.disk or other.disk,
                peer_disk=device.peer_disk or other.peer_disk,
                out_of_sync_kib=(
                    device.out_of_sync_kib
                    if device.out_of_sync_kib is not None
                    else other.out_of_sync_kib
                ),
                resync_suspended=device.resync_suspended or other.resync_suspended,
                counters={**other.counters, **device.counters},
                **changes,
            )
        )
    merged.extend(d for d in events if d.minor not in seen)
    return tuple(merged)


_LOG_MINOR = re.compile(r"\bdrbd(\d+)\b")
_LOG_RESOURCE = re.compile(r"\bdrbd (?P<res>[^\s/:]+)(?:/\d+)?[\s:]")
_LOG_CONN = re.compile(r"conn\( \S+ -> (?P<to>\S+) \)")
_SPLIT_BRAIN = ("Split-Brain detected but unresolved", "Split-Brain detected, dropping")


def split_brain_minors(
    lines: Iterable[str], resources: Mapping[str, Sequence[int]] | None = None
) -> frozenset[int]:
    """Minors whose last kernel word (in ``lines``, oldest first) is an unresolved
    split brain: "Split-Brain detected but unresolved" and no connection since.

    A connection logged for the resource (``drbd r0: conn( ... -> Connected )``) counts
    for each of its minors (``resources``: name → minors).
    """
    resources = resources or {}
    state: dict[int, bool] = {}
    for line in lines:
        message = line.split("] ", 1)[-1]
        head = message.split(": ", 1)[0]
        minors = [int(m) for m in _LOG_MINOR.findall(head)]
        if not minors:
            resource = _LOG_RESOURCE.search(head + ":")
            if resource:
                minors = list(resources.get(resource.group("res"), ()))
        if not minors:
            continue
        if any(marker in message for marker in _SPLIT_BRAIN):
            for minor in minors:
                state[minor] = True
            continue
        conn = _LOG_CONN.search(message)
        if conn and conn.group("to") in CONNECTED_STATES:
            for minor in minors:
                state[minor] = False
    return frozenset(minor for minor, split in state.items() if split)
