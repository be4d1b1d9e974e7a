"""``reason`` on reads, on the real lab: a job-submitting GET records it, a plain one cannot.

Ganeti 3.0.2 builds a reason trail only in its generated opcode handlers
(tests/unit/test_rapi_reason.py walks every operation against that rule). Here the
rule is seen on the server: ``GET /2/instances/X/info`` and ``GET /2/nodes/X/storage``
submit a job whose opcode carries the caller's reason first; ``GET /2/os``, which also
runs a job, and ``GET /2/info`` drop a ``?reason=`` sent to them (so ganetiops offers
none there).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ganetiops.lab import Lab, LabFacts
from ganetiops.rapi import RapiClient
from ganetiops.rapi.call import Params, Route, build_call

pytestmark = pytest.mark.integration

NAME = "reason1.homelab.tel"


@pytest.fixture(scope="module")
def client(lab: Lab) -> Iterator[RapiClient]:
    with RapiClient.from_context(lab.name) as rapi:
        yield rapi


@pytest.fixture(scope="module")
def instance(client: RapiClient, lab_facts: LabFacts) -> Iterator[str]:
    """A diskless instance, not started (its info job needs one to exist)."""
    if NAME in client.instances.names():
        client.instances.remove(NAME).wait(timeout=300)
    client.instances.create(
        NAME,
        disk_template="diskless",
        disks=[],
        nics=[{}],
        os="noop",
        name_check=False,  # not in the lab's DNS: as gnt-instance add --no-name-check
        ip_check=False,
        pnode=lab_facts.nodes[1].fqdn,
        start=False,
    ).wait(timeout=300)
    try:
        yield NAME
    finally:
        client.instances.remove(NAME).wait(timeout=300)


def user_entries(client: RapiClient, job_id: int) -> list[list[object]]:
    """Every opcode's ``gnt:user`` reason entries, from ``GET /2/jobs/ID``."""
    ops = client.jobs.get(job_id).ops
    assert ops, f"job {job_id} has no opcodes"
    return [entry for op in ops for entry in op["reason"] if entry[0] == "gnt:user"]


def test_instance_info_records_the_reason_in_its_job(client: RapiClient, instance: str) -> None:
    text = f"audit {uuid.uuid4().hex[:8]}"
    job = client.instances.info(instance, reason=text)
    result = job.wait(timeout=300)
    assert result.value["name"] == instance
    ops = client.jobs.get(job.id).ops
    assert [op["OP_ID"] for op in ops] == ["OP_INSTANCE_QUERY_DATA"]
    trail = ops[0]["reason"]
    # The caller's reason first (with ganetiops' tag and request id), then RAPI's entry.
    assert trail[0][0] == "gnt:user"
    assert re.fullmatch(re.escape(text) + r" \[ganetiops [^\]]+\] rid=[0-9a-f]{32}", trail[0][1])
    assert trail[1][0] == "gnt:library:rlib2:instances_name_info"
    assert client.jobs.find(text) == [job.id]


def test_node_storage_records_the_reason_in_its_job(
    client: RapiClient, lab_facts: LabFacts
) -> None:
    text = f"storage {uuid.uuid4().hex[:8]}"
    node = lab_facts.nodes[0].fqdn
    job = client.nodes.storage(node, storage_type="file", output_fields=["name"], reason=text)
    job.wait(timeout=300)
    entries = user_entries(client, job.id)
    assert len(entries) == 1
    assert str(entries[0][1]).startswith(f"{text} [ganetiops ")


def test_plain_reads_drop_a_reason_sent_to_them(client: RapiClient) -> None:
    """Sent anyway (a hand-made route: ganetiops refuses ``reason=`` on these), over the
    client's pinned TLS: ``/2/os`` runs its diagnose job without the reason, ``/2/info``
    runs no job, and neither reason is in any job's trail."""
    before = max(client.jobs.ids(), default=0)
    marks = []
    for path in ("/2/os", "/2/info"):
        marks.append(f"dropped-{uuid.uuid4().hex[:8]}")
        forced = Route("GET", path, reason=True)  # what ganetiops never declares here
        call = build_call(forced, {}, Params[Any](common={"reason": marks[-1]}), reason=None)
        assert ("reason", marks[-1]) in call.query
        assert client.send(call)
    new = [i for i in client.jobs.ids() if i > before]
    diagnose = [i for i in new if client.jobs.get(i).ops[0]["OP_ID"] == "OP_OS_DIAGNOSE"]
    assert diagnose, f"GET /2/os ran no OS diagnose job (new jobs: {new})"
    for job_id in diagnose:
        assert user_entries(client, job_id) == []
    for mark in marks:
        assert client.jobs.find(mark) == []
