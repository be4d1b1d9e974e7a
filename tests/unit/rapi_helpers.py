"""Build Calls from operation definitions without any client (the layer is pure)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ganetiops.rapi.call import Call
from ganetiops.rapi.client import RapiClient
from ganetiops.rapi.namespace import Executor, Namespace, operations_of
from ganetiops.rapi.ops import NAMESPACES


class PlanOnly(Executor):
    """An executor that only records: tests inspect the Call, nothing is sent."""

    def __init__(self, reason_tag: str | None = "ganetiops test") -> None:
        self.reason_tag = reason_tag


def call(
    namespace: str, name: str, *args: Any, reason_tag: str | None = "ganetiops test", **kwargs: Any
) -> Call[Any]:
    cls = NAMESPACES[namespace]
    ns: Namespace[Any] = cls(PlanOnly(reason_tag))
    return operations_of(cls)[name].make_call(ns, *args, **kwargs)


def body(c: Call[Any]) -> Any:
    assert c.body is not None
    return json.loads(c.body)


def query(c: Call[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in c.query:
        out.setdefault(key, []).append(value)
    return out


def use_fake_cluster(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    current: bool = False,
    auth: bool = False,
) -> None:
    """Point ``gnt-py`` at a context ``t`` (the current one when ``current``) whose
    client sends every request to ``handler`` (``httpx.MockTransport``; with ``auth``,
    as user ``u``, password ``p``)."""

    def make_client(context: Any, **overrides: Any) -> RapiClient:
        return RapiClient(
            "https://rapi.test:5080",
            user="u" if auth else None,
            password="p" if auth else None,
            retries=0,
            transport=httpx.MockTransport(handler),
        )

    monkeypatch.setattr("ganetiops.cli.state.make_client", make_client)
    config = tmp_path / "config.toml"
    head = 'current-context = "t"\n' if current else ""
    config.write_text(head + '[contexts.t]\nurl = "https://rapi.test:5080"\n')
    config.chmod(0o600)
    monkeypatch.setenv("GANETIOPS_CONFIG", str(config))
    monkeypatch.delenv("GNTPY_CONTEXT", raising=False)


def answer_every_request(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, first: Any = None
) -> list[Any]:
    """Point ``gnt-py`` at a context ``t`` whose client answers every request 200 with
    ``answer[0]`` (``first`` until a test changes it): a stand-in for a server that
    answers anything, right or wrong; no real Ganeti sends most of these."""
    answer: list[Any] = [first]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps(answer[0]).encode())

    use_fake_cluster(monkeypatch, tmp_path, handler)
    return answer


class LoopbackServer:
    """A TCP server on 127.0.0.1 (a free port) that hands each connection it accepts
    to :meth:`handle`, on one thread, until :meth:`close`."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.handle(conn)

    def handle(self, conn: socket.socket) -> None:
        conn.close()

    def close(self) -> None:
        self.sock.close()
