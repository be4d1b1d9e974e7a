"""Pure parsers of node command outputs: text in, typed value out, no I/O.

Each parser takes the command's stdout and exit status (``None`` when the command
did not finish) and is tested on real outputs in ``tests/unit/test_ssh_parsers.py``.
A parser raises ``ValueError`` on output it does not understand.
"""

from __future__ import annotations

import ipaddress
import re

import attrs

__all__ = [
    "Bridge",
    "DrbdInfo",
    "DrbdMinor",
    "InterfaceAddress",
    "VolumeGroup",
    "parse_addresses",
    "parse_bridges",
    "parse_daemons",
    "parse_first_line",
    "parse_ganeti_version",
    "parse_getent_hosts",
    "parse_os_providers",
    "parse_proc_drbd",
    "parse_ssconf_value",
    "parse_vgs",
]


@attrs.frozen
class VolumeGroup:
    name: str
    size_mib: float
    free_mib: float


@attrs.frozen
class Bridge:
    name: str
    #: ``linux`` (kernel bridge) or ``ovs`` (Open vSwitch).
    kind: str


@attrs.frozen
class InterfaceAddress:
    interface: str
    address: str
    prefixlen: int


@attrs.frozen
class DrbdMinor:
    """One configured minor as ``/proc/drbd`` lists it (8.4 format)."""

    minor: int
    connection: str
    roles: str
    disk_states: str


@attrs.frozen
class DrbdInfo:
    """The loaded DRBD module as ``/proc/drbd`` describes it."""

    version: str
    api: str | None = None
    proto: str | None = None
    #: ``8.4`` when a DRBD 9 module runs in 8.4 compatibility mode (the homelab's).
    compat: str | None = None
    srcversion: str | None = None
    minors: tuple[DrbdMinor, ...] = ()

    @property
    def major(self) -> int:
        return int(self.version.split(".", 1)[0])


def parse_first_line(stdout: str, status: int | None) -> str | None:
    """The first non-empty line, or ``None`` when the command failed or printed nothing."""
    if status != 0:
        return None
    for line in stdout.splitlines():
        if line.strip():
            return line.strip()
    return None


def parse_getent_hosts(stdout: str, status: int | None) -> tuple[str, ...]:
    """Addresses from ``getent hosts NAME`` or ``getent ahostsv4 NAME`` (2: not found)."""
    if status == 2:
        return ()
    if status != 0:
        raise ValueError(f"getent exited {status}")
    found: list[str] = []
    for line in stdout.splitlines():
        fields = line.split()
        if not fields:
            continue
        address = fields[0]
        ipaddress.ip_address(address)
        if address not in found:
            found.append(address)
    return tuple(found)


_VERSION = re.compile(r"\(ganeti v?(?P<package>[^)]+)\)\s+(?P<version>\S+)")
_DAEMON_VERSION = re.compile(r"^\S+ \(ganeti\) version v?(?P<version>\S+)")
_PACKAGE_REVISION = re.compile(r"^(?P<version>\d+\.\d+\.\d+)-\d+$")


def parse_ganeti_version(stdout: str, status: int | None) -> str | None:
    """Ganeti's release (``3.0.2``); ``None`` when Ganeti is not installed.

    Reads ``gnt-cluster --version`` (``gnt-cluster (ganeti 3.0.2-3) 3.0.2``) or, much
    faster, a Haskell daemon's ``--version`` (``ganeti-confd (ganeti) version 3.0.2-3``,
    whose Debian revision ``-3`` is dropped).
    """
    if status == 127 or (status != 0 and not stdout.strip()):
        return None
    daemon = _DAEMON_VERSION.search(stdout.strip())
    if daemon:
        version = daemon.group("version")
        revision = _PACKAGE_REVISION.match(version)
        return revision.group("version") if revision else version
    match = _VERSION.search(stdout)
    if not match:
        raise ValueError(f"unexpected gnt-cluster --version output: {stdout.strip()[:80]!r}")
    return match.group("version")


def parse_daemons(stdout: str, status: int | None) -> dict[str, bool]:
    """Lines ``<daemon> running|stopped`` (see ``facts.DAEMONS``) → running by daemon."""
    daemons: dict[str, bool] = {}
    for line in stdout.splitlines():
        fields = line.split()
        if len(fields) != 2 or fields[1] not in ("running", "stopped"):
            if line.strip():
                raise ValueError(f"unexpected daemon line {line!r}")
            continue
        daemons[fields[0]] = fields[1] == "running"
    return daemons


def parse_bridges(stdout: str, status: int | None) -> tuple[Bridge, ...]:
    """Lines ``linux <name>`` / ``ovs <name>`` → bridges, in order, without duplicates."""
    bridges: list[Bridge] = []
    for line in stdout.splitlines():
        fields = line.split()
        if len(fields) != 2 or fields[0] not in ("linux", "ovs"):
            continue
        bridge = Bridge(name=fields[1], kind=fields[0])
        if bridge not in bridges:
            bridges.append(bridge)
    return tuple(bridges)


def parse_vgs(stdout: str, status: int | None) -> tuple[VolumeGroup, ...]:
    """``vgs --noheadings --units m --nosuffix --separator '|' -o vg_name,vg_size,vg_free``.

    No LVM tools (127) or no volume groups is an empty tuple.
    """
    if status == 127:
        return ()
    groups: list[VolumeGroup] = []
    for line in stdout.splitlines():
        fields = [f.strip() for f in line.strip().split("|")]
        if len(fields) != 3 or not fields[0]:
            continue
        groups.append(
            VolumeGroup(
                name=fields[0],
                size_mib=float(fields[1].replace(",", ".")),
                free_mib=float(fields[2].replace(",", ".")),
            )
        )
    return tuple(groups)


_DRBD_VERSION = re.compile(
    r"^version:\s*(?P<version>\d+\.\d+\.\d+\S*)"
    r"(?:\s*\(api:(?P<api>[^/)]+)/proto:(?P<proto>[^)]+)\))?"
    r"(?:\s*\(compat (?P<compat>[^)]+)\))?"
)
_DRBD_MINOR = re.compile(
    r"^\s*(?P<minor>\d+):\s+cs:(?P<cs>\S+)(?:\s+ro:(?P<ro>\S+))?(?:\s+ds:(?P<ds>\S+))?"
)


def parse_proc_drbd(stdout: str, status: int | None) -> DrbdInfo | None:
    """``cat /proc/drbd`` → module version and minors; ``None`` when DRBD is not loaded.

    Understands the 8.4 format and DRBD 9 in 8.4 compatibility mode (a ``(compat 8.4)``
    suffix on the version line). An unconfigured minor (``0: cs:Unconfigured``) is listed
    with empty roles and disk states.
    """
    if status != 0:
        return None
    version_match = None
    srcversion = None
    minors: list[DrbdMinor] = []
    for line in stdout.splitlines():
        if version_match is None:
            version_match = _DRBD_VERSION.match(line.strip())
            if version_match:
                continue
        if line.startswith("srcversion:"):
            srcversion = line.split(":", 1)[1].strip() or None
            continue
        minor = _DRBD_MINOR.match(line)
        if minor:
            minors.append(
                DrbdMinor(
                    minor=int(minor.group("minor")),
                    connection=minor.group("cs"),
                    roles=minor.group("ro") or "",
                    disk_states=minor.group("ds") or "",
                )
            )
    if version_match is None:
        if not stdout.strip():
            return None
        raise ValueError("no version line in /proc/drbd")
    return DrbdInfo(
        version=version_match.group("version"),
        api=version_match.group("api"),
        proto=version_match.group("proto"),
        compat=version_match.group("compat"),
        srcversion=srcversion,
        minors=tuple(minors),
    )


def parse_os_providers(stdout: str, status: int | None) -> tuple[str, ...]:
    """Paths of OS provider directories (one per line) → provider names, first wins."""
    names: list[str] = []
    for line in stdout.splitlines():
        path = line.strip().rstrip("/")
        if not path:
            continue
        name = path.rsplit("/", 1)[-1]
        if name not in names:
            names.append(name)
    return tuple(names)


def parse_ssconf_value(stdout: str, status: int | None) -> str | None:
    """An ssconf file's single value; ``None`` when the file does not exist (not in a cluster)."""
    return parse_first_line(stdout, status)


_ADDR = re.compile(r"^\d+:\s+(?P<ifname>\S+?)(?:@\S+)?\s+inet\s+(?P<addr>[\d.]+)/(?P<len>\d+)")


def parse_addresses(stdout: str, status: int | None) -> tuple[InterfaceAddress, ...]:
    """``ip -o -4 addr show`` → (interface, address, prefix length) for each IPv4 address."""
    if status != 0:
        raise ValueError(f"ip addr exited {status}")
    found: list[InterfaceAddress] = []
    for line in stdout.splitlines():
        match = _ADDR.match(line.strip())
        if match:
            found.append(
                InterfaceAddress(
                    interface=match.group("ifname"),
                    address=match.group("addr"),
                    prefixlen=int(match.group("len")),
                )
            )
    return tuple(found)
