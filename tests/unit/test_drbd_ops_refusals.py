"""DRBD operations refused before anything is sent: the library's argument checks,
the conversion check against the instance's state, and gnt-py's replace-disks modes.

Each refusal is asserted with its message and with the requests made: nothing is
submitted (the fake RAPI of test_cli_drbd records every request). The operations
themselves run against real DRBD in tests/drbd/test_drbd_ops.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from ganetiops.cli import exits
from ganetiops.cli.instance import replace_mode
from ganetiops.errors import ValidationError
from ganetiops.rapi import RapiClient
from ganetiops.rapi.models import Instance
from ganetiops.rapi.ops.instances import check_conversion
from tests.unit.rapi_helpers import use_fake_cluster
from tests.unit.test_cli_drbd import INSTANCES, FakeRapi, _main

STOPPED = {
    "db2": {
        "name": "db2",
        "pnode": "aleph",
        "snodes": ["bet"],
        "disk_template": "drbd",
        "admin_state": "down",
        "oper_state": False,
    },
    "pl1": {
        "name": "pl1",
        "pnode": "aleph",
        "snodes": [],
        "disk_template": "plain",
        "admin_state": "down",
        "oper_state": False,
    },
}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeRapi:
    server = FakeRapi(json.loads(json.dumps({**INSTANCES, **STOPPED})))
    use_fake_cluster(monkeypatch, tmp_path, server.handler, current=True, auth=True)
    monkeypatch.setenv("GANETIOPS_LAB_ROOT", str(tmp_path / "labs"))
    return server


def gnt(*args: str, input: str | None = None) -> tuple[int, str, str]:
    code: list[int] = []
    result = CliRunner().invoke(_main, list(args), input=input, catch_exceptions=False, obj=code)
    return (code[0] if code else result.exit_code), result.stdout, result.stderr


def sent(planned: Any) -> Any:
    return json.loads(planned.body)


@pytest.fixture
def client() -> RapiClient:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"sent {request.method} {request.url.path}")

    return RapiClient("https://rapi.test:5080", retries=0, transport=httpx.MockTransport(refuse))


# --- the library: arguments alone ----------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"disk_template": "drbd", "pnode": "aleph"}, r"needs a secondary node \(snode\)"),
        ({"disk_template": "drbd", "pnode": "aleph", "snode": "aleph"}, "snode must differ"),
        ({"disk_template": "drbd", "snode": "bet"}, "snode needs pnode"),
        (
            {"disk_template": "drbd", "pnode": "aleph", "iallocator": "hail"},
            "give pnode or iallocator, not both",
        ),
    ],
)
def test_create_drbd_refusals(client: RapiClient, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        client.instances.create.call("db9", disks=["1G"], os="noop", **options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"mode": "replace_on_primary", "remote_node": "gimel"}, "need mode='replace_new"),
        ({"mode": "replace_on_secondary", "iallocator": "hail"}, "need mode='replace_new"),
        ({"remote_node": "gimel"}, "not 'replace_auto'"),
        ({"mode": "replace_new_secondary"}, "needs remote_node or iallocator"),
        (
            {"mode": "replace_new_secondary", "remote_node": "gimel", "iallocator": "hail"},
            "not both",
        ),
        ({"mode": "replace_auto", "disks": [0]}, "choose disks only with replace_on_primary"),
        (
            {"mode": "replace_new_secondary", "remote_node": "gimel", "disks": [0]},
            "choose disks only with",
        ),
        ({"mode": "replace_on_primary", "disks": [0, 0]}, "index 0 given twice"),
        ({"mode": "replace_on_primary", "disks": [-1]}, "not a disk index"),
        ({"mode": "replace_on_primary", "disks": []}, "an empty list replaces nothing"),
        ({"mode": "replace_on_both"}, "mode"),
        ({"mode": "replace_new_secondary", "remote_node": "bad name"}, "remote_node"),
    ],
)
def test_replace_disks_refusals(client: RapiClient, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        client.instances.replace_disks.call("db1", **options)


def test_replace_disks_accepted_modes(client: RapiClient) -> None:
    body = client.instances.replace_disks.call("db1", mode="replace_on_primary", disks=[1, 0])
    assert sent(body) == {"mode": "replace_on_primary", "disks": [1, 0]}
    assert sent(client.instances.replace_disks.call("db1")) == {"mode": "replace_auto"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cleanup": True, "target_node": "bet"}, "cleanup moves nothing: it takes no target_node"),
        ({"cleanup": True, "iallocator": "hail"}, "takes no iallocator"),
        ({"cleanup": True, "allow_failover": True}, "takes no allow_failover"),
    ],
)
def test_migrate_cleanup_refusals(
    client: RapiClient, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        client.instances.migrate.call("db1", **options)


def test_migrate_cleanup_body(client: RapiClient) -> None:
    assert sent(client.instances.migrate.call("db1", cleanup=True)) == {"cleanup": True}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"disk_template": "drbd"}, "converting to drbd needs remote_node or iallocator"),
        ({"disk_template": "drbd", "remote_node": "bet", "iallocator": "hail"}, "not both"),
        ({"disk_template": "plain", "remote_node": "bet"}, "conversion to drbd, not to plain"),
        ({"remote_node": "bet"}, r"\(give disk_template\)"),
        ({"disk_template": "drbd", "remote_node": "bad name"}, "remote_node"),
        (
            {"disk_template": "drbd", "remote_node": "bet", "disks": [("add", -1, {"size": 1024})]},
            "cannot be combined with disk changes",
        ),
        ({"disk_template": "mirror"}, "disk_template"),
    ],
)
def test_conversion_argument_refusals(
    client: RapiClient, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        client.instances.modify.call("db1", **options)


def test_conversion_bodies(client: RapiClient) -> None:
    to_drbd = client.instances.modify.call("pl1", disk_template="drbd", remote_node="bet")
    assert sent(to_drbd) == {"disk_template": "drbd", "remote_node": "bet"}
    assert sent(client.instances.modify.call("db2", disk_template="plain")) == {
        "disk_template": "plain"
    }


# --- the library: against the instance's state -----------------------------------------


def instance(**fields: Any) -> Instance:
    return Instance.from_api({"name": "db2", "pnode": "aleph", "snodes": ["bet"], **fields})


@pytest.mark.parametrize(
    ("fields", "template", "node", "message"),
    [
        ({"disk_template": "drbd", "admin_state": "up", "oper_state": True}, "plain", None,
         "db2 is running: a disk template conversion needs it stopped"),
        ({"disk_template": "drbd", "admin_state": "up", "oper_state": False}, "plain", None,
         "db2 is marked up"),
        ({"disk_template": "drbd", "admin_state": "down", "oper_state": False}, "drbd", "gimel",
         "db2 already has disk template drbd"),
        ({"disk_template": "plain", "admin_state": "down", "oper_state": False}, "drbd", "aleph",
         "the new secondary aleph is db2's primary node"),
    ],
)  # fmt: skip
def test_check_conversion_refuses(
    fields: dict[str, Any], template: str, node: str | None, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        check_conversion(instance(**fields), template, node)


def test_check_conversion_lets_a_stopped_instance_through() -> None:
    stopped = instance(disk_template="plain", admin_state="down", oper_state=False)
    check_conversion(stopped, "drbd", "bet")
    check_conversion(instance(disk_template="drbd", admin_state="down"), "plain")
    check_conversion(instance(disk_template="ext", admin_state="down"), "ext")  # a new provider


# --- gnt-py --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "mode"),
    [
        ({}, "replace_auto"),
        ({"on_primary": True}, "replace_on_primary"),
        ({"on_secondary": True}, "replace_on_secondary"),
        ({"auto": True}, "replace_auto"),
        ({"new_secondary": "gimel"}, "replace_new_secondary"),
        ({"iallocator": "hail"}, "replace_new_secondary"),
    ],
)
def test_replace_mode_of_one_option(flags: dict[str, Any], mode: str) -> None:
    assert replace_mode(**flags) == mode


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-p", "-s"], "not -p and -s"),
        (["-s", "-a"], "not -s and -a"),
        (["-p", "-n", "gimel"], "not -p and -n"),
        (["-n", "gimel", "-I", "hail"], "not -n and -I"),
        (["-a", "--disks", "0"], "choose disks only with"),
        (["-n", "gimel", "--disks", "0"], "choose disks only with"),
        (["-p", "--disks", "x"], "not a list of indexes"),
    ],
)
def test_cli_replace_disks_conflicts_are_refused(
    fake: FakeRapi, argv: list[str], message: str
) -> None:
    code, _, err = gnt("instance", "replace-disks", "db1", *argv, "--yes")
    assert code == exits.USAGE, err
    assert message in err
    assert fake.requests == []  # refused before even the guard's look at the instance


def test_cli_replace_disks_on_the_primary_is_sent_as_such(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "replace-disks", "db2", "-p", "--disks", "0", "--force", "--yes")
    assert code == exits.OK, err
    assert ("POST", "/2/instances/db2/replace-disks") in fake.writes()


def test_cli_conversion_of_a_running_instance_is_refused(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "modify", "db1", "-t", "plain", "--yes")
    assert code == exits.USAGE, err
    assert "db1 is running: a disk template conversion needs it stopped" in err
    assert "gnt-py instance stop db1" in err
    assert fake.writes() == []


def test_cli_conversion_to_drbd_on_the_primary_is_refused(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "modify", "pl1", "-t", "drbd", "-n", "aleph", "--yes")
    assert code == exits.USAGE, err
    assert "the new secondary aleph is pl1's primary node" in err
    assert fake.writes() == []


def test_cli_conversion_without_a_secondary_is_refused_before_any_request(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "modify", "pl1", "-t", "drbd", "--yes")
    assert code == exits.USAGE, err
    assert "converting to drbd needs remote_node or iallocator" in err
    assert fake.requests == []


@pytest.mark.parametrize(
    ("name", "argv", "question"),
    [
        ("pl1", ["-t", "drbd", "-n", "bet"], "convert its disks to drbd with secondary bet"),
        ("db2", ["-t", "plain"], "convert its disks to plain"),
    ],
)
def test_cli_conversion_of_a_stopped_instance_asks_then_sends(
    fake: FakeRapi, name: str, argv: list[str], question: str
) -> None:
    code, _, err = gnt("instance", "modify", name, *argv, input="n\n")
    assert code == exits.ABORTED, err
    assert question in err
    assert fake.writes() == []
    code, _, err = gnt("instance", "modify", name, *argv, "--yes")
    assert code == exits.OK, err
    assert fake.writes() == [("PUT", f"/2/instances/{name}/modify")]


def test_cli_migrate_cleanup_asks_and_skips_the_guard(fake: FakeRapi) -> None:
    # db1's Ganeti status is degraded (the fake's default): a plain migrate is refused,
    # the cleanup (the repair of a failed migration) goes through.
    code, _, err = gnt("instance", "migrate", "db1", "--yes")
    assert code == exits.USAGE and "migrate refused" in err
    code, _, err = gnt("instance", "migrate", "db1", "--cleanup", input="n\n")
    assert code == exits.ABORTED, err
    assert "Clean up after a failed migration of db1?" in err
    code, _, err = gnt("instance", "migrate", "db1", "--cleanup", "--yes")
    assert code == exits.OK, err
    assert fake.writes() == [("PUT", "/2/instances/db1/migrate")]


def test_cli_migrate_cleanup_with_a_target_is_refused(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "migrate", "db1", "--cleanup", "-n", "gimel", "--yes")
    assert code == exits.USAGE, err
    assert "cleanup moves nothing: it takes no target_node" in err
    assert fake.requests == []


def test_cli_deactivate_disks_asks_first(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "deactivate-disks", "db2", input="n\n")
    assert code == exits.ABORTED, err
    assert "Deactivate the disks of db2?" in err
    assert fake.writes() == []
    code, _, err = gnt("instance", "deactivate-disks", "db2", "--yes")
    assert code == exits.OK, err
    assert fake.writes() == [("PUT", "/2/instances/db2/deactivate-disks")]


@pytest.mark.parametrize("version", ["3.1.0~rc2", "3.0.2"])
def test_cli_conversion_with_an_iallocator_needs_ganeti_3_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, version: str
) -> None:
    """Ganeti 3.0's OpInstanceSetParams has no iallocator (a conversion to drbd needs
    remote_node); 3.1's has: sent there, refused before sending on 3.0."""
    server = FakeRapi(json.loads(json.dumps({**INSTANCES, **STOPPED})))
    bodies: list[tuple[str, Any]] = []

    def recording(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/2/info":
            return httpx.Response(200, json={"software_version": version, "master": "aleph"})
        if request.method == "PUT":
            bodies.append((request.url.path, json.loads(request.content)))
        return server.handler(request)

    use_fake_cluster(monkeypatch, tmp_path, recording, current=True, auth=True)
    code, _, err = gnt("instance", "modify", "pl1", "-t", "drbd", "-I", "hail", "--yes")
    if version.startswith("3.0"):
        assert code == exits.USAGE, err
        assert "Ganeti 3.0.2 converts to drbd only with a named secondary" in err
        assert "-n NODE" in err and bodies == []
        return
    assert code == exits.OK, err
    ((path, body),) = bodies
    assert path == "/2/instances/pl1/modify"
    assert body["disk_template"] == "drbd" and body["iallocator"] == "hail"
    assert "remote_node" not in body


def test_cli_conversion_with_a_node_and_an_iallocator_is_refused(fake: FakeRapi) -> None:
    code, _, err = gnt("instance", "modify", "pl1", "-t", "drbd", "-n", "bet", "-I", "hail")
    assert code == exits.USAGE, err
    assert "give remote_node or iallocator, not both" in err
    assert fake.writes() == []
