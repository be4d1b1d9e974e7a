"""docs/faults.md's table names real tests: each ``file.py::test_name`` it cites exists
(in tests/integration/, tests/drbd/ or the path given), so the table and the fault
tests cannot drift apart silently."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITED = re.compile(r"`((?:tests/\w+/)?test_\w+\.py)(?:::(\w+))?(?:\[[^\]]*\])?`")


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    }


def _resolve(name: str) -> Path | None:
    if "/" in name:
        path = ROOT / name
        return path if path.exists() else None
    for folder in ("tests/integration", "tests/drbd", "tests/unit"):
        path = ROOT / folder / name
        if path.exists():
            return path
    return None


def test_every_test_the_fault_table_cites_exists() -> None:
    text = (ROOT / "docs" / "faults.md").read_text()
    table = text[text.index("## The table") :]
    cited = CITED.findall(table)
    assert len(cited) >= 20  # the table is there and was read
    missing = []
    for file, test in cited:
        path = _resolve(file)
        if path is None:
            missing.append(file)
        elif test and test not in _tests_in(path):
            missing.append(f"{file}::{test}")
    assert missing == []
