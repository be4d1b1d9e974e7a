"""``/proc/drbd`` (8.4, and DRBD 9's version lines) → :class:`~ganetiops.drbd.parsed.Parsed`.

Use it as :func:`ganetiops.drbd.parsers.parse_proc_drbd`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ganetiops.drbd.model import DrbdDevice
from ganetiops.drbd.parsed import Parsed, replication_of

_VERSION = re.compile(
    r"^version:\s*(?P<version>\d+\.\d+\.\d+\S*)"
    r"(?:\s*\(api:(?P<api>[^/)]+)/proto:(?P<proto>[^)]+)\))?"
    r"(?:\s*\(compat (?P<compat>[^)]+)\))?"
)
_MINOR = re.compile(r"^\s*(?P<minor>\d+):\s+cs:(?P<rest>.*)$")
_PROGRESS = re.compile(
    r"(?P<what>sync'ed|verified):\s*(?P<pct>[\d.]+)%\s*"
    r"\((?P<left>\d+)/(?P<total>\d+)\)(?P<unit>[KMG])"
)
_FINISH = re.compile(
    r"finish:\s*(?P<h>\d+):(?P<m>\d+):(?P<s>\d+)\s+speed:\s*(?P<speed>[\d,.]+)"
    r"(?:\s*\((?P<avg>[\d,.]+)\))?(?:\s*want:\s*(?P<want>[\d,.]+))?\s*K/sec"
)
_FLAGS = re.compile(r"^[-a-zA-Z]{6}$")
#: Lines of /proc/drbd that carry nothing we use (and are not "unknown").
_PROC_KNOWN_PREFIXES = ("srcversion:", "GIT-hash:", "Transports", "resync:", "act_log:")
_UNITS = {"K": 1, "M": 1024, "G": 1024 * 1024}


def _number(text: str) -> int:
    return int(text.replace(",", "").replace(".", ""))


def parse_proc_drbd(text: str) -> Parsed:
    """``cat /proc/drbd`` → version and one device per minor line (8.4 layout).

    A DRBD 9 module lists no minors here (its ``/proc/drbd`` has only version lines):
    the devices then come from ``drbdsetup events2``. Empty text gives no version.
    """
    version: dict[str, str | None] = {}
    devices: list[dict[str, Any]] = []
    unknown: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        match = _VERSION.match(stripped)
        if match and not version:
            version = match.groupdict()
            continue
        if stripped.startswith(_PROC_KNOWN_PREFIXES):
            continue
        minor = _MINOR.match(line)
        if minor:
            devices.append(_proc_minor(int(minor.group("minor")), minor.group("rest")))
            continue
        if devices and _proc_detail(devices[-1], stripped):
            continue
        unknown.append(line)
    return Parsed(
        devices=tuple(_proc_device(d) for d in devices),
        unknown=tuple(unknown),
        version=version.get("version"),
        api=version.get("api"),
        compat=version.get("compat"),
    )


def _proc_minor(minor: int, rest: str) -> dict[str, Any]:
    tokens = ("cs:" + rest).split()
    data: dict[str, Any] = {"minor": minor, "counters": {}}
    for token in tokens:
        key, sep, value = token.partition(":")
        if sep and key == "cs":
            data["connection"] = value
        elif sep and key == "ro":
            data["role"], _, data["peer_role"] = value.partition("/")
        elif sep and key == "ds":
            data["disk"], _, data["peer_disk"] = value.partition("/")
        elif token in ("A", "B", "C"):
            data["protocol"] = token
        elif _FLAGS.match(token):
            data["flags"] = token
        else:
            data.setdefault("extra", []).append(token)
    return data


def _proc_detail(data: dict[str, Any], line: str) -> bool:
    """Fold a continuation line (counters, progress, speed) into ``data``; False if unknown."""
    progress = _PROGRESS.search(line)
    if progress:
        unit = _UNITS[progress.group("unit")]
        key = "sync_percent" if progress.group("what") == "sync'ed" else "verify_percent"
        data[key] = float(progress.group("pct"))
        data["left_kib"] = int(progress.group("left")) * unit
        data["total_kib"] = int(progress.group("total")) * unit
        return True
    finish = _FINISH.search(line)
    if finish:
        data["eta_seconds"] = (
            int(finish.group("h")) * 3600 + int(finish.group("m")) * 60 + int(finish.group("s"))
        )
        data["speed_kib"] = _number(finish.group("speed"))
        if finish.group("want"):
            data["want_kib"] = _number(finish.group("want"))
        return True
    pairs = [token.partition(":") for token in line.split()]
    if pairs and all(sep and key for key, sep, _ in pairs):
        for key, _, value in pairs:
            if value.isdigit():
                data["counters"][key] = int(value)
        return True
    return False


def _proc_device(data: Mapping[str, Any]) -> DrbdDevice:
    counters = dict(data.get("counters", {}))
    flags = data.get("flags")
    cstate = data.get("connection")
    suspended = None
    if flags and len(flags) >= 4:
        # 8.4 flags: [1] a (after-sync dependency), [2] p (peer paused), [3] u (user paused)
        for position, why in ((3, "user"), (2, "peer"), (1, "dependency")):
            if flags[position] != "-":
                suspended = why
                break
    return DrbdDevice(
        minor=data["minor"],
        connection=cstate,
        replication=replication_of(cstate),
        role=data.get("role"),
        peer_role=data.get("peer_role"),
        disk=data.get("disk"),
        peer_disk=data.get("peer_disk"),
        protocol=data.get("protocol"),
        flags=flags,
        sync_percent=data.get("sync_percent"),
        verify_percent=data.get("verify_percent"),
        speed_kib=data.get("speed_kib"),
        want_kib=data.get("want_kib"),
        eta_seconds=data.get("eta_seconds"),
        out_of_sync_kib=counters.get("oos"),
        resync_suspended=suspended,
        counters=counters,
    )
