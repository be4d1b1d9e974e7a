"""One call from a configuration context to a working RAPI client.

>>> import ganetiops
>>> with ganetiops.connect("homelab") as client:            # doctest: +SKIP
...     print([i.name for i in client.instances.list()])
>>> async with ganetiops.aconnect("homelab") as client:     # doctest: +SKIP
...     info = await client.cluster.info()

A context with an ``ssh`` table reaches RAPI through an SSH tunnel to the
current master's loopback (as the homelab runs it, ``-b 127.0.0.1``), following
master failovers; otherwise the client talks HTTPS to the context's URL. Either
way the RAPI certificate is verified by the context's pin.
"""

from __future__ import annotations

from typing import Any

from ganetiops.config import Context, load_config
from ganetiops.rapi import AsyncRapiClient, RapiClient, TlsPolicy

#: Where the tunnel delivers requests: the master's own loopback, as RAPI sees it.
TUNNEL_URL = "https://127.0.0.1:5080"


def _context(context: Context | str | None) -> Context:
    return context if isinstance(context, Context) else load_config().context(context)


def _tunnel_options(ctx: Context, asynchronous: bool) -> dict[str, Any]:
    from ganetiops.ssh import transport_for_context  # lazy: asyncssh, start-up

    policy = TlsPolicy(
        sha256=ctx.certificate_sha256,
        ca_file=ctx.ca_file,
        insecure=ctx.insecure,
        server_name=ctx.tls_server_name,
    )
    assert ctx.ssh is not None
    transport = transport_for_context(
        ctx, ssl_context=policy.ssl_context(), asynchronous=asynchronous
    )
    return {"transport": transport, "url": ctx.url or f"https://127.0.0.1:{ctx.ssh.rapi_port}"}


def connect(context: Context | str | None = None, **overrides: Any) -> RapiClient:
    """A blocking client for ``context`` (a name, a :class:`Context`, or the current one)."""
    ctx = _context(context)
    if ctx.ssh is not None and "transport" not in overrides:
        overrides = {**_tunnel_options(ctx, asynchronous=False), **overrides}
    return RapiClient.from_context(ctx, **overrides)


def aconnect(context: Context | str | None = None, **overrides: Any) -> AsyncRapiClient:
    """An asyncio client for ``context``; use with ``async with``."""
    ctx = _context(context)
    if ctx.ssh is not None and "transport" not in overrides:
        overrides = {**_tunnel_options(ctx, asynchronous=True), **overrides}
    return AsyncRapiClient.from_context(ctx, **overrides)


__all__ = ["TUNNEL_URL", "aconnect", "connect"]
