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
from ganetiops.errors import ValidationError
from ganetiops.rapi import RapiClient
from ganetiops.rapi.models import Instance, Node
from tests.unit.rapi_helpers import use_fake_cluster

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


def status(degraded: bool, ldisk: int = 1, sync: float | None = None) -> list[Any]:
    """A disk's pstatus/sstatus in instance info: (dev_path, major, minor, sync_percent,
    estimated_time, is_degraded, ldisk_status), lib/cmdlib/instance_query.py."""
    return ["/dev/drbd0", 147, 0, sync, 30 if sync is not None else None, degraded, ldisk]


def db1_info(pstatus: list[Any] | None, sstatus: list[Any] | None) -> dict[str, Any]:
    disk = {
        "dev_type": "drbd",
        "drbd_info": {
            "primary_node": "aleph",
            "primary_minor": 0,
            "secondary_node": "bet",
            "secondary_minor": 0,
            "port": 11000,
        },
        "pstatus": pstatus,
        "sstatus": sstatus,
    }
    return {"name": "db1", "pnode": "aleph", "snodes": ["bet"], "disks": [disk]}


class FakeRapi:
    def __init__(self, instances: dict[str, dict[str, Any]]) -> None:
        self.instances = instances
        self.requests: list[tuple[str, str]] = []
        self.next_job = 1
        #: What db1's (non-static) info job answers; None: the job fails.
        self.db1_info: dict[str, Any] | None = db1_info(status(False), status(True, ldisk=3))
        self.results: dict[int, Any] = {}
        #: Submissions to these paths make a job that fails.
        self.failing: set[str] = set()

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
        if len(parts) == 5 and parts[4] == "info" and request.method == "GET":
            job = self.next_job
            self.next_job += 1
            self.results[job] = {parts[3]: self.db1_info} if self.db1_info else "fail"
            return httpx.Response(200, json=job)
        if len(parts) == 4 and parts[2] == "instances" and request.method == "GET":
            inst = self.instances.get(parts[3])
            return httpx.Response(200 if inst else 404, json=inst or {"code": 404})
        if len(parts) == 4 and parts[2] == "nodes" and request.method == "GET":
            return httpx.Response(200, json=NODES[parts[3]])
        if request.method in ("PUT", "POST"):
            job = self.next_job
            self.next_job += 1
            if path in self.failing:
                self.results[job] = "fail"
            return httpx.Response(200, json=job)
        if path.startswith("/2/jobs/"):
            result = self.results.get(int(parts[3]))
            failed = result == "fail"
            answer: dict[str, Any] = {
                "id": int(parts[3]),
                "status": "error" if failed else "success",
                "opstatus": ["error" if failed else "success"],
                "opresult": [["OpExecError", ["node bet unreachable"]] if failed else result],
                "oplog": [[]],
                "summary": ["X"],
            }
            if path.endswith("/wait"):
                body = json.loads(request.content)
                info = [answer.get(field) for field in body["fields"]]
                return httpx.Response(200, json={"job_info": info, "log_entries": []})
            return httpx.Response(200, json=answer)
        return httpx.Response(404, json={"code": 404, "message": "Not Found", "explain": path})


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeRapi:
    server = FakeRapi(json.loads(json.dumps(INSTANCES)))
    # No [ssh] table, and no lab recorded this context: nodes cannot be read.
    use_fake_cluster(monkeypatch, tmp_path, server.handler, current=True, auth=True)
    monkeypatch.setenv("GANETIOPS_LAB_ROOT", str(tmp_path / "labs"))
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


def test_without_ssh_the_guard_reads_ganetis_disk_status_and_refuses(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "migrate", "db1", "--yes")
    assert code == exits.USAGE
    assert "read through Ganeti's disk status" in err
    assert "migrate refused: db1 is degraded (disk/0: secondary bet degraded" in err
    assert "bet has no UpToDate copy of db1 (good copies: aleph)" in err
    assert "--force" in err
    assert fake.writes() == []
    assert ("GET", "/2/instances/db1/info") in fake.requests


def test_ganetis_status_in_sync_lets_it_through(fake: FakeRapi) -> None:
    fake.db1_info = db1_info(status(False), status(False))
    code, _, err = gnt("instance", "migrate", "db1", "--yes")
    assert code == exits.OK, err
    assert ("PUT", "/2/instances/db1/migrate") in fake.writes()


def test_syncing_as_ganeti_reports_it_is_refused(fake: FakeRapi) -> None:
    fake.db1_info = db1_info(status(True, sync=42.5), status(True, ldisk=2, sync=42.5))
    code, _, err = gnt("instance", "failover", "db1", "--yes")
    assert code == exits.USAGE
    assert "db1 is syncing (disk/0: resync 42.5% (as Ganeti reports it))" in err
    assert "gnt-py drbd watch db1 --until-synced" in err


def test_unreadable_drbd_is_refused_unless_forced(fake: FakeRapi) -> None:
    fake.db1_info = None  # the info job fails
    code, _, err = gnt("instance", "migrate", "db1", "--yes")
    assert code == exits.USAGE
    assert "migrate refused: the DRBD state of db1 cannot be read" in err
    assert fake.writes() == []


def test_force_overrides_and_says_so(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "failover", "db1", "--yes", "--force")
    assert code == exits.OK, err
    assert "WARNING: failover forced (--force) despite: db1 is degraded" in err
    assert ("PUT", "/2/instances/db1/failover") in fake.writes()


@pytest.mark.parametrize(
    ("args", "submitted"),
    [
        (("node", "role", "gimel", "drained", "--yes"), ("PUT", "/2/nodes/gimel/role")),
        (("node", "evacuate", "gimel", "--all", "--yes"), ("POST", "/2/nodes/gimel/evacuate")),
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
        ("node", "evacuate", "aleph", "--all", "--yes"),
        ("node", "migrate", "aleph", "--yes"),
        ("node", "maintenance", "bet", "--yes"),
    ],
)
def test_node_guards_refuse_degraded_drbd(fake: FakeRapi, args: tuple[str, ...]) -> None:
    code, _, err = gnt(*args)
    assert code == exits.USAGE, err
    assert "refused: db1 is degraded" in err or "holds the only UpToDate copy of db1" in err
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


def test_watch_lines_bar_on_a_terminal_plain_otherwise() -> None:
    from ganetiops.cli.drbd import bar, settled, watch_lines

    report = report_for("02")
    plain = watch_lines(report, tty=False)
    assert plain == [
        "db1 disk/0 syncing 31.3% eta=0:00:09 speed=4944 KiB/s (resync to node2 31.3%)"
    ]
    tty = watch_lines(report, tty=True)
    assert len(tty) == 1 and bar(31.3) in tty[0] and "ETA 0:00:09" in tty[0]
    assert bar(31.3) == "[" + "#" * 8 + "." * 16 + "]"
    assert not settled(report)
    done = report_for("03")
    assert settled(done) and watch_lines(done, tty=False) == ["all 1 DRBD instance(s) in sync"]


def test_status_records_and_fields() -> None:
    from ganetiops.cli.drbd import FIELDS, _columns, instance_record

    record = instance_record(report_for("02").instances[0])
    assert record["state"] == "syncing" and record["percent"] == 31.3
    assert record["eta"] == "0:00:09" and record["minors"] == "0/0" and record["ports"] == "11000"
    assert [c.name for c in _columns("+speed,oos", ("name", "state"), FIELDS)] == [
        "name",
        "state",
        "speed",
        "oos",
    ]
    with pytest.raises(ValidationError, match="unknown field"):
        _columns("name,bogus", ("name",), FIELDS)


def test_recovery_goes_on_past_a_failed_instance_and_reports_it(fake: FakeRapi) -> None:
    from ganetiops.drbd.recover import Io, Step, apply

    fake.instances["web1"]["oper_state"] = False
    fake.failing.add("/2/instances/db1/activate-disks")
    steps = [Step("activate-disks", "db1", "degraded"), Step("start", "web1", "admin up")]
    said: list[str] = []
    client = RapiClient(
        "https://rapi.test:5080",
        user="u",
        password="p",
        retries=0,
        transport=httpx.MockTransport(fake.handler),
    )
    with client:
        outcomes = apply(steps, Io(client=client, say=said.append), stop_on_failure=False)
        stopped = apply(steps, Io(client=client), stop_on_failure=True)
    assert [(o.step.action, o.status) for o in outcomes] == [
        ("activate-disks", "failed"),
        ("start", "done"),
    ]
    assert "node bet unreachable" in outcomes[0].detail
    assert ("PUT", "/2/instances/web1/startup") in fake.writes()
    assert [o.status for o in stopped] == ["failed"]
    assert "- activate-disks db1: degraded" in said


def test_drbd_status_without_ssh_shows_ganetis_view(fake: FakeRapi) -> None:
    code, out, err = gnt("drbd", "status", "--format", "json", "-o", "name,state,good_copies")
    assert code == exits.OK, err
    assert "showing Ganeti's own disk status instead" in err
    assert json.loads(out) == [{"name": "db1", "state": "degraded", "good_copies": ["aleph"]}]
    fake.db1_info = db1_info(status(True, sync=12.0), status(True, ldisk=2, sync=12.0))
    code, out, err = gnt("drbd", "watch", "--count", "1")
    assert code == exits.OK, err
    assert "db1 disk/0 syncing 12.0%" in out


def test_maintenance_of_the_master_is_refused_before_anything() -> None:
    nodes = [Node.from_api({"name": "a", "role": "M"}), Node.from_api({"name": "b"})]
    with pytest.raises(ValidationError, match="a is the master: Ganeti does not drain"):
        plan_maintenance("a", nodes, [])
    assert [s.action for s in plan_maintenance("b", nodes, [])] == ["drain", "ready"]
