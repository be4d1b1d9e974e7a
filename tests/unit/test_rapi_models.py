"""Models built from real answers recorded on the lab (tests/data/rapi, see
tools/record_rapi_fixtures.py), plus the tolerance rules on top of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ganetiops.errors import GanetiOpsError
from ganetiops.rapi.models import (
    ClusterInfo,
    Group,
    Instance,
    JobInfo,
    MiB,
    Network,
    Node,
    QueryResult,
    format_mib,
)
from ganetiops.rapi.models.misc import parse_os_list
from ganetiops.rapi.ops.common import names_from

DATA = Path(__file__).resolve().parent.parent / "data" / "rapi"


def load(name: str) -> Any:
    return json.loads((DATA / f"{name}.json").read_text())


def test_cluster_info() -> None:
    info = ClusterInfo.from_api(load("info"))
    assert info.name == "gnt.homelab.tel"
    assert info.version == (3, 0, 2)
    assert set(info.enabled_disk_templates) == {"diskless", "file", "sharedfile"}
    assert info.nic_defaults["link"] == "br0"
    assert info.policy.bounds("memory-size")[0] is not None
    assert info.raw is not None and info.raw["name"] == info.name


def test_nodes_from_bulk_with_roles_spelled_out() -> None:
    nodes = {n.short_name: n for n in (Node.from_api(x) for x in load("nodes_bulk"))}
    assert set(nodes) == {"aleph", "bet", "gimel", "dalet"}
    assert nodes["aleph"].role == "master" and nodes["aleph"].is_master
    assert {n.role for n in nodes.values()} == {"master", "master-candidate"}
    assert nodes["bet"].sip is not None and nodes["bet"].sip != nodes["bet"].pip
    assert isinstance(nodes["aleph"].mtotal, MiB) and nodes["aleph"].mtotal.human.endswith("G")
    mfree = nodes["aleph"].mfree
    assert mfree is not None and nodes["aleph"].mused == nodes["aleph"].mtotal - mfree


def test_null_live_fields_and_unknown_keys_are_tolerated() -> None:
    raw = dict(load("nodes_bulk")[0], dtotal=None, dfree="garbage", some_future_field=[1])
    node = Node.from_api(raw)
    assert node.dtotal is None and node.dfree is None
    assert node.get("some_future_field") == [1]
    assert Node.from_api(None).name == ""


def test_instance_nics_and_disks_are_objects() -> None:
    by_name = {i.name: i for i in (Instance.from_api(x) for x in load("instances_bulk"))}
    inst = by_name["inst1.homelab.tel"]
    assert inst.status == "running" and inst.is_running and inst.is_healthy
    assert [d.size for d in inst.disks] == [1024, 512]
    assert inst.disk_total == 1536 and inst.disk_total.human == "1.5G"
    assert len(inst.nics) == 2
    assert inst.nics[1].network_name == "svc" and inst.nics[1].ip is not None
    assert inst.mac == inst.nics[0].mac
    assert inst.nics[0].mac_hyphens == inst.nics[0].mac.replace(":", "-")  # type: ignore[union-attr]
    assert (inst.memory, inst.min_memory, inst.vcpus) == (256, 128, 2)
    assert inst.tags == ("service:test",)
    stopped = by_name["inst2.homelab.tel"]
    assert stopped.status == "ADMIN_down" and not stopped.is_running
    assert stopped.disks == () and stopped.status_text.startswith("stopped")


def test_unbound_model_verbs_say_how_to_use_them() -> None:
    inst = Instance.from_api(load("instances_bulk")[0])
    with pytest.raises(GanetiOpsError, match="not read through a client"):
        inst.startup()


def test_listings_without_bulk_are_names() -> None:
    assert sorted(names_from("id")(load("instances"))) == [
        "inst1.homelab.tel",
        "inst2.homelab.tel",
    ]


def test_groups_and_networks() -> None:
    group = Group.from_api(load("groups_bulk")[0])
    assert group.name == "default" and group.node_cnt == 4
    net = Network.from_api(load("networks_bulk")[0])
    assert net.network == "192.0.2.0/24" and net.free_count == 252
    assert [(c.group, c.mode, c.link) for c in net.connections] == [("default", "bridged", "br0")]


def test_ovn_patched_connections_have_six_fields() -> None:
    raw = dict(load("networks_bulk")[0], group_list=[["default", "ovn", "br-int", "", "ls0", "u"]])
    conn = Network.from_api(raw).connections[0]
    assert (conn.mode, conn.ovn_logical_switch, conn.ovn_dhcpv4_options) == ("ovn", "ls0", "u")


def test_jobs_success_failure_and_unknown() -> None:
    ok = JobInfo.from_api(load("job_success"))
    assert ok.status == "success" and ok.finalized and ok.exists
    assert ok.duration is not None and ok.duration > 0
    assert ok.log and [e.serial for e in ok.log] == sorted(e.serial for e in ok.log)
    failed = JobInfo.from_api(load("job_failed"))
    assert failed.error is not None
    assert failed.error.code == "environment_error" and "br-missing" in failed.error.message
    unknown = JobInfo.from_api(load("job_unknown"))
    assert unknown.id == 987654 and not unknown.exists


def test_os_list_and_query_records() -> None:
    oses = {o.name: o for o in parse_os_list(load("os"))}
    assert oses["debootstrap"].variants == ("default",) and oses["pxe"].full_names == ("pxe",)
    result = QueryResult.from_api(load("query_instance"))
    assert result.names == ("name", "pnode", "status", "oper_ram", "disk.sizes")
    rows = {r["name"]: r for r in result.records()}
    assert rows["inst1.homelab.tel"]["disk.sizes"] == [1024, 512]
    assert rows["inst2.homelab.tel"]["oper_ram"] is None  # status "no data" for a stopped one


@pytest.mark.parametrize(
    ("mib", "text"),
    [(0, "0M"), (512, "512M"), (1536, "1.5G"), (258019, "252.0G"), (3 * 1024**2, "3.0T")],
)
def test_sizes_render_like_ganeti(mib: int, text: str) -> None:
    assert format_mib(mib) == text


def test_sizes_render_in_a_fixed_unit() -> None:
    assert format_mib(2048, "M") == "2048M"
