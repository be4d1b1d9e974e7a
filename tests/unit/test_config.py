"""The configuration file: contexts round-trip, password sources, private files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ganetiops.config import BootServer, Config, Context, PasswordSource, SshVia, load_config
from ganetiops.errors import ConfigError


def full_context() -> Context:
    return Context(
        name="homelab",
        user="ganetiops",
        password=PasswordSource("command", "pass show homelab/rapi"),
        certificate_sha256="AB:" * 31 + "AB",
        ssh=SshVia(
            nodes=("aleph.homelab.tel", "bet.homelab.tel"),
            key="~/.ssh/id_ed25519",
            known_hosts="~/.ssh/known_hosts",
        ),
        boot=BootServer(
            url="http://boot.homelab.tel",
            host="boot.homelab.tel",
            key="~/.ssh/id_ed25519",
            access_log="/var/log/nginx/access.log",
        ),
        read_timeout=90.0,
    )


def test_contexts_round_trip_through_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "config.toml"
    config = Config(path=path)
    config.set_context(full_context(), make_current=True)
    config.set_context(
        Context(
            name="lab",
            url="https://10.1.100.254:5080",
            user="gnt-py",
            password=PasswordSource("file", "/x/pw"),
        )
    )
    config.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_config(path)
    assert again.current == "homelab"
    assert again.context("homelab") == full_context()
    assert again.context("lab").password == PasswordSource("file", "/x/pw")
    assert "pass show" in path.read_text()  # the source is stored, never a secret


def test_unknown_keys_and_missing_targets_are_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[contexts.x]\nurl = "https://h"\nusr = "typo"\n')
    with pytest.raises(ConfigError, match=r"contexts\.x: unknown key\(s\) usr"):
        load_config(path)
    path.write_text('[contexts.x]\nuser = "u"\n')
    with pytest.raises(ConfigError, match="needs url"):
        load_config(path)
    path.write_text('[contexts.x]\nurl = "https://h"\n[contexts.x.boot]\nurl = "http://b"\n')
    with pytest.raises(ConfigError, match=r"contexts\.x\.boot\.host: required"):
        load_config(path)


def test_password_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GNT_PW", "from-env")
    assert PasswordSource("env", "GNT_PW").resolve().reveal() == "from-env"
    secret_file = tmp_path / "pw"
    secret_file.write_text("from-file\n")
    secret_file.chmod(0o600)
    assert PasswordSource("file", str(secret_file)).resolve().reveal() == "from-file"
    secret_file.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        PasswordSource("file", str(secret_file)).resolve()
    assert PasswordSource("command", "echo from-command").resolve().reveal() == "from-command"
    with pytest.raises(ConfigError, match="exited with status 1") as failed:
        PasswordSource("command", "sh -c 'echo hush; exit 1'").resolve()
    assert "hush" not in str(failed.value)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine gnt.homelab.tel login ganetiops password from-netrc\n")
    netrc.chmod(0o600)
    got = PasswordSource("netrc", str(netrc)).resolve(host="gnt.homelab.tel", user="ganetiops")
    assert got.reveal() == "from-netrc"


def test_inline_password_needs_a_private_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[contexts.x]\nurl = "https://h"\nuser = "u"\npassword = "hunter2-x"\n')
    os.chmod(path, 0o644)
    ctx = load_config(path).context("x")
    with pytest.raises(ConfigError, match="readable by group or others"):
        ctx.resolve_password()
    os.chmod(path, 0o600)
    secret = ctx.resolve_password()
    assert secret is not None and secret.reveal() == "hunter2-x"
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in repr(ctx)
    assert "hunter2" not in str(ctx.password)
