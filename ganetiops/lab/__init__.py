"""The lab: a namespace replica of the homelab, from Debian's real packages.

Four Ganeti 3.0.2 nodes (aleph, bet, gimel, dalet), each its own network, mount and
UTS namespace with its own sshd, ``/etc/hosts``, Ganeti state and host keys; the boot
server ``boot.homelab.tel`` (nginx + SFTP for ``admin``); OVN's NB/SB databases and
ovn-northd on dalet; and a host-side "workstation" veth through which code on the host
reaches the lab as the owner's laptop reaches the homelab. Needs root.

>>> from ganetiops.lab import Lab
>>> lab = Lab("dev1", slot=1)                  # doctest: +SKIP
>>> facts = lab.up()                           # doctest: +SKIP
>>> facts.cluster.url                          # doctest: +SKIP
'https://10.101.100.254:5080'
>>> lab.run("aleph", ["gnt-node", "list"]).stdout   # doctest: +SKIP
>>> lab.down()                                 # doctest: +SKIP

Addresses and names: :mod:`ganetiops.lab.topology`; files on the host:
:mod:`ganetiops.lab.layout`; what ``up`` records for ``down``:
:mod:`ganetiops.lab.record`; the boot server's access log: :mod:`ganetiops.lab.boot`.
Names below are imported lazily, so ``ganetiops.lab.facts`` alone loads no other lab module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganetiops._lazy import exports

if TYPE_CHECKING:  # the public names, imported on first use (ganetiops._lazy)
    from ganetiops.errors import LabError as LabError
    from ganetiops.lab.boot import AccessLogEntry as AccessLogEntry
    from ganetiops.lab.boot import read_access_log as read_access_log
    from ganetiops.lab.cluster import create_cluster as create_cluster
    from ganetiops.lab.facts import BootFacts as BootFacts
    from ganetiops.lab.facts import ClusterFacts as ClusterFacts
    from ganetiops.lab.facts import LabFacts as LabFacts
    from ganetiops.lab.facts import NodeFacts as NodeFacts
    from ganetiops.lab.facts import RapiUser as RapiUser
    from ganetiops.lab.host import debian_packages as debian_packages
    from ganetiops.lab.lab import ENV_NAME as ENV_NAME
    from ganetiops.lab.lab import ENV_RAPI_BIND as ENV_RAPI_BIND
    from ganetiops.lab.lab import ENV_SLOT as ENV_SLOT
    from ganetiops.lab.lab import Lab as Lab
    from ganetiops.lab.lab import free_slot as free_slot
    from ganetiops.lab.layout import ENV_ROOT as ENV_ROOT
    from ganetiops.lab.layout import Layout as Layout
    from ganetiops.lab.layout import lab_root as lab_root
    from ganetiops.lab.machine import Machine as Machine
    from ganetiops.lab.status import LabStatus as LabStatus
    from ganetiops.lab.status import MachineStatus as MachineStatus
    from ganetiops.lab.topology import AddressPlan as AddressPlan
    from ganetiops.lab.topology import LabNames as LabNames

__getattr__, __dir__ = exports(__name__)
