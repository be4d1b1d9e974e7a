"""The boot server's access log, as nginx writes it with the lab's log format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ganetiops.errors import LabError
from ganetiops.lab import read_access_log
from ganetiops.lab.boot import AccessLogEntry
from ganetiops.lab.configs import ACCESS_LOG_FORMAT


def _nginx_line(**values: str) -> str:
    """Fill the log format as nginx would (escape=json quotes strings, not numbers)."""
    line = ACCESS_LOG_FORMAT
    for name, value in values.items():
        line = line.replace(f"${name}", value)
    return line


def test_a_line_in_the_configured_format_parses(tmp_path: Path) -> None:
    line = _nginx_line(
        time_iso8601="2026-11-27T18:40:01+00:00",
        remote_addr="10.1.100.21",
        request_method="GET",
        uri="/nixos/by-mac/aa-00-00-12-ab-cd/ipxe",
        args="",
        status="200",
        body_bytes_sent="123",
        http_user_agent='iPXE/1.0.0 \\"x\\"',
    )
    assert json.loads(line)["status"] == 200
    log = tmp_path / "access.log"
    log.write_text(line + "\n\n" + line + "\n")
    entries = read_access_log(log)
    assert len(entries) == 2
    assert entries[0] == AccessLogEntry(
        time="2026-11-27T18:40:01+00:00",
        client="10.1.100.21",
        method="GET",
        path="/nixos/by-mac/aa-00-00-12-ab-cd/ipxe",
        query="",
        status=200,
        bytes=123,
        user_agent='iPXE/1.0.0 "x"',
    )


def test_no_log_yet_is_no_requests(tmp_path: Path) -> None:
    assert read_access_log(tmp_path / "access.log") == []


def test_a_damaged_line_is_reported() -> None:
    with pytest.raises(LabError, match="unreadable access log line"):
        AccessLogEntry.parse('{"time": "x"}')
