"""The CLI's error mapping: malformed answers, the last-resort handler (never a traceback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ganetiops.cli import exits
from ganetiops.cli.app import cli
from ganetiops.cli.state import run
from ganetiops.rapi import RapiClient


@pytest.fixture
def answering(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Any]:
    """Every request is answered 200 with ``answer[0]`` (a stand-in for a server that
    answers nonsense: no real Ganeti sends these)."""
    answer: list[Any] = [5]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps(answer[0]).encode())

    def make_client(context: Any, **overrides: Any) -> RapiClient:
        return RapiClient(
            "https://rapi.test:5080", retries=0, transport=httpx.MockTransport(handler)
        )

    monkeypatch.setattr("ganetiops.cli.state.make_client", make_client)
    config = tmp_path / "config.toml"
    config.write_text('[contexts.t]\nurl = "https://rapi.test:5080"\n')
    config.chmod(0o600)
    monkeypatch.setenv("GANETIOPS_CONFIG", str(config))
    return answer


@pytest.mark.parametrize(
    "argv",
    [
        ["instance", "info", "web1"],
        ["instance", "add-tags", "web1", "a"],
        ["node", "list"],
        ["instance", "list"],
        ["job", "list"],
        ["cluster", "info"],
        ["tags", "list", "cluster"],
        ["node", "info", "aleph"],
    ],
)
def test_a_malformed_answer_is_one_line_and_exit_8(
    answering: list[Any], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(cli, ["--context", "t", *argv])
    captured = capsys.readouterr()
    assert code == exits.PROTOCOL, captured.err
    assert "malformed answer: expected" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert len([line for line in captured.err.splitlines() if "Error" in line]) == 1


def test_the_last_resort_handler_prints_one_line(
    answering: list[Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("something no one foresaw")

    monkeypatch.setattr(RapiClient, "send", broken)
    code = run(cli, ["--context", "t", "cluster", "info"])
    err = capsys.readouterr().err
    assert code == exits.INTERNAL
    assert "Internal error: RuntimeError: something no one foresaw" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    code = run(cli, ["--context", "t", "-vv", "cluster", "info"])
    err = capsys.readouterr().err
    assert code == exits.INTERNAL
    assert "Traceback" in err  # -vv: the traceback follows


def test_every_exit_code_is_documented() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()
    for code, name, _meaning in exits.TABLE:
        assert f"| {code} | {name} |" in docs
