"""Checks on names and addresses before anything reaches an OVN database. Pure.

OVN itself accepts almost any string as a name, but ``ovn-nbctl`` and northd read
some of them back as syntax: whitespace and commas split ``addresses``, quotes and
backslashes need escaping, and ``requested-chassis`` is a comma-separated list. The
rules here refuse what would not round-trip, so nothing half-written is ever sent.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Final

from ganetiops.errors import ValidationError

__all__ = [
    "addresses",
    "chassis_name",
    "cidr",
    "dhcp_options",
    "ipv4",
    "mac",
    "name",
    "remote",
]

_NAME_RE: Final = re.compile(r"^[A-Za-z0-9_.:@/+-]{1,128}$")
_MAC_RE: Final = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
_CHASSIS_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_REMOTE_RE: Final = re.compile(r"^(tcp|ssl):(?P<host>[^:\[\]]+|\[[0-9a-fA-F:]+\]):(?P<port>\d+)$")
#: Address keywords ``Logical_Switch_Port.addresses`` accepts besides "MAC [IP...]".
ADDRESS_KEYWORDS: Final = ("unknown", "router", "dynamic")
#: DHCPv4 option names the homelab recipe sets (homelab.md §4.2), and others OVN knows.
DHCP_OPTION_NAMES: Final = frozenset(
    {
        "lease_time",
        "router",
        "server_id",
        "server_mac",
        "dns_server",
        "domain_name",
        "mtu",
        "netmask",
        "classless_static_route",
        "ntp_server",
        "hostname",
        "T1",
        "T2",
        "bootfile_name",
        "tftp_server",
        "broadcast_address",
        "wpad",
        "domain_search_list",
    }
)


def _matching(value: object, field: str, pattern: re.Pattern[str], what: str) -> str:
    """``value`` when it is text that ``pattern`` matches; else says it is not ``what``."""
    if not isinstance(value, str) or not pattern.match(value):
        raise ValidationError(f"{field}: {value!r} is not {what}", field=field)
    return value


def name(value: object, field: str) -> str:
    """A switch, router or port name: 1-128 of ``A-Za-z0-9_.:@/+-``."""
    return _matching(
        value,
        field,
        _NAME_RE,
        "a usable OVN name (1-128 characters of letters, digits and _.:@/+-; no spaces, "
        "commas or quotes)",
    )


def chassis_name(value: object, field: str = "chassis") -> str:
    """A chassis name (``system-id``): a short host name."""
    what = "a chassis name (a short host name: letters, digits, '.', '_', '-')"
    return _matching(value, field, _CHASSIS_RE, what)


def mac(value: object, field: str = "mac") -> str:
    """A unicast Ethernet address ``aa:bb:cc:dd:ee:ff`` (returned lower-case)."""
    value = _matching(value, field, _MAC_RE, "a MAC address")
    if int(value[:2], 16) & 1:
        raise ValidationError(f"{field}: {value} is a multicast MAC address", field=field)
    return value.lower()


def ipv4(value: object, field: str = "ip") -> str:
    """A dotted IPv4 address."""
    try:
        return str(ipaddress.IPv4Address(str(value)))
    except ValueError:
        raise ValidationError(f"{field}: {value!r} is not an IPv4 address", field=field) from None


def cidr(value: object, field: str = "cidr") -> str:
    """An IPv4 network ``192.0.2.0/24`` (host bits must be zero)."""
    try:
        return str(ipaddress.IPv4Network(str(value)))
    except ValueError:
        raise ValidationError(
            f"{field}: {value!r} is not an IPv4 network such as 192.0.2.0/24", field=field
        ) from None


def addresses(values: Iterable[str], field: str = "addresses") -> tuple[str, ...]:
    """``Logical_Switch_Port.addresses`` entries: ``"MAC [IP...]"`` or a keyword."""
    out = []
    for entry in values:
        parts = entry.split() if isinstance(entry, str) else []
        if not parts:
            raise ValidationError(f"{field}: empty address entry", field=field)
        if len(parts) == 1 and parts[0] in ADDRESS_KEYWORDS:
            out.append(parts[0])
            continue
        ips = [ipv4(ip, field) for ip in parts[1:]]
        out.append(" ".join([mac(parts[0], field), *ips]))
    return tuple(out)


def dhcp_options(options: dict[str, str], field: str = "options") -> dict[str, str]:
    """DHCPv4 options: known names only; ``router``/``server_id`` IPv4, ``server_mac`` MAC,
    ``lease_time`` a positive integer."""
    out: dict[str, str] = {}
    for key, value in options.items():
        if key not in DHCP_OPTION_NAMES:
            known = ", ".join(sorted(DHCP_OPTION_NAMES))
            raise ValidationError(
                f"{field}: unknown DHCPv4 option {key!r} (known: {known})", field=field
            )
        text = str(value)
        if key in ("router", "server_id"):
            text = ipv4(text, f"{field}.{key}")
        elif key == "server_mac":
            text = mac(text, f"{field}.{key}")
        elif key == "lease_time" and (not text.isdigit() or int(text) == 0):
            raise ValidationError(
                f"{field}.lease_time: {text!r} is not a positive number of seconds",
                field=field,
            )
        elif any(c in text for c in "\n\r"):
            raise ValidationError(f"{field}.{key}: newline in value", field=field)
        out[key] = text
    return out


def remote(value: object, field: str = "remote") -> tuple[str, str, int]:
    """An OVSDB remote ``tcp:HOST:PORT`` or ``ssl:HOST:PORT`` -> (scheme, host, port)."""
    match = _REMOTE_RE.match(str(value)) if isinstance(value, str) else None
    if match is None or not 0 < int(match.group("port")) < 65536:
        raise ValidationError(
            f"{field}: {value!r} is not an OVSDB remote such as tcp:10.1.100.5:6641",
            field=field,
        )
    scheme = str(value).split(":", 1)[0]
    return scheme, match.group("host").strip("[]"), int(match.group("port"))
