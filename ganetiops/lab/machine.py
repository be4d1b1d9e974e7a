"""A lab machine (node or boot server) and how to run things inside it.

A machine is a network, mount and UTS namespace kept alive by a *holder* process
(``ip netns exec <ns> unshare --mount --uts --propagation private sleep infinity``).
``ip netns exec`` mounts a fresh sysfs there, so ``/sys/class/net`` shows the machine's
own interfaces (Ganeti's bridge checks read it). Commands enter all three namespaces
with ``nsenter -t <holder> -m -u -n``; the boot server's commands then ``chroot`` into
its root, where ``/usb1-part1/http`` exists.

Every command gets a clean environment (:data:`ganetiops.lab.host.CLEAN_ENV`) and
``ulimit -n 1024``: Ganeti's daemons close every descriptor up to the limit when they
start, which takes ages under a high limit (peers.md §3.3).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import attrs

from ganetiops.errors import LabError
from ganetiops.lab import host, procs
from ganetiops.lab.record import LabRecord, ProcessEntry

NOFILE: Final = 1024


@attrs.frozen
class Machine:
    """A running lab machine, addressed through its holder process."""

    name: str
    holder: ProcessEntry
    #: The boot server's root directory (a host path), ``None`` for nodes.
    chroot: str | None = None

    def check_alive(self) -> None:
        """Raise :class:`LabError` unless the holder is the very process recorded."""
        if not procs.is_alive(self.holder):
            raise LabError(f"lab machine {self.name} is not running (holder {self.holder.pid})")

    def argv(self, command: Sequence[str], *, env: Mapping[str, str] | None = None) -> list[str]:
        """The host command line that runs ``command`` inside this machine.

        Usable with :mod:`subprocess` or :mod:`asyncio` subprocesses alike.
        """
        self.check_alive()
        environment = {**host.CLEAN_ENV, **(env or {})}
        prefix = ["nsenter", "-t", str(self.holder.pid), "-m", "-u", "-n", "--"]
        if self.chroot:
            prefix += ["chroot", self.chroot]
        prefix += ["env", "-i", *(f"{k}={v}" for k, v in environment.items())]
        prefix += ["prlimit", f"--nofile={NOFILE}:{NOFILE}", "--"]
        return [*prefix, *command]

    def run(
        self,
        command: Sequence[str],
        *,
        input: str | None = None,
        timeout: float = 300.0,
        check: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` inside the machine; :class:`LabError` if it fails and ``check``."""
        return host.run(self.argv(command, env=env), input=input, timeout=timeout, check=check)

    def path(self, path: str) -> Path:
        """A path inside the machine, as the host can open it (``/proc/<holder>/root/...``)."""
        self.check_alive()
        inside = Path(self.chroot or "/") / path.lstrip("/")
        return Path(f"/proc/{self.holder.pid}/root") / str(inside).lstrip("/")

    def spawn(self, command: Sequence[str], *, role: str, log: Path, record: LabRecord) -> int:
        """Start a long-running daemon inside the machine and record it; return its PID.

        ``nsenter``, ``chroot``, ``env`` and ``prlimit`` all exec, so the PID is the
        daemon's own (it must run in the foreground).
        """
        argv = self.argv(command)
        what = f"{command[0]} on {self.name}"
        return spawn_recorded(
            argv, machine=self.name, role=role, log=log, record=record, what=what
        ).pid


def spawn_recorded(
    argv: Sequence[str],
    *,
    machine: str,
    role: str,
    log: Path | None,
    record: LabRecord,
    what: str,
) -> ProcessEntry:
    """Start ``argv`` detached (clean environment) and record it by PID and start time.

    :class:`LabError` naming ``what`` if it ended at once.
    """
    pid = procs.spawn(argv, env=host.CLEAN_ENV, log=log)
    started = procs.start_time(pid)
    if started is None:
        see = f"; see {log}" if log else ""
        raise LabError(f"{what} ended at once{see}")
    entry = ProcessEntry(pid, started, machine, role)
    record.add_process(entry)
    return entry
