"""``gnt-py cluster``: bad input is refused before any connection, with the key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganetiops.cli.app import cli
from ganetiops.cli.state import run

INVENTORY = """\
[cluster]
name = "gnt.homelab.tel"
address = "10.1.100.254"
initial-master = "aleph"
master-netdev = "eth0"
enabled-hypervisors = ["fake"]
enabled-disk-templates = ["diskless"]

[nodes.aleph]
primary = "10.1.100.2"
secondary = "10.1.97.2"
host-key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINm8EKB09FhqIVM1JM1CdYU3Y0WEZVx9JBExudT0pKqo"

[nodes.bet]
primary = "10.1.100.3"
secondary = "10.1.97.300"
host-key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFmnICBJkgZQ9D5JkMZQky4vT9CMaBIZw6wR0mWYopax"
"""


def test_bad_inventory_exits_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "inv.toml"
    path.write_text(INVENTORY)
    code = run(cli, ["cluster", "bootstrap", str(path), "--plan"])
    assert code == 2
    err = capsys.readouterr().err
    assert "nodes.bet.secondary: not an IPv4 address ('10.1.97.300')" in err


def test_missing_inventory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(cli, ["cluster", "bootstrap", str(tmp_path / "nope.toml")])
    assert code == 2
    assert "No such file or directory" in capsys.readouterr().err


def test_rapi_user_rights_are_checked_before_anything(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(
        cli,
        ["cluster", "rapi-user", "add", "ops", "--rights", "admin", "--password-source", "env:X"],
    )
    assert code == 2
    assert "read, write" in capsys.readouterr().err


def test_password_source_syntax(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(
        cli,
        ["cluster", "rapi-user", "add", "ops", "--password-source", "vault:x", "--rights", "read"],
    )
    assert code == 2
    assert "env:VAR" in capsys.readouterr().err


def test_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(cli, ["cluster", "--help"]) == 0
    out = capsys.readouterr().out
    assert "bootstrap" in out
    assert "rapi-user" in out
