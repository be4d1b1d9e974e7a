"""ganetiops' RAPI client beside Ganeti's official client, on the lab, in one run.

    sudo .venv/bin/python benchmarks/rapi_vs_official.py --context lab [--instances 500]

Measures, and prints as a table with ratios:
1. how long after a job's ``end_ts`` the caller knows it finished (20+ jobs):
   ganetiops long-polls ``/2/jobs/ID/wait``; the official client polls every 5 s;
2. ``GET /2/instances?bulk=1`` with 500+ instances: ganetiops into typed models
   versus the official client's dicts (time and peak Python memory);
3. 50+ jobs submitted and awaited concurrently through ``AsyncRapiClient`` versus
   a sequential loop with ``RapiClient``.

It creates the instances it needs (diskless, OS ``noop``, not installed, not
started) and removes them afterwards unless ``--keep``. No assertions: figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
import urllib.parse
from pathlib import Path
from typing import Any

from tabulate import tabulate

from ganetiops.config import load_config
from ganetiops.rapi import AsyncRapiClient, RapiClient

HERE = Path(__file__).resolve().parent
PREFIX = "bench"


def official(task: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        ["/usr/bin/python3", str(HERE / "_official.py")],
        input=json.dumps(task),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def job_latency(client: RapiClient, count: int) -> list[float]:
    latencies = []
    for i in range(count):
        job = client.cluster.add_tags([f"{PREFIX}-ops-{i}"])
        result = job.wait()
        known = time.time()
        assert result.info.end_ts is not None
        latencies.append(known - result.info.end_ts)
        client.cluster.remove_tags([f"{PREFIX}-ops-{i}"]).wait()
    return latencies


async def ensure_instances(context: str, count: int, nodes: list[str]) -> list[str]:
    async with AsyncRapiClient.from_context(context) as client:
        have = set(await client.instances.names())
        wanted = [f"{PREFIX}{i:04d}" for i in range(count)]
        missing = [n for n in wanted if n not in have]

        async def create(index: int, name: str) -> None:
            job = await client.instances.create(
                name,
                disk_template="diskless",
                disks=[],
                nics=[],
                os="noop",
                name_check=False,  # names not in DNS: as gnt-instance add --no-name-check
                ip_check=False,
                pnode=nodes[index % len(nodes)],  # spread: each create locks its node
                start=False,
                no_install=True,
                beparams={"maxmem": 128, "minmem": 128, "vcpus": 1},
            )
            await job.wait()

        started = time.perf_counter()
        await asyncio.gather(*(create(i, n) for i, n in enumerate(missing)))
        if missing:
            print(
                f"created {len(missing)} instances in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
        return wanted


async def remove_instances(context: str, names: list[str]) -> None:
    async with AsyncRapiClient.from_context(context) as client:

        async def remove(name: str) -> None:
            await (await client.instances.remove(name)).wait()

        await asyncio.gather(*(remove(n) for n in names))


def bulk(client: RapiClient, rounds: int) -> tuple[list[float], int, int]:
    times = []
    tracemalloc.start()
    count = 0
    for _ in range(rounds):
        start = time.perf_counter()
        instances = client.instances.list()
        times.append(time.perf_counter() - start)
        count = len(instances)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return times, peak, count


async def concurrent_jobs(context: str, count: int) -> float:
    async with AsyncRapiClient.from_context(context) as client:

        async def one(i: int) -> None:
            await (await client.cluster.add_tags([f"{PREFIX}-c-{i}"])).wait()

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(count)))
        elapsed = time.perf_counter() - start
        tags = [f"{PREFIX}-c-{i}" for i in range(count)]
        await (await client.cluster.remove_tags(tags)).wait()
        return elapsed


def sequential_jobs(client: RapiClient, count: int) -> float:
    start = time.perf_counter()
    for i in range(count):
        client.cluster.add_tags([f"{PREFIX}-s-{i}"]).wait()
    elapsed = time.perf_counter() - start
    client.cluster.remove_tags([f"{PREFIX}-s-{i}" for i in range(count)]).wait()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--context", default="lab")
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--instances", type=int, default=500)
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark instances")
    args = parser.parse_args()

    ctx = load_config().context(args.context)
    secret = ctx.resolve_password()
    url = urllib.parse.urlsplit(ctx.url or "")
    base_task = {
        "host": url.hostname,
        "port": url.port or 5080,
        "user": ctx.user,
        "password": secret.reveal() if secret else None,
    }
    rows = []
    with RapiClient.from_context(ctx) as client:
        ours = job_latency(client, args.jobs)
        theirs = official({**base_task, "what": "job_latency", "count": args.jobs})["latencies"]
        rows.append(
            [
                "job end -> caller knows, median s",
                f"{statistics.median(ours):.3f}",
                f"{statistics.median(theirs):.3f}",
                f"{statistics.median(theirs) / statistics.median(ours):.1f}x",
            ]
        )
        rows.append(["  same, max s", f"{max(ours):.3f}", f"{max(theirs):.3f}", ""])

        nodes = client.nodes.names()
        names = asyncio.run(ensure_instances(args.context, args.instances, nodes))
        try:
            times, peak, count = bulk(client, args.rounds)
            off = official({**base_task, "what": "bulk", "rounds": args.rounds})
            rows.append(
                [
                    f"GET /2/instances?bulk=1 ({count}), median s",
                    f"{statistics.median(times):.3f} (models)",
                    f"{statistics.median(off['times']):.3f} (dicts)",
                    f"{statistics.median(off['times']) / statistics.median(times):.2f}x",
                ]
            )
            rows.append(
                [
                    "  peak Python memory, MiB",
                    f"{peak / 2**20:.1f}",
                    f"{off['peak_bytes'] / 2**20:.1f}",
                    "",
                ]
            )
        finally:
            if not args.keep:
                asyncio.run(remove_instances(args.context, names))

        conc = asyncio.run(concurrent_jobs(args.context, args.concurrent))
        seq = sequential_jobs(client, args.concurrent)
        rows.append(
            [
                f"{args.concurrent} jobs: async concurrent vs sync sequential, s",
                f"{conc:.2f}",
                f"{seq:.2f} (sequential)",
                f"{seq / conc:.1f}x",
            ]
        )
    print(tabulate(rows, headers=["measure", "ganetiops", "official / baseline", "ratio"]))


if __name__ == "__main__":
    main()
