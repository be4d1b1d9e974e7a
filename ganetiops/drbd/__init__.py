"""DRBD health: node facts (``/proc/drbd``, ``drbdsetup events2``...), the instance
view, guards for risky operations, and post-reboot recovery.

>>> from ganetiops import drbd                                   # doctest: +SKIP
>>> report = drbd.health(client, nodes)        # SSH to every node at once
>>> [(i.name, i.state, i.detail) for i in report.instances]
[('web1', 'syncing', 'disk/0: resync to bet 42.0%')]

Pure parts (parsers, view, guards, plans) do no I/O; :mod:`ganetiops.drbd.health`
reads the nodes over SSH and the disks' minors from RAPI. See docs/drbd.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganetiops._lazy import exports

_LAZY: dict[str, str] = {
    "DrbdDevice": "ganetiops.drbd.model",
    "NodeDrbd": "ganetiops.drbd.model",
    "DiskHealth": "ganetiops.drbd.view",
    "InstanceHealth": "ganetiops.drbd.view",
    "instance_health": "ganetiops.drbd.view",
    "parse_node_output": "ganetiops.drbd.facts",
}

__all__ = [
    "DiskHealth",
    "DrbdDevice",
    "InstanceHealth",
    "NodeDrbd",
    "instance_health",
    "parse_node_output",
]

__getattr__, __dir__ = exports(__name__, _LAZY, __all__)

if TYPE_CHECKING:  # pragma: no cover
    from ganetiops.drbd.facts import parse_node_output
    from ganetiops.drbd.model import DrbdDevice, NodeDrbd
    from ganetiops.drbd.view import DiskHealth, InstanceHealth, instance_health
