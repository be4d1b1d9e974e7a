"""The Ganeti side of OVN: is the OVN patch there, which NICs are OVN's, which switch is a
network's.

The homelab's patch (homelab.md §4.3) adds NIC mode ``ovn``, NIC parameters
``ovn_logical_switch``/``ovn_dhcpv4_options``, the KVM hvparam ``ovn_nb_connection`` and
6-tuples in a network's ``group_list``. Stock Ganeti has none of them:
:func:`detect` says so plainly, and every operation that needs the patch refuses
with that message before sending anything.

Which logical switch serves a Ganeti network, in this order: the patch's
``ovn_logical_switch`` of the network's group connection; an explicit mapping given
by the caller; a switch whose ``external_ids:ganetiops:network`` names the network
(what ``gnt-py ovn network create --network`` writes); a switch named like the network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from ganetiops.errors import ValidationError
from ganetiops.ovn import validate
from ganetiops.ovn.chassis import chassis_name
from ganetiops.ovn.models import NbSnapshot

__all__ = [
    "GanetiNic",
    "OvnSupport",
    "SwitchBinding",
    "detect",
    "nics_of",
    "require_patch",
    "switch_bindings",
]

#: ``external_ids`` key on a logical switch naming the Ganeti network it serves.
NETWORK_KEY: Final = "ganetiops:network"
STOCK_MESSAGE: Final = (
    "this cluster runs stock Ganeti: it has no OVN patch (no NIC mode 'ovn', no KVM "
    "hvparam 'ovn_nb_connection'), so Ganeti creates no OVN ports by itself; "
    "gnt-py ovn check/repair still manage the ports a patched Ganeti would create"
)


@attrs.frozen
class OvnSupport:
    """What the cluster's Ganeti knows of OVN."""

    patched: bool
    #: The KVM hvparam ``ovn_nb_connection`` (``None`` on stock Ganeti or when unset).
    nb_connection: str | None = None
    #: What was looked at, one line each (for ``gnt-py ovn status``).
    evidence: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        if not self.patched:
            return STOCK_MESSAGE
        if self.nb_connection:
            return f"the OVN patch is present; ovn_nb_connection = {self.nb_connection}"
        return (
            "the OVN patch is present, but the KVM hvparam ovn_nb_connection is unset: "
            "set it with gnt-py ovn set-nb-connection"
        )


def detect(info: Any) -> OvnSupport:
    """From a :class:`~ganetiops.rapi.models.ClusterInfo`. Pure."""
    kvm = info.hvparams.get("kvm") if isinstance(info.hvparams, Mapping) else None
    nicparams = info.nicparams.get("default", info.nicparams) if info.nicparams else {}
    has_hvparam = isinstance(kvm, Mapping) and "ovn_nb_connection" in kvm
    has_nicparam = isinstance(nicparams, Mapping) and "ovn_logical_switch" in nicparams
    evidence = (
        f"KVM hvparam ovn_nb_connection: {'present' if has_hvparam else 'absent'}",
        f"NIC parameter ovn_logical_switch: {'present' if has_nicparam else 'absent'}",
        f"Ganeti {getattr(info, 'software_version', None) or '?'}",
    )
    value = kvm.get("ovn_nb_connection") if has_hvparam and isinstance(kvm, Mapping) else None
    return OvnSupport(
        patched=has_hvparam or has_nicparam,
        nb_connection=str(value) if value else None,
        evidence=evidence,
    )


def require_patch(support: OvnSupport, what: str) -> None:
    """:class:`ValidationError` (nothing sent) unless the patch is there."""
    if not support.patched:
        raise ValidationError(f"{what}: {STOCK_MESSAGE}", field="cluster")


@attrs.frozen
class GanetiNic:
    """One NIC of one instance, as Ganeti's RAPI reports it."""

    instance: str
    index: int
    uuid: str
    mac: str | None
    ip: str | None
    network: str | None
    pnode: str | None
    running: bool = False
    mode: str | None = None

    @property
    def chassis(self) -> str | None:
        """The chassis the port should be requested on: the primary's short name."""
        return chassis_name(self.pnode) if self.pnode else None

    @property
    def addresses(self) -> str | None:
        """``"MAC IP"`` or ``"MAC"``, as the patch writes them."""
        if not self.mac:
            return None
        return f"{self.mac.lower()} {self.ip}" if self.ip else self.mac.lower()

    @property
    def port_label(self) -> str:
        """``external_ids:neutron:port_name`` the patch writes: ``<instance>_nic<index>``."""
        return f"{self.instance}_nic{self.index}"


def nics_of(instances: Iterable[Any]) -> list[GanetiNic]:
    """Every NIC with a UUID of the given :class:`~ganetiops.rapi.models.Instance` s."""
    out = []
    for instance in instances:
        for nic in instance.nics:
            if not nic.uuid:
                continue
            out.append(
                GanetiNic(
                    instance=instance.name,
                    index=nic.index,
                    uuid=nic.uuid,
                    mac=nic.mac,
                    ip=nic.ip,
                    network=nic.network_name or nic.network,
                    pnode=instance.pnode,
                    running=bool(instance.oper_state),
                    mode=nic.mode,
                )
            )
    return out


@attrs.frozen
class SwitchBinding:
    """A Ganeti network served by an OVN logical switch."""

    network: str
    switch: str
    #: The ``DHCP_Options`` UUID its ports get (``None``: no OVN DHCP).
    dhcpv4_options: str | None = None
    #: How the switch was found: ``patch``, ``explicit``, ``external-ids`` or ``name``.
    source: str = "name"
    cidr: str | None = None


def parse_mapping(items: Sequence[str]) -> dict[str, str]:
    """``["NET=SWITCH", ...]`` -> dict, each side checked."""
    out = {}
    for item in items:
        network, sep, switch = item.partition("=")
        if not sep or not network:
            raise ValidationError(f"--switch {item!r}: expected NETWORK=SWITCH", field="switch")
        out[network] = validate.name(switch, "switch")
    return out


def switch_bindings(
    networks: Iterable[Any], nb: NbSnapshot, explicit: Mapping[str, str] | None = None
) -> dict[str, SwitchBinding]:
    """Network name -> the switch serving it (networks without one are left out). Pure.

    ``networks`` are :class:`~ganetiops.rapi.models.Network` (with ``connections``).
    """
    explicit = dict(explicit or {})
    by_id = {s.external_ids.get(NETWORK_KEY): s.name for s in nb.switches}
    names = {s.name for s in nb.switches}
    out: dict[str, SwitchBinding] = {}
    for network in networks:
        name = network.name
        patch = [c for c in network.connections if c.ovn_logical_switch]
        dhcp = next((c.ovn_dhcpv4_options for c in patch if c.ovn_dhcpv4_options), None)
        if patch:
            switch, source = patch[0].ovn_logical_switch, "patch"
        elif name in explicit:
            switch, source = explicit[name], "explicit"
        elif name in by_id:
            switch, source = by_id[name], "external-ids"
        elif name in names:
            switch, source = name, "name"
        else:
            continue
        if dhcp is None and network.network:
            # The recipe's DHCP_Options row for the network's CIDR, when exactly one exists.
            matching = [d.uuid for d in nb.dhcp_options if d.cidr == network.network]
            dhcp = matching[0] if len(matching) == 1 else None
        out[name] = SwitchBinding(name, str(switch), dhcp, source, network.network)
    return out
