"""Every command a message tells the user to run is a command that parses.

The sources are scanned for ``gnt-py ...`` in string literals (error hints, notes,
docstrings); placeholders (``{name}``, ``NAME``) become a word. Each command line is
run with ``--help`` appended: an unknown command or an option at the wrong level (such
as ``gnt-py lab down --name lab``: ``--name`` belongs to the ``lab`` group) fails.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from ganetiops.cli.app import cli

ROOT = Path(__file__).resolve().parents[2]
_HINT = re.compile(r"gnt-py((?: +(?:--?[a-z][a-z-]*|\{[^}]*\}|[A-Za-z0-9_.:=/<>+-]+))+)")


def _hints() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted((ROOT / "ganetiops").rglob("*.py")):
        text = path.read_text()
        # Join implicitly concatenated f-string pieces: '"... "\n   f"..."'.
        text = re.sub(r'"\s*\n\s*f?"', "", text)
        for match in _HINT.finditer(text):
            words = match.group(1).split()
            line = " ".join(words)
            found.setdefault(line, f"{path.relative_to(ROOT)}")
    return found


HINTS = _hints()


#: ``gnt-py`` in running text, not a command to run.
PROSE = {"lab command is running", "talks to", "uses now."}


def _argv(line: str) -> list[str]:
    out: list[str] = []
    for word in line.split():
        if word == "--":
            return out[:2]  # what follows is the remote command's: check the command only
        if word in ("...", "…"):
            break  # "and so on"
        if word.startswith("{") or "<" in word:
            word = "x"
        out.append(word.rstrip(".,;:)"))
    while out and out[-1].startswith("-"):
        out.pop()  # an option whose value the text leaves out
    return [w for w in out if w]


def test_hints_were_found() -> None:
    assert len(HINTS) > 20
    assert "lab --name {self.name} down" in " ".join(HINTS) or any("lab --name" in h for h in HINTS)


@pytest.mark.parametrize("line", sorted(set(HINTS) - PROSE))
def test_each_hint_parses(line: str) -> None:
    argv = _argv(line)
    code: int | None = None
    try:
        cli.main(args=[*argv, "--help"], prog_name="gnt-py", standalone_mode=False)
    except click.exceptions.Exit as done:
        code = done.exit_code
    except click.UsageError as exc:
        pytest.fail(f"{HINTS[line]}: 'gnt-py {line}' does not parse: {exc}")
    assert code in (0, None)
