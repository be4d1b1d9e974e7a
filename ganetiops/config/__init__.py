"""Configuration file with named contexts, one per cluster.

The file is TOML, by default ``config.toml`` in the platform's configuration
directory (``~/.config/ganetiops/`` on Linux); ``GANETIOPS_CONFIG`` names
another file. It is written with mode 0600::

    current-context = "lab"

    [contexts.lab]
    url = "https://10.1.100.254:5080"
    user = "gnt-py"
    password = { file = "/root/.config/ganetiops/lab.pw" }
    certificate-sha256 = "3F:A0:..."

    [contexts.homelab]
    user = "ganetiops"
    password = { command = "pass show homelab/rapi" }
    certificate-sha256 = "..."
    [contexts.homelab.ssh]          # RAPI through an SSH tunnel to the master's loopback
    nodes = ["aleph.homelab.tel", "bet.homelab.tel", "gimel.homelab.tel", "dalet.homelab.tel"]
    user = "root"
    key = "~/.ssh/id_ed25519"
    known-hosts = "~/.ssh/known_hosts"
    [contexts.homelab.boot]         # the netboot server (NixOS classes, MAC wrappers, keys)
    url = "http://boot.homelab.tel"
    host = "boot.homelab.tel"
    user = "admin"
    key = "~/.ssh/id_ed25519"
    root = "/usb1-part1/http"

Environment overrides (applied by :meth:`Config.resolve`, which ``gnt-py`` uses;
``Config.context`` itself reads only the file and ``GNTPY_CONTEXT``)::

    GNTPY_CONTEXT                      the context to use (like --context)
    GANETIOPS_RAPI_URL                 replaces the context's url; with no
                                       configuration file at all it defines an
                                       ad-hoc context named "env"
    GANETIOPS_RAPI_USER                replaces user
    GANETIOPS_RAPI_PASSWORD            the password itself (never stored)
    GANETIOPS_RAPI_CERTIFICATE_SHA256  replaces certificate-sha256
    GANETIOPS_RAPI_CA_FILE             replaces ca-file
    GANETIOPS_RAPI_INSECURE=1          turns TLS verification off (loudly)
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ganetiops.config import values
from ganetiops.config.context import BootServer, Context, SshVia
from ganetiops.config.secrets import PasswordSource, Secret, check_private_file
from ganetiops.errors import ConfigError

__all__ = [
    "BootServer",
    "Config",
    "Context",
    "PasswordSource",
    "Secret",
    "SshVia",
    "apply_env",
    "check_private_file",
    "config_path",
    "load_config",
]

ENV_CONFIG = "GANETIOPS_CONFIG"
ENV_URL = "GANETIOPS_RAPI_URL"
ENV_USER = "GANETIOPS_RAPI_USER"
ENV_PASSWORD = "GANETIOPS_RAPI_PASSWORD"  # noqa: S105 - a variable name
ENV_CERTIFICATE = "GANETIOPS_RAPI_CERTIFICATE_SHA256"
ENV_CA_FILE = "GANETIOPS_RAPI_CA_FILE"
ENV_INSECURE = "GANETIOPS_RAPI_INSECURE"
#: Name of the context made from the environment alone (no configuration file).
ENV_CONTEXT_NAME = "env"


def config_path() -> Path:
    """Where the configuration file lives (``GANETIOPS_CONFIG`` overrides)."""
    override = os.environ.get(ENV_CONFIG)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_dir  # lazy: platformdirs, start-up

    return Path(user_config_dir("ganetiops")) / "config.toml"


@attrs.define
class Config:
    """The whole configuration file: contexts and the current one."""

    path: Path
    contexts: dict[str, Context] = attrs.field(factory=dict)
    current: str | None = None

    def context(self, name: str | None = None) -> Context:
        """The named context, else ``GNTPY_CONTEXT``, else the current one."""
        chosen = name or os.environ.get("GNTPY_CONTEXT") or self.current
        if not chosen:
            if len(self.contexts) == 1:
                return next(iter(self.contexts.values()))
            raise ConfigError(
                f"no context selected and no current context in {self.path}; "
                "use --context NAME or: gnt-py context use NAME"
            )
        try:
            return self.contexts[chosen]
        except KeyError:
            known = ", ".join(sorted(self.contexts)) or "none"
            raise ConfigError(f"unknown context {chosen!r} (known: {known})") from None

    def resolve(self, name: str | None = None, environ: Mapping[str, str] | None = None) -> Context:
        """The context to use, with the environment overrides applied (see the module doc).

        Without any context in the file, ``GANETIOPS_RAPI_URL`` alone defines one
        (named ``env``), so that ``gnt-py`` works from CI variables only.
        """
        env = os.environ if environ is None else environ
        if not self.contexts and env.get(ENV_URL) and not (name or env.get("GNTPY_CONTEXT")):
            return apply_env(Context(name=ENV_CONTEXT_NAME, url=env[ENV_URL]), env)
        return apply_env(self.context(name), env)

    def use(self, name: str) -> None:
        """Make ``name`` the current context (call :meth:`save` to keep it)."""
        if name not in self.contexts:
            known = ", ".join(sorted(self.contexts)) or "none"
            raise ConfigError(f"unknown context {name!r} (known: {known})")
        self.current = name

    def set_context(self, context: Context, *, make_current: bool = False) -> None:
        self.contexts[context.name] = context
        if make_current or self.current is None:
            self.current = context.name

    def remove_context(self, name: str) -> None:
        if name not in self.contexts:
            raise ConfigError(f"unknown context {name!r}")
        del self.contexts[name]
        if self.current == name:
            self.current = None

    def to_config(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.current:
            out["current-context"] = self.current
        out["contexts"] = {name: ctx.to_config() for name, ctx in sorted(self.contexts.items())}
        return out

    def save(self) -> None:
        """Write the file atomically, readable by its owner only."""
        import tomli_w  # lazy: tomli_w, start-up

        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = tomli_w.dumps(self.to_config())
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".config-", suffix=".toml")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(data)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def apply_env(context: Context, environ: Mapping[str, str] | None = None) -> Context:
    """``context`` with the ``GANETIOPS_RAPI_*`` environment overrides applied."""
    env = os.environ if environ is None else environ
    changes: dict[str, Any] = {}
    if env.get(ENV_URL):
        changes["url"] = env[ENV_URL]
    if env.get(ENV_USER):
        changes["user"] = env[ENV_USER]
    if ENV_PASSWORD in env:
        changes["password"] = PasswordSource("env", ENV_PASSWORD)
    if env.get(ENV_CERTIFICATE):
        changes["certificate_sha256"] = env[ENV_CERTIFICATE]
    if env.get(ENV_CA_FILE):
        changes["ca_file"] = env[ENV_CA_FILE]
    if env.get(ENV_INSECURE, "").lower() in ("1", "true", "yes"):
        changes["insecure"] = True
    return attrs.evolve(context, **changes) if changes else context


def load_config(path: Path | None = None) -> Config:
    """Read the configuration file; a missing file is an empty configuration."""
    path = path or config_path()
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return Config(path=path)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        values.no_unknown(raw, {"contexts", "current-context"}, "the file")
        contexts_raw = values.table(raw.get("contexts", {}), "contexts")
        contexts = {
            name: Context.from_config(name, value, origin=path)
            for name, value in contexts_raw.items()
        }
        current = values.opt_str(raw, "current-context", "")
    except ConfigError as exc:
        # Every message names the file (each check names the key and the expected type).
        raise ConfigError(f"{path}: {exc}") from None
    if current is not None and current not in contexts:
        raise ConfigError(f"{path}: current-context {current!r} is not defined")
    return Config(path=path, contexts=contexts, current=current)
