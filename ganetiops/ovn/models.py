"""Typed OVN objects: what the homelab uses from the northbound and southbound databases.

Every model is an attrs class built by ``from_row`` from a plain mapping of an OVSDB
row (column name -> value, references already turned into UUID strings, optional
columns as ``None``): see :func:`ganetiops.ovn.db.row_to_dict`. ``from_row`` never
fails on a missing column, a ``None`` or a value of the wrong type: the field keeps
its default. Columns this module does not know are ignored, so newer OVN schemas are
fine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import attrs

__all__ = [
    "Chassis",
    "DhcpOptions",
    "Encap",
    "LogicalRouter",
    "LogicalRouterPort",
    "LogicalSwitch",
    "LogicalSwitchPort",
    "Nat",
    "NbSnapshot",
    "PortBinding",
    "SbSnapshot",
]

_M = TypeVar("_M", bound=attrs.AttrsInstance)


def _str(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if isinstance(value, list | tuple):  # an optional column: [] or [value]
        value = value[0] if value else None
    return None if value is None else str(value)


def _strs(raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key)
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(sorted(str(v) for v in value))
    return ()


def _map(raw: Mapping[str, Any], key: str) -> dict[str, str]:
    value = raw.get(key)
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    return {}


def _bool(raw: Mapping[str, Any], key: str) -> bool | None:
    value = raw.get(key)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return value if isinstance(value, bool) else None


#: How a column is read, by the declared type of the field it fills.
_READERS: Final[dict[str, Callable[[Mapping[str, Any], str], Any]]] = {
    "str": lambda raw, key: _str(raw, key) or "",
    "str | None": _str,
    "tuple[str, ...]": _strs,
    "dict[str, str]": _map,
    "bool | None": _bool,
}


def _read(cls: type[_M], raw: Mapping[str, Any], **given: Any) -> _M:
    """A ``cls`` from an OVSDB row: each field not ``given`` comes from the column of its
    name (``uuid`` from ``_uuid``), read as its declared type says."""
    fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(cls)
    values = {
        f.name: _READERS[str(f.type)](raw, "_uuid" if f.name == "uuid" else f.name)
        for f in fields
        if f.name not in given
    }
    return cls(**values, **given)


def _port_names(raw: Mapping[str, Any], names: Mapping[str, str]) -> tuple[str, ...]:
    """The row's ``ports`` (UUIDs) by name where ``names`` knows them, sorted."""
    return tuple(sorted(names.get(u, u) for u in _strs(raw, "ports")))


def _html(self: Any) -> str:
    from ganetiops.display.html import model_html  # lazy: display room, start-up

    return model_html(self)


@attrs.frozen
class LogicalSwitch:
    """``Logical_Switch``: a name, its ports (by name) and ids."""

    uuid: str
    name: str = ""
    ports: tuple[str, ...] = ()
    other_config: dict[str, str] = attrs.field(factory=dict)
    external_ids: dict[str, str] = attrs.field(factory=dict)

    @classmethod
    def from_row(cls, raw: Mapping[str, Any], port_names: Mapping[str, str]) -> LogicalSwitch:
        return _read(cls, raw, ports=_port_names(raw, port_names))

    _repr_html_ = _html


@attrs.frozen
class LogicalSwitchPort:
    """``Logical_Switch_Port``; ``switch`` is the name of the switch holding it."""

    uuid: str
    name: str = ""
    switch: str | None = None
    type: str = ""
    addresses: tuple[str, ...] = ()
    port_security: tuple[str, ...] = ()
    options: dict[str, str] = attrs.field(factory=dict)
    external_ids: dict[str, str] = attrs.field(factory=dict)
    enabled: bool | None = None
    up: bool | None = None
    #: UUID of the ``DHCP_Options`` row for DHCPv4, if any.
    dhcpv4_options: str | None = None
    tag: str | None = None

    @classmethod
    def from_row(cls, raw: Mapping[str, Any], switch: str | None = None) -> LogicalSwitchPort:
        return _read(cls, raw, switch=switch)

    @property
    def requested_chassis(self) -> str | None:
        """``options:requested-chassis`` (comma-separated during a live migration)."""
        return self.options.get("requested-chassis")

    @property
    def is_localnet(self) -> bool:
        return self.type == "localnet"

    @property
    def network_name(self) -> str | None:
        """``options:network_name`` of a localnet port (the physnet of a bridge mapping)."""
        return self.options.get("network_name")

    _repr_html_ = _html


@attrs.frozen
class DhcpOptions:
    """``DHCP_Options``: a CIDR and its options (``router``, ``lease_time``...)."""

    uuid: str
    cidr: str = ""
    options: dict[str, str] = attrs.field(factory=dict)
    external_ids: dict[str, str] = attrs.field(factory=dict)

    @classmethod
    def from_row(cls, raw: Mapping[str, Any]) -> DhcpOptions:
        return _read(cls, raw)

    _repr_html_ = _html


@attrs.frozen
class LogicalRouter:
    """``Logical_Router``: its ports and NAT rules (by UUID), ids."""

    uuid: str
    name: str = ""
    ports: tuple[str, ...] = ()
    nat: tuple[str, ...] = ()
    options: dict[str, str] = attrs.field(factory=dict)
    external_ids: dict[str, str] = attrs.field(factory=dict)

    @classmethod
    def from_row(cls, raw: Mapping[str, Any], port_names: Mapping[str, str]) -> LogicalRouter:
        return _read(cls, raw, ports=_port_names(raw, port_names))

    _repr_html_ = _html


@attrs.frozen
class LogicalRouterPort:
    """``Logical_Router_Port``: MAC, networks (``10.0.0.1/24``), peer."""

    uuid: str
    name: str = ""
    router: str | None = None
    mac: str = ""
    networks: tuple[str, ...] = ()
    peer: str | None = None
    options: dict[str, str] = attrs.field(factory=dict)
    external_ids: dict[str, str] = attrs.field(factory=dict)

    @classmethod
    def from_row(cls, raw: Mapping[str, Any], router: str | None = None) -> LogicalRouterPort:
        return _read(cls, raw, router=router)

    _repr_html_ = _html


@attrs.frozen
class Nat:
    """``NAT``: ``snat``, ``dnat`` or ``dnat_and_snat`` on a router."""

    uuid: str
    type: str = ""
    external_ip: str = ""
    logical_ip: str = ""
    logical_port: str | None = None
    external_mac: str | None = None
    router: str | None = None

    @classmethod
    def from_row(cls, raw: Mapping[str, Any], router: str | None = None) -> Nat:
        return _read(cls, raw, router=router)

    _repr_html_ = _html


@attrs.frozen
class Encap:
    """``Encap`` (SB): how a chassis is reached (``geneve`` at an IP)."""

    type: str
    ip: str


@attrs.frozen
class Chassis:
    """``Chassis`` (SB): a hypervisor that an ovn-controller registered."""

    uuid: str
    name: str = ""
    hostname: str = ""
    encaps: tuple[Encap, ...] = ()
    external_ids: dict[str, str] = attrs.field(factory=dict)
    other_config: dict[str, str] = attrs.field(factory=dict)

    @classmethod
    def from_row(cls, raw: Mapping[str, Any], encaps: Mapping[str, Encap]) -> Chassis:
        return _read(cls, raw, encaps=tuple(encaps[u] for u in _strs(raw, "encaps") if u in encaps))

    @property
    def bridge_mappings(self) -> str | None:
        """``ovn-bridge-mappings`` as the chassis reported it (OVN copies it here)."""
        return self.other_config.get("ovn-bridge-mappings") or self.external_ids.get(
            "ovn-bridge-mappings"
        )

    _repr_html_ = _html


@attrs.frozen
class PortBinding:
    """``Port_Binding`` (SB): where a logical port is bound; chassis names, not UUIDs."""

    uuid: str
    logical_port: str = ""
    type: str = ""
    chassis: str | None = None
    requested_chassis: str | None = None
    mac: tuple[str, ...] = ()
    up: bool | None = None
    options: dict[str, str] = attrs.field(factory=dict)

    @classmethod
    def from_row(cls, raw: Mapping[str, Any], chassis_names: Mapping[str, str]) -> PortBinding:
        chassis = _str(raw, "chassis")
        requested = _str(raw, "requested_chassis")
        return _read(
            cls,
            raw,
            chassis=chassis_names.get(chassis, chassis) if chassis else None,
            requested_chassis=chassis_names.get(requested, requested) if requested else None,
        )

    _repr_html_ = _html


@attrs.frozen
class NbSnapshot:
    """Everything of the northbound database this room models, read at one moment."""

    switches: tuple[LogicalSwitch, ...] = ()
    ports: tuple[LogicalSwitchPort, ...] = ()
    dhcp_options: tuple[DhcpOptions, ...] = ()
    routers: tuple[LogicalRouter, ...] = ()
    router_ports: tuple[LogicalRouterPort, ...] = ()
    nats: tuple[Nat, ...] = ()

    def port(self, name: str) -> LogicalSwitchPort | None:
        for port in self.ports:
            if port.name == name:
                return port
        return None

    def switch(self, name: str) -> LogicalSwitch | None:
        for switch in self.switches:
            if switch.name == name:
                return switch
        return None

    def localnet_ports(self) -> tuple[LogicalSwitchPort, ...]:
        return tuple(p for p in self.ports if p.is_localnet)


@attrs.frozen
class SbSnapshot:
    """The southbound chassis and port bindings, read at one moment."""

    chassis: tuple[Chassis, ...] = ()
    bindings: tuple[PortBinding, ...] = ()

    def binding(self, logical_port: str) -> PortBinding | None:
        for binding in self.bindings:
            if binding.logical_port == logical_port:
                return binding
        return None

    @property
    def chassis_names(self) -> tuple[str, ...]:
        return tuple(sorted(c.name for c in self.chassis))
