"""The apply loop against a scripted node set (no SSH).

A fake stands in for the nodes here only to produce faults the lab cannot produce on
demand: a step whose effect never shows in the facts, and a node whose facts change
between two plans. Real runs are in tests/integration/test_bootstrap_lab.py.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from ganetiops.bootstrap.apply import Bootstrap
from ganetiops.bootstrap.plan import StepState
from ganetiops.bootstrap.state import FileState
from ganetiops.errors import BootstrapError, ValidationError
from ganetiops.ssh.connection import CommandResult
from ganetiops.ssh.facts import NodeFacts
from tests.unit.test_bootstrap_plan import NODES, USERS, cluster_facts, inventory

VERIFY_OUT = (
    "Fri Nov 27 18:40:30 2026   - ERROR:ENODESETUP:node:aleph.homelab.tel:node setup error: "
    "The procfs filesystem doesn't seem to be mounted under /proc, missing required directory "
    "/proc/sys and the file /proc/sysrq-trigger\n"
)


class FakeConnection:
    def __init__(self, nodes: FakeNodes, name: str) -> None:
        self.nodes = nodes
        self.name = name

    async def run(self, command: str, **_: Any) -> CommandResult:
        self.nodes.commands.append((self.name, command))
        if command.startswith("gnt-cluster verify"):
            return CommandResult(self.name, command, 1, VERIFY_OUT, "", 0.1)
        if command == "gnt-cluster redist-conf" and self.nodes.fix_on_redist:
            self.nodes.facts_now = cluster_facts(list(NODES))
        return CommandResult(self.name, command, 0, "", "", 0.1)

    async def write_file(self, path: str, content: Any, **_: Any) -> None:
        self.nodes.commands.append((self.name, f"write {path}"))


class FakeNodes:
    """Answers facts from a table the test changes; records what would have run."""

    def __init__(self, facts: dict[str, NodeFacts], *, fix_on_redist: bool = True) -> None:
        self.facts_now = facts
        self.fix_on_redist = fix_on_redist
        self.commands: list[tuple[str, str]] = []

    async def facts(self, **_: Any) -> dict[str, NodeFacts]:
        return self.facts_now

    async def connection(self, name: str) -> FakeConnection:
        return FakeConnection(self, name)

    async def aclose(self) -> None:
        return None


def stale_dalet() -> dict[str, NodeFacts]:
    facts = cluster_facts(list(NODES))
    dalet = facts["dalet"]
    stale = FileState(True, "gnt-rapi:gnt-masterd", 0o640, "")
    facts["dalet"] = attrs.evolve(dalet, extra={**dalet.extra, "rapi_users": stale})
    return facts


def bootstrap(fake: FakeNodes) -> Bootstrap:
    boot = Bootstrap(inventory(), users=USERS)
    boot.nodes = fake  # type: ignore[assignment]
    return boot


async def test_applies_the_step_to_do_then_verifies() -> None:
    fake = FakeNodes(stale_dalet())
    report = await bootstrap(fake).apply()
    assert [a.step.id for a in report.applied] == ["distribute"]
    assert fake.commands[0] == ("aleph", "gnt-cluster redist-conf")
    assert report.final.all_done
    assert report.verify is not None
    assert report.verify.ok  # the one finding is the environment's
    assert report.changed


async def test_nothing_to_do_changes_nothing() -> None:
    fake = FakeNodes(cluster_facts(list(NODES)))
    report = await bootstrap(fake).apply(verify=False)
    assert report.applied == ()
    assert not report.changed
    assert fake.commands == []


async def test_a_step_whose_effect_never_shows_stops_the_run() -> None:
    fake = FakeNodes(stale_dalet(), fix_on_redist=False)
    with pytest.raises(BootstrapError, match="distribute ran but is still to do") as caught:
        await bootstrap(fake).apply(verify=False)
    assert caught.value.step == "distribute"
    assert fake.commands == [("aleph", "gnt-cluster redist-conf")]


async def test_unknown_stop_after_is_refused_before_anything_runs() -> None:
    fake = FakeNodes(stale_dalet())
    with pytest.raises(ValidationError, match="no step 'node-add:zayin'") as caught:
        await bootstrap(fake).apply(stop_after="node-add:zayin")
    assert caught.value.field == "stop_after"
    assert fake.commands == []


async def test_stop_after_a_step_already_done_runs_nothing() -> None:
    fake = FakeNodes(stale_dalet())
    report = await bootstrap(fake).apply(stop_after="init")
    assert report.stopped_after == "init"
    assert report.applied == ()
    assert report.final.step("distribute").state is StepState.TODO
    assert fake.commands == []


async def test_blocked_plan_runs_nothing() -> None:
    facts = stale_dalet()
    facts["bet"] = NodeFacts(host="bet", problems={"connect": "refused"}, host_key_refused=True)
    fake = FakeNodes(facts)
    with pytest.raises(BootstrapError, match="nothing was changed"):
        await bootstrap(fake).apply()
    assert fake.commands == []


def test_the_bootstrap_context_pins_the_certificate_and_tunnels_through_ssh() -> None:
    from pathlib import Path

    from ganetiops.bootstrap.apply import cluster_context
    from ganetiops.bootstrap.inventory import load_inventory
    from ganetiops.rapi.tls import pem_fingerprint

    root = Path(__file__).resolve().parents[2]
    inventory = load_inventory(root / "examples" / "lab.toml")
    pem = _self_signed_pem()
    ctx = cluster_context(inventory, "lab", pem, {})
    assert ctx.name == "lab"
    assert ctx.certificate_sha256 == pem_fingerprint(pem)
    assert ctx.user == "gnt-py"  # the first user with the write right
    assert ctx.password is not None
    assert ctx.password.kind == "file"
    assert ctx.ssh is not None
    assert ctx.ssh.nodes == tuple(n.address for n in inventory.nodes)
    assert ctx.ssh.known_hosts == inventory.ssh.known_hosts[0]
    assert ctx.url is None  # through the tunnel to the master's loopback


def _self_signed_pem() -> str:
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=ganeti.example.com", "-keyout", f"{tmp}/k", "-out", f"{tmp}/c"],
            check=True, capture_output=True,
        )  # fmt: skip
        return Path(f"{tmp}/c").read_text()
