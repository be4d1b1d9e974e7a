"""Typed values out of a parsed TOML table, each error naming its key (``nodes.bet.primary``).

The inventory (:mod:`ganetiops.bootstrap.inventory`) reads every key through these, so that
a wrong value fails before any I/O as a :class:`~ganetiops.errors.ValidationError` whose
``field`` is the key. ``expand`` makes a path of ``~`` and ``$VARIABLES``.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ganetiops.errors import ValidationError

_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
_PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def err(key: str, message: str) -> ValidationError:
    return ValidationError(f"{key}: {message}" if key else message, field=key or None)


def only(values: Iterable[str], allowed: Sequence[str], key: str, message: str) -> None:
    """Refuse the first value not in ``allowed`` (``key`` and ``message`` are formatted
    with it: ``{}`` or ``{!r}``)."""
    for value in values:
        if value not in allowed:
            raise err(key.format(value), message.format(value))


def known(raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        key = f"{where}.{unknown[0]}" if where else unknown[0]
        raise err(key, f"unknown key (known: {', '.join(sorted(allowed))})")


def table(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    full = f"{where}.{key}" if where else key
    value = raw.get(key)
    if value is None:
        raise err(full, "missing table")
    if not isinstance(value, Mapping):
        raise err(full, "expected a table")
    return value


def opt_str(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise err(f"{where}.{key}", "expected a non-empty string")
    return value.strip()


def req_str(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = opt_str(raw, key, where)
    if value is None:
        raise err(f"{where}.{key}", "required")
    return value


def str_list(raw: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> list[str]:
    value = raw.get(key)
    if value is None:
        if required:
            raise err(f"{where}.{key}", "required")
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise err(f"{where}.{key}", "expected a list of strings")
    if required and not value:
        raise err(f"{where}.{key}", "must not be empty")
    if len(set(value)) != len(value):
        raise err(f"{where}.{key}", "lists a value twice")
    return list(value)


def str_or_list(raw: Mapping[str, Any], key: str, where: str) -> list[str]:
    if isinstance(raw.get(key), str):
        return [req_str(raw, key, where)]
    return str_list(raw, key, where)


def ipv4(text: str, key: str) -> str:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise err(key, f"not an IPv4 address ({text!r})") from None


def hostname(text: str, key: str) -> None:
    if not _HOSTNAME.fullmatch(text):
        raise err(key, f"{text!r} is not a valid host name")


def abs_path(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    value = opt_str(raw, key, where)
    if value is not None and not value.startswith("/"):
        raise err(f"{where}.{key}", "expected an absolute path on the nodes")
    return value


def params_by_name(raw: Mapping[str, Any], key: str, where: str) -> dict[str, dict[str, Any]]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise err(f"{where}.{key}", "expected a table of tables")
    return {name: param_table(params, f"{where}.{key}.{name}") for name, params in value.items()}


def param_table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise err(where, "expected a table of parameters")
    out: dict[str, Any] = {}
    for name, param in value.items():
        if not _PARAM_NAME.fullmatch(name):
            raise err(f"{where}.{name}", "not a Ganeti parameter name")
        if not isinstance(param, str | int | float | bool):
            raise err(f"{where}.{name}", "expected a string, number or boolean")
        if isinstance(param, str) and ("," in param or "=" in param):
            raise err(f"{where}.{name}", "a value cannot contain ',' or '=' (Ganeti syntax)")
        out[name] = param
    return out


_ISPECS = ("cpu-count", "disk-count", "disk-size", "memory-size", "nic-count", "spindle-use")


def parse_bounds_specs(text: str) -> dict[str, dict[str, int]]:
    """``min:cpu-count=1,.../max:...`` → ``{"min": {...}, "max": {...}}`` (one min/max pair)."""
    out: dict[str, dict[str, int]] = {}
    for part in text.split("/"):
        bound, sep, specs = part.partition(":")
        if not sep or bound not in ("min", "max") or bound in out:
            raise ValueError(f"expected min:...,/max:... (got {part!r})")
        values: dict[str, int] = {}
        for item in specs.split(","):
            key, eq, value = item.partition("=")
            if not eq or key not in _ISPECS or not value.isdigit():
                raise ValueError(f"bad spec {item!r} (keys: {', '.join(_ISPECS)})")
            values[key] = int(value)
        out[bound] = values
    if set(out) != {"min", "max"}:
        raise ValueError("both min: and max: are required")
    return out


_VAR = re.compile(
    r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


def expand(text: str, base: Path, key: str) -> Path:
    """``~``, ``$VAR``, ``${VAR}`` and ``${VAR:-default}``; relative to ``base``."""

    def one(match: re.Match[str]) -> str:
        name = match.group("name") or match.group("bare")
        value = os.environ.get(name)
        if value:
            return value
        if match.group("default") is not None:
            return match.group("default")
        raise err(key, f"{text!r}: environment variable {name} is not set")

    path = Path(os.path.expanduser(_VAR.sub(one, text)))
    return path if path.is_absolute() else base / path
