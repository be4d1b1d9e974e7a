"""Daemon faults on the real lab: ganeti-rapi restarted during a long poll (direct HTTPS
and through the SSH tunnel), ganeti-luxid restarted during a query, the job queue
drained. Daemons are killed by the PID in the lab node's pidfile (checked to be in
that node's namespace) and started again the way the lab starts them
(:mod:`tests.integration.faults`).
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ganetiops import errors
from ganetiops.config import SshVia
from ganetiops.lab import Lab, LabFacts
from ganetiops.rapi import RapiClient
from ganetiops.rapi.tls import TlsPolicy
from ganetiops.ssh import RapiTunnelTransport
from tests.integration import faults

pytestmark = pytest.mark.integration

GNT_PY = str(Path(sys.executable).with_name("gnt-py"))


def _options(facts: LabFacts) -> dict[str, Any]:
    assert facts.cluster is not None
    return {
        "user": facts.cluster.user("write").name,
        "password": facts.cluster.password("write"),
        "certificate_sha256": facts.cluster.certificate_sha256,
    }


@pytest.fixture
def direct(lab_facts: LabFacts) -> Iterator[RapiClient]:
    assert lab_facts.cluster is not None
    with RapiClient(lab_facts.cluster.url, **_options(lab_facts)) as client:
        yield client


@pytest.fixture
def tunneled(lab_facts: LabFacts) -> Iterator[RapiClient]:
    """The same cluster through the SSH tunnel to the master's 127.0.0.1:5080."""
    assert lab_facts.cluster is not None
    via = SshVia(
        nodes=tuple(n.primary_ip for n in lab_facts.nodes),
        key=lab_facts.workstation_key,
        known_hosts=lab_facts.known_hosts,
    )
    options = _options(lab_facts)
    tls = TlsPolicy(sha256=options.pop("certificate_sha256"))
    transport = RapiTunnelTransport.from_ssh_via(via, ssl_context=tls.ssl_context())
    with RapiClient("https://gnt.homelab.tel:5080", transport=transport, **options) as client:
        yield client


@pytest.fixture(params=["direct", "tunnel"])
def client(request: pytest.FixtureRequest) -> RapiClient:
    name = "direct" if request.param == "direct" else "tunneled"
    value: RapiClient = request.getfixturevalue(name)
    return value


def submit_delay(lab: Lab, seconds: float) -> int:
    """A real job that runs ``seconds`` (OpTestDelay), submitted on the master."""
    done = lab.run(faults.master(lab), ["gnt-debug", "delay", "--submit", f"{seconds:g}"])
    found = re.search(r"JobID:\s*(\d+)", done.stdout + done.stderr)
    assert found, done.stdout + done.stderr
    return int(found.group(1))


def in_background(action: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    problems: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # reported by the test
            problems.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, problems


def test_rapi_restart_during_a_long_poll(lab: Lab, client: RapiClient) -> None:
    """ganeti-rapi is killed (SIGKILL) while Job.wait long-polls and is started again
    seconds later: the wait resumes and returns the job's real, final result."""
    master = faults.master(lab)
    job_id = submit_delay(lab, 12)
    marks: dict[str, Any] = {}

    def fault() -> None:
        time.sleep(2.0)
        with faults.daemon_down(lab, master, "ganeti-rapi") as old:
            marks["old"], marks["killed"] = old, time.monotonic()
            time.sleep(3.0)
        marks["new"] = faults.daemon_pid(lab, master, "ganeti-rapi")
        marks["back"] = time.monotonic()

    started = time.monotonic()
    thread, problems = in_background(fault)
    try:
        result = client.job(job_id).wait(timeout=180)
    finally:
        thread.join(timeout=60)
    assert not problems, problems
    assert started < marks["killed"] < marks["back"] < time.monotonic()
    assert marks["new"] not in (None, marks["old"])  # a new ganeti-rapi answered
    assert result.info.status == "success"
    truth = client.jobs.get(job_id)  # what Ganeti itself records
    assert (truth.status, truth.end_ts) == ("success", result.info.end_ts)


def test_rapi_down_longer_than_the_outage_budget_is_a_clear_error(
    lab: Lab, direct: RapiClient
) -> None:
    """With RAPI gone for good (within Polling.outage), the wait gives up with a
    connection error that names the request; the job runs on and is found afterwards."""
    from ganetiops.rapi.jobs import Polling

    master = faults.master(lab)
    job_id = submit_delay(lab, 2)
    with faults.daemon_down(lab, master, "ganeti-rapi"):
        t0 = time.monotonic()
        with pytest.raises(errors.RapiConnectionError) as caught:
            direct.job(job_id).wait(timeout=60, polling=Polling(outage=3.0))
        waited = time.monotonic() - t0
    assert f"/2/jobs/{job_id}/wait" in str(caught.value)
    assert waited < 30  # the outage budget, plus connect retries
    assert direct.job(job_id).wait(timeout=60).info.status == "success"


def test_luxid_restart_during_a_query(lab: Lab, direct: RapiClient) -> None:
    """ganeti-luxid killed, a query sent, luxid started again a second later: ganeti-rapi
    keeps trying the master daemon's socket for ~30 s by itself, so the query is
    answered (the real node list) without a retry of ours."""
    master = faults.master(lab)
    names = sorted(direct.nodes.names())
    with faults.daemon_down(lab, master, "ganeti-luxid"):

        def start_later() -> None:
            time.sleep(1.0)
            faults.start_daemon(lab, master, "ganeti-luxid")

        thread, problems = in_background(start_later)
        t0 = time.monotonic()
        assert sorted(direct.nodes.names()) == names
        took = time.monotonic() - t0
        thread.join(timeout=60)
        assert not problems, problems
    assert 1.0 <= took < 30.0  # it did wait for luxid to come back


def test_luxid_down_is_one_clear_error(lab: Lab, lab_facts: LabFacts) -> None:
    """ganeti-luxid down for good: ganeti-rapi answers 504 after its own ~30 s wait;
    the client does not multiply that by retrying, the error is typed and says so,
    and the CLI exits non-zero with the message and no traceback."""
    assert lab_facts.cluster is not None
    master = faults.master(lab)
    with (
        RapiClient(lab_facts.cluster.url, **_options(lab_facts)) as client,
        faults.daemon_down(lab, master, "ganeti-luxid"),
    ):
        t0 = time.monotonic()
        with pytest.raises(errors.RapiServerError) as caught:
            client.nodes.names()
        took = time.monotonic() - t0
        done = subprocess.run(
            [GNT_PY, "--context", lab.name, "node", "list"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert caught.value.status == 504 and "Gateway Timeout" in str(caught.value)
    assert took < 45  # one request of ~30 s, not four
    assert done.returncode == 6 and "504 Gateway Timeout" in done.stderr
    assert "Traceback" not in done.stderr


def test_drained_queue_refuses_submits_with_ganetis_reason(
    lab: Lab, direct: RapiClient, lab_facts: LabFacts
) -> None:
    """gnt-cluster queue drain: a submit fails with Ganeti's reason (library: a typed
    RapiError; CLI: non-zero exit, the message, no traceback) and no job is made."""
    master = faults.master(lab)
    before = set(direct.jobs.ids())
    lab.run(master, ["gnt-cluster", "queue", "drain"])
    try:
        with pytest.raises(errors.RapiError) as caught:
            direct.cluster.add_tags(["fault:drained"])
        assert "drain" in str(caught.value).lower()
        print("library:", caught.value)
        done = subprocess.run(
            [GNT_PY, "--context", lab.name, "group", "add", "faultgrp-drained"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode != 0
        assert "drain" in done.stderr.lower() and "Traceback" not in done.stderr
        print("CLI:", done.returncode, done.stderr)
    finally:
        lab.run(master, ["gnt-cluster", "queue", "undrain"])
    assert set(direct.jobs.ids()) - before == set()
    assert "fault:drained" not in direct.cluster.tags()
    assert "faultgrp-drained" not in direct.groups.names()
