"""Contexts at the command line: add, list, use, show (secrets masked), remove; environment
overrides; shell completion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ganetiops.cli import exits
from ganetiops.cli.app import cli
from ganetiops.config import Context, PasswordSource, apply_env, load_config
from ganetiops.errors import ValidationError


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "cfg" / "config.toml"
    monkeypatch.setenv("GANETIOPS_CONFIG", str(path))
    for var in (
        "GNTPY_CONTEXT",
        "GANETIOPS_RAPI_URL",
        "GANETIOPS_RAPI_USER",
        "GANETIOPS_RAPI_PASSWORD",
        "GANETIOPS_RAPI_CERTIFICATE_SHA256",
    ):
        monkeypatch.delenv(var, raising=False)
    return path


def invoke(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), input=input)


FP = ":".join(["AB"] * 32)


def test_add_list_use_show_remove(config: Path) -> None:
    result = invoke(
        "context",
        "add",
        "home",
        "--url",
        "gnt.example.org",
        "--user",
        "ops",
        "--password-env",
        "HOME_RAPI_PW",
        "--certificate-sha256",
        FP.lower(),
    )
    assert result.exit_code == 0, result.output
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    result = invoke(
        "context",
        "add",
        "lab2",
        "--url",
        "https://10.1.100.254:5080",
        "--password-stdin",
        "--user",
        "gnt-py",
        "--insecure",
        input="s3cret\n",
    )
    assert result.exit_code == 0, result.output
    pw_file = config.parent / "lab2.password"
    assert pw_file.read_text() == "s3cret\n"
    assert oct(pw_file.stat().st_mode & 0o777) == "0o600"

    cfg = load_config()
    assert cfg.current == "home"  # the first context added becomes current
    assert cfg.contexts["home"].url == "https://gnt.example.org:5080"
    assert cfg.contexts["home"].certificate_sha256 == FP

    listing = invoke("context", "list")
    assert listing.exit_code == 0
    rows = [line.split() for line in listing.output.splitlines()[1:]]
    assert rows[0][:2] == ["*", "home"]

    assert invoke("context", "use", "lab2").exit_code == 0
    assert load_config().current == "lab2"
    shown = invoke("context", "show")
    assert "Context: lab2 (current)" in shown.output
    assert "file: " in shown.output
    assert "s3cret" not in shown.output
    assert "NOT VERIFIED" in shown.output

    assert invoke("context", "remove", "lab2", input="n\n").exit_code != 0
    assert "lab2" in load_config().contexts
    assert invoke("context", "remove", "lab2", "--yes").exit_code == 0
    assert "lab2" not in load_config().contexts


def test_inline_password_is_masked_everywhere(config: Path) -> None:
    config.parent.mkdir(parents=True)
    config.write_text('[contexts.x]\nurl = "https://h:5080"\nuser = "u"\npassword = "hunter2"\n')
    config.chmod(0o600)
    for args in (
        ["context", "show", "x"],
        ["--format", "json", "context", "show", "x"],
        ["--format", "yaml", "context", "list"],
        ["context", "list"],
    ):
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        assert "hunter2" not in result.output
    data = json.loads(invoke("--format", "json", "context", "show", "x").output)
    assert data["password"] == "********"


def test_add_refuses_bad_input_and_duplicates(config: Path) -> None:
    base = ["context", "add", "a", "--url", "h"]
    assert invoke(*base).exit_code == 0
    assert invoke(*base).exit_code != 0  # exists
    result = invoke("context", "add", "b", "--url", "h", "--password-env", "X", "--netrc")
    assert result.exit_code != 0
    assert "one password source" in str(result.exception) + result.output
    result = invoke("context", "add", "c", "--url", "h", "--certificate-sha256", "xyz")
    assert result.exit_code != 0
    assert "b" not in load_config().contexts
    assert "c" not in load_config().contexts


def test_environment_overrides(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = Context(name="c", url="https://a:5080", user="u")
    env = {
        "GANETIOPS_RAPI_URL": "https://b:5080",
        "GANETIOPS_RAPI_USER": "v",
        "GANETIOPS_RAPI_PASSWORD": "pw",
        "GANETIOPS_RAPI_INSECURE": "1",
    }
    changed = apply_env(ctx, env)
    assert changed.url == "https://b:5080"
    assert changed.user == "v"
    assert changed.insecure
    assert changed.password == PasswordSource("env", "GANETIOPS_RAPI_PASSWORD")
    assert apply_env(ctx, {}) is ctx
    # no configuration file at all: the environment alone defines a context
    resolved = load_config().resolve(None, {"GANETIOPS_RAPI_URL": "https://c:5080"})
    assert (resolved.name, resolved.url) == ("env", "https://c:5080")


def test_completion_scripts_and_dynamic_names(
    config: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for shell, marker in (("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete")):
        result = invoke("completion", shell)
        assert result.exit_code == 0
        assert marker in result.output
        assert "_GNT_PY_COMPLETE" in result.output

    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[contexts.t]\nurl = "https://rapi.test:5080"\n')
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    calls: list[str] = []

    class Names:
        def __init__(self, names: list[str]) -> None:
            self._names = names

        def names(self) -> list[str]:
            calls.append("names")
            return self._names

    class FakeClient:
        instances = Names(["web1", "web2", "db1"])
        nodes = Names(["aleph", "bet"])

        def __enter__(self) -> FakeClient:
            return self

        def __exit__(self, *a: object) -> None:
            return None

    monkeypatch.setattr("ganetiops.cli.state.make_client", lambda ctx, **kw: FakeClient())
    from click.shell_completion import ShellComplete

    comp = ShellComplete(cli, {}, "gnt-py", "_GNT_PY_COMPLETE")
    got = [c.value for c in comp.get_completions(["instance", "start"], "we")]
    assert got == ["web1", "web2"]
    got = [c.value for c in comp.get_completions(["node", "info"], "")]
    assert got == ["aleph", "bet"]
    # the second lookup of instances is answered from the cache
    comp.get_completions(["instance", "stop"], "d")
    assert calls.count("names") == 2

    def broken(ctx: Any, **kw: Any) -> Any:
        raise OSError("unreachable")

    monkeypatch.setattr("ganetiops.cli.state.make_client", broken)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache2"))
    assert comp.get_completions(["instance", "start"], "") == []  # silent on errors


def test_help_lists_every_group_and_exit_codes() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for group in (
        "cluster",
        "node",
        "instance",
        "group",
        "network",
        "os",
        "job",
        "tags",
        "query",
        "filter",
        "lab",
        "context",
        "completion",
    ):
        assert f"\n  {group} " in result.output
    assert "7 not found" in result.output
    assert exits.NOT_FOUND == 7


def test_adding_an_insecure_context_warns(config: Path) -> None:
    result = invoke("context", "add", "bad", "--url", "https://h:5080", "--insecure")
    assert result.exit_code == 0, result.output
    assert "does not verify TLS" in result.output
    assert "--trust" in result.output
    pinned = invoke("context", "add", "good", "--url", "https://h:5080", "--certificate-sha256", FP)
    assert pinned.exit_code == 0
    assert "does not verify TLS" not in pinned.output


def test_tls_server_name_needs_a_ca_file(config: Path) -> None:
    result = invoke("context", "add", "n", "--url", "h", "--tls-server-name", "x.example")
    assert isinstance(result.exception, ValidationError)
    assert "needs --ca-file" in str(result.exception)
    ok = invoke(
        "context", "add", "n", "--url", "h", "--ca-file", "/ca.pem", "--tls-server-name", "x.ex"
    )
    assert ok.exit_code == 0, ok.output
    assert load_config().contexts["n"].tls_server_name == "x.ex"
