"""RAPI operations as I/O-free data.

An operation is written once, as a method of a resource namespace decorated with
:func:`~ganetiops.rapi.namespace.operation` or
:func:`~ganetiops.rapi.namespace.job_operation`. The decorator knows the HTTP
method and the path template; the method returns :class:`Params` (query, body,
how to read the answer). Together they make a :class:`Call`, which the sync and
async clients send. Everything here is pure: no sockets, no clocks.

Wire rules encoded here (rapi.md §10): bodies are ASCII-escaped JSON with
``Content-Type: application/json`` exactly; booleans in the query are ``1``/``0``;
``reason`` goes only in the query; names in paths are checked, never
percent-encoded (the server matches ``[\\w._-]+`` on the raw path).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Generic, Literal, TypedDict, TypeVar, cast

import attrs

from ganetiops import errors

T = TypeVar("T")

#: What a query parameter may be given as; lists repeat the key (``tag=a&tag=b``).
QueryValue = str | int | bool | None | Sequence[str]


class _NoBody:
    def __repr__(self) -> str:
        return "NO_BODY"


#: Marker: send no body at all (GET and handlers that read only the query).
NO_BODY: Final[Any] = _NoBody()

DryRun = Literal["query", "body"] | None
BodyKind = Literal["pass", "ignored", "custom"]


class JobCommon(TypedDict, total=False):
    """Options every job-submitting operation accepts.

    ``reason`` is recorded in Ganeti's reason trail after ganetiops' own tag;
    ``dry_run`` asks Ganeti to check without doing; ``priority`` is -20..19
    (Ganeti submits at 10 low, 0 normal, -10 high); ``comment`` is stored with
    the opcode; ``depends`` is ``[(job_id, ["success", ...]), ...]``.
    """

    reason: str
    dry_run: bool
    priority: int
    comment: str
    depends: Sequence[tuple[int, Sequence[str]]]


def identity(value: Any) -> Any:
    return value


@attrs.frozen
class Params(Generic[T]):
    """What an operation method returns: everything but the method and path."""

    query: Mapping[str, QueryValue] = attrs.field(factory=dict)
    body: Any = NO_BODY
    parse: Callable[[Any], T] = identity
    #: Job options given by the caller (see :class:`JobCommon`).
    common: Mapping[str, Any] = attrs.field(factory=dict)
    #: Checked against the cluster before sending (version, enabled templates).
    precondition: Callable[[ClusterFacts], None] | None = None


@attrs.frozen
class ClusterFacts:
    """What preconditions may look at: learnt once per client from ``GET /2/info``."""

    version: tuple[int, ...]
    enabled_disk_templates: tuple[str, ...] = ()
    enabled_hypervisors: tuple[str, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> ClusterFacts:
        return cls(
            version=parse_version(str(info.get("software_version") or "0")),
            enabled_disk_templates=tuple(info.get("enabled_disk_templates") or ()),
            enabled_hypervisors=tuple(info.get("enabled_hypervisors") or ()),
            raw=info,
        )


def parse_version(text: str) -> tuple[int, ...]:
    """``"3.0.2"`` -> ``(3, 0, 2)``; anything unparsable counts as ``(0,)``."""
    parts = re.findall(r"\d+", text.split("~")[0])
    return tuple(int(p) for p in parts[:3]) or (0,)


@attrs.frozen
class Route:
    """Static facts of one RAPI operation, declared by its decorator."""

    method: Literal["GET", "PUT", "POST", "DELETE"]
    template: str
    #: Does the answer carry a job id?
    job: bool = False
    #: Is ``?reason=`` accepted and harmless (generic handlers)?
    reason: bool = False
    #: Where ``dry_run`` goes, or None when the server cannot honour it.
    dry_run: DryRun = None
    #: How the handler treats the body: passed to the opcode, ignored (only
    #: ``depends`` survives), or custom (no common options at all).
    body: BodyKind = "pass"
    #: Oldest Ganeti version that has the operation.
    since: tuple[int, ...] = ()

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(re.findall(r"{(\w+)}", self.template))


@attrs.frozen
class Call(Generic[T]):
    """A complete request, ready for an executor."""

    route: Route
    path: str
    query: tuple[tuple[str, str], ...]
    body: bytes | None
    parse: Callable[[Any], T]
    precondition: Callable[[ClusterFacts], None] | None = None
    #: For job operations: how to read the job's result (first opcode's result).
    result: Callable[[Any], Any] = identity
    #: Overrides the client's read timeout for this request (long polls).
    read_timeout: float | None = None

    @property
    def method(self) -> str:
        return self.route.method

    @property
    def idempotent(self) -> bool:
        """Safe to send again after a failure that may have reached the server."""
        return self.route.method == "GET" and not self.route.job

    def describe(self) -> str:
        return f"{self.method} {self.path}"


# --- building ------------------------------------------------------------------------

_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+\Z")  # \Z: "$" would let a final newline in


def check_name(value: object, what: str) -> str:
    """A name as the server matches it in a path: ASCII ``[A-Za-z0-9_.-]+``."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if not isinstance(value, str) or not _NAME_RE.match(value) or value in (".", ".."):
        # "." and ".." are dot segments: /2/groups/../modify would address /2/modify.
        raise errors.ValidationError(
            f"{what} {value!r} is not a valid Ganeti name (letters, digits, '.', '_' and '-' only)",
            field=what,
        )
    return value


def encode_query(
    query: Mapping[str, QueryValue],
) -> tuple[tuple[str, str], ...]:
    """Booleans become 1/0, None is left out, sequences repeat the key."""
    out: list[tuple[str, str]] = []
    for key, value in query.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out.append((key, "1" if value else "0"))
        elif isinstance(value, int | str):
            out.append((key, str(value)))
        else:
            out.extend((key, str(item)) for item in value)
    return tuple(out)


def encode_body(body: Any) -> bytes:
    """ASCII-only JSON: a UTF-8 body hangs Ganeti 3.0/3.1 (rapi.md §4.8)."""
    return json.dumps(body, ensure_ascii=True, separators=(",", ":"), sort_keys=True).encode(
        "ascii"
    )


def build_call(
    route: Route,
    path_args: Mapping[str, object],
    params: Params[T],
    *,
    reason: str | None,
) -> Call[T]:
    """Combine a route, the path arguments and an operation's params into a Call.

    ``reason`` is the client's own tag (``ganetiops <version>`` by default); a
    caller's ``reason`` comes first and the tag follows in brackets.
    """
    path = route.template.format(
        **{name: check_name(path_args[name], name) for name in route.placeholders}
    )
    query = dict(params.query)
    body = params.body
    common = dict(params.common)

    dry_run = bool(common.pop("dry_run", False))
    user_reason = common.pop("reason", None)
    if dry_run:
        if route.dry_run == "query":
            query["dry-run"] = True
        elif route.dry_run == "body" and route.body == "pass":
            body = {**_as_dict(body, route), "dry_run": True}
        else:
            raise errors.ValidationError(
                f"{route.method} {route.template} cannot be a dry run on this Ganeti",
                field="dry_run",
            )
    if common:
        allowed = {"pass": {"priority", "comment", "depends"}, "ignored": {"depends"}}
        refused = sorted(set(common) - allowed.get(route.body, set()))
        if refused:
            raise errors.ValidationError(
                f"{route.method} {route.template} does not accept {', '.join(refused)}",
                field=refused[0],
            )
        body = {**_as_dict(body, route), **_encode_common(common)}
    if route.reason:
        text = f"{user_reason} [{reason}]" if user_reason and reason else user_reason or reason
        if text:
            query["reason"] = text
    elif user_reason is not None:
        raise errors.ValidationError(
            f"{route.method} {route.template} does not record a reason", field="reason"
        )
    return Call(
        route=route,
        path=path,
        query=encode_query(query),
        body=None if body is NO_BODY else encode_body(body),
        parse=cast("Callable[[Any], T]", parse_job_id if route.job else params.parse),
        precondition=_combine(params.precondition, _since(route)),
        result=params.parse if route.job else identity,
    )


def _since(route: Route) -> Callable[[ClusterFacts], None] | None:
    if not route.since:
        return None
    needed = route.since

    def check(facts: ClusterFacts) -> None:
        if facts.version < needed:
            have = ".".join(map(str, facts.version))
            want = ".".join(map(str, needed))
            raise errors.ValidationError(
                f"{route.method} {route.template} needs Ganeti {want} or later; "
                f"this cluster runs {have}"
            )

    return check


def _combine(
    *checks: Callable[[ClusterFacts], None] | None,
) -> Callable[[ClusterFacts], None] | None:
    present = [c for c in checks if c is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]

    def check(facts: ClusterFacts) -> None:
        for one in present:
            one(facts)

    return check


def _as_dict(body: Any, route: Route) -> dict[str, Any]:
    if body is NO_BODY or body is None:
        return {}
    if isinstance(body, Mapping):
        return dict(body)
    raise errors.ValidationError(  # pragma: no cover - guarded by route metadata
        f"{route.method} {route.template} takes no job options"
    )


def _encode_common(common: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(common)
    if "priority" in out:
        priority = out["priority"]
        if not isinstance(priority, int) or not -20 <= priority <= 19:
            raise errors.ValidationError("priority must be an integer in -20..19", field="priority")
    if "depends" in out:
        deps: list[list[Any]] = []
        for item in out["depends"]:
            try:
                job_id, statuses = item
                deps.append([int(job_id), [str(s) for s in statuses]])
            except (TypeError, ValueError):
                raise errors.ValidationError(
                    "depends: expected [(job_id, [status, ...]), ...]", field="depends"
                ) from None
            bad = set(deps[-1][1]) - {"success", "error", "canceled"}
            if bad:
                raise errors.ValidationError(
                    f"depends: unknown status {sorted(bad)[0]!r}", field="depends"
                )
        out["depends"] = deps
    return out


# --- reading answers -------------------------------------------------------------------


def decode_json(content: bytes) -> Any:
    if not content.strip():
        return None
    return json.loads(content)


_ERROR_CLASSES: dict[int, type[errors.RapiError]] = {
    401: errors.RapiAuthError,
    403: errors.RapiForbiddenError,
    404: errors.RapiNotFoundError,
    409: errors.RapiConflictError,
}


def error_from_response(status: int, content: bytes, method: str, path: str) -> errors.RapiError:
    """Map a non-200 answer to a typed error with Ganeti's message, unescaped."""
    message, explain = "", ""
    try:
        data = json.loads(content) if content.strip() else None
    except ValueError:
        data = None
    if isinstance(data, Mapping):
        message = html.unescape(str(data.get("message") or ""))
        explain = html.unescape(str(data.get("explain") or ""))
    elif content.strip():
        message = content.decode("utf-8", "replace").strip()[:500]
    if not message:
        message = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}.get(status, "")
    cls = _ERROR_CLASSES.get(status)
    if cls is None:
        cls = errors.RapiServerError if status >= 500 else errors.RapiError
    return cls(status, message, explain, method=method, path=path)


def master_unreachable(error: errors.RapiError) -> bool:
    """A 502 raised before a job could be submitted: safe to retry even for writes."""
    return error.status == 502 and error.message.startswith(
        ("Can't connect to master daemon", "Master seems to be unreachable")
    )


def parse_job_id(value: Any) -> int:
    """Job ids are JSON numbers on 3.x, strings on older masters: normalise to int."""
    try:
        if isinstance(value, bool):
            raise TypeError
        return int(value)
    except (TypeError, ValueError):
        raise errors.RapiError(200, f"expected a job id, got {value!r}") from None
