"""The two RAPI clients: :class:`RapiClient` (blocking) and :class:`AsyncRapiClient`.

Both execute the same operation definitions (:mod:`ganetiops.rapi.ops`); they
differ only in how they send a :class:`~ganetiops.rapi.call.Call`, sleep and
guard concurrency.

>>> with RapiClient("https://10.1.100.254:5080", user="gnt-py", password=pw,
...                 certificate_sha256="3F:A0:...") as client:       # doctest: +SKIP
...     job = client.instances.startup("navidrome.homelab.tel")
...     job.wait(on_log=print)
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx
import tenacity

from ganetiops import errors
from ganetiops.config import Context, load_config
from ganetiops.rapi.call import Call, ClusterFacts
from ganetiops.rapi.core import Budget, ClientCore, facts_from, should_retry
from ganetiops.rapi.jobs import AsyncJob, Job, Sleep, Step, info_call
from ganetiops.rapi.models.job import LogEntry
from ganetiops.rapi.namespace import Async, M, Sync
from ganetiops.rapi.ops import (
    Cluster,
    Filters,
    Groups,
    Instances,
    Jobs,
    Networks,
    Nodes,
    OperatingSystems,
    Query,
)
from ganetiops.rapi.writes import submit_flow

if TYPE_CHECKING:
    from ganetiops.config import Context

T = TypeVar("T")
R = TypeVar("R")

_INFO = Cluster.info  # the descriptor: builds the GET /2/info call for the facts cache


def _retry_policy(retries: int, call: Call[Any], budget: Budget) -> dict[str, Any]:
    """tenacity's options for one call: retry when it is safe and the call's shared
    deadline leaves time for it, backing off exponentially."""
    return {
        "stop": tenacity.stop_after_attempt(retries + 1),
        "wait": tenacity.wait_exponential(multiplier=0.2, max=2.0),
        "retry": tenacity.retry_if_exception(
            lambda exc: should_retry(call, exc) and not budget.exhausted(exc)
        ),
        "reraise": True,
    }


class _Namespaces(Generic[M]):
    """The resource namespaces of a client (``ClientCore.attach_namespaces`` sets them);
    ``M`` says how they answer: :class:`Sync` values or :class:`Async` awaitables."""

    cluster: Cluster[M]
    os: OperatingSystems[M]
    instances: Instances[M]
    nodes: Nodes[M]
    groups: Groups[M]
    networks: Networks[M]
    jobs: Jobs[M]
    query: Query[M]
    filters: Filters[M]


class RapiClient(ClientCore, _Namespaces[Sync]):
    """Blocking RAPI client on ``httpx.Client``. Thread-safe; use as a context manager.

    Credentials come from the arguments, else ``GANETIOPS_RAPI_USER`` and
    ``GANETIOPS_RAPI_PASSWORD``, else ``~/.netrc``. TLS is verified: pin the
    cluster's certificate with ``certificate_sha256=`` or ``ca_file=``
    (``insecure=True`` turns verification off, loudly). ``transport=`` takes
    any ``httpx.BaseTransport`` (e.g. the SSH tunnel of :mod:`ganetiops.ssh`).
    """

    def __init__(
        self, url: str, *, transport: httpx.BaseTransport | None = None, **options: Any
    ) -> None:
        super().__init__(url, **options)
        self._http = httpx.Client(**self.client_kwargs(transport))
        self._slots = threading.BoundedSemaphore(self.max_connections)
        self._facts_lock = threading.Lock()
        self.attach_namespaces()

    @classmethod
    def from_context(cls, context: Context | str | None = None, **overrides: Any) -> RapiClient:
        """A client for a configuration context (by name, or the current one)."""
        return cls(**_context_options(context, overrides))

    # --- executor ------------------------------------------------------------------
    def send(self, call: Call[T]) -> T:
        """Send one call (checking its preconditions first) and parse the answer."""
        if call.precondition is not None:
            call.precondition(self.facts())
        budget = self.budget(call)
        retrying = tenacity.Retrying(**_retry_policy(self.retries, call, budget))
        answer = retrying(self._send_once, call, budget)
        return self.parse_answer(call, answer)  # type: ignore[no-any-return]

    def submit(self, call: Call[int]) -> Job:
        """Send a job-submitting call exactly once; return the handle of the new job.

        A lost answer is reconciled by request id (:mod:`ganetiops.rapi.writes`);
        :class:`~ganetiops.errors.OutcomeUnknown` when the job cannot be found.
        """
        job_id = self.drive(submit_flow(call, window=self.lookup_window), None)
        return Job(self, job_id, call.result)

    def _send_once(self, call: Call[Any], budget: Budget | None = None) -> Any:
        with self._slots:
            try:
                response = self._http.request(**self.request_kwargs(call, budget))
            except httpx.HTTPError as exc:
                raise self.map_transport_error(call, exc) from exc
        return self.read_response(call, response)

    def facts(self, *, refresh: bool = False) -> ClusterFacts:
        """Version and enabled templates/hypervisors, cached for ``facts_ttl`` seconds."""
        with self._facts_lock:
            if refresh or time.monotonic() - self._facts_at > self.facts_ttl:
                self._facts = facts_from(self.cluster.info().raw)
                self._facts_at = time.monotonic()
            facts: ClusterFacts = self._facts
            return facts

    # --- jobs ------------------------------------------------------------------------
    def job(self, job_id: int) -> Job:
        """A handle for an existing job id (``client.job(42).wait()``)."""
        return Job(self, job_id)

    def drive(self, flow: Generator[Step, Any, R], on_log: Callable[[LogEntry], Any] | None) -> R:
        """Run a job flow to its end, sleeping and sending as it asks."""
        steps = self._run(flow)
        while True:
            try:
                entry = next(steps)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            if on_log is not None:
                on_log(entry)

    def iterate(self, flow: Generator[Step, Any, Any]) -> Iterator[LogEntry]:
        """Run a job flow, yielding its log entries as they come."""
        yield from self._run(flow)

    def _run(self, flow: Generator[Step, Any, R]) -> Generator[LogEntry, None, R]:
        """The one blocking loop behind :meth:`drive` and :meth:`iterate`: answer the
        flow's calls, sleep its sleeps, pass its log entries on; return its value."""
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = flow.throw(error) if error is not None else flow.send(reply)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            reply, error = None, None
            if isinstance(step, LogEntry):
                yield step
            elif isinstance(step, Sleep):
                time.sleep(step.seconds)
            else:
                try:
                    reply = self.send(step)
                except errors.GanetiOpsError as exc:
                    error = exc

    # --- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RapiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncRapiClient(ClientCore, _Namespaces[Async]):
    """Asyncio RAPI client on ``httpx.AsyncClient``; same namespaces, awaitable results.

    Concurrency is capped at ``max_connections`` (default 10) requests in flight,
    below ganeti-rapi's 20: more would be accepted and left unanswered.
    """

    def __init__(
        self, url: str, *, transport: httpx.AsyncBaseTransport | None = None, **options: Any
    ) -> None:
        super().__init__(url, **options)
        self._http = httpx.AsyncClient(**self.client_kwargs(transport))
        self._slots = asyncio.Semaphore(self.max_connections)
        self._facts_lock = asyncio.Lock()
        self.attach_namespaces()

    @classmethod
    def from_context(
        cls, context: Context | str | None = None, **overrides: Any
    ) -> AsyncRapiClient:
        return cls(**_context_options(context, overrides))

    async def send(self, call: Call[T]) -> T:
        if call.precondition is not None:
            call.precondition(await self.facts())
        budget = self.budget(call)
        retrying = tenacity.AsyncRetrying(**_retry_policy(self.retries, call, budget))
        value: Any = await retrying(self._send_once, call, budget)
        return self.parse_answer(call, value)  # type: ignore[no-any-return]

    async def submit(self, call: Call[int]) -> AsyncJob:
        loop_time = asyncio.get_running_loop().time
        flow = submit_flow(call, window=self.lookup_window, clock=loop_time)
        return AsyncJob(self, await self.drive(flow, None), call.result)

    async def _send_once(self, call: Call[Any], budget: Budget | None = None) -> Any:
        async with self._slots:
            try:
                response = await self._http.request(**self.request_kwargs(call, budget))
            except httpx.HTTPError as exc:
                raise self.map_transport_error(call, exc) from exc
        return self.read_response(call, response)

    async def facts(self, *, refresh: bool = False) -> ClusterFacts:
        async with self._facts_lock:
            if refresh or time.monotonic() - self._facts_at > self.facts_ttl:
                info = await self.cluster.info()
                self._facts = facts_from(info.raw)
                self._facts_at = time.monotonic()
            facts: ClusterFacts = self._facts
            return facts

    def job(self, job_id: int) -> AsyncJob:
        return AsyncJob(self, job_id)

    async def drive(
        self, flow: Generator[Step, Any, R], on_log: Callable[[LogEntry], Any] | None
    ) -> R:
        """Run a job flow to its end; ``on_log`` may be a coroutine function."""
        end: list[R] = []
        async for entry in self._run(flow, end):
            if on_log is not None:
                result = on_log(entry)
                if asyncio.iscoroutine(result):
                    await result
        return end[0]

    def iterate(self, flow: Generator[Step, Any, Any]) -> AsyncIterator[LogEntry]:
        """Run a job flow, yielding its log entries as they come."""
        return self._run(flow, [])

    async def _run(self, flow: Generator[Step, Any, R], end: list[R]) -> AsyncIterator[LogEntry]:
        """The one asyncio loop behind :meth:`drive` and :meth:`iterate` (an async
        generator cannot return, so the flow's value is appended to ``end``)."""
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = flow.throw(error) if error is not None else flow.send(reply)
            except StopIteration as stop:
                end.append(stop.value)
                return
            reply, error = None, None
            if isinstance(step, LogEntry):
                yield step
            elif isinstance(step, Sleep):
                await asyncio.sleep(step.seconds)
            else:
                try:
                    reply = await self.send(step)
                except errors.GanetiOpsError as exc:
                    error = exc

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncRapiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _context_options(context: Context | str | None, overrides: dict[str, Any]) -> dict[str, Any]:
    ctx = context if isinstance(context, Context) else load_config().context(context)
    if ctx.ssh is not None and "transport" not in overrides:
        raise errors.ConfigError(
            f"context {ctx.name!r} reaches RAPI through SSH; use ganetiops.connect({ctx.name!r})"
        )
    options: dict[str, Any] = {
        "url": ctx.url or "https://127.0.0.1:5080",
        "user": ctx.user,
        "password": ctx.resolve_password(),
        "certificate_sha256": ctx.certificate_sha256,
        "ca_file": ctx.ca_file,
        "tls_server_name": ctx.tls_server_name,
        "insecure": ctx.insecure,
        "connect_timeout": ctx.connect_timeout,
        "read_timeout": ctx.read_timeout,
        "max_connections": ctx.max_connections,
    }
    options.update(overrides)
    return options


__all__ = ["AsyncRapiClient", "RapiClient", "info_call"]
