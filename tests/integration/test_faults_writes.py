"""Exactly-once writes and TLS trust, through a real proxy in front of the lab's RAPI.

The proxy (:mod:`tests.integration.rapi_proxy`) is the project's own TLS-terminating
proxy on the lab path (127.0.0.1 -> the lab's RAPI address). It loses the answer of
a chosen request by resetting the client's TCP connection after the request was
sent: a real lost answer against the real ganeti-rapi, not a mock. The clients
trust the proxy's own certificate (pinned) for these tests; the last test pins the
lab's certificate instead and shows the proxy refused as a man in the middle.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ganetiops import errors
from ganetiops.lab import Lab, LabFacts
from ganetiops.rapi import AsyncRapiClient, RapiClient
from tests.integration.rapi_proxy import RapiProxy

pytestmark = pytest.mark.integration


@pytest.fixture
def proxy(lab: Lab, lab_facts: LabFacts, tmp_path: Path) -> Iterator[RapiProxy]:
    cluster = lab_facts.cluster
    assert cluster is not None
    parts = urllib.parse.urlsplit(cluster.url)
    assert parts.hostname and parts.port
    lab.check_route(parts.hostname)  # the proxy talks to the lab's own address only
    with RapiProxy((parts.hostname, parts.port), cluster.certificate_sha256, tmp_path) as p:
        yield p


def _options(facts: LabFacts, sha256: str) -> dict[str, Any]:
    assert facts.cluster is not None
    return {
        "user": facts.cluster.user("write").name,
        "password": facts.cluster.password("write"),
        "certificate_sha256": sha256,
    }


def _jobs_with(client: RapiClient, token: str) -> list[int]:
    return client.jobs.find(token)


def _cleanup_group(client: RapiClient, name: str) -> None:
    if name in client.groups.names():
        client.groups.remove(name).wait(timeout=120)


def test_lost_answer_of_a_sent_create_finds_the_one_job(
    proxy: RapiProxy, lab_facts: LabFacts
) -> None:
    """POST /2/groups reaches Ganeti, the answer is reset: the client returns the job
    Ganeti made (the id Ganeti answered), and exactly one job carries the request id."""
    name = "faultgrp1"
    with RapiClient(proxy.url, **_options(lab_facts, proxy.sha256)) as client:
        _cleanup_group(client, name)
        proxy.arm("after_forward", lambda m, p: (m, p) == ("POST", "/2/groups"))
        try:
            job = client.groups.create(name)
            assert len(proxy.lost) == 1 and proxy.lost[0].status == 200
            assert job.id == int(proxy.lost[0].body)  # the id Ganeti sent, never received
            posts = [f for f in proxy.forwarded if f[0] == "POST"]
            assert posts == []  # the POST went out once: never re-sent
            info = client.jobs.get(job.id)
            trail = info.ops[0]["reason"][0][1]
            request_id = re.search(r"rid=([0-9a-f]{32})", trail)
            assert request_id is not None
            assert _jobs_with(client, request_id.group(0)) == [job.id]  # exactly one job
            job.wait(timeout=120)
            assert name in client.groups.names()
        finally:
            _cleanup_group(client, name)


def test_lost_answer_of_a_request_that_never_arrived_is_outcome_unknown(
    proxy: RapiProxy, lab_facts: LabFacts
) -> None:
    """The request is reset before Ganeti sees it: no job exists, the client says the
    outcome is unknown with the request id and how to look, and nothing was re-sent."""
    name = "faultgrp2"
    with RapiClient(proxy.url, lookup_window=3.0, **_options(lab_facts, proxy.sha256)) as client:
        before = set(client.jobs.ids())
        proxy.arm("before_forward", lambda m, p: (m, p) == ("POST", "/2/groups"))
        with pytest.raises(errors.OutcomeUnknown) as caught:
            client.groups.create(name)
        exc = caught.value
        assert exc.request_id and re.fullmatch(r"[0-9a-f]{32}", exc.request_id)
        assert f"gnt-py job find {exc.request_id}" in str(exc)
        assert exc.sent
        assert [f for f in proxy.forwarded if f[0] == "POST"] == []  # not re-sent
        assert client.jobs.find(exc.request_id) == []
        assert name not in client.groups.names()
        assert set(client.jobs.ids()) - before == set()  # no job was made


def test_async_client_reconciles_a_lost_answer_too(proxy: RapiProxy, lab_facts: LabFacts) -> None:
    """The same flow drives the async client: a cluster tag job, answer lost, found."""
    tag = "fault:async-lost-answer"

    async def scenario() -> tuple[int, list[int]]:
        async with AsyncRapiClient(proxy.url, **_options(lab_facts, proxy.sha256)) as client:
            proxy.arm("after_forward", lambda m, p: (m, p) == ("PUT", "/2/tags"))
            job = await client.cluster.add_tags([tag])
            await job.wait(timeout=120)
            tags = await client.cluster.tags()
            remove = await client.cluster.remove_tags([tag])
            await remove.wait(timeout=120)
            return job.id, [1 for t in tags if t == tag]

    job_id, present = asyncio.run(scenario())
    assert proxy.lost and job_id == int(proxy.lost[0].body)
    assert present == [1]


def test_cli_reports_outcome_unknown_and_job_find_finds_it(
    proxy: RapiProxy, lab_facts: LabFacts, tmp_path: Path
) -> None:
    """gnt-py through the proxy: a lost answer is found and the command succeeds; then
    ``gnt-py job find RID`` lists that one job."""
    name = "faultgrp3"
    config = tmp_path / "config.toml"
    assert lab_facts.cluster is not None
    password_file = lab_facts.cluster.user("write").password_file
    config.write_text(
        "current-context = 'proxy'\n[contexts.proxy]\n"
        f"url = '{proxy.url}'\nuser = '{lab_facts.cluster.user('write').name}'\n"
        f"password = {{ file = '{password_file}' }}\n"
        f"certificate-sha256 = '{proxy.sha256}'\n"
    )
    config.chmod(0o600)
    env = {"GANETIOPS_CONFIG": str(config), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    gnt = [sys.executable, "-m", "ganetiops.cli"]
    proxy.arm("after_forward", lambda m, p: (m, p) == ("POST", "/2/groups"))
    try:
        done = subprocess.run(
            [*gnt, "group", "add", name], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        assert proxy.lost
        job_id = int(proxy.lost[0].body)
        with RapiClient(proxy.url, **_options(lab_facts, proxy.sha256)) as client:
            trail = client.jobs.get(job_id).ops[0]["reason"][0][1]
        request_id = trail.rsplit("rid=", 1)[1]
        found = subprocess.run(
            [*gnt, "--format", "json", "job", "find", request_id],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert found.returncode == 0, found.stderr
        assert re.search(rf'"id":\s*{job_id}\b', found.stdout), found.stdout
        missing = subprocess.run(
            [*gnt, "job", "find", "0" * 32], env=env, capture_output=True, text=True, timeout=60
        )
        assert missing.returncode == 7 and "Traceback" not in missing.stderr
    finally:
        with RapiClient(proxy.url, **_options(lab_facts, proxy.sha256)) as client:
            _cleanup_group(client, name)


def test_a_man_in_the_middle_is_refused_naming_both_fingerprints(
    proxy: RapiProxy, lab_facts: LabFacts
) -> None:
    """Pinned to the lab's certificate, the client refuses the proxy's own one; the
    message names the pinned and the presented fingerprint; no request was relayed."""
    assert lab_facts.cluster is not None
    options = _options(lab_facts, lab_facts.cluster.certificate_sha256)
    with RapiClient(proxy.url, **options) as c, pytest.raises(errors.CertificateError) as caught:
        c.groups.create("faultgrp-mitm")
    text = str(caught.value)
    assert lab_facts.cluster.certificate_sha256 in text and proxy.sha256 in text
    assert proxy.forwarded == [] and proxy.lost == []
