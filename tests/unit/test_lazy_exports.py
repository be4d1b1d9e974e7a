"""The packages' lazy exports: one list per package, its ``TYPE_CHECKING`` block."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ganetiops._lazy import reexports

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(
    ".".join(p.parent.relative_to(ROOT).parts)
    for p in (ROOT / "ganetiops").rglob("__init__.py")
    if "exports(__name__" in p.read_text()
)


def test_the_lazy_packages_are_found() -> None:
    assert {"ganetiops", "ganetiops.rapi", "ganetiops.ssh", "ganetiops.display"} <= set(PACKAGES)


CHECK = """
import importlib, sys
from ganetiops._lazy import reexports
package = importlib.import_module(sys.argv[1])
names = reexports(package.__file__)
assert names and set(names) <= set(package.__all__), names
assert dir(package) == sorted(package.__all__)
for name, source in names.items():
    assert getattr(package, name) is getattr(importlib.import_module(source), name), name
try:
    package.not_exported
except AttributeError as error:
    assert "no attribute 'not_exported'" in str(error)
else:
    raise AssertionError("not_exported resolved")
print(len(names))
"""


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_resolves_from_the_module_named(package: str) -> None:
    """In a fresh interpreter, every name in order: ``aconnect`` first imports the
    submodule ``ganetiops.connect``, which must not then hide the function ``connect``."""
    run = [sys.executable, "-c", CHECK, package]
    out = subprocess.run(run, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) >= 1


def test_only_explicit_reexports_count(tmp_path: Path) -> None:
    source = tmp_path / "pkg.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from a.b import Public as Public\n"
        "    from a.b import Helper\n"
        "    from a.c import Renamed as Other\n"
        "from a.d import Eager as Eager\n"
    )
    assert reexports(str(source)) == {"Public": "a.b"}


def test_star_import_and_version() -> None:
    code = "from ganetiops import *; print(RapiClient.__name__, __version__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "RapiClient"


def test_importing_the_package_reads_no_source() -> None:
    code = "import sys, ganetiops; print('ast' in sys.modules, 'httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
