"""Secrets: a string that never shows itself, and where passwords come from.

A password source is one of (in a context's ``password`` key)::

    password = { env = "GNT_RAPI_PASSWORD" }        # an environment variable
    password = { file = "~/.config/ganetiops/pw" }  # a file only its owner may read
    password = { netrc = true }                     # ~/.netrc, machine = the RAPI host
    password = { command = "pass show gnt/rapi" }   # first line of a command's output
    password = { keyring = "ganetiops" }            # the system keyring (extra: keyring)

A literal ``password = "..."`` in the configuration file is accepted only when
the file is readable by its owner alone.
"""

from __future__ import annotations

import netrc
import os
import shlex
import stat
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ganetiops.errors import ConfigError


class Secret:
    """A secret string: ``repr``/``str`` never reveal it; ``reveal()`` does."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)


def check_private_file(path: Path, what: str) -> None:
    """Refuse a file that its group or others may read or write."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ConfigError(f"{what} {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{what} {path} is readable by group or others (mode {stat.S_IMODE(mode):04o}); "
            f"run: chmod 600 {shlex.quote(str(path))}"
        )


@attrs.frozen(repr=False)
class PasswordSource:
    """Where a password comes from; resolving it reads the secret, describing it does not."""

    kind: str  # "env" | "file" | "netrc" | "command" | "keyring" | "inline"
    value: str = ""
    #: For "inline": the configuration file that holds it (checked for its mode).
    origin: Path | None = None

    KINDS = ("env", "file", "netrc", "command", "keyring")

    @classmethod
    def parse(
        cls, raw: Any, *, origin: Path | None = None, key: str = "password"
    ) -> PasswordSource:
        if isinstance(raw, str):
            return cls("inline", raw, origin)
        if isinstance(raw, Mapping) and len(raw) == 1:
            ((kind, value),) = raw.items()
            if kind == "netrc" and (value is True or isinstance(value, str)):
                return cls("netrc", "" if value is True else value)
            if kind in cls.KINDS and kind != "netrc" and isinstance(value, str) and value:
                return cls(kind, value)
        raise ConfigError(
            f"{key}: expected a string or one of "
            + ", ".join(f'{{ {k} = "..." }}' for k in cls.KINDS if k != "netrc")
            + ", { netrc = true }"
        )

    def __repr__(self) -> str:
        # A literal password is the one source whose value is the secret itself.
        return f"PasswordSource({self.describe()!r})"

    def to_config(self) -> Any:
        if self.kind == "inline":
            return self.value
        if self.kind == "netrc":
            return {"netrc": self.value or True}
        return {self.kind: self.value}

    def describe(self) -> str:
        """A line safe to print: names the source, never the secret."""
        if self.kind == "inline":
            return "inline (in the configuration file)"
        if self.kind == "netrc":
            return "netrc" + (f" ({self.value})" if self.value else "")
        return f"{self.kind}: {self.value}"

    def resolve(self, *, host: str = "", user: str | None = None) -> Secret:
        """Read the password now. Errors name the source, never its content."""
        if self.kind == "inline":
            if self.origin is not None:
                check_private_file(self.origin, "configuration file with a password")
            return Secret(self.value)
        if self.kind == "env":
            value = os.environ.get(self.value)
            if value is None:
                raise ConfigError(f"password: environment variable {self.value} is not set")
            return Secret(value)
        if self.kind == "file":
            path = Path(self.value).expanduser()
            check_private_file(path, "password file")
            return Secret(path.read_text().splitlines()[0] if path.stat().st_size else "")
        if self.kind == "netrc":
            return _from_netrc(self.value, host, user)
        if self.kind == "command":
            return _from_command(self.value)
        if self.kind == "keyring":
            return _from_keyring(self.value, host, user)
        raise ConfigError(f"password: unknown source {self.kind!r}")  # pragma: no cover


def _from_netrc(path_text: str, host: str, user: str | None) -> Secret:
    path = Path(path_text).expanduser() if path_text else Path.home() / ".netrc"
    check_private_file(path, "netrc file")
    try:
        auth = netrc.netrc(str(path)).authenticators(host)
    except (OSError, netrc.NetrcParseError) as exc:
        raise ConfigError(f"netrc file {path}: {exc}") from None
    if auth is None:
        raise ConfigError(f"netrc file {path} has no entry for machine {host}")
    login, _account, password = auth
    if user and login and login != user:
        raise ConfigError(f"netrc entry for {host} is for user {login}, not {user}")
    return Secret(password or "")


def _from_command(command: str) -> Secret:
    try:
        done = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"password command failed to run: {type(exc).__name__}") from None
    if done.returncode != 0:
        # stderr may hold anything; do not echo stdout, which could hold the secret.
        raise ConfigError(f"password command exited with status {done.returncode}")
    lines = done.stdout.splitlines()
    return Secret(lines[0] if lines else "")


def _from_keyring(service: str, host: str, user: str | None) -> Secret:
    try:
        import keyring  # lazy: optional extra
    except ImportError:
        raise ConfigError(
            "password source 'keyring' needs: pip install 'ganetiops[keyring]'"
        ) from None
    value = keyring.get_password(service or "ganetiops", user or host)
    if value is None:
        raise ConfigError(f"keyring service {service!r} has no password for {user or host}")
    return Secret(value)
