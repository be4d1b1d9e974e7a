"""``gnt-cluster verify`` as a table, with the errors an environment always raises labelled.

Run with ``--error-codes``, Ganeti prints each finding as
``  - ERROR:ENODESETUP:node:aleph.homelab.tel:<message>`` (after a timestamp); the
parser turns those lines into :class:`VerifyIssue` rows. Some findings are known to
be raised by the environment rather than by the cluster — on the project's machines
every node reports ``/proc/sysrq-trigger`` missing — and are labelled, not hidden.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

__all__ = ["EXPECTED", "Expected", "VerifyIssue", "VerifyReport", "parse_verify"]

VERIFY_COMMAND = "gnt-cluster verify --error-codes"

_LINE = re.compile(
    r"-\s+(?P<severity>ERROR|WARNING):(?P<code>[A-Z0-9_]+):(?P<kind>[a-z]*):"
    r"(?P<item>[^:]*):(?P<message>.*)$"
)


@attrs.frozen
class Expected:
    """A finding an environment always raises: matched by code and message text."""

    code: str
    contains: str
    label: str

    def matches(self, code: str, message: str) -> bool:
        return code == self.code and self.contains in message


#: Findings known to come from the environment, not from the cluster.
EXPECTED: tuple[Expected, ...] = (
    Expected(
        code="ENODESETUP",
        contains="sysrq-trigger",
        label="expected in this environment (the kernel offers no /proc/sysrq-trigger)",
    ),
)


@attrs.frozen
class VerifyIssue:
    severity: str
    code: str
    kind: str
    item: str
    message: str
    #: Why this finding is expected, or ``None`` when it is a real finding.
    expected: str | None = None


@attrs.frozen
class VerifyReport:
    exit_status: int | None
    issues: tuple[VerifyIssue, ...]
    duration: float = 0.0

    @property
    def unexpected(self) -> tuple[VerifyIssue, ...]:
        return tuple(i for i in self.issues if i.expected is None)

    @property
    def ok(self) -> bool:
        """No finding other than the expected ones (warnings count too)."""
        return not self.unexpected

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(severity, code, item, message + label) per finding."""
        return [
            (
                i.severity,
                i.code,
                i.item,
                i.message + (f"  [{i.expected}]" if i.expected else ""),
            )
            for i in self.issues
        ]


def parse_verify(stdout: str, expected: Sequence[Expected] = EXPECTED) -> tuple[VerifyIssue, ...]:
    """Findings from ``gnt-cluster verify --error-codes`` output. Pure."""
    issues: list[VerifyIssue] = []
    for line in stdout.splitlines():
        match = _LINE.search(line)
        if not match:
            continue
        code = match.group("code")
        message = match.group("message").strip()
        label = next((e.label for e in expected if e.matches(code, message)), None)
        issues.append(
            VerifyIssue(
                severity=match.group("severity"),
                code=code,
                kind=match.group("kind"),
                item=match.group("item"),
                message=message,
                expected=label,
            )
        )
    return tuple(issues)
