"""The ovsdbapp commands a change is made of, and rows as plain values.

:class:`Expect` checks a row is still what the plan saw (inside the transaction, with
the IDL's ``verify``, so a concurrent write aborts it); :class:`Function` runs a
function of the API inside the transaction and reports the UUIDs it inserted.
:func:`row_to_dict` turns an IDL row into plain Python values for the models.
Used by :mod:`ganetiops.ovn.db`, which re-exports them.
"""

from __future__ import annotations

import contextlib
import uuid as uuid_module
from collections.abc import Callable, Mapping
from typing import Any

from ganetiops.errors import OvnConflictError

__all__ = ["Expect", "Function", "insert_row", "row_to_dict"]


def _plain(value: Any) -> Any:
    """An IDL value as plain data: rows and UUIDs as UUID strings."""
    if isinstance(value, uuid_module.UUID):
        return str(value)
    if hasattr(value, "uuid") and hasattr(value, "_table"):  # an ovs.db.idl.Row
        return str(value.uuid)
    if isinstance(value, Mapping):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def row_to_dict(row: Any) -> dict[str, Any]:
    """An ``ovs.db.idl.Row`` (or ovsdbapp ``RowView``) as ``{column: plain value}``.

    ``_uuid`` holds the row's UUID. Columns that are not replicated are left out.
    """
    real = getattr(row, "_row", row)
    out: dict[str, Any] = {"_uuid": str(real.uuid)}
    for column in real._table.columns:
        with contextlib.suppress(AttributeError):
            out[column] = _plain(getattr(real, column))
    return out


class Expect:
    """An ovsdbapp command that checks a row before the transaction's changes.

    ``table``/``name`` select the row by its ``name`` column; ``columns`` maps a column
    to the value the plan saw (``"options:requested-chassis"`` checks one map key);
    ``absent=True`` expects no such row. On a mismatch the whole transaction is aborted
    with :class:`OvnConflictError`. Each checked column is verified, so a concurrent
    write to it makes the server refuse the commit and ovsdbapp run the check again.
    """

    def __init__(
        self,
        api: Any,
        table: str,
        name: str,
        columns: Mapping[str, Any] | None = None,
        *,
        absent: bool = False,
    ) -> None:
        self.api = api
        self.table = table
        self.name = name
        self.columns = dict(columns or {})
        self.absent = absent
        self.result: Any = None

    def __str__(self) -> str:
        absent = " absent" if self.absent else ""
        return f"Expect({self.table} {self.name} {self.columns or ''}{absent})"

    def run_idl(self, txn: Any) -> None:
        rows = [r for r in self.api.tables[self.table].rows.values() if r.name == self.name]
        if self.absent:
            if rows:
                raise OvnConflictError(f"{self.table} {self.name} already exists; nothing applied")
            return
        if len(rows) != 1:
            raise OvnConflictError(
                f"{self.table} {self.name} is gone since the plan was made; nothing applied"
            )
        row = rows[0]
        for column, expected in self.columns.items():
            col, _, key = column.partition(":")
            row.verify(col)
            current = _plain(getattr(row, col))
            if key:
                current = current.get(key) if isinstance(current, dict) else None
            elif isinstance(current, list) and not isinstance(expected, list | tuple):
                current = current[0] if current else None  # an optional column
            if _normal(current) != _normal(expected):
                raise OvnConflictError(
                    f"{self.table} {self.name}: {column} is {current!r}, the plan expected "
                    f"{expected!r} (changed meanwhile); nothing applied"
                )

    def post_commit(self, txn: Any) -> None:
        pass


def _normal(value: Any) -> Any:
    if isinstance(value, list | tuple | set):
        items = [_normal(v) for v in value]
        return sorted(items, key=repr)
    return value


class Function:
    """An ovsdbapp command running ``fn(api, txn)`` inside the transaction."""

    def __init__(self, api: Any, fn: Callable[[Any, Any], Any], what: str) -> None:
        self.api = api
        self.fn = fn
        self.what = what
        self.result: Any = None

    def __str__(self) -> str:
        return self.what

    def run_idl(self, txn: Any) -> None:
        self.result = self.fn(self.api, txn)

    def post_commit(self, txn: Any) -> None:
        self.result = _inserted(txn, self.result)


def _inserted(txn: Any, value: Any) -> Any:
    """Rows a transaction inserted -> their real UUIDs (strings), in dicts and lists too."""
    if hasattr(value, "uuid") and hasattr(value, "_table"):
        real = txn.get_insert_uuid(value.uuid)
        return str(real) if real else str(value.uuid)
    if isinstance(value, dict):
        return {k: _inserted(txn, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_inserted(txn, v) for v in value]
    return value


def insert_row(api: Any, txn: Any, table: str, **columns: Any) -> Any:
    """A new row of ``table`` in the transaction, its ``columns`` set in the order given."""
    row = txn.insert(api.tables[table])
    for column, value in columns.items():
        setattr(row, column, value)
    return row
