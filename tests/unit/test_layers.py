"""Dependencies point inward (docs/architecture.md), checked on every import: at module
level and inside functions alike (only ``if TYPE_CHECKING:`` blocks are left out, as
they never run).

An import inside a function is still an arrow of the room map; it is there only to
load an optional or heavy part when it is used (start-up time of ``gnt-py``). The
``gnt-py`` modules may not import heavy libraries at module level, and no two modules
may import each other, directly or round a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "ganetiops"

#: room -> rooms it must not import (at any level).
FORBIDDEN = {
    "config": {"rapi", "ssh", "bootstrap", "netboot", "display", "cli", "lab", "connect"},
    "rapi": {"ssh", "bootstrap", "netboot", "display", "cli", "lab", "connect"},
    "ssh": {"bootstrap", "netboot", "display", "cli", "lab"},
    "bootstrap": {"netboot", "display", "cli", "lab"},
    "netboot": {"display", "cli", "lab"},
    "display": {"ssh", "bootstrap", "netboot", "cli", "lab"},
    "lab": {"cli"},
    "drbd": {"bootstrap", "netboot", "cli", "lab"},
}
#: Neutral modules every room may use: they import no room (``hooks`` loads the display
#: room on a first draw only, the one marked exception).
NEUTRAL = ("errors", "units", "hooks", "_lazy", "_closing", "_version")
HEAVY = {"httpx", "asyncssh", "pandas", "matplotlib", "tenacity", "yaml", "tabulate"}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(sub) for sub in ast.walk(node))
    return skip


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, *, module_level_only: bool = False) -> list[tuple[int, str]]:
    """``(line, absolute module)`` of every import that can run (not ``TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text())
    skip = _type_checking_nodes(tree)
    if module_level_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                skip.update(id(sub) for sub in ast.walk(node))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package[: len(package) - (node.level - 1)]
                base = ".".join([*up, *([node.module] if node.module else [])])
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def room_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "ganetiops" and len(parts) > 1 else None


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "provider" not in p.parts)


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_rooms_do_not_import_outer_rooms(room: str) -> None:
    offenders = []
    for path in sorted((PACKAGE / room).rglob("*.py")):
        for line, module in imports(path):
            if room_of(module) in FORBIDDEN[room]:
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    assert not offenders


def test_the_rapi_models_reach_the_display_only_through_the_hook() -> None:
    """The arrow that used to run back up (models -> display) now ends in ``hooks``."""
    models = PACKAGE / "rapi" / "models" / "base.py"
    assert {m for _, m in imports(models)} >= {"ganetiops.hooks", "ganetiops.units"}


@pytest.mark.parametrize("name", NEUTRAL)
def test_neutral_modules_import_no_room(name: str) -> None:
    path = PACKAGE / f"{name}.py"
    lines = path.read_text().splitlines()
    offenders = [
        f"{path.name}:{line} imports {module}"
        for line, module in imports(path)
        if room_of(module) is not None
        and room_of(module) not in NEUTRAL
        and "# lazy:" not in lines[line - 1]
    ]
    assert not offenders


def test_cli_modules_import_nothing_heavy_at_module_level() -> None:
    offenders = []
    for path in sorted((PACKAGE / "cli").rglob("*.py")):
        for line, module in imports(path, module_level_only=True):
            if module.split(".")[0] in HEAVY:
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    assert not offenders


def test_function_level_imports_are_seen() -> None:
    """The checks above would miss nothing hidden in a function (a check of the check)."""
    lazy = PACKAGE / "hooks.py"
    assert "ganetiops.display" in {m for _, m in imports(lazy)}
    assert "ganetiops.display" not in {m for _, m in imports(lazy, module_level_only=True)}


def test_no_import_circles() -> None:
    """No module reaches itself through imports (package ``__init__`` modules aside)."""
    paths = {_module_name(p): p for p in _sources() if p.name != "__init__.py"}
    graph = {
        name: {m for _, m in imports(path) if m in paths and m != name}
        for name, path in paths.items()
    }
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not circles


def test_every_import_inside_a_function_says_why_it_is_lazy() -> None:
    """Module-level imports show the room map; one inside a function must carry
    ``# lazy: <why>`` (on its line or the line above): an optional extra, or start-up
    time of ``gnt-py`` (heavy libraries such as httpx, asyncssh, tabulate, yaml)."""
    offenders = []
    for path in _sources():
        lines = path.read_text().splitlines()
        every = imports(path)
        top = set(imports(path, module_level_only=True))
        for line, module in every:
            if (line, module) in top:
                continue
            marked = "# lazy:" in lines[line - 1] or "# lazy:" in lines[line - 2]
            if not marked:
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    assert not offenders
