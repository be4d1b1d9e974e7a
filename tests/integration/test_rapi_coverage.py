"""Every (path, method) that the installed Ganeti serves has a client method.

The list comes from Ganeti itself: its ``ganeti/rapi/connector.py`` URL map and
the ``rlib2.py`` handler classes, loaded by Debian's Python from the package on
this machine. No hand-written list can satisfy this test.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ganetiops.rapi import coverage

pytestmark = pytest.mark.integration

GANETI_LIB = Path("/usr/share/ganeti/3.0")

_PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from ganeti.rapi import connector
def translate(*parts):
    return "".join("{}" if isinstance(p, connector.UriPattern) else p for p in parts)
handlers = connector.GetHandlers(*["x"] * 8, translate=translate)
ops = []
for path, cls in handlers.items():
    for method in ("GET", "PUT", "POST", "DELETE"):
        if callable(getattr(cls, method, None)) or hasattr(cls, method + "_OPCODE"):
            ops.append([path, method])
print(json.dumps(ops))
"""


def ganeti_operations() -> set[tuple[str, str]]:
    if not (GANETI_LIB / "ganeti" / "rapi" / "connector.py").exists():
        pytest.skip("Debian's ganeti package is not installed")
    done = subprocess.run(
        ["/usr/bin/python3", "-c", _PROBE, str(GANETI_LIB)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return {(path, method) for path, method in json.loads(done.stdout)}


def test_every_ganeti_operation_is_covered() -> None:
    served = ganeti_operations()
    assert len(served) == 82  # Ganeti 3.0.2: 60 paths, 82 (path, method) operations
    missing = served - coverage.covered()
    assert not missing, f"no client method for: {sorted(missing)}"


def test_only_documented_extras_beyond_3_0_2() -> None:
    extras = coverage.covered() - ganeti_operations()
    assert extras == {("/2/networks/{}/rename", "PUT"), ("/2/instances/{}/export", "DELETE")}
    since = {row.key: row.since for row in coverage.rows()}
    assert since[("/2/networks/{}/rename", "PUT")] == (3, 1)
    assert since[("/2/instances/{}/export", "DELETE")] == (3, 2)
