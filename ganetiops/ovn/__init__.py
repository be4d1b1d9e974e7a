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

if TYPE_CHECKING:  # the public names, imported on first use (ganetiops._lazy)
    from ganetiops.ovn.chassis import ChassisState as ChassisState
    from ganetiops.ovn.check import Change as Change
    from ganetiops.ovn.check import CheckReport as CheckReport
    from ganetiops.ovn.check import Finding as Finding
    from ganetiops.ovn.check import Plan as Plan
    from ganetiops.ovn.db import Northbound as Northbound
    from ganetiops.ovn.db import Southbound as Southbound
    from ganetiops.ovn.ganeti import GanetiNic as GanetiNic
    from ganetiops.ovn.ganeti import OvnSupport as OvnSupport
    from ganetiops.ovn.models import Chassis as Chassis
    from ganetiops.ovn.models import DhcpOptions as DhcpOptions
    from ganetiops.ovn.models import Encap as Encap
    from ganetiops.ovn.models import LogicalRouter as LogicalRouter
    from ganetiops.ovn.models import LogicalRouterPort as LogicalRouterPort
    from ganetiops.ovn.models import LogicalSwitch as LogicalSwitch
    from ganetiops.ovn.models import LogicalSwitchPort as LogicalSwitchPort
    from ganetiops.ovn.models import Nat as Nat
    from ganetiops.ovn.models import NbSnapshot as NbSnapshot
    from ganetiops.ovn.models import PortBinding as PortBinding
    from ganetiops.ovn.models import SbSnapshot as SbSnapshot
    from ganetiops.ovn.view import Topology as Topology

__getattr__, __dir__ = exports(__name__)
