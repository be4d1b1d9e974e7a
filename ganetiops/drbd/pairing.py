"""The homelab's pairing policy: which node gets a new DRBD instance's secondary.

A pure function of the nodes as RAPI reports them (``GET /2/nodes?bulk=1``): the
secondary goes on another node than the primary, one that is ``vm_capable``, neither
offline nor drained, in the primary's node group and answering (its free memory
known); among those, the one with most free memory wins, then the one holding the
fewest DRBD secondaries already, then the first by name.

Free memory is compared in steps of :data:`MEMORY_STEP_MIB` below the best candidate's
figure: a node's free memory moves by tens of MiB on its own (page cache, daemons), and
a choice that flips between two equal nodes from one second to the next would make the
second rule (spread the secondaries) meaningless.

Never a silent default: it is used when asked (``gnt-py instance create -t drbd
--snode auto``, :func:`pick_secondary`); without ``--snode``/``--iallocator`` Ganeti's
own default applies. ``--plan`` shows the choice and why, sending nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import attrs

from ganetiops.errors import ValidationError

__all__ = [
    "AUTO",
    "MEMORY_STEP_MIB",
    "Candidate",
    "Pairing",
    "choose_secondary",
    "pick_secondary",
]

#: The ``--snode`` value that asks for this policy.
AUTO: Final = "auto"
#: Free memory within this many MiB of the best candidate's counts as equal.
MEMORY_STEP_MIB: Final = 256


@attrs.frozen
class Candidate:
    """One node as the policy saw it."""

    name: str
    mfree: int | None
    secondaries: int
    #: Empty for an eligible node; else why it cannot hold the secondary.
    excluded: str = ""
    #: Steps of :data:`MEMORY_STEP_MIB` below the best eligible node's free memory.
    memory_step: int = 0

    @property
    def eligible(self) -> bool:
        return not self.excluded

    @property
    def figures(self) -> str:
        memory = "free memory unknown" if self.mfree is None else f"{self.mfree} MiB free"
        noun = "secondary" if self.secondaries == 1 else "secondaries"
        return f"{memory}, {self.secondaries} DRBD {noun}"


@attrs.frozen
class Pairing:
    """The policy's answer: the chosen secondary (None if no node fits) and why."""

    primary: str
    chosen: str | None
    #: Eligible nodes, best first (the chosen one first).
    ranked: tuple[Candidate, ...]
    #: Nodes that cannot hold the secondary, with the reason.
    excluded: tuple[Candidate, ...]

    def reason(self) -> str:
        """One sentence: why the chosen node won."""
        if self.chosen is None or not self.ranked:
            return "no node can hold the secondary"
        best = self.ranked[0]
        if len(self.ranked) == 1:
            return f"the only eligible node ({best.figures})"
        runner = self.ranked[1]
        if best.memory_step < runner.memory_step:
            why = f"most free memory ({best.mfree} MiB against {runner.mfree} MiB on {runner.name})"
        elif best.secondaries < runner.secondaries:
            why = (
                f"free memory within {MEMORY_STEP_MIB} MiB of the best, and fewest DRBD "
                f"secondaries ({best.secondaries} against {runner.secondaries} on {runner.name})"
            )
        else:
            why = (
                f"tied with {runner.name} on free memory (within {MEMORY_STEP_MIB} MiB) and "
                f"secondaries ({best.secondaries}): first by name"
            )
        return f"{why}; {best.figures}"

    def lines(self) -> list[str]:
        """The plan's lines: the choice first, then every node's figures."""
        head = (
            f"Secondary (pairing policy): {self.chosen}, {self.reason()}"
            if self.chosen
            else f"Secondary (pairing policy): none for primary {self.primary}"
        )
        out = [head]
        out += [f"  candidate {c.name}: {c.figures}" for c in self.ranked]
        out += [f"  not {c.name}: {c.excluded}" for c in self.excluded]
        return out

    def require(self) -> str:
        """The chosen node, or a clear error naming why each node was left out."""
        if self.chosen is None:
            why = "; ".join(f"{c.name}: {c.excluded}" for c in self.excluded) or "no other node"
            raise ValidationError(
                f"--snode auto: no node can hold the secondary of an instance on "
                f"{self.primary} ({why})",
                field="snode",
            )
        return self.chosen

    def to_dict(self) -> dict[str, Any]:
        def one(c: Candidate) -> dict[str, Any]:
            return {"name": c.name, "mfree": c.mfree, "secondaries": c.secondaries,
                    **({"excluded": c.excluded} if c.excluded else {})}  # fmt: skip

        return {
            "primary": self.primary,
            "chosen": self.chosen,
            "reason": self.reason(),
            "ranked": [one(c) for c in self.ranked],
            "excluded": [one(c) for c in self.excluded],
        }


def _secondaries(node: Any) -> int:
    listed = getattr(node, "sinst_list", None)
    count = getattr(node, "sinst_cnt", None)
    if count is not None:
        return int(count)
    return len(listed or ())


def _mfree(node: Any) -> int | None:
    value = getattr(node, "mfree", None)
    return None if value is None else int(value)


def choose_secondary(
    primary: str, nodes: Sequence[Any], *, memory_step: int = MEMORY_STEP_MIB
) -> Pairing:
    """The policy on ``nodes`` (RAPI's node models, or anything with their fields:
    ``name``, ``offline``, ``drained``, ``vm_capable``, ``group_uuid``, ``mfree``,
    ``sinst_cnt``) for an instance whose primary is ``primary``. Pure.

    Raises :class:`ValidationError` if ``primary`` is not one of ``nodes``.
    """
    if memory_step < 1:
        raise ValidationError(f"memory_step {memory_step}: at least 1 MiB", field="memory_step")
    by_name = {n.name: n for n in nodes}
    if primary not in by_name:
        # A short name (aleph for aleph.homelab.tel) when it names exactly one node.
        short = [n.name for n in nodes if n.name.split(".", 1)[0] == primary]
        if len(short) != 1:
            raise ValidationError(f"primary {primary} is not a node of the cluster", field="pnode")
        primary = short[0]
    group = getattr(by_name[primary], "group_uuid", None)
    eligible: list[Candidate] = []
    excluded: list[Candidate] = []
    for node in sorted(nodes, key=lambda n: n.name):
        mfree, secondaries = _mfree(node), _secondaries(node)
        why = ""
        if node.name == primary:
            why = "it is the primary"
        elif getattr(node, "vm_capable", True) is False:
            why = "not vm_capable"
        elif getattr(node, "offline", False):
            why = "offline"
        elif getattr(node, "drained", False):
            why = "drained"
        elif group is not None and getattr(node, "group_uuid", None) not in (None, group):
            why = "in another node group than the primary"
        elif mfree is None:
            why = "free memory unknown (the node did not answer)"
        candidate = Candidate(node.name, mfree, secondaries, excluded=why)
        (excluded if why else eligible).append(candidate)
    if not eligible:
        return Pairing(primary, None, (), tuple(excluded))
    best = max(c.mfree or 0 for c in eligible)
    stepped = [
        attrs.evolve(c, memory_step=(best - (c.mfree or 0)) // memory_step) for c in eligible
    ]
    ranked = sorted(stepped, key=lambda c: (c.memory_step, c.secondaries, c.name))
    return Pairing(primary, ranked[0].name, tuple(ranked), tuple(excluded))


def pick_secondary(client: Any, primary: str) -> Pairing:
    """The policy on the cluster's nodes now (one ``GET /2/nodes?bulk=1``); a blocking
    :class:`~ganetiops.rapi.RapiClient`. ``.chosen`` (or ``.require()``) is the node."""
    return choose_secondary(primary, client.nodes.list())
