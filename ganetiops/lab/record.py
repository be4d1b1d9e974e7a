"""The lab's record: everything ``up`` created, written as it is created.

One JSON file per lab, ``<state dir>/lab.json``. ``up`` notes each host resource
(route, namespace, veth, process, context) *before or right after* creating it and
rewrites the file atomically each time, so that ``down`` can undo exactly what exists,
also after an ``up`` that failed half-way or a crash. Mounts happen inside the lab's
private mount namespaces and vanish with them; they are listed for inspection.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Final, TypeVar

import attrs

from ganetiops.errors import LabError

FORMAT: Final = 1
_T = TypeVar("_T")

#: Lifecycle of a record: ``creating`` while ``up`` runs, ``up`` when done,
#: ``failed`` when ``up`` stopped on an error, ``removing`` while ``down`` runs.
PHASES: Final = ("creating", "up", "failed", "removing")


@attrs.frozen
class ProcessEntry:
    """A process the lab started, identified by PID *and* kernel start time."""

    pid: int
    #: Field 22 of /proc/PID/stat (clock ticks after boot): a reused PID differs here.
    start_time: int
    machine: str
    role: str


@attrs.frozen
class RouteEntry:
    """A host route the lab added (``ip route add <kind> <dest> metric <metric>``)."""

    dest: str
    kind: str
    metric: int


@attrs.frozen
class ContextEntry:
    """The ganetiops configuration context the lab wrote."""

    name: str
    config_path: str
    url: str


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


@attrs.define
class LabRecord:
    """The in-memory record; every mutator saves the file before returning."""

    path: Path
    name: str
    slot: int
    options: dict[str, Any] = attrs.field(factory=dict)
    phase: str = "creating"
    created: str = attrs.field(factory=_now)
    netns: list[str] = attrs.field(factory=list)
    links: list[str] = attrs.field(factory=list)
    routes: list[RouteEntry] = attrs.field(factory=list)
    processes: list[ProcessEntry] = attrs.field(factory=list)
    mounts: dict[str, list[str]] = attrs.field(factory=dict)
    context: ContextEntry | None = None
    facts: dict[str, Any] | None = None
    error: str | None = None
    _lock: threading.Lock = attrs.field(factory=threading.Lock, eq=False, repr=False)

    @property
    def node_count(self) -> int:
        """How many Ganeti nodes the lab was made with (four in records before ``nodes``)."""
        value = self.options.get("nodes", 4)
        return value if isinstance(value, int) and not isinstance(value, bool) else 4

    # -- persistence -------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The record as written to disk."""
        return {
            "format": FORMAT,
            "name": self.name,
            "slot": self.slot,
            "options": self.options,
            "phase": self.phase,
            "created": self.created,
            "netns": self.netns,
            "links": self.links,
            "routes": [attrs.asdict(r) for r in self.routes],
            "processes": [attrs.asdict(p) for p in self.processes],
            "mounts": self.mounts,
            "context": attrs.asdict(self.context) if self.context else None,
            "facts": self.facts,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, path: Path, raw: dict[str, Any]) -> LabRecord:
        """Parse a record written by :meth:`to_json`."""
        if raw.get("format") != FORMAT:
            raise LabError(f"{path}: unknown lab record format {raw.get('format')!r}")
        try:
            context = raw.get("context")
            return cls(
                path=path,
                name=str(raw["name"]),
                slot=int(raw["slot"]),
                options=dict(raw.get("options", {})),
                phase=str(raw["phase"]),
                created=str(raw["created"]),
                netns=[str(n) for n in raw.get("netns", [])],
                links=[str(n) for n in raw.get("links", [])],
                routes=[RouteEntry(**r) for r in raw.get("routes", [])],
                processes=[ProcessEntry(**p) for p in raw.get("processes", [])],
                mounts={str(k): [str(m) for m in v] for k, v in raw.get("mounts", {}).items()},
                context=ContextEntry(**context) if context else None,
                facts=raw.get("facts"),
                error=raw.get("error"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise LabError(f"{path}: damaged lab record ({exc})") from None

    @classmethod
    def load(cls, path: Path) -> LabRecord | None:
        """Read the record, or ``None`` when there is none."""
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, json.JSONDecodeError) as exc:
            raise LabError(f"{path}: unreadable lab record ({exc})") from None
        if not isinstance(raw, dict):
            raise LabError(f"{path}: damaged lab record (not an object)")
        return cls.from_json(path, raw)

    def save(self) -> None:
        """Write the record atomically (a reader never sees half a file)."""
        with self._lock:
            self._save_locked()

    def _save_locked(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".lab-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(self.to_json(), handle, indent=2, sort_keys=True)
                handle.write("\n")
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # -- mutators (thread-safe: machines are prepared in parallel) ----------------------

    def set_phase(self, phase: str, *, error: str | None = None) -> None:
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}")
        with self._lock:
            self.phase = phase
            self.error = error
            self._save_locked()

    def _add_unique(self, items: list[_T], item: _T) -> None:
        with self._lock:
            if item not in items:
                items.append(item)
            self._save_locked()

    def add_netns(self, name: str) -> None:
        self._add_unique(self.netns, name)

    def add_link(self, name: str) -> None:
        self._add_unique(self.links, name)

    def add_route(self, route: RouteEntry) -> None:
        self._add_unique(self.routes, route)

    def add_process(self, process: ProcessEntry) -> None:
        with self._lock:
            self.processes.append(process)
            self._save_locked()

    def set_mounts(self, machine: str, targets: list[str]) -> None:
        with self._lock:
            self.mounts[machine] = list(targets)
            self._save_locked()

    def set_context(self, context: ContextEntry | None) -> None:
        with self._lock:
            self.context = context
            self._save_locked()

    def set_facts(self, facts: dict[str, Any]) -> None:
        with self._lock:
            self.facts = facts
            self._save_locked()

    def processes_of(self, machine: str, role: str | None = None) -> list[ProcessEntry]:
        """The recorded processes of one machine (optionally of one role)."""
        with self._lock:
            return [
                p
                for p in self.processes
                if p.machine == machine and (role is None or p.role == role)
            ]


def recorded_process(record: LabRecord | None, lab: str, machine: str, role: str) -> ProcessEntry:
    """The first process of ``role`` that ``record`` holds for ``machine`` (its namespace
    holder, its VM); :class:`LabError` when there is none: lab ``lab`` is not up."""
    entries = record.processes_of(machine, role) if record else []
    if not entries:
        raise LabError(f"lab {lab} is not up")
    return entries[0]
