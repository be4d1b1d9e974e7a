"""Run a gnt-* command on the cluster's master over SSH (what RAPI cannot do).

``gnt-cluster verify`` and ``verify-disks`` exist only as commands on the master.
The master's name and address come from RAPI (``/2/info`` and the node's primary
IP); how to log in comes from the context's ``ssh`` table, or, for a context the
namespace lab wrote, from the lab's own facts (its workstation key and
known_hosts). Host keys are always verified.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganetiops.errors import ConfigError

if TYPE_CHECKING:
    from ganetiops.cli.state import State
    from ganetiops.config import Context
    from ganetiops.ssh import CommandResult, SshSettings


def master_address(state: State) -> tuple[str, str | None]:
    """The master's name and primary IP, asked of RAPI."""
    client = state.client()
    master = client.cluster.info().master
    if not master:
        raise ConfigError("the cluster did not say which node is its master")
    try:
        address = client.nodes.get(master).pip
    except Exception:
        address = None
    return master, address


def ssh_login(context: Context) -> tuple[SshSettings, str, int]:
    """SSH settings, user and port for the context's nodes.

    From the context's ``ssh`` table, else from the lab that wrote this context.
    """
    if context.ssh is not None:
        from ganetiops.ssh import settings_from_ssh_via  # lazy: asyncssh, start-up

        return settings_from_ssh_via(context.ssh), context.ssh.user, context.ssh.port
    lab = _lab_record_facts(context)
    if lab is None or not lab.get("known_hosts") or not lab.get("workstation_key"):
        raise ConfigError(
            f"context {context.name!r} has no [ssh] table: this command runs on the master "
            "over SSH; add nodes, user and known-hosts to the context "
            "(see docs/cli.md, 'SSH for cluster verify')"
        )
    from ganetiops.ssh import HostKeys, SshSettings  # lazy: asyncssh, start-up

    # Read from the record's raw facts: every kind of lab (namespaces, QEMU VMs) has these.
    settings = SshSettings(
        host_keys=HostKeys(known_hosts=[str(lab["known_hosts"])]),
        client_keys=(str(lab["workstation_key"]),),
    )
    return settings, "root", 22


def lab_facts_for(context: Context) -> Any:
    """The facts of the namespace lab that recorded ``context``, if one did."""
    from ganetiops.lab.facts import LabFacts  # lazy: lab room, start-up

    raw = _lab_record_facts(context)
    if raw is None or raw.get("kind", "namespace") != "namespace":
        return None  # not a lab, or a DRBD lab (no boot server: its facts are DrbdFacts)
    return LabFacts.from_json(raw)


def _lab_record_facts(context: Context) -> dict[str, Any] | None:
    """The raw facts recorded by the lab (of any kind) that wrote ``context``, if one did;
    else of the lab whose boot server the context's ``[boot]`` table names."""
    try:
        from ganetiops.lab.layout import lab_root  # lazy: lab room, start-up
        from ganetiops.lab.record import LabRecord  # lazy: lab room, start-up
    except ImportError:  # pragma: no cover - the lab room is part of the package
        return None
    root = lab_root()
    try:
        records = sorted(root.glob("*/lab.json"))
    except OSError:
        return None
    by_boot = None
    for path in records:
        try:
            record = LabRecord.load(Path(path))
        except Exception:  # noqa: S112 - an unreadable record is not ours
            continue
        if record is None or not record.facts:
            continue
        # A context bootstrapped from a lab's inventory (lab up --bare, then cluster
        # bootstrap examples/lab.toml) names that lab's boot server in its [boot] table.
        boot = record.facts.get("boot") if isinstance(record.facts, dict) else None
        served = (boot.get("url"), boot.get("ip")) if isinstance(boot, dict) else None
        wanted = (context.boot.url, context.boot.host) if context.boot else None
        if by_boot is None and wanted is not None and served == wanted:
            by_boot = dict(record.facts)
        if record.context is None:
            continue
        if record.context.name == context.name and (
            not context.url or record.context.url == context.url
        ):
            return dict(record.facts)
    return by_boot


def run_on_master(
    state: State, argv: Sequence[str], *, timeout: float | None = 900.0
) -> CommandResult:
    """Run ``argv`` on the master node; the result, whatever its exit status."""
    from ganetiops.ssh import Host, Nodes, run_sync  # lazy: asyncssh, start-up

    master, address = master_address(state)
    settings, user, port = ssh_login(state.context)
    short = master.split(".", 1)[0]
    host = Host(name=master, address=address, user=user, port=port, aliases=(short,))
    command = shlex.join(argv)

    async def go() -> CommandResult:
        async with Nodes([host], settings) as nodes:
            connection = await nodes.connection(master)
            return await connection.run(command, timeout=timeout)

    return run_sync(go())


__all__ = ["lab_facts_for", "master_address", "run_on_master", "ssh_login"]
