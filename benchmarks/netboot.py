"""Netboot on a running lab: publish, the create sequence, reimage, remove (wall times).

Runs the real ``gnt-py`` against a lab that is already up (never the default ``lab``
unless named), with the boot stand-in installed, on an instance of its own
(``inst16``); prints the figures and asserts nothing::

    sudo .venv/bin/python benchmarks/netboot.py --lab net7 [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ganetiops.lab import Lab
from ganetiops.netboot.labclass import build_lab_class
from ganetiops.netboot.standin import install_standin

GNT_PY = str(Path(sys.executable).with_name("gnt-py"))
INSTANCE = "inst16"
CLASS = "benchclass"


def _timed(lab: str, *args: str, check: bool = True) -> float:
    started = time.perf_counter()
    subprocess.run([GNT_PY, "--context", lab, *args], check=check, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", required=True, help="a running lab (its context name)")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("the lab needs root")
    lab = Lab(options.lab)
    facts = lab.facts()
    install_standin([lab.machine(n.name) for n in facts.nodes], facts.boot.url)
    started = time.perf_counter()
    v1 = build_lab_class(CLASS, generation=1)
    v2 = build_lab_class(CLASS, generation=2)
    build = time.perf_counter() - started
    figures: dict[str, list[float]] = {}

    def note(what: str, seconds: float) -> None:
        figures.setdefault(what, []).append(seconds)

    name = options.lab
    try:
        for _ in range(options.repeat):
            _timed(name, "instance", "remove", INSTANCE, "--yes", check=False)
            note("netboot publish (new class)", _timed(name, "netboot", "publish", str(v1)))
            note("netboot publish (same sha256)", _timed(name, "netboot", "publish", str(v1)))
            create = ("instance", "create", INSTANCE, "--class", CLASS, "--keys", "create")
            note("instance create --plan", _timed(name, *create, "--plan"))
            note("instance create (whole sequence)", _timed(name, *create, "--yes"))
            note(
                "instance reimage --publish",
                _timed(name, "instance", "reimage", INSTANCE, "--publish", str(v2), "--yes"),
            )
            note("netboot rollback", _timed(name, "netboot", "rollback", CLASS, "--yes"))
            note("instance remove", _timed(name, "instance", "remove", INSTANCE, "--yes"))
            for path in Path(facts.boot.web_root_path, "nixos/by-class").glob(f"{CLASS}*"):
                subprocess.run(["rm", "-rf", str(path)], check=True)
    finally:
        _timed(name, "instance", "remove", INSTANCE, "--yes", check=False)
    print(f"lab class build (cached after the first run): {build:.2f} s")
    print(f"{'command':<40} {'runs':>4} {'min s':>7} {'median s':>9} {'max s':>7}")
    for what, seconds in figures.items():
        print(
            f"{'gnt-py ' + what:<40} {len(seconds):>4} {min(seconds):>7.2f} "
            f"{statistics.median(seconds):>9.2f} {max(seconds):>7.2f}"
        )


if __name__ == "__main__":
    main()
