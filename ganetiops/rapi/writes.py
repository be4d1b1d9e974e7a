"""Exactly-once writes: every job submission carries a request id; a lost answer is
reconciled by looking the job up, never by sending the request again.

A job-submitting request (POST, and the PUTs and DELETEs that submit jobs) may reach
ganeti-rapi and create a job even when its answer never comes back (the connection
is reset after the request left, the read times out). Sending it again could make a
second job. So:

1. :func:`tag_request` adds a fresh ``rid=<32 hex digits>`` to the request's
   ``?reason=`` text. Ganeti stores it in every opcode's reason trail
   (``ops[i].reason == [["gnt:user", "... rid=...", ts], ...]``).
2. :func:`submit_flow` sends the request once. When the answer is lost
   (:class:`~ganetiops.errors.RapiConnectionError` with ``sent``), it looks the job
   up by its request id (``GET /2/jobs?bulk=1``, a read, safe to repeat) for up to
   ``window`` seconds and returns the job id it finds. When it finds none it raises
   :class:`~ganetiops.errors.OutcomeUnknown` carrying the request id and the way to
   look later (``gnt-py job find RID``, ``client.jobs.find(RID)``).

Written once as a flow (like :func:`ganetiops.rapi.jobs.wait_flow`): both clients
drive it. Nothing here does I/O.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import Any

import attrs

from ganetiops import errors
from ganetiops.rapi.call import Call, Params, Route, build_call
from ganetiops.rapi.jobs import Sleep

#: How a request id appears in the reason text.
PREFIX = "rid="
#: Seconds a lost answer is reconciled for before :class:`OutcomeUnknown`.
LOOKUP_WINDOW = 10.0

_JOBS_ROUTE = Route("GET", "/2/jobs")


def new_request_id() -> str:
    """A fresh request id: 32 random hex digits (no secret, only unique)."""
    return secrets.token_hex(16)


def tag_request(call: Call[Any], request_id: str) -> Call[Any]:
    """``call`` with ``rid=<request_id>`` added to its ``reason`` query parameter.

    Calls whose route records no reason (Ganeti's handler builds the opcodes itself,
    e.g. reinstall) are returned unchanged: they cannot be found again by id.
    """
    if not call.route.job or not call.route.reason:
        return call
    token = f"{PREFIX}{request_id}"
    query = list(call.query)
    for index, (key, value) in enumerate(query):
        if key == "reason":
            query[index] = (key, f"{value} {token}")
            break
    else:
        query.append(("reason", token))
    return attrs.evolve(call, query=tuple(query))


def job_ids_with_reason(data: Any, text: str) -> list[int]:
    """Ids of the jobs in a ``GET /2/jobs?bulk=1`` answer whose reason trail contains
    ``text``; tolerant of any shape (unknown entries are skipped)."""
    found: list[int] = []
    for item in data if isinstance(data, list) else ():
        if not isinstance(item, Mapping):
            continue
        if any(text in reason for reason in _reasons(item.get("ops"))):
            try:
                found.append(int(item["id"]))
            except (KeyError, TypeError, ValueError):
                continue
    return sorted(set(found))


def _reasons(ops: Any) -> Iterable[str]:
    for op in ops if isinstance(ops, list) else ():
        trail = op.get("reason") if isinstance(op, Mapping) else None
        for entry in trail if isinstance(trail, list) else ():
            if isinstance(entry, list | tuple) and len(entry) >= 2:
                yield str(entry[1])


def find_call(text: str) -> Call[list[int]]:
    """The read that lists the jobs whose reason trail contains ``text``."""
    params: Params[list[int]] = Params(
        query={"bulk": True}, parse=lambda data: job_ids_with_reason(data, text)
    )
    return build_call(_JOBS_ROUTE, {}, params, reason=None)


def submit_flow(
    call: Call[int],
    *,
    request_id: str | None = None,
    window: float = LOOKUP_WINDOW,
    clock: Callable[[], float] = time.monotonic,
) -> Generator[Call[Any] | Sleep, Any, int]:
    """Send a job-submitting call exactly once; return the job id.

    On a lost answer the job is looked up by its request id (see the module text).
    """
    request_id = request_id or new_request_id()
    tagged = tag_request(call, request_id)
    findable = tagged is not call
    try:
        job_id: int = yield tagged
        return job_id
    except errors.RapiConnectionError as exc:
        if not exc.sent or isinstance(exc, errors.CertificateError):
            raise  # nothing reached the server (or TLS refused it): no job was made
        lost: errors.RapiConnectionError = exc
    where = tagged.describe()
    if not findable:
        raise errors.OutcomeUnknown(
            f"{where}: the answer was lost after the request was sent ({lost}); "
            "the job may or may not exist, and this operation carries no request id: "
            "look for it with gnt-py job list --running",
            request_id=None,
        ) from lost
    deadline = clock() + window
    delay = 0.25
    last_problem = ""
    while True:
        try:
            ids: list[int] = yield find_call(f"{PREFIX}{request_id}")
        except errors.GanetiOpsError as exc:
            last_problem = f"; the lookup failed too: {exc}"
            ids = []
        else:
            last_problem = ""
        if ids:
            return ids[0]
        if clock() >= deadline:
            break
        yield Sleep(min(delay, max(deadline - clock(), 0.0)))
        delay = min(delay * 2, 2.0)
    raise errors.OutcomeUnknown(
        f"{where}: the answer was lost after the request was sent ({lost}); no job with "
        f"request id {request_id} was found within {window:g} s{last_problem}. The job may "
        f"still appear: look with gnt-py job find {request_id} (or client.jobs.find"
        f"({request_id!r})) before trying again",
        request_id=request_id,
    ) from lost


__all__ = [
    "LOOKUP_WINDOW",
    "PREFIX",
    "find_call",
    "job_ids_with_reason",
    "new_request_id",
    "submit_flow",
    "tag_request",
]
