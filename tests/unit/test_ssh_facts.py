"""Facts: pure assembly from outputs, and gathering over a fake runner (no SSH)."""

from __future__ import annotations

import asyncio

from ganetiops.ssh.connection import CommandResult
from ganetiops.ssh.facts import FACTS, facts_from_outputs, gather_facts, resolve_fact

OUTPUTS = {
    "hostname": ("aleph\n", 0),
    "fqdn": ("aleph.homelab.tel\n", 0),
    "fqdn_addresses": ("10.1.100.2 STREAM aleph.homelab.tel\n", 0),
    "ganeti_version": ("gnt-cluster (ganeti 3.0.2-3) 3.0.2\n", 0),
    "daemons": ("ganeti-noded running\nganeti-rapi stopped\n", 0),
    "bridges": ("linux br0\n", 0),
    "volume_groups": ("", 0),
    "drbd": ("", 1),
    "drbd_usermode_helper": ("", 1),
    "os_providers": ("/usr/share/ganeti/os/noop\n", 0),
    "ssconf_master": ("aleph.homelab.tel\n", 0),
    "ssconf_cluster": ("gnt.homelab.tel\n", 0),
    "addresses": ("2: eth0    inet 10.1.100.2/24 brd 10.1.100.255 scope global eth0\n", 0),
}


def test_facts_from_outputs() -> None:
    facts = facts_from_outputs("aleph", OUTPUTS)
    assert facts.fqdn == "aleph.homelab.tel"
    assert facts.fqdn_addresses == ("10.1.100.2",)
    assert facts.ganeti_version == "3.0.2"
    assert facts.running_daemons == ("ganeti-noded",)
    assert facts.bridge_names == ("br0",)
    assert facts.drbd is None
    assert facts.os_providers == ("noop",)
    assert facts.ssconf_master == "aleph.homelab.tel"
    assert facts.has_address("10.1.100.2")
    assert facts.reachable
    assert facts.problems == {}


def test_unparsable_output_is_a_problem_not_a_crash() -> None:
    facts = facts_from_outputs("aleph", {**OUTPUTS, "ganeti_version": ("weird\n", 0)})
    assert facts.ganeti_version is None
    assert "ganeti_version" in facts.problems


class FakeRunner:
    """Answers each fact command from a table, and records the commands."""

    def __init__(self) -> None:
        self.by_command = {f.command: OUTPUTS[f.name] for f in FACTS}
        self.by_command[resolve_fact("gnt.homelab.tel").command] = (
            "10.1.100.254 STREAM gnt.homelab.tel\n",
            0,
        )
        self.seen: list[str] = []
        self.active = 0
        self.peak = 0

    async def run(self, command: str, *, timeout: float | None = -1.0) -> CommandResult:
        self.seen.append(command)
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(0.01)
        self.active -= 1
        stdout, status = self.by_command[command]
        return CommandResult("aleph", command, status, stdout, "", 0.01)


async def test_gather_runs_every_fact_with_limited_sessions() -> None:
    runner = FakeRunner()
    facts = await gather_facts(runner, "aleph", resolve=["gnt.homelab.tel"], sessions=3)
    assert len(runner.seen) == len(FACTS) + 1
    assert runner.peak == 3
    assert facts.resolved == {"gnt.homelab.tel": ("10.1.100.254",)}
    assert facts.ssconf_cluster == "gnt.homelab.tel"


async def test_gather_subset() -> None:
    runner = FakeRunner()
    facts = await gather_facts(runner, "aleph", names=["hostname", "ssconf_master"])
    assert len(runner.seen) == 2
    assert facts.hostname == "aleph"
    assert facts.ganeti_version is None
