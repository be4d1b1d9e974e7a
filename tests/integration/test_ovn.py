"""OVN against the lab's real databases, chassis and Ganeti (issue 15).

dalet runs the real NB and SB ovsdb-servers and ovn-northd; every node runs
ovsdb-server, ovs-vswitchd (user-space datapath) and ovn-controller, so the four
chassis are registered in the SB for real. Ganeti is stock 3.0.2: the tests create the
ports a patched Ganeti would create (named by the real NIC UUIDs of real instances),
then fail an instance over for real. Independent reads go through ``ovn-nbctl`` and
``ovn-sbctl`` inside dalet, not through the code under test. Nothing is mocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ganetiops.errors import GanetiOpsError, OvnConflictError, OvnConnectionError, ValidationError
from ganetiops.lab import Lab, LabFacts
from ganetiops.ovn import Northbound, Southbound, chassis, ops
from ganetiops.ovn import check as checks
from ganetiops.rapi import RapiClient
from ganetiops.ssh import Host, HostKeys, Nodes, SshSettings

pytestmark = pytest.mark.integration

NETWORK = "ovnlan"
SUBNET = "198.51.100.0/24"  # TEST-NET-2: Ganeti's bookkeeping only, no packet goes there
INSTANCES = ("inst14.homelab.tel", "inst15.homelab.tel", "inst16.homelab.tel")
NODES = ("aleph", "bet", "gimel", "dalet")
DHCP = {
    "lease_time": "3600",
    "router": "198.51.100.1",
    "server_id": "198.51.100.1",
    "server_mac": "c0:ff:ee:00:00:01",
}


def nbctl(lab: Lab, *args: str) -> str:
    """ovn-nbctl on dalet through the NB's local socket (an independent reader)."""
    done = lab.run("dalet", ["ovn-nbctl", "--db=unix:/run/ovn/ovnnb_db.sock", *args])
    return done.stdout.strip()


def sbctl(lab: Lab, *args: str) -> str:
    done = lab.run("dalet", ["ovn-sbctl", "--db=unix:/run/ovn/ovnsb_db.sock", *args])
    return done.stdout.strip()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def routed(lab: Lab, lab_facts: LabFacts) -> LabFacts:
    """The host routes dalet's address into the lab (fail closed otherwise)."""
    lab.check_route(lab_facts.node("dalet").primary_ip)
    return lab_facts


@pytest.fixture(scope="module")
def nb(routed: LabFacts) -> Iterator[Northbound]:
    with Northbound(routed.ovn_nb) as db:
        yield db


@pytest.fixture(scope="module")
def sb(routed: LabFacts) -> Iterator[Southbound]:
    with Southbound(routed.ovn_sb) as db:
        yield db


@pytest.fixture(scope="module")
def client(lab_facts: LabFacts) -> Iterator[RapiClient]:
    cluster = lab_facts.cluster
    assert cluster is not None
    with RapiClient.from_context(lab_facts.name) as rapi:
        yield rapi


def gnt(
    lab_facts: LabFacts, *args: str, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GNTPY_OVN_NB": lab_facts.ovn_nb, "GNTPY_OVN_SB": lab_facts.ovn_sb}
    return subprocess.run(
        [sys.executable, "-m", "ganetiops.cli", "--context", lab_facts.name, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        input=input,
        check=False,
    )


# -- chassis ---------------------------------------------------------------------------


def test_all_four_chassis_registered(lab: Lab, sb: Southbound, lab_facts: LabFacts) -> None:
    def registered() -> bool:
        return set(sb.snapshot().chassis_names) >= set(NODES)

    wait_until(registered, "four chassis in the SB")
    by_name = {c.name: c for c in sb.snapshot().chassis}
    for node in lab_facts.nodes:
        found = by_name[node.name]
        assert [(e.type, e.ip) for e in found.encaps] == [("geneve", node.primary_ip)]
        assert found.bridge_mappings == "physnet:br-ext"
    # the SB's own tool agrees (independent of ovsdbapp)
    listed = sbctl(lab, "--bare", "--columns=name", "list", "Chassis")
    assert set(listed.split()) >= set(NODES)


def _ssh_nodes(facts: LabFacts) -> Nodes:
    settings = SshSettings(
        HostKeys(known_hosts=[facts.known_hosts]), client_keys=(facts.workstation_key,)
    )
    return Nodes([Host(n.fqdn, n.primary_ip, aliases=(n.name,)) for n in facts.nodes], settings)


def _desired(facts: LabFacts) -> dict[str, dict[str, str]]:
    return chassis.desired_for(
        [(n.fqdn, n.primary_ip) for n in facts.nodes],
        ovn_remote=facts.ovn_sb,
        bridge_mappings="physnet:br-ext",
    )


def test_chassis_drift_found_and_repaired_over_ssh(
    lab: Lab, routed: LabFacts, sb: Southbound
) -> None:
    desired = _desired(routed)
    # Drift injected out of band, on the node itself.
    lab.run("bet", ["ovs-vsctl", "set", "open", ".", "external-ids:ovn-encap-type=vxlan"])
    lab.run("gimel", ["ovs-vsctl", "remove", "open", ".", "external-ids", "ovn-bridge-mappings"])

    async def scenario() -> tuple[Any, Any, Any]:
        async with _ssh_nodes(routed) as nodes:
            before = await chassis.read_chassis(nodes, desired)
            applied = await chassis.apply_chassis(nodes, desired)
            again = await chassis.read_chassis(nodes, desired)
            return before, applied, again

    try:
        before, applied, again = asyncio.run(scenario())
    finally:  # leave the lab as the homelab has it, whatever happened
        for node in ("bet", "gimel"):
            ids = desired[f"{node}.homelab.tel"]
            lab.run(node, ["ovs-vsctl", "set", "open", ".", *chassis_args(ids)])
    drift = {(d.node, d.key, d.actual) for s in before.values() for d in s.drift}
    assert drift == {
        ("bet.homelab.tel", "ovn-encap-type", "vxlan"),
        ("gimel.homelab.tel", "ovn-bridge-mappings", None),
    }
    assert all(not s.drift and s.error is None for s in applied.values())
    assert all(not s.drift for s in again.values())
    # read back on the node by ovs-vsctl itself
    assert (
        lab.run(
            "bet", ["ovs-vsctl", "get", "open", ".", "external-ids:ovn-encap-type"]
        ).stdout.strip()
        == "geneve"
    )
    # and the SB shows bet's encap as geneve again
    wait_until(
        lambda: (
            [e.type for c in sb.snapshot().chassis if c.name == "bet" for e in c.encaps]
            == ["geneve"]
        ),
        "bet's geneve encap in the SB",
    )


def chassis_args(ids: dict[str, str]) -> list[str]:
    return [f'external-ids:{k}="{v}"' for k, v in ids.items()]


def test_chassis_check_cli(routed: LabFacts) -> None:
    done = gnt(
        routed,
        "--format",
        "json",
        "ovn",
        "chassis-check",
        "--key",
        routed.workstation_key,
        "--known-hosts",
        routed.known_hosts,
        "--bridge-mappings",
        "physnet:br-ext",
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {r["chassis"] for r in rows} == set(NODES)
    assert all(r["ok"] and r["registered"] for r in rows)


# -- NB objects -------------------------------------------------------------------------


def test_switch_and_dhcp_through_library_and_cli(
    lab: Lab, nb: Northbound, routed: LabFacts
) -> None:
    made = nb.create_network("ovnlib1", cidr="203.0.113.0/24", dhcp=DHCP, localnet="physnet")
    try:
        assert nbctl(lab, "get", "Logical_Switch", "ovnlib1", "_uuid") == made["switch"]
        options = nbctl(lab, "dhcp-options-get-options", str(made["dhcp_options"]))
        assert sorted(options.splitlines()) == sorted(f"{k}={v}" for k, v in DHCP.items())
        assert nbctl(lab, "lsp-get-type", "ovnlib1-localnet") == "localnet"
        assert nbctl(lab, "lsp-get-options", "ovnlib1-localnet") == "network_name=physnet"
        # the same made through gnt-py
        done = gnt(
            routed,
            "--format",
            "json",
            "ovn",
            "add-switch",
            "ovncli1",
            "--cidr",
            "203.0.113.0/25",
            "--dhcp",
            "lease_time=600,router=203.0.113.1,server_id=203.0.113.1,server_mac=c0:ff:ee:00:00:02",
        )
        assert done.returncode == 0, done.stderr
        cli_made = json.loads(done.stdout)
        assert (
            nbctl(lab, "get", "DHCP_Options", cli_made["dhcp_options"], "cidr")
            == '"203.0.113.0/25"'
        )
        listed = gnt(routed, "--format", "yaml", "ovn", "list-switches", "-o", "name,uuid")
        assert "ovncli1" in listed.stdout and cli_made["switch"] in listed.stdout
        # destructive: asks; declined without a terminal -> exit 5, switch kept
        declined = gnt(routed, "ovn", "remove-switch", "ovncli1")
        assert declined.returncode == 5
        assert nbctl(lab, "--bare", "--columns=name", "find", "Logical_Switch", "name=ovncli1")
        assert gnt(routed, "ovn", "remove-switch", "ovncli1", "--yes").returncode == 0
        assert not nbctl(lab, "--bare", "--columns=name", "find", "Logical_Switch", "name=ovncli1")
    finally:
        nbctl(lab, "--if-exists", "ls-del", "ovnlib1")
        nbctl(lab, "--if-exists", "ls-del", "ovncli1")
        for uuid in nbctl(
            lab, "--bare", "--columns=_uuid", "find", "DHCP_Options", "cidr=203.0.113.0/24"
        ).split():
            nbctl(lab, "dhcp-options-del", uuid)
        for uuid in nbctl(
            lab, "--bare", "--columns=_uuid", "find", "DHCP_Options", "cidr=203.0.113.0/25"
        ).split():
            nbctl(lab, "dhcp-options-del", uuid)


def test_bad_input_refused_before_sending(lab: Lab, nb: Northbound, routed: LabFacts) -> None:
    before = nbctl(lab, "--bare", "--columns=name", "list", "Logical_Switch")
    with pytest.raises(ValidationError, match="not a usable OVN name"):
        nb.create_network("bad name", cidr="203.0.113.0/24")
    with pytest.raises(ValidationError, match="server_mac"):
        nb.create_network("ovnbad1", cidr="203.0.113.0/24", dhcp={**DHCP, "server_mac": "nope"})
    with pytest.raises(ValidationError, match="IPv4 network"):
        nb.create_network("ovnbad1", cidr="203.0.113.7/24", dhcp=DHCP)
    assert nbctl(lab, "--bare", "--columns=name", "list", "Logical_Switch") == before
    done = gnt(routed, "ovn", "add-switch", "bad,name")
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_unreachable_database_is_a_clear_error(lab: Lab, routed: LabFacts) -> None:
    dead = f"tcp:{routed.node('dalet').primary_ip}:6649"  # dalet, where nothing listens
    with pytest.raises(OvnConnectionError, match="cannot reach the northbound database"):
        Northbound(dead, timeout=3)
    env_nb = {**os.environ, "GNTPY_OVN_NB": dead}
    done = subprocess.run(
        [sys.executable, "-m", "ganetiops.cli", "--context", routed.name, "ovn", "list-ports"],
        capture_output=True,
        text=True,
        env=env_nb,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3
    assert "cannot reach the northbound database" in done.stderr
    assert "Traceback" not in done.stderr


def test_stock_ganeti_said_plainly(client: RapiClient, routed: LabFacts) -> None:
    support = ops.support(client)
    assert support.patched is False
    assert "stock Ganeti" in support.message
    with pytest.raises(ValidationError, match="stock Ganeti"):
        ops.set_nb_connection(client, routed.ovn_nb)
    done = gnt(routed, "ovn", "set-nb-connection", routed.ovn_nb)
    assert done.returncode == 2 and "stock Ganeti" in done.stderr
    status = gnt(routed, "--format", "json", "ovn", "status")
    assert json.loads(status.stdout)["patched"] is False


# -- Ganeti NICs: check and repair ---------------------------------------------------------


@pytest.fixture(scope="module")
def ovn_instances(lab: Lab, client: RapiClient, nb: Northbound) -> Iterator[list[str]]:
    """A Ganeti network ``ovnlan`` with its OVN switch, and three instances on it."""
    created: list[str] = []
    try:
        client.networks.create(NETWORK, SUBNET, gateway="198.51.100.1").wait(120)
        client.networks.connect(NETWORK, "default", mode="bridged", link="br0").wait(120)
        nb.create_network(NETWORK, cidr=SUBNET, dhcp=DHCP, localnet="physnet")
        for name, node in zip(
            INSTANCES, ("aleph.homelab.tel", "bet.homelab.tel", "aleph.homelab.tel"), strict=True
        ):
            client.instances.create(
                name,
                disk_template="sharedfile",
                disks=["1G"],
                nics=[{"network": NETWORK, "ip": "pool"}],
                os="noop",
                pnode=node,
                beparams={"maxmem": "128M", "minmem": "128M", "vcpus": 1},
            ).wait(600)
            created.append(name)
        yield created
    finally:  # each step on its own: one failing must not leave the others undone
        for name in created:
            with contextlib.suppress(GanetiOpsError):
                client.instances.remove(name).wait(300)
        nbctl(lab, "--if-exists", "ls-del", NETWORK)
        found = nbctl(lab, "--bare", "--columns=_uuid", "find", "DHCP_Options", f"cidr={SUBNET}")
        for uuid in found.split():
            nbctl(lab, "dhcp-options-del", uuid)
        with contextlib.suppress(GanetiOpsError):
            client.networks.disconnect(NETWORK, "default").wait(120)
        with contextlib.suppress(GanetiOpsError):
            client.networks.remove(NETWORK).wait(120)


def _check(client: RapiClient, nb: Northbound, sb: Southbound | None = None) -> tuple[Any, Any]:
    state = ops.gather(client, nb, sb)
    return state, ops.check_state(state)


def plug(lab: Lab, node: str, nic_uuid: str) -> str:
    """What the patch's net-ovn-up does at NIC plug: an OVS port with iface-id=<NIC UUID>
    on br-int of the primary node (an internal port: the fake hypervisor has no tap)."""
    name = f"t{nic_uuid[:8]}"
    lab.run(
        node,
        [
            "ovs-vsctl",
            "--may-exist",
            "add-port",
            "br-int",
            name,
            "--",
            "set",
            "Interface",
            name,
            "type=internal",
            f"external-ids:iface-id={nic_uuid}",
        ],
    )
    return name


def test_check_and_repair_converge(
    lab: Lab, client: RapiClient, nb: Northbound, sb: Southbound, ovn_instances: list[str]
) -> None:
    state, report = _check(client, nb)
    nics = {n.instance: n for n in state.nics if n.network == NETWORK}
    assert set(nics) == set(INSTANCES)
    assert {f.port for f in report.of_kind(checks.MISSING)} == {n.uuid for n in nics.values()}

    # Repair creates the ports a patched Ganeti would have made, in one transaction.
    plan = ops.plan_repair(state, report)
    assert ops.apply_plan(nb, plan) == 3
    first = nics[INSTANCES[0]]
    assert nbctl(lab, "lsp-get-addresses", first.uuid) == f"{first.mac} {first.ip}"
    assert nbctl(lab, "lsp-get-port-security", first.uuid) == f"{first.mac} {first.ip}"
    assert nbctl(lab, "lsp-get-options", first.uuid) == "requested-chassis=aleph"
    assert nbctl(lab, "lsp-get-ls", first.uuid).endswith(f"({NETWORK})")
    dhcp = nbctl(lab, "--bare", "--columns=_uuid", "find", "DHCP_Options", f"cidr={SUBNET}")
    assert nbctl(lab, "lsp-get-dhcpv4-options", first.uuid).startswith(dhcp)
    _, clean = _check(client, nb)
    assert clean.ok and not clean.findings

    # Five kinds of drift, injected with ovn-nbctl (out of band) ...
    second, third = nics[INSTANCES[1]], nics[INSTANCES[2]]
    orphan = "0e0e0e0e-0000-4000-8000-000000000001"
    nbctl(lab, "lsp-del", second.uuid)  # missing
    nbctl(
        lab, "lsp-add", NETWORK, orphan, "--", "lsp-set-addresses", orphan, "aa:00:00:00:00:99"
    )  # orphaned
    nbctl(
        lab, "lsp-set-addresses", first.uuid, "aa:00:00:00:00:01 198.51.100.250"
    )  # wrong addresses
    nbctl(lab, "lsp-set-port-security", third.uuid)  # port security cleared
    # ... and the patch's own bug: a real failover leaves requested-chassis on aleph.
    client.instances.failover(INSTANCES[2], target_node="gimel.homelab.tel").wait(300)
    assert nbctl(lab, "lsp-get-options", third.uuid) == "requested-chassis=aleph"

    state, report = _check(client, nb)
    found = {(f.kind, f.port) for f in report.findings}
    assert found == {
        (checks.MISSING, second.uuid),
        (checks.ORPHANED, orphan),
        (checks.WRONG_ADDRESSES, first.uuid),
        (checks.WRONG_PORT_SECURITY, third.uuid),
        (checks.STALE_CHASSIS, third.uuid),
    }
    stale = report.of_kind(checks.STALE_CHASSIS)[0]
    assert (stale.expected, stale.actual) == ("gimel", "aleph")

    # gnt-py shows it too, and exits 1
    done = gnt(lab.facts(), "--format", "json", "ovn", "check", "-o", "kind,port,repairable")
    assert done.returncode == 1
    rows = json.loads(done.stdout)
    assert {(r["kind"], r["port"]) for r in rows if r["repairable"]} == found
    # with --sb the CLI also reports the SB side: no chassis claims these ports (no VM runs)
    assert {r["kind"] for r in rows if not r["repairable"]} <= {checks.SB_UNBOUND}

    # dry run: the plan names the delete; nothing changes
    dry = gnt(lab.facts(), "--format", "json", "ovn", "repair", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)["changes"]
    assert {(c["action"], c["port"]) for c in planned} >= {
        ("delete-port", orphan),
        ("add-port", second.uuid),
    }
    assert nbctl(lab, "lsp-get-options", third.uuid) == "requested-chassis=aleph"
    # without --yes and no terminal: declined, nothing applied
    assert gnt(lab.facts(), "ovn", "repair").returncode == 5
    assert (
        nbctl(lab, "--bare", "--columns=name", "find", "Logical_Switch_Port", f"name={orphan}")
        == orphan
    )

    applied = gnt(lab.facts(), "ovn", "repair", "--yes")
    assert applied.returncode == 0, applied.stderr
    assert nbctl(lab, "lsp-get-options", third.uuid) == "requested-chassis=gimel"
    assert nbctl(lab, "lsp-get-addresses", first.uuid) == f"{first.mac} {first.ip}"
    assert not nbctl(
        lab, "--bare", "--columns=name", "find", "Logical_Switch_Port", f"name={orphan}"
    )
    _, after = _check(client, nb)
    assert after.ok and not after.findings
    again = gnt(lab.facts(), "--format", "json", "ovn", "repair", "--yes")
    assert json.loads(again.stdout)["changes"] == []


def test_binding_follows_the_primary_only_after_repair(
    lab: Lab, client: RapiClient, nb: Northbound, sb: Southbound, ovn_instances: list[str]
) -> None:
    """The SB side, for real: ovn-controller on the new primary refuses the port while
    requested-chassis names the old one, and claims it once the library fixes it."""
    name = INSTANCES[1]
    state, report = _check(client, nb)
    ops.apply_plan(nb, ops.plan_repair(state, report))
    nic = next(n for n in state.nics if n.instance == name)
    primary = client.instances.get(name).pnode
    assert primary == "bet.homelab.tel"
    plugged = [("bet", plug(lab, "bet", nic.uuid))]
    try:
        wait_until(
            lambda: (b := sb.snapshot().binding(nic.uuid)) is not None and b.chassis == "bet",
            "bet claims the port",
        )
        client.instances.failover(name, target_node="dalet.homelab.tel").wait(300)
        lab.run("bet", ["ovs-vsctl", "--if-exists", "del-port", "br-int", plugged[0][1]])
        plugged = [("dalet", plug(lab, "dalet", nic.uuid))]
        time.sleep(3)  # give dalet's ovn-controller time to (not) claim it
        binding = sb.snapshot().binding(nic.uuid)
        assert binding is not None and binding.chassis != "dalet"
        _, report = _check(client, nb, sb)
        assert {f.kind for f in report.findings if f.port == nic.uuid} >= {checks.STALE_CHASSIS}
        # the opt-in fix after a failover, through the library
        fixed = ops.follow_primary(client, nb, name)
        assert [c.values for c in fixed.changes] == [{"options:requested-chassis": "dalet"}]
        wait_until(
            lambda: (b := sb.snapshot().binding(nic.uuid)) is not None and b.chassis == "dalet",
            "dalet claims the port",
        )
        assert sbctl(
            lab, "--bare", "--columns=chassis", "find", "Port_Binding", f"logical_port={nic.uuid}"
        )
        assert ops.follow_primary(client, nb, name).empty
    finally:
        for node, port in plugged:
            lab.run(node, ["ovs-vsctl", "--if-exists", "del-port", "br-int", port])


def test_concurrent_change_fails_cleanly(
    lab: Lab, client: RapiClient, nb: Northbound, ovn_instances: list[str]
) -> None:
    """A plan made, then the NB changed by someone else: applying it changes nothing."""
    state, report = _check(client, nb)
    ops.apply_plan(nb, ops.plan_repair(state, report))
    nics = [n for n in ops.gather(client, nb).nics if n.network == NETWORK]
    a, b = nics[0], nics[1]
    wrong, other = [n for n in NODES if n != b.chassis][:2]
    nbctl(lab, "lsp-set-addresses", a.uuid, "aa:00:00:00:00:0a")
    nbctl(lab, "lsp-set-options", b.uuid, f"requested-chassis={wrong}")
    state, report = _check(client, nb)
    plan = ops.plan_repair(state, report)
    assert {c.port for c in plan.changes} == {a.uuid, b.uuid}
    # someone else moves b's requested-chassis meanwhile
    nbctl(lab, "lsp-set-options", b.uuid, f"requested-chassis={other}")

    def seen() -> bool:
        port = nb.snapshot().port(b.uuid)
        return port is not None and port.requested_chassis == other

    wait_until(seen, "the NB replica")
    with pytest.raises(OvnConflictError, match="changed meanwhile"):
        ops.apply_plan(nb, plan)
    # all or nothing: a's addresses were not repaired either
    assert nbctl(lab, "lsp-get-addresses", a.uuid) == "aa:00:00:00:00:0a"
    assert nbctl(lab, "lsp-get-options", b.uuid) == f"requested-chassis={other}"
    state, report = _check(client, nb)
    ops.apply_plan(nb, ops.plan_repair(state, report))
    assert ops.check_state(ops.gather(client, nb)).ok


def test_router_ports_and_nat_in_one_transaction(
    lab: Lab, nb: Northbound, routed: LabFacts
) -> None:
    try:
        done = gnt(
            routed,
            "ovn",
            "add-router",
            "ovnrtr1",
            "--port",
            "ovnrtr1-lan,c0:ff:ee:00:00:10,203.0.113.1/24",
            "--nat",
            "snat,192.0.2.10,203.0.113.0/24",
        )
        assert done.returncode == 0, done.stderr
        snap = nb.snapshot()
        router = next(r for r in snap.routers if r.name == "ovnrtr1")
        assert router.ports == ("ovnrtr1-lan",)
        port = next(p for p in snap.router_ports if p.name == "ovnrtr1-lan")
        assert (port.router, port.mac, port.networks) == (
            "ovnrtr1",
            "c0:ff:ee:00:00:10",
            ("203.0.113.1/24",),
        )
        nat = next(n for n in snap.nats if n.router == "ovnrtr1")
        assert (nat.type, nat.external_ip, nat.logical_ip) == (
            "snat",
            "192.0.2.10",
            "203.0.113.0/24",
        )
        assert "192.0.2.10" in nbctl(lab, "lr-nat-list", "ovnrtr1")
        # a bad NAT rule: refused before sending, and nothing of the router is made
        bad = gnt(
            routed,
            "ovn",
            "add-router",
            "ovnrtr2",
            "--port",
            "ovnrtr2-lan,c0:ff:ee:00:00:11,203.0.113.2/24",
            "--nat",
            "snat,nope,203.0.113.0/24",
        )
        assert bad.returncode == 2 and "nat.external_ip" in bad.stderr
        assert "ovnrtr2" not in nbctl(lab, "lr-list")
        # the same name again: refused by the transaction's own check, nothing changed
        again = gnt(routed, "ovn", "add-router", "ovnrtr1")
        assert again.returncode == 6 and "already exists" in again.stderr
        listed = json.loads(gnt(routed, "--format", "json", "ovn", "list-nat").stdout)
        assert any(n["external_ip"] == "192.0.2.10" for n in listed)
    finally:
        nbctl(lab, "--if-exists", "lr-del", "ovnrtr1")
        nbctl(lab, "--if-exists", "lr-del", "ovnrtr2")


def test_migrate_and_failover_through_the_library_follow_the_primary(
    lab: Lab, client: RapiClient, nb: Northbound, ovn_instances: list[str]
) -> None:
    """The opt-in: ops.migrate/ops.failover move requested-chassis with the instance."""
    state, report = _check(client, nb)
    ops.apply_plan(nb, ops.plan_repair(state, report))
    name = INSTANCES[0]
    nic = next(n for n in state.nics if n.instance == name)
    start = client.instances.get(name).pnode
    assert start is not None
    target = "bet.homelab.tel" if start != "bet.homelab.tel" else "gimel.homelab.tel"
    moved = ops.migrate(client, nb, name, target_node=target)
    assert [c.values for c in moved.changes] == [{"options:requested-chassis": target[:-12]}]
    assert nbctl(lab, "lsp-get-options", nic.uuid) == f"requested-chassis={target[:-12]}"
    back = ops.failover(client, nb, name, target_node=start)
    assert [c.values for c in back.changes] == [{"options:requested-chassis": start[:-12]}]
    assert nbctl(lab, "lsp-get-options", nic.uuid) == f"requested-chassis={start[:-12]}"
    assert ops.check_state(ops.gather(client, nb)).ok


def test_nb_and_sb_through_ssh(lab: Lab, routed: LabFacts) -> None:
    """The databases reached through an SSH channel to dalet instead of direct TCP."""
    from ganetiops.ovn.tunnel import SshForward

    dalet = routed.node("dalet")
    settings = SshSettings(
        HostKeys(known_hosts=[routed.known_hosts]), client_keys=(routed.workstation_key,)
    )
    host = Host(dalet.fqdn, dalet.primary_ip, aliases=(dalet.name,))
    with SshForward(host, settings, routed.ovn_sb) as fwd:
        assert fwd.remote.startswith("tcp:127.0.0.1:")
        with Southbound(fwd.remote) as sb:
            assert set(sb.snapshot().chassis_names) >= set(NODES)
    with SshForward(host, settings, routed.ovn_nb) as fwd, Northbound(fwd.remote) as nb:
        nb.create_switch("ovnssh1")
        try:
            assert nbctl(lab, "get", "Logical_Switch", "ovnssh1", "name") == "ovnssh1"
        finally:
            nb.delete_switch("ovnssh1")
    assert not nbctl(lab, "--bare", "--columns=name", "find", "Logical_Switch", "name=ovnssh1")
