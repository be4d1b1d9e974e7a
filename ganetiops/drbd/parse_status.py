"""``drbdadm status``/``drbdsetup status`` and ``drbdsetup events2`` (the same
``key:value`` words) → :class:`~ganetiops.drbd.parsed.Parsed`.

Use them as :func:`ganetiops.drbd.parsers.parse_status` and
:func:`~ganetiops.drbd.parsers.parse_events2`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ganetiops.drbd.model import SYNC_STATES, VERIFY_STATES, DrbdDevice
from ganetiops.drbd.parsed import Parsed, replication_of

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
        replication = replication_of(cstate)
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
        elif what == "path":
            continue  # DRBD 9: a connection's network path (addresses), nothing we judge
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
