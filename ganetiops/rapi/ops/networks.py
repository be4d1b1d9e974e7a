"""Networks: Ganeti's IP pools, connected to node groups with a NIC mode and link."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Unpack

from ganetiops.errors import ValidationError
from ganetiops.rapi import shapes, validate
from ganetiops.rapi.call import JobCommon, Params
from ganetiops.rapi.models.network import Network
from ganetiops.rapi.namespace import M, job_operation, operation
from ganetiops.rapi.ops.common import (
    Tagged,
    body_of,
    bound_list,
    bound_one,
    flags,
    names_from,
    require_changes,
)


def _ips(values: Sequence[str] | None, field: str) -> list[str] | None:
    if values is None:
        return None
    return [validate.ipv4(v, f"{field}[{i}]") for i, v in enumerate(values)]


def _addressing(
    gateway: str | None,
    network6: str | None,
    gateway6: str | None,
    mac_prefix: str | None,
    add_reserved_ips: Sequence[str] | None,
) -> dict[str, Any]:
    """What a network's creation and change both set: gateways, IPv6, MACs, reservations."""
    return body_of(
        gateway=validate.ipv4(gateway, "gateway") if gateway else None,
        network6=validate.ipv6_network(network6, "network6") if network6 else None,
        gateway6=validate.ipv6(gateway6, "gateway6") if gateway6 else None,
        mac_prefix=mac_prefix,
        add_reserved_ips=_ips(add_reserved_ips, "add_reserved_ips"),
    )


class Networks(Tagged[M]):
    """``client.networks``: create networks and connect them to node groups."""

    path_values: ClassVar[Mapping[str, str]] = {"kind": "networks"}

    @operation("GET", "/2/networks")
    def list(self) -> Params[builtins.list[Network]]:
        """Every network with its reservations and group connections (``?bulk=1``)."""
        return Params(query={"bulk": True}, parse=bound_list(self, Network.from_api))

    @operation("GET", "/2/networks")
    def names(self) -> Params[builtins.list[str]]:
        return Params(parse=names_from("name"))

    @operation("GET", "/2/networks/{network}")
    def get(self, network: str, *, lock: bool = False) -> Params[Network]:
        return Params(query=flags(lock=lock), parse=bound_one(self, Network.from_api))

    @job_operation("POST", "/2/networks", dry_run="query")
    def create(
        self,
        name: str,
        network: str,
        *,
        gateway: str | None = None,
        network6: str | None = None,
        gateway6: str | None = None,
        mac_prefix: str | None = None,
        add_reserved_ips: Sequence[str] | None = None,
        conflicts_check: bool | None = None,
        tags: Sequence[str] = (),
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Create a network (an IPv4 range, optionally IPv6) (``gnt-network add``)."""
        return Params(
            body=body_of(
                network_name=validate.object_name(name, "name"),
                network=validate.ipv4_network(network, "network"),
                **_addressing(gateway, network6, gateway6, mac_prefix, add_reserved_ips),
                conflicts_check=conflicts_check,
                tags=validate.tags(tags) if tags else None,
            ),
            common=common,
        )

    @job_operation("DELETE", "/2/networks/{network}", dry_run="query")
    def remove(
        self, network: str, *, force: bool | None = None, **common: Unpack[JobCommon]
    ) -> Params[None]:
        """Remove a network that no group is connected to."""
        return Params(body=body_of(force=force), common=common)

    @job_operation("PUT", "/2/networks/{network}/connect", dry_run="query")
    def connect(
        self,
        network: str,
        group: str,
        *,
        mode: str,
        link: str,
        vlan: str = "",
        conflicts_check: bool | None = None,
        ovn_logical_switch: str | None = None,
        ovn_dhcpv4_options: str | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Connect the network to a node group with a NIC mode and link.

        ``ovn_*`` exist only with the homelab's OVN patch (mode ``ovn``); they are
        sent only when given, so stock Ganeti is unaffected.
        """
        validate.choice(mode, validate.NIC_MODES, "mode")
        if not link:
            raise ValidationError(
                "link: a bridge, routing table or switch is required", field="link"
            )
        return Params(
            body=body_of(
                group_name=validate.object_name(group, "group"),
                network_mode=mode,
                network_link=link,
                network_vlan=str(vlan),
                conflicts_check=conflicts_check,
                network_ovn_logical_switch=ovn_logical_switch,
                network_ovn_dhcpv4_options=ovn_dhcpv4_options,
            ),
            common=common,
        )

    @job_operation("PUT", "/2/networks/{network}/disconnect", dry_run="query")
    def disconnect(self, network: str, group: str, **common: Unpack[JobCommon]) -> Params[None]:
        """Disconnect the network from a node group."""
        return Params(body={"group_name": validate.object_name(group, "group")}, common=common)

    @job_operation("PUT", "/2/networks/{network}/modify", dry_run="body")
    def modify(
        self,
        network: str,
        *,
        gateway: str | None = None,
        network6: str | None = None,
        gateway6: str | None = None,
        mac_prefix: str | None = None,
        add_reserved_ips: Sequence[str] | None = None,
        remove_reserved_ips: Sequence[str] | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Change gateways, MAC prefix or reservations (``reason`` is kept, unlike the
        official client)."""
        body = _addressing(gateway, network6, gateway6, mac_prefix, add_reserved_ips) | body_of(
            remove_reserved_ips=_ips(remove_reserved_ips, "remove_reserved_ips")
        )
        require_changes(body, "network modify")
        return Params(body=body, common=common)

    @job_operation("PUT", "/2/networks/{network}/rename", dry_run="query", since=(3, 1))
    def rename(self, network: str, new_name: str, **common: Unpack[JobCommon]) -> Params[str]:
        """Rename a network (Ganeti 3.1 and later; refused before sending on 3.0)."""
        return Params(
            body={"new_name": validate.object_name(new_name, "new_name")},
            common=common,
            parse=shapes.text,
        )


__all__ = ["Networks"]
