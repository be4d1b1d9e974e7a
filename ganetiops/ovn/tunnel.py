"""An OVN database through SSH: a loopback port whose connections are SSH channels.

The ``ovs`` IDL opens plain sockets, so :class:`SshForward` listens on
``127.0.0.1:<free port>`` and carries each connection through a direct-tcpip channel
of one verified SSH connection (:mod:`ganetiops.ssh`) to the database's address as
the node sees it::

    dalet = Host("dalet.homelab.tel", "10.1.100.5")
    with SshForward(dalet, settings, "tcp:10.1.100.5:6641") as fwd:
        with Northbound(fwd.remote) as nb:          # fwd.remote == "tcp:127.0.0.1:PORT"
            ...

Nothing but this process can be reached through it: it binds loopback only, and
stops with the ``with`` block.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from ganetiops.errors import OvnConnectionError, SshError
from ganetiops.ovn import validate
from ganetiops.ssh.connection import Host, NodeConnection, SshSettings, connect
from ganetiops.ssh.sync import LoopThread

__all__ = ["SshForward"]


async def _pump(reader: Any, writer: Any) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (OSError, ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


class SshForward:
    """A loopback TCP port forwarded over SSH to an OVSDB remote (``tcp:HOST:PORT``)."""

    def __init__(self, host: Host, settings: SshSettings, remote: str) -> None:
        _scheme, self.target_host, self.target_port = validate.remote(remote, "remote")
        self.host = host
        self.settings = settings
        self.remote = ""
        self._loop: LoopThread | None = None
        self._conn: NodeConnection | None = None
        self._server: asyncio.AbstractServer | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._conn is not None
        try:
            remote_reader, remote_writer = await self._conn.open_tcp(
                self.target_host, self.target_port
            )
        except Exception:  # the channel was refused: drop this client connection
            writer.close()
            return
        await asyncio.gather(_pump(reader, remote_writer), _pump(remote_reader, writer))

    async def _start(self) -> int:
        self._conn = await connect(self.host, self.settings)
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._conn is not None:
            await self._conn.close()

    def __enter__(self) -> SshForward:
        self._loop = LoopThread("ganetiops-ovsdb-ssh")
        try:
            port = self._loop.call(self._start(), timeout=self.settings.connect_timeout + 5)
        except (SshError, OSError, TimeoutError) as exc:
            self._loop.stop()
            raise OvnConnectionError(
                f"SSH to {self.host.describe()} for the database: {exc}"
            ) from None
        self.remote = f"tcp:127.0.0.1:{port}"
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.call(self._stop(), timeout=10)
            self._loop.stop()
