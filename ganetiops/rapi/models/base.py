"""The base of every RAPI model: attrs classes that tolerate what the server sends.

Each model field names the API key it comes from and an optional converter.
``from_api`` never fails on a missing key, a ``None`` or a value of the wrong
type: the field falls back to its default and the original answer stays in
``raw``. Sizes are :class:`MiB` (an int) with a readable ``.human``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    ParamSpec,
    Protocol,
    Self,
    TypeVar,
    overload,
)

import attrs

from ganetiops.errors import GanetiOpsError
from ganetiops.hooks import draw_html
from ganetiops.units import format_mib

if TYPE_CHECKING:
    from typing_extensions import TypeVar as DefaultTypeVar

    from ganetiops.rapi.call import Call
    from ganetiops.rapi.modes import AnyMode, Async, Sync

T = TypeVar("T")
P = ParamSpec("P")
S = TypeVar("S")
A = TypeVar("A")


if TYPE_CHECKING:  # PEP 696 defaults: Python 3.13's TypeVar, typing_extensions' for mypy
    Mode = DefaultTypeVar("Mode", covariant=True, default=AnyMode)
else:
    Mode = TypeVar("Mode", covariant=True)


class MiB(int):
    """A size in MiB (what Ganeti reports); ``.human`` renders it, e.g. ``1.5G``."""

    @property
    def human(self) -> str:
        return format_mib(self)

    @property
    def gib(self) -> float:
        return self / 1024

    def __repr__(self) -> str:
        return f"MiB({int(self)})"


def to_mib(value: Any) -> MiB:
    return MiB(int(value))


def to_tuple(value: Any) -> tuple[Any, ...]:
    if isinstance(value, list | tuple):
        return tuple(value)
    raise TypeError("not a list")


def to_str_tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in to_tuple(value))


def to_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError("not a mapping")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise TypeError("not a boolean")


def to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise TypeError("not a string")


def _implied(annotation: Any) -> Callable[[Any], Any] | None:
    """The converter a field without one gets from its type: text fields take text only
    (a list where Ganeti sends a string must not reach ``.split`` or a set lookup)."""
    if annotation in ("str", "str | None", str):
        return to_str
    return None


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("boolean is not an int")
    return int(value)


def api(
    key: str,
    convert: Callable[[Any], Any] | None = None,
    *,
    default: Any = None,
    factory: Callable[[], Any] | None = None,
) -> Any:
    """Declare a model field read from the API key ``key``."""
    metadata = {"api": key, "convert": convert}
    if factory is not None:
        return attrs.field(factory=factory, metadata=metadata)
    return attrs.field(default=default, metadata=metadata)


@attrs.frozen(slots=False)
class Model:
    """Base of every model. ``raw`` keeps the server's dict untouched."""

    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False, kw_only=True)

    _api_fields: ClassVar[tuple[tuple[str, str, Callable[[Any], Any] | None], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._api_fields = ()  # computed lazily: attrs has not processed cls yet

    @classmethod
    def _fields(cls) -> tuple[tuple[str, str, Callable[[Any], Any] | None], ...]:
        if not cls._api_fields:
            cls._api_fields = tuple(
                (f.name, f.metadata["api"], f.metadata.get("convert") or _implied(f.type))
                for f in attrs.fields(cls)
                if "api" in f.metadata
            )
        return cls._api_fields

    @classmethod
    def api_kwargs(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """The constructor arguments found in ``data`` (tolerant conversion)."""
        kwargs: dict[str, Any] = {}
        for name, key, convert in cls._fields():
            value = data.get(key)
            if value is None:
                continue
            if convert is not None:
                try:
                    value = convert(value)
                except (TypeError, ValueError, KeyError):
                    continue
            kwargs[name] = value
        return kwargs

    @classmethod
    def from_api(cls, data: Any) -> Self:
        """Build from a server answer; anything unusable leaves the default."""
        if not isinstance(data, Mapping):
            data = {}
        return cls(**cls.api_kwargs(data), **cls.derived(data), raw=data)

    @classmethod
    def derived(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """Constructor arguments computed from several keys (NICs from ``nic.*``...)."""
        return {}

    def get(self, key: str, default: Any = None) -> Any:
        """A raw field by its API name (``instance.get("nic.macs")``)."""
        return self.raw.get(key, default)

    def to_dict(self) -> dict[str, Any]:
        """The server's answer as a plain dict (stable for JSON output)."""
        return dict(self.raw)

    def _repr_html_(self) -> str:
        """Jupyter display, drawn by the display room through :mod:`ganetiops.hooks`."""
        return draw_html(self)


def html_repr(self: object) -> str:
    """Jupyter display, drawn by the display room through :mod:`ganetiops.hooks`.

    Shared ``_repr_html_`` of the plain (non-:class:`Model`) classes:
    ``_repr_html_ = html_repr``.
    """
    return draw_html(self)


def bind(model: T, namespace: Any) -> T:
    """Attach the namespace that produced ``model`` so its verbs can call back."""
    object.__setattr__(model, "_namespace", namespace)
    return model


def bound_namespace(model: object, kind: str) -> Any:
    namespace = getattr(model, "_namespace", None)
    if namespace is None:
        raise GanetiOpsError(
            f"this {kind} was not read through a client; use client.{kind}s.<verb>(name)"
        )
    return namespace


class Named(Protocol):
    """What a verb needs of its model: the name it passes first."""

    @property
    def name(self) -> str: ...


class Moded(Generic[Mode]):
    """A model with verbs, typed by the client that read it (for the type checker only).

    ``client.instances.get(...)`` is an ``Instance[Sync]`` from :class:`RapiClient` and an
    ``Instance[Async]`` from :class:`AsyncRapiClient`, so that ``instance.migrate()``
    is a ``Job`` from one and an awaitable of an ``AsyncJob`` from the other. A bare
    ``Instance`` is ``Instance[AnyMode]``, which either is: its verbs take the same
    checked arguments and return ``Any``. Nothing of this exists at run time but the
    class parameter.
    """


class Verb(Generic[P, S, A]):
    """A model verb such as ``Instance.migrate``; read on a model, a :class:`BoundVerb`.

    It forwards to ``client.<kind>s.<operation>(model.name, ...)``. ``P`` is that
    operation's arguments after the name, ``S`` what it returns from the sync client and
    ``A`` from the async one: :mod:`ganetiops.rapi.verbs` takes them from the operation
    for the type checker.
    """

    def __init__(self, kind: str, operation: str) -> None:
        self.kind, self.operation = kind, operation

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Verb[P, S, A]: ...
    @overload
    def __get__(self, obj: Moded[Sync], owner: type[Any]) -> BoundVerb[P, S]: ...
    @overload
    def __get__(self, obj: Moded[Async], owner: type[Any]) -> BoundVerb[P, A]: ...
    @overload
    def __get__(self, obj: Named, owner: type[Any]) -> BoundVerb[P, Any]: ...

    def __get__(self, obj: Any, owner: type[Any]) -> Verb[P, S, A] | BoundVerb[P, Any]:
        if obj is None:
            return self
        return BoundVerb(self, obj)

    def __repr__(self) -> str:
        return f"<verb client.{self.kind}s.{self.operation}>"


R = TypeVar("R")


class BoundVerb(Generic[P, R]):
    """The verb of one model, e.g. ``instance.migrate``.

    Calling it returns what the namespace operation returns: a ``Job`` from the sync
    client, an awaitable of an ``AsyncJob`` from the async one (``R``, from the model's
    mode: :class:`Moded`). ``.call(...)`` only builds the request. The namespace is
    looked up when called, so reading the attribute of a model that no client read
    does not fail; calling it does.
    """

    def __init__(self, verb: Verb[P, Any, Any], model: Named) -> None:
        self._verb, self._model = verb, model

    def _operation(self) -> Any:
        return getattr(bound_namespace(self._model, self._verb.kind), self._verb.operation)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        result: R = self._operation()(self._model.name, *args, **kwargs)
        return result

    def call(self, *args: P.args, **kwargs: P.kwargs) -> Call[Any]:
        """The request this verb makes (pure: no I/O); raises on bad input."""
        call: Call[Any] = self._operation().call(self._model.name, *args, **kwargs)
        return call

    def __repr__(self) -> str:
        return (
            f"<bound verb client.{self._verb.kind}s.{self._verb.operation} of {self._model.name!r}>"
        )
