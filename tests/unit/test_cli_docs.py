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
    overview = (tmp_path / "cli-reference" / "index.html").read_text()
    pages = {
        p.parent.name: p.read_text() for p in (tmp_path / "reference" / "cli").glob("*/index.html")
    }
    assert {"instance", "node", "job", "context", "cluster"} <= set(pages)
    for group in pages:
        assert f"gnt-py {group}" in overview  # the overview links every group
    for group, command in (
        ("instance", "gnt-py instance list"),
        ("node", "gnt-py node evacuate"),
        ("job", "gnt-py job watch"),
        ("context", "gnt-py context add"),
        ("cluster", "gnt-py cluster verify"),
    ):
        assert command in pages[group]
    assert max(len(p) for p in pages.values()) < 150_000  # was one page of 241 KB
    for page in tmp_path.rglob("*.html"):
        assert "Sentinel" not in page.read_text(), page  # click's "no default" marker
    create = pages["instance"].split('id="instance-create"')[1].split('id="instance-')[0]
    assert "<code>pxe</code>" in create  # a real default is shown
    assert "Exit codes" in (tmp_path / "cli" / "index.html").read_text()
    assert "RapiClient" in (tmp_path / "api" / "rapi" / "index.html").read_text()
