"""The instance view and the guards on real node outputs: each captured pair of
states (tests/data/drbd/samples, node1 + node2 of the same moment) as one instance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ganetiops.drbd.facts import MARK, parse_node_output
from ganetiops.drbd.guards import GuardRefused, check_instance_operation, check_node_operation
from ganetiops.drbd.health import ClusterDrbd, judge, nodes_of
from ganetiops.drbd.model import NodeDrbd
from ganetiops.drbd.view import drbd_disks_of, instance_health

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "drbd" / "samples"


def node_at(node: str, state_prefix: str) -> NodeDrbd:
    directory = next((SAMPLES / node).glob(f"{state_prefix}-*"))
    proc = (directory / "proc_drbd.txt").read_text()
    events = (directory / "drbdsetup_events2_now.txt").read_text()
    return parse_node_output(node, f"{MARK} proc 0\n{proc}{MARK} events2 0\n{events}")


def info(primary: str, secondary: str, pminor: int = 0, sminor: int = 0) -> dict[str, Any]:
    """An instance-info job result's shape (lib/cmdlib/instance_query.py), one drbd disk."""
    return {
        "name": "inst1",
        "pnode": primary,
        "snodes": [secondary],
        "disk_template": "drbd",
        "disks": [
            {
                "dev_type": "drbd",
                "logical_id": ["uuid-a", "uuid-b", 11000, pminor, sminor, None],
                "drbd_info": {
                    "primary_node": primary,
                    "primary_minor": pminor,
                    "secondary_node": secondary,
                    "secondary_minor": sminor,
                    "port": 11000,
                },
                "size": 256,
                "children": [],
            }
        ],
    }


def pair(state: str, primary: str = "node1", secondary: str = "node2") -> Any:
    nodes = {"node1": node_at("node1", state), "node2": node_at("node2", state)}
    return instance_health(info(primary, secondary), nodes)


# (state, primary) -> (instance state, words the detail must contain, good copies)
CASES = {
    ("00", "node1"): ("inactive", "not active on either node", ()),
    ("01", "node1"): ("degraded", "primary node1 disk Inconsistent", ()),
    ("02", "node1"): ("syncing", "resync to node2 31.3%", ("node1",)),
    ("03", "node1"): ("healthy", "UpToDate/UpToDate", ("node1", "node2")),
    ("04", "node1"): ("disconnected", "secondary node2 StandAlone", ("node1", "node2")),
    ("05", "node1"): ("syncing", "resync to node2 100.0%", ("node1", "node2")),
    ("06", "node2"): ("healthy", "online verify 12.5%", ("node2", "node1")),
    ("07", "node2"): ("healthy", "UpToDate/UpToDate", ("node2", "node1")),
    ("08", "node2"): ("degraded", "secondary node1 disk Diskless", ("node2",)),
    ("09", "node1"): ("degraded", "secondary node2 has no minor", ("node1",)),
    ("10", "node1"): ("healthy", "UpToDate/UpToDate", ("node1", "node2")),
    ("11", "node1"): ("healthy", "UpToDate/UpToDate", ("node1", "node2")),
    ("20", "node1"): ("syncing", "(paused: user)", ("node1",)),
    ("21", "node1"): ("disconnected", "secondary node2 StandAlone Outdated", ("node1",)),
    ("22", "node1"): ("split-brain", "split brain", ("node1", "node2")),
    ("23", "node1"): ("healthy", "UpToDate/UpToDate", ("node1", "node2")),
}


@pytest.mark.parametrize(("state", "primary"), sorted(CASES))
def test_instance_state_from_both_nodes(state: str, primary: str) -> None:
    secondary = "node2" if primary == "node1" else "node1"
    health = pair(state, primary, secondary)
    expected_state, words, good = CASES[(state, primary)]
    assert health.state == expected_state
    assert words in health.detail
    assert health.good_copies == good
    assert (health.primary, health.secondary) == (primary, secondary)
    if expected_state == "syncing" and state == "02":
        assert (health.percent, health.eta_seconds) == (31.3, 9)
        assert health.disks[0].speed_kib == 4944


def test_four_nodes_two_instances() -> None:
    # gnt-instance-list-4nodes.txt: inst1 node3 -> node1, inst2 node4 -> node3 (minor 1).
    nodes = {
        "node1": node_at("node1", "12"),
        "node3": node_at("node3", "12"),
        "node4": node_at("node4", "12"),
    }
    infos = {"inst1": info("node3", "node1", 0, 0), "inst2": info("node4", "node3", 0, 1)}
    report = ClusterDrbd(nodes=nodes, instances=judge(infos, nodes))
    assert [(i.name, i.state) for i in report.instances] == [
        ("inst1", "healthy"),
        ("inst2", "healthy"),
    ]
    assert nodes_of(infos) == ["node3", "node1", "node4"]
    owners = {(r["node"], r["minor"]): (r["instance"], r["role"]) for r in report.minors()}
    assert owners == {
        ("node1", 0): ("inst1", "Secondary"),
        ("node3", 0): ("inst1", "Primary"),
        ("node3", 1): ("inst2", "Secondary"),
        ("node4", 0): ("inst2", "Primary"),
    }


def test_a_node_not_reached_is_unknown_not_healthy() -> None:
    nodes = {
        "node1": NodeDrbd(host="node1", problems={"connect": "refused"}),
        "node2": NodeDrbd(host="node2", problems={"connect": "timeout"}),
    }
    health = instance_health(info("node1", "node2"), nodes)
    assert health.state == "unknown"
    assert "refused" in health.detail


def test_logical_id_alone_is_enough() -> None:
    data = info("node2", "node1", 5, 7)
    disk = data["disks"][0]
    del disk["drbd_info"]
    disk["logical_id"] = ["node1", "node2", 11001, 7, 5, None]
    assert drbd_disks_of(data) == [
        {
            "index": 0,
            "size": 256,
            "primary_node": "node2",
            "secondary_node": "node1",
            "port": 11001,
            "primary_minor": 5,
            "secondary_minor": 7,
        }
    ]


def test_sharedfile_disks_are_not_drbd() -> None:
    data = {"name": "x", "pnode": "n1", "disks": [{"dev_type": "sharedfile", "logical_id": []}]}
    assert drbd_disks_of(data) == []


# --- guards -------------------------------------------------------------------------


def test_failover_of_a_healthy_instance_is_allowed() -> None:
    decision = check_instance_operation("failover", pair("03"))
    assert decision.allowed and not decision.problems
    assert decision.enforce() is decision


def test_failover_while_syncing_is_refused_with_advice() -> None:
    decision = check_instance_operation("failover", pair("02"))
    assert not decision.allowed
    assert "inst1 is syncing" in decision.message
    assert "node2 has no UpToDate copy" in decision.message
    assert "gnt-py drbd watch inst1 --until-synced" in decision.message
    with pytest.raises(GuardRefused, match="failover refused"):
        decision.enforce()


def test_force_overrides_and_says_so() -> None:
    decision = check_instance_operation("migrate", pair("08", "node2", "node1"), force=True)
    assert decision.allowed and decision.forced
    assert "forced (--force)" in decision.message
    assert "node1 has no UpToDate copy" in decision.message


def test_not_drbd_is_never_judged() -> None:
    decision = check_instance_operation("failover", None)
    assert decision.allowed and decision.checked == ()
    node = check_node_operation("drain", "node1", [])
    assert node.allowed and node.checked == ()


def test_draining_the_node_with_the_only_good_copy_is_refused() -> None:
    health = pair("21")  # node2 Outdated and StandAlone: node1 has the only good copy
    refused = check_node_operation("drain", "node1", [health])
    assert not refused.allowed
    assert "node1 holds the only UpToDate copy of inst1" in refused.message
    assert "activate-disks inst1" in refused.message
    other = check_node_operation("reboot", "node2", [health])
    assert not other.allowed and "inst1 is disconnected" in other.message
    unrelated = check_node_operation("reboot", "node3", [health])
    assert unrelated.allowed and unrelated.checked == ()


def test_evacuate_primaries_only_skips_secondaries() -> None:
    health = pair("08", "node2", "node1")  # node1 secondary and Diskless
    assert check_node_operation("evacuate", "node1", [health], secondaries_too=False).allowed
    assert not check_node_operation("evacuate", "node1", [health]).allowed


def test_replace_disks_on_a_degraded_pair_points_at_the_repair() -> None:
    decision = check_instance_operation("replace-disks", pair("08", "node2", "node1"))
    assert not decision.allowed
    assert "replacing it is the repair: add --force" in decision.message
