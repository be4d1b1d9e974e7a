"""The lab's shape and address plan: pure data, no I/O.

The default lab (name ``lab``, slot 0) uses the homelab's own addresses (homelab.md §2):
primary network 10.1.100.0/24, secondary (replication) network 10.1.97.0/24, nodes
aleph .2, bet .3, gimel .4, dalet .5, boot server .1, cluster address .254, and the
host's "workstation" interface .100.

Other labs run beside it in a *slot* N (1-99) with the same host numbers on
10.(100+N).100.0/24 and 10.(100+N).97.0/24: slot 1 is 10.101.100.0/24 and 10.101.97.0/24.
No slot overlaps another, slot 0, or the host's 192.0.2.0/24.

A lab has the homelab's four nodes by default; a larger one (``nodes=N``, up to
:data:`MAX_NODES`) adds ``node05``, ``node06``, ... at .40, .41, ... (after the instance
addresses .11-.36, before the workstation's .100).

Every name a lab creates on the host is derived from the lab's name, so that two labs
never collide: network namespaces ``<name>-<machine>`` (``lab-aleph``, ``lab-boot``,
``lab-sw`` for the switch), the host-side veth ``<name>-ws``, the state directory
``<root>/<name>`` and the configuration context ``<name>``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final

import attrs

from ganetiops.errors import ValidationError

DOMAIN: Final = "homelab.tel"
DEFAULT_NAME: Final = "lab"
MAX_SLOT: Final = 99

#: The Ganeti nodes in the homelab's table order (homelab.md §2).
NODE_NAMES: Final = ("aleph", "bet", "gimel", "dalet")
#: The most nodes a lab can have: extra nodes live at .40-.75 of both networks.
MAX_NODES: Final = 36
#: First address (last octet) of the extra nodes ``node05``...; node NN is at 35 + NN.
EXTRA_NODE_BASE: Final = 35
_EXTRA_NODE_RE: Final = re.compile(r"^node(\d{2})$")
#: The node that runs ``gnt-cluster init`` (``initialMasterNode``).
MASTER: Final = "aleph"
#: The order in which the homelab adds the other nodes (sorted attribute names, §1.3).
JOIN_ORDER: Final = ("bet", "dalet", "gimel")
#: The node running the OVN northbound/southbound databases and ovn-northd.
OVN_NODE: Final = "dalet"
BOOT: Final = "boot"
CLUSTER: Final = "gnt"
WORKSTATION: Final = "workstation"

#: Last octet of each fixed address on both networks.
HOST_NUMBERS: Final = {
    BOOT: 1,
    "aleph": 2,
    "bet": 3,
    "gimel": 4,
    "dalet": 5,
    WORKSTATION: 100,
    CLUSTER: 254,
}

#: Instance names the nodes resolve (Ganeti's name check needs them): the homelab's
#: service classes at .11-.18, then ``inst1``-``inst16`` at .21-.36.
SERVICE_INSTANCES: Final = (
    "adguard-home",
    "audiobookshelf",
    "calibre-web",
    "jellyfin",
    "metrics",
    "navidrome",
    "paperless",
    "uptime-kuma",
)
GENERIC_INSTANCE_COUNT: Final = 16

OVN_NB_PORT: Final = 6641
OVN_SB_PORT: Final = 6642
RAPI_PORT: Final = 5080
#: Where the boot server's web root appears inside its namespace (homelab.md §3.2).
BOOT_WEB_ROOT: Final = "/usb1-part1/http"
BOOT_ADMIN: Final = "admin"

_NAME_RE: Final = re.compile(r"^[a-z][a-z0-9]{0,9}$")


def validate_name(name: str) -> str:
    """Return ``name`` if it can name a lab: 1-10 of ``a-z0-9``, starting with a letter.

    The limit keeps every derived interface name within Linux's 15 characters.
    """
    if not _NAME_RE.match(name):
        raise ValidationError(
            f"lab name {name!r}: use 1-10 characters a-z or 0-9, starting with a letter",
            field="name",
        )
    return name


def validate_slot(slot: int) -> int:
    """Return ``slot`` if it is an address-plan slot (0-99)."""
    if isinstance(slot, bool) or not isinstance(slot, int) or not 0 <= slot <= MAX_SLOT:
        raise ValidationError(f"lab slot {slot!r}: expected an integer 0-{MAX_SLOT}", field="slot")
    return slot


def validate_node_count(count: int) -> int:
    """Return ``count`` if a lab can have that many nodes (the homelab's four at least)."""
    lowest = len(NODE_NAMES)
    if isinstance(count, bool) or not isinstance(count, int) or not lowest <= count <= MAX_NODES:
        raise ValidationError(
            f"lab nodes {count!r}: expected an integer {lowest}-{MAX_NODES}", field="nodes"
        )
    return count


def node_names(count: int = len(NODE_NAMES)) -> tuple[str, ...]:
    """The nodes of a lab of ``count`` nodes: aleph, bet, gimel, dalet, node05, node06..."""
    validate_node_count(count)
    extra = tuple(f"node{i:02d}" for i in range(len(NODE_NAMES) + 1, count + 1))
    return (*NODE_NAMES, *extra)


def join_order(nodes: tuple[str, ...]) -> tuple[str, ...]:
    """The order in which bootstrap adds ``nodes`` after the master: the homelab's, then
    the extra nodes by number."""
    return (*JOIN_ORDER, *(n for n in nodes if n not in NODE_NAMES))


def host_number(host: str) -> int:
    """Last octet of a fixed address: the homelab's table, or 35 + NN for ``nodeNN``."""
    if host in HOST_NUMBERS:
        return HOST_NUMBERS[host]
    match = _EXTRA_NODE_RE.match(host)
    if match and len(NODE_NAMES) < int(match[1]) <= MAX_NODES:
        return EXTRA_NODE_BASE + int(match[1])
    raise ValidationError(f"no lab machine {host!r}", field="machine")


def fqdn(short: str) -> str:
    """``aleph`` -> ``aleph.homelab.tel``."""
    return f"{short}.{DOMAIN}"


def generic_instance_names() -> tuple[str, ...]:
    """``inst1`` ... ``inst16``: instance names free for any use (tests, demos)."""
    return tuple(f"inst{i}" for i in range(1, GENERIC_INSTANCE_COUNT + 1))


@attrs.frozen
class AddressPlan:
    """The two networks of one lab slot, its nodes and every fixed address on them."""

    slot: int
    primary: ipaddress.IPv4Network
    secondary: ipaddress.IPv4Network
    nodes: tuple[str, ...] = NODE_NAMES

    @classmethod
    def for_slot(cls, slot: int, nodes: int = len(NODE_NAMES)) -> AddressPlan:
        """Slot 0 is the homelab's plan; slot N uses 10.(100+N).100.0/24 and .97.0/24;
        ``nodes`` nodes (see :func:`node_names`)."""
        validate_slot(slot)
        second = 1 if slot == 0 else 100 + slot
        return cls(
            slot=slot,
            primary=ipaddress.IPv4Network(f"10.{second}.100.0/24"),
            secondary=ipaddress.IPv4Network(f"10.{second}.97.0/24"),
            nodes=node_names(nodes),
        )

    @property
    def join_order(self) -> tuple[str, ...]:
        """The nodes bootstrap adds after the master, in order."""
        return join_order(self.nodes)

    @property
    def prefixes(self) -> tuple[ipaddress.IPv4Network, ipaddress.IPv4Network]:
        """Both lab networks: the host must route neither of them anywhere else."""
        return (self.primary, self.secondary)

    def primary_ip(self, host: str) -> str:
        """The primary-network address of a node, ``boot``, ``gnt`` or ``workstation``."""
        return str(self.primary.network_address + host_number(host))

    def secondary_ip(self, host: str) -> str:
        """The secondary-network address of a node."""
        return str(self.secondary.network_address + host_number(host))

    @property
    def cluster_ip(self) -> str:
        return self.primary_ip(CLUSTER)

    @property
    def workstation_ip(self) -> str:
        return self.primary_ip(WORKSTATION)

    @property
    def boot_ip(self) -> str:
        return self.primary_ip(BOOT)

    def dhcp_range(self) -> tuple[str, str]:
        """First and last dynamic address of the boot server's DHCP."""
        first, last = DHCP_RANGE
        base = self.primary.network_address
        return str(base + first), str(base + last)

    def instance_ips(self) -> dict[str, str]:
        """Instance name -> the primary address the nodes' /etc/hosts give it."""
        out: dict[str, str] = {}
        for index, name in enumerate(SERVICE_INSTANCES):
            out[name] = str(self.primary.network_address + 11 + index)
        for index, name in enumerate(generic_instance_names()):
            out[name] = str(self.primary.network_address + 21 + index)
        return out

    def hosts_entries(self) -> list[tuple[str, str, str]]:
        """``(address, fqdn, short name)`` for every name a lab machine resolves.

        Secondary addresses are not listed, as in the homelab's /etc/hosts.
        """
        entries = [(self.primary_ip(host), fqdn(host), host) for host in (BOOT, *self.nodes)]
        entries.append((self.cluster_ip, fqdn(CLUSTER), CLUSTER))
        entries.append((self.workstation_ip, fqdn(WORKSTATION), WORKSTATION))
        entries.extend((ip, fqdn(name), name) for name, ip in self.instance_ips().items())
        return entries


@attrs.frozen
class LabNames:
    """Host-visible names derived from a lab's name."""

    lab: str

    def __attrs_post_init__(self) -> None:
        validate_name(self.lab)

    def netns(self, machine: str) -> str:
        """Network namespace of a node, of ``boot``, or of the switch (``sw``)."""
        return f"{self.lab}-{machine}"

    @property
    def switch_netns(self) -> str:
        return self.netns("sw")

    @property
    def workstation_link(self) -> str:
        """The host end of the workstation veth (at most 13 characters)."""
        return f"{self.lab}-ws"

    def all_netns(self, nodes: tuple[str, ...] = NODE_NAMES) -> tuple[str, ...]:
        """Every namespace of a lab with ``nodes``, switch last (the others' veths end
        there)."""
        return (*(self.netns(m) for m in (BOOT, *nodes)), self.switch_netns)


#: Dynamic DHCP addresses the boot server's dnsmasq hands out (last octets): what a
#: VM's iPXE gets; a guest that sends a known instance name gets that name's address.
DHCP_RANGE: Final = (150, 199)
#: The node's port that puts its ``br0`` (the instances' bridge) on the primary
#: network, as the homelab's br0 carries the node's NIC.
UPLINK: Final = "uplink"
#: The lab's kvm_path: a wrapper forcing software emulation (lab adaptation).
KVM_PATH: Final = "/srv/ganetiops-lab/qemu-tcg"
#: The root script iPXE gets from DHCP, under the web root.
ROOT_SCRIPT: Final = "netboot.ipxe"

#: Names inside the switch namespace: one bridge per network, one port per machine NIC.
PRIMARY_BRIDGE: Final = "pri"
SECONDARY_BRIDGE: Final = "sec"
WORKSTATION_PORT: Final = "ws-p"


def switch_port(machine: str, network: str) -> str:
    """Name, inside the switch namespace, of a machine's veth end (``aleph-p``/``aleph-s``)."""
    return f"{machine}-{network[0]}"
