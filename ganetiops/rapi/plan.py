"""Planning as an executor: build and check job requests, record them, send none.

:class:`PlanExecutor` stands where a client stands (it is an
:class:`~ganetiops.rapi.namespace.Executor`): reads go to the cluster through the
client it wraps (a plan may need them), while each job-submitting call has its
preconditions checked against the cluster, is recorded (and handed to ``on_plan``),
and comes back as a :class:`Planned` — a typed "not submitted", not a job handle::

    call = client.instances.migrate.call("web1", mode="live")   # built once, checked
    outcome = (PlanExecutor(client) if plan else client).submit(call)
    if isinstance(outcome, Planned):
        print(outcome.call.method, outcome.call.path)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ganetiops.rapi.call import Call
from ganetiops.rapi.namespace import Executor

if TYPE_CHECKING:
    from ganetiops.rapi.client import RapiClient

T = TypeVar("T")


@attrs.frozen
class Planned:
    """A job request that was built and checked but not submitted: no job exists."""

    call: Call[int]


class PlanExecutor(Executor):
    """Records job submissions instead of sending them; reads pass through to ``client``."""

    def __init__(
        self, client: RapiClient, on_plan: Callable[[Call[int]], Any] | None = None
    ) -> None:
        self.client = client
        self.reason_tag = client.reason_tag
        self.on_plan = on_plan
        #: Every job request planned so far, in order.
        self.planned: list[Call[int]] = []

    def send(self, call: Call[T]) -> T:
        return self.client.send(call)

    def submit(self, call: Call[int]) -> Planned:
        if call.precondition is not None:
            call.precondition(self.client.facts())
        self.planned.append(call)
        if self.on_plan is not None:
            self.on_plan(call)
        return Planned(call)

    def __repr__(self) -> str:
        return f"<PlanExecutor for {self.client!r}: {len(self.planned)} planned>"


__all__ = ["PlanExecutor", "Planned"]
