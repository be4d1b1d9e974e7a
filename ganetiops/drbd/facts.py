"""The DRBD fact of a node: one shell command and a pure parser of its output.

:data:`COMMAND` prints, in sections, ``/proc/drbd``, ``drbdsetup events2 --now
--statistics`` (names, sizes, DRBD 9 states) and the kernel's DRBD connection and
split-brain lines; :func:`parse_node_output` turns that into a
:class:`~ganetiops.drbd.model.NodeDrbd`. A node without ``/proc/drbd`` (no module,
e.g. the namespace lab) reads "no DRBD on this node": a state, not an error.

>>> parse_node_output("node1", "@@ganetiops-drbd proc 1\\n")   # doctest: +ELLIPSIS
NodeDrbd(host='node1', loaded=False, ...)
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ganetiops.drbd.model import NodeDrbd
from ganetiops.drbd.parsers import merge_devices, parse_events2, parse_proc_drbd, split_brain_minors

__all__ = ["COMMAND", "MARK", "parse_node_output", "sections"]

MARK = "@@ganetiops-drbd"

#: One SSH session per node. Each section starts with ``@@ganetiops-drbd NAME RC``
#: (RC: the exit status of what printed the section just before the next mark).
COMMAND = (
    "LC_ALL=C; export LC_ALL; "
    "if [ ! -e /proc/drbd ]; then echo '" + MARK + " proc 1'; exit 0; fi; "
    'out=$(cat /proc/drbd 2>&1); rc=$?; echo "' + MARK + ' proc $rc"; '
    'printf "%s\\n" "$out"; '
    "if command -v drbdsetup >/dev/null 2>&1; then "
    "out=$(timeout 10 drbdsetup events2 --now --statistics 2>&1); rc=$?; "
    "else out=''; rc=127; fi; "
    'echo "' + MARK + ' events2 $rc"; printf "%s\\n" "$out"; '
    "out=$( (dmesg 2>/dev/null || journalctl -k -o short-monotonic --no-pager 2>/dev/null) "
    "| grep -E 'drbd' | grep -E 'Split-Brain|conn\\(' | tail -n 400); "
    'echo "' + MARK + ' kernel 0"; printf "%s\\n" "$out"'
)


def sections(text: str) -> dict[str, tuple[int | None, str]]:
    """``{name: (exit status, body)}`` of :data:`COMMAND`'s output."""
    found: dict[str, tuple[int | None, list[str]]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith(MARK + " "):
            fields = line.split()
            name = fields[1] if len(fields) > 1 else "?"
            status = int(fields[2]) if len(fields) > 2 and fields[2].lstrip("-").isdigit() else None
            current = []
            found[name] = (status, current)
            continue
        if current is not None:
            current.append(line)
    return {name: (status, "\n".join(body)) for name, (status, body) in found.items()}


def parse_node_output(
    host: str, text: str, *, problems: Mapping[str, str] | None = None
) -> NodeDrbd:
    """:data:`COMMAND`'s output on ``host`` → what DRBD looks like there. Pure; never raises."""
    parts = sections(text)
    issues = dict(problems or {})
    proc_status, proc_text = parts.get("proc", (None, ""))
    if "proc" not in parts:
        issues.setdefault("output", "the DRBD fact printed no /proc/drbd section")
        return NodeDrbd(host=host, problems=issues)
    if proc_status != 0:
        return NodeDrbd(host=host, loaded=False, problems=issues)
    proc = parse_proc_drbd(proc_text)
    unknown = list(proc.unknown)
    sources = ["proc"]
    devices = proc.devices
    events_status, events_text = parts.get("events2", (None, ""))
    if events_status == 0:
        events = parse_events2(events_text)
        unknown += events.unknown
        devices = merge_devices(proc.devices, events.devices)
        sources.append("events2")
    elif events_status is not None:
        first = events_text.strip().splitlines()[:1]
        why = first[0] if first else "no output"
        if events_status == 127:
            why = "drbdsetup is not installed"
        issues["events2"] = f"drbdsetup events2 exited {events_status}: {why}"
    _, kernel_text = parts.get("kernel", (None, ""))
    if kernel_text.strip():
        by_resource: dict[str, list[int]] = {}
        for device in devices:
            if device.resource and device.minor is not None:
                by_resource.setdefault(device.resource, []).append(device.minor)
        split = split_brain_minors(kernel_text.splitlines(), by_resource)
        devices = tuple(
            attrs.evolve(d, split_brain=True) if d.minor in split and not d.connected else d
            for d in devices
        )
        sources.append("kernel")
    return NodeDrbd(
        host=host,
        loaded=proc.version is not None,
        version=proc.version,
        compat=proc.compat,
        devices=devices,
        unknown_lines=tuple(unknown),
        problems=issues,
        sources=tuple(sources),
    )
