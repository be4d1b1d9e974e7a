"""Typed values out of the configuration file's tables, each error naming its key.

A wrong type or an unknown key is a :class:`~ganetiops.errors.ConfigError` that says
where (``contexts.lab.read-timeout: expected a number of seconds``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ganetiops.errors import ConfigError


def no_unknown(raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")


TYPE_NAMES = {str: "a string", bool: "a boolean (true or false, unquoted)", int: "an integer"}


def describe(value: Any) -> str:
    """``a string 'abc'``, ``an integer 5``...: what was found, shortened."""
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "an array"
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return f"{names.get(type(value), type(value).__name__)} {shown}"


def check_type(value: Any, kind: type, key: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{key}: expected {TYPE_NAMES[kind]}, got {describe(value)}")
    return value


def key_of(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a table, got {describe(value)}")
    return value


def str_or(raw: Mapping[str, Any], key: str, default: str, where: str) -> str:
    return str(check_type(raw.get(key, default), str, key_of(where, key)))


def opt_str(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    if key not in raw:
        return None
    return str(check_type(raw[key], str, key_of(where, key)))


def bool_or(raw: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    return bool(check_type(raw.get(key, default), bool, key_of(where, key)))


def int_or(raw: Mapping[str, Any], key: str, default: int, where: str) -> int:
    return int(check_type(raw.get(key, default), int, key_of(where, key)))


def port_or(raw: Mapping[str, Any], key: str, default: int, where: str) -> int:
    value = int_or(raw, key, default, where)
    if not 1 <= value <= 65535:
        raise ConfigError(f"{key_of(where, key)}: expected a port number 1..65535, got {value}")
    return value


def seconds_or(raw: Mapping[str, Any], key: str, default: float, where: str) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        found = describe(value)
        raise ConfigError(f"{key_of(where, key)}: expected a number of seconds, got {found}")
    if not 0 < value <= 86400:  # also refuses nan
        raise ConfigError(f"{key_of(where, key)}: expected seconds in (0, 86400], got {value}")
    return float(value)


def entries(*items: tuple[str, Any] | tuple[str, Any, Any]) -> dict[str, Any]:
    """The entries a configuration file needs, in order: ``(key, value)`` when the value
    is set (not ``None``, empty or false), ``(key, value, default)`` when it is not the
    default."""
    out: dict[str, Any] = {}
    for key, value, *default in items:
        wanted = value != default[0] if default else bool(value)
        if wanted:
            out[key] = value
    return out
