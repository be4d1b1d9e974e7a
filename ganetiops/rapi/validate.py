"""Checks made before anything is sent, where Ganeti's rules are known.

Each function either returns the value in the form the server wants or raises
:class:`~ganetiops.errors.ValidationError` naming the field. Checks that need
the cluster (enabled disk templates, default iallocator) are *preconditions*:
they run in the client against :class:`~ganetiops.rapi.call.ClusterFacts`
before the request is sent.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ganetiops.errors import ValidationError
from ganetiops.rapi.call import ClusterFacts, check_name

DISK_TEMPLATES = (
    "diskless",
    "file",
    "sharedfile",
    "plain",
    "blockdev",
    "drbd",
    "rbd",
    "ext",
    "gluster",
)
MIRRORED_INTERNALLY = ("drbd",)
#: Stock modes plus ``ovn`` (the homelab's Ganeti patch adds it).
NIC_MODES = ("bridged", "routed", "openvswitch", "ovn")
NIC_KEYS = (
    "mac",
    "ip",
    "mode",
    "link",
    "vlan",
    "network",
    "name",
    "bridge",
    "ovn_logical_switch",
    "ovn_dhcpv4_options",
)
DISK_KEYS = (
    "size",
    "mode",
    "name",
    "vg",
    "metavg",
    "adopt",
    "spindles",
    "provider",
    "access",
    "uuid",
)
HYPERVISORS = ("kvm", "xen-pvm", "xen-hvm", "chroot", "lxc", "fake")
REBOOT_TYPES = ("soft", "hard", "full")
MIGRATION_MODES = ("live", "non-live")
EVAC_MODES = ("primary-only", "secondary-only", "all")
REPLACE_MODES = (
    "replace_on_primary",
    "replace_on_secondary",
    "replace_new_secondary",
    "replace_auto",
)
NODE_ROLES = ("drained", "master-candidate", "offline", "regular")
ALLOC_POLICIES = ("preferred", "last_resort", "unallocable")
STORAGE_TYPES = (
    "file",
    "sharedfile",
    "gluster",
    "lvm-pv",
    "lvm-vg",
    "diskless",
    "blockdev",
    "rados",
    "ext",
)
EXPORT_MODES = ("local", "remote")
QUERY_RESOURCES = (
    "cluster",
    "instance",
    "node",
    "group",
    "network",
    "job",
    "export",
    "lock",
    "os",
    "filter",
)

_HOSTNAME_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)\Z")
_MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}\Z")
_SIZE = re.compile(r" *(\d+(?:\.\d+)?) *([KMGTP]?)(?:i?B)? *", re.IGNORECASE | re.ASCII)
_UNIT_MIB = {"": 1, "K": 1 / 1024, "M": 1, "G": 1024, "T": 1024**2, "P": 1024**3}


def hostname(value: Any, field: str = "name") -> str:
    """A DNS-style name (what Ganeti accepts for instances and nodes)."""
    if not isinstance(value, str) or not value or len(value) > 255:
        raise ValidationError(f"{field}: expected a host name, got {value!r}", field=field)
    labels = value.rstrip(".").split(".")
    if not all(_HOSTNAME_LABEL.fullmatch(label) for label in labels):
        raise ValidationError(
            f"{field}: {value!r} is not a valid host name "
            "(labels of letters, digits and '-', not starting or ending with '-')",
            field=field,
        )
    return value


def object_name(value: Any, field: str = "name") -> str:
    """A group, network or filter name: what RAPI can address in a path."""
    return check_name(value, field)


def mac(value: Any, field: str = "mac") -> str:
    """``auto``, ``generate`` or six ':'-separated hex pairs (returned lowercase)."""
    if isinstance(value, str) and value.lower() in ("auto", "generate"):
        return value.lower()
    if not isinstance(value, str) or not _MAC.fullmatch(value):
        raise ValidationError(
            f"{field}: {value!r} is not a MAC address (aa:00:00:12:34:56, auto or generate)",
            field=field,
        )
    return value.lower()


#: No storage Ganeti drives holds more than this (1 EiB; LVM's own limit is 8 EiB).
MAX_SIZE_MIB = 1024**4


def size_mib(value: Any, field: str = "size") -> int:
    """A size in MiB from an int (MiB) or a string with a unit: ``10G``, ``512M``, ``1.5T``."""
    if isinstance(value, bool):
        raise ValidationError(f"{field}: expected a size, got {value!r}", field=field)
    if isinstance(value, int):
        mib = value
    elif isinstance(value, float) and value.is_integer():
        mib = int(value)
    elif isinstance(value, str) and (match := _SIZE.fullmatch(value)):
        number, unit = float(match.group(1)), match.group(2).upper()
        exact = number * _UNIT_MIB[unit]
        if not exact.is_integer():
            raise ValidationError(f"{field}: {value!r} is not a whole number of MiB", field=field)
        mib = int(exact)
    else:
        raise ValidationError(
            f"{field}: {value!r} is not a size (MiB as a number, or with a unit: 512M, 10G, 1T)",
            field=field,
        )
    if mib < 0:
        raise ValidationError(f"{field}: size must not be negative", field=field)
    if mib > MAX_SIZE_MIB:
        raise ValidationError(
            f"{field}: {value!r} is more than any Ganeti can hold (at most 1 EiB, "
            f"{MAX_SIZE_MIB} MiB)",
            field=field,
        )
    return mib


def choice(value: Any, allowed: Sequence[str], field: str) -> str:
    if value not in allowed:
        raise ValidationError(f"{field}: {value!r} is not one of {', '.join(allowed)}", field=field)
    return str(value)


def _address(value: Any, field: str, parse: Callable[[str], object], what: str) -> str:
    """``value`` as ``parse`` (an ``ipaddress`` class) writes it, or a ValidationError."""
    try:
        if not isinstance(value, str):  # not ints or bools: 5 is not "0.0.0.5"
            raise TypeError
        return str(parse(value))
    except (ValueError, TypeError):  # AddressValueError and NetmaskValueError too
        raise ValidationError(f"{field}: {value!r} is not {what}", field=field) from None


def ipv4(value: Any, field: str) -> str:
    return _address(value, field, ipaddress.IPv4Address, "an IPv4 address")


def ipv4_network(value: Any, field: str) -> str:
    return _address(value, field, _strict(ipaddress.IPv4Network), "an IPv4 network")


def ipv6(value: Any, field: str) -> str:
    return _address(value, field, ipaddress.IPv6Address, "an IPv6 address")


def ipv6_network(value: Any, field: str) -> str:
    return _address(value, field, _strict(ipaddress.IPv6Network), "an IPv6 network")


def _strict(network: Callable[..., object]) -> Callable[[str], object]:
    """A network with no host bits set (``10.0.0.1/24`` is refused)."""
    return lambda text: network(text, strict=True)


def disk(spec: Any, index: int, *, creating: bool = True) -> dict[str, Any]:
    """A disk dict for create/modify; a bare size (``"10G"``, ``10240``) is accepted."""
    field = f"disks[{index}]"
    if isinstance(spec, int | str) and not isinstance(spec, bool):
        spec = {"size": spec}
    if not isinstance(spec, Mapping):
        raise ValidationError(f"{field}: expected a size or a dict", field=field)
    unknown = set(spec) - set(DISK_KEYS)
    if unknown:
        raise ValidationError(f"{field}: unknown key(s) {', '.join(sorted(unknown))}", field=field)
    out = {k: v for k, v in spec.items() if v is not None}
    if "size" in out:
        out["size"] = size_mib(out["size"], f"{field}.size")
        if out["size"] == 0:
            raise ValidationError(f"{field}.size: a disk of 0 MiB cannot exist", field=field)
    elif creating and "adopt" not in out:
        raise ValidationError(f"{field}: a size is required", field=field)
    if "mode" in out:
        out["mode"] = choice(out["mode"], ("rw", "ro"), f"{field}.mode")
    if "spindles" in out and (not isinstance(out["spindles"], int) or out["spindles"] < 0):
        raise ValidationError(f"{field}.spindles: expected a non-negative integer", field=field)
    return out


def nic(spec: Any, index: int) -> dict[str, Any]:
    """A NIC dict; every value a string, as Ganeti requires (``vlan: "100"``)."""
    field = f"nics[{index}]"
    if not isinstance(spec, Mapping):
        raise ValidationError(f"{field}: expected a dict", field=field)
    unknown = set(spec) - set(NIC_KEYS)
    if unknown:
        raise ValidationError(f"{field}: unknown key(s) {', '.join(sorted(unknown))}", field=field)
    out: dict[str, Any] = {}
    for key, value in spec.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValidationError(f"{field}.{key}: expected a string", field=field)
        out[key] = str(value)
    if "mac" in out:
        out["mac"] = mac(out["mac"], f"{field}.mac")
    if "mode" in out:
        out["mode"] = choice(out["mode"], NIC_MODES, f"{field}.mode")
    if "network" in out and ("mode" in out or "link" in out):
        raise ValidationError(
            f"{field}: a NIC on a network takes its mode and link from the network; "
            "give network or mode/link, not both",
            field=field,
        )
    ip = out.get("ip")
    if ip is not None and ip.lower() not in ("pool", "none"):
        out["ip"] = ipv4(ip, f"{field}.ip")
    if ip is not None and ip.lower() == "pool" and "network" not in out:
        raise ValidationError(f"{field}: ip=pool needs a network", field=field)
    if "vlan" in out and not re.fullmatch(r"(\.?\d+(:\d+)*|:\d+(:\d+)*)", out["vlan"], re.ASCII):
        raise ValidationError(
            f"{field}.vlan: {out['vlan']!r} is not a VLAN spec (100, .100, :100:200, .100:200)",
            field=field,
        )
    return out


def names(values: Iterable[Any], field: str) -> list[str]:
    return [hostname(v, f"{field}[{i}]") for i, v in enumerate(values)]


#: Ganeti's own rule (``lib/objects.py`` ``TaggableObject.VALID_TAG_RE`` and
#: ``constants.MAX_TAG_LEN``): word characters and ``.+*/:@-``, 1 to 128 of them.
#: Ganeti's ``$`` also lets a final newline through; this does not.
TAG_RE = re.compile(r"[\w.+*/:@-]+")
MAX_TAG_LEN = 128


def tags(values: Iterable[Any]) -> list[str]:
    """Tags as Ganeti checks them: 1-128 of letters, digits, ``_`` and ``.+*/:@-``."""
    if isinstance(values, str):
        raise ValidationError("tags: expected a list of tags, not one string", field="tags")
    out = []
    for i, tag in enumerate(values):
        if (
            not isinstance(tag, str)
            or not tag
            or len(tag) > MAX_TAG_LEN
            or not TAG_RE.fullmatch(tag)
        ):
            raise ValidationError(
                f"tags[{i}]: {tag!r} is not a valid Ganeti tag (1-{MAX_TAG_LEN} letters, "
                "digits, '_' and '.+*/:@-'; no '=', spaces or control characters)",
                field="tags",
            )
        out.append(tag)
    if not out:
        raise ValidationError("tags: give at least one tag", field="tags")
    return out


def enabled_on_cluster(field: str, value: str) -> Callable[[ClusterFacts], None]:
    """Precondition: the cluster enables ``value`` (``field``: ``disk_template`` or
    ``hypervisor``). A cluster that reports nothing enabled is not second-guessed."""
    plural = {"disk_template": "enabled_disk_templates", "hypervisor": "enabled_hypervisors"}

    def check(facts: ClusterFacts) -> None:
        enabled: tuple[str, ...] = getattr(facts, plural[field])
        if enabled and value not in enabled:
            raise ValidationError(
                f"{field}: {value!r} is not enabled on this cluster "
                f"(enabled: {', '.join(enabled)})",
                field=field,
            )

    return check


def within_ipolicy(sizes: Sequence[int], field: str = "disks") -> Callable[[ClusterFacts], None]:
    """Precondition: each disk size fits the cluster's instance policy (``ipolicy``'s
    ``minmax`` disk-size bounds, as ``GET /2/info`` reports them), as Ganeti will check.

    A cluster that reports no policy is not second-guessed; ``ignore_ipolicy`` callers
    skip this check.
    """

    def check(facts: ClusterFacts) -> None:
        policy = facts.raw.get("ipolicy")
        bounds = policy.get("minmax") if isinstance(policy, Mapping) else None
        if not isinstance(bounds, list) or not bounds:
            return
        ranges = []
        for entry in bounds:
            try:
                low = int(entry["min"]["disk-size"])
                high = int(entry["max"]["disk-size"])
            except (KeyError, TypeError, ValueError):
                return  # a policy we cannot read: Ganeti will say
            ranges.append((low, high))
        for i, size in enumerate(sizes):
            if not any(low <= size <= high for low, high in ranges):
                allowed = ", ".join(f"{low}..{high} MiB" for low, high in ranges)
                raise ValidationError(
                    f"{field}[{i}].size: {size} MiB is outside the cluster's instance policy "
                    f"(disk-size {allowed}; gnt-cluster info shows the ipolicy)",
                    field=field,
                )

    return check


def needs_default_iallocator(facts: ClusterFacts) -> None:
    if not facts.raw.get("default_iallocator"):
        raise ValidationError(
            "give pnode (and snode for drbd) or an iallocator: "
            "this cluster has no default iallocator",
            field="pnode",
        )
