"""The documentation site builds without a single warning (``mkdocs build --strict``).

It includes the CLI reference generated from the click commands and the API
reference from docstrings, so a broken docstring or a command that cannot be
imported fails here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.ci_setup
def test_docs_build_strict(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocs_click")
    pytest.importorskip("mkdocstrings")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "WARNING" not in done.stderr
    reference = (tmp_path / "cli-reference" / "index.html").read_text()
    for command in (
        "gnt-py instance list",
        "gnt-py node evacuate",
        "gnt-py job watch",
        "gnt-py context add",
        "gnt-py cluster verify",
    ):
        assert command in reference
    assert "Exit codes" in (tmp_path / "cli" / "index.html").read_text()
    assert "RapiClient" in (tmp_path / "api" / "rapi" / "index.html").read_text()
