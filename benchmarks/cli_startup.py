"""Cold-start time of ``gnt-py --help`` (and of a group's help), median of N runs.

Each run is a fresh interpreter, as a user's shell starts one. Prints figures and
asserts nothing (the aim is a median of at most 0.25 s). For reference it also
times a bare ``python -c pass`` on the same machine.

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


if __name__ == "__main__":
    main()
