"""Lazy package exports: names are imported from their module on first access.

A package lists its public names once, as the type checker reads them, in its
``if TYPE_CHECKING:`` block, each with the explicit re-export form
``from module import Name as Name``, and gets the module-level ``__getattr__``
and ``__dir__`` from :func:`exports`. At the first lookup of a name the block is
read (not run) to learn where each name lives; ``import ganetiops`` and
``gnt-py --help`` import nothing heavy.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any


def exports(
    package: str, eager: Sequence[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: the names it re-exports in its
    ``TYPE_CHECKING`` block, resolved lazily, and ``__all__`` (those names plus
    ``eager``, names the package defines itself)."""
    table: dict[str, str] = {}

    def names() -> dict[str, str]:
        if not table:
            table.update(reexports(sys.modules[package].__file__ or ""))
        return table

    def __getattr__(name: str) -> Any:
        if name == "__all__":
            value: Any = sorted({*names(), *eager})
        elif (module := names().get(name)) is not None:
            source = importlib.import_module(module)
            # Bind every name that module exports, not only this one: importing
            # ``pkg.connect`` binds the submodule as ``pkg.connect``, which would
            # otherwise hide the function ``connect`` exported under that name.
            for other, where in names().items():
                if where == module:
                    setattr(sys.modules[package], other, getattr(source, other))
            return getattr(source, name)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted({*names(), *eager})

    return __getattr__, __dir__


def reexports(path: str) -> dict[str, str]:
    """``{name: module}`` of the ``from module import name as name`` imports in the
    top-level ``if TYPE_CHECKING:`` blocks of the source file ``path``."""
    import ast  # lazy: only when a package's lazy names are first looked up

    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read(), path)
    found: dict[str, str] = {}
    for node in tree.body:
        if not (isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")):
            continue
        for statement in node.body:
            if isinstance(statement, ast.ImportFrom) and statement.module:
                for alias in statement.names:
                    if alias.asname == alias.name:
                        found[alias.name] = statement.module
    return found
