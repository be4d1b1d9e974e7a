"""Many jobs at once: submit with back-pressure, watch them all with one query.

>>> async with AsyncRapiClient.from_context("lab") as client:       # doctest: +SKIP
...     work = {name: functools.partial(client.instances.startup, name) for name in names}
...     outcomes = await run_jobs(client, work, on_progress=print)

Waiting for each job with its own long poll holds one of the client's connections
per job: with a hundred jobs, submissions would queue behind the waits and Ganeti's
queue (20 jobs run at once by default) would starve. Here the submissions share the
client's connections (``max_connections``, below ganeti-rapi's 20 clients), at most
``max_in_flight`` jobs are unfinished at any time (back-pressure on the queue), and one
``PUT /2/query/job`` per interval reads the status of every unfinished job.

A failed job does not stop the others: each key gets an :class:`Outcome`, in the
order of the work given. A submission that fails (validation, HTTP error, a drained
queue) is an outcome too, with no job id: nothing was queued for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from ganetiops import errors
from ganetiops.rapi.jobs import check_result
from ganetiops.rapi.models.job import JobInfo

if TYPE_CHECKING:
    from ganetiops.rapi.client import AsyncRapiClient
    from ganetiops.rapi.jobs import AsyncJob

#: Fields the watcher reads per unfinished job (enough for :func:`check_result`).
WATCH_FIELDS: Final = ("id", "status", "opstatus", "opresult", "received_ts", "end_ts")
#: Jobs unfinished at once by default: twice Ganeti's default of 20 running jobs, so
#: the queue always has the next job ready, and bounded so that a 2,000-job fan-out
#: does not sit in the queue (and in its job files) all at once.
DEFAULT_IN_FLIGHT: Final = 40
#: Ids per status query: the filter grows with them, and a row per id comes back.
QUERY_CHUNK: Final = 200
#: Seconds the status queries may fail in a row before the fan-out gives up.
OUTAGE: Final = 120.0

Submit = Callable[[], Awaitable["AsyncJob"]]


@attrs.frozen
class Outcome:
    """What became of one piece of work."""

    key: str
    #: The job's id, ``None`` when the submission itself failed (nothing was queued).
    job_id: int | None
    #: Ganeti's final job status (``success``, ``error``, ``canceled``);
    #: ``not-submitted`` (refused before or by the server: no job), or ``unknown``:
    #: the deadline came first (``job_id`` set), or the answer to the submission was
    #: lost after it was sent (``job_id`` None: a job may exist; look before retrying).
    status: str
    error: errors.GanetiOpsError | None = None
    info: JobInfo | None = attrs.field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "success"


@attrs.frozen
class Progress:
    """Counts after each change, for a progress bar or a log line."""

    total: int
    submitted: int
    finished: int
    failed: int
    elapsed: float

    #: Jobs queued in Ganeti and not finished yet.
    running: int = 0

    def __str__(self) -> str:
        return (
            f"{self.finished}/{self.total} done, {self.failed} failed, "
            f"{self.running} running ({self.elapsed:.1f} s)"
        )


def _status_filter(ids: Iterable[int]) -> list[Any]:
    return ["|", *(["=", "id", job_id] for job_id in ids)]


async def run_jobs(
    client: AsyncRapiClient,
    work: Mapping[str, Submit] | Iterable[tuple[str, Submit]],
    *,
    max_in_flight: int = DEFAULT_IN_FLIGHT,
    interval: float = 0.5,
    timeout: float | None = None,
    on_progress: Callable[[Progress], Any] | None = None,
) -> list[Outcome]:
    """Run every job of ``work`` (key -> a callable submitting it) to its end.

    ``timeout`` (seconds) bounds the whole fan-out: work not submitted by then is not
    submitted; jobs still unfinished are reported ``unknown`` with their ids (they may
    still finish in Ganeti: look them up with ``client.job(id)``).
    """
    items = list(work.items() if isinstance(work, Mapping) else work)
    if max_in_flight < 1:
        raise errors.ValidationError("max_in_flight must be at least 1", field="max_in_flight")
    if interval <= 0:
        raise errors.ValidationError("interval must be positive", field="interval")
    keys = [key for key, _ in items]
    if len(set(keys)) != len(keys):
        raise errors.ValidationError("every piece of work needs its own key", field="work")

    started = time.monotonic()
    deadline = None if timeout is None else started + timeout
    outcomes: dict[str, Outcome] = {}
    running: dict[int, str] = {}  # job id -> key
    room = asyncio.Semaphore(max_in_flight)
    counts = {"submitted": 0, "failed": 0}
    changed = asyncio.Event()

    def report() -> None:
        if on_progress is not None:
            on_progress(
                Progress(
                    total=len(items),
                    submitted=counts["submitted"],
                    finished=len(outcomes),
                    failed=counts["failed"],
                    elapsed=time.monotonic() - started,
                    running=len(running),
                )
            )

    def finish(outcome: Outcome) -> None:
        outcomes[outcome.key] = outcome
        if not outcome.ok:
            counts["failed"] += 1
        report()

    async def submit(key: str, thunk: Submit) -> None:
        first_failure = None
        while True:
            try:
                job = await thunk()
                break
            except errors.GanetiOpsError as exc:
                # Nothing reached the server (a busy RAPI did not accept the connection
                # in time): safe to send again, for up to OUTAGE seconds.
                never_sent = (
                    isinstance(exc, errors.RapiConnectionError)
                    and not exc.sent
                    and not isinstance(exc, errors.CertificateError)
                )
                now = time.monotonic()
                first_failure = first_failure or now
                late = deadline is not None and now >= deadline
                if never_sent and not late and now - first_failure < OUTAGE:
                    await asyncio.sleep(min(2.0, interval * 4))
                    continue
                room.release()
                # A write whose answer was lost may have made a job: say so.
                lost = isinstance(exc, errors.RapiConnectionError) and exc.sent
                finish(Outcome(key, None, "unknown" if lost else "not-submitted", exc))
                return
        counts["submitted"] += 1
        running[job.id] = key
        changed.set()

    tasks: list[asyncio.Task[None]] = []

    async def submitter() -> None:
        for key, thunk in items:
            if deadline is not None:
                try:
                    await asyncio.wait_for(room.acquire(), max(deadline - time.monotonic(), 0))
                except TimeoutError:
                    break
            else:
                await room.acquire()
            tasks.append(asyncio.create_task(submit(key, thunk)))
        if tasks:
            await asyncio.gather(*tasks)

    outage: list[float] = []  # when the status queries began to fail, if they do

    async def watch_once() -> None:
        ids = sorted(running)
        for start in range(0, len(ids), QUERY_CHUNK):
            chunk = ids[start : start + QUERY_CHUNK]
            try:
                result = await client.query.query("job", WATCH_FIELDS, _status_filter(chunk))
            except (errors.RapiConnectionError, errors.RapiServerError) as exc:
                # A read: ride out a busy or restarting RAPI for up to OUTAGE seconds
                # (the jobs go on in Ganeti meanwhile), then give up loudly.
                if isinstance(exc, errors.CertificateError):
                    raise
                outage[:] = outage or [time.monotonic()]
                if time.monotonic() - outage[0] >= OUTAGE:
                    raise
                return
            outage.clear()
            for row in result.records():
                info = JobInfo.from_api(row)
                if not info.finalized or info.id not in running:
                    continue
                key = running.pop(info.id)
                room.release()
                try:
                    check_result(info)
                except errors.JobError as exc:
                    finish(Outcome(key, info.id, info.status or "error", exc, info))
                else:
                    finish(Outcome(key, info.id, "success", None, info))

    feeding = asyncio.create_task(submitter())
    try:
        while True:
            if running:
                await watch_once()
            if feeding.done() and not running:
                break
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            pause = interval if left is None else min(interval, left)
            if running:
                await asyncio.sleep(pause)
            else:  # nothing to watch yet: wake at the first submission
                changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), pause)
        # Submissions already sent finish (bounded by the client's timeouts), so that a
        # job they made is reported with its id, never lost; an unexpected error of a
        # submission surfaces here.
        await feeding
    finally:
        if not feeding.done():  # an error or a cancellation: stop every submission
            feeding.cancel()
            for task in tasks:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(feeding, *tasks, return_exceptions=True)
    for job_id, key in running.items():
        late = errors.JobTimeout(f"job {job_id} still unfinished at the deadline", job_id=job_id)
        outcomes[key] = Outcome(key=key, job_id=job_id, status="unknown", error=late)
    for key in keys:
        if key not in outcomes:
            late_submit = errors.GanetiOpsError(f"{key}: not submitted before the deadline")
            outcomes[key] = Outcome(key=key, job_id=None, status="not-submitted", error=late_submit)
    return [outcomes[key] for key in keys]
