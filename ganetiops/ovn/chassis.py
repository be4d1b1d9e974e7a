"""The OVN chassis of every node: the ``external-ids`` ovn-controller reads, over SSH.

Each homelab node needs, in its local Open vSwitch database (homelab.md §4.2)::

    system-id            = the node's short name (the OVN patch assumes chassis == short name)
    ovn-remote           = tcp:10.1.100.5:6642  (the southbound database on dalet)
    ovn-encap-type       = geneve
    ovn-encap-ip         = the node's primary (or secondary) address
    ovn-bridge-mappings  = <physnet>:<bridge>   (when localnet ports are used)

:func:`desired_external_ids` computes them (pure), :func:`parse_external_ids` reads
``ovs-vsctl --format=json`` output (pure), :func:`compare` lists the drift (pure).
:func:`read_chassis` and :func:`apply_chassis` run ``ovs-vsctl`` on the nodes through
:class:`ganetiops.ssh.Nodes` (host keys verified); :func:`registration` holds the
result against the southbound ``Chassis`` table.
"""

from __future__ import annotations

import asyncio
import json
import shlex
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs

from ganetiops.errors import ValidationError
from ganetiops.ovn import validate

if TYPE_CHECKING:
    from ganetiops.ovn.models import SbSnapshot
    from ganetiops.ssh.nodes import Nodes

__all__ = [
    "KEYS",
    "ChassisState",
    "Drift",
    "apply_chassis",
    "chassis_name",
    "compare",
    "desired_external_ids",
    "parse_external_ids",
    "read_chassis",
    "registration",
]

KEYS: Final = ("system-id", "ovn-remote", "ovn-encap-type", "ovn-encap-ip", "ovn-bridge-mappings")
READ_COMMAND: Final = (
    "ovs-vsctl --timeout=10 --format=json --columns=external_ids list Open_vSwitch"
)


def chassis_name(node: str) -> str:
    """The chassis name of a node: its short name (``aleph.homelab.tel`` -> ``aleph``)."""
    return node.split(".", 1)[0]


def desired_external_ids(
    node: str,
    *,
    ovn_remote: str,
    encap_ip: str,
    encap_type: str = "geneve",
    bridge_mappings: str | None = None,
) -> dict[str, str]:
    """The ``external-ids`` a node should have. Refuses values OVN would misread."""
    validate.remote(ovn_remote, "ovn-remote")
    ids = {
        "system-id": validate.chassis_name(chassis_name(node), "system-id"),
        "ovn-remote": ovn_remote,
        "ovn-encap-type": _encap_type(encap_type),
        "ovn-encap-ip": validate.ipv4(encap_ip, "ovn-encap-ip"),
    }
    if bridge_mappings:
        ids["ovn-bridge-mappings"] = _mappings(bridge_mappings)
    return ids


def _encap_type(value: str) -> str:
    if value not in ("geneve", "vxlan", "stt"):
        raise ValidationError(
            f"ovn-encap-type: {value!r} (expected geneve, vxlan or stt)", field="encap_type"
        )
    return value


def _mappings(value: str) -> str:
    """``physnet:br0[,physnet2:br1]``: each a name, a colon and a bridge name."""
    for item in value.split(","):
        physnet, sep, bridge = item.partition(":")
        if not sep:
            raise ValidationError(
                f"ovn-bridge-mappings: {item!r} is not PHYSNET:BRIDGE", field="bridge_mappings"
            )
        validate.name(physnet, "ovn-bridge-mappings physnet")
        validate.name(bridge, "ovn-bridge-mappings bridge")
    return value


def parse_external_ids(text: str) -> dict[str, str]:
    """``ovs-vsctl --format=json --columns=external_ids list Open_vSwitch`` -> the map. Pure."""
    try:
        data = json.loads(text)
        cell = data["data"][0][0]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ValueError(f"unexpected ovs-vsctl output: {text[:200]!r}") from None
    if not (isinstance(cell, list) and len(cell) == 2 and cell[0] == "map"):
        raise ValueError(f"external_ids is not a map: {cell!r}")
    return {str(k): str(v) for k, v in cell[1]}


@attrs.frozen
class Drift:
    """One key that differs: ``actual`` is ``None`` when the node lacks it."""

    node: str
    key: str
    expected: str
    actual: str | None

    @property
    def kind(self) -> str:
        return "missing" if self.actual is None else "differs"


def compare(node: str, desired: Mapping[str, str], actual: Mapping[str, str]) -> tuple[Drift, ...]:
    """Every desired key whose value the node does not have. Pure."""
    return tuple(
        Drift(node, key, value, actual.get(key))
        for key, value in desired.items()
        if actual.get(key) != value
    )


@attrs.frozen
class ChassisState:
    """One node's chassis settings as read, against what they should be."""

    node: str
    desired: dict[str, str]
    actual: dict[str, str] | None = None
    drift: tuple[Drift, ...] = ()
    #: Why the node could not be read (unreachable, ovs-vsctl failed).
    error: str | None = None
    #: Registered in the southbound ``Chassis`` table (``None``: not checked).
    registered: bool | None = None
    #: Encap IPs the southbound shows for it.
    sb_encap_ips: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None and not self.drift and self.registered is not False

    def record(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "chassis": self.desired.get("system-id"),
            "ok": self.ok,
            "drift": [f"{d.key}: {d.actual!r} -> {d.expected!r}" for d in self.drift],
            "registered": self.registered,
            "sb_encap_ips": list(self.sb_encap_ips),
            "error": self.error,
            **{k: (self.actual or {}).get(k) for k in KEYS},
        }


def set_command(ids: Mapping[str, str]) -> str:
    """The ``ovs-vsctl set`` command line that writes ``ids`` (values quoted twice:
    for ovs-vsctl's own syntax, then for the remote shell)."""
    parts = ["ovs-vsctl", "--timeout=10", "set", "Open_vSwitch", "."]
    for key, value in sorted(ids.items()):
        if any(c in value for c in '"\\\n'):
            raise ValidationError(f"{key}: quotes, backslashes or newlines in {value!r}", field=key)
        parts.append(shlex.quote(f'external-ids:{key}="{value}"'))
    return " ".join(parts)


async def read_chassis(
    nodes: Nodes, desired: Mapping[str, Mapping[str, str]]
) -> dict[str, ChassisState]:
    """Read every node's ``external_ids`` over SSH and compare with ``desired[node]``."""

    async def one(node: str) -> ChassisState:
        want = dict(desired[node])
        try:
            conn = await nodes.connection(node)
            result = await conn.run(READ_COMMAND, timeout=30)
        except Exception as exc:  # SshError and friends: reported per node
            return ChassisState(node, want, error=str(exc))
        if not result.ok:
            return ChassisState(node, want, error=result.failure())
        try:
            actual = parse_external_ids(result.stdout)
        except ValueError as exc:
            return ChassisState(node, want, error=f"{node}: {exc}")
        return ChassisState(node, want, actual, compare(node, want, actual))

    states = await asyncio.gather(*(one(n) for n in desired))
    return {s.node: s for s in states}


async def apply_chassis(
    nodes: Nodes, desired: Mapping[str, Mapping[str, str]], *, dry_run: bool = False
) -> dict[str, ChassisState]:
    """Set the drifting keys on each node that drifts, then read back; ``dry_run`` only reads.

    Returns the states *after* (with ``dry_run``: as found). Only the keys of ``desired``
    are written; other external-ids stay as they are.
    """
    before = await read_chassis(nodes, desired)
    if dry_run:
        return before

    async def fix(state: ChassisState) -> None:
        if state.error or not state.drift:
            return
        command = set_command({d.key: d.expected for d in state.drift})
        conn = await nodes.connection(state.node)
        (await conn.run(command, timeout=30)).check()

    await asyncio.gather(*(fix(s) for s in before.values()))
    return await read_chassis(nodes, desired)


def registration(states: Mapping[str, ChassisState], sb: SbSnapshot) -> dict[str, ChassisState]:
    """States with ``registered``/``sb_encap_ips`` filled from the southbound. Pure."""
    by_name = {c.name: c for c in sb.chassis}
    out = {}
    for node, state in states.items():
        chassis = by_name.get(state.desired.get("system-id", chassis_name(node)))
        out[node] = attrs.evolve(
            state,
            registered=chassis is not None,
            sb_encap_ips=tuple(e.ip for e in chassis.encaps) if chassis else (),
        )
    return out


def desired_for(
    nodes: Sequence[tuple[str, str]],
    *,
    ovn_remote: str,
    encap_type: str = "geneve",
    bridge_mappings: str | None = None,
) -> dict[str, dict[str, str]]:
    """``[(node, encap ip)]`` -> desired external-ids per node."""
    return {
        name: desired_external_ids(
            name,
            ovn_remote=ovn_remote,
            encap_ip=ip,
            encap_type=encap_type,
            bridge_mappings=bridge_mappings,
        )
        for name, ip in nodes
    }
