"""Cold-start time of ``gnt-py --help`` (and of a group's help), median of N runs.

Each run is a fresh interpreter, as a user's shell starts one. Prints figures and
asserts nothing (the aim is a median of at most 0.25 s). For reference it also
times a bare ``python -c pass`` on the same machine and, side by side, Ganeti's own
CLI (``gnt-instance --help``, ``gnt-instance list --help``: Debian's python3, no
cluster needed) and what a script of the official RAPI client pays before its first
request (``python3 -c "from ganeti.rapi import client"``), when they are installed.
The rounds alternate (ours, theirs, ours...) so that a busy host slows both alike.

    python benchmarks/cli_startup.py [--runs 25]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def gnt_py() -> list[str]:
    """The installed console script beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("gnt-py")
    if script.exists():
        return [str(script)]
    found = shutil.which("gnt-py")
    return [found] if found else [sys.executable, "-m", "ganetiops.cli"]


def measure(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return times


def measure_pair(a: list[str], b: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Both commands, alternating, ``runs`` times each."""
    first: list[float] = []
    second: list[float] = []
    for _ in range(runs):
        first += measure(a, 1)
        second += measure(b, 1)
    return first, second


def report(label: str, times: list[float]) -> None:
    print(
        f"{label:32} median {statistics.median(times):.3f} s   "
        f"min {min(times):.3f}   max {max(times):.3f}   ({len(times)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    runs = max(args.runs, 20)
    command = gnt_py()
    measure([*command, "--help"], 2)  # warm the page cache: "cold" is the interpreter only
    report("python -c pass", measure([sys.executable, "-c", "pass"], runs))
    report("gnt-py --help", measure([*command, "--help"], runs))
    report("gnt-py instance --help", measure([*command, "instance", "--help"], runs))
    report("gnt-py --version", measure([*command, "--version"], runs))
    ganeti = Path("/usr/sbin/gnt-instance")
    if ganeti.exists():
        for ours, theirs in (
            (["--help"], ["--help"]),
            (["instance", "list", "--help"], ["list", "--help"]),
        ):
            a, b = measure_pair([*command, *ours], [str(ganeti), *theirs], runs)
            report("gnt-py " + " ".join(ours), a)
            report("gnt-instance " + " ".join(theirs), b)
            print(f"{'':32} ratio of medians {statistics.median(a) / statistics.median(b):.2f}x")
    official = Path("/usr/share/ganeti/3.0/ganeti/rapi/client.py")
    if official.exists():
        python3 = "/usr/bin/python3"
        a, b = measure_pair(
            [sys.executable, "-c", "import ganetiops.rapi.client"],
            [
                python3,
                "-c",
                "import sys; sys.path.insert(0, '/usr/share/ganeti/3.0'); "
                "from ganeti.rapi import client",
            ],
            runs,
        )
        report("import ganetiops.rapi.client", a)
        report("import ganeti.rapi.client", b)
        print(f"{'':32} ratio of medians {statistics.median(a) / statistics.median(b):.2f}x")


if __name__ == "__main__":
    main()
