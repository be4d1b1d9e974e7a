"""RAPI through SSH: httpx transports whose connections are channels to the master.

The RAPI daemon of the homelab listens only on the current master's loopback
(``-b 127.0.0.1``). :class:`MasterTunnel` finds the master from any reachable node
(its ssconf, ``/var/lib/ganeti/ssconf_master_node``), keeps one SSH connection to it
and opens one direct-tcpip channel to ``127.0.0.1:5080`` per HTTP connection — no
local port is listened on. When the master refuses the channel (RAPI stopped there
after ``gnt-cluster master-failover``) or cannot be reached, the tunnel asks the
nodes again and the request is retried once on the new master: that is safe because
the request had not been sent.

The RAPI clients see only standard httpx transports::

    transport = AsyncRapiTunnelTransport.from_ssh_via(context.ssh, ssl_context=pinned)
    client = AsyncRapiClient(url, user=..., password=..., transport=transport)

TLS is still end to end between the client and ganeti-rapi: the SSH layer carries
bytes only, and ``ssl_context`` (the pinned RAPI certificate) is what verifies them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, Self

import asyncssh
import httpcore
import httpx

from ganetiops.config import Context, SshVia
from ganetiops.errors import ConfigError, SshError
from ganetiops.ssh._streams import (
    AsyncChannelBackend,
    ChannelByteStream,
    SyncChannelBackend,
)
from ganetiops.ssh.connection import Host, SshSettings
from ganetiops.ssh.nodes import Nodes, find_master, parse_master_ssconf, settings_from_ssh_via
from ganetiops.ssh.sync import LoopThread

__all__ = [
    "AsyncRapiTunnelTransport",
    "MasterTunnel",
    "RapiTunnelTransport",
    "TunnelConnectError",
    "parse_master_ssconf",
    "transport_for_context",
]

log = logging.getLogger(__name__)


class TunnelConnectError(httpcore.ConnectError):
    """The channel to the master's RAPI port could not be opened: nothing was sent."""

    #: The tunnel generation (master lookup) the failed attempt used.
    generation: int | None = None


class MasterTunnel:
    """Channels to the RAPI port of whichever node is the master now."""

    def __init__(
        self,
        nodes: Nodes,
        *,
        rapi_port: int = 5080,
        rapi_host: str = "127.0.0.1",
        discover_from: Sequence[str] | None = None,
    ) -> None:
        self.nodes = nodes
        self.rapi_port = rapi_port
        self.rapi_host = rapi_host
        self._discover_from = list(discover_from or nodes.names)
        #: Name (as known to ``nodes``) of the node believed to be the master.
        self.master: str | None = None
        #: How many times the master was looked up (1 after the first call).
        self.discoveries = 0
        self._generation = 0
        self._lock = asyncio.Lock()

    async def discover(self) -> str:
        """Ask the nodes, in order, which one is the master; returns its name in ``nodes``."""
        self.master = await find_master(self.nodes, ask=self._discover_from)
        self.discoveries += 1
        self._generation += 1
        log.info("RAPI tunnel: master is %s", self.master)
        return self.master

    @property
    def generation(self) -> int:
        """Increases each time the master is looked up."""
        return self._generation

    async def open_channel(self, timeout: float | None = None) -> ChannelByteStream:
        """A channel to the master's RAPI port (the master is looked up on first use).

        Raises :class:`TunnelConnectError` when the channel cannot be opened; the
        transports then call :meth:`rediscover` and try once more.
        """
        generation = self._generation
        try:
            async with asyncio.timeout(timeout):
                async with self._lock:
                    if self.master is None:
                        await self.discover()
                    generation = self._generation
                return await self._open_on_master()
        except TunnelConnectError as exc:
            exc.generation = generation
            raise
        except SshError as exc:
            failed = TunnelConnectError(str(exc))
            failed.generation = generation
            raise failed from None
        except TimeoutError:
            raise httpcore.ConnectTimeout(
                f"no channel to the master's RAPI port within {timeout:g} s"
            ) from None

    async def rediscover(self, seen_generation: int | None = None) -> None:
        """Look the master up again, unless another caller did since ``seen_generation``."""
        async with self._lock:
            if seen_generation is not None and self._generation != seen_generation:
                return
            if self.master is not None:
                await self.nodes.forget(self.master)
            await self.discover()

    async def _open_on_master(self) -> ChannelByteStream:
        master = self.master
        assert master is not None
        try:
            conn = await self.nodes.connection(master)
        except SshError as exc:
            raise TunnelConnectError(str(exc)) from exc
        try:
            reader, writer = await conn.open_tcp(self.rapi_host, self.rapi_port)
        except asyncssh.ChannelOpenError as exc:
            raise TunnelConnectError(
                f"{master}: {self.rapi_host}:{self.rapi_port} refused the channel ({exc.reason})"
            ) from None
        except (asyncssh.Error, OSError) as exc:
            await self.nodes.forget(master)
            raise TunnelConnectError(f"{master}: SSH connection lost ({exc})") from None
        return ChannelByteStream(reader, writer)

    async def aclose(self) -> None:
        await self.nodes.aclose()


def _httpcore_request(
    request: httpx.Request, stream: Any, connect_timeout: float | None = None
) -> httpcore.Request:
    extensions = dict(request.extensions)
    if connect_timeout is not None:
        extensions["timeout"] = {
            **dict(extensions.get("timeout") or {}),
            "connect": connect_timeout,
            "pool": connect_timeout,
        }
    return httpcore.Request(
        method=request.method,
        url=httpcore.URL(
            scheme=request.url.raw_scheme,
            host=request.url.raw_host,
            port=request.url.port,
            target=request.url.raw_path,
        ),
        headers=request.headers.raw,
        content=stream,
        extensions=extensions,
    )


class _ConnectBudget:
    """The request's connect timeout, shared by the first try and the one after a
    master lookup (so that a silent master costs one connect timeout, not two)."""

    def __init__(self, request: httpx.Request) -> None:
        timeout = request.extensions.get("timeout") or {}
        connect = timeout.get("connect") if isinstance(timeout, Mapping) else None
        self.deadline = None if connect is None else time.monotonic() + float(connect)

    def left(self) -> float | None:
        """Seconds left (``None``: no limit); 0 when a second try is not worth it."""
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        return left if left > 0.05 else 0.0


def _to_httpx(exc: Exception, request: httpx.Request) -> Exception:
    """The httpx exception of the same name as an httpcore one (as httpx itself maps them)."""
    for cls in type(exc).__mro__:
        if not cls.__module__.startswith("httpcore"):
            continue
        target = getattr(httpx, cls.__name__, None)
        if isinstance(target, type) and issubclass(target, httpx.TransportError):
            mapped = target(str(exc), request=request)
            mapped.__cause__ = exc
            return mapped
    return exc


def _retry_generation(exc: BaseException, tunnel: MasterTunnel) -> int | None:
    """The tunnel generation to re-look-up from, or ``None`` when a retry is not safe.

    Safe means the request was never sent: the channel could not be opened, or the TLS
    handshake over it was cut short (RAPI stopping on a node that is no longer the
    master). A TLS error the server did answer with — a certificate that does not
    verify or match the pin — is final.
    """
    if isinstance(exc, TunnelConnectError):
        return exc.generation if exc.generation is not None else tunnel.generation
    if isinstance(exc, httpcore.ConnectError | httpcore.ConnectTimeout):
        cause = exc.__cause__
        if isinstance(cause, ssl.SSLError) and not isinstance(
            cause, ssl.SSLEOFError | ssl.SSLZeroReturnError
        ):
            return None  # the server answered: its certificate or TLS settings are final
        return tunnel.generation
    return None


class _AsyncResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: Any, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:
                yield part
        except (httpcore.TimeoutException, httpcore.NetworkError) as exc:
            raise _to_httpx(exc, self._request) from exc

    async def aclose(self) -> None:
        if hasattr(self._stream, "aclose"):
            await self._stream.aclose()


class _SyncResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Any, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._stream
        except (httpcore.TimeoutException, httpcore.NetworkError) as exc:
            raise _to_httpx(exc, self._request) from exc

    def close(self) -> None:
        if hasattr(self._stream, "close"):
            self._stream.close()


def _retry_or_raise(
    exc: Exception,
    request: httpx.Request,
    tunnel: MasterTunnel,
    budget: _ConnectBudget,
    *,
    last: bool,
) -> tuple[int, float | None]:
    """After a failed attempt: the tunnel generation to look past and the connect time
    left, when a failover may explain it and there is time to find the new master;
    else the failure, as httpx raises it. Called inside the ``except`` of the attempt."""
    seen = _retry_generation(exc, tunnel)
    connect = budget.left()
    if not last and seen is not None and connect != 0.0:
        log.info("RAPI tunnel: %s; looking for the master again", exc)
        return seen, connect
    raise _to_httpx(exc, request) from exc.__cause__


@contextlib.contextmanager
def _rediscovery(exc: Exception, request: httpx.Request) -> Iterator[None]:
    """Looking for the master again: its failures as httpx connect errors."""
    try:
        yield
    except TimeoutError:
        raise httpx.ConnectTimeout(
            "no master found within the connect timeout", request=request
        ) from exc
    except SshError as lookup:
        raise httpx.ConnectError(str(lookup), request=request) from exc


def _time_left(exc: Exception, request: httpx.Request, budget: _ConnectBudget) -> float | None:
    """The connect time left after finding the master; none left: the first failure."""
    connect = budget.left()
    if connect == 0.0:
        raise _to_httpx(exc, request) from exc.__cause__
    return connect


def _pool_options(ssl_context: ssl.SSLContext | None, max_connections: int) -> dict[str, Any]:
    """The connection pool of both transports: HTTP/1.1 only, as ganeti-rapi speaks."""
    return {
        "ssl_context": ssl_context,
        "max_connections": max_connections,
        "http1": True,
        "http2": False,
    }


def _response(response: httpcore.Response, stream: Any) -> httpx.Response:
    return httpx.Response(
        status_code=response.status,
        headers=response.headers,
        stream=stream,
        extensions=response.extensions,
    )


class _FromSshVia:
    """``from_ssh_via``, shared by the two transports."""

    def __init__(
        self, tunnel: MasterTunnel, *, ssl_context: ssl.SSLContext | None, max_connections: int
    ) -> None:  # pragma: no cover - the transports define their own
        raise NotImplementedError

    @classmethod
    def from_ssh_via(
        cls,
        via: SshVia,
        *,
        ssl_context: ssl.SSLContext | None = None,
        addresses: Mapping[str, str] | None = None,
        settings: SshSettings | None = None,
        max_connections: int = 10,
    ) -> Self:
        """A transport from a configuration context's ``ssh`` table."""
        tunnel = _tunnel_from_via(via, addresses=addresses, settings=settings)
        return cls(tunnel, ssl_context=ssl_context, max_connections=max_connections)


class AsyncRapiTunnelTransport(_FromSshVia, httpx.AsyncBaseTransport):
    """An ``httpx.AsyncBaseTransport`` that reaches RAPI through :class:`MasterTunnel`.

    ``ssl_context`` verifies the RAPI certificate (pinned; hostname checks off, since
    the RAPI certificate names ``ganeti.example.com``); ``None`` means httpcore's default
    context. The URL's host and port only matter for TLS SNI and the Host header.
    """

    def __init__(
        self,
        tunnel: MasterTunnel,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 10,
        retry_after_failover: bool = True,
    ) -> None:
        self.tunnel = tunnel
        self.retry_after_failover = retry_after_failover
        self._pool = httpcore.AsyncConnectionPool(
            **_pool_options(ssl_context, max_connections),
            network_backend=AsyncChannelBackend(tunnel.open_channel),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attempts = 2 if self.retry_after_failover else 1
        budget = _ConnectBudget(request)
        connect: float | None = None
        for attempt in range(attempts):
            try:
                response = await self._pool.handle_async_request(
                    _httpcore_request(request, request.stream, connect)
                )
            except Exception as exc:
                last = attempt + 1 == attempts
                seen, connect = _retry_or_raise(exc, request, self.tunnel, budget, last=last)
                with _rediscovery(exc, request):
                    async with asyncio.timeout(connect):
                        await self.tunnel.rediscover(seen)
                connect = _time_left(exc, request, budget)
                continue
            return _response(response, _AsyncResponseStream(response.stream, request))
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        await self._pool.aclose()
        await self.tunnel.aclose()


class RapiTunnelTransport(_FromSshVia, httpx.BaseTransport):
    """The sync twin of :class:`AsyncRapiTunnelTransport`.

    SSH runs on a private event loop in a daemon thread (:class:`LoopThread`); httpcore's
    sync pool reads and writes through it.
    """

    def __init__(
        self,
        tunnel: MasterTunnel,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 10,
        retry_after_failover: bool = True,
        loop: LoopThread | None = None,
    ) -> None:
        self.tunnel = tunnel
        self.retry_after_failover = retry_after_failover
        self._loop = loop or LoopThread("ganetiops-rapi-tunnel")
        self._pool = httpcore.ConnectionPool(
            **_pool_options(ssl_context, max_connections),
            network_backend=SyncChannelBackend(self._loop, tunnel.open_channel),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempts = 2 if self.retry_after_failover else 1
        budget = _ConnectBudget(request)
        connect: float | None = None
        for attempt in range(attempts):
            try:
                response = self._pool.handle_request(
                    _httpcore_request(request, request.stream, connect)
                )
            except Exception as exc:
                last = attempt + 1 == attempts
                seen, connect = _retry_or_raise(exc, request, self.tunnel, budget, last=last)
                with _rediscovery(exc, request):
                    self._loop.call(self.tunnel.rediscover(seen), timeout=connect)
                connect = _time_left(exc, request, budget)
                continue
            return _response(response, _SyncResponseStream(response.stream, request))
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        try:
            self._pool.close()
            self._loop.call(self.tunnel.aclose(), timeout=15)
        finally:
            self._loop.stop()


def _tunnel_from_via(
    via: SshVia, *, addresses: Mapping[str, str] | None, settings: SshSettings | None
) -> MasterTunnel:
    hosts = [
        Host(name=n, address=(addresses or {}).get(n), port=via.port, user=via.user)
        for n in via.nodes
    ]
    nodes = Nodes(hosts, settings or settings_from_ssh_via(via))
    return MasterTunnel(nodes, rapi_port=via.rapi_port)


def transport_for_context(
    context: Context,
    *,
    ssl_context: ssl.SSLContext | None,
    asynchronous: bool = False,
    addresses: Mapping[str, str] | None = None,
) -> RapiTunnelTransport | AsyncRapiTunnelTransport:
    """The tunnel transport for a context whose ``ssh`` table says "via SSH to these nodes".

    For ``ganetiops.connect``: pass the result as ``transport=`` to ``RapiClient``
    (``asynchronous=False``) or ``AsyncRapiClient`` (``asynchronous=True``).
    """
    if context.ssh is None:
        raise ConfigError(f"context {context.name!r} has no ssh table; nothing to tunnel through")
    if asynchronous:
        return AsyncRapiTunnelTransport.from_ssh_via(
            context.ssh,
            ssl_context=ssl_context,
            addresses=addresses,
            max_connections=context.max_connections,
        )
    return RapiTunnelTransport.from_ssh_via(
        context.ssh,
        ssl_context=ssl_context,
        addresses=addresses,
        max_connections=context.max_connections,
    )
