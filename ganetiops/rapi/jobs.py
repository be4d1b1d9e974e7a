"""Ganeti jobs as first-class objects.

Waiting is written once, as a generator (:func:`wait_flow`) that yields what it
needs done (a :class:`~ganetiops.rapi.call.Call` to send, a :class:`Sleep`, or
a :class:`~ganetiops.rapi.models.LogEntry` to report) and receives the answers.
:class:`Job` drives it with blocking I/O, :class:`AsyncJob` with ``await``.

The flow long-polls ``GET /2/jobs/<id>/wait`` (the server answers as soon as
the status or the log changes, at once for a finished job, after at most about
10 s otherwise). A read-only user gets 403 there; the flow then falls back to
polling ``GET /2/jobs/<id>`` with an adaptive interval. When the job finished
with child jobs (node evacuate, node migrate, multi-alloc), it follows them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import attrs

from ganetiops import errors
from ganetiops.rapi.call import Call, Params, Route, build_call, master_unreachable
from ganetiops.rapi.models.job import JobInfo, LogEntry
from ganetiops.rapi.models.misc import parse_cancel

if TYPE_CHECKING:
    from ganetiops.rapi.client import AsyncRapiClient, RapiClient

#: Seconds the server holds a ``/wait`` request when nothing changes (``_WFJC_TIMEOUT``).
SERVER_WAIT = 10.0

_WAIT_ROUTE = Route("GET", "/2/jobs/{job_id}/wait")
_INFO_ROUTE = Route("GET", "/2/jobs/{job_id}")


@attrs.frozen
class Sleep:
    """A step of the flow: pause this long."""

    seconds: float


@attrs.frozen
class Polling:
    """How to poll when long-polling is not allowed: start fast, slow down."""

    first: float = 0.05
    factor: float = 1.5
    maximum: float = 2.0
    #: Seconds a wait rides out an unreachable RAPI (daemon restart, master failover,
    #: a cut link) before it raises; the job runs on regardless.
    outage: float = 60.0

    def intervals(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * self.factor, self.maximum)


Step = Call[Any] | Sleep | LogEntry


def info_call(job_id: int) -> Call[JobInfo]:
    return build_call(_INFO_ROUTE, {"job_id": job_id}, Params(parse=JobInfo.from_api), reason=None)


#: What each long poll asks for: enough to finish without another request once the
#: job is final (the log arrives as ``log_entries``, so ``oplog`` is not asked for).
WAIT_FIELDS = (
    "id",
    "status",
    "opstatus",
    "opresult",
    "summary",
    "received_ts",
    "start_ts",
    "end_ts",
)


def wait_call(
    job_id: int, previous: list[Any] | None, serial: int | None, read_timeout: float
) -> Call[Any]:
    body = {
        "fields": list(WAIT_FIELDS),
        "previous_job_info": previous,
        "previous_log_serial": serial,
    }
    call: Call[Any] = build_call(_WAIT_ROUTE, {"job_id": job_id}, Params(body=body), reason=None)
    return attrs.evolve(call, read_timeout=read_timeout)


def _outage_step(
    exc: errors.GanetiOpsError,
    since: float | None,
    now: float,
    polling: Polling,
    deadline: float | None,
) -> tuple[float, Sleep]:
    """Ride out a RAPI that cannot be reached: ``(outage start, pause)``, or re-raise
    ``exc`` once the outage has lasted ``polling.outage`` seconds or cannot pass."""
    transient = isinstance(exc, errors.RapiConnectionError) and not isinstance(
        exc, errors.CertificateError
    )
    if isinstance(exc, errors.RapiServerError):
        transient = master_unreachable(exc) or exc.status in (502, 503, 504)
    start = now if since is None else since
    if not transient or now - start >= polling.outage:
        raise exc
    pause = min(0.5 * 2 ** min(int(now - start), 3), 2.0)
    if deadline is not None:
        pause = max(min(pause, deadline - now), 0.0)
    return start, Sleep(pause)


@attrs.define
class _WaitState:
    """Per-flow memory: whether /wait is allowed, and the log position per job."""

    long_poll: bool = True
    serials: dict[int, int] = attrs.field(factory=dict)


def wait_flow(
    job_id: int,
    *,
    deadline: float | None,
    clock: Callable[[], float] = time.monotonic,
    polling: Polling = Polling(),
    state: _WaitState | None = None,
) -> Generator[Step, Any, JobInfo]:
    """Wait until the job is finalized; return its final :class:`JobInfo`.

    Yields log entries as they appear. ``deadline`` is a ``clock()`` value.
    Raises :class:`~ganetiops.errors.JobTimeout` at the deadline and
    :class:`~ganetiops.errors.JobNotFound` for an unknown id; does not raise
    for a failed job (the caller decides, see :func:`check_result`).
    """
    state = state or _WaitState()
    previous: list[Any] | None = None
    seen: list[Any] = []  # raw log entries the long poll delivered
    status = "pending"
    intervals = polling.intervals()
    outage: float | None = None  # clock() when RAPI stopped answering
    while True:  # returns the final info from inside
        remaining = None if deadline is None else deadline - clock()
        if remaining is not None and remaining <= 0:
            raise errors.JobTimeout(
                f"job {job_id} still {status} at the deadline",
                job_id=job_id,
            )
        if state.long_poll:
            read_timeout = SERVER_WAIT + 5.0
            if remaining is not None:
                read_timeout = min(read_timeout, remaining + 0.5)
            try:
                answer = yield wait_call(job_id, previous, state.serials.get(job_id), read_timeout)
            except errors.RapiForbiddenError:
                state.long_poll = False  # a read-only user: poll instead
                continue
            except errors.RapiServerError as exc:
                if "load job file" in exc.message:
                    raise errors.JobNotFound(f"job {job_id} is unknown", job_id=job_id) from None
                outage, pause = _outage_step(exc, outage, clock(), polling, deadline)
                yield pause
                continue
            except errors.RapiConnectionError as exc:
                if remaining is not None and deadline is not None and clock() >= deadline:
                    continue  # our own deadline cut the long poll: report JobTimeout above
                outage, pause = _outage_step(exc, outage, clock(), polling, deadline)
                yield pause
                continue
            outage = None
            if answer is None:  # documented "no change" (3.x never sends it)
                continue
            for raw in answer.get("log_entries") or ():
                entry = LogEntry.from_api(job_id, raw)
                state.serials[job_id] = max(state.serials.get(job_id, -1), entry.serial)
                seen.append(raw)
                yield entry
            previous = list(answer.get("job_info") or [])
            current = JobInfo.from_api(dict(zip(WAIT_FIELDS, previous, strict=False)))
            status = current.status or status
            if current.status is None:
                probe: JobInfo = yield info_call(job_id)
                if not probe.exists:
                    raise errors.JobNotFound(f"job {job_id} is unknown", job_id=job_id)
                state.long_poll = False  # an answer without a status: poll instead
                continue
            if current.finalized:
                # Final: every log line came with the answers. The long poll does not
                # say which opcode wrote which line, so the log seen by this wait is
                # kept as one group (``job.info()`` has Ganeti's per-opcode oplog).
                return attrs.evolve(current, oplog=(tuple(seen),)) if seen else current
        else:
            try:
                polled: JobInfo = yield info_call(job_id)
            except (errors.RapiConnectionError, errors.RapiServerError) as exc:
                outage, pause = _outage_step(exc, outage, clock(), polling, deadline)
                yield pause
                continue
            outage = None
            if not polled.exists:
                raise errors.JobNotFound(f"job {job_id} is unknown", job_id=job_id)
            for entry in polled.log:
                if entry.serial > state.serials.get(job_id, -1):
                    state.serials[job_id] = entry.serial
                    yield entry
            status = polled.status or status
            if polled.finalized:
                return polled
            delay = next(intervals)
            if remaining is not None:
                delay = min(delay, max(remaining, 0.0))
            yield Sleep(delay)


@attrs.frozen
class JobResult:
    """A finished job: its final info, the result of its opcodes, its children."""

    info: JobInfo
    value: Any
    children: tuple[JobInfo, ...] = ()

    @property
    def id(self) -> int:
        return self.info.id

    def _repr_html_(self) -> str:
        """Jupyter display, drawn by :mod:`ganetiops.display` (imported only here)."""
        from ganetiops.display.html import job_result_html

        return job_result_html(self)


def check_result(info: JobInfo) -> None:
    """Raise the typed error for a job that did not succeed."""
    if info.status == "success":
        return
    if info.status == "canceled":
        raise errors.JobCanceled(f"job {info.id} was canceled", job_id=info.id, job=info)
    failure = info.error
    if failure is None:
        raise errors.JobFailed(
            job_id=info.id,
            error_class="UnknownError",
            error_message=f"job ended with status {info.status}",
            error_code=None,
            job=info,
        )
    raise errors.JobFailed(
        job_id=info.id,
        error_class=failure.error_class,
        error_message=failure.message,
        error_code=failure.code,
        job=info,
    )


def _finish(
    info: JobInfo,
    children: list[JobInfo],
    result_parse: Callable[[Any], Any],
) -> JobResult:
    check_result(info)
    for child in children:
        check_result(child)
    for spawned in info.children:
        if not spawned.submitted:
            raise errors.JobFailed(
                job_id=info.id,
                error_class="SubmitError",
                error_message=f"a child job could not be submitted: {spawned.error}",
                error_code=None,
                job=info,
            )
    first = info.opresult[0] if info.opresult else None
    return JobResult(info=info, value=result_parse(first), children=tuple(children))


def _collect_children(
    job_id: int, deadline: float | None, polling: Polling, follow: bool, clock: Callable[[], float]
) -> Generator[Step, Any, tuple[JobInfo, list[JobInfo]]]:
    """Wait for the job and, with ``follow``, every job it spawned (breadth first)."""
    state = _WaitState()
    root = yield from wait_flow(
        job_id, deadline=deadline, clock=clock, polling=polling, state=state
    )
    children: list[JobInfo] = []
    pending = list(root.children) if follow and root.status == "success" else []
    while pending:
        child = pending.pop(0)
        if child.job_id is None:
            continue
        info = yield from wait_flow(
            child.job_id, deadline=deadline, clock=clock, polling=polling, state=state
        )
        children.append(info)
        if info.status == "success":
            pending.extend(info.children)
    return root, children


class _JobBase:
    """What both job handles share: identity, the result reader and the wait flow
    (each handle only runs it with its own I/O: ``client.drive`` / ``client.iterate``)."""

    _client: RapiClient | AsyncRapiClient

    def __init__(self, job_id: int, result_parse: Callable[[Any], Any] | None = None) -> None:
        self.id = int(job_id)
        self._result_parse = result_parse or (lambda value: value)

    def _flow(
        self,
        timeout: float | None,
        follow: bool,
        polling: Polling | None,
        clock: Callable[[], float],
    ) -> Generator[Step, Any, tuple[JobInfo, list[JobInfo]]]:
        deadline = None if timeout is None else clock() + timeout
        return _collect_children(self.id, deadline, polling or self._client.polling, follow, clock)

    def _result(self, outcome: tuple[JobInfo, list[JobInfo]]) -> JobResult:
        root, children = outcome
        return _finish(root, children, self._result_parse)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"

    def _repr_html_(self) -> str:
        """Jupyter display (no request sent), drawn by :mod:`ganetiops.display`."""
        from ganetiops.display.html import job_html

        return job_html(self)

    def __int__(self) -> int:
        return self.id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _JobBase) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


class Job(_JobBase):
    """A submitted Ganeti job (sync). ``job.wait()`` blocks until it is done.

    >>> job = client.instances.startup("web1")        # doctest: +SKIP
    >>> job.wait(timeout=300, on_log=print).value     # doctest: +SKIP
    """

    _client: RapiClient

    def __init__(
        self, client: RapiClient, job_id: int, result_parse: Callable[[Any], Any] | None = None
    ) -> None:
        super().__init__(job_id, result_parse)
        self._client = client

    def info(self) -> JobInfo:
        """The job as Ganeti reports it now."""
        return self._client.send(info_call(self.id))

    def cancel(self) -> tuple[bool, str]:
        """Ask Ganeti to cancel the job: ``(success, message)``."""
        return self._client.jobs.cancel(self.id)

    def wait(
        self,
        timeout: float | None = None,
        *,
        on_log: Callable[[LogEntry], Any] | None = None,
        follow: bool = True,
        polling: Polling | None = None,
    ) -> JobResult:
        """Wait for the job (and, with ``follow``, the jobs it spawned).

        Returns a :class:`JobResult`; raises :class:`~ganetiops.errors.JobFailed`,
        :class:`~ganetiops.errors.JobCanceled` or :class:`~ganetiops.errors.JobTimeout`
        (the job keeps running on the cluster).
        """
        flow = self._flow(timeout, follow, polling, time.monotonic)
        return self._result(self._client.drive(flow, on_log))

    def result(self, timeout: float | None = None) -> Any:
        """Wait, then return the result of the job's (first) opcode."""
        return self.wait(timeout).value

    def logs(self, timeout: float | None = None, *, follow: bool = True) -> Iterator[LogEntry]:
        """Iterate over log entries as Ganeti writes them, until the job ends.

        Does not raise for a failed job; call :meth:`wait` afterwards for the outcome
        (it returns at once).
        """
        return self._client.iterate(self._flow(timeout, follow, None, time.monotonic))


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


class AsyncJob(_JobBase):
    """A submitted Ganeti job (async): ``await job.wait()``, ``async for e in job.logs()``."""

    _client: AsyncRapiClient

    def __init__(
        self,
        client: AsyncRapiClient,
        job_id: int,
        result_parse: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(job_id, result_parse)
        self._client = client

    async def info(self) -> JobInfo:
        info: JobInfo = await self._client.send(info_call(self.id))
        return info

    async def cancel(self) -> tuple[bool, str]:
        return await self._client.jobs.cancel(self.id)

    async def wait(
        self,
        timeout: float | None = None,
        *,
        on_log: Callable[[LogEntry], Any] | None = None,
        follow: bool = True,
        polling: Polling | None = None,
    ) -> JobResult:
        flow = self._flow(timeout, follow, polling, asyncio.get_running_loop().time)
        return self._result(await self._client.drive(flow, on_log))

    async def result(self, timeout: float | None = None) -> Any:
        return (await self.wait(timeout)).value

    def logs(self, timeout: float | None = None, *, follow: bool = True) -> AsyncIterator[LogEntry]:
        return self._client.iterate(self._flow(timeout, follow, None, _loop_time))


__all__ = [
    "AsyncJob",
    "Job",
    "JobResult",
    "Polling",
    "Sleep",
    "check_result",
    "info_call",
    "parse_cancel",
    "wait_call",
    "wait_flow",
]
