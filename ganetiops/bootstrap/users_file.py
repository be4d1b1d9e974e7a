"""The RAPI users file (``/var/lib/ganeti/rapi/users``): HA1 hashes, parse, merge. Pure.

Format (rapi.md §4.2): one user per line, ``<name> <password> [read|write|read,write]``;
``#`` comments and blank lines are ignored. The password is written as
``{HA1}<md5hex>`` with ``md5("<name>:Ganeti Remote API:<password>")`` — no trailing
newline inside the hashed text (the homelab's documented ``echo ... | openssl md5``
hashes one and is wrong).

Merging keeps every line it does not own: comments, and users the inventory does
not list (added by hand or with ``gnt-py cluster rapi-user add``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

import attrs

from ganetiops.config.secrets import Secret
from ganetiops.errors import ValidationError

__all__ = [
    "REALM",
    "RIGHTS",
    "UserEntry",
    "differences",
    "ha1",
    "merge",
    "parse",
    "remove",
]

REALM = "Ganeti Remote API"
RIGHTS = ("read", "write")
USERS_FILE = "/var/lib/ganeti/rapi/users"
USERS_OWNER = "gnt-rapi:gnt-masterd"
USERS_MODE = 0o640

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")


def check_name(name: str, *, field: str = "name") -> str:
    """A RAPI user name: ASCII without whitespace (Basic auth decodes ASCII only)."""
    if not _NAME.fullmatch(name):
        raise ValidationError(
            f"{field}: {name!r} is not a usable RAPI user name (ASCII letters, digits, ._@+-)",
            field=field,
        )
    return name


def ha1(user: str, password: Secret) -> str:
    """``md5("<user>:Ganeti Remote API:<password>")`` as lowercase hex (no newline)."""
    text = f"{user}:{REALM}:{password.reveal()}"
    if not text.isascii() or any(c.isspace() for c in password.reveal()):
        raise ValidationError(
            f"password of RAPI user {user}: only ASCII without whitespace can authenticate",
            field="password",
        )
    return hashlib.md5(text.encode("ascii"), usedforsecurity=False).hexdigest()


@attrs.frozen
class UserEntry:
    """One line of the users file. ``password`` is the stored field (``{HA1}...`` or clear)."""

    name: str
    password: Secret
    rights: tuple[str, ...] = ()

    @classmethod
    def with_ha1(cls, name: str, digest: str, rights: Iterable[str]) -> UserEntry:
        return cls(name, Secret("{HA1}" + digest.lower()), tuple(rights))

    def line(self) -> str:
        rights = ",".join(self.rights)
        return f"{self.name} {self.password.reveal()}" + (f" {rights}" if rights else "")

    def same_as(self, other: UserEntry) -> bool:
        """Same name, same rights, same password field (HA1 compared case-insensitively)."""
        return (
            self.name == other.name
            and set(self.rights) == set(other.rights)
            and _norm(self.password.reveal()) == _norm(other.password.reveal())
        )


def _norm(field: str) -> str:
    if field[:5].upper() == "{HA1}":
        return "{HA1}" + field[5:].lower()
    return field


def parse(text: str) -> list[UserEntry]:
    """The users listed in a users file (lines with fewer than two fields are skipped)."""
    users: list[UserEntry] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 2 or fields[0].startswith("#"):
            continue
        rights = tuple(r for r in (fields[2].split(",") if len(fields) > 2 else []) if r)
        users.append(UserEntry(fields[0], Secret(fields[1]), rights))
    return users


def differences(text: str | None, desired: Sequence[UserEntry]) -> list[str]:
    """Names of desired users missing from the file or listed differently."""
    present = {u.name: u for u in parse(text or "")}
    return [u.name for u in desired if u.name not in present or not present[u.name].same_as(u)]


def merge(text: str | None, desired: Sequence[UserEntry]) -> Secret:
    """The file with every desired user present as wanted; all other lines kept in place."""
    wanted = {u.name: u for u in desired}
    out: list[str] = []
    done: set[str] = set()
    for line in (text or "").splitlines():
        fields = line.split()
        if len(fields) >= 2 and not fields[0].startswith("#") and fields[0] in wanted:
            if fields[0] not in done:
                out.append(wanted[fields[0]].line())
                done.add(fields[0])
            continue
        out.append(line)
    out.extend(u.line() for u in desired if u.name not in done)
    return Secret("\n".join(out) + "\n")


def remove(text: str | None, name: str) -> tuple[Secret, bool]:
    """The file without user ``name``, and whether it was there."""
    out: list[str] = []
    found = False
    for line in (text or "").splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == name:
            found = True
            continue
        out.append(line)
    return Secret("\n".join(out) + ("\n" if out else "")), found
