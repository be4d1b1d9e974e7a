"""Build Calls from operation definitions without any client (the layer is pure)."""

from __future__ import annotations

import json
from typing import Any

from ganetiops.rapi.call import Call
from ganetiops.rapi.namespace import Executor, Namespace, operations_of
from ganetiops.rapi.ops import NAMESPACES


class PlanOnly(Executor):
    """An executor that only records: tests inspect the Call, nothing is sent."""

    def __init__(self, reason_tag: str | None = "ganetiops test") -> None:
        self.reason_tag = reason_tag


def call(
    namespace: str, name: str, *args: Any, reason_tag: str | None = "ganetiops test", **kwargs: Any
) -> Call[Any]:
    cls = NAMESPACES[namespace]
    ns: Namespace[Any] = cls(PlanOnly(reason_tag))
    return operations_of(cls)[name].make_call(ns, *args, **kwargs)


def body(c: Call[Any]) -> Any:
    assert c.body is not None
    return json.loads(c.body)


def query(c: Call[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in c.query:
        out.setdefault(key, []).append(value)
    return out
