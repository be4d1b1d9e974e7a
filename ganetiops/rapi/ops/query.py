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
        return Params(
            body={"fields": _fields(fields), "qfilter": qfilter},
            parse=shapes.model(QueryResult.from_api),
        )

    @operation("GET", "/2/query/{resource}")
    def get(self, resource: str, fields: Sequence[str]) -> Params[QueryResult]:
        """Select ``fields`` of every ``resource`` row (no filter: the GET form)."""
        validate.choice(resource, validate.QUERY_RESOURCES, "resource")
        return Params(
            query={"fields": ",".join(_fields(fields))}, parse=shapes.model(QueryResult.from_api)
        )

    @operation("GET", "/2/query/{resource}/fields")
    def fields(
        self, resource: str, fields: Sequence[str] | None = None
    ) -> Params[tuple[FieldDef, ...]]:
        """The fields a resource offers, with titles, kinds and documentation."""
        validate.choice(resource, validate.QUERY_RESOURCES, "resource")
        query = {"fields": ",".join(_fields(fields))} if fields else {}
        return Params(query=query, parse=shapes.model(parse_fields))
