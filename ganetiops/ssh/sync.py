"""Synchronous use of the SSH room, for scripts and the sync RAPI transport.

The room is async first. Two ways to call it without ``async``:

* :func:`run_sync` — ``asyncio.run`` for one self-contained coroutine;
* :class:`LoopThread` — an event loop in a daemon thread that keeps connections open
  between calls; :class:`SyncNodes` and the sync tunnel transport are built on it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Coroutine, Iterable, Sequence
from types import TracebackType
from typing import Any, TypeVar

from ganetiops.config.secrets import Secret
from ganetiops.ssh.connection import Host, SshSettings
from ganetiops.ssh.facts import NodeFacts
from ganetiops.ssh.fanout import Mode, RunReport
from ganetiops.ssh.nodes import Nodes

__all__ = ["LoopThread", "SyncNodes", "run_sync"]

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code (no running loop allowed)."""
    return asyncio.run(coro)


class LoopThread:
    """An asyncio event loop running in its own daemon thread."""

    def __init__(self, name: str = "ganetiops-ssh") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, awaitable: Awaitable[T], timeout: float | None = None) -> T:
        """Run ``awaitable`` on the loop and wait for its result from this thread."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("LoopThread.call from its own loop would deadlock")

        async def wrap() -> T:
            return await awaitable

        future = asyncio.run_coroutine_threadsafe(wrap(), self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError("operation on the SSH loop timed out") from None

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        if not self._thread.is_alive():
            self.loop.close()


class SyncNodes:
    """:class:`Nodes` for synchronous callers; connections live on a private loop thread."""

    def __init__(self, hosts: Iterable[Host], settings: SshSettings) -> None:
        self._loop = LoopThread()
        self.nodes = Nodes(hosts, settings)

    def run(
        self,
        command: str,
        *,
        hosts: Sequence[str] | None = None,
        input: str | bytes | Secret | None = None,
        mode: Mode | str = Mode.PARALLEL,
        concurrency: int = 10,
        batch_size: int | None = None,
        max_fail_percent: float | None = None,
    ) -> RunReport:
        return self._loop.call(
            self.nodes.run(
                command,
                hosts=hosts,
                input=input,
                mode=mode,
                concurrency=concurrency,
                batch_size=batch_size,
                max_fail_percent=max_fail_percent,
            )
        )

    def facts(
        self, *, hosts: Sequence[str] | None = None, resolve: Sequence[str] = ()
    ) -> dict[str, NodeFacts]:
        return self._loop.call(self.nodes.facts(hosts=hosts, resolve=resolve))

    def close(self) -> None:
        try:
            self._loop.call(self.nodes.aclose(), timeout=15)
        finally:
            self._loop.stop()

    def __enter__(self) -> SyncNodes:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
