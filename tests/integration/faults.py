"""Producing faults in the namespace lab, for the fault tests (test_faults*.py).

Every fault acts on this lab only: daemons are found by the pidfile of the lab node
*and* checked to live in that node's network namespace before they are signalled
(other labs run the same daemons on this host; nothing is stopped by name); links are
the lab's own veths, found in its record; queue drains and master failovers run with
the lab's own ``gnt-*`` commands inside its nodes. Each context manager undoes its
fault in ``finally``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator

from ganetiops.lab import Lab, procs
from ganetiops.lab.machine import Machine

DAEMON_UTIL = "/usr/lib/ganeti/daemon-util"


def _netns(machine: Machine) -> str:
    return os.readlink(f"/proc/{machine.holder.pid}/ns/net")


def daemon_pid(lab: Lab, node: str, daemon: str) -> int | None:
    """The PID of ``daemon`` (``ganeti-rapi``...) on a lab node, from the node's own
    pidfile, or ``None`` when it does not run. Refuses a PID outside the node's netns."""
    machine = lab.machine(node)
    pidfile = machine.path(f"/run/ganeti/{daemon}.pid")
    try:
        pid = int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if not procs.is_running(pid):
        return None
    try:
        theirs = os.readlink(f"/proc/{pid}/ns/net")
    except FileNotFoundError:
        return None
    if theirs != _netns(machine):
        raise AssertionError(f"{daemon} pid {pid} is not in lab node {node}'s namespace")
    return pid


def kill_daemon(lab: Lab, node: str, daemon: str, sig: int = signal.SIGKILL) -> int:
    """Signal the lab node's ``daemon`` by its PID and wait until it is gone."""
    pid = daemon_pid(lab, node, daemon)
    assert pid is not None, f"{daemon} does not run on {node}"
    os.kill(pid, sig)
    procs.wait_for(lambda: not procs.is_running(pid), timeout=15, what=f"{daemon} to end")
    procs.reap(pid)
    return pid


def start_daemon(lab: Lab, node: str, daemon: str) -> int:
    """Start ``daemon`` as the lab does: ``daemon-util start`` inside the node, then
    its pidfile owned by root (bookworm's start-stop-daemon, peers.md §3.3).

    A stale root-owned pidfile is removed first: the daemon writes its own and could
    not open one owned by root.
    """
    machine = lab.machine(node)
    pidfile = machine.path(f"/run/ganeti/{daemon}.pid")
    if daemon_pid(lab, node, daemon) is None:
        pidfile.unlink(missing_ok=True)
    machine.run([DAEMON_UTIL, "start", daemon], timeout=60)
    procs.wait_for(
        lambda: daemon_pid(lab, node, daemon) is not None, timeout=30, what=f"{daemon} pidfile"
    )
    os.chown(pidfile, 0, 0)
    pid = daemon_pid(lab, node, daemon)
    assert pid is not None
    return pid


def master(lab: Lab) -> str:
    """The short name of the node that is the master now (its ssconf)."""
    text = lab.machine("aleph").path("/var/lib/ganeti/ssconf_master_node").read_text()
    return text.strip().split(".")[0]


@contextlib.contextmanager
def daemon_down(lab: Lab, node: str, daemon: str) -> Iterator[int]:
    """``daemon`` killed on entry; started again on exit whatever happens."""
    pid = kill_daemon(lab, node, daemon)
    try:
        yield pid
    finally:
        if daemon_pid(lab, node, daemon) is None:
            start_daemon(lab, node, daemon)


def wait_until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def root_owned_pidfiles(lab: Lab) -> None:
    """Every node's Ganeti pidfiles owned by root, as the lab leaves them after its
    bootstrap (bookworm's start-stop-daemon refuses others, ganeti#1623)."""
    for node in ("aleph", "bet", "gimel", "dalet"):
        for pidfile in lab.machine(node).path("/run/ganeti").glob("*.pid"):
            os.chown(pidfile, 0, 0)


def master_failover(lab: Lab, to: str) -> float:
    """``gnt-cluster master-failover`` run on node ``to``; returns the seconds it took."""
    root_owned_pidfiles(lab)
    started = time.monotonic()
    lab.machine(to).run(["gnt-cluster", "master-failover"], timeout=180)
    took = time.monotonic() - started
    root_owned_pidfiles(lab)
    assert master(lab) == to
    return took
