"""The bootstrap plan: from an inventory and the nodes' facts to ordered steps. Pure.

Each step says what it is about (a node or the cluster), whether it is **done**, **to
do** or **blocked**, why, and the actions that would do it (commands, file writes).
Nothing here does I/O: ``compute_plan`` is called again after every applied step with
fresh facts, which is what makes bootstrap idempotent and resumable — a step is done
when the facts say so, not because a previous run remembers it.

Order (homelab.md §1.4): node checks; ``gnt-cluster init`` on the initial master (with
``-s``); the master's secondary address; known_hosts listing every node's key under the
cluster name; the RAPI users file; ``gnt-node add -s`` for the other nodes in inventory
order; their secondary addresses; cluster parameters; distribution of the files to
every node (``gnt-cluster redist-conf``).
"""

from __future__ import annotations

import enum
import shlex
import textwrap
from collections.abc import Mapping, Sequence

import attrs

from ganetiops.bootstrap.commands import init_command, known_hosts_content, parameter_changes
from ganetiops.bootstrap.inventory import Inventory, NodeSpec
from ganetiops.bootstrap.state import (
    KNOWN_HOSTS_FILE,
    ClusterConfig,
    FileState,
)
from ganetiops.bootstrap.users_file import (
    USERS_FILE,
    USERS_MODE,
    USERS_OWNER,
    UserEntry,
    differences,
    merge,
)
from ganetiops.config.secrets import Secret
from ganetiops.errors import BootstrapError, GanetiOpsError, ValidationError
from ganetiops.ssh.facts import NodeFacts

__all__ = [
    "BootstrapError",
    "Plan",
    "RunCommand",
    "Step",
    "StepState",
    "WriteFile",
    "compute_plan",
    "init_command",
    "known_hosts_content",
]

KNOWN_HOSTS_OWNER = "gnt-masterd:gnt-masterd"
KNOWN_HOSTS_MODE = 0o644


class StepState(enum.StrEnum):
    DONE = "done"
    TODO = "to do"
    BLOCKED = "blocked"


@attrs.frozen
class RunCommand:
    """Run a shell command as root on a node (no secret ever in it)."""

    node: str
    command: str

    def describe(self) -> str:
        return self.command


@attrs.frozen
class WriteFile:
    """Write a file on a node; the content travels on stdin and may be secret."""

    node: str
    path: str
    content: Secret
    mode: int
    owner: str

    def describe(self) -> str:
        return f"write {self.path} ({self.owner}, mode {self.mode:04o})"


Action = RunCommand | WriteFile


@attrs.frozen
class Step:
    id: str
    node: str
    state: StepState
    why: str
    actions: tuple[Action, ...] = ()

    @property
    def kind(self) -> str:
        return self.id.split(":", 1)[0]


@attrs.frozen
class Plan:
    cluster: str
    #: Short name of the node where cluster-wide commands run (current or initial master).
    master: str
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def check_step_id(self, step_id: str, *, field: str = "stop_after") -> Step:
        """The step ``step_id``; a ``ValidationError`` listing the steps if there is none."""
        try:
            return self.step(step_id)
        except KeyError:
            known = ", ".join(s.id for s in self.steps if s.kind != "check")
            raise ValidationError(
                f"{field}: no step {step_id!r} (steps: {known})", field=field
            ) from None

    @property
    def blocked(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.state is StepState.BLOCKED)

    @property
    def todo(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.state is StepState.TODO)

    @property
    def all_done(self) -> bool:
        return all(s.state is StepState.DONE for s in self.steps)

    def next_step(self) -> Step | None:
        """The first step to do that has actions of its own."""
        return next((s for s in self.todo if s.actions), None)

    def rows(self, *, commands: bool = False) -> list[tuple[str, str, str, str]]:
        """(step, node, state, why) per step; with ``commands``, what a to-do step would run."""
        rows = []
        for s in self.steps:
            why = s.why
            if commands and s.state is StepState.TODO and s.actions:
                for action in s.actions:
                    lines = textwrap.wrap(
                        action.describe(),
                        width=80,
                        break_long_words=False,
                        break_on_hyphens=False,
                        initial_indent="  $ ",
                        subsequent_indent="      ",
                    )
                    why += "\n" + " \\\n".join(lines)
            rows.append((s.id, s.node, str(s.state), why))
        return rows


# -- the planner ------------------------------------------------------------------------


@attrs.frozen
class _Ctx:
    inv: Inventory
    facts: Mapping[str, NodeFacts]
    users: Sequence[UserEntry]
    node_keys: Mapping[str, Sequence[str]]
    master: NodeSpec
    config: ClusterConfig | None
    blocked_nodes: frozenset[str]


def compute_plan(
    inventory: Inventory,
    facts: Mapping[str, NodeFacts],
    *,
    users: Sequence[UserEntry] = (),
    node_keys: Mapping[str, Sequence[str]] | None = None,
) -> Plan:
    """The plan for ``inventory`` given each node's facts (by short node name).

    ``users`` are the RAPI users with their HA1 already computed; ``node_keys`` the host
    key lines (``<alg> <base64>``) of each node for Ganeti's known_hosts (default: the
    inventory's ``host-key`` values).
    """
    keys = node_keys or {n.name: n.host_keys for n in inventory.nodes}
    master = _current_master(inventory, facts)
    master_facts = facts.get(master.name) or NodeFacts(host=master.name)
    config = master_facts.extra.get("config")
    if config is not None and config.cluster_name != inventory.cluster.name:
        config = None  # another cluster: the master check blocks below
    checks = [_check(inventory, node, facts, master) for node in inventory.nodes]
    blocked = frozenset(s.node for s in checks if s.state is StepState.BLOCKED)
    ctx = _Ctx(inventory, facts, users, keys, master, config, blocked)
    steps: list[Step] = [*checks, _init(ctx), _secondary(ctx, master, is_master=True)]
    steps += [_known_hosts(ctx), _rapi_users(ctx)]
    steps += [_node_add(ctx, node) for node in inventory.nodes if node.name != master.name]
    steps += [
        _secondary(ctx, node, is_master=False)
        for node in inventory.nodes
        if node.name != master.name
    ]
    steps += [_cluster_params(ctx), _distribute(ctx)]
    return Plan(cluster=inventory.cluster.name, master=master.name, steps=tuple(steps))


def _current_master(inventory: Inventory, facts: Mapping[str, NodeFacts]) -> NodeSpec:
    """The master per the nodes' ssconf (if the cluster exists), else the initial master."""
    votes: dict[str, int] = {}
    for node_facts in facts.values():
        if node_facts.ssconf_cluster == inventory.cluster.name and node_facts.ssconf_master:
            votes[node_facts.ssconf_master] = votes.get(node_facts.ssconf_master, 0) + 1
    for name, _count in sorted(votes.items(), key=lambda item: -item[1]):
        try:
            return inventory.node(name)
        except GanetiOpsError:
            continue
    return inventory.master


def _check(
    inv: Inventory, node: NodeSpec, facts: Mapping[str, NodeFacts], master: NodeSpec
) -> Step:
    step_id = f"check:{node.name}"
    f = facts.get(node.name)
    if f is None:
        return Step(step_id, node.name, StepState.BLOCKED, "no facts gathered")
    if not f.reachable:
        why = f.problems["connect"]
        prefix = "host key refused (nothing was run on it)" if f.host_key_refused else "unreachable"
        return Step(step_id, node.name, StepState.BLOCKED, f"{prefix}: {why}")
    hard, soft = node_problems(inv, node, f, facts.get(master.name), is_master=node is master)
    if hard:
        return Step(step_id, node.name, StepState.BLOCKED, "; ".join(hard + soft))
    why = "ok" + (f"; warning: {'; '.join(soft)}" if soft else "")
    return Step(step_id, node.name, StepState.DONE, why)


def node_problems(
    inv: Inventory,
    node: NodeSpec,
    f: NodeFacts,
    master_facts: NodeFacts | None,
    *,
    is_master: bool,
) -> tuple[list[str], list[str]]:
    """(blocking problems, warnings) of a reachable node, from its facts."""
    hard: list[str] = []
    soft: list[str] = []
    cluster = inv.cluster
    if f.fqdn != node.fqdn:
        hard.append(f"hostname --fqdn is {f.fqdn!r}, the inventory says {node.fqdn!r}")
    loopback = [a for a in f.fqdn_addresses if a.startswith("127.")]
    if loopback:
        hard.append(f"{node.fqdn} resolves to {loopback[0]} on the node (Ganeti refuses loopback)")
    elif f.fqdn == node.fqdn and node.primary not in f.fqdn_addresses:
        hard.append(f"{node.fqdn} does not resolve to {node.primary} on the node")
    if not f.has_address(node.primary):
        hard.append(f"primary address {node.primary} is on no interface")
    if node.secondary and not f.has_address(node.secondary):
        hard.append(f"secondary address {node.secondary} is on no interface")
    if cluster.address not in f.resolved.get(cluster.name, ()):
        # init resolves the cluster name on the master; elsewhere it only matters later.
        (hard if is_master else soft).append(
            f"{cluster.name} does not resolve to {cluster.address} on the node"
        )
    if f.ganeti_version is None:
        hard.append("Ganeti is not installed (gnt-cluster --version failed)")
    elif master_facts is not None and master_facts.ganeti_version not in (None, f.ganeti_version):
        hard.append(f"Ganeti {f.ganeti_version}, but the master runs {master_facts.ganeti_version}")
    if f.ssconf_cluster and f.ssconf_cluster != cluster.name:
        hard.append(f"already in another cluster ({f.ssconf_cluster})")
    templates = cluster.enabled_disk_templates
    uses_lvm = "plain" in templates or "drbd" in templates
    if cluster.volume_group and uses_lvm and cluster.volume_group not in f.vg_names:
        hard.append(f"volume group {cluster.volume_group} is missing")
    if "drbd" in templates:
        if f.drbd is None:
            hard.append("the DRBD module is not loaded (no /proc/drbd)")
        elif cluster.drbd_usermode_helper and f.drbd_usermode_helper not in (
            None,
            cluster.drbd_usermode_helper,
        ):
            hard.append(
                f"DRBD usermode_helper is {f.drbd_usermode_helper}, the inventory says "
                f"{cluster.drbd_usermode_helper}"
            )
    link = cluster.nic_params.get("link")
    mode = cluster.nic_params.get("mode", "bridged")
    if link and mode in ("bridged", "openvswitch"):
        kind = "ovs" if mode == "openvswitch" else "linux"
        if not any(b.name == link and b.kind == kind for b in f.bridges):
            soft.append(f"{'Open vSwitch' if kind == 'ovs' else 'Linux'} bridge {link} is missing")
    missing_os = [o for o in cluster.os_providers if o not in f.os_providers]
    if missing_os:
        soft.append(f"OS provider(s) missing: {', '.join(missing_os)}")
    problems = [k for k in f.problems if k != "connect"]
    if problems:
        soft.append(f"could not read: {', '.join(sorted(problems))}")
    return hard, soft


def _blocked_by(ctx: _Ctx, *nodes: str) -> str | None:
    if ctx.master.name in ctx.blocked_nodes:
        return f"the master {ctx.master.name} failed its checks"
    for node in nodes:
        if node in ctx.blocked_nodes:
            return f"{node} failed its checks"
    return None


def _todo(
    ctx: _Ctx,
    step: str,
    node: str,
    why: str,
    actions: Sequence[Action] = (),
    *,
    also: Sequence[str] = (),
) -> Step:
    """The step to do (``why``, by ``actions``), or blocked when the master, or a node
    of ``also``, failed its checks."""
    blocked = _blocked_by(ctx, *also)
    if blocked:
        return Step(step, node, StepState.BLOCKED, blocked)
    return Step(step, node, StepState.TODO, why, tuple(actions))


def _init(ctx: _Ctx) -> Step:
    cluster = ctx.inv.cluster
    if ctx.config is not None:
        return Step(
            "init",
            ctx.master.name,
            StepState.DONE,
            f"cluster {cluster.name} exists (master {ctx.config.master_node})",
        )
    master_facts = ctx.facts.get(ctx.master.name)
    if master_facts and master_facts.ssconf_cluster not in (None, cluster.name):
        return Step("init", ctx.master.name, StepState.BLOCKED, "the master is in another cluster")
    blocked = _blocked_by(ctx)
    if blocked:
        return Step("init", ctx.master.name, StepState.BLOCKED, blocked)
    command = init_command(ctx.inv)
    why = f"no cluster yet; init {cluster.name} on {ctx.master.fqdn}"
    return Step(
        "init", ctx.master.name, StepState.TODO, why, (RunCommand(ctx.master.name, command),)
    )


def _secondary(ctx: _Ctx, node: NodeSpec, *, is_master: bool) -> Step:
    step_id = f"secondary-ip:{node.name}"
    wanted = node.secondary or node.primary
    if ctx.config is None or ctx.config.node(node.fqdn) is None:
        by = "init (-s)" if is_master else "node-add (-s)"
        return _todo(ctx, step_id, node.name, f"{wanted}: set by {by}", also=[node.name])
    entry = ctx.config.node(node.fqdn)
    assert entry is not None
    if entry.secondary_ip == wanted:
        return Step(step_id, node.name, StepState.DONE, f"secondary address {wanted}")
    force = ["--force"] if is_master else []
    command = shlex.join(["gnt-node", "modify", *force, "-s", wanted, node.fqdn])
    why = f"secondary address is {entry.secondary_ip}, wanted {wanted}"
    if not is_master:
        why += " (DRBD instances on the node must be stopped)"
    action = RunCommand(ctx.master.name, command)
    return _todo(ctx, step_id, node.name, why, (action,), also=[node.name])


def _known_hosts_lines(text: str) -> set[str]:
    return {
        " ".join(line.split()[:3])
        for line in text.splitlines()
        if line.strip() and not line.startswith("#") and len(line.split()) >= 3
    }


def _known_hosts(ctx: _Ctx) -> Step:
    name = ctx.master.name
    content = known_hosts_content(ctx.inv.cluster.name, ctx.node_keys)
    missing = [n for n, keys in ctx.node_keys.items() if not keys]
    if missing:
        return Step("known-hosts", name, StepState.BLOCKED, f"no host key for {', '.join(missing)}")
    current = _file(ctx, name, "known_hosts")
    count = len(_known_hosts_lines(content))
    if (
        ctx.config is not None
        and current is not None
        and current.exists
        and _known_hosts_lines(current.content) == _known_hosts_lines(content)
    ):
        return Step("known-hosts", name, StepState.DONE, f"lists the {count} node keys")
    why = (
        f"list the {count} node keys under {ctx.inv.cluster.name}"
        if ctx.config is not None
        else f"after init (which writes the master's key only): list the {count} node keys"
    )
    action = WriteFile(name, KNOWN_HOSTS_FILE, Secret(content), KNOWN_HOSTS_MODE, KNOWN_HOSTS_OWNER)
    return _todo(ctx, "known-hosts", name, why, (action,))


def _file(ctx: _Ctx, node: str, fact: str) -> FileState | None:
    f = ctx.facts.get(node)
    value = f.extra.get(fact) if f is not None else None
    return value if isinstance(value, FileState) else None


def _rapi_users(ctx: _Ctx) -> Step:
    name = ctx.master.name
    if not ctx.users:
        return Step("rapi-users", name, StepState.DONE, "no RAPI users in the inventory")
    current = _file(ctx, name, "rapi_users")
    text = current.content if current is not None and current.exists else None
    changed = differences(text, ctx.users)
    owner_ok = current is not None and current.exists and current.owner == USERS_OWNER
    mode_ok = current is not None and current.exists and current.mode == USERS_MODE
    if ctx.config is not None and not changed and owner_ok and mode_ok:
        names = ", ".join(u.name for u in ctx.users)
        return Step("rapi-users", name, StepState.DONE, f"{names} present ({USERS_OWNER})")
    reasons = []
    if changed:
        reasons.append(f"add or update {', '.join(changed)}")
    if current is not None and current.exists and not (owner_ok and mode_ok):
        reasons.append(f"owner/mode {current.owner} {current.mode:04o} → {USERS_OWNER} 0640")
    action = WriteFile(name, USERS_FILE, merge(text, ctx.users), USERS_MODE, USERS_OWNER)
    return _todo(ctx, "rapi-users", name, "; ".join(reasons) or "write", (action,))


def _node_add(ctx: _Ctx, node: NodeSpec) -> Step:
    step_id = f"node-add:{node.name}"
    facts = ctx.facts.get(node.name)
    if ctx.config is not None and ctx.config.node(node.fqdn) is not None:
        if facts is None or not facts.reachable or facts.ssconf_cluster is not None:
            return Step(step_id, node.name, StepState.DONE, f"{node.fqdn} is in the cluster")
        # Listed by Ganeti, but the node knows nothing of it: reinstalled (homelab.md §1.4).
        blocked = _blocked_by(ctx, node.name)
        if blocked:
            return Step(step_id, node.name, StepState.BLOCKED, blocked)
        action = RunCommand(ctx.master.name, shlex.join(["gnt-node", "add", "--readd", node.fqdn]))
        why = f"{node.fqdn} is in the cluster but has no ssconf (reinstalled?): re-add it"
        return Step(step_id, node.name, StepState.TODO, why, (action,))
    blocked = _blocked_by(ctx, node.name)
    if blocked:
        return Step(step_id, node.name, StepState.BLOCKED, blocked)
    args = ["gnt-node", "add"]
    if node.secondary:
        args += ["-s", node.secondary]
    args.append(node.fqdn)
    why = f"join {node.fqdn}" + (f" with secondary {node.secondary}" if node.secondary else "")
    action = RunCommand(ctx.master.name, shlex.join(args))
    return Step(step_id, node.name, StepState.TODO, why, (action,))


def _cluster_params(ctx: _Ctx) -> Step:
    name = ctx.master.name
    if ctx.config is None:
        return _todo(ctx, "cluster-params", name, "set by init")
    changes = parameter_changes(ctx.inv, ctx.config)
    if not changes:
        return Step("cluster-params", name, StepState.DONE, "match the inventory")
    args = ["gnt-cluster", "modify"]
    for _label, extra in changes:
        args += extra
    why = "differ: " + "; ".join(label for label, _ in changes)
    action = RunCommand(name, shlex.join(args))
    return _todo(ctx, "cluster-params", name, why, (action,))


def _distribute(ctx: _Ctx) -> Step:
    name = ctx.master.name
    if ctx.config is None:
        return _todo(ctx, "distribute", name, "done by node-add")
    members = [n for n in ctx.inv.nodes if n.name != name and ctx.config.node(n.fqdn) is not None]
    stale: list[str] = []
    for node in members:
        for fact in ("known_hosts", "rapi_users"):
            mine, theirs = _file(ctx, name, fact), _file(ctx, node.name, fact)
            if _content(mine) != _content(theirs):
                stale.append(f"{node.name} ({fact.replace('_', ' ')})")
    if not stale:
        return Step(
            "distribute",
            name,
            StepState.DONE,
            f"known_hosts and RAPI users identical on {len(members) + 1} nodes",
        )
    why = "differs on " + ", ".join(stale)
    action = RunCommand(name, "gnt-cluster redist-conf")
    return _todo(ctx, "distribute", name, why, (action,), also=[n.name for n in members])


def _content(state: FileState | None) -> str | None:
    if state is None or not state.exists:
        return None
    return state.content
