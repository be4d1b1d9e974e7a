"""Bootstrap on a bare lab: refused host key, stop after init and resume, second run idle.

The inventory is ``examples/lab.toml`` with the lab's own name, addresses and paths
substituted (the factory's lab has its own slot; the file itself targets the default
lab ``lab``, which is reserved for CI's final checks). The tests run in file order on
one lab: a refused run first (nothing may change), then a run stopped after init, the
resumed run through the CLI, and an idle second run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest
import tomli_w

from ganetiops.bootstrap.apply import Bootstrap
from ganetiops.bootstrap.inventory import Inventory, load_inventory
from ganetiops.bootstrap.plan import StepState
from ganetiops.config import load_config
from ganetiops.errors import BootstrapError
from ganetiops.lab import Lab
from ganetiops.netboot.labboot import boot_server_from_lab

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).parents[2] / "examples" / "lab.toml"
GNT_PY = str(Path(sys.executable).with_name("gnt-py"))


def lab_inventory_dict(lab: Lab, secrets_dir: Path) -> dict[str, Any]:
    """``examples/lab.toml`` adapted to ``lab``: addresses, known_hosts, key, passwords,
    boot server."""
    facts = lab.facts()
    raw = tomllib.loads(EXAMPLE.read_text())
    raw["cluster"]["address"] = lab.plan.cluster_ip
    for node in facts.nodes:
        raw["nodes"][node.name]["primary"] = node.primary_ip
        raw["nodes"][node.name]["secondary"] = node.secondary_ip
    raw["ssh"]["known-hosts"] = facts.known_hosts
    raw["ssh"]["key"] = facts.workstation_key
    for name, user in raw["rapi-users"].items():
        user["password"] = {"file": str(secrets_dir / f"{name}.password"), "create": True}
    raw["boot"] = boot_server_from_lab(facts).to_config()  # this lab's boot server
    return raw


def write_inventory(raw: dict[str, Any], path: Path) -> Path:
    path.write_text(tomli_w.dumps(raw))
    return path


def gnt_py(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GNT_PY, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def node_rows(lab: Lab) -> dict[str, tuple[str, str]]:
    done = lab.run("aleph", ["gnt-node", "list", "--no-headers", "-o", "name,pip,sip"])
    return {
        line.split()[0]: (line.split()[1], line.split()[2]) for line in done.stdout.splitlines()
    }


def config_serial(lab: Lab) -> int:
    text = lab.run("aleph", ["cat", "/var/lib/ganeti/config.data"]).stdout
    return int(json.loads(text)["serial_no"])


def accepted_logins(lab: Lab, node: str) -> int:
    log = lab.layout.log(node, "sshd")
    return log.read_text().count("Accepted publickey") if log.exists() else 0


@pytest.fixture(scope="module")
def boot_lab(lab_factory: Callable[..., Lab]) -> Lab:
    """A bare lab of this module's own (the session's ``bare_lab`` stays bare for others)."""
    return lab_factory(bare=True)


def _drop_context(name: str) -> None:
    config = load_config()
    if name in config.contexts:
        config.remove_context(name)
        config.save()


@pytest.fixture(scope="module")
def inventory_path(boot_lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The inventory, named after this lab: bootstrap names its context after the file
    (a "lab.toml" would replace the session lab's context "lab", as CI's session lab is
    named). A context of that name left by an earlier run is removed first, and this
    run's at the end."""
    tmp = tmp_path_factory.mktemp("bootstrap")
    _drop_context(boot_lab.name)
    try:
        yield write_inventory(
            lab_inventory_dict(boot_lab, tmp / "secrets"), tmp / f"{boot_lab.name}.toml"
        )
    finally:
        _drop_context(boot_lab.name)


@pytest.fixture(scope="module")
def inventory(inventory_path: Path) -> Inventory:
    return load_inventory(inventory_path)


async def test_node_with_another_host_key_is_refused_before_anything_runs(
    boot_lab: Lab, inventory_path: Path, tmp_path: Path
) -> None:
    raw = tomllib.loads(inventory_path.read_text())
    # Keys only inline: the lab's real keys for every node but bet, a stranger's for bet.
    facts = boot_lab.facts()
    del raw["ssh"]["known-hosts"]
    for node in facts.nodes:
        raw["nodes"][node.name]["host-key"] = node.host_keys["ssh-ed25519"]
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    raw["nodes"]["bet"]["host-key"] = stranger.strip()
    inv = load_inventory(write_inventory(raw, tmp_path / "wrong-key.toml"))
    before = accepted_logins(boot_lab, "bet")

    async with Bootstrap(inv) as boot:
        with pytest.raises(BootstrapError, match="blocked, nothing was changed") as caught:
            await boot.apply()
    plan = caught.value.plan
    assert plan is not None
    check = plan.step("check:bet")
    assert check.state is StepState.BLOCKED
    assert "host key refused (nothing was run on it)" in check.why
    assert "bet" in check.why
    assert plan.step("node-add:bet").state is StepState.BLOCKED
    # No login on bet at all, and no cluster anywhere.
    assert accepted_logins(boot_lab, "bet") == before
    assert not boot_lab.machine("aleph").path("/var/lib/ganeti/config.data").exists()

    # The CLI says the same and exits non-zero without asking anything.
    done = gnt_py("cluster", "bootstrap", str(tmp_path / "wrong-key.toml"), "--yes")
    assert done.returncode == 6, done.stderr
    assert "host key differs from the expected one" in done.stdout
    assert "nothing was changed" in done.stderr


async def test_a_run_stopped_after_init_resumes(boot_lab: Lab, inventory: Inventory) -> None:
    async with Bootstrap(inventory) as boot:
        first = await boot.plan()
        assert first.next_step() is not None
        assert first.step("init").state is StepState.TODO
        report = await boot.apply(stop_after="init")
    assert report.stopped_after == "init"
    assert [a.step.id for a in report.applied] == ["init"]
    assert report.final.step("init").state is StepState.DONE
    assert report.final.step("node-add:bet").state is StepState.TODO
    assert list(node_rows(boot_lab)) == ["aleph.homelab.tel"]

    # The next run (the CLI, as the issue asks) starts where this one stopped.
    async with Bootstrap(inventory) as boot:
        resumed = await boot.plan()
    step = resumed.next_step()
    assert step is not None
    assert step.id == "known-hosts"


def test_cli_bootstrap_builds_the_four_node_cluster(boot_lab: Lab, inventory_path: Path) -> None:
    done = gnt_py("cluster", "bootstrap", str(inventory_path), "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Applied" in done.stderr
    assert "expected in this environment" in done.stdout
    facts = boot_lab.facts()
    assert node_rows(boot_lab) == {n.fqdn: (n.primary_ip, n.secondary_ip) for n in facts.nodes}
    # Ganeti's known_hosts on every node lists every node's keys under the cluster name.
    for node in facts.nodes:
        text = boot_lab.run(node.name, ["cat", "/var/lib/ganeti/known_hosts"]).stdout
        for other in facts.nodes:
            assert f"gnt.homelab.tel {other.host_keys['ssh-ed25519']}" in text
    # The RAPI users file: HA1 lines, owner gnt-rapi:gnt-masterd, on every node.
    for node in facts.nodes:
        stat = boot_lab.run(node.name, ["stat", "-c", "%U:%G %a", "/var/lib/ganeti/rapi/users"])
        assert stat.stdout.split() == ["gnt-rapi:gnt-masterd", "640"]
    users = boot_lab.run("aleph", ["cat", "/var/lib/ganeti/rapi/users"]).stdout
    assert "gnt-py {HA1}" in users
    assert "gnt-py-read {HA1}" in users
    # Bootstrap ends with a working context named by the inventory, and says how to use it.
    name = inventory_path.stem
    assert f"Context {name} saved" in done.stderr, done.stderr
    assert f"gnt-py --context {name} node list" in done.stderr
    listed = gnt_py("--context", name, "--format", "json", "node", "list", "-o", "name")
    assert listed.returncode == 0, listed.stderr
    assert sorted(row["name"] for row in json.loads(listed.stdout)) == sorted(
        n.fqdn for n in facts.nodes
    )


def test_second_run_reports_every_step_done_and_changes_nothing(
    boot_lab: Lab, inventory_path: Path
) -> None:
    serial = config_serial(boot_lab)
    users = boot_lab.run("aleph", ["cat", "/var/lib/ganeti/rapi/users"]).stdout
    done = gnt_py("--format", "json", "cluster", "bootstrap", str(inventory_path), "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Nothing to do: every step is done; nothing was changed." in done.stderr
    assert f"Context {inventory_path.stem} unchanged" in done.stderr
    rows, _end = json.JSONDecoder().raw_decode(done.stdout)
    assert rows
    assert {row["state"] for row in rows} == {"done"}
    assert config_serial(boot_lab) == serial
    assert boot_lab.run("aleph", ["cat", "/var/lib/ganeti/rapi/users"]).stdout == users


def test_plan_only_changes_nothing(boot_lab: Lab, inventory_path: Path) -> None:
    done = gnt_py("cluster", "bootstrap", str(inventory_path), "--plan")
    assert done.returncode == 0, done.stderr
    assert "to do" not in done.stdout
