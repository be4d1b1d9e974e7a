"""RAPI users on a running cluster, over SSH to the master: list, add, remove.

The users file lives on the master and is copied to every node with
``gnt-cluster redist-conf`` (it is in Ganeti's distributed file set, so verify wants it
identical everywhere; 3.0.2 and 3.1 reload it by themselves). Passwords arrive as
:class:`~ganetiops.config.Secret`, are hashed here (HA1) and travel on stdin only.
"""

from __future__ import annotations

import attrs

from ganetiops.bootstrap.users_file import (
    RIGHTS,
    USERS_FILE,
    USERS_MODE,
    USERS_OWNER,
    UserEntry,
    check_name,
    ha1,
    merge,
    parse,
    remove,
)
from ganetiops.config.secrets import Secret
from ganetiops.errors import SshError, ValidationError
from ganetiops.ssh.nodes import Nodes, find_master

__all__ = ["RapiUser", "add_user", "list_users", "remove_user"]


@attrs.frozen
class RapiUser:
    """A user as listed (never with its password or hash)."""

    name: str
    rights: tuple[str, ...]


async def _read(nodes: Nodes, master: str) -> str | None:
    conn = await nodes.connection(master)
    return await conn.read_file(USERS_FILE)


async def _write_and_distribute(nodes: Nodes, master: str, content: Secret) -> None:
    conn = await nodes.connection(master)
    await conn.write_file(USERS_FILE, content, mode=USERS_MODE, owner=USERS_OWNER)
    result = await conn.run("gnt-cluster redist-conf")
    if not result.ok:
        raise SshError(f"users file written on {master}, but {result.failure()}")


async def list_users(nodes: Nodes) -> tuple[str, list[RapiUser]]:
    """(master, users) as the master's users file lists them."""
    master = await find_master(nodes)
    text = await _read(nodes, master)
    return master, [RapiUser(u.name, u.rights) for u in parse(text or "")]


async def add_user(
    nodes: Nodes, name: str, password: Secret, rights: tuple[str, ...] = ("read",)
) -> tuple[str, bool]:
    """Add or update a user; returns (master, whether the file changed)."""
    check_name(name)
    bad = [r for r in rights if r not in RIGHTS]
    if bad or not rights:
        raise ValidationError(
            f"rights: use read and/or write (got {','.join(rights)})", field="rights"
        )
    entry = UserEntry.with_ha1(name, ha1(name, password), rights)
    master = await find_master(nodes)
    text = await _read(nodes, master)
    if any(u.same_as(entry) for u in parse(text or "")):
        return master, False
    await _write_and_distribute(nodes, master, merge(text, [entry]))
    return master, True


async def remove_user(nodes: Nodes, name: str) -> tuple[str, bool]:
    """Remove a user; returns (master, whether it was there)."""
    master = await find_master(nodes)
    text = await _read(nodes, master)
    content, found = remove(text, name)
    if found:
        await _write_and_distribute(nodes, master, content)
    return master, found
