"""Ganeti's query language, as ``gnt-instance list -F`` reads it, into a RAPI filter.

::

    status == "running" and pnode =~ m/^aleph/
    not admin_up or oper_ram < 512
    "web" in tags
    be/vcpus >= 2 and (os == "noop" or os == "pxe")

Comparisons ``== != < <= > >=``, regular expressions ``=~ m/RE/`` (``m/RE/i`` ignores
case), ``VALUE in FIELD`` and ``VALUE not in FIELD`` (list fields such as tags), a
bare field (true when the field is true), ``and``, ``or``, ``not`` and parentheses.
Values are numbers, ``"strings"``/``'strings'``, ``true``/``false``. The result is
the nested-list filter ``/2/query`` takes (``["&", ["=", "status", "running"], ...]``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ganetiops.errors import ValidationError

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<regex>m(?:(?P<delim>[/|#!])(?P<body>.*?)(?P=delim)|\{(?P<braced>.*?)\})(?P<flags>i?)) |
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*') |
        (?P<number>-?\d+(?:\.\d+)?(?![\w./])) |
        (?P<op>==|!=|<=|>=|=~|<|>|\(|\)) |
        (?P<word>[A-Za-z_][\w./-]*)
    )""",
    re.VERBOSE,
)
_COMPARISONS = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ValidationError(
                f"--filter: cannot read {text[position:].strip()[:20]!r}", field="filter"
            )
        position = match.end()
        if match["regex"] is not None:
            body = match["body"] if match["body"] is not None else match["braced"]
            out.append(("regex", f"(?i){body}" if match["flags"] else body))
        elif match["string"] is not None:
            raw = match["string"][1:-1]
            out.append(("value", re.sub(r"\\(.)", r"\1", raw)))
        elif match["number"] is not None:
            number = match["number"]
            out.append(("value", float(number) if "." in number else int(number)))
        elif match["op"] is not None:
            out.append(("op", match["op"]))
        else:
            word = match["word"]
            if word in ("and", "or", "not", "in"):
                out.append(("op", word))
            elif word in ("true", "false"):
                out.append(("value", word == "true"))
            else:
                out.append(("field", word))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, Any]:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end")
        self.index += 1
        return token

    def error(self, what: str) -> ValidationError:
        return ValidationError(f"--filter {self.text!r}: {what}", field="filter")

    def is_op(self, *ops: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "op" and token[1] in ops

    def parse(self) -> list[Any]:
        result = self.or_expr()
        if self.peek() is not None:
            raise self.error(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return result

    def or_expr(self) -> list[Any]:
        return self.chain("or", "|", self.and_expr)

    def and_expr(self) -> list[Any]:
        return self.chain("and", "&", self.not_expr)

    def chain(self, word: str, symbol: str, operand: Callable[[], list[Any]]) -> list[Any]:
        """``operand (word operand)*``: the one operand, or ``[symbol, *operands]``."""
        parts = [operand()]
        while self.is_op(word):
            self.take()
            parts.append(operand())
        return parts[0] if len(parts) == 1 else [symbol, *parts]

    def not_expr(self) -> list[Any]:
        if self.is_op("not"):
            self.take()
            return ["!", self.not_expr()]
        return self.atom()

    def atom(self) -> list[Any]:
        kind, value = self.take()
        if kind == "op" and value == "(":
            inner = self.or_expr()
            if not self.is_op(")"):
                raise self.error("missing ')'")
            self.take()
            return inner
        if kind == "value":  # VALUE in FIELD / VALUE not in FIELD
            negate = False
            if self.is_op("not"):
                self.take()
                negate = True
            if not self.is_op("in"):
                raise self.error(f"expected 'in' after {value!r}")
            self.take()
            field_kind, field = self.take()
            if field_kind != "field":
                raise self.error("expected a field after 'in'")
            clause: list[Any] = ["=[]", field, value]
            return ["!", clause] if negate else clause
        if kind != "field":
            raise self.error(f"expected a field, got {value!r}")
        if self.is_op(*_COMPARISONS):
            op = _COMPARISONS[self.take()[1]]
            value_kind, operand = self.take()
            if value_kind == "field":  # a bare word on the right: a string, as gnt-* reads it
                operand = str(operand)
            elif value_kind != "value":
                raise self.error(f"expected a value after {op}")
            return [op, value, operand]
        if self.is_op("=~"):
            self.take()
            regex_kind, pattern = self.take()
            if regex_kind not in ("regex", "value") or not isinstance(pattern, str):
                raise self.error("expected m/REGEX/ after =~")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise self.error(f"bad regular expression ({exc})") from None
            return ["=~", value, pattern]
        return ["?", value]


def parse_qlang(text: str) -> list[Any]:
    """Ganeti query-language text -> a ``/2/query`` filter (nested lists)."""
    if not text.strip():
        raise ValidationError("--filter: empty", field="filter")
    return _Parser(text).parse()


__all__ = ["parse_qlang"]
