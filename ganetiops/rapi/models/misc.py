"""Smaller models: operating systems, filters, query results, consoles, storage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import attrs

from ganetiops.rapi.models.base import Model, api, html_repr, to_int, to_str_tuple, to_tuple


@attrs.frozen
class OperatingSystem:
    """An OS definition known to the cluster, with its variants (``name+variant``)."""

    name: str
    variants: tuple[str, ...] = ()
    raw: Any = attrs.field(default=None, repr=False, eq=False)

    @property
    def full_names(self) -> tuple[str, ...]:
        return tuple(f"{self.name}+{v}" for v in self.variants) or (self.name,)

    _repr_html_ = html_repr


def parse_os_list(data: Any) -> list[OperatingSystem]:
    """``GET /2/os``: strings (3.0, 3.1) or dicts (``?bulk=1`` on 3.2-dev)."""
    by_name: dict[str, list[str]] = {}
    raws: dict[str, Any] = {}
    for item in data or ():
        if isinstance(item, Mapping):
            name = str(item.get("name", ""))
            by_name.setdefault(name, []).extend(str(v) for v in item.get("variants") or ())
            raws[name] = item
        else:
            name, _, variant = str(item).partition("+")
            by_name.setdefault(name, [])
            if variant:
                by_name[name].append(variant)
    return [OperatingSystem(n, tuple(v), raws.get(n)) for n, v in sorted(by_name.items())]


@attrs.frozen(slots=False)
class Filter(Model):
    """A job filter rule (``/2/filters``)."""

    uuid: str | None = api("uuid")
    watermark: int | None = api("watermark", to_int)
    priority: int | None = api("priority", to_int)
    predicates: tuple[Any, ...] = api("predicates", to_tuple, factory=tuple)
    action: Any = api("action")
    reason_trail: tuple[Any, ...] = api("reason_trail", to_tuple, factory=tuple)


@attrs.frozen(slots=False)
class Console(Model):
    """How to reach an instance's console (``GET /2/instances/<name>/console``)."""

    instance: str | None = api("instance")
    kind: str | None = api("kind")
    message: str | None = api("message")
    host: str | None = api("host")
    port: int | None = api("port", to_int)
    user: str | None = api("user")
    command: tuple[str, ...] = api("command", to_str_tuple, factory=tuple)
    display: int | None = api("display", to_int)


#: Query result status codes (``RS_*``) and their meaning.
RESULT_STATUS = {0: "normal", 1: "unknown", 2: "nodata", 3: "unavailable", 4: "offline"}


class FieldDef(NamedTuple):
    name: str
    title: str
    kind: str
    doc: str

    @classmethod
    def from_api(cls, data: Any) -> FieldDef:
        data = data if isinstance(data, Mapping) else {}
        return cls(
            str(data.get("name", "")),
            str(data.get("title", "")),
            str(data.get("kind", "")),
            str(data.get("doc", "")),
        )


@attrs.frozen
class QueryResult:
    """``/2/query/<resource>``: field definitions and rows of ``(status, value)`` cells."""

    fields: tuple[FieldDef, ...]
    rows: tuple[tuple[tuple[int, Any], ...], ...]
    raw: Any = attrs.field(default=None, repr=False, eq=False)

    @classmethod
    def from_api(cls, data: Any) -> QueryResult:
        data = data if isinstance(data, Mapping) else {}
        fields = tuple(FieldDef.from_api(f) for f in data.get("fields") or ())
        rows = tuple(
            tuple((int(cell[0]), cell[1]) for cell in row) for row in data.get("data") or ()
        )
        return cls(fields, rows, data)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts; cells whose status is not "normal" become ``None``."""
        names = self.names
        return [
            {n: (v if s == 0 else None) for n, (s, v) in zip(names, row, strict=False)}
            for row in self.rows
        ]

    def column(self, name: str) -> list[Any]:
        index = self.names.index(name)
        return [row[index][1] if row[index][0] == 0 else None for row in self.rows]

    def to_dataframe(self) -> Any:
        """The rows as a pandas DataFrame (sizes ``..._mib``; needs ``[jupyter]``)."""
        from ganetiops.display.rows import to_dataframe

        return to_dataframe(self)

    _repr_html_ = html_repr


def parse_fields(data: Any) -> tuple[FieldDef, ...]:
    """``GET /2/query/<resource>/fields``."""
    data = data if isinstance(data, Mapping) else {}
    return tuple(FieldDef.from_api(f) for f in data.get("fields") or ())


@attrs.frozen
class StorageUnit:
    """One row of a node storage query, keyed by the requested output fields."""

    values: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


def parse_cancel(data: Any) -> tuple[bool, str]:
    """``DELETE /2/jobs/<id>``: ``[success, message]``."""
    if isinstance(data, list | tuple) and len(data) == 2:
        return bool(data[0]), str(data[1])
    return False, repr(data)


__all__ = [
    "Console",
    "FieldDef",
    "Filter",
    "OperatingSystem",
    "QueryResult",
    "StorageUnit",
    "parse_cancel",
    "parse_fields",
    "parse_os_list",
]
