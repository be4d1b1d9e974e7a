"""The pairing policy (ganetiops.drbd.pairing) and ``instance create --snode auto``.

The policy is pure: nodes in, a choice and its reasons out. The CLI tests run gnt-py
against an in-memory RAPI that records every request, so that ``--plan`` is shown to
send nothing and a refused ``--snode auto`` to send nothing either. The policy on real
nodes runs in tests/drbd/test_drbd_ops.py (the scenario's create).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from click.testing import CliRunner

from ganetiops.cli import exits
from ganetiops.drbd.pairing import MEMORY_STEP_MIB, choose_secondary, pick_secondary
from ganetiops.errors import ValidationError
from ganetiops.rapi.models import Node
from tests.unit.rapi_helpers import use_fake_cluster
from tests.unit.test_cli_commands import _main

GROUP, OTHER_GROUP = "g-1", "g-2"


@attrs.frozen
class N:
    """The node fields the policy reads, as RAPI's Node model has them."""

    name: str
    mfree: int | None = 4096
    sinst_cnt: int = 0
    vm_capable: bool | None = True
    offline: bool | None = False
    drained: bool | None = False
    group_uuid: str | None = GROUP


def test_most_free_memory_wins() -> None:
    nodes = [N("aleph"), N("bet", mfree=2048), N("gimel", mfree=8192)]
    pairing = choose_secondary("aleph", nodes)
    assert pairing.chosen == "gimel"
    assert [c.name for c in pairing.ranked] == ["gimel", "bet"]
    assert "most free memory (8192 MiB against 2048 MiB on bet)" in pairing.reason()


def test_memory_within_a_step_is_a_tie_broken_by_fewest_secondaries() -> None:
    nodes = [
        N("aleph"),
        N("bet", mfree=4096, sinst_cnt=3),
        N("gimel", mfree=4096 - MEMORY_STEP_MIB + 1, sinst_cnt=1),
    ]
    pairing = choose_secondary("aleph", nodes)
    assert pairing.chosen == "gimel"
    assert "fewest DRBD secondaries (1 against 3 on bet)" in pairing.reason()
    # One MiB more apart and memory decides again.
    nodes[2] = attrs.evolve(nodes[2], mfree=4096 - MEMORY_STEP_MIB)
    assert choose_secondary("aleph", nodes).chosen == "bet"


def test_a_full_tie_goes_to_the_first_name_and_says_so() -> None:
    nodes = [N("gimel", mfree=1000), N("bet", mfree=1010), N("aleph")]
    pairing = choose_secondary("aleph", nodes)
    assert pairing.chosen == "bet"
    assert "first by name" in pairing.reason()
    # A few MiB of page cache moving does not flip the choice.
    again = [N("gimel", mfree=1010), N("bet", mfree=1000), N("aleph")]
    assert choose_secondary("aleph", again).chosen == "bet"


@pytest.mark.parametrize(
    ("node", "why"),
    [
        (N("bet", vm_capable=False), "not vm_capable"),
        (N("bet", offline=True), "offline"),
        (N("bet", drained=True), "drained"),
        (N("bet", group_uuid=OTHER_GROUP), "in another node group than the primary"),
        (N("bet", mfree=None), "free memory unknown (the node did not answer)"),
    ],
)
def test_nodes_that_cannot_hold_the_secondary_are_left_out(node: N, why: str) -> None:
    # bet has by far the most free memory: only the exclusion keeps it out.
    nodes = [N("aleph"), attrs.evolve(node, mfree=node.mfree and 65536), N("gimel", mfree=1024)]
    pairing = choose_secondary("aleph", nodes)
    assert pairing.chosen == "gimel"
    assert {c.name: c.excluded for c in pairing.excluded} == {
        "aleph": "it is the primary",
        "bet": why,
    }
    assert f"  not bet: {why}" in pairing.lines()


def test_no_candidate_is_a_clear_error() -> None:
    pairing = choose_secondary("aleph", [N("aleph"), N("bet", drained=True)])
    assert pairing.chosen is None
    with pytest.raises(ValidationError, match=r"no node can hold the secondary.*bet: drained"):
        pairing.require()


def test_unknown_primary_is_refused() -> None:
    with pytest.raises(ValidationError, match="primary zayin is not a node of the cluster"):
        choose_secondary("zayin", [N("aleph"), N("bet")])


def test_a_short_primary_name_is_its_node() -> None:
    nodes = [N("aleph.homelab.tel"), N("bet.homelab.tel", mfree=1)]
    pairing = choose_secondary("aleph", nodes)
    assert (pairing.primary, pairing.chosen) == ("aleph.homelab.tel", "bet.homelab.tel")


def test_plan_lines_put_the_choice_first_with_every_figure() -> None:
    lines = choose_secondary("aleph", [N("aleph"), N("bet", 2048, 2), N("gimel", 512)]).lines()
    assert lines[0].startswith("Secondary (pairing policy): bet, ")
    assert "  candidate bet: 2048 MiB free, 2 DRBD secondaries" in lines
    assert "  candidate gimel: 512 MiB free, 0 DRBD secondaries" in lines


def test_the_policy_reads_rapi_node_models() -> None:
    raw = [
        {"name": "aleph", "mfree": 900, "sinst_cnt": 0, "vm_capable": True,
         "group.uuid": GROUP, "offline": False, "drained": False},
        {"name": "bet", "mfree": 700, "sinst_cnt": 1, "vm_capable": True,
         "group.uuid": GROUP, "offline": False, "drained": False},
        {"name": "gimel", "mfree": 720, "sinst_cnt": 0, "vm_capable": True,
         "group.uuid": GROUP, "offline": False, "drained": False},
    ]  # fmt: skip
    nodes = [Node.from_api(r) for r in raw]
    assert choose_secondary("aleph", nodes).chosen == "gimel"  # tie on memory, 0 < 1

    class Client:
        class nodes:
            @staticmethod
            def list() -> list[Node]:
                return nodes

    assert pick_secondary(Client(), "bet").chosen == "aleph"


# --- gnt-py instance create --snode auto ------------------------------------------------

NODES = [
    {"name": "aleph", "mfree": 3000, "sinst_cnt": 0, "vm_capable": True, "group.uuid": GROUP},
    {"name": "bet", "mfree": 2000, "sinst_cnt": 0, "vm_capable": True, "group.uuid": GROUP},
    {"name": "gimel", "mfree": 6000, "sinst_cnt": 4, "vm_capable": True, "group.uuid": GROUP},
    {"name": "dalet", "mfree": 9000, "sinst_cnt": 0, "vm_capable": True, "drained": True,
     "group.uuid": GROUP},
]  # fmt: skip


class Fake:
    def __init__(self, templates: list[str]) -> None:
        self.templates = templates
        self.requests: list[tuple[str, str, Any]] = []

    def writes(self) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[0] != "GET"]

    def handler(self, request: httpx.Request) -> httpx.Response:
        body: Any = json.loads(request.content) if request.content else None
        path = request.url.path
        self.requests.append((request.method, path, body))
        if path == "/2/info":
            return httpx.Response(
                200,
                json={"software_version": "3.0.2", "master": "aleph",
                      "enabled_disk_templates": self.templates},
            )  # fmt: skip
        if path == "/2/nodes":
            return httpx.Response(200, json=NODES)
        if path == "/2/instances" and request.method == "GET":  # refuse_existing: none yet
            return httpx.Response(200, json=[])
        if path == "/2/instances" and request.method == "POST":
            return httpx.Response(200, json=100)
        if path == "/2/jobs/100/wait":
            info = {"status": "success", "opstatus": ["success"], "opresult": [["gimel"]],
                    "id": 100, "summary": ["INSTANCE_CREATE(web3)"]}  # fmt: skip
            return httpx.Response(
                200, json={"job_info": [info.get(f) for f in body["fields"]], "log_entries": []}
            )
        return httpx.Response(404, json={"code": 404, "message": "Not Found", "explain": path})


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Fake:
    server = Fake(["drbd", "plain"])
    use_fake_cluster(monkeypatch, tmp_path, server.handler, current=True, auth=True)
    return server


def gnt(*args: str) -> tuple[int, str, str]:
    code: list[int] = []
    result = CliRunner().invoke(_main, list(args), catch_exceptions=False, obj=code)
    return (code[0] if code else result.exit_code), result.stdout, result.stderr


CREATE = ("instance", "create", "web3", "-o", "noop", "-s", "1G", "--no-nics")


def test_snode_auto_plan_shows_the_choice_and_sends_nothing(fake: Fake) -> None:
    code, _, err = gnt(*CREATE, "-t", "drbd", "--pnode", "aleph", "--snode", "auto", "--plan")
    assert code == exits.OK, err
    lines = err.splitlines()
    assert lines[0].startswith("Plan: create instance web3 (") and "snode=gimel" in lines[0]
    # gimel: 6000 MiB free beats bet's 2000 (dalet has more but is drained).
    assert lines[1].startswith("  Secondary (pairing policy): gimel, most free memory")
    assert "    candidate bet: 2000 MiB free, 0 DRBD secondaries" in lines
    assert "    not dalet: drained" in lines and "    not aleph: it is the primary" in lines
    assert fake.writes() == []


def test_snode_auto_sends_the_chosen_secondary(fake: Fake) -> None:
    code, out, err = gnt(*CREATE, "-t", "drbd", "-n", "aleph:auto", "--yes")
    assert "instance web3 created" in out
    assert code == exits.OK, err
    ((method, path, body),) = fake.writes()
    assert (method, path) == ("POST", "/2/instances")
    assert (body["pnode"], body["snode"], body["disk_template"]) == ("aleph", "gimel", "drbd")
    assert "iallocator" not in body


def test_snode_auto_with_the_clusters_default_template(fake: Fake) -> None:
    code, _, err = gnt(*CREATE, "--pnode", "bet", "--snode", "auto", "--plan")
    assert code == exits.OK, err
    assert "snode=gimel" in err and "disk_template=drbd" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-t", "drbd", "--snode", "auto"], "--snode auto needs the primary"),
        (["-t", "drbd", "--pnode", "aleph", "--snode", "auto", "-I", "hail"], "give one of them"),
        (["-t", "plain", "--pnode", "aleph", "--snode", "auto"], "the disk template is plain"),
        (["-t", "drbd", "--pnode", "zayin", "--snode", "auto"], "primary zayin is not a node"),
    ],
)
def test_snode_auto_refusals_send_nothing(fake: Fake, extra: list[str], message: str) -> None:
    code, _, err = gnt(*CREATE, *extra, "--yes")
    assert code == exits.USAGE, err
    assert message in err
    assert fake.writes() == []


def test_without_snode_auto_the_policy_is_not_asked(fake: Fake) -> None:
    """Never a silent default: with -I the allocator chooses, and the nodes are not read."""
    code, _, err = gnt(*CREATE, "-t", "drbd", "-I", "hail", "--yes")
    assert code == exits.OK, err
    ((_, _, body),) = fake.writes()
    assert body["iallocator"] == "hail" and "snode" not in body
    assert not [r for r in fake.requests if r[1] == "/2/nodes"]
    code, _, err = gnt(*CREATE, "-t", "drbd", "--pnode", "aleph", "--snode", "bet", "--plan")
    assert code == exits.OK, err
    assert "snode=bet" in err and "pairing policy" not in err
    assert not [r for r in fake.requests if r[1] == "/2/nodes"]
