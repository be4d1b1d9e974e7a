"""Synchronous use of the SSH room, for scripts and the sync RAPI transport.

The room is async first. Two ways to call it without ``async``:

* :func:`run_sync` — ``asyncio.run`` for one self-contained coroutine;
* :class:`LoopThread` — an event loop in a daemon thread that keeps connections open
  between calls; :class:`SyncNodes` and the sync tunnel transport are built on it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, Concatenate, ParamSpec, TypeVar

from ganetiops.ssh.connection import Host, SshSettings
from ganetiops.ssh.nodes import Nodes

__all__ = ["LoopThread", "SyncNodes", "run_sync"]

T = TypeVar("T")
P = ParamSpec("P")


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


def _blocking(
    method: Callable[Concatenate[Nodes, P], Awaitable[T]],
) -> Callable[Concatenate[SyncNodes, P], T]:
    """``Nodes.<method>`` for :class:`SyncNodes`: the same arguments, run on its loop
    thread, the result itself."""

    @functools.wraps(method)
    def blocking(self: SyncNodes, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._loop.call(method(self.nodes, *args, **kwargs))

    return blocking


class SyncNodes:
    """:class:`Nodes` for synchronous callers; connections live on a private loop thread."""

    def __init__(self, hosts: Iterable[Host], settings: SshSettings) -> None:
        self._loop = LoopThread()
        self.nodes = Nodes(hosts, settings)

    run = _blocking(Nodes.run)
    facts = _blocking(Nodes.facts)

    def close(self) -> None:
        try:
            self._loop.call(self.nodes.aclose(), timeout=15)
        finally:
            self._loop.stop()

    def __enter__(self) -> SyncNodes:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
