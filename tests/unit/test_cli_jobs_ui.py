"""Job progress at the terminal: log lines with elapsed time, a spinner only on a TTY."""

from __future__ import annotations

import io
import time

from ganetiops.cli.jobs_ui import JobOptions, JobProgress, follow_job
from ganetiops.rapi.models import LogEntry


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def entry(job_id: int, serial: int, text: str) -> LogEntry:
    return LogEntry(job_id, serial, 0.0, "message", text)


def test_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    now = [100.0]
    with JobProgress(7, "start web1", stream=stream, clock=lambda: now[0]) as progress:
        now[0] = 101.5
        progress.log(entry(7, 1, "* starting instance..."))
        progress.log(entry(9, 1, "child says hi\nsecond line"))
        now[0] = 102.0
    lines = stream.getvalue().splitlines()
    assert lines[0] == "job 7 start web1: submitted, waiting"
    assert lines[1] == "[   1.5s] * starting instance..."
    assert lines[2] == "[   1.5s] job 9: child says hi"  # a child job is named
    assert lines[3].endswith("second line")
    assert lines[4] == "job 7 start web1: done in 2.0s"
    assert "\r" not in stream.getvalue()  # no spinner in pipes and logs


def test_spinner_on_a_terminal_is_cleared_around_log_lines() -> None:
    stream = Tty()
    with JobProgress(8, "reboot web1", stream=stream) as progress:
        time.sleep(0.35)
        progress.log(entry(8, 1, "* rebooting"))
        time.sleep(0.15)
    text = stream.getvalue()
    assert "job 8 reboot web1" in text
    assert any(frame in text for frame in "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
    assert "\r\033[K[" in text  # the spinner line is wiped before a log line
    last = text.rstrip("\n").rsplit("\r\033[K", 1)[1]  # the spinner is wiped at the end
    assert last.startswith("job 8 reboot web1: done in ")
    assert "submitted, waiting" not in text


def test_follow_job_no_wait_prints_the_id(capsys: object) -> None:
    class FakeJob:
        id = 42

        def wait(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("must not wait")

    assert follow_job(FakeJob(), JobOptions(no_wait=True)) is None  # type: ignore[arg-type]
    assert follow_job(FakeJob(), JobOptions(no_wait=True, output_format="json")) is None  # type: ignore[arg-type]
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert out.splitlines()[0] == "42"
    assert '"job_id": 42' in out


def test_job_options_common() -> None:
    assert JobOptions().common() == {}
    assert JobOptions(reason="maint", dry_run=True, priority="high").common() == {
        "reason": "maint",
        "dry_run": True,
        "priority": -10,
    }
