"""Ganeti's NICs held against the northbound ports and southbound bindings; the repair plan.

:func:`check` is pure: Ganeti's NICs (UUID, MAC, IP, network, primary node), the switch
of each network, an :class:`~ganetiops.ovn.models.NbSnapshot` and optionally an
:class:`~ganetiops.ovn.models.SbSnapshot` in, :class:`Finding` s out. A port a
patched Ganeti would have made is named by the NIC's UUID, on the network's switch,
with ``addresses`` and ``port_security`` ``"MAC IP"`` and ``options:requested-chassis``
the primary node's chassis (homelab.md §4.3).

:func:`plan` turns the repairable findings into :class:`Change` s, each naming the
values it expects to find; :func:`apply` sends them to the northbound database as
**one** transaction in which each change first checks its row is still as the plan
saw it (else :class:`~ganetiops.errors.OvnConflictError`, nothing applied). A port is
deleted only by a ``delete-port`` change of the plan, that is, only when the plan
shows it. Findings from the southbound (unbound ports, missing chassis) are
reported, never "repaired" from the northbound.
"""

from __future__ import annotations

import re
import uuid as uuid_module
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from ganetiops.ovn.commands import Expect, Function, insert_row
from ganetiops.ovn.db import Northbound
from ganetiops.ovn.ganeti import GanetiNic, SwitchBinding
from ganetiops.ovn.models import LogicalSwitchPort, NbSnapshot, SbSnapshot

__all__ = [
    "KINDS",
    "Change",
    "CheckReport",
    "Finding",
    "Plan",
    "apply",
    "check",
    "plan",
]

MISSING: Final = "missing-port"
ORPHANED: Final = "orphaned-port"
STALE_CHASSIS: Final = "stale-requested-chassis"
WRONG_ADDRESSES: Final = "wrong-addresses"
WRONG_PORT_SECURITY: Final = "wrong-port-security"
WRONG_SWITCH: Final = "wrong-switch"
WRONG_DHCP: Final = "wrong-dhcp-options"
MIGRATING: Final = "migrating"
SB_UNBOUND: Final = "sb-unbound"
SB_ELSEWHERE: Final = "sb-bound-elsewhere"
NO_CHASSIS: Final = "chassis-not-registered"
#: Every finding kind, repairable ones first.
KINDS: Final = (
    MISSING,
    ORPHANED,
    STALE_CHASSIS,
    WRONG_ADDRESSES,
    WRONG_PORT_SECURITY,
    WRONG_SWITCH,
    WRONG_DHCP,
    MIGRATING,
    SB_UNBOUND,
    SB_ELSEWHERE,
    NO_CHASSIS,
)
REPAIRABLE: Final = frozenset(KINDS[:7])
_UUID_RE: Final = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@attrs.frozen
class Finding:
    """One thing that differs; ``expected``/``actual`` as text (``None``: absent)."""

    kind: str
    port: str
    instance: str | None = None
    nic: int | None = None
    switch: str | None = None
    expected: str | None = None
    actual: str | None = None

    @property
    def repairable(self) -> bool:
        return self.kind in REPAIRABLE

    @property
    def message(self) -> str:
        who = f"{self.instance} nic{self.nic}" if self.instance is not None else "no Ganeti NIC"
        text = {
            MISSING: "no NB port",
            ORPHANED: "NB port has no Ganeti NIC",
            STALE_CHASSIS: "requested-chassis is not the primary node's chassis",
            WRONG_ADDRESSES: "addresses differ",
            WRONG_PORT_SECURITY: "port security differs",
            WRONG_SWITCH: "port is on another switch",
            WRONG_DHCP: "DHCPv4 options differ",
            MIGRATING: "requested on two chassis (a live migration in progress?)",
            SB_UNBOUND: "SB binding not claimed by any chassis",
            SB_ELSEWHERE: "SB binding claimed by another chassis",
            NO_CHASSIS: "the requested chassis is not registered in the SB",
        }.get(self.kind, self.kind)
        return f"{who}: {text}"

    def record(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "port": self.port,
            "instance": self.instance,
            "nic": self.nic,
            "switch": self.switch,
            "expected": self.expected,
            "actual": self.actual,
            "repairable": self.repairable,
            "message": self.message,
        }


@attrs.frozen
class CheckReport:
    findings: tuple[Finding, ...]
    nics: int
    ports: int

    @property
    def ok(self) -> bool:
        return not any(f.repairable for f in self.findings)

    def of_kind(self, kind: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind == kind)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for finding in self.findings:
            out[finding.kind] = out.get(finding.kind, 0) + 1
        return out


def _looks_ganeti(port: LogicalSwitchPort) -> bool:
    """A port a patched Ganeti made: a plain port named by a UUID or with its ids."""
    if port.type:
        return False
    return bool(_UUID_RE.match(port.name)) or "neutron:port_name" in port.external_ids


def _one(values: Sequence[str]) -> str | None:
    return " ".join(values) if values else None


def check(
    nics: Iterable[GanetiNic],
    bindings: Mapping[str, SwitchBinding],
    nb: NbSnapshot,
    sb: SbSnapshot | None = None,
) -> CheckReport:
    """Every difference between Ganeti's NICs on OVN networks and the databases. Pure."""
    findings: list[Finding] = []
    ports = {p.name: p for p in nb.ports}
    switches = {b.switch for b in bindings.values()}
    registered = set(sb.chassis_names) if sb is not None else None
    expected_names = set()
    checked = 0
    for nic in nics:
        binding = bindings.get(nic.network or "")
        if binding is None:
            continue  # not on an OVN network
        checked += 1
        expected_names.add(nic.uuid)
        findings += _nic_findings(nic, binding, ports.get(nic.uuid), registered, sb)
    for port in nb.ports:
        if port.switch in switches and port.name not in expected_names and _looks_ganeti(port):
            findings.append(
                Finding(ORPHANED, port=port.name, switch=port.switch, actual=_one(port.addresses))
            )
    order = {k: i for i, k in enumerate(KINDS)}
    findings.sort(key=lambda f: (order.get(f.kind, 99), f.instance or "", f.nic or 0, f.port))
    return CheckReport(tuple(findings), nics=checked, ports=len(nb.ports))


def _nic_findings(
    nic: GanetiNic,
    binding: SwitchBinding,
    port: LogicalSwitchPort | None,
    registered: set[str] | None,
    sb: SbSnapshot | None,
) -> list[Finding]:
    """What differs for one NIC on an OVN network: its port, addresses, DHCP, chassis."""
    common: dict[str, Any] = {"port": nic.uuid, "instance": nic.instance, "nic": nic.index}
    if port is None:
        return [Finding(MISSING, switch=binding.switch, expected=nic.addresses, **common)]
    found: list[Finding] = []

    def differs(
        kind: str, expected: str | None, actual: str | None = None, switch: str | None = None
    ) -> None:
        switch = port.switch if switch is None else switch
        found.append(Finding(kind, switch=switch, expected=expected, actual=actual, **common))

    if port.switch != binding.switch:
        differs(WRONG_SWITCH, binding.switch, port.switch, switch=binding.switch)
    want = nic.addresses
    if want is not None and port.addresses != (want,):
        differs(WRONG_ADDRESSES, want, _one(port.addresses))
    if want is not None and port.port_security != (want,):
        differs(WRONG_PORT_SECURITY, want, _one(port.port_security))
    if binding.dhcpv4_options and port.dhcpv4_options != binding.dhcpv4_options:
        differs(WRONG_DHCP, binding.dhcpv4_options, port.dhcpv4_options)
    requested, chassis = port.requested_chassis, nic.chassis
    if chassis is not None:
        if requested and "," in requested and chassis in requested.split(","):
            differs(MIGRATING, chassis, requested)
        elif requested != chassis and (requested or nic.running):
            differs(STALE_CHASSIS, chassis, requested)
        if registered is not None and chassis not in registered:
            differs(NO_CHASSIS, chassis)
    if sb is not None and nic.running:
        bound = sb.binding(nic.uuid)
        if bound is not None and bound.chassis is None:
            differs(SB_UNBOUND, chassis)
        elif bound is not None and bound.chassis != chassis:
            differs(SB_ELSEWHERE, chassis, bound.chassis)
    return found


# -- the plan --------------------------------------------------------------------------


@attrs.frozen
class Change:
    """One change of a repair plan.

    ``action``: ``add-port``, ``delete-port``, ``set`` (columns of an existing port) or
    ``move-port`` (to ``switch``). ``expect`` holds what the row must still hold when the
    change is applied; ``values`` what it gets (``"options:requested-chassis"`` names one
    key of a map column).
    """

    action: str
    port: str
    switch: str | None
    reason: str
    values: dict[str, Any] = attrs.field(factory=dict)
    expect: dict[str, Any] = attrs.field(factory=dict)

    def record(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "port": self.port,
            "switch": self.switch,
            "reason": self.reason,
            "values": self.values,
            "expect": self.expect,
        }

    def describe(self) -> str:
        if self.action == "add-port":
            return f"add port {self.port} to {self.switch}: {self.values.get('addresses')}"
        if self.action == "delete-port":
            return f"DELETE port {self.port} from {self.switch}"
        if self.action == "move-port":
            return f"move port {self.port} to switch {self.switch}"
        sets = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"set {self.port}: {sets}"


@attrs.frozen
class Plan:
    changes: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def deletes(self) -> tuple[str, ...]:
        return tuple(c.port for c in self.changes if c.action == "delete-port")


def plan(
    report: CheckReport,
    nics: Iterable[GanetiNic],
    bindings: Mapping[str, SwitchBinding],
    nb: NbSnapshot,
    *,
    delete_orphans: bool = True,
    kinds: Iterable[str] | None = None,
) -> Plan:
    """The changes that repair ``report``'s repairable findings. Pure.

    ``kinds`` limits the repair to some finding kinds; ``delete_orphans=False`` keeps
    orphaned ports (they stay reported).
    """
    wanted = set(kinds) if kinds is not None else set(REPAIRABLE)
    by_uuid = {n.uuid: n for n in nics}
    ports = {p.name: p for p in nb.ports}
    changes: list[Change] = []
    sets: dict[str, tuple[dict[str, Any], dict[str, Any], list[str]]] = {}

    def add_set(name: str, column: str, new: Any, old: Any, kind: str) -> None:
        values, expect, reasons = sets.setdefault(name, ({}, {}, []))
        values[column] = new
        expect[column] = old
        reasons.append(kind)

    for finding in report.findings:
        if finding.kind not in wanted or not finding.repairable:
            continue
        nic = by_uuid.get(finding.port)
        port = ports.get(finding.port)
        if finding.kind == MISSING and nic is not None:
            changes.append(_add_port(nic, bindings[nic.network or ""]))
        elif finding.kind == ORPHANED and delete_orphans and port is not None:
            changes.append(
                Change(
                    "delete-port",
                    port.name,
                    port.switch,
                    ORPHANED,
                    expect={"addresses": list(port.addresses)},
                )
            )
        elif finding.kind == WRONG_SWITCH and port is not None:
            changes.append(Change("move-port", port.name, finding.expected, WRONG_SWITCH))
        elif port is not None and nic is not None:
            fix = _column_fix(finding, nic, port)
            if fix is not None:
                add_set(port.name, *fix, finding.kind)
    for name, (values, expect, reasons) in sets.items():
        changes.append(Change("set", name, ports[name].switch, ",".join(reasons), values, expect))
    return Plan(tuple(changes))


def _add_port(nic: GanetiNic, binding: SwitchBinding) -> Change:
    """The port a patched Ganeti would have made for ``nic``."""
    values: dict[str, Any] = {
        "addresses": [nic.addresses] if nic.addresses else [],
        "port_security": [nic.addresses] if nic.addresses else [],
        "external_ids": {
            "neutron:port_name": nic.port_label,
            "neutron:network_name": binding.switch,
        },
    }
    if nic.chassis:
        values["options"] = {"requested-chassis": nic.chassis}
    if binding.dhcpv4_options:
        values["dhcpv4_options"] = binding.dhcpv4_options
    return Change("add-port", nic.uuid, binding.switch, MISSING, values)


def _column_fix(
    finding: Finding, nic: GanetiNic, port: LogicalSwitchPort
) -> tuple[str, Any, Any] | None:
    """The column that repairs ``finding`` on the port: (column, new value, old value)."""
    if finding.kind == STALE_CHASSIS:
        return "options:requested-chassis", finding.expected, port.requested_chassis
    if finding.kind == WRONG_ADDRESSES:
        return "addresses", [nic.addresses], list(port.addresses)
    if finding.kind == WRONG_PORT_SECURITY:
        return "port_security", [nic.addresses], list(port.port_security)
    if finding.kind == WRONG_DHCP:
        return "dhcpv4_options", finding.expected, port.dhcpv4_options
    return None


# -- applying it -------------------------------------------------------------------------


def _dhcp_row(api: Any, value: str | None) -> list[Any]:
    if not value:
        return []
    row = api.tables["DHCP_Options"].rows.get(uuid_module.UUID(value))
    if row is None:
        from ganetiops.errors import OvnConflictError  # lazy: start-up

        raise OvnConflictError(f"DHCP_Options {value} does not exist; nothing applied")
    return [row]


def _switch_row(api: Any, name: str | None) -> Any:
    from ganetiops.errors import OvnConflictError  # lazy: start-up

    rows = [r for r in api.tables["Logical_Switch"].rows.values() if r.name == name]
    if len(rows) != 1:
        raise OvnConflictError(f"logical switch {name} is gone; nothing applied")
    return rows[0]


def _port_row(api: Any, name: str) -> Any:
    for row in api.tables["Logical_Switch_Port"].rows.values():
        if row.name == name:
            return row
    from ganetiops.errors import OvnConflictError  # lazy: start-up

    raise OvnConflictError(f"port {name} is gone; nothing applied")


def _switch_of(api: Any, port: Any) -> Any:
    for row in api.tables["Logical_Switch"].rows.values():
        if any(p.uuid == port.uuid for p in row.ports):
            return row
    return None


def commands_for(nb: Northbound, change: Change) -> list[Any]:
    """The ovsdbapp commands of one change (its :class:`Expect` first)."""
    api = nb.api
    table = "Logical_Switch_Port"
    if change.action == "add-port":

        def add(api: Any, txn: Any) -> None:
            ls = _switch_row(api, change.switch)
            values = change.values
            row = insert_row(
                api,
                txn,
                table,
                name=change.port,
                addresses=values.get("addresses", []),
                port_security=values.get("port_security", []),
                options=values.get("options", {}),
                external_ids=values.get("external_ids", {}),
                dhcpv4_options=_dhcp_row(api, values.get("dhcpv4_options")),
            )
            ls.addvalue("ports", row)

        return [Expect(api, table, change.port, absent=True), Function(api, add, change.describe())]
    if change.action == "delete-port":

        def delete(api: Any, txn: Any) -> None:
            row = _port_row(api, change.port)
            ls = _switch_of(api, row)
            if ls is not None:
                ls.delvalue("ports", row)
            row.delete()

        return [
            Expect(api, table, change.port, change.expect),
            Function(api, delete, change.describe()),
        ]
    if change.action == "move-port":

        def move(api: Any, txn: Any) -> None:
            row = _port_row(api, change.port)
            old = _switch_of(api, row)
            new = _switch_row(api, change.switch)
            if old is not None:
                old.delvalue("ports", row)
            new.addvalue("ports", row)

        return [Expect(api, table, change.port), Function(api, move, change.describe())]

    def update(api: Any, txn: Any) -> None:
        row = _port_row(api, change.port)
        for column, value in change.values.items():
            col, _, key = column.partition(":")
            if key:
                row.setkey(col, key, value)
            elif col == "dhcpv4_options":
                row.dhcpv4_options = _dhcp_row(api, value)
            else:
                setattr(row, col, value)

    return [
        Expect(api, table, change.port, change.expect),
        Function(api, update, change.describe()),
    ]


def apply(nb: Northbound, plan: Plan) -> int:
    """Apply every change of ``plan`` in one transaction; the number of changes.

    :class:`~ganetiops.errors.OvnConflictError` when a row is no longer what the plan
    saw (nothing applied); :class:`~ganetiops.errors.OvnError` when the database
    refused it (nothing applied).
    """
    commands: list[Any] = []
    for change in plan.changes:
        commands += commands_for(nb, change)
    nb.commit(commands, what=f"repair ({len(plan.changes)} changes)")
    return len(plan.changes)
