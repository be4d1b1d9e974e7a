"""Planning as an executor: a bound operation builds its Call once; a PlanExecutor
checks and records job requests and sends none, while reads reach the cluster."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from ganetiops import errors
from ganetiops.rapi import PlanExecutor, Planned, RapiClient
from ganetiops.rapi.jobs import Job
from ganetiops.rapi.namespace import Bound
from ganetiops.rapi.ops import Instances


class Recorder:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        if request.url.path == "/2/info":
            info = {"software_version": "3.0.2", "enabled_disk_templates": ["file"]}
            return httpx.Response(200, json=info)
        if request.url.path == "/2/instances":
            return httpx.Response(200, json=[{"id": "web1", "uri": "/2/instances/web1"}])
        return httpx.Response(200, json=7)


@pytest.fixture
def wire() -> Recorder:
    return Recorder()


@pytest.fixture
def client(wire: Recorder) -> RapiClient:
    return RapiClient(
        "https://rapi.test:5080",
        user="u",
        password="p",
        retries=0,
        transport=httpx.MockTransport(wire.handler),
    )


def test_bound_call_builds_without_sending_and_the_same_call_is_submitted(
    client: RapiClient, wire: Recorder
) -> None:
    verb = client.instances.migrate
    assert isinstance(verb, Bound)
    assert verb.__doc__ == Instances.migrate.__doc__
    call = verb.call("web1", mode="live")
    assert wire.requests == []
    assert (call.method, call.path) == ("PUT", "/2/instances/web1/migrate")
    job = client.submit(call)
    assert isinstance(job, Job) and job.id == 7
    assert wire.requests == [("PUT", "/2/instances/web1/migrate")]
    with pytest.raises(errors.ValidationError):
        verb.call("web1", mode="sideways")  # type: ignore[arg-type]


def test_plan_executor_records_job_requests_and_passes_reads(
    client: RapiClient, wire: Recorder
) -> None:
    printed: list[Any] = []
    planner = PlanExecutor(client, on_plan=printed.append)
    call = client.instances.startup.call("web1")
    outcome = planner.submit(call)
    assert outcome == Planned(call)
    assert planner.planned == [call] == printed
    assert planner.send(client.instances.names.call()) == ["web1"]  # reads reach the cluster
    assert [r for r in wire.requests if r[0] != "GET"] == []
    assert "1 planned" in repr(planner)


def test_plan_executor_checks_preconditions_against_the_cluster(client: RapiClient) -> None:
    planner = PlanExecutor(client)
    call = client.instances.create.call(
        "web2", disk_template="drbd", disks=["1G"], os="noop", pnode="a", snode="b"
    )
    with pytest.raises(errors.ValidationError, match="drbd"):
        planner.submit(call)  # the cluster enables only "file"
    assert planner.planned == []
    body = json.loads(
        client.instances.create.call(
            "web2", disk_template="file", disks=["1G"], os="noop", pnode="a"
        ).body
        or b"{}"
    )
    assert body["disk_template"] == "file"
