"""The boot server's HTTP access log, for code that checks what was fetched.

nginx on the boot server appends one JSON object per request to
``<state dir>/machines/boot/log/access.log`` (``LabFacts.boot.access_log``)::

    {"time":"2026-11-27T18:40:01+00:00","client":"10.1.100.100","method":"GET",
     "path":"/nixos/by-class/navidrome/ipxe","query":"","status":200,"bytes":123,
     "user_agent":"curl/7.88.1"}

``client`` is the requesting address (a node, an instance, or the workstation .100)
and ``path`` the decoded URI path without the query string.
"""

from __future__ import annotations

import json
from pathlib import Path

import attrs

from ganetiops.errors import LabError


@attrs.frozen
class AccessLogEntry:
    """One request the boot server answered."""

    time: str
    client: str
    method: str
    path: str
    query: str
    status: int
    bytes: int
    user_agent: str

    @classmethod
    def parse(cls, line: str) -> AccessLogEntry:
        """Parse one line of the access log."""
        try:
            raw = json.loads(line)
            return cls(
                time=str(raw["time"]),
                client=str(raw["client"]),
                method=str(raw["method"]),
                path=str(raw["path"]),
                query=str(raw.get("query", "")),
                status=int(raw["status"]),
                bytes=int(raw["bytes"]),
                user_agent=str(raw.get("user_agent", "")),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise LabError(f"unreadable access log line {line[:200]!r}: {exc}") from None


def read_access_log(path: str | Path) -> list[AccessLogEntry]:
    """Every request in the access log at ``path`` so far (oldest first)."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return []
    return [AccessLogEntry.parse(line) for line in text.splitlines() if line.strip()]
