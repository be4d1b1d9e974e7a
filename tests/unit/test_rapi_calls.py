"""The wire format of RAPI operations, checked on the Calls they build (no I/O)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ganetiops import errors
from ganetiops.rapi.call import ClusterFacts, check_name, encode_body, encode_query
from tests.unit.rapi_helpers import body, call, query


def test_booleans_in_query_are_one_and_zero_and_false_flags_are_omitted() -> None:
    c = call("instances", "startup", "web1", force=True, no_remember=False)
    assert query(c)["force"] == ["1"]
    assert "no_remember" not in query(c)
    assert encode_query({"allocatable": False, "x": None}) == (("allocatable", "0"),)


def test_body_is_ascii_json_even_for_non_ascii_values() -> None:
    raw = encode_body({"comment": "café"})
    assert raw == b'{"comment":"caf\\u00e9"}'
    raw.decode("ascii")


def test_content_is_never_an_empty_body_for_modify() -> None:
    c = call("instances", "modify", "web1", beparams={"maxmem": "2G"})
    assert body(c) == {"beparams": {"maxmem": 2048}}


def test_reason_goes_only_in_the_query_with_the_ganetiops_tag() -> None:
    c = call("instances", "shutdown", "web1", reason="maintenance", timeout=30)
    assert query(c)["reason"] == ["maintenance [ganetiops test]"]
    assert "reason" not in body(c)
    assert body(c) == {"timeout": 30}


def test_default_reason_is_the_client_tag() -> None:
    c = call("instances", "startup", "web1")
    assert query(c)["reason"] == ["ganetiops test"]
    assert "reason" not in query(call("instances", "startup", "web1", reason_tag=None))


def test_node_migrate_sends_no_query_at_all() -> None:
    c = call("nodes", "migrate", "aleph.homelab.tel", mode="live")
    assert c.query == ()
    assert body(c) == {"mode": "live"}
    with pytest.raises(errors.ValidationError, match="reason"):
        call("nodes", "migrate", "aleph.homelab.tel", reason="x")


def test_reinstall_never_combines_query_and_body() -> None:
    c = call("instances", "reinstall", "web1", os="pxe", start=False)
    assert c.query == ()
    assert body(c) == {"os": "pxe", "start": False}
    with pytest.raises(TypeError, match="reason"):  # the signature does not offer it
        call("instances", "reinstall", "web1", reason="x")


def test_dry_run_goes_where_the_handler_reads_it() -> None:
    assert query(call("instances", "remove", "web1", dry_run=True))["dry-run"] == ["1"]
    assert body(call("instances", "migrate", "web1", dry_run=True))["dry_run"] is True
    with pytest.raises(errors.ValidationError, match="dry run"):
        call("instances", "activate_disks", "web1", dry_run=True)


def test_common_job_options_go_in_the_body_where_it_passes_through() -> None:
    c = call(
        "instances", "failover", "web1", priority=-10, comment="hi", depends=[(7, ["success"])]
    )
    assert body(c) == {"priority": -10, "comment": "hi", "depends": [[7, ["success"]]]}
    c = call("instances", "startup", "web1", depends=[(7, ["success", "error"])])
    assert body(c) == {"depends": [[7, ["success", "error"]]]}
    with pytest.raises(errors.ValidationError, match="priority"):
        call("instances", "startup", "web1", priority=10)
    with pytest.raises(errors.ValidationError, match="status"):
        call("instances", "failover", "web1", depends=[(7, ["done"])])


def test_tags_are_repeated_query_keys_and_validated() -> None:
    c = call("instances", "add_tags", "web1", ["a", "b:c"])
    assert c.path == "/2/instances/web1/tags"
    assert query(c)["tag"] == ["a", "b:c"]
    assert call("cluster", "remove_tags", ["x"]).path == "/2/tags"
    with pytest.raises(errors.ValidationError):
        call("nodes", "add_tags", "n1", ["has space"])


@pytest.mark.parametrize("bad", ["web 1", "café", "a/b", "web%31", "", "../x"])
def test_path_names_are_checked_never_percent_encoded(bad: str) -> None:
    with pytest.raises(errors.ValidationError):
        check_name(bad, "instance")
    with pytest.raises(errors.ValidationError):
        call("instances", "get", bad)


def test_job_ids_in_paths_accept_ints() -> None:
    assert call("jobs", "get", 42).path == "/2/jobs/42"


def test_instance_create_body_is_version_1_with_explicit_checks() -> None:
    c = call(
        "instances",
        "create",
        "navidrome.homelab.tel",
        disk_template="drbd",
        disks=["10G"],
        nics=[{"mode": "openvswitch", "link": "br0"}],
        os="pxe",
        pnode="aleph.homelab.tel",
        snode="bet.homelab.tel",
        beparams={"minmem": "2G", "maxmem": "2G", "vcpus": 2},
        start=False,
    )
    b = body(c)
    assert b["__version__"] == 1
    assert b["disks"] == [{"size": 10240}]
    # Not asked for: not sent, so Ganeti's own defaults apply (True on 3.0, False on 3.1+).
    assert "name_check" not in b
    assert "ip_check" not in b
    assert b["beparams"] == {"minmem": 2048, "maxmem": 2048, "vcpus": 2}
    assert b["name"] == "navidrome.homelab.tel" and b["os"] == "pxe"
    assert c.route.job


def test_drbd_create_needs_a_secondary_or_an_iallocator() -> None:
    with pytest.raises(errors.ValidationError, match="secondary"):
        call(
            "instances",
            "create",
            "vm1",
            disk_template="drbd",
            disks=["1G"],
            os="pxe",
            pnode="aleph",
        )
    ok = call(
        "instances",
        "create",
        "vm1",
        disk_template="drbd",
        disks=["1G"],
        os="pxe",
        iallocator="hail",
    )
    assert body(ok)["iallocator"] == "hail"


def test_create_precondition_checks_enabled_templates_and_default_iallocator() -> None:
    c = call("instances", "create", "vm1", disk_template="plain", disks=["1G"], os="noop")
    assert c.precondition is not None
    facts = ClusterFacts(version=(3, 0, 2), enabled_disk_templates=("file", "sharedfile"))
    with pytest.raises(errors.ValidationError, match="not enabled"):
        c.precondition(facts)
    c2 = call("instances", "create", "vm1", disk_template="file", disks=["1G"], os="noop")
    assert c2.precondition is not None
    with pytest.raises(errors.ValidationError, match="default iallocator"):
        c2.precondition(facts)
    c2.precondition(
        ClusterFacts(
            version=(3, 0, 2), enabled_disk_templates=("file",), raw={"default_iallocator": "hail"}
        )
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"disks": ["ten gigs"]}, "not a size"),
        ({"disks": ["1.5M"]}, "whole number"),
        ({"nics": [{"mac": "aa:bb"}]}, "not a MAC"),
        ({"nics": [{"mode": "tunnel"}]}, "not one of"),
        ({"nics": [{"network": "n", "link": "br0"}]}, "not both"),
        ({"nics": [{"ip": "pool"}]}, "needs a network"),
        ({"nics": [{"vlan": "abc"}]}, "VLAN"),
        ({"disk_template": "lvm"}, "not one of"),
        ({"disks": []}, "at least one disk"),
        ({"disks": ["0"]}, "0 MiB cannot exist"),
        ({"disks": [{"size": 0}]}, "0 MiB cannot exist"),
        ({"disks": ["99999999P"]}, "more than any Ganeti can hold"),
        ({"disks": ["1.1E"]}, "not a size"),
        ({"disks": ["\u0661G"]}, "not a size"),  # an Arabic-Indic digit one
        ({"disks": ["1G\n"]}, "not a size"),
    ],
)
def test_create_rejects_bad_input_before_sending(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, Any] = {"disk_template": "file", "disks": ["1G"], "os": "noop"}
    args.update(kwargs)
    with pytest.raises(errors.ValidationError, match=message):
        call("instances", "create", "vm1", **args)


def test_nic_values_are_strings() -> None:
    c = call(
        "instances",
        "create",
        "vm1",
        disk_template="diskless",
        disks=[],
        os="noop",
        nics=[{"link": "br0", "vlan": 100, "mac": "AA:00:00:12:34:56"}],
    )
    assert body(c)["nics"] == [{"link": "br0", "vlan": "100", "mac": "aa:00:00:12:34:56"}]


def test_modify_needs_a_change_and_upgrades_old_nic_forms() -> None:
    with pytest.raises(errors.ValidationError, match="nothing to change"):
        call("instances", "modify", "vm1", force=True)
    c = call(
        "instances",
        "modify",
        "vm1",
        nics=[("add", {"link": "br0"}), (0, {"ip": "none"})],
        hotplug=True,
    )
    assert body(c)["nics"] == [["add", -1, {"link": "br0"}], ["modify", 0, {"ip": "none"}]]
    with pytest.raises(errors.ValidationError, match="grow_disk"):
        call("instances", "modify", "vm1", disks=[("modify", 0, {"size": 5})])


def test_hotplug_if_possible_is_refused_on_3_1() -> None:
    c = call("instances", "modify", "vm1", beparams={"vcpus": 2}, hotplug_if_possible=True)
    assert c.precondition is not None
    c.precondition(ClusterFacts(version=(3, 0, 2)))
    with pytest.raises(errors.ValidationError, match=r"removed in Ganeti 3\.1"):
        c.precondition(ClusterFacts(version=(3, 1, 1)))


def test_network_rename_needs_3_1() -> None:
    c = call("networks", "rename", "net1", "net2")
    assert c.precondition is not None
    with pytest.raises(errors.ValidationError, match=r"needs Ganeti 3\.1"):
        c.precondition(ClusterFacts(version=(3, 0, 2)))
    c.precondition(ClusterFacts(version=(3, 1, 0)))


def test_network_modify_keeps_the_reason() -> None:
    c = call("networks", "modify", "net1", gateway="10.0.0.1", reason="gw change")
    assert query(c)["reason"] == ["gw change [ganetiops test]"]


def test_grow_disk_takes_units_and_absolute() -> None:
    c = call("instances", "grow_disk", "vm1", 0, "1G", absolute=True)
    assert c.path == "/2/instances/vm1/disk/0/grow"
    assert body(c) == {"amount": 1024, "absolute": True}


def test_node_role_body_is_a_bare_json_string() -> None:
    c = call("nodes", "set_role", "bet", "drained", auto_promote=True)
    assert c.body == b'"drained"'
    assert query(c)["auto-promote"] == ["1"]
    with pytest.raises(errors.ValidationError, match="master-failover"):
        call("nodes", "set_role", "bet", "master")


def test_evacuate_requires_a_mode_and_a_consistent_target() -> None:
    """Moving every instance off a node is too big to be a default (gnt-node evacuate
    wants the mode too): without one it is refused, naming the three choices."""
    with pytest.raises(errors.ValidationError, match="primary-only, secondary-only or all"):
        call("nodes", "evacuate", "bet")
    assert body(call("nodes", "evacuate", "bet", mode="all"))["mode"] == "all"
    with pytest.raises(errors.ValidationError):
        call("nodes", "evacuate", "bet", mode="all", iallocator="hail", remote_node="gimel")


def test_wait_for_change_is_a_get_with_a_json_body() -> None:
    c = call("jobs", "wait_for_change", 5, ["status"], None, None)
    assert c.method == "GET"
    assert json.loads(c.body or b"") == {
        "fields": ["status"],
        "previous_job_info": None,
        "previous_log_serial": None,
    }


def test_query_put_and_get_forms() -> None:
    put = call("query", "query", "instance", ["name", "pnode"], ["=", "name", "x"])
    assert put.method == "PUT" and body(put) == {
        "fields": ["name", "pnode"],
        "qfilter": ["=", "name", "x"],
    }
    get = call("query", "get", "node", ["name", "disk.size/0"])
    assert query(get)["fields"] == ["name,disk.size/0"]
    with pytest.raises(errors.ValidationError):
        call("query", "get", "vm", ["name"])


def test_cluster_modify_refuses_forbidden_and_unknown_keys() -> None:
    with pytest.raises(errors.ValidationError, match="compression_tools"):
        call("cluster", "modify", extra={"compression_tools": ["gzip"]})
    with pytest.raises(errors.ValidationError, match="unknown"):
        call("cluster", "modify", extra={"no_such_thing": 1})
    c = call("cluster", "modify", enabled_disk_templates=["file", "sharedfile"])
    assert body(c) == {"enabled_disk_templates": ["file", "sharedfile"]}


def test_filter_body_carries_a_ganetiops_trail_entry() -> None:
    c = call(
        "filters",
        "add",
        priority=1,
        predicates=[["jobid", [">", "id", 5]]],
        action=["RATE_LIMIT", 2],
        reason="slow down",
    )
    b = body(c)
    assert b["action"] == ["RATE_LIMIT", 2]
    assert b["reason"][0][:2] == ["gnt:client:ganetiops", "slow down"]
    with pytest.raises(errors.ValidationError, match="action"):
        call("filters", "add", action="DROP")


def test_create_options_are_checked_at_run_time_too() -> None:
    from ganetiops.rapi import instance_spec

    with pytest.raises(TypeError, match="pnodes"):
        call(
            "instances",
            "create",
            "vm1",
            disk_template="file",
            disks=["1G"],
            os="noop",
            pnodes="aleph",
        )
    with pytest.raises(TypeError, match="disks"):
        call("instances", "create", "vm1", disk_template="file", os="noop")
    with pytest.raises(TypeError, match="reason"):
        instance_spec("vm1", disk_template="file", disks=["1G"], os="noop", reason="x")  # type: ignore[call-arg]
    spec = instance_spec("vm1", disk_template="file", disks=["1G"], os="noop", start=False)
    assert spec["start"] is False and "__version__" not in spec


def test_create_checks_disk_sizes_against_the_cluster_ipolicy() -> None:
    """The lab's (and Ganeti's default) policy refuses disks under 1024 MiB."""
    policy = {
        "ipolicy": {
            "minmax": [{"min": {"disk-size": 1024}, "max": {"disk-size": 1048576}}],
            "std": {"disk-size": 1024},
        }
    }
    facts = ClusterFacts(version=(3, 0, 2), enabled_disk_templates=("file",), raw=policy)
    small = call("instances", "create", "vm1", disk_template="file", disks=["512M"],
                 os="noop", pnode="aleph")  # fmt: skip
    assert small.precondition is not None
    with pytest.raises(errors.ValidationError, match="outside the cluster's instance policy"):
        small.precondition(facts)
    ok = call("instances", "create", "vm1", disk_template="file", disks=["1G"],
              os="noop", pnode="aleph")  # fmt: skip
    assert ok.precondition is not None
    ok.precondition(facts)
    ignored = call("instances", "create", "vm1", disk_template="file", disks=["512M"],
                   os="noop", pnode="aleph", extra={"ignore_ipolicy": True})  # fmt: skip
    assert ignored.precondition is not None
    ignored.precondition(facts)
    # No policy reported: not second-guessed.
    small.precondition(ClusterFacts(version=(3, 0, 2), enabled_disk_templates=("file",)))


def test_name_and_ip_checks_are_sent_only_when_asked() -> None:
    base: dict[str, Any] = {
        "disk_template": "file",
        "disks": ["1G"],
        "os": "noop",
        "pnode": "aleph",
    }
    asked = body(call("instances", "create", "vm1", name_check=False, ip_check=False, **base))
    assert (asked["name_check"], asked["ip_check"]) == (False, False)
    on = body(call("instances", "create", "vm1", name_check=True, ip_check=True, **base))
    assert (on["name_check"], on["ip_check"]) == (True, True)
    with pytest.raises(errors.ValidationError, match="ip_check needs name_check"):
        call("instances", "create", "vm1", name_check=False, ip_check=True, **base)
    renamed = body(call("instances", "rename", "vm1", "vm2"))
    assert renamed == {"new_name": "vm2"}
    assert body(call("instances", "rename", "vm1", "vm2", name_check=False))["name_check"] is False


def test_filter_rules_take_a_text_or_an_existing_reason_trail() -> None:
    text = body(call("filters", "add", reason="maintenance"))["reason"]
    assert len(text) == 1
    assert text[0][:2] == ["gnt:client:ganetiops", "maintenance"]
    trail = [["gnt:user", "drain for upgrade", 1700000000000000000]]
    kept = body(call("filters", "replace", "u1", reason=trail))["reason"]
    assert kept[0] == trail[0]
    assert kept[1][0] == "gnt:client:ganetiops"
    assert trail == [["gnt:user", "drain for upgrade", 1700000000000000000]]  # not mutated
    for bad in ([["gnt:user", "x"]], [["a", "b", "c"]], ["abc"], [[1, "b", 2]]):
        with pytest.raises(errors.ValidationError, match="reason"):
            call("filters", "add", reason=bad)
