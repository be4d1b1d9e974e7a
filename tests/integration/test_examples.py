"""The example scripts, run as a user runs them, against the lab."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ganetiops.lab import Lab, LabFacts
from ganetiops.rapi import RapiClient

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO = "exdemo1"


def run_example(lab: Lab, script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "GNTPY_CONTEXT": lab.facts().name},
        check=False,
    )
    assert done.returncode == 0, f"{script} exited {done.returncode}:\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def demo(lab: Lab, lab_facts: LabFacts) -> Iterator[tuple[str, str]]:
    """A running diskless instance on a non-master node: (instance, node)."""
    assert lab_facts.cluster is not None
    node = next(n.fqdn for n in lab_facts.nodes if n.fqdn != lab_facts.cluster.master)
    with RapiClient.from_context(lab_facts.name) as client:
        if DEMO in client.instances.names():
            client.instances.remove(DEMO).wait(timeout=300)
        client.instances.create(
            DEMO,
            disk_template="diskless",
            disks=[],
            nics=[{}],
            os="noop",
            name_check=False,  # names not in DNS: as gnt-instance add --no-name-check
            ip_check=False,
            pnode=node,
            beparams={"memory": "128M"},
        ).wait(timeout=300)
        yield DEMO, node
        client.instances.remove(DEMO).wait(timeout=300)


def test_inspect_cluster(lab: Lab, lab_facts: LabFacts, demo: tuple[str, str]) -> None:
    out = run_example(lab, "inspect_cluster.py")
    for node in lab_facts.nodes:
        assert node.fqdn in out
        assert node.primary_ip in out
    assert demo[0] in out
    assert "N+1 redundancy:" in out


def test_inspect_cluster_async(lab: Lab, lab_facts: LabFacts, demo: tuple[str, str]) -> None:
    out = run_example(lab, "inspect_cluster_async.py")
    assert f"{len(lab_facts.nodes)} nodes" in out
    assert "6 requests at once" in out
    assert demo[0] in out


def test_rolling_drain(lab: Lab, demo: tuple[str, str]) -> None:
    instance, node = demo
    out = run_example(lab, "rolling_drain.py", "--node", node)
    lines = out.splitlines()
    first = next(line for line in lines if "running primaries" in line)
    assert f"'{instance}'" in first  # other tests' instances may be there too
    assert f"primaries left on {node}: none" in out
    last = next(line for line in lines if "hosts again" in line)
    assert last.startswith(f"node {node} hosts again:")
    assert f"'{instance}'" in last
    with RapiClient.from_context(lab.facts().name) as client:
        assert client.instances.get(instance).pnode == node
        assert not client.nodes.get(node).drained


def test_batch_instances(lab: Lab) -> None:
    out = run_example(lab, "batch_instances.py", "--count", "3", "--prefix", "exbatch")
    assert "created 3 instances" in out
    assert "removed 3 instances" in out
    for i in (1, 2, 3):
        assert f"exbatch{i}" in out
    with RapiClient.from_context(lab.facts().name) as client:
        assert not [n for n in client.instances.names() if n.startswith("exbatch")]
