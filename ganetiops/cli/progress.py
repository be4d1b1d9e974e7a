"""Progress of a long fan-out on stderr: a bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import IO, Final

from ganetiops.rapi.fanout import Progress

BAR_WIDTH: Final = 30
#: Without a terminal: a line at most this often (and at the end).
LINE_EVERY: Final = 5.0


class FanoutProgress:
    """Callable for ``run_jobs(on_progress=...)``; ``what`` names the work."""

    def __init__(self, what: str, *, stream: IO[str] | None = None, tty: bool | None = None):
        self.what = what
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self._last_line = 0.0
        self._drawn = False

    def __call__(self, progress: Progress) -> None:
        done = progress.finished >= progress.total
        if self.tty:
            share = progress.finished / progress.total if progress.total else 1.0
            filled = int(share * BAR_WIDTH)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stream.write(f"\r{self.what} [{bar}] {progress}")
            self._drawn = True
            if done:
                self.stream.write("\n")
                self._drawn = False
        else:
            now = time.monotonic()
            if done or now - self._last_line >= LINE_EVERY:
                self.stream.write(f"{self.what}: {progress}\n")
                self._last_line = now
        self.stream.flush()

    def close(self) -> None:
        """End a bar left half-drawn (an interrupted fan-out)."""
        if self._drawn:
            self.stream.write("\n")
            self._drawn = False
