"""The DRBD room on the namespace lab: real sshd on every node, real Ganeti.

The lab's kernel has no DRBD (``CONFIG_BLK_DEV_DRBD`` unset) and its instances are
``sharedfile``: the fan-out must read "no DRBD on this node" from each real node (not
crash), the guards must be no-ops, and ``cluster recover``, ``node maintenance`` and
``node return`` run for real on everything but the resync (which needs the QEMU tier).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from ganetiops.cli.remote import ssh_login
from ganetiops.config import load_config
from ganetiops.drbd.health import HealthReader, cluster_hosts, read_nodes
from ganetiops.lab import Lab, LabFacts
from ganetiops.rapi import RapiClient
from ganetiops.ssh import Host, Nodes, run_sync

pytestmark = pytest.mark.integration

PREFIX = "drbdlab"


def gnt(context: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ganetiops.cli", "--context", context, *args],
        capture_output=True,
        text=True,
        timeout=900,
        env=dict(os.environ),
        check=False,
    )


def ok(context: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = gnt(context, *args)
    assert done.returncode == 0, f"gnt-py {' '.join(args)}: {done.returncode}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def context(lab: Lab) -> Any:
    return load_config().resolve(lab.facts().name)


@pytest.fixture(scope="module")
def client(context: Any) -> Iterator[RapiClient]:
    with RapiClient.from_context(context) as rapi:
        yield rapi


@pytest.fixture(scope="module")
def instances(lab: Lab, lab_facts: LabFacts) -> Iterator[list[str]]:
    """Two running sharedfile instances on bet, removed at the end."""
    names = [f"{PREFIX}1", f"{PREFIX}2"]
    bet = next(n.fqdn for n in lab_facts.nodes if n.name == "bet")
    for name in names:
        lab.run("aleph", ["gnt-instance", "remove", "-f", name], check=False)
        lab.run(
            "aleph",
            [
                "gnt-instance", "add", "-t", "sharedfile", "-o", "pxe", "--disk", "0:size=64M",
                "-B", "minmem=128M,maxmem=128M", "--no-name-check", "--no-ip-check",
                "-n", bet, name,
            ],
        )  # fmt: skip
    try:
        yield names
    finally:
        for name in names:
            lab.run("aleph", ["gnt-instance", "remove", "-f", name], check=False)
        lab.run("aleph", ["gnt-node", "modify", "-D", "no", bet], check=False)


def test_fan_out_reads_no_drbd_from_every_real_node(client: RapiClient, context: Any) -> None:
    settings, user, port = ssh_login(context)
    hosts, skipped = cluster_hosts(client.nodes.list(), user=user, port=port)
    assert len(hosts) == 4 and skipped == {}

    async def go() -> Any:
        async with Nodes(hosts, settings) as nodes:
            return await read_nodes(nodes)

    states = run_sync(go())
    assert sorted(states) == sorted(h.name for h in hosts)
    for name, node in states.items():
        assert node.reachable, node.problems
        assert not node.loaded and node.devices == ()
        assert node.summary == "no DRBD on this node", name


def test_an_unreachable_node_is_a_state_not_a_crash(lab_facts: LabFacts, context: Any) -> None:
    settings, user, _ = ssh_login(context)
    aleph = next(n for n in lab_facts.nodes if n.name == "aleph")
    # A real refusal: nothing listens on port 1 of the lab node.
    hosts = [
        Host(name=aleph.fqdn, address=aleph.primary_ip, user=user, port=22),
        Host(name="closed", address=aleph.primary_ip, user=user, port=1),
    ]

    async def go() -> Any:
        async with Nodes(hosts, settings) as nodes:
            return await read_nodes(nodes)

    states = run_sync(go())
    assert states[aleph.fqdn].summary == "no DRBD on this node"
    assert not states["closed"].reachable
    assert states["closed"].summary.startswith("not reached: ")


def test_drbd_status_on_a_cluster_without_drbd(lab: Lab, instances: list[str]) -> None:
    name = lab.facts().name
    done = ok(name, "drbd", "status", "--format", "json")
    assert json.loads(done.stdout) == []  # sharedfile instances are not DRBD
    assert "no DRBD instances" in done.stderr
    minors = ok(name, "drbd", "status", "--minors", "--all-nodes", "--format", "json")
    assert json.loads(minors.stdout) == []
    assert minors.stderr.count("no DRBD on this node") == 4
    watch = ok(name, "drbd", "watch", "--until-synced")
    assert "no DRBD instances" in watch.stdout


def test_health_reader_asks_no_node_without_drbd_instances(
    client: RapiClient, context: Any
) -> None:
    settings, user, port = ssh_login(context)
    with HealthReader(client, settings, user=user, port=port) as reader:
        report = reader.read()
        assert report.instances == () and report.nodes == {}
        assert reader._nodes is None  # no SSH connection was even prepared


def test_guards_are_no_ops_on_sharedfile(
    lab: Lab, lab_facts: LabFacts, client: RapiClient, instances: list[str]
) -> None:
    name = lab.facts().name
    gimel = next(n.fqdn for n in lab_facts.nodes if n.name == "gimel")
    bet = next(n.fqdn for n in lab_facts.nodes if n.name == "bet")
    ok(name, "instance", "migrate", instances[0], "-n", gimel, "--yes")
    assert client.instances.get(instances[0]).pnode == gimel
    ok(name, "instance", "failover", instances[0], "--target-node", bet, "--yes")
    assert client.instances.get(instances[0]).pnode == bet
    done = ok(name, "node", "role", gimel, "drained", "--yes")
    assert "WARNING" not in done.stderr
    ok(name, "node", "role", gimel, "regular", "--yes")


def test_cluster_recover_starts_admin_up_instances_and_is_idempotent(
    lab: Lab, client: RapiClient, instances: list[str]
) -> None:
    name = lab.facts().name
    lab.run("aleph", ["gnt-instance", "shutdown", "--no-remember", instances[1]])
    stopped = client.instances.get(instances[1])
    assert stopped.admin_state == "up" and not stopped.oper_state
    plan = json.loads(ok(name, "--format", "json", "cluster", "recover", "--dry-run").stdout)
    assert [(s["action"], s["target"]) for s in plan["plan"]] == [
        ("verify-disks", None),
        ("start", instances[1]),
    ]
    assert "outcomes" not in plan
    assert not client.instances.get(instances[1]).oper_state  # --dry-run did nothing
    done = json.loads(ok(name, "--format", "json", "cluster", "recover", "--yes").stdout)
    assert [(o["action"], o["status"]) for o in done["outcomes"]] == [
        ("verify-disks", "done"),
        ("start", "done"),
    ]
    assert client.instances.get(instances[1]).oper_state
    again = ok(name, "cluster", "recover", "--yes")
    assert "start" not in again.stdout
    assert "verify-disks: done" in again.stdout


def test_node_maintenance_then_return(
    lab: Lab, lab_facts: LabFacts, client: RapiClient, instances: list[str]
) -> None:
    name = lab.facts().name
    bet = next(n.fqdn for n in lab_facts.nodes if n.name == "bet")
    for inst in instances:
        if client.instances.get(inst).pnode != bet:
            ok(name, "instance", "migrate", inst, "-n", bet, "--yes")
    plan = json.loads(ok(name, "--format", "json", "node", "maintenance", bet, "--dry-run").stdout)
    assert [s["action"] for s in plan["plan"]] == ["drain", "migrate", "migrate", "ready"]
    done = ok(name, "node", "maintenance", bet, "--yes")
    assert "ready " + bet + ": done" in done.stdout
    node = client.nodes.get(bet)
    assert node.drained and list(node.pinst_list) == []
    assert all(client.instances.get(i).oper_state for i in instances)
    # Run again (as after an interruption): only the final check is left.
    again = json.loads(ok(name, "--format", "json", "node", "maintenance", bet, "--yes").stdout)
    assert [o["action"] for o in again["outcomes"]] == ["ready"]
    back = ok(name, "node", "return", bet, "--yes", "--no-rebalance")
    assert "undrain " + bet + ": done" in back.stdout
    assert not client.nodes.get(bet).drained
    rebalance = ok(name, "node", "return", bet, "--dry-run")
    assert "rebalance: hbal's moves" in rebalance.stdout
    assert "undrain" not in rebalance.stdout  # already back
