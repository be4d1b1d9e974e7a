"""DRBD health of every node through the SSH fan-out, beside a sequential
``ssh NODE cat /proc/drbd`` loop (what the homelab's owner does by hand), in one run.

    .venv/bin/python benchmarks/drbd_health.py --context NAME [--runs 5]

Measured, each a median of ``--runs``:
1. ``read_nodes``: the DRBD fact (``/proc/drbd`` + ``drbdsetup events2`` + kernel
   lines) on every online node at once, fresh connections each run (asyncssh);
2. the same over connections kept open (what ``drbd watch`` pays per reading);
3. ``health()``: RAPI (DRBD instances, their info jobs, nodes) plus the fan-out to
   the nodes those instances use;
4. a loop of OpenSSH ``ssh NODE cat /proc/drbd``, one node after the other, with the
   same key and known_hosts (host keys verified).

On the namespace lab there is no DRBD: every node reads "no DRBD on this node" and
``health()`` does no SSH at all (no DRBD instance); the SSH figures are still the
cost of reaching every node. No assertions: figures.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import time
from typing import Any

from tabulate import tabulate

from ganetiops.cli.remote import ssh_login
from ganetiops.config import load_config
from ganetiops.drbd.health import cluster_hosts, health, read_nodes
from ganetiops.rapi import RapiClient
from ganetiops.ssh import Nodes


def median(times: list[float]) -> float:
    return statistics.median(times)


def fan_out(hosts: list[Any], settings: Any, runs: int) -> tuple[list[float], list[float], Any]:
    fresh: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()

        async def once() -> Any:
            async with Nodes(hosts, settings) as nodes:
                return await read_nodes(nodes)

        states = asyncio.run(once())
        fresh.append(time.perf_counter() - started)

    async def kept() -> list[float]:
        out = []
        async with Nodes(hosts, settings) as nodes:
            await read_nodes(nodes)  # connect
            for _ in range(runs):
                started = time.perf_counter()
                await read_nodes(nodes)
                out.append(time.perf_counter() - started)
        return out

    return fresh, asyncio.run(kept()), states


def sequential_ssh(hosts: list[Any], settings: Any, runs: int) -> tuple[list[float], int]:
    known = [str(p) for p in settings.host_keys._known_hosts_paths]
    times = []
    answered = 0
    for _ in range(runs):
        started = time.perf_counter()
        for host in hosts:
            argv = ["ssh", "-oBatchMode=yes", "-oStrictHostKeyChecking=yes"]
            argv += [f"-oUserKnownHostsFile={known[0]}"] if known else []
            argv += [f"-oHostKeyAlias={host.name}"]
            for key in settings.client_keys:
                argv += ["-i", key, "-oIdentitiesOnly=yes"]
            argv += ["-p", str(host.port), f"{host.user}@{host.address or host.name}"]
            done = subprocess.run(
                [*argv, "cat /proc/drbd 2>/dev/null || echo no-drbd"],
                capture_output=True,
                text=True,
                check=False,
                timeout=60,
            )
            answered += done.returncode == 0 and bool(done.stdout.strip())
        times.append(time.perf_counter() - started)
    return times, answered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--context", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    context = load_config().resolve(args.context)
    settings, user, port = ssh_login(context)
    with RapiClient.from_context(context) as client:
        hosts, _ = cluster_hosts(client.nodes.list(), user=user, port=port)
        fresh, kept, states = fan_out(hosts, settings, args.runs)
        seq, answered = sequential_ssh(hosts, settings, args.runs)
        whole = []
        for _ in range(args.runs):
            started = time.perf_counter()
            report = health(client, settings, user=user, port=port)
            whole.append(time.perf_counter() - started)
    rows = [
        ["fan-out, fresh connections", f"{median(fresh):.3f}", ""],
        ["fan-out, connections kept (drbd watch)", f"{median(kept):.3f}", ""],
        [
            "sequential ssh NODE cat /proc/drbd",
            f"{median(seq):.3f}",
            f"{answered}/{len(hosts) * args.runs} answered",
        ],
        [
            "health() (RAPI + fan-out to DRBD nodes)",
            f"{median(whole):.3f}",
            f"{len(report.instances)} DRBD instances",
        ],
    ]
    rows[0][2] = f"{median(seq) / median(fresh):.1f}x faster than sequential"
    rows[1][2] = f"{median(seq) / median(kept):.1f}x faster than sequential"
    print(f"{len(hosts)} nodes, {args.runs} runs each (median seconds)")
    print(tabulate(rows, headers=["what", "seconds", "note"], tablefmt="github"))
    for name, node in sorted(states.items()):
        print(f"  {name}: {node.summary}")


if __name__ == "__main__":
    main()
