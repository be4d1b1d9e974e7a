"""The address plan of a large lab: the four keep their names, the rest are numbered."""

from __future__ import annotations

import ipaddress

import pytest

from ganetiops.errors import ValidationError
from ganetiops.lab import topology


def test_default_is_the_homelab_four() -> None:
    assert topology.node_names() == topology.NODE_NAMES
    assert topology.AddressPlan.for_slot(0).nodes == topology.NODE_NAMES


@pytest.mark.parametrize("count", [4, 5, 12, 20, topology.MAX_NODES])
def test_addresses_never_collide(count: int) -> None:
    plan = topology.AddressPlan.for_slot(3, count)
    assert len(plan.nodes) == count
    entries = plan.hosts_entries()
    addresses = [ip for ip, _, _ in entries]
    assert len(addresses) == len(set(addresses))  # nodes, instances, boot, gnt, ws
    names = [short for _, _, short in entries]
    assert len(names) == len(set(names))
    for node in plan.nodes:
        for ip in (plan.primary_ip(node), plan.secondary_ip(node)):
            assert ipaddress.ip_address(ip) in plan.primary or ipaddress.ip_address(
                ip
            ) in plan.secondary
    assert plan.join_order[:3] == topology.JOIN_ORDER
    assert set(plan.join_order) == set(plan.nodes) - {topology.MASTER}


def test_extra_nodes_are_numbered_after_the_four() -> None:
    nodes = topology.node_names(7)
    assert nodes[4:] == ("node05", "node06", "node07")
    plan = topology.AddressPlan.for_slot(0, 7)
    assert plan.primary_ip("node05") == "10.1.100.40"
    assert plan.secondary_ip("node07") == "10.1.97.42"


@pytest.mark.parametrize("count", [0, 3, topology.MAX_NODES + 1, True, "8"])
def test_bad_node_counts_are_refused(count: object) -> None:
    with pytest.raises(ValidationError, match="lab nodes"):
        topology.node_names(count)  # type: ignore[arg-type]


@pytest.mark.parametrize("host", ["node04", "node37", "node5", "nodeXX", "zeta"])
def test_unknown_machines_have_no_address(host: str) -> None:
    with pytest.raises(ValidationError):
        topology.AddressPlan.for_slot(0, topology.MAX_NODES).primary_ip(host)
