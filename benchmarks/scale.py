"""ganetiops at scale beside Ganeti's own tools, on a large lab, in one run.

    gnt-py lab --name big up --nodes 12
    gnt-py lab --name big fill --instances 1000
    .venv/bin/python benchmarks/scale.py --lab big [--concurrent 100] [--sequential 20]

Prints one table with ratios, each measured in this run:
1. ``GET /2/instances?bulk=1`` of every instance: ganetiops into typed models beside
   the official client's dicts (``ganeti.rapi.client`` under Debian's python3): time
   and peak Python memory;
   and where the bulk list's time goes (RAPI's answer and its JSON, models);
2. ``gnt-py instance list`` of every instance (a process on the host, through RAPI)
   beside a process on the host that does the same with the official client (Debian's
   python3, ``Query`` of the same fields, a padded table on stdout: what a CLI user of
   the official client runs), and beside ``gnt-instance list`` on the master (a process
   there, through luxid);
3. a filtered query (``PUT /2/query/instance`` with a qlang filter) beside listing
   everything and filtering in Python;
4. the notebook's views of everything: capacity report + HTML, DataFrames of all
   instances and nodes: time to build and render;
5. N operations at once (add a tag, then remove it, on N instances) through the async
   fan-out (:func:`ganetiops.rapi.fanout.run_jobs`): wall time beside Ganeti's own bound
   for the same jobs (first ``received_ts`` to last ``end_ts``, from the jobs' own
   records), and beside the sync client doing M of them one by one (per job).

Needs a filled lab (``gnt-py lab fill``); creates nothing else and leaves the tags as
it found them. No assertions: figures. The host's load average (1 min) is sampled
every 5 s during the run and printed with the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
from tabulate import tabulate

from ganetiops.config import load_config
from ganetiops.display import capacity
from ganetiops.display.rows import to_dataframe
from ganetiops.lab import Lab
from ganetiops.rapi import AsyncRapiClient, RapiClient
from ganetiops.rapi.fanout import run_jobs

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from rapi_vs_official import official  # noqa: E402

TAG = "bench-scale"
#: ``gnt-instance list``'s default fields, as ``gnt-py instance list`` shows them.
LIST_FIELDS = ("name", "hypervisor", "os", "pnode", "status", "oper_ram")


def timed(fn: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    """Median seconds of ``rounds`` calls, and the last result."""
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_of(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run_wall(argv: list[str], rounds: int, stdin: str | None = None) -> float:
    def once() -> None:
        subprocess.run(argv, check=True, capture_output=True, input=stdin, text=True)

    return timed(once, rounds)[0]


class LoadSampler:
    """The host's 1-minute load average every ``every`` seconds, in a thread."""

    def __init__(self, every: float = 5.0) -> None:
        self.samples = [os.getloadavg()[0]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> str:
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])
        low, mid, high = min(self.samples), statistics.median(self.samples), max(self.samples)
        return f"load average (1 min) during the run: {low:.1f}-{high:.1f}, median {mid:.1f}"


async def fan_out(context: str, names: list[str], add: bool) -> tuple[float, float]:
    """Wall time of the fan-out and Ganeti's own bound for its jobs."""
    async with AsyncRapiClient.from_context(context) as client:
        verb = client.instances.add_tags if add else client.instances.remove_tags
        work = {n: (lambda n=n: verb(n, [TAG])) for n in names}
        start = time.perf_counter()
        outcomes = await run_jobs(client, work)
        wall = time.perf_counter() - start
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise SystemExit(f"{len(failed)} jobs failed, first: {failed[0].error}")
    infos = [o.info for o in outcomes if o.info is not None]
    received = min(i.received_ts for i in infos if i.received_ts is not None)
    ended = max(i.end_ts for i in infos if i.end_ts is not None)
    return wall, ended - received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="lab", help="the lab (its context is used)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrent", type=int, default=100)
    parser.add_argument("--sequential", type=int, default=20)
    args = parser.parse_args()

    lab = Lab(args.lab)
    record = lab.record()
    if record is None or record.context is None:
        raise SystemExit(f"lab {args.lab} is not up with a cluster")
    ctx = load_config().context(record.context.name)
    secret = ctx.resolve_password()
    url = urllib.parse.urlsplit(ctx.url or "")
    task = {
        "host": url.hostname,
        "port": url.port or 5080,
        "user": ctx.user,
        "password": secret.reveal() if secret else None,
    }
    rows: list[list[Any]] = []
    load = LoadSampler()

    def row(what: str, ours: str, theirs: str, ratio: float | None) -> None:
        rows.append([what, ours, theirs, "" if ratio is None else f"{ratio:.2f}x"])

    with RapiClient.from_context(ctx) as client:
        instances = client.instances.list()
        nodes = client.nodes.list()
        count = len(instances)
        # 1. bulk list into models, beside the official client.
        # Rounds interleaved (ours, theirs, ours...) so that a busy host slows both alike.
        ours_times: list[float] = []
        theirs_times: list[float] = []
        for _ in range(args.rounds):
            ours_times.append(timed(client.instances.list, 1)[0])
            off = official({**task, "what": "bulk", "rounds": 1})
            theirs_times.extend(off["times"])
        ours_s, theirs_s = statistics.median(ours_times), statistics.median(theirs_times)
        ours_peak = peak_of(client.instances.list)
        row(
            f"bulk list of {count} instances, s",
            f"{ours_s:.3f}",
            f"{theirs_s:.3f}",
            ours_s / theirs_s,
        )
        row(
            "  peak Python memory, MiB",
            f"{ours_peak / 2**20:.1f}",
            f"{off['peak_bytes'] / 2**20:.1f}",
            ours_peak / off["peak_bytes"],
        )

        # Where the bulk list's time goes: RAPI's answer read and decoded as JSON (one
        # request, the parser left out), JSON decoding alone, and the models alone.
        call = client.instances.list.call()
        raw_s, raw = timed(lambda: client.send(attrs.evolve(call, parse=lambda d: d)), args.rounds)
        body = json.dumps(raw)
        json_s, _ = timed(lambda: json.loads(body), args.rounds)
        models_s, _ = timed(lambda: call.parse(raw), args.rounds)
        rows.append(
            [
                f"  of it: answer {raw_s:.3f} (JSON {json_s:.3f}), models {models_s:.3f}, "
                f"{len(body) // 1000} kB",
                "",
                "",
                "",
            ]
        )

        # 2. the CLI beside the official client's process and gnt-instance list.
        gnt_py = [str(Path(sys.executable).with_name("gnt-py")), "--context", ctx.name]
        master = lab.machine("aleph")
        overhead = timed(lambda: master.run(["true"]), args.rounds)[0]
        official_argv = ["/usr/bin/python3", str(HERE / "_official.py")]
        official_task = json.dumps({**task, "what": "list", "fields": list(LIST_FIELDS)})
        cli_times: list[float] = []
        official_times: list[float] = []
        native_times: list[float] = []
        for _ in range(args.rounds):  # interleaved, as above
            cli_times.append(run_wall([*gnt_py, "instance", "list"], 1))
            official_times.append(run_wall(official_argv, 1, stdin=official_task))
            native_times.append(
                timed(lambda: master.run(["gnt-instance", "list"], timeout=300), 1)[0]
            )
        cli_s = statistics.median(cli_times)
        official_s = statistics.median(official_times)
        native = statistics.median(native_times) - overhead
        row(
            "instance list (all) process, s: gnt-py vs official client's",
            f"{cli_s:.3f}",
            f"{official_s:.3f}",
            cli_s / official_s,
        )
        row(
            "  gnt-py vs gnt-instance list on the master",
            f"{cli_s:.3f}",
            f"{native:.3f}",
            cli_s / native,
        )

        # 3. a qlang filter beside filtering in Python.
        pnode = nodes[-1].name
        qfilter = ["&", ["==", "pnode", pnode], ["=~", "name", "^fill"]]
        query_s, result = timed(
            lambda: client.query.query("instance", ["name", "pnode"], qfilter), args.rounds
        )
        pattern = re.compile("^fill")

        def python_side() -> list[str]:
            return [
                i.name
                for i in client.instances.list()
                if i.pnode == pnode and pattern.match(i.name)
            ]

        py_s, matched = timed(python_side, args.rounds)
        assert len(result.rows) == len(matched), "the two filters disagree"
        row(
            f"filter ({len(matched)} of {count}), s: qlang vs Python",
            f"{query_s:.3f}",
            f"{py_s:.3f}",
            query_s / py_s,
        )

        # 4. what a notebook renders.
        cap_s, report = timed(lambda: capacity(nodes, instances), args.rounds)
        html_s, _ = timed(report._repr_html_, args.rounds)
        df_s, _ = timed(lambda: (to_dataframe(instances), to_dataframe(nodes)), args.rounds)
        rows.append(
            [
                f"capacity report of {len(nodes)} nodes / {count} instances, s",
                f"{cap_s:.3f}",
                "",
                "",
            ]
        )
        rows.append(["  its HTML, s", f"{html_s:.3f}", "", ""])
        rows.append(["DataFrames of all instances and nodes, s", f"{df_s:.3f}", "", ""])

        # 5. N operations at once, beside Ganeti's bound and a sequential loop.
        names = sorted(i.name for i in instances)
        many = names[: args.concurrent]
        wall, bound = asyncio.run(fan_out(ctx.name, many, add=True))
        row(
            f"{len(many)} tag jobs at once: fan-out vs Ganeti's bound, s",
            f"{wall:.1f}",
            f"{bound:.1f}",
            wall / bound,
        )
        wall_rm, bound_rm = asyncio.run(fan_out(ctx.name, many, add=False))
        row(
            "  the same, removing the tags, s",
            f"{wall_rm:.1f}",
            f"{bound_rm:.1f}",
            wall_rm / bound_rm,
        )
        few = names[: args.sequential]
        start = time.perf_counter()
        for name in few:
            client.instances.add_tags(name, [TAG]).wait()
        seq = (time.perf_counter() - start) / len(few)
        for name in few:
            client.instances.remove_tags(name, [TAG]).wait()
        per_job = wall / len(many)
        row(
            f"  per job: fan-out vs sync one by one ({len(few)}), s",
            f"{per_job:.2f}",
            f"{seq:.2f}",
            per_job / seq,
        )

    print(f"lab {args.lab}: {len(nodes)} nodes, {count} instances, {args.rounds} rounds")
    print(load.stop())
    print(tabulate(rows, headers=["measure", "ganetiops", "beside", "ratio"]))


if __name__ == "__main__":
    main()
