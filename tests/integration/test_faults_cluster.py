"""Cluster faults on the real lab: a master failover during a running job, and a
node's link cut (``ip link set down`` on its eth0 inside the lab) during a migrate and
during an evacuate. Each test asserts the job's true outcome (as the cluster records
it) and that the client and the CLI report exactly that: the CLI exits non-zero with
Ganeti's message when Ganeti says the job failed, and nothing is retried blindly
(exactly one job per command).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ganetiops import errors
from ganetiops.config import SshVia
from ganetiops.lab import Lab, LabFacts
from ganetiops.rapi import JobResult, RapiClient
from ganetiops.rapi.models import JobInfo
from ganetiops.rapi.tls import TlsPolicy
from ganetiops.ssh import RapiTunnelTransport
from tests.integration import faults
from tests.integration.test_faults_daemons import submit_delay

pytestmark = pytest.mark.integration

GNT_PY = str(Path(sys.executable).with_name("gnt-py"))
INSTANCE = "faultmig.homelab.tel"


def _options(facts: LabFacts) -> dict[str, Any]:
    assert facts.cluster is not None
    return {
        "user": facts.cluster.user("write").name,
        "password": facts.cluster.password("write"),
        "certificate_sha256": facts.cluster.certificate_sha256,
    }


@pytest.fixture(scope="module")
def client(lab: Lab, lab_facts: LabFacts) -> Iterator[RapiClient]:
    assert lab_facts.cluster is not None
    with RapiClient(lab_facts.cluster.url, **_options(lab_facts)) as rapi:
        yield rapi


def _tunnel_client(facts: LabFacts) -> tuple[RapiClient, RapiTunnelTransport]:
    via = SshVia(
        nodes=tuple(n.primary_ip for n in facts.nodes),
        key=facts.workstation_key,
        known_hosts=facts.known_hosts,
    )
    options = _options(facts)
    tls = TlsPolicy(sha256=options.pop("certificate_sha256"))
    transport = RapiTunnelTransport.from_ssh_via(via, ssl_context=tls.ssl_context())
    return RapiClient("https://gnt.homelab.tel:5080", transport=transport, **options), transport


def _outcome(wait: Any) -> tuple[str, str | None]:
    """``(status, error class)`` as a wait reports it."""
    try:
        result: JobResult = wait()
    except errors.JobFailed as exc:
        return "error", exc.error_class
    except errors.JobCanceled:
        return "canceled", None
    return str(result.info.status), None


def _truth(info: JobInfo) -> tuple[str, str | None]:
    error = info.error
    return str(info.status), error.error_class if error else None


def test_master_failover_during_a_running_job(
    lab: Lab, lab_facts: LabFacts, client: RapiClient
) -> None:
    """A job runs on aleph; bet takes over (gnt-cluster master-failover). Both the
    direct client (the cluster IP moves) and the SSH-tunnel client (it looks the master
    up again) follow the job to bet and report Ganeti's own outcome for it."""
    assert faults.master(lab) == "aleph"
    job_id = submit_delay(lab, 20)
    tunneled, transport = _tunnel_client(lab_facts)
    outcomes: dict[str, tuple[str, str | None]] = {}
    problems: list[BaseException] = []

    def waiter(name: str, rapi: RapiClient) -> None:
        try:
            outcomes[name] = _outcome(lambda: rapi.job(job_id).wait(timeout=240))
        except BaseException as exc:
            problems.append(exc)

    threads = [
        threading.Thread(target=waiter, args=("direct", client), daemon=True),
        threading.Thread(target=waiter, args=("tunnel", tunneled), daemon=True),
    ]
    try:
        for thread in threads:
            thread.start()
        time.sleep(3.0)
        took = faults.master_failover(lab, "bet")
        for thread in threads:
            thread.join(timeout=300)
        assert not problems, problems
        truth = client.jobs.get(job_id)  # asked of the new master
        assert client.cluster.info().master == "bet.homelab.tel"
        assert outcomes == {"direct": _truth(truth), "tunnel": _truth(truth)}
        assert transport.tunnel.master == lab_facts.node("bet").primary_ip
        assert transport.tunnel.discoveries >= 2  # it looked the master up again
        watched = subprocess.run(
            [GNT_PY, "--context", lab.name, "job", "watch", str(job_id)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert watched.returncode == (0 if truth.status == "success" else 1), watched.stderr
        if truth.error:
            assert truth.error.error_class in watched.stderr
        assert "Traceback" not in watched.stderr
        print(f"failover took {took:.1f} s; job {job_id}: {outcomes['direct']}")
    finally:
        tunneled.close()
        if faults.master(lab) != "aleph":
            faults.master_failover(lab, "aleph")


@pytest.fixture(scope="module")
def instance(client: RapiClient) -> Iterator[str]:
    """A running sharedfile instance on bet, removed at the end."""
    if INSTANCE in client.instances.names():
        client.instances.remove(INSTANCE).wait(timeout=300)
    client.instances.create(
        INSTANCE,
        disk_template="sharedfile",
        disks=["1G"],
        nics=[{"link": "br0"}],
        os="noop",
        name_check=False,  # names not in DNS: as gnt-instance add --no-name-check
        ip_check=False,
        pnode="bet.homelab.tel",
        beparams={"maxmem": "128M", "minmem": "128M", "vcpus": 1},
    ).wait(timeout=300)
    try:
        yield INSTANCE
    finally:
        client.instances.remove(INSTANCE).wait(timeout=300)


@contextlib.contextmanager
def link_down(lab: Lab, node: str) -> Iterator[None]:
    """The node's primary link (its eth0 veth, inside the lab) down; up again at exit."""
    lab.run(node, ["ip", "link", "set", "eth0", "down"])
    try:
        yield
    finally:
        lab.run(node, ["ip", "link", "set", "eth0", "up"])


def _new_jobs(client: RapiClient, before: set[int], marker: str) -> list[JobInfo]:
    return [
        j for j in client.jobs.list() if j.id not in before and any(marker in s for s in j.summary)
    ]


def _run_cli_cutting_link(
    lab: Lab, client: RapiClient, argv: list[str], marker: str, node: str
) -> tuple[subprocess.CompletedProcess[str], list[JobInfo]]:
    """Start ``gnt-py argv``; cut ``node``'s link as soon as its job is in the queue."""
    before = {j.id for j in client.jobs.list()}
    process = subprocess.Popen(
        [GNT_PY, "--context", lab.name, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        faults.wait_until(lambda: _new_jobs(client, before, marker), 60, f"{marker} job")
        with link_down(lab, node):
            stdout, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return done, _new_jobs(client, before, marker)


def _check_cli_against_truth(
    done: subprocess.CompletedProcess[str], jobs: list[JobInfo], client: RapiClient
) -> JobInfo:
    assert len(jobs) == 1, [j.summary for j in jobs]  # one job: nothing re-submitted
    truth = client.jobs.get(jobs[0].id)
    assert truth.finalized
    children_ok = all(
        client.jobs.get(c.job_id).status == "success" for c in truth.children if c.job_id
    )
    assert "Traceback" not in done.stderr
    if truth.status == "success" and children_ok:
        assert done.returncode == 0, done.stderr
    else:
        assert done.returncode == 1, done.stderr
        failed = truth.error or next(
            (client.jobs.get(c.job_id).error for c in truth.children if c.job_id), None
        )
        assert failed is not None
        assert failed.message.split("\n")[0][:60] in done.stderr  # Ganeti's own message
    return truth


def test_link_cut_during_migrate(lab: Lab, client: RapiClient, instance: str) -> None:
    """gnt-py instance migrate to gimel while gimel's link goes down: the CLI's exit and
    message are Ganeti's verdict, one migrate job exists, the instance is where
    Ganeti says."""
    source = client.instances.get(instance).pnode
    target = "gimel.homelab.tel" if source != "gimel.homelab.tel" else "bet.homelab.tel"
    done, jobs = _run_cli_cutting_link(
        lab,
        client,
        ["instance", "migrate", instance, "-n", target, "--yes"],
        f"INSTANCE_MIGRATE({instance})",
        target.split(".")[0],
    )
    truth = _check_cli_against_truth(done, jobs, client)
    placed = client.instances.get(instance)
    assert placed.pnode == (target if truth.status == "success" else source)
    print(f"migrate: {truth.status}; {done.stderr.strip().splitlines()[-1:]}")


def test_link_cut_during_evacuate(lab: Lab, client: RapiClient, instance: str) -> None:
    """gnt-py node evacuate -p on the instance's node while that node's link is down:
    Ganeti's verdict (of the evacuation and of the child jobs it spawned) is what the
    CLI reports; one evacuation job exists."""
    source = client.instances.get(instance).pnode
    assert source is not None
    done, jobs = _run_cli_cutting_link(
        lab,
        client,
        ["node", "evacuate", source, "-p", "--yes"],
        "NODE_EVACUATE",
        source.split(".")[0],
    )
    truth = _check_cli_against_truth(done, jobs, client)
    print(f"evacuate: {truth.status}; {done.stderr.strip().splitlines()[-1:]}")
