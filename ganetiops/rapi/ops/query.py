"""The generic query interface: any fields of any resource, with filters."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ganetiops.errors import ValidationError
from ganetiops.rapi import shapes, validate
from ganetiops.rapi.call import Params
from ganetiops.rapi.models.misc import FieldDef, QueryResult, parse_fields
from ganetiops.rapi.namespace import M, Namespace, operation

_FIELD = re.compile(r"^[A-Za-z0-9_./-]+$")


def _fields(fields: Sequence[str]) -> list[str]:
    out = list(fields)
    bad = [f for f in out if not isinstance(f, str) or not _FIELD.fullmatch(f)]
    if bad:
        raise ValidationError(f"fields: {bad[0]!r} is not a field name", field="fields")
    if not out:
        raise ValidationError("fields: name at least one field", field="fields")
    return out


def _result_of(asked: Sequence[str]) -> Any:
    """A parser that checks the answer has the fields asked for, in order, and rows of
    ``[status, value]`` cells, one per field."""

    def parse(value: Any) -> QueryResult:
        data = shapes.obj(value)
        defs = shapes.seq(data.get("fields"))
        names = [str(shapes.field(d, "name")) for d in defs]
        if names != list(asked):
            raise shapes.ShapeError(f"expected the fields {list(asked)}, got {names}")
        for row in shapes.seq(data.get("data")):
            cells = shapes.seq(row)
            if len(cells) != len(names):
                raise shapes.fail(f"rows of {len(names)} cells", row)
            for cell in cells:
                if not isinstance(cell, list) or len(cell) != 2:
                    raise shapes.fail("[status, value] cells", cell)
                shapes.integer(cell[0])
        return QueryResult.from_api(data)

    return parse


class Query(Namespace[M]):
    """``client.query``: ``/2/query/<resource>`` (needs a read or write user).

    Filters use Ganeti's query language as nested lists, e.g.
    ``["&", ["=", "pnode", "aleph.homelab.tel"], ["=", "status", "running"]]``.
    """

    @operation("PUT", "/2/query/{resource}")
    def query(
        self, resource: str, fields: Sequence[str], qfilter: Any = None
    ) -> Params[QueryResult]:
        """Select ``fields`` of ``resource`` rows matching ``qfilter``."""
        validate.choice(resource, validate.QUERY_RESOURCES, "resource")
        asked = _fields(fields)
        return Params(body={"fields": asked, "qfilter": qfilter}, parse=_result_of(asked))

    @operation("GET", "/2/query/{resource}")
    def get(self, resource: str, fields: Sequence[str]) -> Params[QueryResult]:
        """Select ``fields`` of every ``resource`` row (no filter: the GET form)."""
        validate.choice(resource, validate.QUERY_RESOURCES, "resource")
        asked = _fields(fields)
        return Params(query={"fields": ",".join(asked)}, parse=_result_of(asked))

    @operation("GET", "/2/query/{resource}/fields")
    def fields(
        self, resource: str, fields: Sequence[str] | None = None
    ) -> Params[tuple[FieldDef, ...]]:
        """The fields a resource offers, with titles, kinds and documentation."""
        validate.choice(resource, validate.QUERY_RESOURCES, "resource")
        query = {"fields": ",".join(_fields(fields))} if fields else {}
        return Params(query=query, parse=shapes.model(parse_fields))
