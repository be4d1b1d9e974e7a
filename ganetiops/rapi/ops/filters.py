"""Job filter rules: accept, pause, reject or rate-limit jobs by predicate."""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from typing import Any

from ganetiops.errors import ValidationError
from ganetiops.rapi import shapes
from ganetiops.rapi.call import Params
from ganetiops.rapi.models.listing import ModelList
from ganetiops.rapi.models.misc import Filter
from ganetiops.rapi.namespace import M, Namespace, operation

_ACTIONS = ("ACCEPT", "CONTINUE", "PAUSE", "REJECT")


#: A reason: a text, or an existing reason trail (``[[source, text, timestamp_ns], ...]``,
#: e.g. a filter's ``reason_trail`` or a job opcode's ``reason``) to carry on.
Reason = str | Sequence[Sequence[Any]] | None


def _trail(reason: Reason) -> builtins.list[builtins.list[Any]]:
    """The reason trail to send: the caller's trail (checked) plus ganetiops' entry."""
    entry_text = ""
    trail: builtins.list[builtins.list[Any]] = []
    if isinstance(reason, str):
        entry_text = reason
    elif reason is not None:
        for i, item in enumerate(reason):
            if (
                isinstance(item, str)
                or not isinstance(item, Sequence)
                or len(item) != 3
                or not isinstance(item[0], str)
                or not isinstance(item[1], str)
                or isinstance(item[2], bool)
                or not isinstance(item[2], int)
            ):
                raise ValidationError(
                    f"reason[{i}]: expected [source, text, timestamp in ns], got {item!r}",
                    field="reason",
                )
            trail.append([item[0], item[1], item[2]])
    trail.append(["gnt:client:ganetiops", entry_text, time.time_ns()])
    return trail


def _filter_body(
    priority: int, predicates: Sequence[Any], action: Any, reason: Reason
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
    trail = _trail(reason)
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
            query={"bulk": True},
            parse=lambda d: ModelList(shapes.list_of(shapes.model(Filter.from_api))(d)),
        )

    @operation("GET", "/2/filters")
    def uuids(self) -> Params[builtins.list[str]]:
        return Params(parse=lambda d: [str(shapes.field(f, "uuid")) for f in shapes.seq(d)])

    @operation("GET", "/2/filters/{uuid}")
    def get(self, uuid: str) -> Params[Filter]:
        return Params(parse=shapes.model(Filter.from_api))

    @operation("POST", "/2/filters")
    def add(
        self,
        *,
        priority: int = 0,
        predicates: Sequence[Any] = (),
        action: Any = "CONTINUE",
        reason: Reason = None,
    ) -> Params[str]:
        """Add a rule; returns its UUID. Predicates: ``[["jobid", [">", "id", 10]]]``...

        ``reason`` is a text or an existing reason trail (another rule's
        ``reason_trail``), which is kept and extended with ganetiops' entry.
        """
        return Params(body=_filter_body(priority, predicates, action, reason), parse=shapes.text)

    @operation("PUT", "/2/filters/{uuid}")
    def replace(
        self,
        uuid: str,
        *,
        priority: int = 0,
        predicates: Sequence[Any] = (),
        action: Any = "CONTINUE",
        reason: Reason = None,
    ) -> Params[str]:
        """Replace the rule with this UUID (or create it with this UUID); ``reason`` as
        for :meth:`add`."""
        return Params(body=_filter_body(priority, predicates, action, reason), parse=shapes.text)

    @operation("DELETE", "/2/filters/{uuid}")
    def delete(self, uuid: str) -> Params[None]:
        """Delete a rule."""
        return Params(parse=shapes.nothing)
