"""Job filter rules: accept, pause, reject or rate-limit jobs by predicate."""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from typing import Any

from ganetiops.errors import ValidationError
from ganetiops.rapi.call import Params
from ganetiops.rapi.models.listing import ModelList
from ganetiops.rapi.models.misc import Filter
from ganetiops.rapi.namespace import M, Namespace, operation

_ACTIONS = ("ACCEPT", "CONTINUE", "PAUSE", "REJECT")


def _filter_body(
    priority: int, predicates: Sequence[Any], action: Any, reason: str | None
) -> dict[str, Any]:
    if not isinstance(priority, int) or isinstance(priority, bool) or priority < 0:
        raise ValidationError("priority: expected a non-negative integer", field="priority")
    valid_action = action in _ACTIONS or (
        isinstance(action, list | tuple)
        and len(action) == 2
        and action[0] == "RATE_LIMIT"
        and isinstance(action[1], int)
    )
    if not valid_action:
        raise ValidationError(
            f"action: {action!r} is not one of {', '.join(_ACTIONS)} or ['RATE_LIMIT', n]",
            field="action",
        )
    trail = [["gnt:client:ganetiops", reason or "", time.time_ns()]]
    return {
        "priority": priority,
        "predicates": [list(p) for p in predicates],
        "action": list(action) if isinstance(action, list | tuple) else action,
        "reason": trail,
    }


class Filters(Namespace[M]):
    """``client.filters``: the job filter rules (answers come at once, no job)."""

    @operation("GET", "/2/filters")
    def list(self) -> Params[builtins.list[Filter]]:
        return Params(
            query={"bulk": True}, parse=lambda d: ModelList(Filter.from_api(f) for f in d or ())
        )

    @operation("GET", "/2/filters")
    def uuids(self) -> Params[builtins.list[str]]:
        return Params(parse=lambda d: [str(f["uuid"]) for f in d or ()])

    @operation("GET", "/2/filters/{uuid}")
    def get(self, uuid: str) -> Params[Filter]:
        return Params(parse=Filter.from_api)

    @operation("POST", "/2/filters")
    def add(
        self,
        *,
        priority: int = 0,
        predicates: Sequence[Any] = (),
        action: Any = "CONTINUE",
        reason: str | None = None,
    ) -> Params[str]:
        """Add a rule; returns its UUID. Predicates: ``[["jobid", [">", "id", 10]]]``..."""
        return Params(body=_filter_body(priority, predicates, action, reason), parse=str)

    @operation("PUT", "/2/filters/{uuid}")
    def replace(
        self,
        uuid: str,
        *,
        priority: int = 0,
        predicates: Sequence[Any] = (),
        action: Any = "CONTINUE",
        reason: str | None = None,
    ) -> Params[str]:
        """Replace the rule with this UUID (or create it with this UUID)."""
        return Params(body=_filter_body(priority, predicates, action, reason), parse=str)

    @operation("DELETE", "/2/filters/{uuid}")
    def delete(self, uuid: str) -> Params[None]:
        """Delete a rule."""
        return Params(parse=lambda _: None)
