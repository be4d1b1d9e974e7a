"""Jobs at the terminal: stream Ganeti's log lines, show progress, or just print the id.

Every ``gnt-py`` command that submits a job ends with :func:`follow_job`::

    from ganetiops.cli.jobs_ui import follow_job, job_options

    @click.command()
    @click.argument("name")
    @job_options
    @pass_state
    def reimage(state: State, name: str, jobs: JobOptions) -> None:
        job = state.client().instances.reboot(name, **jobs.common())
        follow_job(job, jobs, what=f"reboot {name}")

``follow_job(job, options, *, what="", stream=None) -> JobResult | None``

- ``options.no_wait`` (``--no-wait``, or gnt-*'s ``--submit``): prints the job id on
  stdout (``{"job_id": N}`` with ``--format json``/``yaml``) and returns ``None`` at
  once. The job runs on.
- otherwise waits (at most ``options.timeout`` seconds), writing each of Ganeti's log
  lines to stderr as it comes, prefixed with the elapsed time. On a terminal a
  spinner line (``⠹ job 42 instance startup web1 3.2s``) sits below the log lines;
  elsewhere (pipes, CI) the lines are plain and there is no spinner.
- returns the :class:`~ganetiops.rapi.JobResult`; a failed, canceled or timed-out job
  raises :class:`~ganetiops.errors.JobFailed` / ``JobCanceled`` / ``JobTimeout``,
  which ``gnt-py`` turns into exit codes 1 and 4 with Ganeti's message.

Callers that wait for a job inside their own flow (netboot's create) can use
:class:`JobProgress` directly: ``with JobProgress(job_id, what) as progress:
job.wait(on_log=progress.log)``.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any, TypeVar, overload

import attrs
import click

from ganetiops.cli.output import describe_call, dump, print_plan
from ganetiops.cli.state import State
from ganetiops.rapi.plan import Planned

if TYPE_CHECKING:
    from ganetiops.rapi.jobs import Job, JobResult
    from ganetiops.rapi.models.job import LogEntry

F = TypeVar("F", bound=Callable[..., Any])

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
PRIORITIES = {"low": 10, "normal": 0, "high": -10}


@attrs.frozen
class JobOptions:
    """The common job options of a command line (see :func:`job_options`)."""

    no_wait: bool = False
    timeout: float | None = None
    reason: str | None = None
    dry_run: bool = False
    priority: str | None = None
    output_format: str = "table"

    def common(self) -> dict[str, Any]:
        """Keyword arguments for a job-submitting library call (``reason``, ``dry_run``...)."""
        out: dict[str, Any] = {}
        if self.reason:
            out["reason"] = self.reason
        if self.dry_run:
            out["dry_run"] = True
        if self.priority:
            out["priority"] = PRIORITIES[self.priority]
        return out


@overload
def job_options(fn: F) -> F: ...
@overload
def job_options(*, common: bool = True) -> Callable[[F], F]: ...
def job_options(fn: F | None = None, *, common: bool = True) -> Any:
    """Add ``--no-wait/--submit`` and ``--timeout``; with ``common`` also ``--reason``,
    ``--dry-run`` and ``--priority`` (for calls whose RAPI handler takes them).

    Use as ``@job_options`` or ``@job_options(common=False)``. The command receives
    one ``jobs: JobOptions`` argument.
    """

    def decorate(fn: F) -> F:
        decorators = [
            click.option(
                "--no-wait",
                "--submit",
                "no_wait",
                is_flag=True,
                help="Submit the job, print its id and return (gnt-py job watch ID follows it).",
            ),
            click.option(
                "--timeout",
                type=click.FloatRange(min=0, min_open=True),
                metavar="SECONDS",
                help="Stop waiting after this long (exit 4; the job keeps running).",
            ),
            click.option(
                "--plan",
                is_flag=True,
                help="Print the RAPI requests that would submit jobs; send none, ask nothing.",
            ),
        ]
        if common:
            decorators += [
                click.option(
                    "--reason", metavar="TEXT", help="Recorded in the job's reason trail."
                ),
                click.option(
                    "--dry-run",
                    is_flag=True,
                    help="Ask Ganeti to check the operation without doing it.",
                ),
                click.option(
                    "--priority",
                    type=click.Choice(tuple(PRIORITIES)),
                    help="Job priority in the queue.",
                ),
            ]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            state = click.get_current_context().find_object(State)
            if kwargs.pop("plan") and state is not None:
                state.plan = True
            kwargs["jobs"] = JobOptions(
                no_wait=kwargs.pop("no_wait"),
                timeout=kwargs.pop("timeout"),
                reason=kwargs.pop("reason", None),
                dry_run=kwargs.pop("dry_run", False),
                priority=kwargs.pop("priority", None),
                output_format=state.output_format if state is not None else "table",
            )
            return fn(*args, **kwargs)

        command: Any = wrapper
        for decorator in reversed(decorators):
            command = decorator(command)
        return command  # type: ignore[no-any-return]

    return decorate(fn) if fn is not None else decorate


class JobProgress:
    """Shows one job's progress on stderr; use as a context manager around the wait.

    ``log(entry)`` prints a log line (``  [  2.1s] message``); on a TTY a spinner
    line is redrawn below the log until the block ends.
    """

    def __init__(
        self,
        job_id: int,
        what: str = "",
        *,
        stream: IO[str] | None = None,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.job_id = job_id
        self.what = what
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.clock = clock
        self.started = clock()
        self.lines = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._frame = 0

    def elapsed(self) -> float:
        return self.clock() - self.started

    def log(self, entry: LogEntry) -> None:
        """Print one of Ganeti's log lines with the elapsed time."""
        prefix = f"[{self.elapsed():6.1f}s]"
        job = f" job {entry.job_id}:" if entry.job_id != self.job_id else ""
        text = entry.text.rstrip()
        with self._lock:
            self._clear()
            for i, line in enumerate(text.splitlines() or [""]):
                lead = prefix if i == 0 else " " * len(prefix)
                self.stream.write(f"{lead}{job} {line}\n")
            self.lines += 1
            self._draw()
            self.stream.flush()

    def note(self, message: str) -> None:
        """A status line of our own (not from Ganeti)."""
        with self._lock:
            self._clear()
            self.stream.write(message + "\n")
            self._draw()
            self.stream.flush()

    def _status(self) -> str:
        what = f" {self.what}" if self.what else ""
        return f"job {self.job_id}{what}"

    def _clear(self) -> None:
        if self.tty and self._thread is not None:
            self.stream.write("\r\033[K")

    def _draw(self) -> None:
        if self.tty and self._thread is not None and not self._stop.is_set():
            frame = SPINNER[self._frame % len(SPINNER)]
            self.stream.write(f"{frame} {self._status()} {self.elapsed():.1f}s")

    def _spin(self) -> None:
        while not self._stop.wait(0.1):
            with self._lock:
                self._frame += 1
                self._clear()
                self._draw()
                self.stream.flush()

    def __enter__(self) -> JobProgress:
        if self.tty:
            self._thread = threading.Thread(target=self._spin, name="gnt-py-spinner", daemon=True)
            self._thread.start()
        else:
            self.stream.write(f"{self._status()}: submitted, waiting\n")
            self.stream.flush()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1)
        with self._lock:
            if self.tty:
                self.stream.write("\r\033[K")
            if exc_type is None:
                self.stream.write(f"{self._status()}: done in {self.elapsed():.1f}s\n")
            self.stream.flush()


def follow_job(
    job: Job | Planned,
    options: JobOptions | None = None,
    *,
    what: str = "",
    stream: IO[str] | None = None,
    follow: bool = True,
) -> JobResult | None:
    """Print the job id (``--no-wait``) or wait for the job, streaming its log.

    See the module docstring for what is printed where. Returns the
    :class:`~ganetiops.rapi.JobResult`, or ``None`` with ``--no-wait``.
    """
    options = options or JobOptions()
    if isinstance(job, Planned):
        return None  # --plan: the request was printed, nothing was submitted
    if options.no_wait:
        print_job_id(job.id, options.output_format)
        return None
    with JobProgress(job.id, what, stream=stream) as progress:
        return job.wait(options.timeout, on_log=progress.log, follow=follow)


def print_job_id(job_id: int, output_format: str = "table") -> None:
    """The id of a submitted job on stdout: ``42``, or ``{"job_id": 42}`` for JSON/YAML."""
    if output_format in ("json", "yaml"):
        click.echo(dump({"job_id": job_id}, output_format))
    else:
        click.echo(str(job_id))


def watch_job(
    job: Job, *, timeout: float | None = None, stream: IO[str] | None = None
) -> JobResult:
    """Attach to a job that runs already: its earlier log lines first, then new ones."""
    with JobProgress(job.id, "", stream=stream) as progress:
        return job.wait(timeout, on_log=progress.log)


__all__ = [
    "JobOptions",
    "JobProgress",
    "describe_call",
    "follow_job",
    "job_options",
    "print_job_id",
    "print_plan",
    "watch_job",
]
