"""Run one action on many nodes: parallel with a limit, serial, or in batches.

Each host gets exactly one :class:`HostResult` (ok / changed / failed / skipped, exit
status, output, duration). ``max_fail_percent`` stops the run once too many hosts have
failed: hosts not yet started are reported ``skipped``; hosts already running finish.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

import attrs

from ganetiops.errors import GanetiOpsError, ValidationError

__all__ = ["HostResult", "Mode", "RunReport", "Status", "fan_out"]


class Status(enum.StrEnum):
    OK = "ok"
    CHANGED = "changed"
    FAILED = "failed"
    SKIPPED = "skipped"


class Mode(enum.StrEnum):
    #: Every host at once, at most ``concurrency`` at a time.
    PARALLEL = "parallel"
    #: One host after the other (a batch of one).
    SERIAL = "serial"
    #: ``batch_size`` hosts at a time; the next batch starts when the previous one is done.
    BATCH = "batch"


@attrs.frozen
class HostResult:
    """The outcome of an action on one host."""

    host: str
    status: Status
    exit_status: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    #: Why it failed or was skipped (no secrets: built from stderr and error names).
    error: str | None = None
    #: Whatever the action returned besides its status (parsed facts, for instance).
    value: Any = None

    @property
    def failed(self) -> bool:
        return self.status is Status.FAILED


@attrs.frozen
class RunReport:
    """One result per host, in the order the hosts were given."""

    results: tuple[HostResult, ...]
    stopped: bool = False
    reason: str | None = None

    def __iter__(self) -> Iterator[HostResult]:
        return iter(self.results)

    def __getitem__(self, host: str) -> HostResult:
        for result in self.results:
            if result.host == host:
                return result
        raise KeyError(host)

    @property
    def ok(self) -> bool:
        return not self.stopped and all(r.status in (Status.OK, Status.CHANGED) for r in self)

    @property
    def failed(self) -> tuple[HostResult, ...]:
        return tuple(r for r in self if r.status is Status.FAILED)

    @property
    def changed(self) -> tuple[HostResult, ...]:
        return tuple(r for r in self if r.status is Status.CHANGED)


Action = Callable[[str], Awaitable[HostResult]]


async def fan_out(
    hosts: Sequence[str],
    action: Action,
    *,
    mode: Mode | str = Mode.PARALLEL,
    concurrency: int = 10,
    batch_size: int | None = None,
    max_fail_percent: float | None = None,
) -> RunReport:
    """Run ``action(host)`` for every host and collect one result each.

    An exception escaping ``action`` becomes a failed result for that host (its type and
    message: ganetiops errors carry no secrets). ``max_fail_percent`` (0-100) stops
    starting new hosts once the failed share of *all* hosts exceeds it; ``0`` stops at
    the first failure.
    """
    mode = Mode(mode)
    if concurrency < 1:
        raise ValidationError("concurrency must be at least 1", field="concurrency")
    if max_fail_percent is not None and not 0 <= max_fail_percent <= 100:
        raise ValidationError("max_fail_percent must be within 0..100", field="max_fail_percent")
    if len(set(hosts)) != len(hosts):
        raise ValidationError("a host is listed twice", field="hosts")
    if mode is Mode.SERIAL:
        size = 1
    elif mode is Mode.BATCH:
        if not batch_size or batch_size < 1:
            raise ValidationError("batch mode needs batch_size >= 1", field="batch_size")
        size = batch_size
    else:
        size = max(len(hosts), 1)

    results: dict[str, HostResult] = {}
    stop = asyncio.Event()
    limit = asyncio.Semaphore(concurrency)
    total = len(hosts)

    def too_many_failures() -> bool:
        if max_fail_percent is None or total == 0:
            return False
        failed = sum(1 for r in results.values() if r.failed)
        return failed > 0 and 100.0 * failed / total > max_fail_percent

    async def one(host: str) -> None:
        async with limit:
            if stop.is_set():
                results[host] = HostResult(host, Status.SKIPPED, error="run stopped")
                return
            started = time.monotonic()
            try:
                result = await action(host)
            except (GanetiOpsError, OSError, TimeoutError) as exc:
                result = HostResult(
                    host,
                    Status.FAILED,
                    duration=time.monotonic() - started,
                    error=str(exc) or type(exc).__name__,
                )
            results[host] = result
            if too_many_failures():
                stop.set()

    for start in range(0, total, size):
        if stop.is_set():
            break
        await asyncio.gather(*(one(h) for h in hosts[start : start + size]))

    reason = None
    if stop.is_set():
        failed = sum(1 for r in results.values() if r.failed)
        reason = (
            f"stopped: {failed} of {total} hosts failed, more than the allowed "
            f"{max_fail_percent:g}%"
        )
    ordered = tuple(
        results.get(h) or HostResult(h, Status.SKIPPED, error="run stopped") for h in hosts
    )
    return RunReport(ordered, stopped=stop.is_set(), reason=reason)
