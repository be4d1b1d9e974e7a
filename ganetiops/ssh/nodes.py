"""A set of nodes reached over SSH: connections opened on first use, fan-out, facts.

>>> async with Nodes(hosts, settings) as nodes:                        # doctest: +SKIP
...     report = await nodes.run("gnt-cluster verify-disks", hosts=["aleph"])
...     facts = await nodes.facts()

Connections are opened once per node and reused by every command and fact; a node
whose host key is refused is never connected to, and every command aimed at it fails
with :class:`~ganetiops.errors.HostKeyError`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ganetiops._closing import AsyncClosing
from ganetiops.config import SshVia
from ganetiops.config.secrets import Secret
from ganetiops.errors import HostKeyError, SshError, ValidationError
from ganetiops.ssh.connection import CommandResult, Host, NodeConnection, SshSettings, connect
from ganetiops.ssh.facts import SSCONF_DIR, Fact, NodeFacts, gather_facts
from ganetiops.ssh.fanout import HostResult, Mode, RunReport, Status, fan_out
from ganetiops.ssh.hostkeys import HostKeys

__all__ = ["Nodes", "find_master", "parse_master_ssconf", "settings_from_ssh_via"]

MASTER_COMMAND = (
    f"cat {SSCONF_DIR}/ssconf_master_node && echo '--' && "
    f"(cat {SSCONF_DIR}/ssconf_node_primary_ips 2>/dev/null || true)"
)


def settings_from_ssh_via(via: SshVia, **overrides: object) -> SshSettings:
    """SSH settings from a configuration context's ``ssh`` table."""
    known_hosts = [via.known_hosts] if via.known_hosts else []
    host_keys = HostKeys(dict(via.host_keys), known_hosts)
    keys = (via.key,) if via.key else ()
    return SshSettings(host_keys=host_keys, client_keys=keys, **overrides)  # type: ignore[arg-type]


class Nodes(AsyncClosing):
    """Connections to a set of nodes, opened lazily and closed together."""

    def __init__(self, hosts: Iterable[Host], settings: SshSettings) -> None:
        self._hosts: dict[str, Host] = {}
        for host in hosts:
            if host.name in self._hosts:
                raise ValidationError(f"node {host.name} is listed twice", field="hosts")
            self._hosts[host.name] = host
        self.settings = settings
        self._connections: dict[str, NodeConnection] = {}
        self._failures: dict[str, SshError] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @classmethod
    def from_ssh_via(cls, via: SshVia, *, addresses: Mapping[str, str] | None = None) -> Nodes:
        """Nodes of a context's ``ssh`` table; ``addresses`` maps names to where to connect."""
        addresses = addresses or {}
        hosts = [
            Host(name=n, address=addresses.get(n), port=via.port, user=via.user) for n in via.nodes
        ]
        return cls(hosts, settings_from_ssh_via(via))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._hosts)

    def host(self, name: str) -> Host:
        try:
            return self._hosts[name]
        except KeyError:
            raise ValidationError(f"unknown node {name!r}", field="hosts") from None

    def add(self, host: Host) -> None:
        """Add a node that was not known at construction (a master found through ssconf)."""
        self._hosts.setdefault(host.name, host)

    async def connection(self, name: str) -> NodeConnection:
        """The open connection to ``name``, connecting on first use.

        A refused host key or a failed connection is remembered and raised again on every
        later use until :meth:`forget` is called.
        """
        host = self.host(name)
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            if name in self._failures:
                raise self._failures[name]
            conn = self._connections.get(name)
            if conn is not None and not conn.closed:
                return conn
            try:
                conn = await connect(host, self.settings)
            except HostKeyError as exc:
                self._failures[name] = exc
                raise
            self._connections[name] = conn
            return conn

    async def forget(self, name: str) -> None:
        """Close and forget the connection (and any failure) of ``name``."""
        self._failures.pop(name, None)
        conn = self._connections.pop(name, None)
        if conn is not None:
            await conn.close()

    async def run(
        self,
        command: str,
        *,
        hosts: Sequence[str] | None = None,
        input: str | bytes | Secret | None = None,
        mode: Mode | str = Mode.PARALLEL,
        concurrency: int = 10,
        batch_size: int | None = None,
        max_fail_percent: float | None = None,
        changed_when: Callable[[CommandResult], bool] | None = None,
        timeout: float | None = -1.0,
    ) -> RunReport:
        """Run one command on several nodes; one :class:`HostResult` per node.

        A zero exit is ``ok`` (``changed`` when ``changed_when`` says so), anything else
        ``failed``; an unreachable node or a refused host key is ``failed`` too.
        """

        async def action(name: str) -> HostResult:
            conn = await self.connection(name)
            result = await conn.run(command, input=input, timeout=timeout)
            return to_host_result(result, changed_when)

        return await fan_out(
            list(hosts) if hosts is not None else list(self._hosts),
            action,
            mode=mode,
            concurrency=concurrency,
            batch_size=batch_size,
            max_fail_percent=max_fail_percent,
        )

    async def facts(
        self,
        *,
        hosts: Sequence[str] | None = None,
        names: Iterable[str] | None = None,
        resolve: Sequence[str] = (),
        extra: Sequence[Fact[Any]] = (),
    ) -> dict[str, NodeFacts]:
        """Facts of every node in parallel (connections included).

        A node that cannot be reached gets ``NodeFacts`` whose ``problems["connect"]`` says
        why (and ``host_key_refused`` when that is the reason); nothing else is read there.
        """
        wanted = list(names) if names is not None else None
        chosen = list(hosts) if hosts is not None else list(self._hosts)

        async def one(name: str) -> NodeFacts:
            started = time.monotonic()
            try:
                conn = await self.connection(name)
            except SshError as exc:
                return NodeFacts(
                    host=name,
                    problems={"connect": str(exc)},
                    duration=time.monotonic() - started,
                    host_key_refused=isinstance(exc, HostKeyError),
                )
            return await gather_facts(conn, name, names=wanted, resolve=resolve, extra=extra)

        gathered = await asyncio.gather(*(one(n) for n in chosen))
        return dict(zip(chosen, gathered, strict=True))

    async def aclose(self) -> None:
        connections = list(self._connections.values())
        self._connections.clear()
        await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)


def to_host_result(
    result: CommandResult, changed_when: Callable[[CommandResult], bool] | None = None
) -> HostResult:
    """A command's result as a fan-out result (ok / changed / failed)."""
    if result.ok:
        status = Status.CHANGED if changed_when and changed_when(result) else Status.OK
    else:
        status = Status.FAILED
    return HostResult(
        host=result.host,
        status=status,
        exit_status=result.exit_status,
        stdout=result.stdout,
        stderr=result.stderr,
        duration=result.duration,
        error=None if result.ok else result.failure(),
    )


def parse_master_ssconf(text: str) -> tuple[str, dict[str, str]]:
    """Output of ``MASTER_COMMAND`` → (master name, primary IP by node name). Pure."""
    head, _, tail = text.partition("--")
    master = head.strip().splitlines()[0].strip() if head.strip() else ""
    if not master:
        raise ValueError("empty ssconf_master_node")
    primaries: dict[str, str] = {}
    for line in tail.splitlines():
        fields = line.split()
        if len(fields) == 2:
            primaries[fields[0]] = fields[1]
    return master, primaries


async def find_master(nodes: Nodes, *, ask: Sequence[str] | None = None) -> str:
    """The current master per the ssconf of the first node that answers.

    Nodes are asked in the order of ``ask`` (default: all, in order). Returns the name
    under which ``nodes`` knows the master; a master ``nodes`` does not list is added,
    reached at its primary address from ssconf.
    """
    order = list(ask or nodes.names)
    order += [n for n in nodes.names if n not in order]
    errors: list[str] = []
    for name in order:
        try:
            conn = await nodes.connection(name)
        except SshError as exc:
            errors.append(str(exc))
            continue
        result = await conn.run(MASTER_COMMAND, timeout=15)
        if not result.ok:
            errors.append(result.failure())
            continue
        try:
            master, primaries = parse_master_ssconf(result.stdout)
        except ValueError as exc:
            errors.append(f"{name}: {exc}")
            continue
        return _known_as(nodes, master, primaries.get(master), via=nodes.host(name))
    raise SshError("cannot find the master: no node answered: " + "; ".join(errors))


def _known_as(nodes: Nodes, master: str, primary_ip: str | None, *, via: Host) -> str:
    short = master.split(".", 1)[0]
    for name in nodes.names:
        host = nodes.host(name)
        if name in (master, short) or (
            primary_ip is not None and primary_ip in (host.address, host.name)
        ):
            return name
    nodes.add(Host(name=master, address=primary_ip, port=via.port, user=via.user))
    return master
