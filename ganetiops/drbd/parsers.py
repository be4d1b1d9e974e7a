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
``tests/data/drbd/samples`` (``tests/unit/test_drbd_parsers.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ganetiops.drbd.model import CONNECTED_STATES, SYNC_STATES, VERIFY_STATES, DrbdDevice

__all__ = [
    "Parsed",
    "merge_devices",
    "parse_events2",
    "parse_proc_drbd",
    "parse_status",
    "split_brain_minors",
]


@attrs.frozen
class Parsed:
    """What one output said: devices, the module version (``/proc/drbd`` only) and the rest."""

    devices: tuple[DrbdDevice, ...] = ()
    unknown: tuple[str, ...] = ()
    version: str | None = None
    api: str | None = None
    compat: str | None = None
    #: A message the command printed instead of a status (``no resources defined!``).
    note: str | None = None


# --- /proc/drbd ---------------------------------------------------------------------

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


def _replication_of(cstate: str | None) -> str | None:
    """The DRBD 9 replication state that an 8.4 connection state stands for."""
    if cstate is None:
        return None
    if cstate == "Connected":
        return "Established"
    if cstate in CONNECTED_STATES:
        return cstate
    return "Off"


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
        replication=_replication_of(cstate),
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


# --- drbdsetup/drbdadm status ------------------------------------------------------

#: What drbdadm/drbdsetup print instead of a status when there is none.
_STATUS_NOTES = ("no resources defined", "No such resource", "not defined in your config")


def _pairs(tokens: Iterable[str]) -> dict[str, str] | None:
    out: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition(":")
        if not sep or not key:
            return None
        out[key] = value
    return out


def parse_status(text: str) -> Parsed:
    """``drbdadm status`` / ``drbdsetup status [--verbose] [--statistics]`` → devices.

    Layout: a resource line (``r0 role:Primary``), its device lines (``volume:0 minor:0
    disk:UpToDate`` or just ``disk:UpToDate``), a connection line per peer (``peer
    role:Secondary`` or ``peer connection:Connecting``) and its peer-device lines
    (``volume:0 replication:SyncSource peer-disk:Inconsistent done:30.82``); deeper
    indented ``key:value`` lines continue the section above. ``drbdadm status`` names
    no minor: those devices have ``minor=None``.
    """
    resources: list[dict[str, Any]] = []
    unknown: list[str] = []
    note = None
    section: dict[str, Any] = {}
    section_indent = 0
    peer: dict[str, Any] | None = None
    peer_indent = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        tokens = line.split()
        if any(n in line for n in _STATUS_NOTES) or line.startswith("Command '"):
            note = (note + "; " if note else "") + line.strip()
            continue
        if indent == 0:
            values = _pairs(tokens[1:])
            if values is None:
                unknown.append(line)
                continue
            section = {"name": tokens[0], **values, "devices": [], "peers": []}
            resources.append(section)
            section_indent, peer = 0, None
            continue
        if not resources:
            unknown.append(line)
            continue
        resource = resources[-1]
        if _pairs(tokens[:1]) is None:
            # ``<peer-name> connection:... role:...``: a connection to a peer.
            values = _pairs(tokens[1:])
            if values is None:
                unknown.append(line)
                continue
            peer = {"conn-name": tokens[0], **values, "volumes": []}
            resource["peers"].append(peer)
            section, section_indent, peer_indent = peer, indent, indent
            continue
        values = _pairs(tokens)
        if values is None:
            unknown.append(line)
            continue
        starts = section is resource or section is peer or indent <= section_indent
        if peer is not None and indent > peer_indent:
            if starts and {"volume", "replication", "peer-disk"} & values.keys():
                section, section_indent = dict(values), indent
                peer["volumes"].append(section)
            else:
                section.update(values)
        elif starts and {"volume", "disk", "minor"} & values.keys():
            section, section_indent = dict(values), indent
            resource["devices"].append(section)
        else:
            section.update(values)
    return Parsed(devices=tuple(_status_devices(resources)), unknown=tuple(unknown), note=note)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _cstate(connection: str | None, replication: str | None) -> str | None:
    """DRBD 9's connection + replication states as one 8.4 connection state."""
    if connection is None:
        return None
    if connection == "Connected":
        if replication in (None, "Established", "Off"):
            return "Connected"
        return replication
    if connection == "Connecting":
        return "WFConnection"
    return connection


_COUNTER_KEYS = (
    "read",
    "written",
    "al-writes",
    "bm-writes",
    "upper-pending",
    "lower-pending",
    "received",
    "sent",
    "pending",
    "unacked",
)


def _combine(
    resource: Mapping[str, Any],
    device: Mapping[str, Any],
    peer: Mapping[str, Any] | None,
    peer_device: Mapping[str, Any] | None,
) -> DrbdDevice:
    connection = peer.get("connection") if peer else None
    if peer is not None and connection is None and peer.get("role"):
        # drbdadm status prints "peer role:Secondary" for a connected peer.
        connection = "Connected"
    if peer is None:
        connection = "StandAlone"
    replication = peer_device.get("replication") if peer_device else None
    cstate = _cstate(connection, replication)
    if replication is None:
        replication = _replication_of(cstate)
    done = _float(peer_device.get("done")) if peer_device else None
    size = _int(device.get("size"))
    oos = _int(peer_device.get("out-of-sync")) if peer_device else None
    if done is None and cstate in SYNC_STATES and size and oos is not None:
        done = round(100.0 * (size - oos) / size, 1)
    suspended = peer_device.get("resync-suspended") if peer_device else None
    counters = {
        key: value
        for source in (device, peer_device or {})
        for key in _COUNTER_KEYS
        if (value := _int(source.get(key))) is not None
    }
    return DrbdDevice(
        minor=_int(device.get("minor")),
        resource=resource.get("name"),
        volume=_int(device.get("volume")),
        connection=cstate,
        replication=replication,
        role=resource.get("role"),
        peer_role=(peer.get("role") if peer else None) or "Unknown",
        disk=device.get("disk"),
        peer_disk=(peer_device.get("peer-disk") if peer_device else None) or "DUnknown",
        sync_percent=done if cstate in SYNC_STATES else None,
        verify_percent=done if cstate in VERIFY_STATES else None,
        out_of_sync_kib=oos,
        size_kib=size,
        resync_suspended=None if suspended in (None, "no") else suspended,
        counters=counters,
    )


def _status_devices(resources: Sequence[Mapping[str, Any]]) -> list[DrbdDevice]:
    devices: list[DrbdDevice] = []
    for resource in resources:
        peers = resource["peers"]
        for device in resource["devices"] or [{}]:
            volume = device.get("volume")
            peer = peers[0] if peers else None
            peer_device = None
            if peer is not None:
                for candidate in peer["volumes"]:
                    if candidate.get("volume") == volume or volume is None:
                        peer_device = candidate
                        break
                if peer_device is None and len(peer["volumes"]) == 1 and volume is None:
                    peer_device = peer["volumes"][0]
            devices.append(_combine(resource, device, peer, peer_device))
    return devices


# --- drbdsetup events2 --------------------------------------------------------------

_EVENT_KINDS = ("exists", "create", "change", "destroy", "call", "response")


def parse_events2(text: str) -> Parsed:
    """``drbdsetup events2 --now [--statistics]`` → devices (latest values win).

    Lines are ``exists|create|change|destroy <object> key:value...`` with objects
    ``resource``, ``connection``, ``device``, ``peer-device``; ``exists -`` ends the
    initial state. ``destroy`` removes the object.
    """
    resources: dict[str, dict[str, str]] = {}
    connections: dict[tuple[str, str], dict[str, str]] = {}
    devices: dict[tuple[str, str], dict[str, str]] = {}
    peer_devices: dict[tuple[str, str, str], dict[str, str]] = {}
    unknown: list[str] = []
    for line in text.splitlines():
        tokens = line.split()
        if not tokens:
            continue
        if len(tokens) == 2 and tokens == ["exists", "-"]:
            continue
        if tokens[0] not in _EVENT_KINDS or len(tokens) < 2:
            unknown.append(line)
            continue
        kind, what = tokens[0], tokens[1]
        values = _pairs(tokens[2:])
        if values is None or "name" not in values:
            if kind not in ("call", "response"):
                unknown.append(line)
            continue
        name = values["name"]
        peer_id = values.get("peer-node-id", "")
        volume = values.get("volume", "")
        table: dict[Any, dict[str, str]]
        key: Any
        if what == "resource":
            table, key = resources, name
        elif what == "connection":
            table, key = connections, (name, peer_id)
        elif what == "device":
            table, key = devices, (name, volume)
        elif what == "peer-device":
            table, key = peer_devices, (name, peer_id, volume)
        else:
            unknown.append(line)
            continue
        if kind == "destroy":
            table.pop(key, None)
        else:
            table.setdefault(key, {}).update(values)
    out: list[DrbdDevice] = []
    for (name, volume), device in devices.items():
        resource = {**resources.get(name, {}), "name": name}
        peer_ids = [p for (n, p) in connections if n == name]
        connection = connections[(name, peer_ids[0])] if peer_ids else None
        peer_device = peer_devices.get((name, peer_ids[0], volume)) if peer_ids else None
        out.append(_combine(resource, device, connection, peer_device))
    return Parsed(devices=tuple(out), unknown=tuple(unknown))


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
