"""Wall time of ``gnt-py lab up --bare``, ``gnt-py lab up`` and ``gnt-py lab down``.

Runs the real CLI (as root) on a lab of its own, in a free slot, so that it never
touches another lab; prints the figures and asserts nothing::

    sudo .venv/bin/python benchmarks/lab_up.py [--repeat 3] [--name bench]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ganetiops.lab import free_slot

GNT_PY = str(Path(sys.executable).with_name("gnt-py"))


def _timed(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([GNT_PY, *args], check=True, capture_output=True, text=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each (default 1)")
    parser.add_argument("--name", default="bench", help="the lab's name (default bench)")
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("the lab needs root")
    lab = ["lab", "--name", options.name]
    load_before = os.getloadavg()[0]
    figures: dict[str, list[float]] = {}
    for _ in range(options.repeat):
        for bare in (True, False):
            slot = str(free_slot())
            what = "up --bare" if bare else "up"
            try:
                figures.setdefault(what, []).append(
                    _timed(*lab, "up", "--slot", slot, *(["--bare"] if bare else []))
                )
            finally:
                figures.setdefault(f"down after {what}", []).append(_timed(*lab, "down"))
    print(f"{'command':<32} {'runs':>4} {'min s':>7} {'median s':>9} {'max s':>7}")
    for what, seconds in figures.items():
        print(
            f"{'gnt-py lab ' + what:<32} {len(seconds):>4} {min(seconds):>7.2f} "
            f"{statistics.median(seconds):>9.2f} {max(seconds):>7.2f}"
        )
    load = " ".join(f"{x:.1f}" for x in (load_before, os.getloadavg()[0]))
    print(f"{os.cpu_count()} CPUs; load average (1 min) before and after: {load}")


if __name__ == "__main__":
    main()
