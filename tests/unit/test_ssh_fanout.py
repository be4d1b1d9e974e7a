"""Fan-out: one result per host, concurrency limit, serial and batch modes, fail-percent stop."""

from __future__ import annotations

import asyncio

import pytest

from ganetiops.errors import SshError, ValidationError
from ganetiops.ssh.fanout import HostResult, Mode, Status, fan_out

HOSTS = ["aleph", "bet", "gimel", "dalet"]


class Recorder:
    def __init__(self, fail: set[str] | None = None, delay: float = 0.02) -> None:
        self.fail = fail or set()
        self.delay = delay
        self.active = 0
        self.peak = 0
        self.order: list[str] = []
        self.batches: list[set[str]] = []

    async def __call__(self, host: str) -> HostResult:
        self.order.append(host)
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(self.delay)
        self.active -= 1
        if host in self.fail:
            raise SshError(f"{host}: cannot connect: Connection refused")
        return HostResult(host, Status.CHANGED if host == "bet" else Status.OK, exit_status=0)


async def test_parallel_respects_concurrency_and_keeps_order() -> None:
    action = Recorder()
    report = await fan_out(HOSTS, action, concurrency=2)
    assert action.peak == 2
    assert [r.host for r in report] == HOSTS
    assert report.ok
    assert [r.host for r in report.changed] == ["bet"]


async def test_serial_runs_one_at_a_time() -> None:
    action = Recorder()
    report = await fan_out(HOSTS, action, mode=Mode.SERIAL)
    assert action.peak == 1
    assert action.order == HOSTS
    assert report.ok


async def test_batch_mode_waits_for_each_batch() -> None:
    action = Recorder()
    report = await fan_out(HOSTS, action, mode="batch", batch_size=3)
    assert action.peak == 3
    assert report.ok


async def test_exception_becomes_failed_result() -> None:
    report = await fan_out(HOSTS, Recorder(fail={"gimel"}))
    assert report["gimel"].status is Status.FAILED
    assert "Connection refused" in (report["gimel"].error or "")
    assert not report.ok
    assert not report.stopped


async def test_fail_percent_stops_serial_run() -> None:
    action = Recorder(fail={"aleph"})
    report = await fan_out(HOSTS, action, mode="serial", max_fail_percent=20)
    assert action.order == ["aleph"]
    assert report.stopped
    assert [r.status for r in report] == [Status.FAILED] + [Status.SKIPPED] * 3
    assert "1 of 4" in (report.reason or "")


async def test_fail_percent_not_exceeded_keeps_going() -> None:
    action = Recorder(fail={"aleph"})
    report = await fan_out(HOSTS, action, mode="serial", max_fail_percent=25)
    assert action.order == HOSTS
    assert not report.stopped


async def test_fail_percent_in_batches_finishes_running_batch() -> None:
    action = Recorder(fail={"aleph", "bet"})
    report = await fan_out(HOSTS, action, mode="batch", batch_size=2, max_fail_percent=0)
    assert sorted(action.order) == ["aleph", "bet"]
    assert [r.status for r in report][2:] == [Status.SKIPPED, Status.SKIPPED]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"mode": "batch"}, "batch_size"),
        ({"max_fail_percent": 120}, "max_fail_percent"),
    ],
)
async def test_bad_arguments_fail_before_anything_runs(
    kwargs: dict[str, object], field: str
) -> None:
    action = Recorder()
    with pytest.raises(ValidationError) as caught:
        await fan_out(HOSTS, action, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert action.order == []
