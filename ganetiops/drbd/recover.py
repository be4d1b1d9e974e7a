"""Post-reboot recovery (``gnt-py cluster recover``) and node maintenance
(``gnt-py node maintenance`` / ``node return``): a plan first, then one Ganeti job
per step.

The plans are pure functions of what RAPI and the nodes said; :func:`apply` runs
a plan through injected I/O (a RAPI client, a way to run a command on the master,
a way to read DRBD health) and re-checks each step's premise just before it
acts, so that running the same command again after an interruption, or after
success, only does what is still needed (idempotent, resumable).
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from ganetiops.drbd.health import DRBD_TEMPLATES, ClusterDrbd
from ganetiops.errors import GanetiOpsError, ValidationError

__all__ = [
    "MIGRATABLE",
    "Outcome",
    "Step",
    "apply",
    "plan_maintenance",
    "plan_recovery",
    "plan_return",
]

#: Templates whose instances can move while running (internally or externally mirrored).
MIGRATABLE = frozenset({"drbd", "sharedfile", "rbd", "ext", "blockdev", "gluster"})


@attrs.frozen
class Step:
    """One thing to do: ``action`` on ``target``, and why."""

    action: str
    target: str | None = None
    reason: str = ""
    #: Arguments the action's job takes (target node of a migration...).
    args: dict[str, Any] = attrs.field(factory=dict)
    #: For moves: the node the instance leaves (the step is done once it is elsewhere).
    node: str | None = None

    @property
    def text(self) -> str:
        what = f"{self.action} {self.target}" if self.target else self.action
        return f"{what}: {self.reason}" if self.reason else what

    def to_dict(self) -> dict[str, Any]:
        data = {"action": self.action, "target": self.target, "reason": self.reason}
        return {**data, **self.args, **({"node": self.node} if self.node else {})}


@attrs.frozen
class Outcome:
    step: Step
    #: ``done``, ``skipped`` (nothing left to do), ``failed`` or ``manual``.
    status: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**self.step.to_dict(), "status": self.status, "detail": self.detail}


def _should_run(inst: Any) -> bool:
    return getattr(inst, "admin_state", None) == "up"


# --- plans --------------------------------------------------------------------------


def plan_recovery(
    instances: Sequence[Any],
    nodes: Sequence[Any],
    report: ClusterDrbd | None,
    *,
    verify_disks: bool = True,
) -> tuple[Step, ...]:
    """What ``cluster recover`` would do.

    verify-disks first (Ganeti's own check, which also activates degraded disks);
    activate-disks for each DRBD instance still degraded, disconnected, or inactive
    although it should run; start each instance that is admin-up but not running
    (its primary online); wait for the resyncs. Split brains and nodes that could not
    be read are listed for a human (``manual``).
    """
    offline = {n.name for n in nodes if getattr(n, "offline", False)}
    steps: list[Step] = []
    if verify_disks:
        steps.append(Step("verify-disks", None, "Ganeti's check; activates degraded disks"))
    by_name = {i.name: i for i in instances}
    wait = False
    for health in report.instances if report is not None else ():
        inst = by_name.get(health.name)
        state = health.state
        if state == "split-brain":
            steps.append(Step("manual", health.name, f"split brain: {health.detail}"))
        elif state == "unknown":
            steps.append(Step("manual", health.name, f"not readable: {health.detail}"))
        elif state in ("degraded", "disconnected") or (
            state == "inactive" and inst is not None and _should_run(inst)
        ):
            steps.append(Step("activate-disks", health.name, f"{state}: {health.detail}"))
            wait = True
        elif state == "syncing":
            wait = True
    for inst in instances:
        if not _should_run(inst) or getattr(inst, "oper_state", None):
            continue
        if inst.pnode in offline:
            steps.append(Step("manual", inst.name, f"admin up, primary {inst.pnode} offline"))
            continue
        steps.append(Step("start", inst.name, "admin up but not running"))
    if wait:
        steps.append(Step("wait-sync", None, "until every DRBD disk is UpToDate/UpToDate"))
    return tuple(steps)


def _pick_target(node: str, nodes: Sequence[Any]) -> str | None:
    """Where a shared-storage instance can go: the online, undrained node with most free
    memory (None if there is none)."""
    candidates = [
        n
        for n in nodes
        if n.name != node
        and not getattr(n, "offline", False)
        and not getattr(n, "drained", False)
        and getattr(n, "vm_capable", True) is not False
    ]
    if not candidates:
        return None
    best = max(candidates, key=lambda n: int(getattr(n, "mfree", 0) or 0))
    return str(best.name)


def plan_maintenance(
    node: str,
    nodes: Sequence[Any],
    instances: Sequence[Any],
    *,
    move_secondaries: bool = False,
    iallocator: str | None = None,
    new_secondary: str | None = None,
) -> tuple[Step, ...]:
    """What ``node maintenance NODE`` would do, from the nodes' and instances' state.

    drain; migrate each running primary off (to its secondary for DRBD; for shared
    storage to ``iallocator``'s choice or the node with most free memory), fail over
    where migration is impossible (stopped, or ``always_failover``); optionally move
    the DRBD secondaries off (``node evacuate -s``); then ``ready``. The master is
    refused (:class:`ValidationError`): Ganeti changes no flag of the master.
    """
    model = next((n for n in nodes if n.name == node), None)
    if model is not None and getattr(model, "role", None) == "master":
        # Ganeti's LUNodeSetParams: "The master role can be changed only via
        # master-failover" (no drain, offline or candidate flag on the master).
        raise ValidationError(
            f"{node} is the master: Ganeti does not drain the master; move the master "
            f"role first (gnt-cluster master-failover, on another master candidate), "
            f"then put {node} in maintenance",
            field="node",
        )
    steps: list[Step] = []
    if model is None or not getattr(model, "drained", False):
        steps.append(Step("drain", node, "no new instances are placed here"))
    target = None if iallocator else _pick_target(node, nodes)
    for inst in sorted(instances, key=lambda i: i.name):
        if inst.pnode != node:
            continue
        template = inst.disk_template or ""
        args: dict[str, Any] = {}
        if template not in DRBD_TEMPLATES:
            if iallocator:
                args["iallocator"] = iallocator
            elif target:
                args["target_node"] = target
        always_failover = bool(getattr(inst, "beparams", {}).get("always_failover"))
        if template not in MIGRATABLE:
            steps.append(
                Step("manual", inst.name, f"{template} disks cannot leave {node}: stop it")
            )
        elif getattr(inst, "oper_state", None) and not always_failover:
            steps.append(Step("migrate", inst.name, "running: live migration", args, node))
        else:
            why = "always_failover" if always_failover else "not running"
            steps.append(Step("failover", inst.name, f"{why}: failover", args, node))
    if move_secondaries and any(
        node in i.snodes and i.disk_template in DRBD_TEMPLATES for i in instances
    ):
        args = {"iallocator": iallocator} if iallocator else {}
        if new_secondary:
            args = {"remote_node": new_secondary}
        steps.append(Step("evacuate-secondaries", node, "DRBD secondaries elsewhere", args))
    steps.append(Step("ready", node, "nothing primary left on it"))
    return tuple(steps)


def plan_return(node: str, nodes: Sequence[Any], *, rebalance: bool = True) -> tuple[Step, ...]:
    """What ``node return NODE`` would do: online, undrain, wait for the resyncs, then
    show a rebalance plan (hbal) and apply it once approved."""
    model = next((n for n in nodes if n.name == node), None)
    steps: list[Step] = []
    if model is None or getattr(model, "offline", False):
        steps.append(Step("online", node, "the node is offline in Ganeti"))
    if model is None or getattr(model, "drained", False):
        steps.append(Step("undrain", node, "accept instances again"))
    steps.append(Step("wait-sync", None, "DRBD of the node's instances UpToDate/UpToDate"))
    if rebalance:
        steps.append(Step("rebalance", None, "hbal's moves, shown before they are applied"))
    return tuple(steps)


# --- applying ---------------------------------------------------------------------


@attrs.frozen
class Io:
    """What applying a plan may do (all injected; nothing here opens a connection)."""

    client: Any
    #: Run argv on the master; returns a CommandResult (verify-disks, hbal).
    run_master: Callable[[Sequence[str]], Any] | None = None
    #: Read DRBD health now (the node's instances for ``wait-sync``).
    read_health: Callable[[], ClusterDrbd] | None = None
    #: Progress lines (stderr in the CLI).
    say: Callable[[str], None] = lambda line: None
    #: Ask before the rebalance is applied (gets hbal's plan; True: apply).
    approve: Callable[[str], bool] = lambda plan: False
    wait_timeout: float = 3600.0
    poll: float = 5.0


def _wait(job: Any, io: Io) -> Any:
    return job.wait(on_log=lambda entry: io.say(f"  {getattr(entry, 'message', entry)}"))


def apply(steps: Iterable[Step], io: Io, *, stop_on_failure: bool = True) -> list[Outcome]:
    """Run each step (re-checking it is still needed); stop at the first failure, or
    (``stop_on_failure=False``, recovery: instances are independent) go on."""
    outcomes: list[Outcome] = []
    for step in steps:
        io.say(f"- {step.text}")
        try:
            outcome = _apply_one(step, io)
        except GanetiOpsError as exc:  # a failed job or request: reported, the run stops
            outcome = Outcome(step, "failed", str(exc))
        outcomes.append(outcome)
        if outcome.detail:
            io.say(f"  {outcome.status}: {outcome.detail}")
        if outcome.status == "failed" and stop_on_failure:
            break
    return outcomes


def _apply_one(step: Step, io: Io) -> Outcome:
    client = io.client
    action, target = step.action, step.target
    if action == "manual":
        return Outcome(step, "manual", step.reason)
    if action == "verify-disks":
        if io.run_master is None:
            return Outcome(step, "skipped", "no SSH to the master")
        result = io.run_master(["gnt-cluster", "verify-disks"])
        lines = [ln.strip() for ln in (result.stdout or "").splitlines() if ln.strip()]
        if result.exit_status != 0:
            return Outcome(step, "failed", "; ".join(lines[-3:]) or result.failure())
        notable = [ln for ln in lines if not ln.startswith(("Submitted", "Waiting for job"))]
        return Outcome(step, "done", "; ".join(notable) or "no problems reported")
    if action == "activate-disks":
        _wait(client.instances.activate_disks(target), io)
        return Outcome(step, "done")
    if action == "start":
        inst = client.instances.get(target)
        if inst.oper_state:
            return Outcome(step, "skipped", "already running")
        _wait(client.instances.startup(target), io)
        return Outcome(step, "done")
    if action == "wait-sync":
        return _wait_sync(step, io)
    if action == "drain":
        if client.nodes.get(target).drained:
            return Outcome(step, "skipped", "already drained")
        _wait(client.nodes.modify(target, drained=True), io)
        return Outcome(step, "done")
    if action in ("migrate", "failover"):
        inst = client.instances.get(target)
        if step.node is not None and inst.pnode != step.node:
            return Outcome(step, "skipped", f"already on {inst.pnode}")
        if action == "migrate":
            job = client.instances.migrate(target, allow_failover=True, **step.args)
        else:
            job = client.instances.failover(target, **step.args)
        _wait(job, io)
        return Outcome(step, "done", f"now on {client.instances.get(target).pnode}")
    if action == "evacuate-secondaries":
        _wait(client.nodes.evacuate(target, mode="secondary-only", **step.args), io)
        return Outcome(step, "done")
    if action == "ready":
        node = client.nodes.get(target)
        left = list(node.pinst_list)
        if left:
            return Outcome(step, "failed", f"still primary for {', '.join(left)}")
        return Outcome(step, "done", f"{target} is drained with no primary instance")
    if action == "online":
        if not client.nodes.get(target).offline:
            return Outcome(step, "skipped", "already online")
        _wait(client.nodes.modify(target, offline=False), io)
        return Outcome(step, "done")
    if action == "undrain":
        if not client.nodes.get(target).drained:
            return Outcome(step, "skipped", "not drained")
        _wait(client.nodes.modify(target, drained=False), io)
        return Outcome(step, "done")
    if action == "rebalance":
        return _rebalance(step, io)
    return Outcome(step, "failed", f"unknown action {action!r}")


def _wait_sync(step: Step, io: Io) -> Outcome:
    if io.read_health is None:
        return Outcome(step, "skipped", "no SSH to the nodes")
    deadline = time.monotonic() + io.wait_timeout
    while True:
        report = io.read_health()
        pending = [
            i for i in report.instances if i.state in ("syncing", "degraded", "disconnected")
        ]
        if not pending:
            return Outcome(step, "done", f"{len(report.instances)} DRBD instance(s) in sync")
        for inst in pending:
            pct = f" {inst.percent:.1f}%" if inst.percent is not None else ""
            io.say(f"  {inst.name}: {inst.state}{pct} {inst.detail}")
        if time.monotonic() > deadline:
            names = ", ".join(i.name for i in pending)
            return Outcome(step, "failed", f"not in sync after {io.wait_timeout:g}s: {names}")
        time.sleep(io.poll)


def _rebalance(step: Step, io: Io) -> Outcome:
    if io.run_master is None:
        return Outcome(step, "skipped", "no SSH to the master")
    planned = io.run_master(["hbal", "-L", "-C"])
    if planned.exit_status != 0:
        return Outcome(step, "failed", f"hbal -L -C: {planned.failure()}")
    text = planned.stdout or ""
    commands = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("gnt-")]
    if not commands:
        return Outcome(step, "skipped", "hbal: the cluster is balanced (no moves)")
    if not io.approve(text):
        return Outcome(step, "skipped", f"{len(commands)} move(s) shown, not applied")
    # The very commands shown are run (a second hbal run may choose other moves).
    for number, command in enumerate(commands, 1):
        io.say(f"  {number}/{len(commands)}: {command}")
        applied = io.run_master(shlex.split(command))
        if applied.exit_status != 0:
            return Outcome(step, "failed", f"{command}: {applied.failure()}")
    return Outcome(step, "done", f"{len(commands)} move(s) applied")
