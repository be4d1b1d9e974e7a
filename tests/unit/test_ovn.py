"""The pure parts of ganetiops.ovn: validation, models from rows, chassis drift, the check
and the repair plan. The databases themselves are exercised in tests/integration/test_ovn.py."""

from __future__ import annotations

from typing import Any

import pytest

from ganetiops.errors import ValidationError
from ganetiops.ovn import chassis, validate
from ganetiops.ovn import check as checks
from ganetiops.ovn.db import snapshot_from_rows
from ganetiops.ovn.ganeti import GanetiNic, detect, parse_mapping, switch_bindings
from ganetiops.ovn.models import Chassis, Encap, LogicalSwitchPort, PortBinding, SbSnapshot
from ganetiops.rapi.models import ClusterInfo, Network

U1 = "11111111-1111-4111-8111-111111111111"
U2 = "22222222-2222-4222-8222-222222222222"
U3 = "33333333-3333-4333-8333-333333333333"
ORPHAN = "44444444-4444-4444-8444-444444444444"


# -- validation -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "a b", "a,b", 'a"b', "x" * 129, None, 3])
def test_names_ovn_would_misread_are_refused(bad: Any) -> None:
    with pytest.raises(ValidationError):
        validate.name(bad, "switch")


def test_addresses() -> None:
    assert validate.addresses(["AA:00:00:00:00:01 10.0.0.2", "unknown"]) == (
        "aa:00:00:00:00:01 10.0.0.2",
        "unknown",
    )
    for bad in (["aa:00:00:00:00:01 10.0.0.300"], ["01:00:00:00:00:01"], [""], ["zz"]):
        with pytest.raises(ValidationError):
            validate.addresses(bad)


def test_dhcp_options_and_remotes() -> None:
    good = {"lease_time": "3600", "router": "10.0.0.1", "server_mac": "C0:FF:EE:00:00:01"}
    assert validate.dhcp_options(good)["server_mac"] == "c0:ff:ee:00:00:01"
    for bad in ({"lease_time": "0"}, {"router": "x"}, {"frobnicate": "1"}, {"mtu": "1\n2"}):
        with pytest.raises(ValidationError):
            validate.dhcp_options(bad)
    assert validate.remote("tcp:10.1.100.5:6641") == ("tcp", "10.1.100.5", 6641)
    for bad_remote in ("10.1.100.5:6641", "tcp:host", "tcp:h:0", "unix:/run/x.sock"):
        with pytest.raises(ValidationError):
            validate.remote(bad_remote)
    with pytest.raises(ValidationError):
        validate.cidr("10.0.0.1/24")  # host bits set


# -- models from rows ---------------------------------------------------------------------


def _rows() -> dict[str, list[dict[str, Any]]]:
    return {
        "Logical_Switch": [
            {"_uuid": "ls1", "name": "lan", "ports": ["p1", "p2", "p3"], "other_config": {}},
            {"_uuid": "ls2", "name": "other", "ports": [], "unknown_column": 7},
        ],
        "Logical_Switch_Port": [
            {
                "_uuid": "p1",
                "name": U1,
                "addresses": ["aa:00:00:00:00:01 10.0.0.2"],
                "port_security": ["aa:00:00:00:00:01 10.0.0.2"],
                "options": {"requested-chassis": "aleph"},
                "dhcpv4_options": ["d1"],
                "enabled": [],
                "up": [True],
            },
            {
                "_uuid": "p2",
                "name": "lan-localnet",
                "type": "localnet",
                "addresses": ["unknown"],
                "options": {"network_name": "physnet"},
            },
            {"_uuid": "p3", "name": ORPHAN, "addresses": ["aa:00:00:00:00:09"]},
        ],
        "DHCP_Options": [{"_uuid": "d1", "cidr": "10.0.0.0/24", "options": {"router": "10.0.0.1"}}],
        "Logical_Router": [{"_uuid": "r1", "name": "gw", "ports": ["rp1"], "nat": ["n1"]}],
        "Logical_Router_Port": [
            {
                "_uuid": "rp1",
                "name": "gw-lan",
                "mac": "aa:00:00:00:00:fe",
                "networks": ["10.0.0.1/24"],
            }
        ],
        "NAT": [
            {"_uuid": "n1", "type": "snat", "external_ip": "192.0.2.9", "logical_ip": "10.0.0.0/24"}
        ],
    }


def test_snapshot_from_rows_tolerates_missing_and_unknown_columns() -> None:
    snap = snapshot_from_rows(_rows())
    assert [s.name for s in snap.switches] == ["lan", "other"]
    port = snap.port(U1)
    assert port is not None
    assert port.switch == "lan" and port.requested_chassis == "aleph"
    assert port.dhcpv4_options == "d1" and port.enabled is None and port.up is True
    assert snap.localnet_ports()[0].network_name == "physnet"
    assert snap.router_ports[0].router == "gw" and snap.nats[0].router == "gw"
    assert snap.routers[0].ports == ("gw-lan",)
    # garbage where a list or map belongs falls back to the default
    broken = LogicalSwitchPort.from_row({"_uuid": "x", "addresses": 5, "options": "nope"})
    assert broken.addresses == () and broken.options == {}


# -- Ganeti side -----------------------------------------------------------------------------


def test_detect_stock_and_patched() -> None:
    stock = detect(ClusterInfo.from_api({"hvparams": {"kvm": {"acpi": True}}, "nicparams": {}}))
    assert not stock.patched and "stock Ganeti" in stock.message
    patched = detect(
        ClusterInfo.from_api(
            {"hvparams": {"kvm": {"ovn_nb_connection": "tcp:10.1.100.5:6641"}}, "nicparams": {}}
        )
    )
    assert patched.patched and patched.nb_connection == "tcp:10.1.100.5:6641"


def test_switch_bindings_accept_4_and_6_tuples() -> None:
    snap = snapshot_from_rows(_rows())
    stock = Network.from_api(
        {"name": "lan", "network": "10.0.0.0/24", "group_list": [["default", "bridged", "br0", ""]]}
    )
    patched = Network.from_api(
        {
            "name": "net2",
            "network": "10.9.0.0/24",
            "group_list": [["default", "ovn", "br-int", "", "other", "d9"]],
        }
    )
    unmapped = Network.from_api({"name": "nowhere", "group_list": []})
    got = switch_bindings([stock, patched, unmapped], snap)
    assert got["lan"].switch == "lan" and got["lan"].source == "name"
    assert got["lan"].dhcpv4_options == "d1"  # the one DHCP_Options row of its CIDR
    assert (got["net2"].switch, got["net2"].dhcpv4_options, got["net2"].source) == (
        "other",
        "d9",
        "patch",
    )
    assert "nowhere" not in got
    assert switch_bindings([unmapped], snap, {"nowhere": "lan"})["nowhere"].source == "explicit"
    assert parse_mapping(["a=b"]) == {"a": "b"}
    with pytest.raises(ValidationError):
        parse_mapping(["a"])


# -- check and plan ----------------------------------------------------------------------------


def _nics() -> list[GanetiNic]:
    return [
        GanetiNic("i1", 0, U1, "aa:00:00:00:00:01", "10.0.0.2", "lan", "bet.homelab.tel", True),
        GanetiNic("i2", 0, U2, "aa:00:00:00:00:02", None, "lan", "aleph.homelab.tel", False),
        GanetiNic("i3", 0, U3, "aa:00:00:00:00:03", "10.9.9.9", "elsewhere", "aleph", True),
    ]


def test_check_finds_each_kind() -> None:
    snap = snapshot_from_rows(_rows())
    bindings = switch_bindings([Network.from_api({"name": "lan", "network": "10.0.0.0/24"})], snap)
    report = checks.check(_nics(), bindings, snap)
    kinds = {(f.kind, f.port) for f in report.findings}
    assert kinds == {
        (checks.STALE_CHASSIS, U1),  # failed over to bet, still requested on aleph
        (checks.MISSING, U2),
        (checks.ORPHANED, ORPHAN),
    }
    assert report.nics == 2  # i3 is not on an OVN network
    assert not report.ok
    stale = report.of_kind(checks.STALE_CHASSIS)[0]
    assert (stale.expected, stale.actual) == ("bet", "aleph")


def test_migration_in_progress_is_not_stale_and_sb_findings() -> None:
    rows = _rows()
    rows["Logical_Switch_Port"][0]["options"] = {"requested-chassis": "aleph,bet"}
    snap = snapshot_from_rows(rows)
    bindings = switch_bindings([Network.from_api({"name": "lan", "network": "10.0.0.0/24"})], snap)
    sb = SbSnapshot(
        chassis=(Chassis("c1", "aleph", encaps=(Encap("geneve", "10.1.100.2"),)),),
        bindings=(PortBinding("b1", U1, chassis="aleph"),),
    )
    report = checks.check(_nics()[:1], bindings, snap, sb)
    assert {f.kind for f in report.findings} == {
        checks.MIGRATING,
        checks.SB_ELSEWHERE,
        checks.NO_CHASSIS,  # bet is not registered
        checks.ORPHANED,
    }


def test_plan_repairs_and_is_idempotent_in_intent() -> None:
    snap = snapshot_from_rows(_rows())
    bindings = switch_bindings([Network.from_api({"name": "lan", "network": "10.0.0.0/24"})], snap)
    nics = _nics()
    report = checks.check(nics, bindings, snap)
    plan = checks.plan(report, nics, bindings, snap)
    actions = {(c.action, c.port) for c in plan.changes}
    assert actions == {("set", U1), ("add-port", U2), ("delete-port", ORPHAN)}
    add = next(c for c in plan.changes if c.action == "add-port")
    assert add.values["addresses"] == ["aa:00:00:00:00:02"]  # MAC only: no IP in Ganeti
    assert add.values["options"] == {"requested-chassis": "aleph"}
    assert add.values["dhcpv4_options"] == "d1"
    assert add.values["external_ids"]["neutron:port_name"] == "i2_nic0"
    stale = next(c for c in plan.changes if c.action == "set")
    assert stale.values == {"options:requested-chassis": "bet"}
    assert stale.expect == {"options:requested-chassis": "aleph"}
    assert plan.deletes == (ORPHAN,)
    keep = checks.plan(report, nics, bindings, snap, delete_orphans=False)
    assert all(c.action != "delete-port" for c in keep.changes)
    only = checks.plan(report, nics, bindings, snap, kinds=[checks.STALE_CHASSIS])
    assert [c.action for c in only.changes] == ["set"]


def test_no_port_is_deleted_unless_it_looks_like_ganetis() -> None:
    rows = _rows()
    rows["Logical_Switch_Port"].append({"_uuid": "p9", "name": "router-port", "type": "router"})
    rows["Logical_Switch_Port"].append({"_uuid": "p8", "name": "hand-made"})
    rows["Logical_Switch"][0]["ports"] += ["p8", "p9"]
    snap = snapshot_from_rows(rows)
    bindings = switch_bindings([Network.from_api({"name": "lan"})], snap)
    orphans = checks.check([], bindings, snap).of_kind(checks.ORPHANED)
    assert [f.port for f in orphans] == [U1, ORPHAN]


# -- chassis --------------------------------------------------------------------------------


def test_chassis_desired_parse_and_drift() -> None:
    want = chassis.desired_external_ids(
        "bet.homelab.tel",
        ovn_remote="tcp:10.1.100.5:6642",
        encap_ip="10.1.97.3",
        bridge_mappings="physnet:br0",
    )
    assert want["system-id"] == "bet" and want["ovn-encap-type"] == "geneve"
    text = (
        '{"data":[[["map",[["hostname","bet"],["ovn-encap-ip","10.1.100.3"],'
        '["ovn-remote","tcp:10.1.100.5:6642"],["system-id","bet"]]]]],"headings":["external_ids"]}'
    )
    actual = chassis.parse_external_ids(text)
    drift = {(d.key, d.kind) for d in chassis.compare("bet", want, actual)}
    assert drift == {
        ("ovn-encap-ip", "differs"),
        ("ovn-encap-type", "missing"),
        ("ovn-bridge-mappings", "missing"),
    }
    with pytest.raises(ValueError, match="unexpected"):
        chassis.parse_external_ids("not json")
    with pytest.raises(ValidationError):
        chassis.desired_external_ids(
            "bet", ovn_remote="tcp:h:1", encap_ip="10.0.0.1", bridge_mappings="nocolon"
        )
    command = chassis.set_command({"ovn-bridge-mappings": "a:br0,b:br1"})
    assert "'external-ids:ovn-bridge-mappings=\"a:br0,b:br1\"'" in command
    with pytest.raises(ValidationError):
        chassis.set_command({"x": 'a"b'})


# -- the notebook picture and the CLI's checks before any I/O ----------------------------


def test_topology_svg_draws_switches_ports_and_chassis() -> None:
    from ganetiops.ovn.view import Topology

    snap = snapshot_from_rows(_rows())
    sb = SbSnapshot(
        chassis=(Chassis("c1", "aleph"), Chassis("c2", "<bet>")),
        bindings=(PortBinding("b1", U1, chassis="aleph"),),
    )
    svg = Topology.of(snap, sb, flagged=[ORPHAN])._repr_svg_()
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "switch lan" in svg and "switch other" in svg
    assert "&lt;bet&gt;" in svg and "<bet>" not in svg  # escaped
    assert svg.count("<title>") == 3  # the three ports of lan
    assert "#cf222e" in svg  # the flagged orphan
    assert "stroke-dasharray" not in svg  # U1 is bound where it is requested


def _gnt(*args: str) -> tuple[int, str, str]:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("GNTPY_OVN")}
    done = subprocess.run(
        [sys.executable, "-m", "ganetiops.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def test_cli_unreachable_nb_is_exit_3_without_traceback() -> None:
    code, _out, err = _gnt("ovn", "--nb", "tcp:127.0.0.1:1", "list-ports")
    assert code == 3
    assert "cannot reach the northbound database at tcp:127.0.0.1:1" in err
    assert "Traceback" not in err


def test_cli_refuses_bad_input_before_connecting() -> None:
    code, _out, err = _gnt("ovn", "--nb", "tcp:127.0.0.1:1", "repair", "--kind", "sb-unbound")
    assert code == 2 and "not repairable" in err
    code, _out, err = _gnt("ovn", "--nb", "not-a-remote", "list-ports")
    assert code == 2 and "not an OVSDB remote" in err
