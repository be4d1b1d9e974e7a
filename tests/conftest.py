"""Test-suite wide rules.

Under ``CI=true`` an integration test (marker ``integration``) that would be skipped
fails instead: CI runs as root on a machine prepared by ``.ci/run``, so a skip there
means the lab is missing, not that the test does not apply. The same holds for a unit
test marked ``ci_setup`` (it needs an extra that ``.ci/run`` installs, e.g. mkdocs).
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

#: Markers whose tests must not skip under CI=true.
CI_REQUIRED = ("integration", "ci_setup")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[Any]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if (
        report.skipped
        and not hasattr(report, "wasxfail")
        and os.environ.get("CI") == "true"
        and any(item.get_closest_marker(marker) for marker in CI_REQUIRED)
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"test skipped under CI=true, which counts as a failure: {reason}"
    return report
