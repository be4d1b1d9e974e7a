"""The lab's address plan and derived names (pure)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ganetiops.errors import ValidationError
from ganetiops.lab import topology
from ganetiops.lab.topology import AddressPlan, LabNames

HOST_NETWORK = ipaddress.IPv4Network("192.0.2.0/24")


def test_slot_zero_is_the_homelab() -> None:
    plan = AddressPlan.for_slot(0)
    assert str(plan.primary) == "10.1.100.0/24"
    assert str(plan.secondary) == "10.1.97.0/24"
    assert [plan.primary_ip(n) for n in topology.NODE_NAMES] == [
        "10.1.100.2",
        "10.1.100.3",
        "10.1.100.4",
        "10.1.100.5",
    ]
    assert [plan.secondary_ip(n) for n in topology.NODE_NAMES] == [
        "10.1.97.2",
        "10.1.97.3",
        "10.1.97.4",
        "10.1.97.5",
    ]
    assert plan.cluster_ip == "10.1.100.254"
    assert plan.boot_ip == "10.1.100.1"
    assert plan.workstation_ip == "10.1.100.100"


def test_other_slots_keep_the_host_numbers() -> None:
    plan = AddressPlan.for_slot(7)
    assert (str(plan.primary), str(plan.secondary)) == ("10.107.100.0/24", "10.107.97.0/24")
    assert plan.primary_ip("dalet") == "10.107.100.5"
    assert plan.cluster_ip == "10.107.100.254"


@given(st.integers(0, topology.MAX_SLOT), st.integers(0, topology.MAX_SLOT))
def test_slots_never_overlap_each_other_or_the_host(a: int, b: int) -> None:
    first, second = AddressPlan.for_slot(a), AddressPlan.for_slot(b)
    for prefix in first.prefixes:
        assert not prefix.overlaps(HOST_NETWORK)
        assert prefix.is_private
    if a != b:
        assert not any(p.overlaps(q) for p in first.prefixes for q in second.prefixes)
    assert not first.primary.overlaps(first.secondary)


@pytest.mark.parametrize("slot", [-1, 100, True, "1"])
def test_bad_slots_are_refused(slot: object) -> None:
    with pytest.raises(ValidationError) as info:
        AddressPlan.for_slot(slot)  # type: ignore[arg-type]
    assert info.value.field == "slot"


def test_hosts_entries_resolve_every_name_off_loopback() -> None:
    plan = AddressPlan.for_slot(0)
    entries = {fqdn: ip for ip, fqdn, _short in plan.hosts_entries()}
    assert entries["gnt.homelab.tel"] == "10.1.100.254"
    assert entries["boot.homelab.tel"] == "10.1.100.1"
    assert entries["navidrome.homelab.tel"] in {str(a) for a in plan.primary.hosts()}
    assert entries["inst1.homelab.tel"] == "10.1.100.21"
    assert len(set(entries.values())) == len(entries)  # no two names share an address
    assert all(ipaddress.IPv4Address(ip) in plan.primary for ip in entries.values())


@given(st.from_regex(r"[a-z][a-z0-9]{0,9}", fullmatch=True))
def test_every_derived_name_fits(name: str) -> None:
    names = LabNames(name)
    assert len(names.workstation_link) <= 15
    assert len(set(names.all_netns())) == 6
    assert all(ns.startswith(f"{name}-") for ns in names.all_netns())
    assert names.all_netns()[-1] == names.switch_netns
    for machine in (*topology.NODE_NAMES, topology.BOOT):
        assert len(topology.switch_port(machine, "primary")) <= 15


@pytest.mark.parametrize("name", ["", "Lab", "1lab", "lab-1", "abcdefghijk", "lab_1"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        LabNames(name)
    assert info.value.field == "name"
