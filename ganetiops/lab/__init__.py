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

_LAZY: dict[str, str] = {
    "LabError": "ganetiops.errors",
    "AccessLogEntry": "ganetiops.lab.boot",
    "read_access_log": "ganetiops.lab.boot",
    "create_cluster": "ganetiops.lab.cluster",
    "BootFacts": "ganetiops.lab.facts",
    "ClusterFacts": "ganetiops.lab.facts",
    "LabFacts": "ganetiops.lab.facts",
    "NodeFacts": "ganetiops.lab.facts",
    "RapiUser": "ganetiops.lab.facts",
    "debian_packages": "ganetiops.lab.host",
    "ENV_NAME": "ganetiops.lab.lab",
    "ENV_RAPI_BIND": "ganetiops.lab.lab",
    "ENV_SLOT": "ganetiops.lab.lab",
    "Lab": "ganetiops.lab.lab",
    "free_slot": "ganetiops.lab.lab",
    "ENV_ROOT": "ganetiops.lab.layout",
    "Layout": "ganetiops.lab.layout",
    "lab_root": "ganetiops.lab.layout",
    "Machine": "ganetiops.lab.machine",
    "LabStatus": "ganetiops.lab.status",
    "MachineStatus": "ganetiops.lab.status",
    "AddressPlan": "ganetiops.lab.topology",
    "LabNames": "ganetiops.lab.topology",
}

__all__ = [
    "ENV_NAME",
    "ENV_RAPI_BIND",
    "ENV_ROOT",
    "ENV_SLOT",
    "AccessLogEntry",
    "AddressPlan",
    "BootFacts",
    "ClusterFacts",
    "Lab",
    "LabError",
    "LabFacts",
    "LabNames",
    "LabStatus",
    "Layout",
    "Machine",
    "MachineStatus",
    "NodeFacts",
    "RapiUser",
    "create_cluster",
    "debian_packages",
    "free_slot",
    "lab_root",
    "read_access_log",
]


__getattr__, __dir__ = exports(__name__, _LAZY, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from ganetiops.errors import LabError
    from ganetiops.lab.boot import AccessLogEntry, read_access_log
    from ganetiops.lab.cluster import create_cluster
    from ganetiops.lab.facts import BootFacts, ClusterFacts, LabFacts, NodeFacts, RapiUser
    from ganetiops.lab.host import debian_packages
    from ganetiops.lab.lab import ENV_NAME, ENV_RAPI_BIND, ENV_SLOT, Lab, free_slot
    from ganetiops.lab.layout import ENV_ROOT, Layout, lab_root
    from ganetiops.lab.machine import Machine
    from ganetiops.lab.status import LabStatus, MachineStatus
    from ganetiops.lab.topology import AddressPlan, LabNames
