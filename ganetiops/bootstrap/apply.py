"""Bootstrap a cluster from an inventory: preflight facts, plan, apply in order, verify.

>>> async with Bootstrap(load_inventory("examples/lab.toml")) as boot:   # doctest: +SKIP
...     plan = await boot.plan()
...     report = await boot.apply()

``apply`` runs the first step still to do, gathers the facts again, recomputes the
plan, and repeats: a step is skipped because the nodes show it done, never because a
previous run said so. A run stopped at any point therefore resumes where it stopped,
and a second run finds every step done and changes nothing.

A plan with a blocked step is refused as a whole before anything runs — in particular
a node that presents a host key other than the inventory's is never connected to, and
nothing runs on any node.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ganetiops._closing import AsyncClosing
from ganetiops.bootstrap.inventory import Inventory
from ganetiops.bootstrap.plan import (
    Plan,
    RunCommand,
    Step,
    StepState,
    WriteFile,
    compute_plan,
)
from ganetiops.bootstrap.state import BOOTSTRAP_FACTS
from ganetiops.bootstrap.users_file import UserEntry, ha1
from ganetiops.bootstrap.verify import (
    EXPECTED,
    VERIFY_COMMAND,
    Expected,
    VerifyReport,
    parse_verify,
)
from ganetiops.config.secrets import Secret
from ganetiops.errors import BootstrapError, ConfigError
from ganetiops.ssh.connection import Host, SshSettings
from ganetiops.ssh.facts import NodeFacts
from ganetiops.ssh.hostkeys import HostKeys, key_line
from ganetiops.ssh.nodes import Nodes

__all__ = [
    "AppliedStep",
    "Bootstrap",
    "BootstrapReport",
    "nodes_for_inventory",
    "resolve_users",
    "run_bootstrap",
]

Progress = Callable[[str], None]

#: Facts a bootstrap step can change; the others are read once per run.
_CHANGING = ("ssconf_master", "ssconf_cluster", "daemons")


@attrs.frozen
class AppliedStep:
    step: Step
    duration: float
    output: str = ""


@attrs.frozen
class BootstrapReport:
    #: The plan before anything ran.
    initial: Plan
    #: The plan after the last step (every step done unless ``stopped_after``).
    final: Plan
    applied: tuple[AppliedStep, ...]
    verify: VerifyReport | None = None
    stopped_after: str | None = None
    duration: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def resolve_users(inventory: Inventory, *, create: bool = True) -> list[UserEntry]:
    """The inventory's RAPI users with their HA1, reading each password from its source.

    A ``create = true`` password file that is missing is generated (mode 0600); with
    ``create=False`` (planning only) a throw-away password stands in for it, so the plan
    shows the user as to be written without creating anything.
    """
    users = []
    for spec in inventory.rapi_users:
        if spec.ha1 is not None:
            digest = spec.ha1
        else:
            assert spec.password is not None
            if spec.create and not Path(spec.password.value).exists():
                if not create:
                    ephemeral = Secret(secrets.token_urlsafe(24))
                    users.append(
                        UserEntry.with_ha1(spec.name, ha1(spec.name, ephemeral), spec.rights)
                    )
                    continue
                _create_password_file(Path(spec.password.value))
            try:
                secret = spec.password.resolve(user=spec.name)
            except ConfigError as exc:
                raise ConfigError(f"rapi-users.{spec.name}.password: {exc}") from None
            digest = ha1(spec.name, secret)
        users.append(UserEntry.with_ha1(spec.name, digest, spec.rights))
    return users


def nodes_for_inventory(
    inventory: Inventory,
    *,
    host_keys: HostKeys | None = None,
    client_keys: Sequence[str] | None = None,
) -> Nodes:
    """SSH to an inventory's nodes: its host keys (plus ``host_keys``), user, port, keys."""
    inline = {n.name: list(n.host_keys) for n in inventory.nodes if n.host_keys}
    keys = HostKeys(inline, inventory.ssh.known_hosts)
    if host_keys is not None:
        keys = keys.merged(host_keys)
    settings = SshSettings(
        host_keys=keys,
        client_keys=tuple(client_keys if client_keys is not None else inventory.ssh.keys),
        connect_timeout=inventory.ssh.connect_timeout,
    )
    hosts = [
        Host(
            name=n.name,
            address=n.address,
            port=inventory.ssh.port,
            user=inventory.ssh.user,
            aliases=(n.fqdn,),
        )
        for n in inventory.nodes
    ]
    return Nodes(hosts, settings)


def _create_password_file(path: Path) -> None:
    """A new random password in ``path`` (mode 0600) unless the file exists."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(24) + "\n")


class Bootstrap(AsyncClosing):
    """Plan and apply the bootstrap of one inventory's cluster over SSH.

    ``host_keys`` adds to the keys of the inventory (``host-key`` values and
    ``ssh.known-hosts`` files), e.g. the lab's keys; ``client_keys`` replaces
    ``ssh.key``. ``expected`` lists the verify findings labelled as environmental.
    """

    def __init__(
        self,
        inventory: Inventory,
        *,
        host_keys: HostKeys | None = None,
        client_keys: Sequence[str] | None = None,
        users: Sequence[UserEntry] | None = None,
        expected: Sequence[Expected] = EXPECTED,
        progress: Progress | None = None,
        create_passwords: bool = True,
    ) -> None:
        self.inventory = inventory
        self.nodes = nodes_for_inventory(inventory, host_keys=host_keys, client_keys=client_keys)
        self.host_keys = self.nodes.settings.host_keys
        self.hosts = [self.nodes.host(name) for name in self.nodes.names]
        self._users = list(users) if users is not None else None
        self.expected = tuple(expected)
        self._static: dict[str, NodeFacts] | None = None
        self._create_passwords = create_passwords
        self._progress = progress or (lambda _line: None)

    @property
    def users(self) -> list[UserEntry]:
        if self._users is None:
            self._users = resolve_users(self.inventory, create=self._create_passwords)
        return self._users

    def node_keys(self) -> dict[str, tuple[str, ...]]:
        """Each node's expected host keys as ``<alg> <base64>`` lines (for known_hosts)."""
        return {
            host.name: tuple(key_line(k) for k in self.host_keys.expected(host))
            for host in self.hosts
        }

    async def facts(self, *, full: bool = True) -> dict[str, NodeFacts]:
        """Preflight facts of every node, all at once.

        With ``full=False`` (re-planning between steps) only what bootstrap changes is
        read again — ssconf, Ganeti's configuration and files; what it does not change
        (versions, bridges, volume groups, DRBD, OS providers, addresses) is reused.
        """
        if full or self._static is None:
            facts = await self.nodes.facts(
                resolve=[self.inventory.cluster.name], extra=BOOTSTRAP_FACTS
            )
            self._static = facts
            return facts
        fresh = await self.nodes.facts(names=_CHANGING, extra=BOOTSTRAP_FACTS)
        merged = {}
        for name, node in fresh.items():
            base = self._static.get(name)
            if base is None or not base.reachable or not node.reachable:
                merged[name] = node
                continue
            merged[name] = attrs.evolve(
                base,
                **{fact: getattr(node, fact) for fact in _CHANGING},
                extra=node.extra,
                problems={**base.problems, **node.problems},
            )
        return merged

    async def plan(self) -> Plan:
        """Gather the facts and compute the plan (nothing changes on any node)."""
        return compute_plan(
            self.inventory, await self.facts(), users=self.users, node_keys=self.node_keys()
        )

    async def apply(
        self,
        *,
        plan: Plan | None = None,
        stop_after: str | None = None,
        verify: bool = True,
    ) -> BootstrapReport:
        """Apply the plan step by step, re-planning after each one; then verify.

        ``stop_after`` (a step id such as ``init`` or ``node-add:bet``) stops the run once
        that step is applied (at once if it is already done; an unknown id is a
        ``ValidationError`` before anything runs). Raises :class:`BootstrapError` when
        the plan is blocked (before anything runs) or when a step fails (the run can be
        resumed).
        """
        started = time.monotonic()
        users = self.users  # resolve passwords before anything runs
        current = plan or await self.plan()
        initial = current
        stop_step = current.check_step_id(stop_after) if stop_after is not None else None
        if current.blocked:
            raise BootstrapError(_blocked_message(current), plan=current)
        applied: list[AppliedStep] = []
        stopped = None
        if stop_step is not None and stop_step.state is StepState.DONE:
            stopped = stop_after  # already done: nothing after it runs either
        attempted: set[str] = set()
        while stopped is None and (step := current.next_step()) is not None:
            if step.id in attempted:
                raise BootstrapError(
                    f"step {step.id} ran but is still to do: {step.why}", plan=current, step=step.id
                )
            attempted.add(step.id)
            self._progress(f"{step.id}: {step.why}")
            applied.append(await self._run(step, current))
            self._progress(f"{step.id}: done in {applied[-1].duration:.1f} s")
            current = compute_plan(
                self.inventory,
                await self.facts(full=False),
                users=users,
                node_keys=self.node_keys(),
            )
            if current.blocked:
                message = _blocked_message(current, changed=True)
                raise BootstrapError(f"after {step.id}: {message}", plan=current, step=step.id)
            if stop_after is not None and step.id == stop_after:
                stopped = step.id
                break
        if stopped is None and current.todo:
            left = ", ".join(s.id for s in current.todo)
            raise BootstrapError(f"steps left to do with nothing to run: {left}", plan=current)
        report = None
        if verify and stopped is None:
            self._progress("verify: gnt-cluster verify")
            report = await self.verify(current.master)
        return BootstrapReport(
            initial=initial,
            final=current,
            applied=tuple(applied),
            verify=report,
            stopped_after=stopped,
            duration=time.monotonic() - started,
        )

    async def _run(self, step: Step, plan: Plan) -> AppliedStep:
        started = time.monotonic()
        outputs: list[str] = []
        for action in step.actions:
            conn = await self.nodes.connection(action.node)
            if isinstance(action, WriteFile):
                try:
                    await conn.write_file(
                        action.path, action.content, mode=action.mode, owner=action.owner
                    )
                except Exception as exc:
                    raise BootstrapError(
                        f"step {step.id} failed: {exc}", plan=plan, step=step.id
                    ) from None
                outputs.append(action.describe())
                continue
            assert isinstance(action, RunCommand)
            result = await conn.run(action.command)
            if not result.ok:
                raise BootstrapError(
                    f"step {step.id} failed: {result.failure()}", plan=plan, step=step.id
                )
            outputs.append(result.stdout)
        return AppliedStep(step, time.monotonic() - started, "".join(outputs))

    async def verify(self, master: str | None = None) -> VerifyReport:
        """``gnt-cluster verify`` on the master, parsed and labelled."""
        conn = await self.nodes.connection(master or self.inventory.master.name)
        result = await conn.run(VERIFY_COMMAND)
        if result.error:
            raise BootstrapError(f"verify failed to run: {result.failure()}")
        return VerifyReport(
            exit_status=result.exit_status,
            issues=parse_verify(result.stdout + result.stderr, self.expected),
            duration=result.duration,
        )

    async def context(self, name: str, master: str | None = None) -> Any:
        """A configuration context for the cluster just made (see :func:`cluster_context`):
        RAPI through SSH to the nodes, its certificate pinned from the master's
        ``/var/lib/ganeti/rapi.pem`` (read over SSH), the write user's password source."""
        node = master or self.inventory.cluster.initial_master
        conn = await self.nodes.connection(self.inventory.node(node).name)
        pem = await conn.read_file(RAPI_PEM)
        if not pem:
            raise BootstrapError(f"{node}: {RAPI_PEM} is missing: the cluster has no RAPI yet")
        return cluster_context(self.inventory, name, pem, self.node_keys())

    async def aclose(self) -> None:
        await self.nodes.aclose()


def _blocked_message(plan: Plan, *, changed: bool = False) -> str:
    lines = [f"{s.id}: {s.why}" for s in plan.blocked]
    head = "bootstrap is blocked" + ("" if changed else ", nothing was changed")
    return head + ":\n  " + "\n  ".join(lines)


def run_bootstrap(
    inventory: Inventory,
    *,
    plan_only: bool = False,
    stop_after: str | None = None,
    verify: bool = True,
    **options: Any,
) -> Plan | BootstrapReport:
    """Synchronous facade: the plan (``plan_only``) or the report of applying it."""

    async def main() -> Plan | BootstrapReport:
        async with Bootstrap(inventory, **options) as boot:
            if plan_only:
                return await boot.plan()
            return await boot.apply(stop_after=stop_after, verify=verify)

    return asyncio.run(main())


#: Where Ganeti keeps the RAPI certificate (and key) on the master.
RAPI_PEM = "/var/lib/ganeti/rapi.pem"


def cluster_context(
    inventory: Inventory, name: str, pem: str, node_keys: Mapping[str, Sequence[str]]
) -> Any:
    """The context of a bootstrapped cluster (pure: the certificate text is given).

    RAPI goes through SSH to whichever node is the master (as the homelab runs RAPI,
    on the master's loopback only), with the inventory's SSH user, key and host keys;
    the certificate is pinned by its SHA-256; the user is the first RAPI user with the
    ``write`` right and its password source is the inventory's.
    """
    from ganetiops.config import Context, SshVia  # lazy: only bootstrap --context uses it
    from ganetiops.rapi.tls import pem_fingerprint  # lazy: ssl, only for the context

    writers = [u for u in inventory.rapi_users if "write" in u.rights and u.password]
    if not writers:
        raise BootstrapError(
            "the inventory has no RAPI user with the write right and a password source: "
            "no context can be written (add one under [rapi-users.NAME])"
        )
    user = writers[0]
    by_address = {n.address: n.name for n in inventory.nodes}
    host_keys = {
        address: keys[0]
        for address, node in by_address.items()
        if (keys := node_keys.get(node)) and not inventory.ssh.known_hosts
    }
    ssh = SshVia(
        nodes=tuple(by_address),
        user=inventory.ssh.user,
        port=inventory.ssh.port,
        key=inventory.ssh.keys[0] if inventory.ssh.keys else None,
        known_hosts=inventory.ssh.known_hosts[0] if inventory.ssh.known_hosts else None,
        host_keys=host_keys,
    )
    return Context(
        name=name,
        user=user.name,
        password=user.password,
        certificate_sha256=pem_fingerprint(pem),
        ssh=ssh,
        description=f"cluster {inventory.cluster.name}, bootstrapped from "
        f"{inventory.path.name if inventory.path else 'an inventory'}",
        boot=inventory.boot,
    )
