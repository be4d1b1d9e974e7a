"""The coverage table: every RAPI operation and the client methods that send it.

Derived from the operation definitions themselves, so it cannot drift:
``python -m ganetiops.rapi.coverage > docs/rapi-coverage.md``.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ganetiops.rapi.namespace import operations_of
from ganetiops.rapi.ops import NAMESPACES


class Row(NamedTuple):
    method: str
    path: str
    namespace: str
    name: str
    job: bool
    since: tuple[int, ...]

    @property
    def key(self) -> tuple[str, str]:
        """``(normalized path, method)``: placeholders written ``{}``."""
        return normalize(self.path), self.method


def normalize(path: str) -> str:
    return re.sub(r"{[^}]*}", "{}", path)


def rows() -> list[Row]:
    out = []
    for attr, cls in NAMESPACES.items():
        for name, op in operations_of(cls).items():
            out.append(
                Row(op.route.method, op.templates(cls), attr, name, op.route.job, op.route.since)
            )
    return sorted(out, key=lambda r: (normalize(r.path), r.method, r.name))


def covered() -> set[tuple[str, str]]:
    return {row.key for row in rows()}


def markdown() -> str:
    lines = [
        "# RAPI coverage",
        "",
        "Generated from the operation definitions by "
        "`python -m ganetiops.rapi.coverage`; do not edit.",
        "Every (path, method) of Ganeti's RAPI with the methods that send it. Sync: "
        "`RapiClient`; async: `AsyncRapiClient` (same names, awaited). "
        "**job** = returns a `Job` / `AsyncJob`.",
        "",
        "| method | path | sync | async | returns | since |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows():
        call = f"client.{row.namespace}.{row.name}()"
        since = ".".join(map(str, row.since)) if row.since else "3.0"
        kind = "job" if row.job else "data"
        lines.append(
            f"| {row.method} | `{row.path}` | `{call}` | `await {call}` | {kind} | {since} |"
        )
    count = len({row.key for row in rows()})
    lines += ["", f"{count} operations, {len(rows())} methods.", ""]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
