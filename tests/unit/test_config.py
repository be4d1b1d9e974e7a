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


_BASE = '[contexts.x]\nurl = "https://h:5080"\n'


@pytest.mark.parametrize(
    ("line", "key", "expected"),
    [
        ('insecure = "false"', "contexts.x.insecure", "a boolean"),
        ("insecure = 0", "contexts.x.insecure", "a boolean"),
        ('connect-timeout = "abc"', "contexts.x.connect-timeout", "a number of seconds"),
        ("read-timeout = true", "contexts.x.read-timeout", "a number of seconds"),
        ("read-timeout = -1", "contexts.x.read-timeout", "seconds in"),
        ('max-connections = "3"', "contexts.x.max-connections", "an integer"),
        ("user = 5", "contexts.x.user", "a string"),
        ("certificate-sha256 = 1", "contexts.x.certificate-sha256", "a string"),
        ("ca-file = []", "contexts.x.ca-file", "a string"),
        ("tls-server-name = 1.5", "contexts.x.tls-server-name", "a string"),
        ("description = {a = 1}", "contexts.x.description", "a string"),
        ("password = 5", "contexts.x.password", "expected a string or one of"),
        ("password = {file = 5}", "contexts.x.password", "expected a string or one of"),
        ("ssh = 5", "contexts.x.ssh", "a table"),
        ('ssh = {nodes = ["a"], port = "22"}', "contexts.x.ssh.port", "an integer"),
        ('ssh = {nodes = ["a"], port = 0}', "contexts.x.ssh.port", "a port number"),
        ('ssh = {nodes = ["a"], key = 1}', "contexts.x.ssh.key", "a string"),
        ('ssh = {nodes = ["a"], host-keys = {a = 1}}', "contexts.x.ssh.host-keys.a", "a string"),
        ('boot = {url = 5, host = "b"}', "contexts.x.boot.url", "a string"),
        ('boot = {url = "http://b", host = "b", port = 1e3}', "contexts.x.boot.port", "integer"),
        ('boot = {url = "http://b", host = "b", root = false}', "contexts.x.boot.root", "string"),
    ],
)
def test_every_value_is_type_checked_when_read(
    tmp_path: Path, line: str, key: str, expected: str
) -> None:
    """A wrong type is one clear error naming the file, the key and the expected type
    (``insecure = "false"`` once turned TLS verification off)."""
    path = tmp_path / "config.toml"
    path.write_text(_BASE + line + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: {key}"), text
    assert expected in text


def test_url_and_context_tables_are_type_checked(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    for text, key in (
        ("[contexts.x]\nurl = 5\n", "contexts.x.url: expected a string, got an integer 5"),
        ("contexts = 5\n", "contexts: expected a table"),
        ("[contexts]\nx = 5\n", "contexts.x: expected a table"),
        ("current-context = 1\n" + _BASE, "current-context: expected a string"),
        ("curent-context = 'x'\n" + _BASE, "unknown key(s) curent-context"),
    ):
        path.write_text(text)
        with pytest.raises(ConfigError) as caught:
            load_config(path)
        assert str(caught.value).startswith(str(path)), caught.value
        assert key in str(caught.value)


def test_tls_server_name_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(_BASE + 'ca-file = "/ca.pem"\ntls-server-name = "rapi.example"\n')
    ctx = load_config(path).context("x")
    assert ctx.tls_server_name == "rapi.example"
    assert ctx.to_config()["tls-server-name"] == "rapi.example"
    assert load_config(path).context("x").insecure is False


def test_to_config_writes_only_what_differs_from_the_defaults() -> None:
    ctx = Context(name="c", url="https://gnt:5080", connect_timeout=10.0, read_timeout=5.0)
    assert ctx.to_config() == {"url": "https://gnt:5080", "read-timeout": 5.0}
    via = SshVia(nodes=("n1",), user="root", port=2222, rapi_port=5080, key="")
    assert via.to_config() == {"nodes": ["n1"], "user": "root", "port": 2222}
    boot = BootServer(url="http://b", host="b", reports=True)
    assert list(boot.to_config()) == ["url", "host", "user", "reports", "root"]
