"""OVN: typed northbound/southbound objects, chassis on every node, Ganeti's NICs held
against the ports, and the repair, in one transaction. See docs/ovn.md.

>>> from ganetiops.ovn import Northbound                           # doctest: +SKIP
>>> with Northbound("tcp:10.1.100.5:6641") as nb:
...     nb.create_network("lan", cidr="192.0.2.0/24", dhcp={"lease_time": "3600",
...         "router": "192.0.2.1", "server_id": "192.0.2.1", "server_mac": "c0:ff:ee:00:00:01"})

The databases are reached with ovsdbapp (on the ``ovs`` IDL), imported only when a
:class:`Northbound` or :class:`Southbound` is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganetiops._lazy import exports

_LAZY: dict[str, str] = {
    "Northbound": "ganetiops.ovn.db",
    "Southbound": "ganetiops.ovn.db",
    "LogicalSwitch": "ganetiops.ovn.models",
    "LogicalSwitchPort": "ganetiops.ovn.models",
    "DhcpOptions": "ganetiops.ovn.models",
    "LogicalRouter": "ganetiops.ovn.models",
    "LogicalRouterPort": "ganetiops.ovn.models",
    "Nat": "ganetiops.ovn.models",
    "Chassis": "ganetiops.ovn.models",
    "Encap": "ganetiops.ovn.models",
    "PortBinding": "ganetiops.ovn.models",
    "NbSnapshot": "ganetiops.ovn.models",
    "SbSnapshot": "ganetiops.ovn.models",
    "Finding": "ganetiops.ovn.check",
    "Change": "ganetiops.ovn.check",
    "Plan": "ganetiops.ovn.check",
    "CheckReport": "ganetiops.ovn.check",
    "GanetiNic": "ganetiops.ovn.ganeti",
    "OvnSupport": "ganetiops.ovn.ganeti",
    "ChassisState": "ganetiops.ovn.chassis",
}

__all__ = [
    "Change",
    "Chassis",
    "ChassisState",
    "CheckReport",
    "DhcpOptions",
    "Encap",
    "Finding",
    "GanetiNic",
    "LogicalRouter",
    "LogicalRouterPort",
    "LogicalSwitch",
    "LogicalSwitchPort",
    "Nat",
    "NbSnapshot",
    "Northbound",
    "OvnSupport",
    "Plan",
    "PortBinding",
    "SbSnapshot",
    "Southbound",
]

__getattr__, __dir__ = exports(__name__, _LAZY, __all__)

if TYPE_CHECKING:  # pragma: no cover
    from ganetiops.ovn.chassis import ChassisState
    from ganetiops.ovn.check import Change, CheckReport, Finding, Plan
    from ganetiops.ovn.db import Northbound, Southbound
    from ganetiops.ovn.ganeti import GanetiNic, OvnSupport
    from ganetiops.ovn.models import (
        Chassis,
        DhcpOptions,
        Encap,
        LogicalRouter,
        LogicalRouterPort,
        LogicalSwitch,
        LogicalSwitchPort,
        Nat,
        NbSnapshot,
        PortBinding,
        SbSnapshot,
    )
