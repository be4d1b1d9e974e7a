"""A write whose answer is lost says so: its own error and exit code, the request id.

The server is a real socket on 127.0.0.1 that reads the whole request and closes the
connection without answering (what a master that dies mid-request looks like).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ganetiops import errors
from ganetiops.cli import exits
from ganetiops.cli.app import cli
from ganetiops.cli.state import run
from ganetiops.rapi import RapiClient
from tests.unit.rapi_helpers import query


class Hangup:
    """Accepts, reads one request, closes. Counts the requests it read."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
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
        RapiClient(f"http://127.0.0.1:{hangup.port}", retries=3) as client,
        pytest.raises(errors.RapiOutcomeUnknown) as caught,
    ):
        client.instances.add_tags("web1", ["a"])
    text = str(caught.value)
    assert "the request was sent; its outcome is unknown" in text
    assert caught.value.reason is not None
    assert caught.value.reason.startswith("req-")
    assert f"gnt-py job list --reason {caught.value.reason}" in text
    assert len(hangup.requests) == 1  # a write is never re-sent
    assert caught.value.reason.encode() in hangup.requests[0]  # the id went with it


def test_a_lost_answer_to_a_read_is_retried_and_stays_a_connection_error(hangup: Hangup) -> None:
    with (
        RapiClient(f"http://127.0.0.1:{hangup.port}", retries=2) as client,
        pytest.raises(errors.RapiConnectionError) as caught,
    ):
        client.cluster.version()
    assert not isinstance(caught.value, errors.RapiOutcomeUnknown)
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
    assert "outcome is unknown" in err
    assert "gnt-py job list --reason req-" in err


def test_each_request_carries_its_own_reason_id() -> None:
    client = RapiClient("https://rapi.test:5080", retries=0)
    from ganetiops.rapi.ops import Instances

    one = Instances.startup.make_call(client.instances, "web1")
    two = Instances.startup.make_call(client.instances, "web1")
    reason_one, reason_two = query(one)["reason"][0], query(two)["reason"][0]
    assert reason_one != reason_two
    assert reason_one.startswith("ganetiops ")
    assert reason_one.split()[-1].startswith("req-")
    client.reason_tag = None
    assert "reason" not in query(Instances.startup.make_call(client.instances, "web1"))
    client.close()
