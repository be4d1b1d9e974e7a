"""The job wait flow, driven step by step (pure: the flow is a generator).

Real waits against Ganeti are in tests/integration/test_rapi_jobs.py; here each
branch of the flow is checked with the exact answers Ganeti 3.0.2 gives
(rapi.md §3.3, §11).
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

import httpx
import pytest

from ganetiops import errors
from ganetiops.rapi import AsyncRapiClient, RapiClient
from ganetiops.rapi.call import Call
from ganetiops.rapi.jobs import (
    WAIT_FIELDS,
    Sleep,
    _collect_children,
    check_result,
    info_call,
    wait_flow,
)
from ganetiops.rapi.models.job import JobInfo, LogEntry


def answer(status: str, entries: list[Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A /wait answer as 3.0.2 sends it: job_info in the order of the requested fields."""
    values = {"id": 7, "status": status, **fields}
    return {"job_info": [values.get(f) for f in WAIT_FIELDS], "log_entries": entries or []}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def step(flow: Generator[Any, Any, Any], reply: Any = None) -> Any:
    return flow.send(reply)


def test_long_poll_reports_log_entries_and_stops_on_a_final_status() -> None:
    flow = wait_flow(7, deadline=None)
    first = step(flow)
    assert isinstance(first, Call) and first.path == "/2/jobs/7/wait"
    entry = step(flow, answer("running", [[1, [100, 0], "message", "hello"]]))
    assert isinstance(entry, LogEntry) and entry.message == "hello" and entry.job_id == 7
    again = step(flow)
    assert isinstance(again, Call) and again.path == "/2/jobs/7/wait"
    assert b'"previous_log_serial":1' in (again.body or b"")
    assert b'"running"' in (again.body or b"")  # the previous job_info goes back
    late = step(
        flow,
        answer(
            "success",
            [[2, [101, 500000], "message", "bye"]],
            opstatus=["success"],
            opresult=[["aleph"]],
            end_ts=[101, 500000],
        ),
    )
    assert isinstance(late, LogEntry) and late.serial == 2
    with pytest.raises(StopIteration) as stop:
        step(flow)
    final = stop.value.value
    assert final.status == "success" and final.opresult == (["aleph"],)
    assert final.end_ts == pytest.approx(101.5)  # no further request was needed
    assert [(e.serial, e.message) for e in final.log] == [(1, "hello"), (2, "bye")]


def test_read_only_user_falls_back_to_polling_after_403() -> None:
    flow = wait_flow(7, deadline=None)
    step(flow)
    polled = flow.throw(errors.RapiForbiddenError(403, "Forbidden"))
    assert isinstance(polled, Call) and polled.path == "/2/jobs/7"
    sleep = step(flow, JobInfo.from_api({"id": 7, "status": "running"}))
    assert isinstance(sleep, Sleep) and sleep.seconds == pytest.approx(0.05)
    polled_again = step(flow)
    assert isinstance(polled_again, Call) and polled_again.path == "/2/jobs/7"
    sleep2 = step(flow, JobInfo.from_api({"id": 7, "status": "running"}))
    assert isinstance(sleep2, Sleep) and sleep2.seconds > sleep.seconds  # adaptive


def test_documented_null_answer_is_tolerated() -> None:
    """Stand-in for a fault 3.x never produces: /wait answering null ("no change")."""
    flow = wait_flow(7, deadline=None)
    step(flow)
    again = step(flow, None)
    assert isinstance(again, Call) and again.path == "/2/jobs/7/wait"


def test_unknown_job_is_reported_as_not_found() -> None:
    flow = wait_flow(99999, deadline=None)
    step(flow)
    with pytest.raises(errors.JobNotFound):
        flow.throw(errors.RapiServerError(500, "Can't load job file"))


def test_deadline_raises_job_timeout_and_bounds_the_long_poll() -> None:
    clock = Clock()
    flow = wait_flow(7, deadline=3.0, clock=clock)
    first = step(flow)
    assert first.read_timeout == pytest.approx(3.5)
    clock.now = 3.1
    with pytest.raises(errors.JobTimeout, match="still running"):
        step(flow, answer("running"))


def test_check_result_raises_typed_errors_with_ganeti_codes() -> None:
    failed = JobInfo.from_api(
        {
            "id": 9,
            "status": "error",
            "opstatus": ["error", "error"],
            "opresult": [
                ["OpPrereqError", ["Missing bridges br9", "environment_error"]],
                ["OpExecError", ["Preceding opcode failed"]],
            ],
        }
    )
    with pytest.raises(errors.JobFailed) as info:
        check_result(failed)
    assert info.value.error_code == "environment_error"
    assert info.value.error_class == "OpPrereqError"
    assert "br9" in info.value.error_message and info.value.job_id == 9
    with pytest.raises(errors.JobCanceled):
        check_result(JobInfo.from_api({"id": 3, "status": "canceled"}))


def test_children_are_followed_breadth_first() -> None:
    flow = _collect_children(1, None, __import__("ganetiops").rapi.Polling(), True, Clock())
    assert step(flow).path == "/2/jobs/1/wait"
    parent = answer(
        "success", id=1, opstatus=["success"], opresult=[{"jobs": [[True, 2], [True, 3]]}]
    )
    assert step(flow, parent).path == "/2/jobs/2/wait"
    assert step(flow, answer("success", id=2)).path == "/2/jobs/3/wait"
    with pytest.raises(StopIteration) as stop:
        step(flow, answer("error", id=3))
    root, children = stop.value.value
    assert root.id == 1 and [c.id for c in children] == [2, 3]
    assert [c.status for c in children] == ["success", "error"]


def test_an_answer_without_status_switches_to_polling() -> None:
    """Stand-in for a server fault (a /wait answer that lacks the status field)."""
    flow = wait_flow(7, deadline=None)
    step(flow)
    probe = step(flow, {"job_info": [7], "log_entries": []})
    assert isinstance(probe, Call) and probe.path == "/2/jobs/7"
    polled = step(flow, JobInfo.from_api({"id": 7, "status": "running"}))
    assert isinstance(polled, Call) and polled.path == "/2/jobs/7"  # polling now, not /wait


# --- the one driver per I/O style --------------------------------------------------


def _scripted_flow(calls: Any) -> Any:
    """A flow that logs, sleeps, sends a call that succeeds and one that fails."""
    yield LogEntry(1, 1, 0.0, "message", "first")
    yield Sleep(0)
    found = yield info_call(5)
    try:
        yield info_call(404)
    except errors.RapiNotFoundError:
        calls.append("thrown into the flow")
    yield LogEntry(1, 2, 0.0, "message", "second")
    return found.status


def _client_pair() -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/404"):
            return httpx.Response(404, json={"code": 404, "message": "no", "explain": ""})
        return httpx.Response(200, json={"id": 5, "status": "success"})

    options: dict[str, Any] = {"user": "u", "password": "p", "retries": 0}
    sync = RapiClient("https://r.test:5080", transport=httpx.MockTransport(handler), **options)
    aio = AsyncRapiClient("https://r.test:5080", transport=httpx.MockTransport(handler), **options)
    return sync, aio


def test_drive_and_iterate_run_the_same_flow_in_both_io_styles() -> None:
    sync, aio = _client_pair()
    seen: dict[str, Any] = {}
    calls: list[str] = []
    logged: list[str] = []
    value = sync.drive(_scripted_flow(calls), lambda e: logged.append(e.message))
    seen["sync drive"] = (value, logged, calls)
    calls_i: list[str] = []
    entries = [e.message for e in sync.iterate(_scripted_flow(calls_i))]
    seen["sync iterate"] = (None, entries, calls_i)

    async def run_async() -> None:
        calls: list[str] = []
        logged: list[str] = []

        async def on_log(entry: Any) -> None:  # a coroutine sink is awaited
            logged.append(entry.message)

        value = await aio.drive(_scripted_flow(calls), on_log)
        seen["async drive"] = (value, logged, calls)
        calls2: list[str] = []
        entries = [e.message async for e in aio.iterate(_scripted_flow(calls2))]
        seen["async iterate"] = (None, entries, calls2)
        await aio.aclose()

    asyncio.run(run_async())
    expected_log = ["first", "second"]
    assert seen["sync drive"] == ("success", expected_log, ["thrown into the flow"])
    assert seen["async drive"] == seen["sync drive"]
    assert seen["sync iterate"] == (None, expected_log, ["thrown into the flow"])
    assert seen["async iterate"] == seen["sync iterate"]
