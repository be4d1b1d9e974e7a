"""Under CI=true a skipped integration test fails (tests/conftest.py), elsewhere it skips."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).parents[1] / "conftest.py"

TESTS = """
import pytest

@pytest.mark.integration
def test_needs_the_lab():
    pytest.skip("no lab here")

@pytest.fixture
def lab():
    pytest.skip("no root")

@pytest.mark.integration
def test_with_fixture(lab):
    pass

def test_unit_skip():
    pytest.skip("not integration")

@pytest.mark.integration
@pytest.mark.xfail(reason="known")
def test_expected_failure():
    assert False
"""


def _run(tmp_path: Path, ci: str | None, tests: str = TESTS) -> str:
    (tmp_path / "conftest.py").write_text(CONFTEST.read_text())
    (tmp_path / "test_inner.py").write_text(tests)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nmarkers =\n    integration: lab\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    return done.stdout


def test_skips_are_failures_under_ci(tmp_path: Path) -> None:
    out = _run(tmp_path, "true")
    assert "FAILED test_inner.py::test_needs_the_lab" in out
    assert "skipped under CI=true" in out
    assert "no lab here" in out
    assert "ERROR test_inner.py::test_with_fixture" in out  # a fixture's skip, in setup
    assert "SKIPPED" in out  # the unit test may still skip
    assert "XFAIL test_inner.py::test_expected_failure" in out
    assert "1 failed, 1 skipped, 1 xfailed, 1 error" in out


@pytest.mark.parametrize("ci", [None, "false"])
def test_skips_stay_skips_elsewhere(tmp_path: Path, ci: str | None) -> None:
    out = _run(tmp_path, ci)
    assert "3 skipped, 1 xfailed in" in out
    assert not re.search(r"\d+ (failed|error)", out)


def test_a_unit_test_needing_ci_setup_fails_its_skip_under_ci(tmp_path: Path) -> None:
    tests = """
import pytest

@pytest.mark.ci_setup
def test_docs():
    pytest.importorskip("no_such_docs_tool")
"""
    assert "1 failed" in _run(tmp_path, "true", tests)
    assert "1 skipped" in _run(tmp_path, None, tests)
