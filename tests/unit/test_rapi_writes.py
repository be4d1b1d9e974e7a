"""The exactly-once submit flow and the wait's outage handling, step by step (pure).

The real faults (a reset after the request reached Ganeti, RAPI restarts) are in
tests/integration/test_faults_*.py; here each branch is driven with typed errors.
"""

from __future__ import annotations

from typing import Any

import pytest

from ganetiops import errors
from ganetiops.rapi.call import Call
from ganetiops.rapi.jobs import Polling, Sleep, wait_flow
from ganetiops.rapi.writes import job_ids_with_reason, submit_flow, tag_request
from tests.unit.rapi_helpers import call, query

RID = "ab" * 16


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_tag_request_appends_the_request_id_to_the_reason() -> None:
    tagged = tag_request(call("instances", "startup", "web1", reason="maint"), RID)
    assert query(tagged)["reason"] == [f"maint [ganetiops test] rid={RID}"]
    bare = tag_request(call("instances", "startup", "web1", reason_tag=None), RID)
    assert query(bare)["reason"] == [f"rid={RID}"]


def test_operations_that_record_no_reason_are_left_alone() -> None:
    untouched = call("nodes", "migrate", "aleph")
    assert tag_request(untouched, RID) is untouched
    assert "reason" not in query(untouched)


def test_a_sent_answer_is_the_job_id() -> None:
    flow = submit_flow(call("groups", "create", "g1"), request_id=RID)
    sent = flow.send(None)
    assert isinstance(sent, Call) and f"rid={RID}" in query(sent)["reason"][0]
    with pytest.raises(StopIteration) as stop:
        flow.send(42)
    assert stop.value.value == 42


def test_nothing_sent_means_the_error_as_it_is() -> None:
    flow = submit_flow(call("groups", "create", "g1"), request_id=RID)
    flow.send(None)
    refused = errors.RapiConnectionError("cannot connect", sent=False)
    with pytest.raises(errors.RapiConnectionError) as caught:
        flow.throw(refused)
    assert caught.value is refused


def test_a_lost_answer_is_looked_up_never_resent() -> None:
    clock = Clock()
    flow = submit_flow(call("groups", "create", "g1"), request_id=RID, window=5, clock=clock)
    flow.send(None)
    lookup = flow.throw(errors.RapiConnectionError("reset", sent=True))
    assert isinstance(lookup, Call) and (lookup.method, lookup.path) == ("GET", "/2/jobs")
    pause = flow.send([])  # not there yet (ganeti-rapi may still be submitting)
    assert isinstance(pause, Sleep)
    clock.now = 1.0
    again = flow.send(None)
    assert isinstance(again, Call) and again.method == "GET"
    with pytest.raises(StopIteration) as stop:
        flow.send([17])
    assert stop.value.value == 17


def test_no_job_found_is_outcome_unknown_with_the_request_id() -> None:
    clock = Clock()
    flow = submit_flow(call("groups", "create", "g1"), request_id=RID, window=2, clock=clock)
    flow.send(None)
    step: Any = flow.throw(errors.RapiTimeoutError("no answer in time", sent=True))
    caught = None
    for _ in range(20):
        clock.now += 1.0
        try:
            step = flow.send([] if isinstance(step, Call) else None)
        except errors.OutcomeUnknown as exc:
            caught = exc
            break
    assert caught is not None
    assert caught.request_id == RID and caught.sent
    assert f"gnt-py job find {RID}" in str(caught)


def test_lookup_failures_end_in_outcome_unknown_too() -> None:
    clock = Clock()
    flow = submit_flow(call("groups", "create", "g1"), request_id=RID, window=1, clock=clock)
    flow.send(None)
    flow.throw(errors.RapiConnectionError("reset", sent=True))
    clock.now = 2.0
    with pytest.raises(errors.OutcomeUnknown, match="the lookup failed too"):
        flow.throw(errors.RapiConnectionError("refused", sent=False))


def test_untaggable_operation_with_a_lost_answer() -> None:
    flow = submit_flow(call("nodes", "migrate", "aleph"), request_id=RID)
    flow.send(None)
    with pytest.raises(errors.OutcomeUnknown) as caught:
        flow.throw(errors.RapiConnectionError("reset", sent=True))
    assert caught.value.request_id is None and "job list --running" in str(caught.value)


def test_job_ids_with_reason_reads_the_trail() -> None:
    data = [
        {"id": 3, "ops": [{"reason": [["gnt:user", f"x rid={RID}", 1]]}]},
        {"id": 4, "ops": [{"reason": [["gnt:user", "other", 1]]}]},
        {"id": "bad", "ops": [{"reason": [["gnt:user", f"rid={RID}", 1]]}]},
        None,
        {"ops": "nonsense"},
    ]
    assert job_ids_with_reason(data, f"rid={RID}") == [3]


def test_wait_rides_out_an_outage_then_gives_up_at_the_budget() -> None:
    clock = Clock()
    flow = wait_flow(7, deadline=None, clock=clock, polling=Polling(outage=5.0))
    flow.send(None)
    down = errors.RapiConnectionError("connection refused", sent=False)
    pause = flow.throw(down)
    assert isinstance(pause, Sleep) and 0 < pause.seconds <= 2.0
    clock.now = 3.0
    assert isinstance(flow.send(None), Call)  # asks again
    pause = flow.throw(down)
    assert isinstance(pause, Sleep)
    clock.now = 6.0
    flow.send(None)
    with pytest.raises(errors.RapiConnectionError):
        flow.throw(down)


def test_wait_does_not_ride_out_a_certificate_error() -> None:
    flow = wait_flow(7, deadline=None, clock=Clock())
    flow.send(None)
    with pytest.raises(errors.CertificateError):
        flow.throw(errors.CertificateError("fingerprint mismatch"))
