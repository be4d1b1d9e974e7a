"""Processes: start detached, identify by PID and start time, stop only what is ours.

The lab never stops a process by name. It stops (a) processes it recorded, after
checking that the PID still belongs to the same process (same kernel start time), and
(b) processes that live in one of its own network namespaces, which are the lab's by
construction (Ganeti daemons started by ``gnt-cluster init``, sshd sessions, jobs).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final

from ganetiops.errors import LabError
from ganetiops.lab.record import ProcessEntry

log = logging.getLogger(__name__)

#: Signals a daemon must not inherit as ignored from whoever ran ``gnt-py lab up``.
_DEFAULT_SIGNALS: Final = (
    signal.SIGHUP,
    signal.SIGINT,
    signal.SIGPIPE,
    signal.SIGTERM,
    signal.SIGXFSZ,
    signal.SIGCHLD,
)


def _stat_fields(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/PID/stat (after the parenthesised command name)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return text[text.rindex(")") + 2 :].split()


def start_time(pid: int) -> int | None:
    """Kernel start time of ``pid`` (clock ticks after boot), ``None`` if gone."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def is_running(pid: int) -> bool:
    """True if ``pid`` exists and is neither a zombie nor dead."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def is_alive(entry: ProcessEntry) -> bool:
    """True if the recorded process still runs (same PID *and* same start time)."""
    fields = _stat_fields(entry.pid)  # one read: start time and state of the same process
    if fields is None:
        return False
    return int(fields[19]) == entry.start_time and fields[0] not in ("Z", "X")


def spawn(argv: Sequence[str], *, env: Mapping[str, str], log: Path | None) -> int:
    """Start ``argv`` detached in its own session; return its PID.

    stdin is /dev/null, stdout and stderr append to ``log`` (or /dev/null). The
    process outlives the caller; ``reap`` collects it if it ends while we run.
    """
    out = str(log) if log else os.devnull
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    try:
        return os.posix_spawnp(
            argv[0],
            list(argv),
            dict(env),
            file_actions=actions,
            setsid=True,
            setsigmask=(),
            setsigdef=_DEFAULT_SIGNALS,
        )
    except OSError as exc:
        raise LabError(f"cannot start {argv[0]}: {exc.strerror}") from None


def reap(pid: int) -> None:
    """Collect ``pid`` if it is our exited child (no zombie left behind)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def netns_inode(name: str) -> int | None:
    """Inode of a named network namespace (``ip netns add``), ``None`` if absent."""
    try:
        return os.stat(f"/run/netns/{name}").st_ino
    except FileNotFoundError:
        return None


def pids_in_netns(inodes: Iterable[int]) -> list[int]:
    """Every live process whose network namespace is one of ``inodes``."""
    wanted = {f"net:[{inode}]" for inode in inodes}
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry.name}/ns/net") in wanted:
                found.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return [pid for pid in found if pid != os.getpid()]


def terminate(pids: Iterable[int], *, grace: float = 5.0) -> list[int]:
    """SIGTERM ``pids``, wait up to ``grace`` seconds, SIGKILL the rest.

    The caller has established that every PID is the lab's. Returns the PIDs still
    running afterwards (normally none).
    """
    targets = {pid for pid in pids if is_running(pid)}
    _signal_all(targets, signal.SIGTERM)
    remaining = _wait_gone(targets, grace)
    if remaining:
        _signal_all(remaining, signal.SIGKILL)
        remaining = _wait_gone(remaining, 2.0)
    return sorted(remaining)


def _signal_all(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _wait_gone(pids: set[int], timeout: float) -> set[int]:
    deadline = time.monotonic() + timeout
    while True:
        for pid in pids:
            reap(pid)
        remaining = {pid for pid in pids if is_running(pid)}
        if not remaining or time.monotonic() >= deadline:
            return remaining
        time.sleep(0.05)


@contextlib.contextmanager
def timed(what: str) -> Iterator[None]:
    """Log how long a step of ``up`` or ``down`` took (``gnt-py -v`` shows it)."""
    started = time.monotonic()
    yield
    log.info("%s: %.2f s", what, time.monotonic() - started)


def wait_for(
    condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll ``condition`` until true; raise :class:`LabError` naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise LabError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)
