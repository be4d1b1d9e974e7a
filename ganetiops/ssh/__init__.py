"""Node SSH: verified connections, fan-out, typed facts, and RAPI through an SSH tunnel.

>>> from ganetiops.ssh import Host, HostKeys, Nodes, SshSettings    # doctest: +SKIP
>>> settings = SshSettings(HostKeys(known_hosts=["~/.ssh/known_hosts"]))
>>> async with Nodes([Host("aleph.homelab.tel")], settings) as nodes:
...     report = await nodes.run("gnt-cluster verify-disks")

Names are imported lazily (asyncssh and httpx load only when used). See docs/ssh.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganetiops._lazy import exports

_LAZY: dict[str, str] = {
    "Host": "ganetiops.ssh.connection",
    "SshSettings": "ganetiops.ssh.connection",
    "NodeConnection": "ganetiops.ssh.connection",
    "CommandResult": "ganetiops.ssh.connection",
    "connect": "ganetiops.ssh.connection",
    "HostKeys": "ganetiops.ssh.hostkeys",
    "fingerprint": "ganetiops.ssh.hostkeys",
    "Nodes": "ganetiops.ssh.nodes",
    "settings_from_ssh_via": "ganetiops.ssh.nodes",
    "HostResult": "ganetiops.ssh.fanout",
    "RunReport": "ganetiops.ssh.fanout",
    "Status": "ganetiops.ssh.fanout",
    "Mode": "ganetiops.ssh.fanout",
    "fan_out": "ganetiops.ssh.fanout",
    "Fact": "ganetiops.ssh.facts",
    "NodeFacts": "ganetiops.ssh.facts",
    "gather_facts": "ganetiops.ssh.facts",
    "SyncNodes": "ganetiops.ssh.sync",
    "LoopThread": "ganetiops.ssh.sync",
    "run_sync": "ganetiops.ssh.sync",
    "MasterTunnel": "ganetiops.ssh.tunnel",
    "RapiTunnelTransport": "ganetiops.ssh.tunnel",
    "AsyncRapiTunnelTransport": "ganetiops.ssh.tunnel",
    "transport_for_context": "ganetiops.ssh.tunnel",
}

__all__ = [
    "AsyncRapiTunnelTransport",
    "CommandResult",
    "Fact",
    "Host",
    "HostKeys",
    "HostResult",
    "LoopThread",
    "MasterTunnel",
    "Mode",
    "NodeConnection",
    "NodeFacts",
    "Nodes",
    "RapiTunnelTransport",
    "RunReport",
    "SshSettings",
    "Status",
    "SyncNodes",
    "connect",
    "fan_out",
    "fingerprint",
    "gather_facts",
    "run_sync",
    "settings_from_ssh_via",
    "transport_for_context",
]


__getattr__, __dir__ = exports(__name__, _LAZY, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from ganetiops.ssh.connection import CommandResult, Host, NodeConnection, SshSettings, connect
    from ganetiops.ssh.facts import Fact, NodeFacts, gather_facts
    from ganetiops.ssh.fanout import HostResult, Mode, RunReport, Status, fan_out
    from ganetiops.ssh.hostkeys import HostKeys, fingerprint
    from ganetiops.ssh.nodes import Nodes, settings_from_ssh_via
    from ganetiops.ssh.sync import LoopThread, SyncNodes, run_sync
    from ganetiops.ssh.tunnel import (
        AsyncRapiTunnelTransport,
        MasterTunnel,
        RapiTunnelTransport,
        transport_for_context,
    )
