"""The OVN databases through ovsdbapp (the OVSDB library Neutron uses) on the ``ovs`` IDL.

:class:`Northbound` and :class:`Southbound` connect over TCP (``tcp:10.1.100.5:6641``),
keep an in-memory replica of the tables they use (the IDL's monitor) and read
snapshots from it as typed models (:mod:`ganetiops.ovn.models`). Every change is
one OVSDB transaction: all of it is applied or none of it. The IDL adds ``verify``
operations for the columns a change read, so a concurrent change of the same row
makes the server refuse the transaction; ovsdbapp then re-runs the commands on the
fresh replica, where :class:`Expect` checks that the row still is what the plan saw
and raises :class:`~ganetiops.errors.OvnConflictError` when it is not. Nothing is
clobbered.

Reaching a database first opens a plain TCP connection with a short timeout, so an
unreachable NB or SB is a clear :class:`~ganetiops.errors.OvnConnectionError`
before the IDL starts.

ovsdbapp keeps its connection on the API *class*; each :class:`Database` makes its
own subclass so that two databases (or two labs) in one process never share one.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from ganetiops.errors import OvnConnectionError, OvnError, ValidationError
from ganetiops.ovn import validate
from ganetiops.ovn.commands import Expect, Function, insert_row, row_to_dict
from ganetiops.ovn.models import (
    Chassis,
    DhcpOptions,
    Encap,
    LogicalRouter,
    LogicalRouterPort,
    LogicalSwitch,
    LogicalSwitchPort,
    Nat,
    NbSnapshot,
    PortBinding,
    SbSnapshot,
)

__all__ = ["Database", "Expect", "Function", "Northbound", "Southbound", "row_to_dict"]

log = logging.getLogger(__name__)


def reachable(remote: str, *, timeout: float, what: str) -> None:
    """Open and close a TCP connection to ``remote``; :class:`OvnConnectionError` if not."""
    scheme, host, port = validate.remote(remote, what)
    if scheme != "tcp":
        raise OvnConnectionError(f"{what}: only tcp: remotes are supported, not {remote}")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if isinstance(exc, TimeoutError):
            reason = f"no answer within {timeout:g} s"
        raise OvnConnectionError(
            f"cannot reach the {what} database at {remote}: {reason}"
        ) from None


class Database:
    """One OVN database (NB or SB) reached over TCP; a context manager."""

    schema: ClassVar[str]
    what: ClassVar[str]
    #: The ovsdbapp API class (``OvnNbApiIdlImpl``...), imported lazily.
    impl: ClassVar[str]
    #: Tables the replica holds (``None``: all).
    tables: ClassVar[Sequence[str] | None] = None

    def __init__(self, remote: str, *, timeout: float = 10.0) -> None:
        self.remote = remote
        self.timeout = timeout
        reachable(remote, timeout=min(timeout, 5.0), what=self.what)
        from ovsdbapp.backend.ovs_idl import connection, idlutils  # lazy: start-up

        module, _, name = self.impl.rpartition(".")
        base = getattr(__import__(module, fromlist=[name]), name)
        try:
            helper = idlutils.get_schema_helper(remote, self.schema)
        except Exception as exc:  # ovsdbapp raises a bare Exception
            raise OvnConnectionError(f"{self.what} database at {remote}: {exc}") from None
        if self.tables is None:
            helper.register_all()
        else:
            for table in self.tables:
                helper.register_table(table)
        idl = connection.OvsdbIdl(remote, helper)
        self._connection = connection.Connection(idl, timeout)
        api_class = type(f"_{name}", (base,), {"_ovsdb_connection": None})
        try:
            self.api = api_class(self._connection)
        except Exception as exc:
            raise OvnConnectionError(f"{self.what} database at {remote}: {exc}") from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.remote!r})"

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._connection.stop(timeout=5)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of ``table`` in the replica, as plain dicts (one consistent read)."""
        with self._connection.lock:
            return [row_to_dict(r) for r in self.api.tables[table].rows.values()]

    def _rows_of(self, *tables: str) -> dict[str, list[dict[str, Any]]]:
        with self._connection.lock:
            return {t: [row_to_dict(r) for r in self.api.tables[t].rows.values()] for t in tables}

    def commit(self, commands: Sequence[Any], *, what: str) -> list[Any]:
        """Run ``commands`` (ovsdbapp commands, :class:`Expect`, :class:`Function`) as one
        transaction; their results. :class:`OvnConflictError` or :class:`OvnError` when it
        failed: then nothing was applied."""
        if not commands:
            return []
        from ovsdbapp import exceptions as ovsdbapp_exceptions  # lazy: start-up

        txn = self.api.create_transaction(check_error=True, log_errors=False)
        for command in commands:
            txn.add(command)
        try:
            txn.commit()
        except OvnError:
            raise
        except ovsdbapp_exceptions.TimeoutException:
            raise OvnConnectionError(
                f"{what}: no answer from the {self.what} database at {self.remote} within "
                f"{self.timeout:g} s; the change may not have been applied"
            ) from None
        except Exception as exc:
            raise OvnError(f"{what}: the {self.what} database refused it: {exc}") from None
        return [getattr(c, "result", None) for c in commands]

    def wait_for(
        self, condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.1
    ) -> None:
        """Poll ``condition`` (usually on a fresh snapshot) until true or ``timeout``."""
        import time  # lazy: start-up

        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() >= deadline:
                raise OvnError(f"timed out after {timeout:g} s waiting for {what}")
            time.sleep(interval)


class Northbound(Database):
    """The OVN northbound database: switches, ports, DHCP options, routers, NAT."""

    schema = "OVN_Northbound"
    what = "northbound"
    impl = "ovsdbapp.schema.ovn_northbound.impl_idl.OvnNbApiIdlImpl"
    tables = (
        "Logical_Switch",
        "Logical_Switch_Port",
        "DHCP_Options",
        "Logical_Router",
        "Logical_Router_Port",
        "NAT",
        "NB_Global",
    )

    def snapshot(self) -> NbSnapshot:
        """Every modelled object (the tables but NB_Global), read from the replica at one
        moment."""
        return snapshot_from_rows(self._rows_of(*(t for t in self.tables if t != "NB_Global")))

    # -- changes: each one transaction -------------------------------------------------

    def create_switch(
        self,
        name: str,
        *,
        external_ids: Mapping[str, str] | None = None,
        may_exist: bool = False,
    ) -> str:
        """Add a logical switch; its UUID."""
        validate.name(name, "switch")
        cmd = self.api.ls_add(name, may_exist=may_exist, external_ids=dict(external_ids or {}))
        commands: list[Any] = (
            [] if may_exist else [Expect(self.api, "Logical_Switch", name, absent=True)]
        )
        result = self.commit([*commands, cmd], what=f"create switch {name}")[-1]
        return str(getattr(result, "uuid", result))

    def delete_switch(self, name: str) -> None:
        validate.name(name, "switch")
        self.commit([self.api.ls_del(name)], what=f"delete switch {name}")

    def create_dhcp_options(
        self,
        cidr: str,
        options: Mapping[str, str],
        *,
        external_ids: Mapping[str, str] | None = None,
    ) -> str:
        """Add a ``DHCP_Options`` row with its options in one transaction; its UUID."""
        cidr = validate.cidr(cidr)
        checked = validate.dhcp_options(dict(options))

        def make(api: Any, txn: Any) -> Any:
            ids = dict(external_ids or {})
            return insert_row(
                api, txn, "DHCP_Options", cidr=cidr, options=checked, external_ids=ids
            )

        return str(
            self.commit(
                [Function(self.api, make, f"dhcp-options {cidr}")],
                what=f"create DHCP options {cidr}",
            )[0]
        )

    def create_network(
        self,
        switch: str,
        *,
        cidr: str | None = None,
        dhcp: Mapping[str, str] | None = None,
        localnet: str | None = None,
        external_ids: Mapping[str, str] | None = None,
    ) -> dict[str, str | None]:
        """A switch, optionally its DHCP options (``cidr`` + ``dhcp``) and a localnet port
        ``<switch>-localnet`` on physnet ``localnet``, all in one transaction.

        Returns ``{"switch": uuid, "dhcp_options": uuid or None, "localnet": name or None}``.
        """
        validate.name(switch, "switch")
        if dhcp and not cidr:
            raise ValidationError("DHCP options need a cidr", field="cidr")
        net = validate.cidr(cidr) if cidr else None
        options = validate.dhcp_options(dict(dhcp)) if dhcp else None
        physnet = validate.name(localnet, "localnet") if localnet else None
        ids = {str(k): str(v) for k, v in (external_ids or {}).items()}
        port_name = f"{switch}-localnet"

        def make(api: Any, txn: Any) -> dict[str, Any]:
            ls = insert_row(api, txn, "Logical_Switch", name=switch, external_ids=ids)
            made: dict[str, Any] = {"switch": ls, "dhcp_options": None, "localnet": None}
            if net is not None:
                ls.other_config = {"subnet": net}
            if options is not None:
                made["dhcp_options"] = insert_row(
                    api,
                    txn,
                    "DHCP_Options",
                    cidr=net,
                    options=options,
                    external_ids={"ganetiops:switch": switch},
                )
            if physnet is not None:
                lsp = insert_row(
                    api,
                    txn,
                    "Logical_Switch_Port",
                    name=port_name,
                    type="localnet",
                    addresses=["unknown"],
                    options={"network_name": physnet},
                )
                ls.addvalue("ports", lsp)
                made["localnet"] = port_name
            return made

        absent = [Expect(self.api, "Logical_Switch", switch, absent=True)]
        if physnet is not None:
            absent.append(Expect(self.api, "Logical_Switch_Port", port_name, absent=True))
        fn = Function(self.api, make, f"network {switch}")
        made: dict[str, str | None] = self.commit([*absent, fn], what=f"create network {switch}")[
            -1
        ]
        return made

    def create_router(
        self,
        name: str,
        *,
        ports: Sequence[tuple[str, str, Sequence[str]]] = (),
        nats: Sequence[tuple[str, str, str]] = (),
        external_ids: Mapping[str, str] | None = None,
    ) -> None:
        """A logical router with ports ``(name, mac, networks)`` and NAT rules
        ``(type, external_ip, logical_ip)``, all in one transaction."""
        validate.name(name, "router")
        checked = [
            (validate.name(p, "port"), validate.mac(mac), [_network(n) for n in nets])
            for p, mac, nets in ports
        ]
        rules = [_nat(t, ext, logical) for t, ext, logical in nats]
        ids = {str(k): str(v) for k, v in (external_ids or {}).items()}

        def make(api: Any, txn: Any) -> None:
            router = insert_row(
                api, txn, "Logical_Router", name=name, external_ids=ids, ports=[], nat=[]
            )
            for port, mac, networks in checked:
                lrp = insert_row(
                    api, txn, "Logical_Router_Port", name=port, mac=mac, networks=networks
                )
                router.addvalue("ports", lrp)
            for nat_type, external_ip, logical_ip in rules:
                nat = insert_row(
                    api, txn, "NAT", type=nat_type, external_ip=external_ip, logical_ip=logical_ip
                )
                router.addvalue("nat", nat)

        commands: list[Any] = [Expect(self.api, "Logical_Router", name, absent=True)]
        commands += [Expect(self.api, "Logical_Router_Port", p, absent=True) for p, _, _ in checked]
        commands.append(Function(self.api, make, f"router {name}"))
        self.commit(commands, what=f"create router {name}")

    def delete_router(self, name: str) -> None:
        validate.name(name, "router")
        self.commit([self.api.lr_del(name)], what=f"delete router {name}")


def _network(value: str) -> str:
    """A router port network ``10.0.0.1/24`` (an address with its prefix length)."""
    import ipaddress  # lazy: start-up

    try:
        return str(ipaddress.IPv4Interface(value))
    except ValueError:
        raise ValidationError(
            f"networks: {value!r} is not an address/prefix such as 10.0.0.1/24", field="networks"
        ) from None


def _nat(nat_type: str, external_ip: str, logical_ip: str) -> tuple[str, str, str]:
    if nat_type not in ("snat", "dnat", "dnat_and_snat"):
        raise ValidationError(
            f"nat: type {nat_type!r} (expected snat, dnat or dnat_and_snat)", field="nat"
        )
    external = validate.ipv4(external_ip, "nat.external_ip")
    if nat_type == "snat":
        logical = (
            validate.cidr(logical_ip, "nat.logical_ip")
            if "/" in logical_ip
            else validate.ipv4(logical_ip, "nat.logical_ip")
        )
    else:
        logical = validate.ipv4(logical_ip, "nat.logical_ip")
    return nat_type, external, logical


class Southbound(Database):
    """The OVN southbound database: chassis (with encaps) and port bindings."""

    schema = "OVN_Southbound"
    what = "southbound"
    impl = "ovsdbapp.schema.ovn_southbound.impl_idl.OvnSbApiIdlImpl"
    tables = (
        "Chassis",
        "Encap",
        "Port_Binding",
        "Datapath_Binding",
        "SB_Global",
        "Chassis_Private",
    )

    def snapshot(self) -> SbSnapshot:
        rows = self._rows_of("Chassis", "Encap", "Port_Binding")
        encaps = {
            r["_uuid"]: Encap(str(r.get("type", "")), str(r.get("ip", ""))) for r in rows["Encap"]
        }
        chassis = tuple(
            sorted((Chassis.from_row(r, encaps) for r in rows["Chassis"]), key=lambda c: c.name)
        )
        names = {c.uuid: c.name for c in chassis}
        bindings = tuple(
            sorted(
                (PortBinding.from_row(r, names) for r in rows["Port_Binding"]),
                key=lambda b: b.logical_port,
            )
        )
        return SbSnapshot(chassis=chassis, bindings=bindings)


def snapshot_from_rows(rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> NbSnapshot:
    """The NB tables (``{table: [row dict]}``) as an :class:`NbSnapshot`. Pure."""
    lsp_rows = rows.get("Logical_Switch_Port", ())
    lrp_rows = rows.get("Logical_Router_Port", ())
    port_names = {str(r["_uuid"]): str(r.get("name", "")) for r in lsp_rows}
    router_port_names = {str(r["_uuid"]): str(r.get("name", "")) for r in lrp_rows}
    switches = tuple(
        sorted(
            (LogicalSwitch.from_row(r, port_names) for r in rows.get("Logical_Switch", ())),
            key=lambda s: s.name,
        )
    )
    switch_of: dict[str, str] = {}
    for row in rows.get("Logical_Switch", ()):
        for port in row.get("ports") or ():
            switch_of[str(port)] = str(row.get("name", ""))
    ports = tuple(
        sorted(
            (LogicalSwitchPort.from_row(r, switch_of.get(str(r["_uuid"]))) for r in lsp_rows),
            key=lambda p: p.name,
        )
    )
    router_of: dict[str, str] = {}
    nat_router: dict[str, str] = {}
    routers = []
    for row in rows.get("Logical_Router", ()):
        router = LogicalRouter.from_row(row, router_port_names)
        routers.append(router)
        for port in row.get("ports") or ():
            router_of[str(port)] = router.name
        for nat in router.nat:
            nat_router[nat] = router.name
    return NbSnapshot(
        switches=switches,
        ports=ports,
        dhcp_options=tuple(
            sorted(
                (DhcpOptions.from_row(r) for r in rows.get("DHCP_Options", ())),
                key=lambda d: d.cidr,
            )
        ),
        routers=tuple(sorted(routers, key=lambda r: r.name)),
        router_ports=tuple(
            sorted(
                (LogicalRouterPort.from_row(r, router_of.get(str(r["_uuid"]))) for r in lrp_rows),
                key=lambda p: p.name,
            )
        ),
        nats=tuple(Nat.from_row(r, nat_router.get(str(r["_uuid"]))) for r in rows.get("NAT", ())),
    )
