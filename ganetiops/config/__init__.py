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
    from platformdirs import user_config_dir

    return Path(user_config_dir("ganetiops")) / "config.toml"


@attrs.frozen
class SshVia:
    """Reach RAPI through SSH: a local forward to the current master's 127.0.0.1:port."""

    nodes: tuple[str, ...]
    user: str = "root"
    port: int = 22
    key: str | None = None
    known_hosts: str | None = None
    #: Host keys given inline ("ssh-ed25519 AAAA..."), by node name, instead of known_hosts.
    host_keys: Mapping[str, str] = attrs.field(factory=dict)
    rapi_port: int = 5080

    @classmethod
    def from_config(cls, raw: Mapping[str, Any], where: str) -> SshVia:
        nodes = raw.get("nodes")
        if not isinstance(nodes, list) or not nodes or not all(isinstance(n, str) for n in nodes):
            raise ConfigError(f"{where}.nodes: a non-empty list of node names is required")
        allowed = {"nodes", "user", "port", "key", "known-hosts", "host-keys", "rapi-port"}
        _no_unknown(raw, allowed, where)
        return cls(
            nodes=tuple(nodes),
            user=str(raw.get("user", "root")),
            port=_int(raw, "port", 22, where),
            key=raw.get("key"),
            known_hosts=raw.get("known-hosts"),
            host_keys=dict(raw.get("host-keys", {})),
            rapi_port=_int(raw, "rapi-port", 5080, where),
        )

    def to_config(self) -> dict[str, Any]:
        out: dict[str, Any] = {"nodes": list(self.nodes), "user": self.user}
        if self.port != 22:
            out["port"] = self.port
        if self.key:
            out["key"] = self.key
        if self.known_hosts:
            out["known-hosts"] = self.known_hosts
        if self.host_keys:
            out["host-keys"] = dict(self.host_keys)
        if self.rapi_port != 5080:
            out["rapi-port"] = self.rapi_port
        return out


@attrs.frozen
class BootServer:
    """Where NixOS class images, MAC wrappers and host keys are published and served.

    ``url`` is the HTTP base the VMs fetch from; the SFTP target (``host``,
    ``user``, ``key``, ``root``) is where ganetiops publishes. The homelab's:
    ``http://boot.homelab.tel`` and ``admin@boot.homelab.tel:/usb1-part1/http``.
    """

    url: str
    host: str
    user: str = "admin"
    port: int = 22
    key: str | None = None
    root: str = "/usb1-part1/http"
    known_hosts: str | None = None
    host_key: str | None = None
    #: Where the HTTP server's access log can be read over SFTP (to see first boots).
    access_log: str | None = None
    #: The classes report their boot (``GET /nixos/report/<mac>?...``, see
    #: :mod:`ganetiops.netboot.report`): create and reimage wait for the report.
    reports: bool = False
    #: known_hosts file where create pins each new VM's host key (``None``: not pinned).
    pin_known_hosts: str | None = None

    _KEYS = (
        "url",
        "host",
        "user",
        "port",
        "key",
        "root",
        "known-hosts",
        "host-key",
        "access-log",
        "reports",
        "pin-known-hosts",
    )

    @classmethod
    def from_config(cls, raw: Mapping[str, Any], where: str) -> BootServer:
        _no_unknown(raw, set(cls._KEYS), where)
        for required in ("url", "host"):
            if not isinstance(raw.get(required), str) or not raw[required]:
                raise ConfigError(f"{where}.{required}: required")
        return cls(
            url=str(raw["url"]).rstrip("/"),
            host=str(raw["host"]),
            user=str(raw.get("user", "admin")),
            port=_int(raw, "port", 22, where),
            key=raw.get("key"),
            root=str(raw.get("root", "/usb1-part1/http")).rstrip("/") or "/",
            known_hosts=raw.get("known-hosts"),
            host_key=raw.get("host-key"),
            access_log=raw.get("access-log"),
            reports=_flag(raw, "reports", where),
            pin_known_hosts=raw.get("pin-known-hosts"),
        )

    def to_config(self) -> dict[str, Any]:
        out: dict[str, Any] = {"url": self.url, "host": self.host, "user": self.user}
        if self.port != 22:
            out["port"] = self.port
        for key, value in (
            ("key", self.key),
            ("known-hosts", self.known_hosts),
            ("host-key", self.host_key),
            ("access-log", self.access_log),
            ("pin-known-hosts", self.pin_known_hosts),
        ):
            if value:
                out[key] = value
        if self.reports:
            out["reports"] = True
        out["root"] = self.root
        return out


_CONTEXT_KEYS = {
    "url",
    "user",
    "password",
    "certificate-sha256",
    "ca-file",
    "insecure",
    "connect-timeout",
    "read-timeout",
    "max-connections",
    "ssh",
    "description",
    "boot",
}


@attrs.frozen
class Context:
    """How to reach one cluster's RAPI. Holds no secret: only where to find it."""

    name: str
    url: str | None = None
    user: str | None = None
    password: PasswordSource | None = None
    certificate_sha256: str | None = None
    ca_file: str | None = None
    insecure: bool = False
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_connections: int = 10
    ssh: SshVia | None = None
    description: str = ""
    boot: BootServer | None = None

    @classmethod
    def from_config(
        cls, name: str, raw: Mapping[str, Any], *, origin: Path | None = None
    ) -> Context:
        where = f"contexts.{name}"
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{where}: expected a table")
        _no_unknown(raw, _CONTEXT_KEYS, where)
        ssh = SshVia.from_config(raw["ssh"], f"{where}.ssh") if "ssh" in raw else None
        if ssh is None and not raw.get("url"):
            raise ConfigError(f"{where}: needs url, or an ssh table to tunnel through")
        password = (
            PasswordSource.parse(raw["password"], origin=origin, key=f"{where}.password")
            if "password" in raw
            else None
        )
        return cls(
            name=name,
            url=raw.get("url"),
            user=raw.get("user"),
            password=password,
            certificate_sha256=raw.get("certificate-sha256"),
            ca_file=raw.get("ca-file"),
            insecure=bool(raw.get("insecure", False)),
            connect_timeout=float(raw.get("connect-timeout", 10.0)),
            read_timeout=float(raw.get("read-timeout", 60.0)),
            max_connections=_int(raw, "max-connections", 10, where),
            ssh=ssh,
            description=str(raw.get("description", "")),
            boot=BootServer.from_config(raw["boot"], f"{where}.boot") if "boot" in raw else None,
        )

    def to_config(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.description:
            out["description"] = self.description
        if self.url:
            out["url"] = self.url
        if self.user:
            out["user"] = self.user
        if self.password is not None:
            out["password"] = self.password.to_config()
        if self.certificate_sha256:
            out["certificate-sha256"] = self.certificate_sha256
        if self.ca_file:
            out["ca-file"] = self.ca_file
        if self.insecure:
            out["insecure"] = True
        if self.connect_timeout != 10.0:
            out["connect-timeout"] = self.connect_timeout
        if self.read_timeout != 60.0:
            out["read-timeout"] = self.read_timeout
        if self.max_connections != 10:
            out["max-connections"] = self.max_connections
        if self.ssh is not None:
            out["ssh"] = self.ssh.to_config()
        if self.boot is not None:
            out["boot"] = self.boot.to_config()
        return out

    def resolve_password(self) -> Secret | None:
        """Read the password from its source (``None`` when the context has none)."""
        if self.password is None:
            return None
        host = ""
        if self.url:
            import urllib.parse

            host = urllib.parse.urlsplit(self.url).hostname or ""
        return self.password.resolve(host=host, user=self.user)

    def _repr_html_(self) -> str:
        """Jupyter display, drawn by :mod:`ganetiops.display` (imported only here)."""
        from ganetiops.display.html import context_html

        return context_html(self)


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
        import tomli_w

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
    contexts_raw = raw.get("contexts", {})
    if not isinstance(contexts_raw, Mapping):
        raise ConfigError(f"{path}: contexts must be a table")
    contexts = {
        name: Context.from_config(name, value, origin=path) for name, value in contexts_raw.items()
    }
    current = raw.get("current-context")
    if current is not None and current not in contexts:
        raise ConfigError(f"{path}: current-context {current!r} is not defined")
    return Config(path=path, contexts=contexts, current=current)


def _no_unknown(raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _flag(raw: Mapping[str, Any], key: str, where: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{key}: expected true or false")
    return value


def _int(raw: Mapping[str, Any], key: str, default: int, where: str) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(f"{where}.{key}: expected an integer")
    return value
