"""``gnt-py --help`` stays light: no httpx, asyncssh, pandas or command modules loaded."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "httpx",
    "asyncssh",
    "pandas",
    "matplotlib",
    "yaml",
    "tabulate",
    "ganetiops.rapi",
    "ganetiops.ssh",
    "ganetiops.cli.instance",
    "ganetiops.lab",
)

PROBE = """
import json, sys
from ganetiops.cli.app import cli
try:
    cli.main(args=ARGS, prog_name="gnt-py", standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded_modules(args: list[str]) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.replace("ARGS", repr(args))],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_root_help_imports_nothing_heavy(args: list[str]) -> None:
    modules = loaded_modules(args)
    assert not [m for m in HEAVY if m in modules]


def test_group_help_imports_only_its_group() -> None:
    modules = loaded_modules(["instance", "--help"])
    assert "ganetiops.cli.instance" in modules
    assert not [m for m in ("httpx", "asyncssh", "pandas", "ganetiops.rapi.client") if m in modules]
