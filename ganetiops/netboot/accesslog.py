"""The boot server's HTTP access log: who fetched what, and when.

Two formats are understood, line by line:

* nginx's ``combined`` format (the default of a stock nginx, hence of the homelab's
  router container)::

    10.1.100.23 - - [27/Nov/2026:18:31:02 +0000] "GET /nixos/by-mac/aa-00-00-12-ab-cd/ipxe HTTP/1.1" 200 153 "-" "iPXE/1.21.1"

* one JSON object per line with at least ``time``, ``client``, ``method``, ``path``
  and ``status`` (the lab's nginx writes that).

Lines in neither format are skipped.
"""  # noqa: E501

from __future__ import annotations

import datetime
import json
import re
import urllib.parse
from collections.abc import Iterable, Iterator
from typing import Final

import attrs

_COMBINED: Final = re.compile(
    r'^(?P<client>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<target>\S+)[^"]*" '
    r'(?P<status>\d{3}) (?P<bytes>\d+|-)(?: "[^"]*" "(?P<agent>[^"]*)")?'
)
_CLF_TIME: Final = "%d/%b/%Y:%H:%M:%S %z"


@attrs.frozen
class AccessEntry:
    """One request the boot server answered."""

    time: datetime.datetime
    client: str
    method: str
    #: The URL path, decoded, with a leading ``/`` and without the query.
    path: str
    status: int
    bytes: int = 0
    user_agent: str = ""
    #: The query string, undecoded (``class=x&generation=2``; empty when none).
    query: str = ""

    @property
    def ok(self) -> bool:
        """A successful fetch (200 or 206, or 304 for a cached copy)."""
        return self.method in ("GET", "HEAD") and self.status in (200, 206, 304)


def parse_line(line: str) -> AccessEntry | None:
    """One entry, or ``None`` for a line in no known format."""
    line = line.strip()
    if not line:
        return None
    if line.startswith("{"):
        return _parse_json(line)
    match = _COMBINED.match(line)
    if not match:
        return None
    try:
        when = datetime.datetime.strptime(match["time"], _CLF_TIME)
    except ValueError:
        return None
    size = match["bytes"]
    return AccessEntry(
        time=when,
        client=match["client"],
        method=match["method"],
        path=_path(match["target"]),
        status=int(match["status"]),
        bytes=int(size) if size and size != "-" else 0,
        user_agent=match["agent"] or "",
        query=urllib.parse.urlsplit(match["target"]).query,
    )


def _parse_json(line: str) -> AccessEntry | None:
    try:
        raw = json.loads(line)
        when = datetime.datetime.fromisoformat(str(raw["time"]))
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        return AccessEntry(
            time=when,
            client=str(raw["client"]),
            method=str(raw["method"]),
            path=_path(str(raw["path"])),
            status=int(raw["status"]),
            bytes=int(raw.get("bytes") or 0),
            user_agent=str(raw.get("user_agent") or ""),
            query=str(raw.get("query") or ""),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _path(target: str) -> str:
    path = urllib.parse.unquote(urllib.parse.urlsplit(target).path)
    path = re.sub(r"/{2,}", "/", path)
    return path if path.startswith("/") else "/" + path


def parse(text: str) -> Iterator[AccessEntry]:
    """Every parsable entry of ``text``."""
    for line in text.splitlines():
        entry = parse_line(line)
        if entry is not None:
            yield entry


def fetches(
    entries: Iterable[AccessEntry],
    rel_path: str,
    *,
    since: datetime.datetime | None = None,
) -> list[AccessEntry]:
    """Successful fetches of ``rel_path`` (``nixos/by-mac/.../ipxe``), at or after ``since``."""
    wanted = "/" + rel_path.lstrip("/")
    return [e for e in entries if e.ok and e.path == wanted and (since is None or e.time >= since)]
