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

if TYPE_CHECKING:  # the public names, imported on first use (ganetiops._lazy)
    from ganetiops.ssh.connection import CommandResult as CommandResult
    from ganetiops.ssh.connection import Host as Host
    from ganetiops.ssh.connection import NodeConnection as NodeConnection
    from ganetiops.ssh.connection import SshSettings as SshSettings
    from ganetiops.ssh.connection import connect as connect
    from ganetiops.ssh.facts import Fact as Fact
    from ganetiops.ssh.facts import NodeFacts as NodeFacts
    from ganetiops.ssh.facts import gather_facts as gather_facts
    from ganetiops.ssh.fanout import HostResult as HostResult
    from ganetiops.ssh.fanout import Mode as Mode
    from ganetiops.ssh.fanout import RunReport as RunReport
    from ganetiops.ssh.fanout import Status as Status
    from ganetiops.ssh.fanout import fan_out as fan_out
    from ganetiops.ssh.hostkeys import HostKeys as HostKeys
    from ganetiops.ssh.hostkeys import fingerprint as fingerprint
    from ganetiops.ssh.nodes import Nodes as Nodes
    from ganetiops.ssh.nodes import settings_from_ssh_via as settings_from_ssh_via
    from ganetiops.ssh.sync import LoopThread as LoopThread
    from ganetiops.ssh.sync import SyncNodes as SyncNodes
    from ganetiops.ssh.sync import run_sync as run_sync
    from ganetiops.ssh.tunnel import AsyncRapiTunnelTransport as AsyncRapiTunnelTransport
    from ganetiops.ssh.tunnel import MasterTunnel as MasterTunnel
    from ganetiops.ssh.tunnel import RapiTunnelTransport as RapiTunnelTransport
    from ganetiops.ssh.tunnel import transport_for_context as transport_for_context

__getattr__, __dir__ = exports(__name__)
