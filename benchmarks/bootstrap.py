"""Preflight of 4 nodes in parallel vs one by one, and the whole bootstrap, on a bare lab.

Brings up a bare lab of its own (name ``bsbench``, a free slot), measures, and takes
it down again; prints figures and asserts nothing::

    sudo .venv/bin/python benchmarks/bootstrap.py [--repeat 5] [--name bsbench]

* **preflight, parallel**: connect to the 4 nodes and read every fact of each, all
  nodes at once (what ``gnt-py cluster bootstrap`` does before planning);
* **preflight, one by one**: the same, one node after the other;
* both cold (new SSH connections) and warm (connections already open);
* **bootstrap**: ``Bootstrap.apply()`` from the bare lab to a verified 4-node cluster,
  per step, then the idle second run (every step done).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import tomllib
from collections.abc import Awaitable, Callable
from pathlib import Path

import tomli_w

from ganetiops.bootstrap.apply import Bootstrap, nodes_for_inventory
from ganetiops.bootstrap.inventory import Inventory, load_inventory
from ganetiops.bootstrap.state import BOOTSTRAP_FACTS
from ganetiops.lab.lab import Lab, free_slot
from ganetiops.ssh.facts import gather_facts

EXAMPLE = Path(__file__).parents[1] / "examples" / "lab.toml"


def lab_inventory(lab: Lab, tmp: Path) -> Inventory:
    """``examples/lab.toml`` adapted to ``lab`` (as tests/integration/test_bootstrap_lab.py)."""
    facts = lab.facts()
    raw = tomllib.loads(EXAMPLE.read_text())
    raw["cluster"]["address"] = lab.plan.cluster_ip
    for node in facts.nodes:
        raw["nodes"][node.name]["primary"] = node.primary_ip
        raw["nodes"][node.name]["secondary"] = node.secondary_ip
    raw["ssh"]["known-hosts"] = facts.known_hosts
    raw["ssh"]["key"] = facts.workstation_key
    for name, user in raw["rapi-users"].items():
        user["password"] = {"file": str(tmp / f"{name}.password"), "create": True}
    path = tmp / "lab.toml"
    path.write_text(tomli_w.dumps(raw))
    return load_inventory(path)


async def _timed(action: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


async def preflight(inventory: Inventory, repeat: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {}
    resolve = [inventory.cluster.name]
    for _ in range(repeat):
        async with nodes_for_inventory(inventory) as nodes:
            figures.setdefault("parallel, cold", []).append(
                await _timed(lambda: nodes.facts(resolve=resolve, extra=BOOTSTRAP_FACTS))
            )
            figures.setdefault("parallel, warm", []).append(
                await _timed(lambda: nodes.facts(resolve=resolve, extra=BOOTSTRAP_FACTS))
            )
        async with nodes_for_inventory(inventory) as nodes:

            async def one_by_one() -> None:
                for name in nodes.names:
                    conn = await nodes.connection(name)
                    await gather_facts(conn, name, resolve=resolve, extra=BOOTSTRAP_FACTS)

            figures.setdefault("one by one, cold", []).append(await _timed(one_by_one))
            figures.setdefault("one by one, warm", []).append(await _timed(one_by_one))
    return figures


async def bootstrap(inventory: Inventory) -> tuple[float, list[tuple[str, float]], float]:
    async with Bootstrap(inventory) as boot:
        report = await boot.apply()
    steps = [(a.step.id, a.duration) for a in report.applied]
    verify = report.verify.duration if report.verify else 0.0
    steps.append(("verify", verify))
    async with Bootstrap(inventory) as boot:
        started = time.perf_counter()
        plan = await boot.plan()
        assert plan.next_step() is None
        idle = time.perf_counter() - started
    return report.duration, steps, idle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="preflight runs (default 5)")
    parser.add_argument("--name", default="bsbench", help="the lab's name (default bsbench)")
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("the lab needs root")
    lab = Lab(options.name, free_slot())
    lab.up(bare=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            inventory = lab_inventory(lab, Path(tmp))
            figures = asyncio.run(preflight(inventory, options.repeat))
            total, steps, idle = asyncio.run(bootstrap(inventory))
    finally:
        lab.down()

    print(f"preflight of {len(inventory.nodes)} nodes ({options.repeat} runs each)")
    print(f"  {'how':<20} {'min s':>7} {'median s':>9} {'max s':>7}")
    for what, seconds in figures.items():
        print(
            f"  {what:<20} {min(seconds):>7.2f} {statistics.median(seconds):>9.2f} "
            f"{max(seconds):>7.2f}"
        )
    print(f"bootstrap of the bare lab: {total:.1f} s in all")
    for step, took in steps:
        print(f"  {step:<20} {took:>7.1f} s")
    print(f"second run (plan, every step done): {idle:.2f} s")
    print(f"({os.cpu_count()} CPUs; Ganeti 3.0.2 from Debian in network namespaces)")


if __name__ == "__main__":
    main()
