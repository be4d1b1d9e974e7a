"""An OVN chassis on every lab node: ovsdb-server, ovs-vswitchd (user-space datapath) and
ovn-controller, as each homelab node runs them (homelab.md §4.1).

The host kernel has no Open vSwitch datapath (lab-facts.md), so bridges use the
user-space ``netdev`` datapath: ``ovs-vswitchd`` forwards in its own process and
internal ports are tap devices. ovn-controller is told so with
``external-ids:ovn-bridge-datapath-type=netdev``; it then creates ``br-int`` itself and
registers the node as a chassis in dalet's southbound database, for real.

Everything runs inside the node's namespaces: the local database is
``machines/<node>/openvswitch/conf.db``, sockets and pidfiles live under the node's
private ``/run`` (``/run/openvswitch``, ``/run/ovn``), logs go to the lab's log of each
daemon. The chassis ``external-ids`` are set the way the homelab sets them by hand
(:func:`ganetiops.ovn.chassis.desired_external_ids`); ``gnt-py ovn chassis`` reads
them back over SSH and repairs drift.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from ganetiops.lab import host, topology

if TYPE_CHECKING:
    from ganetiops.lab.build import Builder
    from ganetiops.lab.machine import Machine

#: The provider bridge of every lab node, mapped to :data:`PHYSNET` (localnet ports).
PROVIDER_BRIDGE: Final = "br-ext"
PHYSNET: Final = "physnet"
VSWITCH_SCHEMA: Final = "/usr/share/openvswitch/vswitch.ovsschema"
#: Daemon roles in the lab record, in start order.
ROLES: Final = ("ovsdb-server-ovs", "ovs-vswitchd", "ovn-controller")
_QUIET: Final = ("-vconsole:info", "-vsyslog:off")


def database(directory: Path) -> Path:
    """The node's local Open vSwitch database file (host path)."""
    return directory / "openvswitch" / "conf.db"


def prepare(directory: Path) -> None:
    """Create the node's empty ``conf.db`` (before the node's namespaces exist)."""
    db = database(directory)
    db.parent.mkdir(mode=0o755)
    host.run(["ovsdb-tool", "create", str(db), VSWITCH_SCHEMA])


def start(builder: Builder, machine: Machine) -> None:
    """Start the chassis daemons of a node and configure it as the homelab's are."""
    from ganetiops.ovn.chassis import desired_external_ids

    name = machine.name
    db = database(builder.layout.machine(name))
    machine.run(["mkdir", "-p", "/run/openvswitch", "/run/ovn"])
    builder._start(
        machine,
        ROLES[0],
        [
            "ovsdb-server",
            str(db),
            "--remote=punix:/run/openvswitch/db.sock",
            "--unixctl=/run/openvswitch/ovsdb-server.ctl",
            "--pidfile=/run/openvswitch/ovsdb-server.pid",
            *_QUIET,
        ],
        ready="/run/openvswitch/db.sock",
    )
    sb = f"tcp:{builder.plan.primary_ip(topology.OVN_NODE)}:{topology.OVN_SB_PORT}"
    ids = desired_external_ids(
        name,
        ovn_remote=sb,
        encap_ip=builder.plan.primary_ip(name),
        bridge_mappings=f"{PHYSNET}:{PROVIDER_BRIDGE}",
    )
    settings = [f"external-ids:{key}={value}" for key, value in sorted(ids.items())]
    machine.run(
        [
            "ovs-vsctl",
            "--no-wait",
            "--",
            "init",
            "--",
            "set",
            "open_vswitch",
            ".",
            *settings,
            # The lab's own: no kernel datapath here, so br-int is a user-space bridge.
            "external-ids:ovn-bridge-datapath-type=netdev",
            "--",
            "--may-exist",
            "add-br",
            PROVIDER_BRIDGE,
            "--",
            "set",
            "bridge",
            PROVIDER_BRIDGE,
            "datapath_type=netdev",
        ],
        timeout=30,
    )
    builder._start(
        machine,
        ROLES[1],
        [
            "ovs-vswitchd",
            "unix:/run/openvswitch/db.sock",
            "--pidfile=/run/openvswitch/ovs-vswitchd.pid",
            *_QUIET,
        ],
        ready="/run/openvswitch/ovs-vswitchd.pid",
    )
    builder._start(
        machine,
        ROLES[2],
        [
            "ovn-controller",
            "unix:/run/openvswitch/db.sock",
            "--pidfile=/run/ovn/ovn-controller.pid",
            *_QUIET,
        ],
        ready="/run/ovn/ovn-controller.pid",
    )
