"""Fuzz the CLI over options and configuration values: never a traceback.

Every run must end with a documented exit code other than INTERNAL (10), and print no
traceback. The cluster is a fake (``httpx.MockTransport``) answering every request with
one of a few shapes, right or wrong; configuration files get every key with values of
every TOML type. ``FUZZ_STATS=1`` prints the counts (inputs tried, exit codes seen).
"""

from __future__ import annotations

import collections
import os
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganetiops.cli import exits
from ganetiops.cli.app import cli
from ganetiops.cli.state import run
from tests.unit.rapi_helpers import answer_every_request

DOCUMENTED = {code for code, _name, _meaning in exits.TABLE}
STATS: collections.Counter[str] = collections.Counter()

ANSWERS = [
    5,
    "x",
    None,
    [],
    {},
    [1, "a"],
    {"name": "web1", "status": "running"},
    {"fields": [], "data": []},
]

#: Text a careless user or an attacker might type.
WORDS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "web1",
            "web1\n",
            "-1",
            "0",
            "99999999P",
            "0:size=0",
            "a=b",
            "\u202e",
            "x" * 300,
            "../../etc/passwd",
            "%00",
            "1:remove",
            "add:link=br0",
            "--yes",
            "=",
            ",",
        ]
    ),
    st.text(max_size=12),
)

COMMANDS: list[list[str]] = [
    ["instance", "info"],
    ["instance", "list", "-o"],
    ["instance", "modify", "web1", "--disk"],
    ["instance", "modify", "web1", "-B"],
    ["instance", "modify", "web1", "--net"],
    ["instance", "grow-disk", "web1", "0"],
    ["instance", "stop", "--yes"],
    ["instance", "migrate", "web1", "--yes", "-n"],
    ["instance", "add-tags", "web1"],
    ["instance", "rename", "web1"],
    ["node", "list", "-o"],
    ["node", "evacuate", "--yes", "aleph", "--mode"],
    ["node", "role", "--yes", "aleph"],
    ["job", "show"],
    ["job", "list", "--reason"],
    ["job", "list", "-F"],
    ["tags", "add", "cluster"],
    ["query", "list", "instance", "-o"],
    ["cluster", "modify", "--yes", "-B"],
    ["group", "add"],
    ["network", "add", "n1", "--network"],
    ["filter", "add", "--predicates"],
]


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Any]:
    return answer_every_request(monkeypatch, tmp_path)


def _check(code: int, out: str, err: str) -> None:
    STATS[f"exit {code}"] += 1
    assert code in DOCUMENTED, (code, err)
    assert code != exits.INTERNAL, err
    assert "Traceback" not in out + err, err


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    command=st.sampled_from(COMMANDS),
    words=st.lists(WORDS, min_size=0, max_size=3),
    answer=st.sampled_from(ANSWERS),
)
def test_fuzz_options_never_trace_back(
    cluster: list[Any],
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    words: list[str],
    answer: Any,
) -> None:
    cluster[0] = answer
    STATS["cli inputs"] += 1
    code = run(cli, ["--context", "t", *command, *words])
    captured = capsys.readouterr()
    _check(code, captured.out, captured.err)


CONFIG_KEYS = [
    "url", "user", "password", "certificate-sha256", "ca-file", "tls-server-name",
    "insecure", "connect-timeout", "read-timeout", "max-connections", "description",
    "ssh", "boot",
]  # fmt: skip
TOML_VALUES = st.recursive(
    st.one_of(
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.floats(allow_nan=False),
        st.text(max_size=20),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["nodes", "url", "host", "port", "file", "env", "key", "x"]),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=6,
)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=st.dictionaries(st.sampled_from(CONFIG_KEYS), TOML_VALUES, max_size=4))
def test_fuzz_config_values_are_clear_errors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    values: dict[str, Any],
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(tomli_w.dumps({"contexts": {"t": values}}))
    config.chmod(0o600)
    monkeypatch.setenv("GANETIOPS_CONFIG", str(config))
    STATS["config inputs"] += 1
    for argv in (["context", "show", "t"], ["context", "list"]):
        code = run(cli, argv)
        captured = capsys.readouterr()
        _check(code, captured.out, captured.err)
        if code == exits.USAGE:
            STATS["config clear errors"] += 1
            assert str(config) in captured.err, captured.err


def teardown_module() -> None:
    if os.environ.get("FUZZ_STATS"):
        print("\nfuzz counts:", dict(sorted(STATS.items())))
