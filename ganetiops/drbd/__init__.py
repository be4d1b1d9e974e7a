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

if TYPE_CHECKING:  # the public names, imported on first use (ganetiops._lazy)
    from ganetiops.drbd.facts import parse_node_output as parse_node_output
    from ganetiops.drbd.guards import GuardRefused as GuardRefused
    from ganetiops.drbd.guards import check_instance_operation as check_instance_operation
    from ganetiops.drbd.guards import check_node_operation as check_node_operation
    from ganetiops.drbd.health import ClusterDrbd as ClusterDrbd
    from ganetiops.drbd.health import HealthReader as HealthReader
    from ganetiops.drbd.health import health as health
    from ganetiops.drbd.health import read_nodes as read_nodes
    from ganetiops.drbd.model import DrbdDevice as DrbdDevice
    from ganetiops.drbd.model import NodeDrbd as NodeDrbd
    from ganetiops.drbd.pairing import Pairing as Pairing
    from ganetiops.drbd.pairing import choose_secondary as choose_secondary
    from ganetiops.drbd.pairing import pick_secondary as pick_secondary
    from ganetiops.drbd.view import DiskHealth as DiskHealth
    from ganetiops.drbd.view import InstanceHealth as InstanceHealth
    from ganetiops.drbd.view import instance_health as instance_health

__getattr__, __dir__ = exports(__name__)
