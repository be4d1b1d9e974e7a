"""A write whose answer is lost says so: its own error and exit code, the request id.

The server is a real socket on 127.0.0.1 that reads the whole request and closes the
connection without answering (what a master that dies mid-request looks like).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ganetiops import errors
from ganetiops.cli import exits
from ganetiops.cli.app import cli
from ganetiops.cli.state import run
from ganetiops.rapi import RapiClient
from tests.unit.rapi_helpers import LoopbackServer


class Hangup(LoopbackServer):
    """Accepts, reads one request, closes. Counts the requests it read."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            self.requests.append(data)


@pytest.fixture
def hangup() -> Iterator[Hangup]:
    server = Hangup()
    try:
        yield server
    finally:
        server.sock.close()


def test_a_lost_answer_after_a_write_is_outcome_unknown(hangup: Hangup) -> None:
    with (
        RapiClient(f"http://127.0.0.1:{hangup.port}", retries=3, lookup_window=0.5) as client,
        pytest.raises(errors.OutcomeUnknown) as caught,
    ):
        client.instances.add_tags("web1", ["a"])
    text = str(caught.value)
    request_id = caught.value.request_id
    assert request_id is not None
    assert "the answer was lost after the request was sent" in text
    assert f"gnt-py job find {request_id}" in text
    writes = [r for r in hangup.requests if r.startswith(b"PUT ")]
    assert len(writes) == 1  # a write is never re-sent, only looked up (GET /2/jobs)
    assert f"rid%3D{request_id}".encode() in writes[0] or f"rid={request_id}".encode() in writes[0]
    assert all(r.startswith(b"GET /2/jobs") for r in hangup.requests if r not in writes)


def test_a_lost_answer_to_a_read_is_retried_and_stays_a_connection_error(hangup: Hangup) -> None:
    with (
        RapiClient(f"http://127.0.0.1:{hangup.port}", retries=2) as client,
        pytest.raises(errors.RapiConnectionError) as caught,
    ):
        client.cluster.version()
    assert not isinstance(caught.value, errors.OutcomeUnknown)
    assert len(hangup.requests) == 3


def test_the_cli_gives_outcome_unknown_its_own_exit_code(
    hangup: Hangup,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[contexts.t]\nurl = "http://127.0.0.1:{hangup.port}"\n')
    config.chmod(0o600)
    monkeypatch.setenv("GANETIOPS_CONFIG", str(config))
    code = run(cli, ["--context", "t", "instance", "add-tags", "web1", "a"])
    err = capsys.readouterr().err
    assert code == exits.OUTCOME_UNKNOWN, err
    assert "the answer was lost" in err
    assert "gnt-py job find " in err
