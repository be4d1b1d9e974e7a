"""Resource namespaces: one class per RAPI resource, shared by both clients.

A namespace class (``Instances``, ``Nodes``...) is generic over a mode marker,
:class:`Sync` or :class:`Async`. The sync client holds ``Instances[Sync]``, the
async client ``Instances[Async]``; the descriptors below give each the right
signature: the same arguments, returning ``T`` or ``Awaitable[T]`` (and
:class:`~ganetiops.rapi.jobs.Job` or :class:`~ganetiops.rapi.jobs.AsyncJob`
for operations that submit jobs). mypy checks both from the one definition.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Concatenate,
    Generic,
    Literal,
    ParamSpec,
    TypeVar,
    overload,
)

from ganetiops.rapi.call import BodyKind, Call, DryRun, Params, Route, build_call
from ganetiops.rapi.modes import Async as Async
from ganetiops.rapi.modes import Sync as Sync

if TYPE_CHECKING:
    from ganetiops.rapi.jobs import AsyncJob, Job

P = ParamSpec("P")
T = TypeVar("T")


M = TypeVar("M", Sync, Async)

Method = Literal["GET", "PUT", "POST", "DELETE"]


class Executor:
    """What a namespace needs from a client (both clients implement it)."""

    reason_tag: str | None

    def send(self, call: Call[Any]) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def submit(self, call: Call[int]) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


class Namespace(Generic[M]):
    """Base of every resource namespace; ``client.instances`` is one."""

    #: Path values the namespace supplies itself (``{kind}`` of shared tag operations).
    path_values: ClassVar[Mapping[str, str]] = {}

    def __init__(self, executor: Executor) -> None:
        self._executor = executor

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._executor!r}>"


class _Operation(Generic[P, T]):
    """Shared machinery of the two decorators."""

    def __init__(self, route: Route, fn: Callable[..., Params[Any]]) -> None:
        self.route = route
        self.fn = fn
        self.signature = inspect.signature(fn)
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__
        missing = set(route.placeholders) - set(self.signature.parameters) - {"kind"}
        if missing:  # pragma: no cover - programming error caught at import
            raise TypeError(f"{fn.__qualname__}: no argument for {sorted(missing)}")

    def make_call(self, namespace: Namespace[Any], *args: Any, **kwargs: Any) -> Call[Any]:
        """Build the Call for these arguments (pure; used by tests and ``plan`` output)."""
        bound = self.signature.bind(namespace, *args, **kwargs)
        bound.apply_defaults()
        params = self.fn(namespace, *args, **kwargs)
        path_args = {**namespace.path_values, **bound.arguments}
        return build_call(self.route, path_args, params, reason=namespace._executor.reason_tag)

    def templates(self, namespace_cls: type[Namespace[Any]]) -> str:
        """The path template with the namespace's own values filled in."""
        template = self.route.template
        for key, value in namespace_cls.path_values.items():
            template = template.replace("{" + key + "}", value)
        return template


C = TypeVar("C")
R = TypeVar("R")


class Bound(Generic[P, R, C]):
    """An operation bound to a namespace, e.g. ``client.instances.migrate``.

    Calling it builds the request and hands it to the namespace's executor (sent, or
    submitted as a job); ``.call(...)`` only builds it, checking the arguments, so that
    a caller can show, confirm or plan it first and then pass that same
    :class:`~ganetiops.rapi.call.Call` to ``executor.send`` / ``executor.submit``.
    """

    def __init__(
        self, operation: _Operation[P, Any], namespace: Namespace[Any], run: Callable[..., R]
    ) -> None:
        self._operation, self._namespace, self._run = operation, namespace, run
        self.__doc__, self.__name__ = operation.__doc__, operation.__name__

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._run(self._operation.make_call(self._namespace, *args, **kwargs))

    def call(self, *args: P.args, **kwargs: P.kwargs) -> Call[C]:
        """The request these arguments make (pure: no I/O); raises on bad input."""
        return self._operation.make_call(self._namespace, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<bound operation {type(self._namespace).__name__}.{self.__name__}>"


class _SyncOrAsync(_Operation[P, T]):
    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _SyncOrAsync[P, T]: ...
    @overload
    def __get__(self, obj: Namespace[Sync], owner: type[Any]) -> Bound[P, T, T]: ...
    @overload
    def __get__(self, obj: Namespace[Async], owner: type[Any]) -> Bound[P, Awaitable[T], T]: ...

    def __get__(self, obj: Namespace[Any] | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        return Bound(self, obj, obj._executor.send)


class _JobSubmitting(_Operation[P, int]):
    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _JobSubmitting[P]: ...
    @overload
    def __get__(self, obj: Namespace[Sync], owner: type[Any]) -> Bound[P, Job, int]: ...
    @overload
    def __get__(
        self, obj: Namespace[Async], owner: type[Any]
    ) -> Bound[P, Awaitable[AsyncJob], int]: ...

    def __get__(self, obj: Namespace[Any] | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        return Bound(self, obj, obj._executor.submit)


def operation(
    method: Method, template: str, *, since: Sequence[int] = ()
) -> Callable[[Callable[Concatenate[Any, P], Params[T]]], _SyncOrAsync[P, T]]:
    """Declare an operation whose answer is data (read synchronously)."""

    def decorate(fn: Callable[Concatenate[Any, P], Params[T]]) -> _SyncOrAsync[P, T]:
        return _SyncOrAsync(Route(method, template, since=tuple(since)), fn)

    return decorate


def job_operation(
    method: Method,
    template: str,
    *,
    dry_run: DryRun = None,
    body: BodyKind = "pass",
    reason: bool = True,
    since: Sequence[int] = (),
) -> Callable[[Callable[Concatenate[Any, P], Params[Any]]], _JobSubmitting[P]]:
    """Declare an operation that submits a Ganeti job; callers get a Job handle.

    ``dry_run``, ``body`` and ``reason`` say how the server's handler treats
    the common job options (see :class:`~ganetiops.rapi.call.Route`).
    """

    def decorate(fn: Callable[Concatenate[Any, P], Params[Any]]) -> _JobSubmitting[P]:
        route = Route(
            method,
            template,
            job=True,
            reason=reason,
            dry_run=dry_run,
            body=body,
            since=tuple(since),
        )
        return _JobSubmitting(route, fn)

    return decorate


def operations_of(cls: type[Any]) -> dict[str, _Operation[Any, Any]]:
    """Every operation declared on a namespace class, by attribute name."""
    found: dict[str, _Operation[Any, Any]] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, _Operation):
                found[name] = value
    return found
