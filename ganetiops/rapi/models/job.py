"""Jobs as Ganeti reports them: status, per-opcode results, the log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import attrs

from ganetiops.rapi.models.base import Model, api, to_int, to_str_tuple, to_tuple

PENDING = frozenset({"queued", "waiting", "canceling"})
FINALIZED = frozenset({"success", "error", "canceled"})
ALL_STATUSES = PENDING | FINALIZED | {"running"}


def timestamp(value: Any) -> float:
    """Ganeti job times are ``[seconds, microseconds]``."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return float(value[0]) + float(value[1]) / 1e6
    return float(value)


class LogEntry(NamedTuple):
    """One line of a job's log: ``(serial, time, type, message)`` plus the job id."""

    job_id: int
    serial: int
    time: float
    type: str
    message: Any

    @classmethod
    def from_api(cls, job_id: int, entry: Any) -> LogEntry:
        serial, stamp, kind, message = entry
        return cls(job_id, int(serial), timestamp(stamp), str(kind), message)

    @property
    def text(self) -> str:
        return self.message if isinstance(self.message, str) else repr(self.message)


class OpError(NamedTuple):
    """Ganeti's encoded exception: ``["OpPrereqError", ["message", "wrong_state"]]``."""

    error_class: str
    message: str
    code: str | None

    @classmethod
    def from_api(cls, value: Any) -> OpError | None:
        if not (isinstance(value, list | tuple) and len(value) == 2 and isinstance(value[0], str)):
            return None
        error_class, args = value
        if isinstance(args, list | tuple):
            message = str(args[0]) if args else ""
            code = args[1] if len(args) > 1 and isinstance(args[1], str) else None
        else:
            message, code = str(args), None
        return cls(error_class, message, code)


class ChildJob(NamedTuple):
    """An entry of ``{"jobs": [[ok, id_or_error], ...]}`` in a job's result."""

    submitted: bool
    job_id: int | None
    error: str | None


@attrs.frozen(slots=False)
class JobInfo(Model):
    """``GET /2/jobs/<id>``: a job's status, opcodes, results and log."""

    id: int = api("id", to_int, default=0)
    status: str | None = api("status")
    summary: tuple[str, ...] = api("summary", to_str_tuple, factory=tuple)
    ops: tuple[Any, ...] = api("ops", to_tuple, factory=tuple)
    opstatus: tuple[str, ...] = api("opstatus", to_str_tuple, factory=tuple)
    opresult: tuple[Any, ...] = api("opresult", to_tuple, factory=tuple)
    oplog: tuple[Any, ...] = api("oplog", to_tuple, factory=tuple)
    received_ts: float | None = api("received_ts", timestamp)
    start_ts: float | None = api("start_ts", timestamp)
    end_ts: float | None = api("end_ts", timestamp)

    @property
    def exists(self) -> bool:
        """False for an unknown id (Ganeti 3.x answers 200 with null fields)."""
        return self.status is not None

    @property
    def finalized(self) -> bool:
        return self.status in FINALIZED

    @property
    def duration(self) -> float | None:
        if self.start_ts is None or self.end_ts is None:
            return None
        return self.end_ts - self.start_ts

    @property
    def error(self) -> OpError | None:
        """The first failed opcode's error (the cause, not "Preceding opcode failed")."""
        for status, result in zip(self.opstatus, self.opresult, strict=False):
            if status == "error":
                return OpError.from_api(result)
        return None

    @property
    def log(self) -> tuple[LogEntry, ...]:
        entries = []
        for per_op in self.oplog:
            for entry in per_op if isinstance(per_op, list | tuple) else ():
                try:
                    entries.append(LogEntry.from_api(self.id, entry))
                except (TypeError, ValueError):
                    continue
        return tuple(sorted(entries, key=lambda e: e.serial))

    @property
    def children(self) -> tuple[ChildJob, ...]:
        """Jobs this job submitted (node evacuate/migrate, multi-alloc...)."""
        found: list[ChildJob] = []
        for result in self.opresult:
            if isinstance(result, Mapping) and isinstance(result.get("jobs"), list):
                for entry in result["jobs"]:
                    if isinstance(entry, list | tuple) and len(entry) == 2:
                        ok, value = entry
                        if ok:
                            found.append(ChildJob(True, int(value), None))
                        else:
                            found.append(ChildJob(False, None, str(value)))
        return tuple(found)
