"""OVN operations that need both Ganeti (over RAPI) and the OVN databases.

>>> from ganetiops.ovn import Northbound, Southbound, ops          # doctest: +SKIP
>>> with Northbound("tcp:10.1.100.5:6641") as nb, Southbound("tcp:10.1.100.5:6642") as sb:
...     state = ops.gather(client, nb, sb)
...     report = ops.check_state(state)
...     repair = ops.plan_repair(state, report)
...     ops.apply_plan(nb, repair)                # one transaction
...     ops.follow_primary(client, nb, "navidrome")   # after a failover

The client is a blocking :class:`~ganetiops.rapi.RapiClient`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ganetiops.errors import ValidationError
from ganetiops.ovn import check as checks
from ganetiops.ovn import validate
from ganetiops.ovn.db import Northbound, Southbound
from ganetiops.ovn.ganeti import (
    GanetiNic,
    OvnSupport,
    SwitchBinding,
    detect,
    nics_of,
    require_patch,
    switch_bindings,
)
from ganetiops.ovn.models import NbSnapshot, SbSnapshot

__all__ = [
    "State",
    "apply_plan",
    "check_state",
    "connect_network",
    "failover",
    "follow_primary",
    "gather",
    "plan_repair",
    "set_nb_connection",
    "support",
]


@attrs.frozen
class State:
    """Everything a check needs, read once."""

    nics: tuple[GanetiNic, ...]
    bindings: dict[str, SwitchBinding]
    nb: NbSnapshot
    sb: SbSnapshot | None


def support(client: Any) -> OvnSupport:
    """Whether the cluster has the OVN patch (and its ``ovn_nb_connection``)."""
    return detect(client.cluster.info())


def gather(
    client: Any,
    nb: Northbound,
    sb: Southbound | None = None,
    *,
    switches: Mapping[str, str] | None = None,
    instances: Iterable[str] | None = None,
) -> State:
    """Ganeti's NICs and networks over RAPI, then one snapshot of each database."""
    found = client.instances.list()
    if instances is not None:
        wanted = set(instances)
        found = [i for i in found if i.name in wanted]
    networks = client.networks.list()
    nb_snapshot = nb.snapshot()
    return State(
        nics=tuple(nics_of(found)),
        bindings=switch_bindings(networks, nb_snapshot, switches),
        nb=nb_snapshot,
        sb=sb.snapshot() if sb is not None else None,
    )


def check_state(state: State) -> checks.CheckReport:
    return checks.check(state.nics, state.bindings, state.nb, state.sb)


def plan_repair(
    state: State,
    report: checks.CheckReport,
    *,
    delete_orphans: bool = True,
    kinds: Iterable[str] | None = None,
) -> checks.Plan:
    return checks.plan(
        report, state.nics, state.bindings, state.nb, delete_orphans=delete_orphans, kinds=kinds
    )


def apply_plan(nb: Northbound, plan: checks.Plan) -> int:
    """One transaction; see :func:`ganetiops.ovn.check.apply`."""
    return checks.apply(nb, plan)


def follow_primary(
    client: Any, nb: Northbound, instance: str, *, switches: Mapping[str, str] | None = None
) -> checks.Plan:
    """Point ``requested-chassis`` of the instance's ports at its primary node now.

    What the patch forgets after ``failover`` (homelab.md §4.3 gap 4). Returns the plan
    it applied (empty when nothing was stale).
    """
    state = gather(client, nb, switches=switches, instances=[instance])
    if not state.nics:
        from ganetiops.errors import RapiNotFoundError

        raise RapiNotFoundError(404, "Not Found", f"instance {instance} has no NIC with a UUID")
    report = check_state(state)
    repair = plan_repair(state, report, kinds=[checks.STALE_CHASSIS])
    if not repair.empty:
        checks.apply(nb, repair)
    return repair


def failover(
    client: Any,
    nb: Northbound,
    instance: str,
    *,
    target_node: str | None = None,
    timeout: float | None = 600,
    switches: Mapping[str, str] | None = None,
    **options: Any,
) -> checks.Plan:
    """Fail ``instance`` over (RAPI job), wait, then :func:`follow_primary` (opt-in fix of
    the patch's stale ``requested-chassis``)."""
    job = client.instances.failover(instance, target_node=target_node, **options)
    job.wait(timeout)
    return follow_primary(client, nb, instance, switches=switches)


def migrate(
    client: Any,
    nb: Northbound,
    instance: str,
    *,
    target_node: str | None = None,
    timeout: float | None = 600,
    switches: Mapping[str, str] | None = None,
    **options: Any,
) -> checks.Plan:
    """Migrate, wait, then :func:`follow_primary` (stock Ganeti does not move the port)."""
    job = client.instances.migrate(instance, target_node=target_node, **options)
    job.wait(timeout)
    return follow_primary(client, nb, instance, switches=switches)


def set_nb_connection(client: Any, remote: str, **common: Any) -> Any:
    """Set the KVM hvparam ``ovn_nb_connection`` (patched Ganeti only); the job."""
    validate.remote(remote, "ovn_nb_connection")
    require_patch(support(client), "set ovn_nb_connection")
    return client.cluster.modify(hvparams={"kvm": {"ovn_nb_connection": remote}}, **common)


def connect_network(
    client: Any,
    network: str,
    group: str,
    *,
    switch: str,
    dhcpv4_options: str | None = None,
    link: str = "br-int",
    **common: Any,
) -> Any:
    """``gnt-network connect`` in mode ``ovn`` with the patch's ``network_ovn_*`` fields."""
    validate.name(switch, "switch")
    if dhcpv4_options:
        import uuid

        try:
            uuid.UUID(dhcpv4_options)
        except ValueError:
            raise ValidationError(
                f"dhcpv4_options: {dhcpv4_options!r} is not a DHCP_Options UUID",
                field="dhcpv4_options",
            ) from None
    require_patch(support(client), "connect a network in mode ovn")
    return client.networks.connect(
        network,
        group,
        mode="ovn",
        link=link,
        ovn_logical_switch=switch,
        ovn_dhcpv4_options=dhcpv4_options,
        **common,
    )
