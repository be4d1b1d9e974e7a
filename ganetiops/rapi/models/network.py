"""Networks (Ganeti's IP pools) and their connections to node groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ganetiops.rapi.models.base import Model, api, to_int, to_str_tuple, to_tuple


@attrs.frozen
class NetworkConnection:
    """A network connected to a node group: ``(group, mode, link, vlan[, ovn ls, ovn dhcp])``.

    Stock Ganeti sends 4-tuples; the homelab's OVN patch sends 6-tuples.
    """

    group: str
    mode: str | None = None
    link: str | None = None
    vlan: str | None = None
    ovn_logical_switch: str | None = None
    ovn_dhcpv4_options: str | None = None

    @classmethod
    def from_api(cls, value: Any) -> NetworkConnection:
        items = list(value) if isinstance(value, list | tuple) else [value]
        items += [None] * (6 - len(items))
        return cls(*(None if v in (None, "") else str(v) for v in items[:6]))  # type: ignore[arg-type]


@attrs.frozen(slots=False)
class Network(Model):
    """A Ganeti network: an IPv4 range with a reservation map."""

    name: str = api("name", str, default="")
    uuid: str | None = api("uuid")
    network: str | None = api("network")
    gateway: str | None = api("gateway")
    network6: str | None = api("network6")
    gateway6: str | None = api("gateway6")
    mac_prefix: str | None = api("mac_prefix")
    free_count: int | None = api("free_count", to_int)
    reserved_count: int | None = api("reserved_count", to_int)
    map: str | None = api("map")
    inst_list: tuple[str, ...] = api("inst_list", to_str_tuple, factory=tuple)
    external_reservations: str | None = api("external_reservations")
    tags: tuple[str, ...] = api("tags", to_str_tuple, factory=tuple)
    serial_no: int | None = api("serial_no", to_int)
    connections: tuple[NetworkConnection, ...] = attrs.field(factory=tuple)

    @classmethod
    def derived(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        try:
            groups = to_tuple(data.get("group_list") or [])
        except TypeError:
            groups = ()
        return {"connections": tuple(NetworkConnection.from_api(g) for g in groups)}
