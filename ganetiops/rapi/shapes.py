"""The shapes RAPI answers must have, checked before anything reads them.

Each operation's ``parse`` uses these: a value of the wrong JSON type raises
:class:`ShapeError`, which the clients turn into one
:class:`~ganetiops.errors.RapiProtocolError` naming the request and what was
expected. Fields *inside* a well-shaped answer stay tolerant (models fall back
to their defaults); a wrong shape of the answer itself is never taken for an
empty success.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ganetiops import errors

T = TypeVar("T")


class ShapeError(TypeError):
    """The answer is not of the expected JSON type (``str(exc)`` says what was expected)."""


def _found(value: Any) -> str:
    kinds = {
        type(None): "null",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{kinds.get(type(value), type(value).__name__)} {shown}"


def fail(expected: str, value: Any) -> ShapeError:
    return ShapeError(f"expected {expected}, got {_found(value)}")


def obj(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise fail("an object", value)
    return value


def seq(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise fail("a list", value)
    return value


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise fail("a string", value)
    return value


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail("a number", value)
    return value


def optional_text(value: Any) -> str | None:
    return None if value is None else text(value)


def anything(value: Any) -> Any:
    """Job results with no documented shape (``None`` for most)."""
    return value


def nothing(value: Any) -> None:
    """Answers that carry no information (``null``)."""
    return


def strings(value: Any) -> list[str]:
    """A list of strings (tags, features, names)."""
    return [text(item) for item in seq(value)]


def job_strings(value: Any) -> list[str]:
    """A job result that lists names (``create``: the nodes used); ``null`` (a job that
    reports nothing) reads as none, another type is a wrong shape."""
    return [] if value is None else strings(value)


def rows(value: Any) -> list[list[Any]]:
    """A list of lists (``[[param, value], ...]`` job results, storage rows); a job
    that reports no changes may say ``null`` (read as no rows)."""
    if value is None:
        return []
    return [list(seq(row)) for row in seq(value)]


def list_of(item: Callable[[Any], T]) -> Callable[[Any], list[T]]:
    def parse(value: Any) -> list[T]:
        return [item(one) for one in seq(value)]

    return parse


def model(factory: Callable[[Any], T]) -> Callable[[Any], T]:
    """A model built from an object (the model itself tolerates odd fields)."""

    def parse(value: Any) -> T:
        return factory(obj(value))

    return parse


def field(mapping: Any, key: str) -> Any:
    """``mapping[key]``, with a shape error naming the key when it is missing."""
    found = obj(mapping)
    if key not in found:
        raise ShapeError(f"expected an object with {key!r}, got {_found(found)}")
    return found[key]


def parse_checked(parse: Callable[[Any], T], value: Any, method: str, path: str) -> T:
    """Run a parser; a shape it did not expect is a protocol error, never a traceback."""
    try:
        return parse(value)
    except errors.GanetiOpsError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        expected = str(exc) if isinstance(exc, ShapeError) else f"{type(exc).__name__}: {exc}"
        raise errors.RapiProtocolError(expected, method=method, path=path) from exc
