"""One deadline per call, shared by its retries (and the SSH tunnel's own retry).

Before, a silent server behind the SSH tunnel took 82.6 s and 8 connects for a 10 s
connect timeout: 4 RAPI attempts times 2 tunnel attempts. The tests count connection
attempts (never wall-clock time): with the shared budget, an attempt that used the
whole connect timeout is not followed by another.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx
import pytest

from ganetiops import errors
from ganetiops.rapi import RapiClient
from ganetiops.rapi.core import Budget
from ganetiops.ssh.tunnel import RapiTunnelTransport, TunnelConnectError
from tests.unit.rapi_helpers import LoopbackServer


class Silent(LoopbackServer):
    """A TCP server on 127.0.0.1 that accepts and never says a word (TLS hangs)."""

    def __init__(self) -> None:
        self.accepted: list[socket.socket] = []
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        self.accepted.append(conn)

    def close(self) -> None:
        super().close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent() -> Iterator[Silent]:
    server = Silent()
    try:
        yield server
    finally:
        server.close()


def test_a_silent_server_costs_one_connect_timeout_not_one_per_retry(silent: Silent) -> None:
    with (
        RapiClient(
            f"https://127.0.0.1:{silent.port}",
            certificate_sha256="AB" * 32,
            connect_timeout=0.5,
            retries=3,
        ) as client,
        pytest.raises(errors.RapiTimeoutError),
    ):
        client.cluster.version()
    assert len(silent.accepted) == 1  # was 4: one per attempt


def test_the_budget_cuts_each_attempt_to_what_is_left() -> None:
    now = [100.0]
    budget = Budget(10.0, 60.0, clock=lambda: now[0])
    assert budget.remaining(10.0, 60.0) == (10.0, 60.0)
    now[0] = 107.0
    assert budget.remaining(10.0, 60.0) == (3.0, 60.0)
    assert not budget.exhausted(errors.RapiTimeoutError("x", sent=False))
    now[0] = 110.0
    assert budget.exhausted(errors.RapiTimeoutError("x", sent=False))
    assert not budget.exhausted(errors.RapiServerError(502, "x"))  # the whole call: 70 s
    now[0] = 170.0
    assert budget.exhausted(errors.RapiServerError(502, "x"))


class StubTunnel:
    """A master tunnel whose master never answers: each channel waits out its timeout
    (``slow``) or is refused at once (``not slow``). Stands in for SSH, which cannot be
    made silent on purpose in a unit test; the lab tests cover the real tunnel."""

    def __init__(self, slow: bool) -> None:
        self.slow = slow
        self.timeouts: list[float | None] = []
        self.generation = 1
        self.lookups = 0

    async def open_channel(self, timeout: float | None = None) -> Any:
        self.timeouts.append(timeout)
        if self.slow:
            await asyncio.sleep(timeout or 0)
            raise httpcore.ConnectTimeout("silent master")
        failed = TunnelConnectError("refused")
        failed.generation = self.generation
        raise failed

    async def rediscover(self, seen: int | None = None) -> None:
        self.lookups += 1
        self.generation += 1

    async def aclose(self) -> None:
        pass


@pytest.mark.parametrize("slow", [True, False])
def test_the_tunnel_retry_shares_the_connect_timeout(slow: bool) -> None:
    tunnel = StubTunnel(slow)
    transport = RapiTunnelTransport(tunnel)  # type: ignore[arg-type]
    request = httpx.Request(
        "GET", "https://127.0.0.1:5080/version", extensions={"timeout": {"connect": 0.4}}
    )
    try:
        with pytest.raises((httpx.ConnectTimeout, httpx.ConnectError)):
            transport.handle_request(request)
    finally:
        transport.close()
    if slow:
        assert tunnel.timeouts == [0.4]  # no second connect after a full timeout
    else:
        assert len(tunnel.timeouts) == 2  # refused at once: one more try after the lookup
        second = tunnel.timeouts[1]
        assert second is not None
        assert second <= 0.4
        assert tunnel.lookups == 1
