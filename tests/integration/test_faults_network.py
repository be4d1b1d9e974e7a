"""A slow and a lossy RAPI link, on the lab's own links only.

The machine's kernel has no ``netem`` (``CONFIG_NET_SCH_NETEM`` is not set), so delay
and loss are made with what it has, for real: a token bucket (``tc ... tbf``, a slow
link) on both ends of the lab's workstation veth (the host end, recorded in the lab's
record, and its peer inside the lab's switch namespace), and random packet drops
(``iptables -m statistic``) inside the master node's own namespace on RAPI's port.
Nothing outside the lab is touched; everything is removed in ``finally``.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ganetiops import errors
from ganetiops.lab import Lab, LabFacts, topology
from ganetiops.rapi import RapiClient
from tests.integration import faults
from tests.integration.test_faults_daemons import submit_delay

pytestmark = pytest.mark.integration


def _options(facts: LabFacts) -> dict[str, Any]:
    assert facts.cluster is not None
    return {
        "user": facts.cluster.user("write").name,
        "password": facts.cluster.password("write"),
        "certificate_sha256": facts.cluster.certificate_sha256,
    }


def _tc(netns: str | None, *args: str) -> None:
    prefix = ["ip", "netns", "exec", netns] if netns else []
    subprocess.run([*prefix, "tc", *args], check=True, capture_output=True, text=True)


@contextlib.contextmanager
def slow_link(lab: Lab, rate: str = "24kbit") -> Iterator[None]:
    """Both directions of the lab's workstation veth limited to ``rate`` (no drops)."""
    record = lab.record()
    assert record is not None
    host_end = lab.names.workstation_link
    assert host_end in record.links  # the lab's own veth, nothing else
    ends = [(None, host_end), (lab.names.switch_netns, topology.WORKSTATION_PORT)]
    added = []
    try:
        for netns, dev in ends:
            _tc(netns, "qdisc", "add", "dev", dev, "root", "tbf", "rate", rate,
                "burst", "1600", "latency", "30s")  # fmt: skip
            added.append((netns, dev))
        yield
    finally:
        for netns, dev in added:
            _tc(netns, "qdisc", "del", "dev", dev, "root")


@contextlib.contextmanager
def lossy_rapi(lab: Lab, probability: float) -> Iterator[None]:
    """Drop that share of the packets reaching RAPI's port, inside the master's netns."""
    master = faults.master(lab)
    rule = ["INPUT", "-p", "tcp", "--dport", str(topology.RAPI_PORT), "-m", "statistic",
            "--mode", "random", "--probability", f"{probability}", "-j", "DROP"]  # fmt: skip
    lab.run(master, ["iptables", "-I", *rule])
    try:
        yield
    finally:
        lab.run(master, ["iptables", "-D", *rule])


def test_slow_link_read_timeout_and_success(lab: Lab, lab_facts: LabFacts) -> None:
    """On a slow link, ``read_timeout`` is the longest silence allowed while an answer
    arrives: a short one ends a read with RapiTimeoutError (a read, retried
    ``retries`` times, then reported), the defaults ride the slow link to the same answer."""
    assert lab_facts.cluster is not None
    url = lab_facts.cluster.url
    with RapiClient(url, **_options(lab_facts)) as fast:
        expected = sorted(n.name for n in fast.nodes.list())
    with slow_link(lab):
        with RapiClient(url, read_timeout=0.4, retries=1, **_options(lab_facts)) as impatient:
            t0 = time.monotonic()
            with pytest.raises(errors.RapiTimeoutError) as caught:
                impatient.nodes.list()
            took = time.monotonic() - t0
        assert "GET /2/nodes: no answer in time" in str(caught.value)
        assert took < 20
        with RapiClient(url, **_options(lab_facts)) as patient:
            t0 = time.monotonic()
            assert sorted(n.name for n in patient.nodes.list()) == expected
            slow = time.monotonic() - t0
    print(f"bulk node list over the slow link: {slow:.1f} s; short read timeout: {took:.1f} s")


def test_slow_link_job_wait_deadline(lab: Lab, lab_facts: LabFacts) -> None:
    """Job.wait(timeout=T) on a slow link raises JobTimeout at about T (the long poll
    is cut at the deadline), and the job runs on to its real end."""
    assert lab_facts.cluster is not None
    job_id = submit_delay(lab, 15)
    with RapiClient(lab_facts.cluster.url, **_options(lab_facts)) as client:
        with slow_link(lab):
            t0 = time.monotonic()
            with pytest.raises(errors.JobTimeout) as caught:
                client.job(job_id).wait(timeout=4.0)
            took = time.monotonic() - t0
        assert caught.value.job_id == job_id
        assert 4.0 <= took < 4.0 + 8.0
        assert client.job(job_id).wait(timeout=120).info.status == "success"


def test_lossy_link_reads_and_one_job_per_write(lab: Lab, lab_facts: LabFacts) -> None:
    """With 15 % of RAPI's packets dropped, TCP recovers: reads succeed, and each
    submitted write makes exactly one job (its request id is in one job only)."""
    assert lab_facts.cluster is not None
    tags = [f"fault:lossy{i}" for i in range(3)]
    with RapiClient(lab_facts.cluster.url, **_options(lab_facts)) as client:
        names = sorted(client.nodes.names())
        with lossy_rapi(lab, 0.15):
            for _ in range(5):
                assert sorted(client.nodes.names()) == names
            jobs = [client.cluster.add_tags([tag]) for tag in tags]
            for job in jobs:
                job.wait(timeout=180)
        for job in jobs:
            trail = client.jobs.get(job.id).ops[0]["reason"][0][1]
            assert client.jobs.find(trail.rsplit(" ", 1)[1]) == [job.id]
        assert set(tags) <= set(client.cluster.tags())
        client.cluster.remove_tags(tags).wait(timeout=120)
