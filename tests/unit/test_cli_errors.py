"""The CLI's error mapping: malformed answers, the last-resort handler (never a traceback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ganetiops.cli import exits
from ganetiops.cli.app import cli
from ganetiops.cli.state import run
from ganetiops.rapi import RapiClient
from tests.unit.rapi_helpers import answer_every_request
from tests.unit.test_rapi_tls import server  # noqa: F401 - the TLS server fixture


@pytest.fixture
def answering(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Any]:
    """Every request is answered 200 with ``answer[0]`` (a stand-in for a server that
    answers nonsense: no real Ganeti sends these)."""
    return answer_every_request(monkeypatch, tmp_path, 5)


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


def test_a_stale_pin_names_the_context_and_how_to_refresh_it(
    server: tuple[str, Path, str],  # noqa: F811 - the imported fixture
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The context's pin no longer matches the cluster's certificate (a real TLS server
    on 127.0.0.1 with a certificate other than the pinned one)."""
    url, _cert, _pin = server
    config = tmp_path / "config.toml"
    config.write_text(f'[contexts.old]\nurl = "{url}"\ncertificate-sha256 = "{"AB:" * 31}AB"\n')
    config.chmod(0o600)
    monkeypatch.setenv("GANETIOPS_CONFIG", str(config))
    code = run(cli, ["--context", "old", "cluster", "info"])
    err = capsys.readouterr().err
    assert code == exits.CONNECTION
    assert "does not match the pinned" in err
    assert "context old: its certificate no longer matches" in err
    assert "gnt-py context add old --url URL --trust --replace" in err
