"""A context: how to reach one cluster (RAPI URL, user, password source, pinned
certificate), with the SSH tunnel (:class:`SshVia`) and boot server (:class:`BootServer`)
it may name. Read from and written to the configuration file's ``[contexts.NAME]`` tables.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ganetiops import hooks
from ganetiops.config import values
from ganetiops.config.secrets import PasswordSource, Secret
from ganetiops.errors import ConfigError


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
        raw = values.table(raw, where)
        nodes = raw.get("nodes")
        if not isinstance(nodes, list) or not nodes or not all(isinstance(n, str) for n in nodes):
            raise ConfigError(f"{where}.nodes: a non-empty list of node names is required")
        allowed = {"nodes", "user", "port", "key", "known-hosts", "host-keys", "rapi-port"}
        values.no_unknown(raw, allowed, where)
        host_keys = values.table(raw.get("host-keys", {}), f"{where}.host-keys")
        for node, line in host_keys.items():
            values.check_type(line, str, f"{where}.host-keys.{node}")
        return cls(
            nodes=tuple(nodes),
            user=values.str_or(raw, "user", "root", where),
            port=values.port_or(raw, "port", 22, where),
            key=values.opt_str(raw, "key", where),
            known_hosts=values.opt_str(raw, "known-hosts", where),
            host_keys=dict(host_keys),
            rapi_port=values.port_or(raw, "rapi-port", 5080, where),
        )

    def to_config(self) -> dict[str, Any]:
        return {"nodes": list(self.nodes), "user": self.user} | values.entries(
            ("port", self.port, 22),
            ("key", self.key),
            ("known-hosts", self.known_hosts),
            ("host-keys", dict(self.host_keys)),
            ("rapi-port", self.rapi_port, 5080),
        )


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
        raw = values.table(raw, where)
        values.no_unknown(raw, set(cls._KEYS), where)
        for required in ("url", "host"):
            if required not in raw:
                raise ConfigError(f"{where}.{required}: required (a string)")
            if not values.str_or(raw, required, "", where):
                raise ConfigError(f"{where}.{required}: must not be empty")
        return cls(
            url=values.str_or(raw, "url", "", where).rstrip("/"),
            host=values.str_or(raw, "host", "", where),
            user=values.str_or(raw, "user", "admin", where),
            port=values.port_or(raw, "port", 22, where),
            key=values.opt_str(raw, "key", where),
            root=values.str_or(raw, "root", "/usb1-part1/http", where).rstrip("/") or "/",
            known_hosts=values.opt_str(raw, "known-hosts", where),
            host_key=values.opt_str(raw, "host-key", where),
            access_log=values.opt_str(raw, "access-log", where),
            reports=values.bool_or(raw, "reports", False, where),
            pin_known_hosts=values.opt_str(raw, "pin-known-hosts", where),
        )

    def to_config(self) -> dict[str, Any]:
        return (
            {"url": self.url, "host": self.host, "user": self.user}
            | values.entries(
                ("port", self.port, 22),
                ("key", self.key),
                ("known-hosts", self.known_hosts),
                ("host-key", self.host_key),
                ("access-log", self.access_log),
                ("pin-known-hosts", self.pin_known_hosts),
                ("reports", self.reports),
            )
            | {"root": self.root}
        )


_CONTEXT_KEYS = {
    "url",
    "user",
    "password",
    "certificate-sha256",
    "ca-file",
    "tls-server-name",
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
    #: The name the certificate must carry when it differs from the URL's host (ca-file).
    tls_server_name: str | None = None
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
        raw = values.table(raw, where)
        values.no_unknown(raw, _CONTEXT_KEYS, where)
        url = values.opt_str(raw, "url", where)
        ssh = SshVia.from_config(raw["ssh"], f"{where}.ssh") if "ssh" in raw else None
        if ssh is None and not url:
            raise ConfigError(f"{where}: needs url, or an ssh table to tunnel through")
        password = (
            PasswordSource.parse(raw["password"], origin=origin, key=f"{where}.password")
            if "password" in raw
            else None
        )
        return cls(
            name=name,
            url=url,
            user=values.opt_str(raw, "user", where),
            password=password,
            certificate_sha256=values.opt_str(raw, "certificate-sha256", where),
            ca_file=values.opt_str(raw, "ca-file", where),
            tls_server_name=values.opt_str(raw, "tls-server-name", where),
            insecure=values.bool_or(raw, "insecure", False, where),
            connect_timeout=values.seconds_or(raw, "connect-timeout", 10.0, where),
            read_timeout=values.seconds_or(raw, "read-timeout", 60.0, where),
            max_connections=values.int_or(raw, "max-connections", 10, where),
            ssh=ssh,
            description=values.str_or(raw, "description", "", where),
            boot=BootServer.from_config(raw["boot"], f"{where}.boot") if "boot" in raw else None,
        )

    def to_config(self) -> dict[str, Any]:
        out = values.entries(
            ("description", self.description), ("url", self.url), ("user", self.user)
        )
        if self.password is not None:
            out["password"] = self.password.to_config()
        out |= values.entries(
            ("certificate-sha256", self.certificate_sha256),
            ("ca-file", self.ca_file),
            ("tls-server-name", self.tls_server_name),
            ("insecure", self.insecure),
            ("connect-timeout", self.connect_timeout, 10.0),
            ("read-timeout", self.read_timeout, 60.0),
            ("max-connections", self.max_connections, 10),
        )
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
            host = urllib.parse.urlsplit(self.url).hostname or ""
        return self.password.resolve(host=host, user=self.user)

    def _repr_html_(self) -> str:
        """Jupyter display, drawn by the display room (:mod:`ganetiops.hooks`)."""
        return str(hooks.display("context_html")(self))
