"""DRBD health: node facts (``/proc/drbd``, ``drbdsetup events2``...), the instance
view, guards for risky operations, and post-reboot recovery.

>>> from ganetiops import drbd                                   # doctest: +SKIP
>>> report = drbd.health(client, settings)     # SSH to every node at once
>>> web1 = report.instance("web1")
>>> web1.state, web1.percent
('syncing', 42.0)

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
    "health": "ganetiops.drbd.health",
    "HealthReader": "ganetiops.drbd.health",
    "ClusterDrbd": "ganetiops.drbd.health",
    "read_nodes": "ganetiops.drbd.health",
    "check_instance_operation": "ganetiops.drbd.guards",
    "check_node_operation": "ganetiops.drbd.guards",
    "GuardRefused": "ganetiops.drbd.guards",
}

__all__ = [
    "ClusterDrbd",
    "DiskHealth",
    "DrbdDevice",
    "GuardRefused",
    "HealthReader",
    "InstanceHealth",
    "NodeDrbd",
    "check_instance_operation",
    "check_node_operation",
    "health",
    "instance_health",
    "parse_node_output",
    "read_nodes",
]

__getattr__, __dir__ = exports(__name__, _LAZY, __all__)

if TYPE_CHECKING:  # pragma: no cover
    from ganetiops.drbd.facts import parse_node_output
    from ganetiops.drbd.guards import (
        GuardRefused,
        check_instance_operation,
        check_node_operation,
    )
    from ganetiops.drbd.health import ClusterDrbd, HealthReader, health, read_nodes
    from ganetiops.drbd.model import DrbdDevice, NodeDrbd
    from ganetiops.drbd.view import DiskHealth, InstanceHealth, instance_health
