"""The DRBD guards as wired into gnt-py, and the recovery plans, against an in-memory
RAPI (httpx.MockTransport) that records every request.

What is checked is what the user sees and what was (not) sent: a guard on an
instance that is not DRBD asks RAPI once and no node; a DRBD instance whose nodes
cannot be read is refused before anything is submitted, unless --force. Reading real
nodes over SSH is tested against the lab (tests/integration/test_drbd_lab.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner

from ganetiops.cli import exits
from ganetiops.cli.app import cli
from ganetiops.cli.state import run
from ganetiops.drbd.facts import MARK, parse_node_output
from ganetiops.drbd.health import ClusterDrbd, judge
from ganetiops.drbd.recover import plan_maintenance, plan_recovery, plan_return
from ganetiops.rapi import RapiClient
from ganetiops.rapi.models import Instance, Node

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "drbd" / "samples"

INSTANCES = {
    "web1": {
        "name": "web1",
        "pnode": "aleph",
        "snodes": [],
        "disk_template": "sharedfile",
        "admin_state": "up",
        "oper_state": True,
    },
    "db1": {
        "name": "db1",
        "pnode": "aleph",
        "snodes": ["bet"],
        "disk_template": "drbd",
        "admin_state": "up",
        "oper_state": True,
    },
}
NODES = {
    "aleph": {"name": "aleph", "pip": "192.0.2.1", "pinst_list": ["web1", "db1"]},
    "bet": {"name": "bet", "pip": "192.0.2.2", "sinst_list": ["db1"]},
    "gimel": {"name": "gimel", "pip": "192.0.2.3"},
}


class FakeRapi:
    def __init__(self, instances: dict[str, dict[str, Any]]) -> None:
        self.instances = instances
        self.requests: list[tuple[str, str]] = []
        self.next_job = 1

    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] in ("PUT", "POST", "DELETE")]

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.requests.append((request.method, path))
        if path == "/2/instances" and request.method == "GET":
            return httpx.Response(200, json=list(self.instances.values()))
        if path == "/2/nodes" and request.method == "GET":
            return httpx.Response(200, json=list(NODES.values()))
        parts = path.split("/")
        if len(parts) == 4 and parts[2] == "instances" and request.method == "GET":
            inst = self.instances.get(parts[3])
            return httpx.Response(200 if inst else 404, json=inst or {"code": 404})
        if len(parts) == 4 and parts[2] == "nodes" and request.method == "GET":
            return httpx.Response(200, json=NODES[parts[3]])
        if request.method in ("PUT", "POST"):
            job = self.next_job
            self.next_job += 1
            return httpx.Response(200, json=job)
        if path.startswith("/2/jobs/"):
            job = {
                "id": int(parts[3]),
                "status": "success",
                "opstatus": ["success"],
                "opresult": [None],
                "oplog": [[]],
                "summary": ["X"],
            }
            if path.endswith("/wait"):
                body = json.loads(request.content)
                info = [job.get(field) for field in body["fields"]]
                return httpx.Response(200, json={"job_info": info, "log_entries": []})
            return httpx.Response(200, json=job)
        return httpx.Response(404, json={"code": 404, "message": "Not Found", "explain": path})


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeRapi:
    server = FakeRapi(json.loads(json.dumps(INSTANCES)))

    def make_client(context: Any, **overrides: Any) -> RapiClient:
        return RapiClient(
            "https://rapi.test:5080",
            user="u",
            password="p",
            retries=0,
            transport=httpx.MockTransport(server.handler),
        )

    monkeypatch.setattr("ganetiops.cli.state.make_client", make_client)
    config = tmp_path / "config.toml"
    # No [ssh] table, and no lab recorded this context: nodes cannot be read.
    config.write_text('current-context = "t"\n[contexts.t]\nurl = "https://rapi.test:5080"\n')
    config.chmod(0o600)
    monkeypatch.setenv("GANETIOPS_CONFIG", str(config))
    monkeypatch.setenv("GANETIOPS_LAB_ROOT", str(tmp_path / "labs"))
    monkeypatch.delenv("GNTPY_CONTEXT", raising=False)
    return server


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def _main(ctx: click.Context) -> None:
    ctx.obj.append(run(cli, list(ctx.args)))


def gnt(*args: str) -> tuple[int, str, str]:
    code: list[int] = []
    result = CliRunner().invoke(_main, list(args), catch_exceptions=False, obj=code)
    return (code[0] if code else result.exit_code), result.stdout, result.stderr


def test_guard_is_a_no_op_for_an_instance_that_is_not_drbd(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "failover", "web1", "--yes")
    assert code == exits.OK, err
    assert ("PUT", "/2/instances/web1/failover") in fake.writes()
    # one look at the instance; no node list, no info job: nothing asked of DRBD
    assert ("GET", "/2/nodes") not in fake.requests
    assert not any(p.endswith("/info") for _, p in fake.requests)


def test_guard_refuses_a_drbd_instance_whose_nodes_cannot_be_read(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "migrate", "db1", "--yes")
    assert code == exits.USAGE
    assert "migrate refused: the DRBD state of db1 cannot be read" in err
    assert "--force" in err
    assert fake.writes() == []


def test_force_overrides_and_says_so(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "failover", "db1", "--yes", "--force")
    assert code == exits.OK, err
    assert "WARNING: failover: DRBD state not checked (--force)" in err
    assert ("PUT", "/2/instances/db1/failover") in fake.writes()


@pytest.mark.parametrize(
    ("args", "submitted"),
    [
        (("node", "role", "gimel", "drained", "--yes"), ("PUT", "/2/nodes/gimel/role")),
        (("node", "evacuate", "gimel", "--yes"), ("POST", "/2/nodes/gimel/evacuate")),
        (("node", "powercycle", "gimel", "--yes"), ("POST", "/2/nodes/gimel/powercycle")),
    ],
)
def test_node_guards_pass_a_node_without_drbd(
    fake: FakeRapi, args: tuple[str, ...], submitted: tuple[str, str]
) -> None:
    code, _, err = gnt(*args)
    assert code == exits.OK, err
    assert submitted in fake.writes()


@pytest.mark.parametrize(
    "args",
    [
        ("node", "role", "bet", "offline", "--yes"),
        ("node", "modify", "bet", "-D", "yes", "--yes"),
        ("node", "evacuate", "aleph", "--yes"),
        ("node", "migrate", "aleph", "--yes"),
        ("node", "maintenance", "bet", "--yes"),
    ],
)
def test_node_guards_refuse_unread_drbd(fake: FakeRapi, args: tuple[str, ...]) -> None:
    code, _, err = gnt(*args)
    assert code == exits.USAGE, err
    assert "refused: the DRBD state of db1 cannot be read" in err
    assert fake.writes() == []


def test_replace_disks_is_guarded(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "replace-disks", "db1", "-s")
    assert code == exits.USAGE and "replace-disks refused" in err
    assert fake.writes() == []


def test_recover_dry_run_plans_and_sends_nothing(fake: FakeRapi) -> None:
    fake.instances["web1"]["oper_state"] = False
    del fake.instances["db1"]
    code, out, err = gnt("cluster", "recover", "--dry-run")
    assert code == exits.OK, err
    assert "1. verify-disks" in out
    assert "2. start web1: admin up but not running" in out
    assert fake.writes() == []


# --- pure plans ---------------------------------------------------------------------


def node_at(node: str, prefix: str) -> Any:
    directory = next((SAMPLES / node).glob(f"{prefix}-*"))
    proc = (directory / "proc_drbd.txt").read_text()
    events = (directory / "drbdsetup_events2_now.txt").read_text()
    return parse_node_output(node, f"{MARK} proc 0\n{proc}{MARK} events2 0\n{events}")


def drbd_info(name: str, primary: str, secondary: str) -> dict[str, Any]:
    disk = {
        "primary_node": primary,
        "secondary_node": secondary,
        "primary_minor": 0,
        "secondary_minor": 0,
        "port": 11000,
    }
    return {"name": name, "pnode": primary, "disks": [{"dev_type": "drbd", "drbd_info": disk}]}


def models(raw: dict[str, dict[str, Any]]) -> list[Instance]:
    return [Instance.from_api(v) for v in raw.values()]


def report_for(prefix: str, primary: str = "node1") -> ClusterDrbd:
    secondary = "node2" if primary == "node1" else "node1"
    nodes = {"node1": node_at("node1", prefix), "node2": node_at("node2", prefix)}
    return ClusterDrbd(
        nodes=nodes, instances=judge({"db1": drbd_info("db1", primary, secondary)}, nodes)
    )


def test_recovery_plan_after_a_node_went_down() -> None:
    # 09: node2 rebooted, its DRBD unconfigured; node1 waits for it.
    report = report_for("09")
    instances = models(
        {
            "db1": {"name": "db1", "pnode": "node1", "disk_template": "drbd", "admin_state": "up",
                    "oper_state": True},
            "web1": {"name": "web1", "pnode": "node2", "disk_template": "sharedfile",
                     "admin_state": "up", "oper_state": False},
            "old": {"name": "old", "pnode": "node2", "admin_state": "down", "oper_state": False},
        }
    )  # fmt: skip
    nodes = [Node.from_api({"name": "node1"}), Node.from_api({"name": "node2"})]
    steps = plan_recovery(instances, nodes, report)
    assert [(s.action, s.target) for s in steps] == [
        ("verify-disks", None),
        ("activate-disks", "db1"),
        ("start", "web1"),
        ("wait-sync", None),
    ]
    assert "secondary node2 has no minor" in steps[1].reason


def test_recovery_plan_is_empty_when_all_is_well_and_leaves_split_brain_to_a_human() -> None:
    instances = models(
        {"db1": {"name": "db1", "pnode": "node1", "disk_template": "drbd", "admin_state": "up",
                 "oper_state": True}}
    )  # fmt: skip
    nodes = [Node.from_api({"name": "node1"}), Node.from_api({"name": "node2"})]
    assert [s.action for s in plan_recovery(instances, nodes, report_for("03"))] == ["verify-disks"]
    split = plan_recovery(instances, nodes, report_for("22"))
    assert [(s.action, s.target) for s in split] == [("verify-disks", None), ("manual", "db1")]
    assert "split brain" in split[1].reason
    syncing = plan_recovery(instances, nodes, report_for("02"))
    assert [s.action for s in syncing] == ["verify-disks", "wait-sync"]


def test_recovery_does_not_start_on_an_offline_primary() -> None:
    instances = models(
        {"x": {"name": "x", "pnode": "n2", "admin_state": "up", "oper_state": False}}
    )
    nodes = [Node.from_api({"name": "n2", "offline": True})]
    steps = plan_recovery(instances, nodes, None, verify_disks=False)
    assert [(s.action, s.target) for s in steps] == [("manual", "x")]


def test_maintenance_plan() -> None:
    nodes = [
        Node.from_api({"name": "a", "mfree": 100}),
        Node.from_api({"name": "b", "mfree": 900}),
        Node.from_api({"name": "c", "mfree": 5000, "drained": True}),
        Node.from_api({"name": "d", "mfree": 9000, "offline": True}),
    ]
    instances = models(
        {
            "db1": {"name": "db1", "pnode": "a", "snodes": ["b"], "disk_template": "drbd",
                    "oper_state": True},
            "web1": {"name": "web1", "pnode": "a", "disk_template": "sharedfile",
                     "oper_state": True},
            "cold": {"name": "cold", "pnode": "a", "disk_template": "sharedfile",
                     "oper_state": False},
            "local": {"name": "local", "pnode": "a", "disk_template": "plain",
                      "oper_state": True},
            "sec": {"name": "sec", "pnode": "b", "snodes": ["a"], "disk_template": "drbd",
                    "oper_state": True},
        }
    )  # fmt: skip
    steps = plan_maintenance("a", nodes, instances, move_secondaries=True)
    assert [(s.action, s.target, s.args) for s in steps] == [
        ("drain", "a", {}),
        ("failover", "cold", {"target_node": "b"}),
        ("migrate", "db1", {}),
        ("manual", "local", {}),
        ("migrate", "web1", {"target_node": "b"}),
        ("evacuate-secondaries", "a", {}),
        ("ready", "a", {}),
    ]
    assert all(s.node == "a" for s in steps if s.action in ("migrate", "failover"))
    drained = [Node.from_api({"name": "a", "drained": True}), nodes[1]]
    again = plan_maintenance("a", drained, [])
    assert [s.action for s in again] == ["ready"]  # resumed: nothing left but the check


def test_return_plan() -> None:
    nodes = [Node.from_api({"name": "a", "offline": True, "drained": True})]
    assert [s.action for s in plan_return("a", nodes)] == [
        "online",
        "undrain",
        "wait-sync",
        "rebalance",
    ]
    back = [Node.from_api({"name": "a"})]
    assert [s.action for s in plan_return("a", back, rebalance=False)] == ["wait-sync"]
