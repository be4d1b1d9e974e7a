"""gnt-py commands end to end against an in-memory RAPI (httpx.MockTransport).

The fake answers only what these tests ask and records every request, so each
test can check both what the user sees (stdout, stderr, exit code) and what was
sent — in particular that nothing was sent when input was bad or a confirmation
was declined. The real server is exercised by tests/integration/test_cli*.py.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from ganetiops.cli import exits
from ganetiops.cli.app import cli
from ganetiops.cli.state import run
from tests.unit.rapi_helpers import use_fake_cluster

INSTANCE_FIELDS = {
    "name": ("Instance", "text"),
    "pnode": ("Primary_node", "text"),
    "status": ("Status", "text"),
    "oper_ram": ("Memory", "unit"),
    "hypervisor": ("Hypervisor", "text"),
    "os": ("OS", "text"),
}
INSTANCES: list[dict[str, Any]] = [
    {
        "name": "web1",
        "pnode": "aleph",
        "status": "running",
        "oper_ram": 512,
        "hypervisor": "fake",
        "os": "noop",
    },
    {
        "name": "db1",
        "pnode": "bet",
        "status": "ADMIN_down",
        "oper_ram": None,
        "hypervisor": "fake",
        "os": "noop",
    },
]


class FakeRapi:
    """Just enough of ganeti-rapi: query, instances, jobs with logs."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, Any]] = []
        self.next_job = 100
        self.jobs: dict[int, dict[str, Any]] = {}
        self.fail_next: tuple[str, str, str] | None = None
        self.never_finish = False

    def writes(self) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[0] != "GET" and "/query/" not in r[1]]

    def handler(self, request: httpx.Request) -> httpx.Response:
        body: Any = json.loads(request.content) if request.content else None
        path = request.url.path
        self.requests.append((request.method, path, body))
        if path == "/2/info":
            return httpx.Response(
                200,
                json={
                    "software_version": "3.0.2",
                    "master": "aleph",
                    "enabled_disk_templates": ["diskless"],
                },
            )
        if path == "/2/query/instance":
            return httpx.Response(200, json=self._query(body))
        if path.startswith("/2/jobs/") and path.endswith("/wait"):
            job = self._job(int(path.split("/")[3]))
            if job is None:
                return httpx.Response(200, json={"job_info": [None], "log_entries": []})
            serial = body.get("previous_log_serial") or -1
            entries = [e for e in job["oplog"][0] if e[0] > serial]
            info = [job.get(field) for field in body["fields"]]  # the fields asked, in order
            return httpx.Response(200, json={"job_info": info, "log_entries": entries})
        if path.startswith("/2/jobs/") and request.method == "GET":
            job = self._job(int(path.split("/")[3]))
            return httpx.Response(200, json=job or {"id": None, "status": None})
        if path.startswith("/2/jobs/") and request.method == "DELETE":
            known = int(path.split("/")[3]) in self.jobs
            return httpx.Response(200, json=[known, "canceling" if known else "not found"])
        if path.startswith("/2/instances") and request.method in ("PUT", "POST", "DELETE"):
            return httpx.Response(200, json=self._submit(path))
        if path == "/2/instances" and request.method == "GET":
            names = [inst["name"] for inst in INSTANCES]
            return httpx.Response(200, json=[{"id": n, "uri": f"/2/instances/{n}"} for n in names])
        if path == "/2/instances/web1":
            return httpx.Response(
                200,
                json={
                    "name": "web1",
                    "status": "running",
                    "pnode": "aleph",
                    "beparams": {"maxmem": 512},
                    "nic.macs": ["aa:00:00:00:00:01"],
                    "disk.sizes": [1024],
                },
            )
        return httpx.Response(404, json={"code": 404, "message": "Not Found", "explain": path})

    def _query(self, body: dict[str, Any]) -> dict[str, Any]:
        fields = body["fields"]
        qfilter = body.get("qfilter")
        wanted = None
        if qfilter and qfilter[0] == "=" and qfilter[1] == "name":
            wanted = {qfilter[2]}
        elif qfilter and qfilter[0] == "|":
            wanted = {c[2] for c in qfilter[1:]}
        defs = [
            {
                "name": f,
                "title": INSTANCE_FIELDS.get(f, (f, "unknown"))[0],
                "kind": INSTANCE_FIELDS.get(f, (f, "unknown"))[1],
                "doc": "",
            }
            for f in fields
        ]
        rows = []
        for inst in INSTANCES:
            if wanted is not None and inst["name"] not in wanted:
                continue
            rows.append([[0, inst[f]] if f in INSTANCE_FIELDS else [1, None] for f in fields])
        return {"fields": defs, "data": rows}

    def _submit(self, path: str) -> int:
        job_id = self.next_job
        self.next_job += 1
        if self.fail_next:
            cls, message, code = self.fail_next
            self.fail_next = None
            self.jobs[job_id] = {
                "id": job_id,
                "status": "error",
                "summary": ["X"],
                "opstatus": ["error"],
                "opresult": [[cls, [message, code]]],
                "oplog": [[[1, [1700000000, 0], "message", "* checking"]]],
            }
        else:
            status = "running" if self.never_finish else "success"
            self.jobs[job_id] = {
                "id": job_id,
                "status": status,
                "summary": [path],
                "opstatus": [status],
                "opresult": [None],
                "oplog": [
                    [
                        [1, [1700000000, 0], "message", "* doing it"],
                        [2, [1700000001, 0], "message", "* done"],
                    ]
                ],
            }
        return job_id

    def _job(self, job_id: int) -> dict[str, Any] | None:
        return self.jobs.get(job_id)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> FakeRapi:
    server = FakeRapi()
    # Looked up at each request: a test may swap server.handler for a fault of its own.
    use_fake_cluster(monkeypatch, tmp_path, lambda r: server.handler(r), current=True, auth=True)
    return server


def gnt(*args: str, input: str | None = None) -> tuple[int, str, str]:
    """Run gnt-py as the console script does (exit codes mapped by state.run)."""
    runner = CliRunner()
    code: list[int] = []
    result = runner.invoke(_main, list(args), input=input, catch_exceptions=False, obj=code)
    return (code[0] if code else result.exit_code), result.stdout, result.stderr


import click  # noqa: E402 - after the helpers that document the fake


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def _main(ctx: click.Context) -> None:
    ctx.obj.append(run(cli, list(ctx.args)))


def test_list_uses_query_fields_and_prints_gnt_table(fake: FakeRapi) -> None:
    code, out, _ = gnt("instance", "list", "-o", "name,pnode,status,oper_ram")
    assert code == exits.OK
    lines = out.splitlines()
    assert lines[0].split() == ["Instance", "Primary_node", "Status", "Memory"]
    assert lines[1].split() == ["web1", "aleph", "running", "512M"]
    method, path, body = fake.requests[-1]
    assert (method, path) == ("PUT", "/2/query/instance")
    assert body["fields"] == ["name", "pnode", "status", "oper_ram"]


def test_list_plus_field_and_json_parsed_back(fake: FakeRapi) -> None:
    code, out, _ = gnt("--format", "json", "instance", "list", "-o", "+oper_ram", "web1")
    assert code == exits.OK
    data = json.loads(out)
    assert data == [
        {
            "name": "web1",
            "hypervisor": "fake",
            "os": "noop",
            "pnode": "aleph",
            "status": "running",
            "oper_ram": 512,
        }
    ]
    assert fake.requests[-1][2]["qfilter"] == ["=", "name", "web1"]


def test_unknown_field_is_a_usage_error(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "list", "-o", "name,bogus")
    assert code == exits.USAGE
    assert "unknown instance field(s): bogus" in err


def test_unknown_name_exits_not_found(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "list", "nosuch")
    assert code == exits.NOT_FOUND
    assert "nosuch" in err


def test_job_log_streams_to_stderr_and_result_exit_0(fake: FakeRapi) -> None:
    code, out, err = gnt("instance", "start", "web1")
    assert code == exits.OK
    assert out == ""
    assert "* doing it" in err
    assert "* done" in err
    assert "job 100 start web1: done" in err
    assert fake.writes()[0][:2] == ("PUT", "/2/instances/web1/startup")


def test_failed_job_exit_1_with_ganeti_message(fake: FakeRapi) -> None:
    fake.fail_next = ("OpPrereqError", "Instance web1 is not running", "wrong_state")
    code, _, err = gnt("instance", "migrate", "web1", "--yes")
    assert code == exits.JOB_FAILED
    assert "job 100 failed: OpPrereqError: Instance web1 is not running [wrong_state]" in err


def test_no_wait_prints_only_the_job_id(fake: FakeRapi) -> None:
    code, out, _ = gnt("instance", "reboot", "web1", "--no-wait", "--yes")
    assert code == exits.OK
    assert out.strip() == "100"
    assert not any("/wait" in path for _, path, _ in fake.requests)
    code, out, _ = gnt("--format", "json", "instance", "stop", "web1", "--submit", "--yes")
    assert json.loads(out) == {"job_id": 101}


def test_timeout_exit_4_and_says_how_to_follow(fake: FakeRapi) -> None:
    fake.never_finish = True
    code, _, err = gnt("instance", "start", "web1", "--timeout", "0.3")
    assert code == exits.TIMEOUT
    assert "gnt-py job watch 100" in err


def test_declined_confirmation_sends_nothing(fake: FakeRapi) -> None:
    """Remove without a boot server in the context (with one: tests of netboot)."""
    code, _, err = gnt("instance", "remove", "web1", input="n\n")
    assert code == exits.ABORTED
    assert "Remove instance(s) web1" in err
    assert fake.writes() == []
    code, _, _ = gnt("instance", "remove", "web1", "--yes")
    assert code == exits.OK
    assert fake.writes()[0][:2] == ("DELETE", "/2/instances/web1")


def test_plain_create_sends_one_gnt_style_request(fake: FakeRapi) -> None:
    code, out, err = gnt(
        "instance", "create", "web9", "-o", "noop", "-s", "0:1G", "-s", "1:size=2G",
        "-n", "aleph", "-B", "memory=256M", "--net", "link=br0", "--yes",
    )  # fmt: skip
    assert code == exits.OK, err
    assert "instance web9 created" in out
    (method, path, body), *_ = fake.writes()
    assert (method, path) == ("POST", "/2/instances")
    assert body["disk_template"] == "diskless"  # the cluster's first enabled template
    assert body["disks"] == [{"size": 1024}, {"size": 2048}]
    assert body["nics"] == [{"link": "br0"}]
    assert (body["os"], body["pnode"], body["beparams"]) == ("noop", "aleph", {"memory": 256})


def test_create_refuses_options_of_the_other_kind(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "create", "web9", "-o", "noop", "--class", "x", "--yes")
    assert code == exits.USAGE
    assert "--class: only for a pxe (netboot) create" in err
    code, _, err = gnt("instance", "create", "web9", "-B", "memory=1G", "--net", "link=br0")
    assert code == exits.USAGE
    assert "--net, --backend-parameters: only for a plain create" in err
    code, _, err = gnt("instance", "create", "web1", "-o", "noop", "--yes")
    assert code == exits.USAGE
    assert "web1 already exists" in err
    assert fake.writes() == []


def test_bad_input_fails_before_anything_is_sent(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "migrate", "web1", "-n", "bet", "-I", "hail", "--yes")
    assert code == exits.USAGE
    assert "not both" in err
    code, _, err = gnt("instance", "grow-disk", "web1", "0", "lots")
    assert code == exits.USAGE
    assert "amount" in err
    code, _, err = gnt("instance", "modify", "web1", "--net", "sideways")
    assert code == exits.USAGE
    assert fake.writes() == []


def test_modify_sends_gnt_style_changes(fake: FakeRapi) -> None:
    code, _, _ = gnt(
        "instance",
        "modify",
        "web1",
        "-B",
        "memory=1G,vcpus=2",
        "--net",
        "add:link=br0",
        "--disk",
        "1:remove",
        "--yes",
    )
    assert code == exits.OK
    method, path, body = fake.writes()[0]
    assert (method, path) == ("PUT", "/2/instances/web1/modify")
    assert body["beparams"] == {"memory": 1024, "vcpus": 2}
    assert body["nics"] == [["add", -1, {"link": "br0"}]]
    assert body["disks"] == [["remove", 1, {}]]


def test_info_table_and_json(fake: FakeRapi) -> None:
    code, out, _ = gnt("instance", "info", "web1")
    assert code == exits.OK
    assert out.splitlines()[0] == "Instance: web1"
    assert "Memory: 512M" in out
    assert "mac: aa:00:00:00:00:01" in out
    code, out, _ = gnt("--format", "yaml", "instance", "info", "web1")
    import yaml

    assert yaml.safe_load(out)["name"] == "web1"


def test_job_show_unknown_exit_7_and_cancel(fake: FakeRapi) -> None:
    code, _, err = gnt("job", "show", "999")
    assert code == exits.NOT_FOUND
    assert "999" in err
    gnt("instance", "start", "web1", "--no-wait")
    code, _, err = gnt("job", "cancel", "100", "--yes")
    assert code == exits.OK
    assert fake.requests[-1][:2] == ("DELETE", "/2/jobs/100")
    code, _, err = gnt("job", "cancel", "555", "--yes")  # refused by the server: exit 1
    assert code == exits.JOB_FAILED
    assert "job 555: not found" in err


def test_job_watch_follows_an_existing_job(fake: FakeRapi) -> None:
    gnt("instance", "start", "web1", "--no-wait")
    code, _, err = gnt("job", "watch", "100")
    assert code == exits.OK
    assert "* doing it" in err


def test_connection_error_exit_3(monkeypatch: pytest.MonkeyPatch, fake: FakeRapi) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    monkeypatch.setattr(fake, "handler", refuse)
    code, _, err = gnt("instance", "list")
    assert code == exits.CONNECTION
    assert "cannot connect" in err


def test_auth_error_exit_3(monkeypatch: pytest.MonkeyPatch, fake: FakeRapi) -> None:
    def deny(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"code": 401, "message": "Unauthorized", "explain": ""})

    monkeypatch.setattr(fake, "handler", deny)
    code, _, err = gnt("instance", "list")
    assert code == exits.CONNECTION
    assert "401" in err


def test_usage_errors_exit_2(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "reboot", "web1", "--type", "gentle")
    assert code == exits.USAGE
    assert "gentle" in err
    code, _, err = gnt("nosuchgroup")
    assert code == exits.USAGE
    assert "No such command" in err


def test_job_refused_for_an_unknown_object_exits_not_found(fake: FakeRapi) -> None:
    fake.fail_next = ("OpPrereqError", "Instance 'ghost' not known", "unknown_entity")
    code, _, err = gnt("instance", "reboot", "ghost", "--yes")
    assert code == exits.NOT_FOUND
    assert "Instance 'ghost' not known [unknown_entity]" in err


def test_qlang_filter_is_sent_as_nested_lists(fake: FakeRapi) -> None:
    code, _, _ = gnt("instance", "list", "-F", 'status == "running" and oper_ram > 256')
    assert code == exits.OK
    assert fake.requests[-1][2]["qfilter"] == [
        "&",
        ["=", "status", "running"],
        [">", "oper_ram", 256],
    ]


def test_plan_prints_the_requests_and_sends_no_job(fake: FakeRapi) -> None:
    code, out, err = gnt("instance", "migrate", "web1", "-n", "bet", "--plan")
    assert code == exits.OK
    assert out.startswith("PUT /2/instances/web1/migrate?reason=")
    assert '{"target_node": "bet"}' in out
    assert "Migrate instance" not in err  # no question: nothing will be sent
    assert fake.writes() == []
    code, out, _ = gnt("--format", "json", "instance", "stop", "web1", "db1", "--plan")
    plans = [json.loads(chunk) for chunk in out.replace("}\n{", "}\n\x00{").split("\x00")]
    assert [p["path"] for p in plans] == [
        "/2/instances/web1/shutdown",
        "/2/instances/db1/shutdown",
    ]
    assert fake.writes() == []


@pytest.mark.parametrize("plan", [False, True])
def test_a_job_command_builds_its_request_once(
    fake: FakeRapi, monkeypatch: pytest.MonkeyPatch, plan: bool
) -> None:
    from ganetiops.rapi.namespace import _Operation

    built: list[str] = []
    real = _Operation.make_call

    def counting(self: Any, namespace: Any, *args: Any, **kwargs: Any) -> Any:
        built.append(self.__name__)
        return real(self, namespace, *args, **kwargs)

    monkeypatch.setattr(_Operation, "make_call", counting)
    extra = ["--plan"] if plan else ["--yes"]
    code, out, err = gnt("instance", "migrate", "web1", "-n", "bet", *extra)
    assert code == exits.OK, err
    assert built.count("migrate") == 1
    assert out.startswith("PUT /2/instances/web1/migrate") is plan
    sent = [w[:2] for w in fake.writes()]
    assert sent == ([] if plan else [("PUT", "/2/instances/web1/migrate")])


def test_plain_create_plan_as_json_sends_nothing(fake: FakeRapi) -> None:
    code, out, err = gnt(
        "--format", "json", "instance", "create", "new1", "-o", "noop", "-t", "diskless",
        "-n", "aleph", "--no-nics", "--tags", "a,b", "--no-install", "--no-start", "--plan",
    )  # fmt: skip
    assert code == exits.OK, err
    plan = json.loads(out)
    assert plan["applied"] is False
    (line,) = plan["plan"]
    assert line.startswith("Plan: create instance new1 (disk_template=diskless")
    assert "tags=['a', 'b']" in line and "no_install=True" in line and "start=False" in line
    assert "nics=" not in line  # --no-nics: an empty NIC list
    assert fake.writes() == []


def test_plain_only_flags_are_refused_for_pxe(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "create", "navidrome", "--tags", "a", "--plan")
    assert code == exits.USAGE
    assert "--tags: only for a plain create" in err
    code, _, err = gnt("instance", "create", "web2", "-o", "noop", "--no-nics", "--net", "link=x")
    assert code == exits.USAGE
    assert "--net or --no-nics" in err
    assert fake.writes() == []


@pytest.mark.parametrize(
    ("argv", "question"),
    [
        (["instance", "stop", "web1"], "Stop instance(s) web1?"),
        (["instance", "reboot", "web1"], "Reboot (hard) instance(s) web1?"),
        (["instance", "deactivate-disks", "web1"], "Deactivate the disks of web1?"),
        (["instance", "replace-disks", "web1", "-s"], "Replace the disks of web1"),
        (["instance", "modify", "web1", "--disk", "1:remove"], "remove disk 1"),
        (["instance", "modify", "web1", "--net", "0:remove"], "remove NIC 0"),
        (["instance", "modify", "web1", "--offline"], "mark it offline"),
    ],
)
def test_operations_that_lose_data_or_availability_ask_first(
    fake: FakeRapi, argv: list[str], question: str
) -> None:
    code, _, err = gnt(*argv, input="n\n")
    assert code == exits.ABORTED, err
    assert question in err
    assert fake.writes() == []
    code, _, err = gnt(*argv, "--yes")
    assert code == exits.OK, err
    assert len(fake.writes()) == 1


def test_a_harmless_modify_does_not_ask(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "modify", "web1", "-B", "vcpus=2")
    assert code == exits.OK, err
    assert "?" not in err


def test_bad_names_fail_before_the_question(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "stop", "web1\n", input="y\n")
    assert code == exits.USAGE
    assert "Stop instance" not in err
    assert fake.writes() == []


def test_remove_needs_no_boot_server_for_an_instance_that_does_not_netboot(
    fake: FakeRapi,
) -> None:
    """The context has no [boot] table and no lab: a plain instance is still removed."""
    code, _, err = gnt("instance", "remove", "web1", "--yes")
    assert code == exits.OK, err
    assert fake.writes()[0][:2] == ("DELETE", "/2/instances/web1")


def test_confirmation_without_a_readable_stdin_aborts_and_sends_nothing(
    fake: FakeRapi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A closed stdin (a cron job, ``<&-``) cannot answer: exit 5 naming --yes, no traceback."""
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdin", closed)
    code = run(cli, ["--context", "t", "instance", "remove", "web1"])
    assert code == exits.ABORTED
    assert fake.writes() == []
