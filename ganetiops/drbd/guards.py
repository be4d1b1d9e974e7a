"""Guards: pure decisions on whether a risky operation may touch an instance's DRBD.

Each operation names what it leans on. Failover and migrate move the instance to
its secondary: the secondary must hold a good copy and the pair be in sync.
Replace-disks rebuilds one side from the other: the side it keeps must be the only
one it needs. Evacuating, draining, offlining or rebooting a node takes away every
copy on that node: the copies elsewhere must be complete.

A decision refuses when a resource the operation touches is not ``UpToDate/UpToDate``
and ``Connected``, or when the node it would take away holds the only good copy. The
message says what is wrong and what to run instead; ``force`` turns a refusal into a
warning that says it was overridden. Instances that are not DRBD are never judged:
on a cluster without DRBD every guard passes without asking a node anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from ganetiops.drbd.view import InstanceHealth
from ganetiops.errors import ValidationError

__all__ = [
    "OPERATIONS",
    "Decision",
    "GuardRefused",
    "check_instance_operation",
    "check_node_operation",
]

#: Operation -> what it does to the instance's copies (for messages).
OPERATIONS = {
    "failover": "moves the instance to its secondary",
    "migrate": "moves the instance to its secondary",
    "replace-disks": "rebuilds a side of the mirror from the other",
    "evacuate": "moves every instance off the node",
    "drain": "prepares the node for maintenance",
    "offline": "takes the node out of the cluster",
    "reboot": "reboots the node",
    "maintenance": "moves every instance off the node",
}


class GuardRefused(ValidationError):
    """A guarded operation was refused before anything was sent (exit code 2)."""


@attrs.frozen
class Decision:
    """Whether the operation may go on, and the lines saying why (not)."""

    allowed: bool
    operation: str
    problems: tuple[str, ...] = ()
    advice: tuple[str, ...] = ()
    forced: bool = False
    #: DRBD instances that were judged (empty: nothing to guard).
    checked: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        if not self.problems:
            return f"{self.operation}: DRBD of {', '.join(self.checked) or 'nothing'} is healthy"
        lines = [f"{self.operation} refused: " + "; ".join(self.problems)]
        if self.forced:
            lines = [f"{self.operation} forced (--force) despite: " + "; ".join(self.problems)]
        lines += [f"  instead: {a}" for a in self.advice]
        if not self.forced:
            lines.append("  (--force does it anyway)")
        return "\n".join(lines)

    def enforce(self) -> Decision:
        """Raise :class:`GuardRefused` when refused; return self otherwise."""
        if not self.allowed:
            raise GuardRefused(self.message, field="force")
        return self


def _remedy(health: InstanceHealth) -> str:
    state = health.state
    name = health.name
    if state == "syncing":
        return f"wait for the resync: gnt-py drbd watch {name} --until-synced"
    if state == "split-brain":
        return (
            f"resolve the split brain by hand (drbdadm connect --discard-my-data on the side "
            f"to throw away), then gnt-py drbd status {name}"
        )
    if state in ("degraded", "disconnected", "inactive"):
        return f"gnt-py instance activate-disks {name} (or gnt-py cluster recover)"
    return f"gnt-py drbd status {name} (a node could not be read)"


def _decide(
    operation: str,
    problems: list[str],
    advice: list[str],
    force: bool,
    checked: Sequence[str],
) -> Decision:
    unique_advice = tuple(dict.fromkeys(advice))
    return Decision(
        allowed=not problems or force,
        operation=operation,
        problems=tuple(problems),
        advice=unique_advice,
        forced=bool(problems) and force,
        checked=tuple(checked),
    )


def check_instance_operation(
    operation: str,
    health: InstanceHealth | None,
    *,
    target: str | None = None,
    force: bool = False,
) -> Decision:
    """Failover, migrate or replace-disks of one instance.

    ``health`` is ``None`` for an instance that is not DRBD (allowed, nothing judged).
    ``target`` is where failover/migrate goes (default: the secondary) or, for
    replace-disks, the node that keeps its copy (``-p``: the secondary, ``-s``: the
    primary, ``-n``: the primary; ``None``: both).
    """
    if health is None:
        return Decision(True, operation)
    problems: list[str] = []
    advice: list[str] = []
    if not health.healthy and health.state != "inactive":
        problems.append(f"{health.name} is {health.state} ({health.detail})")
        advice.append(_remedy(health))
    elif health.state == "inactive" and operation in ("migrate",):
        problems.append(f"{health.name}'s disks are not active (is it running?)")
        advice.append(f"gnt-py instance start {health.name}")
    if problems and operation == "replace-disks" and health.good_copies:
        good = health.good_copies[0]
        advice.append(
            f"if the copy being replaced is the broken one and {good} is the good copy, "
            "replacing it is the repair: add --force"
        )
    keeper = target
    if operation in ("failover", "migrate") and keeper is None:
        keeper = health.secondary
    if keeper is not None and health.disks and keeper not in health.good_copies:
        where = ", ".join(health.good_copies) or "no node"
        problems.append(f"{keeper} has no UpToDate copy of {health.name} (good copies: {where})")
        if health.good_copies and operation in ("failover", "migrate"):
            advice.append(f"keep {health.name} on {health.good_copies[0]} until the resync ends")
    return _decide(operation, problems, advice, force, (health.name,))


def check_node_operation(
    operation: str,
    node: str,
    instances: Iterable[InstanceHealth],
    *,
    secondaries_too: bool = True,
    force: bool = False,
) -> Decision:
    """Evacuate, drain, offline, reboot or maintenance of ``node``.

    Every DRBD instance with a copy on ``node`` is judged: refused when it is not
    healthy (the copy elsewhere may be incomplete) or when ``node`` holds its only
    good copy. ``secondaries_too=False`` (``evacuate -p``) judges only the
    instances whose primary is ``node``.
    """
    problems: list[str] = []
    advice: list[str] = []
    checked: list[str] = []
    for health in instances:
        if node not in (health.primary, health.secondary):
            continue
        if not secondaries_too and health.primary != node:
            continue
        checked.append(health.name)
        others = [n for n in health.good_copies if n != node]
        if node in health.good_copies and not others:
            problems.append(f"{node} holds the only UpToDate copy of {health.name}")
            advice.append(_remedy(health))
            continue
        if not health.healthy and health.state != "inactive":
            problems.append(f"{health.name} is {health.state} ({health.detail})")
            advice.append(_remedy(health))
    return _decide(operation, problems, advice, force, checked)
