"""docs/architecture.md stays true of the code (pure: reads files, imports nothing new).

The page's room table must name every package and top-level module of ``ganetiops/``;
every module path and dotted ``ganetiops.`` name the page gives must exist; and no room
may import a room its row does not list under "depends on" (the inward rule itself is
``test_layers.py``'s).
"""

from __future__ import annotations

import ast
import importlib
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ganetiops"
PAGE = ROOT / "docs" / "architecture.md"
NEUTRAL = {"errors", "units", "hooks", "_lazy", "_closing", "_version"}
#: Words of the "depends on" column that are not a folder's name.
ALIASES = {"rapi models": "rapi"}


def _page() -> str:
    return PAGE.read_text(encoding="utf-8")


def _code_spans(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


def _table_rows(text: str) -> list[list[str]]:
    """The room table: rows of (room, folder, depends on, what lives there)."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[1].startswith("`ganetiops/"):
            rows.append(cells)
    return rows


def _room_of(folder_cell: str) -> list[str]:
    """Top-level names (``rapi``, ``errors``...) a folder cell names."""
    names = []
    for span in _code_spans(folder_cell):
        name = span.removeprefix("ganetiops/").strip("/").removesuffix(".py")
        names.append(name.split("/")[0])
    return names


def _all_files() -> list[str]:
    """Every file of the tree (not .git, .venv, caches), as paths from the root."""
    skip = {".git", ".venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}
    out = []
    for top, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in skip and not d.startswith(".pytest")]
        rel = Path(top).relative_to(ROOT)
        out += [(rel / name).as_posix() for name in files]
    return out


def _exists(span: str, files: list[str]) -> bool:
    """Whether ``span`` (a file, or a folder ending in ``/``) is the tail of a real path."""
    if span.endswith("/"):
        return any(f"/{f}".find(f"/{span}") >= 0 for f in files)
    return any(f == span or f.endswith("/" + span) for f in files)


def test_table_names_every_package_and_top_level_module() -> None:
    named = {n for row in _table_rows(_page()) for n in _room_of(row[1])}
    top = {
        p.stem if p.is_file() else p.name
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" and p.name != "__init__.py") or (p / "__init__.py").exists()
    }
    assert top - named == set(), f"rooms the page does not name: {sorted(top - named)}"


def test_page_names_every_subpackage() -> None:
    spans = [s.removeprefix("ganetiops/") for s in _code_spans(_page()) if s.endswith("/")]
    spans = [s for s in spans if s]
    for init in PACKAGE.glob("*/*/__init__.py"):
        rel = init.parent.relative_to(PACKAGE).as_posix() + "/"
        assert any(("/" + rel).endswith("/" + s) for s in spans), (
            f"docs/architecture.md does not name the package ganetiops/{rel}"
        )


def test_every_module_named_exists() -> None:
    files = _all_files()
    paths = [s for s in _code_spans(_page()) if re.fullmatch(r"[\w./-]+(\.py|/)", s)]
    assert len(paths) > 20, "the page names few modules: the pattern is broken"
    missing = [span for span in paths if not _exists(span, files)]
    assert missing == [], f"docs/architecture.md names what does not exist: {missing}"


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def test_every_dotted_name_resolves() -> None:
    dotted = {
        m.group(0)
        for span in _code_spans(_page())
        for m in re.finditer(r"\bganetiops(?:\.\w+)+", span)
    }
    assert dotted, "the page names no ganetiops.* object: the pattern is broken"
    for name in sorted(dotted):
        try:
            _resolve(name)
        except (ImportError, AttributeError) as exc:
            pytest.fail(f"docs/architecture.md names {name}, which does not exist: {exc}")


def _imported_rooms(room: str) -> set[str]:
    base = PACKAGE / room
    paths = list(base.rglob("*.py")) if base.is_dir() else [PACKAGE / f"{room}.py"]
    found: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            for module in modules:
                if module.startswith("ganetiops."):
                    found.add(module.split(".")[1])
    return found - {room}


def test_rooms_import_only_what_their_row_lists() -> None:
    rows = _table_rows(_page())
    assert len(rows) >= 10, "the room table was not found"
    above: set[str] = set()
    every = {n for row in rows for n in _room_of(row[1])}
    for _room, folder, depends, _what in rows:
        names = _room_of(folder)
        text = depends.lower()
        if text == "everything above":
            allowed = set(above)
        elif text == "everything but the cli":
            allowed = every - {"cli"}
        else:
            allowed = set()
            for word in (w.strip() for w in text.split(",")):
                word = ALIASES.get(word, word)
                allowed |= NEUTRAL if word == "neutral" else {word}
        if names[0] in NEUTRAL:
            allowed |= NEUTRAL | {"display"}  # hooks loads the display room on a first draw
        for name in names:
            extra = _imported_rooms(name) - allowed - set(names)
            assert extra == set(), f"{name} imports {sorted(extra)}, not in its row: {depends}"
        above.update(names)
