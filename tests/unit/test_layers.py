"""Dependencies point inward (docs/architecture.md): checked on module-level imports.

Imports inside functions are lazy on purpose (start-up speed, optional extras)
and are not counted, except that ``gnt-py`` modules may not import heavy
libraries at module level.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "ganetiops"

#: room -> rooms it must not import at module level.
FORBIDDEN = {
    "config": {"rapi", "ssh", "bootstrap", "netboot", "display", "cli", "lab", "connect"},
    "rapi": {"ssh", "bootstrap", "netboot", "display", "cli", "lab", "connect"},
    "ssh": {"bootstrap", "netboot", "display", "cli", "lab"},
    "bootstrap": {"netboot", "display", "cli", "lab"},
    "netboot": {"display", "cli", "lab"},
    "display": {"ssh", "bootstrap", "netboot", "cli", "lab"},
    "drbd": {"bootstrap", "netboot", "cli", "lab"},
}
HEAVY = {"httpx", "asyncssh", "pandas", "matplotlib", "tenacity", "yaml", "tabulate"}


def module_imports(path: Path) -> set[str]:
    """Absolute module names imported at module level (outside ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in (
            ast.walk(node)
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            else ()
        ):
            if isinstance(sub, ast.Import):
                found.update(alias.name for alias in sub.names)
            elif isinstance(sub, ast.ImportFrom) and sub.module and sub.level == 0:
                found.add(sub.module)
    return found


def room_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "ganetiops" and len(parts) > 1 else None


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_rooms_do_not_import_outer_rooms(room: str) -> None:
    offenders = []
    for path in sorted((PACKAGE / room).rglob("*.py")):
        for module in module_imports(path):
            if room_of(module) in FORBIDDEN[room]:
                offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    assert not offenders


def test_cli_modules_import_nothing_heavy_at_module_level() -> None:
    offenders = []
    for path in sorted((PACKAGE / "cli").rglob("*.py")):
        for module in module_imports(path):
            if module.split(".")[0] in HEAVY:
                offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    assert not offenders
