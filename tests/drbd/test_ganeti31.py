"""The RAPI client against real Ganeti 3.1 (Debian trixie's 3.1.0~rc2) in the DRBD tier.

One two-node 3.1 cluster (two QEMU/TCG VMs, aleph and bet, the trixie image, the
project's own bootstrap) is brought up once for the module and taken down at the end.
The tests
check what the server really answers where 3.1 differs from 3.0.2 (rapi.md §0.1):
the version, the cluster info parsed into the models (tolerant of fields the models
do not name), node and instance lists, a write job waited for with ``Job.wait``
(long-poll ``/2/jobs/ID/wait``), the request id (``rid=``) found again by
``client.jobs.find`` and ``gnt-py job find``, and the changed defaults: an instance
create without ``name_check`` succeeds for a name that does not resolve (3.0.2
defaults to True and fails), with ``name_check=True`` it fails; a modify gets
``hotplug=True``; ``hotplug_if_possible`` is answered 400 by the server and refused by
the client before anything is sent. Then DRBD on 3.1 for real: a ``drbd`` instance
with bet as its secondary, Connected and UpToDate/UpToDate in both nodes'
``/proc/drbd`` and healthy by ``gnt-py drbd status``, failed over, ``verify-disks``
clean, removed with nothing left on either node (the whole DRBD scenario on 3.1 is
``GANETIOPS_DRBD_RELEASE=trixie`` on ``tests/drbd/test_drbd_ops.py``).

``GANETIOPS_DRBD31_LAB_REUSE=<name>`` uses that running 3.1 lab as it is (and never
takes it down); the lab's name otherwise is ``GANETIOPS_DRBD31_LAB`` or the first 8
characters of ``GANETIOPS_LAB`` + ``xt`` (``labxt``, which ``.ci/run``'s cleanup also
takes down), on a free address-plan slot (``GANETIOPS_DRBD31_LAB_SLOT`` picks one).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import attrs
import httpx
import pytest

from ganetiops.errors import JobFailed, RapiError, ValidationError
from ganetiops.lab.vm import DrbdLab
from ganetiops.rapi import RapiClient
from ganetiops.rapi.models.cluster import ClusterInfo
from tests.drbd.conftest import module_lab

pytestmark = pytest.mark.integration

ENV_NAME = "GANETIOPS_DRBD31_LAB"
ENV_REUSE = "GANETIOPS_DRBD31_LAB_REUSE"
ENV_SLOT = "GANETIOPS_DRBD31_LAB_SLOT"
RELEASE = "trixie"
MASTER = "aleph.homelab.tel"
SECOND = "bet.homelab.tel"
DRBD_INSTANCE = "drbd31.homelab.tel"
#: Not in the lab's /etc/hosts (checked on the node), and no DNS answers in the lab.
UNRESOLVABLE = "nodns31.homelab.tel"
JOB_TIMEOUT = 900.0


@pytest.fixture(scope="module")
def lab31(pytestconfig: pytest.Config) -> Iterator[DrbdLab]:
    """A two-node Ganeti 3.1 cluster in the DRBD tier (see the module docstring)."""
    yield from module_lab(
        pytestconfig,
        name=os.environ.get(ENV_NAME) or f"{(os.environ.get('GANETIOPS_LAB') or 'lab')[:8]}xt",
        release=RELEASE,
        reuse_env=ENV_REUSE,
        slot_env=ENV_SLOT,
        nodes=2,
        title="Ganeti 3.1 lab",
    )


@attrs.define
class Seen:
    """The requests a client sent (method and path), recorded by an httpx hook."""

    requests: list[tuple[str, str]] = attrs.field(factory=list)

    def hook(self, request: httpx.Request) -> None:
        self.requests.append((request.method, request.url.path))


@pytest.fixture(scope="module")
def seen() -> Seen:
    return Seen()


@pytest.fixture(scope="module")
def rapi31(lab31: DrbdLab, seen: Seen) -> Iterator[RapiClient]:
    with lab31.cluster().client(read_timeout=120.0) as client:
        client._http.event_hooks["request"].append(seen.hook)
        yield client


def test_version_and_features(lab31: DrbdLab, rapi31: RapiClient) -> None:
    assert rapi31.cluster.version() == 2
    features = rapi31.cluster.features()
    # 3.1 kept 3.0's four feature strings: they cannot tell the versions apart.
    assert set(features) >= {"instance-create-reqv1", "instance-reinstall-reqv1"}
    version = rapi31.facts(refresh=True).version
    assert version[:2] == (3, 1), f"expected Ganeti 3.1, the server says {version}"
    assert lab31.facts().ganeti.startswith("3.1")


def test_cluster_info_parses_into_the_model(rapi31: RapiClient) -> None:
    info = rapi31.cluster.info()
    assert isinstance(info, ClusterInfo)
    assert info.software_version is not None and info.software_version.startswith("3.1")
    assert info.name == "gnt.homelab.tel"
    assert info.master == MASTER
    assert set(info.enabled_disk_templates) == {"drbd", "plain"}
    assert info.enabled_hypervisors == ("fake",)
    assert info.volume_group_name == "xenvg"
    assert info.ipolicy, "ipolicy missing from the parsed info"
    # A key the model does not name (3.1's own, or one a later version adds) stays in
    # raw and changes nothing of what the model reads.
    again = ClusterInfo.from_api({**info.raw, "added_in_a_later_version": {"x": [1]}})
    assert again.software_version == info.software_version
    assert again.ipolicy == info.ipolicy
    assert again.raw["added_in_a_later_version"] == {"x": [1]}


def test_node_and_instance_lists(rapi31: RapiClient) -> None:
    nodes = rapi31.nodes.list()
    assert sorted(n.name for n in nodes) == [MASTER, SECOND]
    node = rapi31.nodes.get(MASTER)
    assert node.name == MASTER
    assert node.raw.get("master_candidate") is True
    assert all(i.name != UNRESOLVABLE for i in rapi31.instances.list())


def test_write_job_waits_by_long_poll(rapi31: RapiClient, seen: Seen) -> None:
    tag = f"h31-{os.getpid()}"
    job = rapi31.cluster.add_tags([tag])
    seen.requests.clear()
    result = job.wait(JOB_TIMEOUT)
    assert result.info.status == "success"
    assert ("GET", f"/2/jobs/{job.id}/wait") in seen.requests, seen.requests
    assert tag in rapi31.cluster.tags()
    rapi31.cluster.remove_tags([tag]).wait(JOB_TIMEOUT)
    assert tag not in rapi31.cluster.tags()


def test_request_id_finds_the_job(lab31: DrbdLab, rapi31: RapiClient) -> None:
    tag = f"h31rid-{os.getpid()}"
    job = rapi31.cluster.add_tags([tag])
    job.wait(JOB_TIMEOUT)
    trail = " ".join(str(entry[1]) for op in job.info().ops for entry in op.get("reason", ()))
    found = re.search(r"rid=([0-9a-f]{32})", trail)
    assert found, f"3.1 kept no rid= in the job's reason trail: {trail!r}"
    request_id = found.group(1)
    assert rapi31.jobs.find(request_id) == [job.id]
    done = subprocess.run(
        [sys.executable, "-m", "ganetiops.cli", "--context", lab31.name, "--format", "json",
         "job", "find", request_id],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [row["id"] for row in json.loads(done.stdout)] == [job.id]
    rapi31.cluster.remove_tags([tag]).wait(JOB_TIMEOUT)


def test_changed_defaults_name_check_ip_check_hotplug(
    lab31: DrbdLab, rapi31: RapiClient, seen: Seen
) -> None:
    """name_check and ip_check default to False on 3.1 (True on 3.0.2), hotplug to True;
    hotplug_if_possible is gone (400 from the server, refused by the client first)."""
    resolves = lab31.run(MASTER, ["getent", "hosts", UNRESOLVABLE], check=False)
    assert resolves.returncode != 0, f"{UNRESOLVABLE} resolves on the node: {resolves.stdout}"
    common: dict[str, Any] = {"disk_template": "plain", "disks": ["128M"], "nics": [], "os": "noop"}
    # Asked for, the check runs and fails on the name (as 3.0.2 does by default).
    with pytest.raises(JobFailed) as failed:
        rapi31.instances.create(UNRESOLVABLE, name_check=True, pnode=MASTER, **common).wait(
            JOB_TIMEOUT
        )
    assert failed.value.error_class == "OpPrereqError", failed.value
    assert failed.value.error_code == "resolver_error", failed.value
    # Left out, 3.1 fills in False for both and the same create goes through.
    job = rapi31.instances.create(UNRESOLVABLE, pnode=MASTER, start=False, **common)
    create = job.info().ops[0]
    assert (create.get("name_check"), create.get("ip_check")) == (False, False), create
    try:
        job.wait(JOB_TIMEOUT)
        instance = rapi31.instances.get(UNRESOLVABLE)
        assert (instance.name, instance.pnode) == (UNRESOLVABLE, MASTER)
        # A modify without hotplug: 3.1 fills in hotplug=True; the fake hypervisor
        # takes it.
        modify = rapi31.instances.modify(UNRESOLVABLE, beparams={"vcpus": 1})
        op = modify.info().ops[0]
        assert op.get("hotplug") is True and "hotplug_if_possible" not in op, op
        modify.wait(JOB_TIMEOUT)
        # The client refuses hotplug_if_possible before sending anything...
        seen.requests.clear()
        with pytest.raises(ValidationError, match=r"removed in Ganeti 3\.1"):
            rapi31.instances.modify(UNRESOLVABLE, hotplug_if_possible=True, beparams={})
        assert not [r for r in seen.requests if r[0] != "GET"], seen.requests
        # ...because the server answers it with 400 (sent here without the check).
        call = rapi31.instances.modify.call(UNRESOLVABLE, hotplug_if_possible=True)
        with pytest.raises(RapiError) as refused:
            rapi31.send(attrs.evolve(call, precondition=None))
        assert refused.value.status == 400, refused.value
        assert "hotplug_if_possible" in str(refused.value)
    finally:
        if any(i.name == UNRESOLVABLE for i in rapi31.instances.list()):
            rapi31.instances.remove(UNRESOLVABLE).wait(JOB_TIMEOUT)
    assert all(i.name != UNRESOLVABLE for i in rapi31.instances.list())


# --- DRBD on 3.1: create with a named secondary, failover, verify-disks, remove ---------


def _gnt(lab: DrbdLab, *args: str) -> subprocess.CompletedProcess[str]:
    """gnt-py on the lab's context, as a user runs it."""
    argv = [sys.executable, "-m", "ganetiops.cli", "--context", lab.name, *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=JOB_TIMEOUT, check=False)


def _minors(lab: DrbdLab, node: str) -> list[str]:
    """The configured minors' lines of the node's ``/proc/drbd``."""
    text = lab.run(node, ["cat", "/proc/drbd"]).stdout
    return [line for line in text.splitlines() if re.match(r"^\s*\d+: cs:", line)]


def _volumes(lab: DrbdLab, node: str) -> list[str]:
    done = lab.run(node, ["lvs", "--noheadings", "-o", "lv_name", "xenvg"])
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def _drbd_health(lab: DrbdLab) -> dict[str, Any]:
    """``gnt-py drbd status`` for the instance: the library's reading of both nodes."""
    done = _gnt(lab, "--format", "json", "drbd", "status", "-o", "name,state,detail", DRBD_INSTANCE)
    assert done.returncode == 0, done.stderr
    (record,) = json.loads(done.stdout)
    return dict(record)


def _connected(lab: DrbdLab, primary: str) -> None:
    for node in (MASTER, SECOND):
        (line,) = _minors(lab, node)
        assert "cs:Connected" in line and "ds:UpToDate/UpToDate" in line, (node, line)
        role = "ro:Primary/Secondary" if node == primary else "ro:Secondary/Primary"
        assert role in line, (node, line)


def test_drbd_instance_create_failover_verify_remove(lab31: DrbdLab, rapi31: RapiClient) -> None:
    """DRBD 8.4 (kernel 6.12, drbd-utils 9.22) under Ganeti 3.1: what the nodes' kernels
    show, not only what RAPI says."""
    assert not _minors(lab31, MASTER) and not _minors(lab31, SECOND)
    job = rapi31.instances.create(
        DRBD_INSTANCE, disk_template="drbd", disks=["128M"], pnode=MASTER, snode=SECOND,
        nics=[], os="noop", beparams={"memory": "64M"},
    )  # fmt: skip
    # No name_check sent: 3.1 fills in False, so the name need not resolve.
    assert job.info().ops[0].get("name_check") is False
    try:
        job.wait(JOB_TIMEOUT)
        inst = rapi31.instances.get(DRBD_INSTANCE)
        assert (inst.disk_template, inst.pnode, inst.snodes) == ("drbd", MASTER, (SECOND,))
        assert inst.oper_state, inst
        _connected(lab31, MASTER)
        for node in (MASTER, SECOND):
            names = _volumes(lab31, node)
            assert any(n.endswith("_data") for n in names), (node, names)
            assert any(n.endswith("_meta") for n in names), (node, names)
        assert _drbd_health(lab31)["state"] == "healthy"

        rapi31.instances.failover(DRBD_INSTANCE).wait(JOB_TIMEOUT)
        inst = rapi31.instances.get(DRBD_INSTANCE)
        assert (inst.pnode, inst.snodes) == (SECOND, (MASTER,)) and inst.oper_state, inst
        _connected(lab31, SECOND)
        assert _drbd_health(lab31)["state"] == "healthy"

        done = _gnt(lab31, "cluster", "verify-disks")
        text = done.stdout + done.stderr
        assert done.returncode == 0, text
        for problem in ("degraded", "missing", "error", "need activate"):
            assert problem not in text.lower(), text
    finally:
        if any(i.name == DRBD_INSTANCE for i in rapi31.instances.list()):
            rapi31.instances.remove(DRBD_INSTANCE).wait(JOB_TIMEOUT)
    assert all(i.name != DRBD_INSTANCE for i in rapi31.instances.list())
    for node in (MASTER, SECOND):
        assert not _minors(lab31, node), node
        assert not [n for n in _volumes(lab31, node) if n.endswith(("_data", "_meta"))], node
