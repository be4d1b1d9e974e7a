"""httpcore network streams over SSH direct-tcpip channels (no local listening port).

httpcore talks to a "network backend" that opens byte streams; here a stream is an
SSH channel to the master's ``127.0.0.1:5080``, and TLS is layered on it by anyio's
``TLSStream`` exactly as httpcore does on a socket. The sync variants run the async
ones on a :class:`~ganetiops.ssh.sync.LoopThread`.
"""

from __future__ import annotations

import contextlib
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

import anyio
import anyio.abc
import anyio.streams.tls
import asyncssh
import httpcore

from ganetiops.ssh.sync import LoopThread

__all__ = ["AsyncChannelStream", "ChannelByteStream", "SyncChannelStream"]

ChannelOpener = Callable[[float | None], Awaitable["ChannelByteStream"]]


class ChannelByteStream(anyio.abc.ByteStream):
    """An anyio byte stream over an asyncssh (reader, writer) pair in binary mode."""

    def __init__(
        self, reader: asyncssh.SSHReader[bytes], writer: asyncssh.SSHWriter[bytes]
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._closed = False

    async def receive(self, max_bytes: int = 65536) -> bytes:
        if self._closed:
            raise anyio.ClosedResourceError
        try:
            data = await self._reader.read(max_bytes)
        except (asyncssh.Error, OSError) as exc:
            raise anyio.BrokenResourceError from exc
        if not data:
            raise anyio.EndOfStream
        return data

    async def send(self, item: bytes) -> None:
        if self._closed:
            raise anyio.ClosedResourceError
        try:
            self._writer.write(item)
            await self._writer.drain()
        except (asyncssh.Error, OSError, BrokenPipeError) as exc:
            raise anyio.BrokenResourceError from exc

    async def send_eof(self) -> None:
        with contextlib.suppress(asyncssh.Error, OSError):
            self._writer.write_eof()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._writer.close()
        with contextlib.suppress(asyncssh.Error, OSError):
            await self._writer.wait_closed()


@contextlib.contextmanager
def _mapped(mapping: dict[type[BaseException], type[Exception]]) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for source, target in mapping.items():
            if isinstance(exc, source):
                raise target(str(exc) or type(exc).__name__) from exc
        raise


class AsyncChannelStream(httpcore.AsyncNetworkStream):
    """httpcore's async stream interface over an anyio byte stream (plain or TLS)."""

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _mapped(
            {
                TimeoutError: httpcore.ReadTimeout,
                anyio.BrokenResourceError: httpcore.ReadError,
                anyio.ClosedResourceError: httpcore.ReadError,
            }
        ):
            with anyio.fail_after(timeout):
                try:
                    return await self._stream.receive(max_bytes)
                except anyio.EndOfStream:
                    return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        with _mapped(
            {
                TimeoutError: httpcore.WriteTimeout,
                anyio.BrokenResourceError: httpcore.WriteError,
                anyio.ClosedResourceError: httpcore.WriteError,
            }
        ):
            with anyio.fail_after(timeout):
                await self._stream.send(buffer)

    async def aclose(self) -> None:
        with contextlib.suppress(Exception):
            await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with _mapped(
                {
                    TimeoutError: httpcore.ConnectTimeout,
                    anyio.BrokenResourceError: httpcore.ConnectError,
                    anyio.EndOfStream: httpcore.ConnectError,
                    ssl.SSLError: httpcore.ConnectError,
                }
            ):
                with anyio.fail_after(timeout):
                    tls = await anyio.streams.tls.TLSStream.wrap(
                        self._stream,
                        server_side=False,
                        hostname=server_hostname,
                        ssl_context=ssl_context,
                        standard_compatible=False,
                    )
        except BaseException:
            await self.aclose()
            raise
        return AsyncChannelStream(tls)

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return self._stream.extra(anyio.streams.tls.TLSAttribute.ssl_object, None)  # noqa: S610
        return None


class AsyncChannelBackend(httpcore.AsyncNetworkBackend):
    """Every "TCP connection" httpcore asks for becomes a channel opened by ``opener``.

    The host and port of the request URL are ignored: the channel always goes to the
    RAPI port on the current master's loopback.
    """

    def __init__(self, opener: ChannelOpener) -> None:
        self._opener = opener

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return AsyncChannelStream(await self._opener(timeout))

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - never asked for
        raise httpcore.ConnectError("unix sockets are not tunnelled")

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


class SyncChannelStream(httpcore.NetworkStream):
    """The sync face of an :class:`AsyncChannelStream` living on a loop thread."""

    def __init__(self, loop: LoopThread, stream: httpcore.AsyncNetworkStream) -> None:
        self._loop = loop
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._loop.call(self._stream.read(max_bytes, timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._loop.call(self._stream.write(buffer, timeout))

    def close(self) -> None:
        self._loop.call(self._stream.aclose(), timeout=10)

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        tls = self._loop.call(self._stream.start_tls(ssl_context, server_hostname, timeout))
        return SyncChannelStream(self._loop, tls)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class SyncChannelBackend(httpcore.NetworkBackend):
    """The sync backend: opens channels on the loop thread, hands back sync streams."""

    def __init__(self, loop: LoopThread, opener: ChannelOpener) -> None:
        self._loop = loop
        self._async = AsyncChannelBackend(opener)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._loop.call(self._async.connect_tcp(host, port, timeout))
        return SyncChannelStream(self._loop, stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:  # pragma: no cover - never asked for
        raise httpcore.ConnectError("unix sockets are not tunnelled")

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore retries only
        time.sleep(seconds)
