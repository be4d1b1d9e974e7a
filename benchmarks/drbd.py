"""Each DRBD operation's wall time beside Ganeti's own job time (received -> end).

Brings up a DRBD lab of its own (``--name``, default ``benchd``; the image is built
first if it is not cached), or uses one that is up (``--reuse NAME``, left up, its
instance removed at the end), runs the scenario of ``tests/drbd`` through the library,
prints one row per step and takes the lab down. Asserts nothing::

    sudo .venv/bin/python benchmarks/drbd.py [--name benchd] [--release bookworm]
    sudo .venv/bin/python benchmarks/drbd.py --reuse drbd1

``wall`` is what the caller waits (submit, poll, result); ``ganeti`` is the job's
``end_ts - received_ts`` as Ganeti recorded it (for node evacuation: from the parent's
receipt to the last child's end). The ratio shows what the client adds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from ganetiops.lab.vm import DrbdLab

ALEPH, BET, GIMEL = "aleph.homelab.tel", "bet.homelab.tel", "gimel.homelab.tel"
INSTANCE = "inst1.homelab.tel"


def _step(rows: list[tuple[str, float, float | None]], name: str, run: Callable[[], Any]) -> None:
    started = time.monotonic()
    result = run()
    wall = time.monotonic() - started
    infos = [result.info, *result.children]
    received = [i.received_ts for i in infos if i.received_ts is not None]
    ended = [i.end_ts for i in infos if i.end_ts is not None]
    ganeti = max(ended) - min(received) if received and ended else None
    rows.append((name, wall, ganeti))
    shown = f"{ganeti:7.1f}" if ganeti is not None else "      ?"
    print(f"{name:34} {wall:7.1f} {shown}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="benchd")
    parser.add_argument("--release", default="bookworm")
    parser.add_argument("--reuse", metavar="NAME", help="A DRBD lab that is up (left up).")
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("the DRBD lab needs root")
    lab = DrbdLab(options.reuse or options.name, release=options.release, progress=print)
    started = time.monotonic()
    try:
        if options.reuse:
            if not lab.is_up():
                sys.exit(f"--reuse {options.reuse}: no DRBD lab of that name is up")
        else:
            lab.up()
            print(
                "lab up (image cached or built, 3 VMs, bootstrap): "
                f"{time.monotonic() - started:.1f} s"
            )
        cluster = lab.cluster()
        rows: list[tuple[str, float, float | None]] = []
        print(f"{'step':34} {'wall s':>7} {'ganeti':>7}")
        with cluster.client(read_timeout=120.0) as rapi:
            timeout = 1800.0
            steps: list[tuple[str, Callable[[], Any]]] = [
                (
                    "create drbd 256M (snode bet)",
                    lambda: rapi.instances.create(
                        INSTANCE,
                        disk_template="drbd",
                        disks=["256M"],
                        nics=[],
                        os="noop",
                        name_check=False,  # not in DNS: as gnt-instance add --no-name-check
                        ip_check=False,
                        wait_for_sync=True,
                        pnode=ALEPH,
                        snode=BET,
                        beparams={"memory": "64M"},
                    ).wait(timeout),
                ),
                ("failover", lambda: rapi.instances.failover(INSTANCE).wait(timeout)),
                ("migrate (live)", lambda: rapi.instances.migrate(INSTANCE).wait(timeout)),
                (
                    "replace-disks -s",
                    lambda: rapi.instances.replace_disks(
                        INSTANCE, mode="replace_on_secondary"
                    ).wait(timeout),
                ),
                (
                    "replace-disks -n gimel",
                    lambda: rapi.instances.replace_disks(
                        INSTANCE, mode="replace_new_secondary", remote_node=GIMEL
                    ).wait(timeout),
                ),
                (
                    "node evacuate -s gimel (to bet)",
                    lambda: rapi.nodes.evacuate(GIMEL, mode="secondary-only", remote_node=BET).wait(
                        timeout
                    ),
                ),
                (
                    "grow-disk +128M (wait for sync)",
                    lambda: rapi.instances.grow_disk(INSTANCE, 0, "128M", wait_for_sync=True).wait(
                        timeout
                    ),
                ),
                (
                    "replace-disks -a (nothing to do)",
                    lambda: rapi.instances.replace_disks(INSTANCE, mode="replace_auto").wait(
                        timeout
                    ),
                ),
                (
                    "replace-disks -p",
                    lambda: rapi.instances.replace_disks(INSTANCE, mode="replace_on_primary").wait(
                        timeout
                    ),
                ),
                (
                    "migrate --cleanup",
                    lambda: rapi.instances.migrate(INSTANCE, cleanup=True).wait(timeout),
                ),
                ("stop", lambda: rapi.instances.shutdown(INSTANCE).wait(timeout)),
                (
                    "deactivate-disks",
                    lambda: rapi.instances.deactivate_disks(INSTANCE).wait(timeout),
                ),
                ("activate-disks", lambda: rapi.instances.activate_disks(INSTANCE).wait(timeout)),
                (
                    "modify -t plain",
                    lambda: rapi.instances.modify(INSTANCE, disk_template="plain").wait(timeout),
                ),
                (
                    "modify -t drbd -n bet (384M sync)",
                    lambda: rapi.instances.modify(
                        INSTANCE, disk_template="drbd", remote_node=BET
                    ).wait(timeout),
                ),
                ("start", lambda: rapi.instances.startup(INSTANCE).wait(timeout)),
            ]
            for name, run in steps:
                _step(rows, name, run)
            started = time.monotonic()
            lab.run("aleph", ["gnt-cluster", "verify-disks"])
            print(f"{'verify-disks (over SSH)':34} {time.monotonic() - started:7.1f}       -")
            walls = sum(r[1] for r in rows)
            ganeti = sum(r[2] for r in rows if r[2] is not None)
            if ganeti:
                print(
                    f"total: wall {walls:.1f} s, ganeti {ganeti:.1f} s, ratio {walls / ganeti:.2f}"
                )
            if options.reuse:
                _step(rows, "remove", lambda: rapi.instances.remove(INSTANCE).wait(timeout))
    finally:
        if not options.reuse:
            started = time.monotonic()
            lab.down()
            print(f"lab down: {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
