"""Which host keys a node must present, and the message when it presents another.

Keys come from two places, which can be combined:

* **inline keys** by host (``"ssh-ed25519 AAAA... comment"``), e.g. from an inventory's
  ``host-key`` or a context's ``ssh.host-keys``; a host may have several;
* **known_hosts files** in OpenSSH format, matched on the node's name and on the
  address the connection goes to (hashed entries and patterns work).

Nothing is ever accepted on first use: a node with no expected key, or presenting a
key other than the expected ones, is refused with :class:`~ganetiops.errors.HostKeyError`
before authentication, so no command ever runs on it.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import asyncssh

from ganetiops.errors import HostKeyError, ValidationError

if TYPE_CHECKING:
    from ganetiops.ssh.connection import Host

__all__ = ["HostKeys", "describe_key", "fingerprint", "parse_public_key"]


def parse_public_key(text: str, *, field: str = "host-key") -> asyncssh.SSHKey:
    """Parse one OpenSSH public key line; a bad key is a ``ValidationError`` naming ``field``."""
    try:
        return asyncssh.import_public_key(text.strip())
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise ValidationError(f"{field}: not an OpenSSH public key ({exc})", field=field) from None


def fingerprint(key: asyncssh.SSHKey | str) -> str:
    """``SHA256:...`` fingerprint of a key (as ``ssh-keygen -l`` prints it)."""
    if isinstance(key, str):
        key = parse_public_key(key)
    return key.get_fingerprint("sha256")


def describe_key(key: asyncssh.SSHKey) -> str:
    """``ssh-ed25519 SHA256:...``: algorithm and fingerprint, safe to print."""
    return f"{key.get_algorithm()} {fingerprint(key)}"


def key_line(key: asyncssh.SSHKey) -> str:
    """The key as ``<algorithm> <base64>`` (no comment), as known_hosts lists it."""
    algorithm, blob = key.export_public_key("openssh").decode().split()[:2]
    return f"{algorithm} {blob}"


class HostKeys:
    """The host keys each node is expected to present.

    ``keys`` maps a host name, short name or address to one or more public key lines;
    ``known_hosts`` lists OpenSSH known_hosts files. Both are consulted; a host's
    expected keys are the union of what either says for its name, its short name and
    its address.
    """

    def __init__(
        self,
        keys: Mapping[str, str | Sequence[str]] | None = None,
        known_hosts: Iterable[str | os.PathLike[str]] = (),
    ) -> None:
        self._keys: dict[str, list[asyncssh.SSHKey]] = {}
        for host, value in (keys or {}).items():
            lines = [value] if isinstance(value, str) else list(value)
            parsed = [parse_public_key(line, field=f"host-keys.{host}") for line in lines]
            self._keys.setdefault(host, []).extend(parsed)
        self._known_hosts_paths = tuple(Path(p).expanduser() for p in known_hosts)
        self._known_hosts: list[tuple[Path, asyncssh.SSHKnownHosts]] = []
        for path in self._known_hosts_paths:
            try:
                loaded = asyncssh.read_known_hosts(str(path))
            except OSError as exc:
                raise HostKeyError(f"known_hosts file {path}: {exc.strerror}") from None
            except ValueError as exc:
                raise HostKeyError(f"known_hosts file {path}: {exc}") from None
            self._known_hosts.append((path, loaded))

    def with_keys(self, keys: Mapping[str, str | Sequence[str]]) -> HostKeys:
        """A copy with more inline keys added."""
        merged: dict[str, list[str]] = {
            host: [key_line(k) for k in ks] for host, ks in self._keys.items()
        }
        for host, value in keys.items():
            merged.setdefault(host, []).extend([value] if isinstance(value, str) else value)
        return HostKeys(merged, self._known_hosts_paths)

    def merged(self, other: HostKeys) -> HostKeys:
        """Keys of both (inline keys concatenated, known_hosts files of both)."""
        inline: dict[str, list[str]] = {}
        for source in (self, other):
            for host, ks in source._keys.items():
                inline.setdefault(host, []).extend(key_line(k) for k in ks)
        paths = list(self._known_hosts_paths)
        paths += [p for p in other._known_hosts_paths if p not in paths]
        return HostKeys(inline, paths)

    def describe_sources(self) -> str:
        """Where keys come from, for messages (``inline keys, known_hosts /root/...``)."""
        parts = []
        if self._keys:
            parts.append("inline keys")
        parts.extend(f"known_hosts {p}" for p in self._known_hosts_paths)
        return ", ".join(parts) or "no key source at all"

    def expected(self, host: Host) -> list[asyncssh.SSHKey]:
        """Every key ``host`` may present; empty when nothing is known about it."""
        names = _aliases(host.name, host.address, host.aliases)
        found: list[asyncssh.SSHKey] = []
        for name in names:
            for key in self._keys.get(name, ()):
                if key not in found:
                    found.append(key)
        port = host.port if host.port != 22 else None
        addr = host.address or ""
        for _path, known in self._known_hosts:
            for name in names:
                trusted = known.match(name, addr, port)[0]
                for key in trusted:
                    if key not in found:
                        found.append(key)
        return found

    def refused(
        self, host: Host, presented: asyncssh.SSHKey | None, expected: Sequence[asyncssh.SSHKey]
    ) -> HostKeyError:
        """The error for a node whose key is unknown or differs from the expected ones."""
        where = host.describe()
        shown = describe_key(presented) if presented is not None else "a key that could not be read"
        if not expected:
            sources = (
                f"{self.describe_sources()} list no key for it"
                if self._keys or self._known_hosts_paths
                else "no host key source is configured"
            )
            return HostKeyError(
                f"{where}: unknown host key; it presented {shown}, and {sources}. Refusing to "
                f"connect (keys are never accepted automatically); add the node's key to the "
                f"inventory or known_hosts."
            )
        wanted = ", ".join(describe_key(k) for k in expected)
        return HostKeyError(
            f"{where}: host key differs from the expected one; it presented {shown}, "
            f"expected {wanted} (from {self.describe_sources()}). Refusing to connect: "
            f"if the node was reinstalled, update its key; otherwise something is "
            f"impersonating it."
        )


def _aliases(name: str, address: str | None, others: Sequence[str] = ()) -> list[str]:
    names: list[str] = []
    for candidate in (name, *others):
        if candidate not in names:
            names.append(candidate)
        short = candidate.split(".", 1)[0]
        if short not in names and not _is_ip(candidate):
            names.append(short)
    if address and address not in names:
        names.append(address)
    return names


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
