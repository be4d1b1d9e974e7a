"""Plan computation from given facts (no I/O): fresh nodes, resumed runs, done, blocked."""

from __future__ import annotations

from typing import Any

import asyncssh
import attrs
import pytest

from ganetiops.bootstrap.inventory import Inventory, parse_inventory
from ganetiops.bootstrap.plan import (
    Plan,
    RunCommand,
    StepState,
    WriteFile,
    compute_plan,
    init_command,
    known_hosts_content,
)
from ganetiops.bootstrap.state import ClusterConfig, FileState, NodeEntry
from ganetiops.bootstrap.users_file import UserEntry, merge
from ganetiops.ssh.facts import NodeFacts
from ganetiops.ssh.parsers import Bridge, InterfaceAddress

NODES = {"aleph": 2, "bet": 3, "dalet": 5, "gimel": 4}
KEYS = {
    name: asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().split()[:2]
    for name in NODES
}
USERS = [UserEntry.with_ha1("gnt-py", "1" * 32, ["write"])]
CLUSTER = "gnt.homelab.tel"


def inventory() -> Inventory:
    return parse_inventory(
        {
            "cluster": {
                "name": CLUSTER,
                "address": "10.1.100.254",
                "initial-master": "aleph",
                "master-netdev": "eth0",
                "enabled-hypervisors": ["fake"],
                "enabled-disk-templates": ["file", "diskless"],
                "file-storage-dir": "/srv/ganeti/file-storage",
                "nic-params": {"mode": "bridged", "link": "br0"},
                "os-providers": ["noop"],
            },
            "nodes": {
                name: {
                    "primary": f"10.1.100.{n}",
                    "secondary": f"10.1.97.{n}",
                    "host-key": " ".join(KEYS[name]),
                }
                for name, n in NODES.items()
            },
        }
    )


def node_facts(name: str, **extra: Any) -> NodeFacts:
    n = NODES[name]
    return NodeFacts(
        host=name,
        hostname=name,
        fqdn=f"{name}.homelab.tel",
        fqdn_addresses=(f"10.1.100.{n}",),
        ganeti_version="3.0.2",
        bridges=(Bridge("br0", "linux"),),
        os_providers=("noop",),
        addresses=(
            InterfaceAddress("eth0", f"10.1.100.{n}", 24),
            InterfaceAddress("eth1", f"10.1.97.{n}", 24),
        ),
        resolved={CLUSTER: ("10.1.100.254",)},
        extra={"config": None, "known_hosts": FileState(False), "rapi_users": FileState(False)},
        **extra,
    )


def fresh() -> dict[str, NodeFacts]:
    return {name: node_facts(name) for name in NODES}


def config(members: list[str], *, single_homed: bool = False, **changes: Any) -> ClusterConfig:
    nodes = {
        f"{m}.homelab.tel": NodeEntry(
            f"{m}.homelab.tel",
            f"10.1.100.{NODES[m]}",
            f"10.1.100.{NODES[m]}" if single_homed else f"10.1.97.{NODES[m]}",
        )
        for m in members
    }
    base = ClusterConfig(
        cluster_name=CLUSTER,
        master_node="aleph.homelab.tel",
        nodes=nodes,
        enabled_hypervisors=("fake",),
        enabled_disk_templates=("file", "diskless"),
        nicparams={"mode": "bridged", "link": "br0", "vlan": ""},
        master_netdev="eth0",
    )
    return attrs.evolve(base, **changes)


KNOWN_HOSTS = known_hosts_content(CLUSTER, {n: [" ".join(k)] for n, k in KEYS.items()})
USERS_TEXT = merge(None, USERS).reveal()


def cluster_facts(
    members: list[str],
    *,
    known_hosts: str = KNOWN_HOSTS,
    users: str | None = USERS_TEXT,
    cfg: ClusterConfig | None = None,
    master: str = "aleph",
) -> dict[str, NodeFacts]:
    cfg = cfg or config(members)
    facts = {}
    for name in NODES:
        member = name in members
        extra = {
            "config": cfg if name == master else None,
            "known_hosts": FileState(True, "gnt-masterd:gnt-masterd", 0o644, known_hosts)
            if member
            else FileState(False),
            "rapi_users": FileState(True, "gnt-rapi:gnt-masterd", 0o640, users)
            if member and users is not None
            else FileState(False),
        }
        facts[name] = attrs.evolve(
            node_facts(name),
            ssconf_cluster=CLUSTER if member else None,
            ssconf_master=f"{master}.homelab.tel" if member else None,
            extra=extra,
        )
    return facts


def plan(facts: dict[str, NodeFacts], inv: Inventory | None = None) -> Plan:
    return compute_plan(inv or inventory(), facts, users=USERS)


def states(p: Plan) -> dict[str, str]:
    return {s.id: str(s.state) for s in p.steps}


def test_fresh_nodes_plan_everything_in_order() -> None:
    p = plan(fresh())
    assert p.master == "aleph"
    assert [s.id for s in p.steps] == [
        "check:aleph", "check:bet", "check:dalet", "check:gimel",
        "init", "secondary-ip:aleph", "known-hosts", "rapi-users",
        "node-add:bet", "node-add:dalet", "node-add:gimel",
        "secondary-ip:bet", "secondary-ip:dalet", "secondary-ip:gimel",
        "cluster-params", "distribute",
    ]  # fmt: skip
    assert all(s.state is StepState.DONE for s in p.steps if s.kind == "check")
    assert all(s.state is StepState.TODO for s in p.steps if s.kind != "check")
    assert not p.blocked
    first = p.next_step()
    assert first is not None
    assert first.id == "init"
    command = first.actions[0]
    assert isinstance(command, RunCommand)
    assert command.node == "aleph"
    assert command.command.startswith("gnt-cluster init --enabled-hypervisors fake")
    assert command.command.endswith("--no-etc-hosts --no-ssh-init -s 10.1.97.2 gnt.homelab.tel")
    add = p.step("node-add:dalet").actions[0]
    assert isinstance(add, RunCommand)
    assert add.command == "gnt-node add -s 10.1.97.5 dalet.homelab.tel"
    assert p.step("secondary-ip:bet").actions == ()  # done by node-add -s


def test_after_init_the_next_step_is_known_hosts() -> None:
    facts = cluster_facts(
        ["aleph"], known_hosts=f"{CLUSTER} {' '.join(KEYS['aleph'])}\n", users=None
    )
    p = plan(facts)
    assert states(p)["init"] == "done"
    assert states(p)["secondary-ip:aleph"] == "done"
    step = p.next_step()
    assert step is not None
    assert step.id == "known-hosts"
    write = step.actions[0]
    assert isinstance(write, WriteFile)
    assert write.path == "/var/lib/ganeti/known_hosts"
    assert write.content.reveal() == KNOWN_HOSTS
    assert len(KNOWN_HOSTS.splitlines()) == 4


def test_users_file_is_written_with_owner_and_hashes() -> None:
    p = plan(cluster_facts(["aleph"], users=None))
    step = p.next_step()
    assert step is not None
    assert step.id == "rapi-users"
    write = step.actions[0]
    assert isinstance(write, WriteFile)
    assert (write.path, write.owner, write.mode) == (
        "/var/lib/ganeti/rapi/users",
        "gnt-rapi:gnt-masterd",
        0o640,
    )
    assert write.content.reveal() == "gnt-py {HA1}" + "1" * 32 + " write\n"
    assert "1111" not in repr(step)


def test_complete_cluster_is_all_done() -> None:
    p = plan(cluster_facts(list(NODES)))
    assert p.all_done, p.rows()
    assert p.next_step() is None


def test_half_added_cluster_resumes_with_the_next_node() -> None:
    p = plan(cluster_facts(["aleph", "bet"]))
    assert states(p)["node-add:bet"] == "done"
    step = p.next_step()
    assert step is not None
    assert step.id == "node-add:dalet"


def test_a_reinstalled_member_is_re_added() -> None:
    facts = cluster_facts(list(NODES))
    facts["gimel"] = attrs.evolve(facts["gimel"], ssconf_cluster=None, ssconf_master=None)
    step = plan(facts).step("node-add:gimel")
    assert step.state is StepState.TODO
    assert "reinstalled" in step.why
    assert step.actions == (RunCommand("aleph", "gnt-node add --readd gimel.homelab.tel"),)


def test_host_key_refused_blocks_everything_on_that_node() -> None:
    facts = fresh()
    facts["bet"] = NodeFacts(
        host="bet",
        problems={"connect": "bet (10.1.100.3:22): host key differs from the expected one"},
        host_key_refused=True,
    )
    p = plan(facts)
    assert states(p)["check:bet"] == "blocked"
    assert "host key refused (nothing was run on it)" in p.step("check:bet").why
    assert states(p)["node-add:bet"] == "blocked"
    assert p.step("secondary-ip:bet").state is StepState.BLOCKED
    assert p.step("secondary-ip:bet").why == "bet failed its checks"
    assert states(p)["secondary-ip:gimel"] == "to do"
    assert states(p)["init"] == "to do"
    assert p.blocked


def test_unreachable_master_blocks_the_cluster_steps() -> None:
    facts = fresh()
    facts["aleph"] = NodeFacts(host="aleph", problems={"connect": "timed out"})
    p = plan(facts)
    assert states(p)["init"] == "blocked"
    assert p.step("node-add:gimel").why == "the master aleph failed its checks"
    for step in ("known-hosts", "rapi-users", "cluster-params", "distribute"):
        assert p.step(step).state is StepState.BLOCKED, step
        assert p.step(step).why == "the master aleph failed its checks"
        assert p.step(step).actions == ()


def test_stale_copy_on_a_failed_node_blocks_the_redistribution() -> None:
    facts = cluster_facts(list(NODES))
    facts["dalet"] = attrs.evolve(
        facts["dalet"],
        problems={"connect": "timed out"},
        extra={
            **facts["dalet"].extra,
            "rapi_users": FileState(True, "gnt-rapi:gnt-masterd", 0o640, ""),
        },
    )
    step = plan(facts).step("distribute")
    assert step.state is StepState.BLOCKED
    assert step.why == "dalet failed its checks"
    assert step.actions == ()


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"fqdn": "localhost"}, "hostname --fqdn is 'localhost'"),
        ({"fqdn_addresses": ("127.0.1.1",)}, "resolves to 127.0.1.1"),
        ({"addresses": (InterfaceAddress("eth0", "10.1.100.3", 24),)}, "secondary address"),
        ({"ganeti_version": None}, "Ganeti is not installed"),
        ({"ganeti_version": "3.1.0"}, "the master runs 3.0.2"),
        ({"ssconf_cluster": "other.example.org"}, "another cluster"),
    ],
)
def test_node_problems_block(change: dict[str, Any], why: str) -> None:
    facts = fresh()
    facts["bet"] = attrs.evolve(facts["bet"], **change)
    p = plan(facts)
    assert states(p)["check:bet"] == "blocked"
    assert why in p.step("check:bet").why


def test_missing_bridge_and_os_are_warnings() -> None:
    facts = fresh()
    facts["gimel"] = attrs.evolve(facts["gimel"], bridges=(), os_providers=())
    p = plan(facts)
    step = p.step("check:gimel")
    assert step.state is StepState.DONE
    assert "Linux bridge br0 is missing" in step.why
    assert "OS provider(s) missing: noop" in step.why


def test_single_homed_cluster_gets_secondary_addresses_master_first() -> None:
    cfg = config(list(NODES), single_homed=True)
    p = plan(cluster_facts(list(NODES), cfg=cfg))
    master_step = p.step("secondary-ip:aleph")
    assert master_step.state is StepState.TODO
    first = p.next_step()
    assert first is master_step
    cmd = master_step.actions[0]
    assert isinstance(cmd, RunCommand)
    assert cmd.command == "gnt-node modify --force -s 10.1.97.2 aleph.homelab.tel"
    other = p.step("secondary-ip:gimel").actions[0]
    assert isinstance(other, RunCommand)
    assert other.command == "gnt-node modify -s 10.1.97.4 gimel.homelab.tel"


def test_parameter_differences_become_one_modify() -> None:
    cfg = config(
        list(NODES),
        nicparams={"mode": "bridged", "link": "br1"},
        enabled_disk_templates=("diskless",),
    )
    p = plan(cluster_facts(list(NODES), cfg=cfg))
    step = p.step("cluster-params")
    assert step.state is StepState.TODO
    cmd = step.actions[0]
    assert isinstance(cmd, RunCommand)
    assert cmd.command == (
        "gnt-cluster modify --enabled-disk-templates file,diskless "
        "--ipolicy-disk-templates file,diskless -N link=br0"
    )


def test_boolean_and_numeric_parameters_compare_by_value() -> None:
    raw_inv = inventory()
    inv = attrs.evolve(
        raw_inv,
        cluster=attrs.evolve(
            raw_inv.cluster, hypervisor_params={"fake": {"migration_mode": "live", "x": 1}}
        ),
    )
    cfg = config(list(NODES), hvparams={"fake": {"migration_mode": "live", "x": 1.0}})
    assert (
        plan(cluster_facts(list(NODES), cfg=cfg), inv).step("cluster-params").state
        is StepState.DONE
    )


def test_stale_copy_on_a_node_needs_redistribution() -> None:
    facts = cluster_facts(list(NODES))
    facts["dalet"] = attrs.evolve(
        facts["dalet"],
        extra={
            **facts["dalet"].extra,
            "rapi_users": FileState(True, "gnt-rapi:gnt-masterd", 0o640, ""),
        },
    )
    p = plan(facts)
    step = p.step("distribute")
    assert step.state is StepState.TODO
    assert "dalet (rapi users)" in step.why
    assert step.actions == (RunCommand("aleph", "gnt-cluster redist-conf"),)


def test_wrong_owner_of_users_file_is_fixed() -> None:
    facts = cluster_facts(list(NODES))
    facts["aleph"] = attrs.evolve(
        facts["aleph"],
        extra={
            **facts["aleph"].extra,
            "rapi_users": FileState(True, "root:root", 0o644, USERS_TEXT),
        },
    )
    step = plan(facts).step("rapi-users")
    assert step.state is StepState.TODO
    assert "root:root 0644" in step.why


def test_commands_follow_the_current_master_after_a_failover() -> None:
    cfg = config(list(NODES), master_node="bet.homelab.tel")
    p = plan(cluster_facts(list(NODES), cfg=cfg, master="bet"))
    assert p.master == "bet"
    assert p.all_done


def test_init_command_of_the_homelab() -> None:
    import tomllib
    from pathlib import Path

    raw = tomllib.loads((Path(__file__).parents[2] / "examples" / "homelab.toml").read_text())
    for name, node in raw["nodes"].items():
        node["host-key"] = " ".join(KEYS.get(name, KEYS["aleph"]))
    inv = parse_inventory(raw)
    assert init_command(inv) == (
        "gnt-cluster init --enabled-hypervisors kvm "
        "-H kvm:kvm_flag=enabled,kernel_path=,initrd_path=,vnc_bind_address=0.0.0.0 "
        "--enabled-disk-templates drbd -D drbd:metavg=pool_gnt --vg-name pool_gnt "
        "-N mode=openvswitch,link=br0 --master-netdev br0 "
        "--drbd-usermode-helper /run/current-system/sw/bin/true "
        "--no-etc-hosts --no-ssh-init -s 10.1.97.2 gnt.homelab.tel"
    )


def test_rows_show_commands_only_when_asked() -> None:
    p = plan(fresh())
    plain = {r[0]: r[3] for r in p.rows()}
    assert "$ gnt-cluster init" not in plain["init"]
    detailed = {r[0]: r[3] for r in p.rows(commands=True)}
    assert "$ gnt-cluster init" in detailed["init"]
    assert "write /var/lib/ganeti/rapi/users" in detailed["rapi-users"]
