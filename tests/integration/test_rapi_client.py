"""Both RAPI clients against the lab's real Ganeti 3.0.2 (issue 3's checklist).

Everything here talks to ganeti-rapi on the lab's master over HTTPS with the
pinned certificate; nothing is mocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from ganetiops import errors
from ganetiops.lab import Lab, LabFacts
from ganetiops.rapi import AsyncJob, AsyncRapiClient, RapiClient
from ganetiops.rapi.models import LogEntry, Model
from ganetiops.rapi.namespace import Namespace

pytestmark = pytest.mark.integration

ALEPH, BET, GIMEL = "aleph.homelab.tel", "bet.homelab.tel", "gimel.homelab.tel"


class Blocking:
    """The async client, driven from the same (blocking) test code as the sync client.

    Every call on the wrapped object is awaited on one event loop; namespaces, jobs
    and models come back wrapped too, async iterators as lists. So each scenario
    below runs once through ``RapiClient`` and once through ``AsyncRapiClient``.
    """

    def __init__(self, target: Any, runner: asyncio.Runner) -> None:
        self._target = target
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return self._wrap(value)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._wrap(value(*args, **kwargs))

        return call

    def _wrap(self, value: Any) -> Any:
        if inspect.isawaitable(value):
            value = self._runner.run(_awaited(value))
        if hasattr(value, "__aiter__"):
            value = self._runner.run(_collected(value))
        if isinstance(value, list):
            return [self._wrap(v) for v in value]
        if isinstance(value, Namespace | AsyncJob | AsyncRapiClient) or (
            isinstance(value, Model) and getattr(value, "_namespace", None) is not None
        ):
            return Blocking(value, self._runner)
        return value


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


async def _collected(iterator: Any) -> list[Any]:
    return [item async for item in iterator]


@pytest.fixture(scope="module", params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> Iterator[asyncio.Runner | None]:
    """Which client the module's scenarios run through (each scenario runs with both)."""
    if request.param == "sync":
        yield None
        return
    with asyncio.Runner() as runner:
        yield runner


@contextlib.contextmanager
def _lab_client(facts: LabFacts, access: str, runner: asyncio.Runner | None) -> Iterator[Any]:
    """A client for the lab's ``access`` user: ``RapiClient``, or the wrapped async one."""
    assert facts.cluster is not None
    options: dict[str, Any] = {
        "user": facts.cluster.user(access).name,
        "password": facts.cluster.password(access),
        "certificate_sha256": facts.cluster.certificate_sha256,
    }
    if runner is None:
        with RapiClient(facts.cluster.url, **options) as rapi:
            yield rapi
        return
    wrapped = Blocking(AsyncRapiClient(facts.cluster.url, **options), runner)
    try:
        yield wrapped
    finally:
        wrapped.aclose()


@pytest.fixture(scope="module")
def client(lab: Lab, lab_facts: LabFacts, flavour: asyncio.Runner | None) -> Iterator[Any]:
    """``RapiClient`` or (wrapped) ``AsyncRapiClient`` for the lab's write user."""
    with _lab_client(lab_facts, "write", flavour) as rapi:
        yield rapi


@pytest.fixture
async def aclient(lab: Lab) -> AsyncIterator[AsyncRapiClient]:
    async with AsyncRapiClient.from_context(lab.name) as rapi:
        yield rapi


@pytest.fixture(scope="module")
def readonly(lab_facts: LabFacts, flavour: asyncio.Runner | None) -> Iterator[Any]:
    """The same, for the lab's read-only user."""
    with _lab_client(lab_facts, "read", flavour) as rapi:
        yield rapi


def _cleanup(client: RapiClient, name: str) -> None:
    if name in client.instances.names():
        client.instances.remove(name).wait(timeout=120)


def test_cluster_info_features_and_os_list(client: RapiClient, lab_facts: LabFacts) -> None:
    info = client.cluster.info()
    assert info.name == "gnt.homelab.tel"
    assert info.version == (3, 0, 2)
    assert info.master == ALEPH or info.master in {n.fqdn for n in lab_facts.nodes}
    assert set(info.enabled_disk_templates) >= {"diskless", "file", "sharedfile"}
    assert "instance-create-reqv1" in client.cluster.features()
    assert client.cluster.version() == 2
    assert {"noop", "pxe"} <= {os.name for os in client.os.list()}
    nodes = {n.name: n for n in client.nodes.list()}
    assert set(nodes) == {n.fqdn for n in lab_facts.nodes}
    for fact in lab_facts.nodes:
        assert (nodes[fact.fqdn].pip, nodes[fact.fqdn].sip) == (fact.primary_ip, fact.secondary_ip)


async def test_async_and_sync_clients_read_the_same_cluster(
    aclient: AsyncRapiClient, lab: Lab
) -> None:
    # Its own sync client: the module's ``client`` may be the async one, whose
    # event loop cannot run inside this test's.
    with RapiClient.from_context(lab.name) as client:
        info = await aclient.cluster.info()
        assert info.uuid == client.cluster.info().uuid
        assert sorted(await aclient.nodes.names()) == sorted(client.nodes.names())
        assert {o.name for o in await aclient.os.list()} == {o.name for o in client.os.list()}


def test_instance_lifecycle(client: RapiClient) -> None:
    name = "inst1.homelab.tel"
    logs: list[LogEntry] = []
    try:
        job = client.instances.create(
            name,
            disk_template="sharedfile",
            disks=["1G"],
            nics=[{"link": "br0"}],
            os="noop",
            pnode=ALEPH,
            beparams={"maxmem": "256M", "minmem": "128M", "vcpus": 1},
            reason="lifecycle test",
        )
        result = job.wait(timeout=300, on_log=logs.append)
        assert result.value == [ALEPH]
        assert any("starting instance" in e.text for e in logs)
        # The final info carries the log the wait delivered: Ganeti's whole log, in order.
        full = [e.serial for e in client.jobs.get(job.id).log]
        assert [e.serial for e in result.info.log] == [e.serial for e in logs] == full
        trail = client.jobs.get(job.id).ops[0]["reason"]
        assert trail[0][0] == "gnt:user"
        # ganetiops' tag, then the request id that finds the job if the answer is lost
        assert re.fullmatch(r"lifecycle test \[ganetiops 0\.1\.0\] rid=[0-9a-f]{32}", trail[0][1])

        inst = client.instances.get(name)
        assert (inst.status, inst.pnode, inst.os) == ("running", ALEPH, "noop")
        assert inst.disks[0].size == 1024 and inst.memory == 256 and inst.mac

        changes = inst.modify(beparams={"maxmem": "512M"}).wait(timeout=120).value
        assert ["be/maxmem", 512] in changes
        assert client.instances.get(name).memory == 512

        inst.reboot(type="soft").wait(timeout=120)
        client.instances.add_tags(name, ["role:test", "owner:ganetiops"]).wait(timeout=60)
        assert set(client.instances.tags(name)) == {"role:test", "owner:ganetiops"}
        client.instances.remove_tags(name, ["role:test"]).wait(timeout=60)
        assert client.instances.tags(name) == ["owner:ganetiops"]

        inst.migrate(target_node=BET).wait(timeout=300)
        assert client.instances.get(name).pnode == BET
        inst.failover(target_node=GIMEL).wait(timeout=300)
        moved = client.instances.get(name)
        assert (moved.pnode, moved.status) == (GIMEL, "running")

        client.instances.grow_disk(name, 0, "512M").wait(timeout=120)
        assert client.instances.get(name).disks[0].size == 1536

        inst.shutdown(timeout=10).wait(timeout=120)
        assert client.instances.get(name).status == "ADMIN_down"
        client.instances.reinstall(name, os="noop", start=False).wait(timeout=300)
        renamed = "inst2.homelab.tel"
        assert client.instances.rename(name, renamed).result(timeout=120) == renamed
        name = renamed
        client.instances.startup(name).wait(timeout=120)
        assert client.instances.get(name).is_running
        client.instances.remove(name).wait(timeout=120)
        with pytest.raises(errors.RapiNotFoundError):
            client.instances.get(name)
    finally:
        _cleanup(client, name)


async def test_async_lifecycle_runs_jobs_concurrently(aclient: AsyncRapiClient) -> None:
    names = [f"inst{i}.homelab.tel" for i in (3, 4, 5)]

    async def one(name: str) -> str:
        job = await aclient.instances.create(
            name,
            disk_template="diskless",
            disks=[],
            nics=[{}],
            os="noop",
            pnode=ALEPH,
            start=False,
            beparams={"maxmem": 128, "minmem": 128},
        )
        await job.wait(timeout=300)
        inst = await aclient.instances.get(name)
        await (await aclient.instances.startup(inst.name)).wait(timeout=120)
        entries = [e async for e in (await aclient.instances.shutdown(name)).logs(timeout=120)]
        assert all(isinstance(e, LogEntry) for e in entries)
        await (await aclient.instances.remove(name)).wait(timeout=120)
        return inst.status or ""

    statuses = await asyncio.gather(*(one(n) for n in names))
    assert statuses == ["ADMIN_down"] * 3
    assert not set(names) & set(await aclient.instances.names())


def test_failed_job_raises_with_the_ganeti_error_code(client: RapiClient) -> None:
    name = "inst6.homelab.tel"
    try:
        job = client.instances.create(
            name,
            disk_template="diskless",
            disks=[],
            nics=[{"link": "br-missing"}],
            os="noop",
            pnode=ALEPH,
            start=False,
        )
        with pytest.raises(errors.JobFailed) as failure:
            job.wait(timeout=120)
        assert failure.value.error_code == "environment_error"
        assert failure.value.error_class == "OpPrereqError"
        assert "br-missing" in failure.value.error_message
        assert failure.value.job_id == job.id
    finally:
        _cleanup(client, name)


def test_bad_input_is_refused_before_sending(client: RapiClient) -> None:
    before = client.jobs.ids()
    with pytest.raises(errors.ValidationError, match="not enabled"):
        client.instances.create(
            "inst7.homelab.tel", disk_template="drbd", disks=["1G"], os="noop", iallocator="hail"
        )
    with pytest.raises(errors.ValidationError):
        client.instances.create(
            "bad name", disk_template="diskless", disks=[], os="noop", pnode=ALEPH
        )
    with pytest.raises(errors.ValidationError, match=r"needs Ganeti 3\.1"):
        client.networks.rename("net1", "net2")
    assert client.jobs.ids() == before


def test_http_errors_are_typed(
    client: RapiClient, lab_facts: LabFacts, readonly: RapiClient
) -> None:
    with pytest.raises(errors.RapiNotFoundError) as missing:
        client.instances.get("no-such-instance.homelab.tel")
    assert missing.value.status == 404
    assert lab_facts.cluster is not None
    with RapiClient(
        lab_facts.cluster.url,
        user="gnt-py",
        password="wrong",
        certificate_sha256=lab_facts.cluster.certificate_sha256,
        retries=0,
    ) as bad:
        with pytest.raises(errors.RapiAuthError) as denied:
            bad.cluster.info()
        assert denied.value.status == 401
    with pytest.raises(errors.RapiForbiddenError) as forbidden:
        readonly.cluster.add_tags(["nope"])
    assert forbidden.value.status == 403


def test_read_only_user_waits_by_polling(client: RapiClient, readonly: RapiClient) -> None:
    job = client.cluster.add_tags(["ro-wait"])
    started = time.monotonic()
    result = readonly.job(job.id).wait(timeout=120)
    assert result.info.status == "success"
    assert time.monotonic() - started < 30
    assert "ro-wait" in readonly.cluster.tags()
    client.cluster.remove_tags(["ro-wait"]).wait(timeout=60)


def test_long_poll_reports_completion_promptly(client: RapiClient) -> None:
    lags = []
    for i in range(3):
        result = client.cluster.add_tags([f"lag-{i}"]).wait(timeout=60)
        assert result.info.end_ts is not None
        lags.append(time.time() - result.info.end_ts)
    client.cluster.remove_tags([f"lag-{i}" for i in range(3)]).wait(timeout=60)
    # Not a timing assertion on speed: a poller with a 5 s period could not do this.
    assert min(lags) < 2.5


def test_jobs_list_get_and_unknown_ids(client: RapiClient) -> None:
    job = client.cluster.add_tags(["jobs-test"])
    job.wait(timeout=60)
    assert job.id in client.jobs.ids()
    listed = {j.id: j for j in client.jobs.list()}
    assert listed[job.id].status == "success"
    got = client.jobs.get(job.id)
    assert got.summary and got.summary[0].startswith("TAGS_SET")
    assert not client.jobs.get(987654).exists
    with pytest.raises(errors.JobNotFound):
        client.job(987654).wait(timeout=30)
    client.cluster.remove_tags(["jobs-test"]).wait(timeout=60)


def test_filters_and_cancel(client: RapiClient) -> None:
    uuid = client.filters.add(
        priority=1,
        predicates=[["opcode", ["=", "OP_ID", "OP_TAGS_SET"]]],
        action="PAUSE",
        reason="hold tag jobs",
    )
    try:
        assert uuid in client.filters.uuids()
        rule = client.filters.get(uuid)
        assert rule.action == "PAUSE" and rule.priority == 1
        job = client.cluster.add_tags(["held"])
        time.sleep(1)
        assert job.info().status in ("queued", "waiting")
        ok, message = job.cancel()
        assert ok, message
        with pytest.raises(errors.JobCanceled):
            job.wait(timeout=60)
        assert client.filters.replace(uuid, priority=2, action="CONTINUE") == uuid
        assert client.filters.get(uuid).priority == 2
    finally:
        client.filters.delete(uuid)
    assert uuid not in client.filters.uuids()
    assert "held" not in client.cluster.tags()


def test_query_and_query_fields(client: RapiClient, lab_facts: LabFacts) -> None:
    aleph_ip = next(n.primary_ip for n in lab_facts.nodes if n.fqdn == ALEPH)
    result = client.query.query("node", ["name", "pip", "role"], ["=", "name", ALEPH])
    assert result.records() == [{"name": ALEPH, "pip": aleph_ip, "role": "M"}]
    everything = client.query.get("node", ["name", "master_candidate"])
    assert len(everything.rows) == 4
    fields = {f.name: f for f in client.query.fields("instance", ["name", "pnode"])}
    assert set(fields) == {"name", "pnode"} and fields["pnode"].title


def test_groups(client: RapiClient) -> None:
    assert "default" in client.groups.names()
    client.groups.create("rack2", alloc_policy="last_resort").wait(timeout=60)
    try:
        group = client.groups.get("rack2")
        assert group.alloc_policy == "last_resort" and group.node_cnt == 0
        client.groups.modify("rack2", alloc_policy="preferred").wait(timeout=60)
        client.groups.rename("rack2", "rack3").wait(timeout=60)
        assert client.groups.get("rack3").alloc_policy == "preferred"
        client.groups.add_tags("rack3", ["floor:1"]).wait(timeout=60)
        assert client.groups.tags("rack3") == ["floor:1"]
    finally:
        for name in ("rack2", "rack3"):
            if name in client.groups.names():
                client.groups.remove(name).wait(timeout=60)
    assert not {"rack2", "rack3"} & set(client.groups.names())


def test_networks(client: RapiClient) -> None:
    client.networks.create(
        "svc", "192.0.2.0/24", gateway="192.0.2.1", add_reserved_ips=["192.0.2.10"]
    ).wait(timeout=60)
    try:
        net = client.networks.get("svc")
        assert (net.network, net.gateway) == ("192.0.2.0/24", "192.0.2.1")
        client.networks.connect("svc", "default", mode="bridged", link="br0").wait(timeout=60)
        assert [c.group for c in client.networks.get("svc").connections] == ["default"]
        client.networks.modify("svc", remove_reserved_ips=["192.0.2.10"], reason="free .10").wait(
            timeout=60
        )
        client.networks.disconnect("svc", "default").wait(timeout=60)
        assert client.networks.get("svc").connections == ()
    finally:
        client.networks.remove("svc").wait(timeout=60)
    assert "svc" not in client.networks.names()


def test_node_role_evacuate_and_migrate(client: RapiClient) -> None:
    names = ["inst8.homelab.tel", "inst9.homelab.tel"]
    try:
        for name in names:
            client.instances.create(
                name,
                disk_template="sharedfile",
                disks=["1G"],
                nics=[{}],
                os="noop",
                pnode=BET,
                beparams={"maxmem": 128, "minmem": 128},
            ).wait(timeout=300)
        migrated = client.nodes.migrate(BET, target_node=GIMEL).wait(timeout=600)
        assert len(migrated.children) == 2
        assert all(c.status == "success" for c in migrated.children)
        assert {client.instances.get(n).pnode for n in names} == {GIMEL}

        evacuated = client.nodes.evacuate(GIMEL, mode="primary-only", iallocator="hail").wait(
            timeout=600
        )
        assert len(evacuated.children) == 2
        assert GIMEL not in {client.instances.get(n).pnode for n in names}

        client.nodes.set_role(GIMEL, "drained").wait(timeout=60)
        assert client.nodes.role(GIMEL) == "drained"
        assert client.nodes.get(GIMEL).drained
        client.nodes.set_role(GIMEL, "master-candidate").wait(timeout=60)
        assert client.nodes.role(GIMEL) == "master-candidate"
    finally:
        for name in names:
            _cleanup(client, name)
