"""Planning ``instance create`` for netboot: every refusal happens before any change.

Unit tests are pure, so the cluster here is a small fake RAPI server (an
``httpx.MockTransport`` answering the few GETs a plan makes) and the boot server a
temporary directory; the real cluster and boot server are exercised by
tests/integration/test_netboot.py. The fake refuses every write: a plan must not send one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ganetiops.errors import ValidationError
from ganetiops.netboot.classes import find_local_class, plan_publish, publish
from ganetiops.netboot.create import CreateRequest, memory_floor, plan_create
from ganetiops.rapi import RapiClient
from tests.unit.netboot_helpers import FakeBoot, make_class

MIB = 1 << 20


class FakeCluster:
    def __init__(self, *, templates: tuple[str, ...] = ("drbd",), iallocator: str = "") -> None:
        self.instances: dict[str, dict[str, Any]] = {}
        self.templates = templates
        self.iallocator = iallocator
        self.oses = ["noop", "pxe"]
        self.writes: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method != "GET":
            self.writes.append(f"{request.method} {path}")
            return httpx.Response(500, json={"message": "no writes in a plan"})
        if path == "/2/info":
            return self._json(
                {
                    "software_version": "3.0.2",
                    "enabled_disk_templates": list(self.templates),
                    "default_iallocator": self.iallocator,
                    "beparams": {"default": {"maxmem": 128, "minmem": 128, "vcpus": 1}},
                    "nicparams": {"default": {"mode": "bridged", "link": "br0"}},
                }
            )
        if path == "/2/instances":
            return self._json([{"id": n, "uri": f"/2/instances/{n}"} for n in self.instances])
        if path.startswith("/2/instances/"):
            name = path.rsplit("/", 1)[1]
            if name in self.instances:
                return self._json(self.instances[name])
            return httpx.Response(404, json={"message": "Not Found", "code": 404})
        if path == "/2/os":
            return self._json(self.oses)
        if path == "/2/networks":
            return self._json([{"name": "prod", "uri": "/2/networks/prod"}])
        return httpx.Response(404, json={"message": "Not Found", "code": 404})

    @staticmethod
    def _json(data: Any) -> httpx.Response:
        return httpx.Response(200, content=json.dumps(data).encode())

    def client(self) -> RapiClient:
        return RapiClient(
            "https://gnt.test:5080",
            user="u",
            password="p",
            insecure=True,
            transport=httpx.MockTransport(self.handle),
        )


@pytest.fixture
def fake(tmp_path: Path) -> FakeBoot:
    boot = FakeBoot(tmp_path / "boot")
    client = boot.client()
    local = find_local_class(make_class(tmp_path / "navidrome", store=b"x" * (300 * MIB // 100)))
    publish(client, plan_publish(client, local))
    (boot.web / "keys/navidrome.tar.gz").write_bytes(b"present")
    return boot


def _plan(fake: FakeBoot, cluster: FakeCluster, **kw: Any) -> Any:
    request = CreateRequest(**{"name": "navidrome", "iallocator": "hail", **kw})
    plan = plan_create(cluster.client(), fake.client(), request)
    assert cluster.writes == []
    return plan


def test_plan_uses_the_cluster_and_the_class(fake: FakeBoot) -> None:
    plan = _plan(fake, FakeCluster())
    assert plan.disk_template == "drbd"
    assert plan.class_name == "navidrome"
    assert plan.memory >= memory_floor(plan.store_size)
    assert plan.nics == ({},)
    assert [s.action for s in plan.steps] == [
        "class",
        "keys",
        "create",
        "wrapper",
        "start",
        "await",
        "clear",
    ]
    assert "mode=bridged,link=br0" in plan.nic_text


def test_existing_instance_is_refused_first(fake: FakeBoot) -> None:
    cluster = FakeCluster()
    cluster.instances["navidrome.homelab.tel"] = {
        "name": "navidrome.homelab.tel",
        "os": "pxe",
        "pnode": "aleph.homelab.tel",
    }
    with pytest.raises(ValidationError, match="already exists"):
        _plan(fake, cluster)


@pytest.mark.parametrize(
    ("kw", "cluster", "message"),
    [
        ({"memory": "4M"}, FakeCluster(), "less than twice store.squashfs"),
        ({"disk": "1G"}, FakeCluster(), "at least"),
        ({"pnode": "aleph", "iallocator": None}, FakeCluster(), "needs a secondary node"),
        ({"iallocator": None}, FakeCluster(), "no default iallocator"),
        ({"disk_template": "plain"}, FakeCluster(), "not enabled"),
        ({}, FakeCluster(templates=("diskless",)), "iPXE image"),
        ({"class_name": "jellyfin"}, FakeCluster(), "not published"),
        ({"network": "missing"}, FakeCluster(), "does not exist"),
        ({"keys": "maybe"}, FakeCluster(), "keys"),
    ],
)
def test_bad_requests_fail_before_any_change(
    fake: FakeBoot, kw: dict[str, Any], cluster: FakeCluster, message: str
) -> None:
    before = sorted(str(p) for p in fake.web.rglob("*"))
    with pytest.raises(ValidationError, match=message):
        _plan(fake, cluster, **kw)
    assert sorted(str(p) for p in fake.web.rglob("*")) == before
    assert cluster.writes == []


def test_missing_keys_and_os(fake: FakeBoot) -> None:
    (fake.web / "keys/navidrome.tar.gz").unlink()
    with pytest.raises(ValidationError, match="netboot keys create navidrome"):
        _plan(fake, FakeCluster())
    plan = _plan(fake, FakeCluster(), keys="create")
    assert plan.create_keys
    cluster = FakeCluster()
    cluster.oses = ["noop"]
    with pytest.raises(ValidationError, match="install-os-provider"):
        _plan(fake, cluster, keys="skip")


def test_no_access_log_means_the_flag_is_left_with_a_note(tmp_path: Path) -> None:
    boot = FakeBoot(tmp_path / "b", access_log=False)
    client = boot.client()
    publish(client, plan_publish(client, find_local_class(make_class(tmp_path / "navidrome"))))
    plan = plan_create(
        FakeCluster().client(),
        client,
        CreateRequest("navidrome", keys="skip", iallocator="hail"),
    )
    assert not plan.wait
    assert any("no access log" in n for n in plan.notes)
    assert plan.steps[-1].action == "flag"


def test_removing_one_of_two_instances_sharing_a_first_label_keeps_the_key_file(
    fake: FakeBoot,
) -> None:
    """navidrome.homelab.tel and navidrome.other.tel share keys/navidrome.tar.gz (what
    the guests fetch by their short hostname): removing one must not remove the other's
    identity."""
    from ganetiops.netboot.lifecycle import plan_remove

    cluster = FakeCluster()
    for name in ("navidrome.homelab.tel", "navidrome.other.tel"):
        cluster.instances[name] = {"name": name, "os": "noop", "pnode": "aleph"}
    plan = plan_remove(cluster.client(), fake.client(), "navidrome.other.tel")
    assert plan.keys is False
    assert not any(step.action == "keys" for step in plan.steps)
    assert any("navidrome.homelab.tel" in note for note in plan.notes), (plan.notes, plan.lines())
    # Alone, an instance's key file goes with it.
    del cluster.instances["navidrome.homelab.tel"]
    alone = plan_remove(cluster.client(), fake.client(), "navidrome.other.tel")
    assert alone.keys is True


def test_an_exact_name_never_finds_another_instance_with_its_first_label(
    fake: FakeBoot,
) -> None:
    from ganetiops.netboot.create import refuse_existing
    from ganetiops.netboot.lifecycle import find_target

    cluster = FakeCluster()
    for name in ("navidrome.homelab.tel", "navidrome.other.tel"):
        cluster.instances[name] = {"name": name, "os": "noop", "pnode": "aleph"}
    target = find_target(cluster.client(), fake.client(), "navidrome.other.tel")
    assert target.name == "navidrome.other.tel"
    del cluster.instances["navidrome.other.tel"]
    # Creating a second machine with the same first label is refused (shared identity).
    with pytest.raises(ValidationError, match="same first label"):
        refuse_existing(cluster.client(), "navidrome.other.tel")
