"""Typed node facts: each fact is a shell command plus a pure parser (pyinfra style).

>>> facts = await gather_facts(conn)                      # doctest: +SKIP
>>> facts.ganeti_version, facts.ssconf_master, facts.drbd  # doctest: +SKIP
('3.0.2', 'aleph.homelab.tel', None)

Facts of one node run concurrently over its one connection (a few SSH sessions at a
time); :func:`gather_all` does every node at once. A fact that cannot be read does
not fail the gathering: its field keeps its empty value and ``problems`` says why.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

import attrs

from ganetiops.ssh import parsers
from ganetiops.ssh.connection import CommandResult
from ganetiops.ssh.parsers import Bridge, DrbdInfo, InterfaceAddress, VolumeGroup

__all__ = [
    "DAEMONS",
    "FACTS",
    "SSCONF_DIR",
    "Fact",
    "NodeFacts",
    "gather_all",
    "gather_facts",
    "resolve_fact",
]

T = TypeVar("T")

SSCONF_DIR = "/var/lib/ganeti"
#: Ganeti daemons whose state the ``daemons`` fact reports (pid file + live process).
DAEMONS = (
    "ganeti-noded",
    "ganeti-confd",
    "ganeti-mond",
    "ganeti-kvmd",
    "ganeti-wconfd",
    "ganeti-luxid",
    "ganeti-rapi",
    "ganeti-metad",
)
#: Where Ganeti looks for OS providers (Debian and upstream defaults, and the homelab's).
OS_SEARCH_PATH = ("/srv/ganeti/os", "/usr/local/lib/ganeti/os", "/usr/lib/ganeti/os",
                  "/usr/share/ganeti/os")  # fmt: skip


class Runner(Protocol):
    """What gathering needs from a connection (a fake one in unit tests)."""

    async def run(self, command: str, *, timeout: float | None = ...) -> CommandResult: ...


@attrs.frozen
class Fact(Generic[T]):
    """A command and the pure function that turns its output into a value."""

    name: str
    command: str
    parse: Callable[[str, int | None], T]
    #: The value when the command cannot run or the parser rejects the output.
    default: Any = None


def _daemons_command() -> str:
    names = " ".join(DAEMONS)
    return (
        f"for d in {names}; do p=/var/run/ganeti/$d.pid; "
        'if [ -r "$p" ] && kill -0 "$(cat "$p")" 2>/dev/null; '
        'then echo "$d running"; else echo "$d stopped"; fi; done'
    )


def _bridges_command() -> str:
    return (
        'for b in /sys/class/net/*/bridge; do [ -d "$b" ] && '
        'echo "linux $(basename "$(dirname "$b")")"; done; '
        "command -v ovs-vsctl >/dev/null 2>&1 && "
        "ovs-vsctl --timeout=5 list-br 2>/dev/null | sed 's/^/ovs /'; true"
    )


def _os_command() -> str:
    dirs = " ".join(OS_SEARCH_PATH)
    return (
        f'for d in {dirs}; do for o in "$d"/*; do '
        '[ -x "$o/create" ] && echo "$o"; done; done 2>/dev/null; true'
    )


def _ssconf(name: str) -> str:
    path = f"{SSCONF_DIR}/ssconf_{name}"
    return f"cat {path} 2>/dev/null"


FACTS: tuple[Fact[Any], ...] = (
    Fact("hostname", "hostname", parsers.parse_first_line),
    Fact("fqdn", "hostname --fqdn", parsers.parse_first_line),
    Fact(
        "fqdn_addresses",
        'getent ahostsv4 "$(hostname --fqdn)"',
        parsers.parse_getent_hosts,
        default=(),
    ),
    Fact(
        "ganeti_version",
        # The Haskell confd answers in milliseconds; gnt-cluster takes half a second.
        "if command -v ganeti-confd >/dev/null 2>&1; then ganeti-confd --version | head -1; "
        "else gnt-cluster --version; fi",
        parsers.parse_ganeti_version,
    ),
    Fact("daemons", _daemons_command(), parsers.parse_daemons, default={}),
    Fact("bridges", _bridges_command(), parsers.parse_bridges, default=()),
    Fact(
        "volume_groups",
        "vgs --noheadings --units m --nosuffix --separator '|' -o vg_name,vg_size,vg_free",
        parsers.parse_vgs,
        default=(),
    ),
    Fact("drbd", "cat /proc/drbd", parsers.parse_proc_drbd),
    Fact(
        "drbd_usermode_helper",
        "cat /sys/module/drbd/parameters/usermode_helper",
        parsers.parse_first_line,
    ),
    Fact("os_providers", _os_command(), parsers.parse_os_providers, default=()),
    Fact("ssconf_master", _ssconf("master_node"), parsers.parse_ssconf_value),
    Fact("ssconf_cluster", _ssconf("cluster_name"), parsers.parse_ssconf_value),
    Fact("addresses", "ip -o -4 addr show", parsers.parse_addresses, default=()),
)

_BY_NAME = {fact.name: fact for fact in FACTS}


def resolve_fact(name: str) -> Fact[tuple[str, ...]]:
    """How ``name`` resolves on the node (IPv4, through NSS: /etc/hosts then DNS)."""
    return Fact(
        f"resolve:{name}",
        f"getent ahostsv4 {shlex.quote(name)}",
        parsers.parse_getent_hosts,
        default=(),
    )


@attrs.frozen
class NodeFacts:
    """What one node looks like, as far as running Ganeti on it is concerned."""

    host: str
    hostname: str | None = None
    fqdn: str | None = None
    fqdn_addresses: tuple[str, ...] = ()
    ganeti_version: str | None = None
    daemons: Mapping[str, bool] = attrs.field(factory=dict)
    bridges: tuple[Bridge, ...] = ()
    volume_groups: tuple[VolumeGroup, ...] = ()
    drbd: DrbdInfo | None = None
    drbd_usermode_helper: str | None = None
    os_providers: tuple[str, ...] = ()
    #: The master according to this node's ssconf (``None``: not in a cluster).
    ssconf_master: str | None = None
    ssconf_cluster: str | None = None
    addresses: tuple[InterfaceAddress, ...] = ()
    #: Extra names resolved on the node (see ``resolve=``), name → IPv4 addresses.
    resolved: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    #: Values of caller-defined facts (see ``extra=``), by fact name.
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    #: Facts that could not be read, name → why (``connect``: the node was not reached).
    problems: Mapping[str, str] = attrs.field(factory=dict)
    #: The node presented a host key other than the expected one (nothing ran on it).
    host_key_refused: bool = False
    duration: float = 0.0

    @property
    def reachable(self) -> bool:
        return "connect" not in self.problems

    @property
    def bridge_names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.bridges)

    @property
    def vg_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.volume_groups)

    def has_address(self, address: str) -> bool:
        return any(a.address == address for a in self.addresses)

    @property
    def running_daemons(self) -> tuple[str, ...]:
        return tuple(name for name, up in self.daemons.items() if up)


def facts_from_outputs(
    host: str,
    outputs: Mapping[str, tuple[str, int | None]],
    *,
    facts: Sequence[Fact[Any]] | None = None,
    duration: float = 0.0,
) -> NodeFacts:
    """Build ``NodeFacts`` from raw (stdout, exit status) per fact name. Pure.

    Facts missing from ``outputs`` keep their default; parse errors land in ``problems``.
    """
    chosen = list(facts) if facts is not None else list(FACTS)
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    resolved: dict[str, tuple[str, ...]] = {}
    problems: dict[str, str] = {}
    for fact in chosen:
        if fact.name not in outputs:
            continue
        stdout, status = outputs[fact.name]
        try:
            value = fact.parse(stdout, status)
        except (ValueError, IndexError) as exc:
            problems[fact.name] = f"cannot parse output: {exc}"
            value = fact.default
        if fact.name.startswith("resolve:"):
            resolved[fact.name.split(":", 1)[1]] = value
        elif fact.name in _BY_NAME:
            values[fact.name] = value
        else:
            extra[fact.name] = value
    return NodeFacts(
        host=host,
        resolved=resolved,
        extra=extra,
        problems=problems,
        duration=duration,
        **values,
    )


async def gather_facts(
    conn: Runner,
    host: str,
    *,
    names: Iterable[str] | None = None,
    resolve: Sequence[str] = (),
    extra: Sequence[Fact[Any]] = (),
    sessions: int = 4,
    timeout: float = 30.0,
) -> NodeFacts:
    """Read facts of one node, at most ``sessions`` commands at a time over its connection.

    ``names`` limits the facts read (default: all of :data:`FACTS`); ``resolve`` adds
    a resolution check of each given name; ``extra`` adds caller-defined facts, whose
    values land in ``NodeFacts.extra``.
    """
    chosen = [_BY_NAME[n] for n in names] if names is not None else list(FACTS)
    chosen += [resolve_fact(name) for name in resolve]
    chosen += list(extra)
    limit = asyncio.Semaphore(sessions)
    outputs: dict[str, tuple[str, int | None]] = {}
    errors: dict[str, str] = {}
    started = time.monotonic()

    async def one(fact: Fact[Any]) -> None:
        async with limit:
            result = await conn.run(fact.command, timeout=timeout)
        if result.error:
            errors[fact.name] = result.error
        else:
            outputs[fact.name] = (result.stdout, result.exit_status)

    await asyncio.gather(*(one(f) for f in chosen))
    facts = facts_from_outputs(host, outputs, facts=chosen, duration=time.monotonic() - started)
    if errors:
        facts = attrs.evolve(facts, problems={**facts.problems, **errors})
    return facts


async def gather_all(
    connections: Mapping[str, Runner],
    *,
    names: Iterable[str] | None = None,
    resolve: Sequence[str] = (),
    extra: Sequence[Fact[Any]] = (),
) -> dict[str, NodeFacts]:
    """Facts of every node at once (one task per node)."""
    wanted = list(names) if names is not None else None
    hosts = list(connections)
    gathered = await asyncio.gather(
        *(
            gather_facts(connections[h], h, names=wanted, resolve=resolve, extra=extra)
            for h in hosts
        )
    )
    return dict(zip(hosts, gathered, strict=True))
