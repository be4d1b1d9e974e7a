"""Cluster-wide commands: ``cluster info``, ``verify``, ``verify-disks``, ``modify``, ``master``.

They are standalone click commands; :func:`register` adds them to the ``cluster``
group that :mod:`ganetiops.cli.cluster` defines (which also holds ``bootstrap``
and ``rapi-user``). ``verify`` and ``verify-disks`` run the gnt-cluster commands
on the master over SSH (see :mod:`ganetiops.cli.remote`): RAPI has no verify.
"""

from __future__ import annotations

import re
from typing import Any

import click

from ganetiops.cli import exits
from ganetiops.cli.common import confirm, parse_kv, show_models, yes_option
from ganetiops.cli.jobs_ui import JobOptions, follow_job, job_options
from ganetiops.cli.output import (
    OutputOptions,
    dump,
    echo,
    format_timestamp,
    output_options,
)
from ganetiops.cli.state import State, echo_err, pass_state
from ganetiops.errors import ValidationError

#: ``Tue Nov 27 18:00:00 2025 * Verifying ...`` / ``... - ERROR: node x: ...``
_VERIFY_LINE = re.compile(
    r"^(?P<time>\w{3} \w{3} +\d+ [\d:]{8} \d{4})\s+(?P<mark>[-*]) "
    r"(?:(?P<level>ERROR|WARNING): )?(?P<message>.*)$"
)


def describe_cluster(cluster: Any) -> dict[str, Any]:
    return {
        "Cluster name": cluster.name,
        "Cluster UUID": cluster.uuid,
        "Master node": cluster.master,
        "Software version": cluster.software_version,
        "Protocol version": cluster.protocol_version,
        "Architecture": " ".join(str(a) for a in cluster.architecture) or None,
        "Default hypervisor": cluster.default_hypervisor,
        "Enabled hypervisors": ", ".join(cluster.enabled_hypervisors),
        "Enabled disk templates": ", ".join(cluster.enabled_disk_templates),
        "Default iallocator": cluster.default_iallocator or "-",
        "Candidate pool size": cluster.candidate_pool_size,
        "Master netdev": cluster.master_netdev,
        "MAC prefix": cluster.mac_prefix,
        "File storage dir": cluster.file_storage_dir,
        "Shared file storage dir": cluster.shared_file_storage_dir,
        "Volume group": cluster.volume_group_name or "-",
        "NIC defaults": cluster.nic_defaults,
        "Backend defaults": cluster.beparams.get("default", cluster.beparams),
        "Tags": ", ".join(cluster.tags) or "-",
        "Created": format_timestamp(cluster.ctime) if cluster.ctime else None,
        "Modified": format_timestamp(cluster.mtime) if cluster.mtime else None,
    }


@click.command("info")
@output_options()
@pass_state
def info(state: State, output: OutputOptions) -> None:
    """The cluster: name, master, versions, hypervisors, disk templates, defaults."""
    show_models(output, [state.client().cluster.info()], describe_cluster)


@click.command("master")
@output_options()
@pass_state
def master(state: State, output: OutputOptions) -> None:
    """The name of the master node (gnt-cluster getmaster)."""
    name = state.client().cluster.info().master
    if output.format != "table":
        echo(dump({"master": name}, output.format))
    else:
        echo(name or "")


def parse_verify(text: str) -> list[dict[str, Any]]:
    """gnt-cluster verify output -> ``[{time, level, message}]`` (level: info/ERROR/WARNING)."""
    out: list[dict[str, Any]] = []
    for line in text.splitlines():
        match = _VERIFY_LINE.match(line)
        if match:
            out.append(
                {
                    "time": match["time"],
                    "level": match["level"] or "info",
                    "message": match["message"],
                }
            )
        elif line.strip():
            out.append({"time": None, "level": "info", "message": line.strip()})
    return out


def _remote(state: State, argv: list[str], output: OutputOptions, what: str) -> None:
    from ganetiops.cli.remote import run_on_master

    echo_err(f"running {' '.join(argv)} on the master over SSH...")
    result = run_on_master(state, argv)
    if result.error is not None:
        from ganetiops.errors import SshError

        raise SshError(result.failure())
    if output.format != "table":
        entries = parse_verify(result.stdout)
        echo(
            dump(
                {
                    "node": result.host,
                    "command": result.command,
                    "exit_status": result.exit_status,
                    "errors": sum(1 for e in entries if e["level"] == "ERROR"),
                    "warnings": sum(1 for e in entries if e["level"] == "WARNING"),
                    "lines": entries,
                    "stderr": result.stderr,
                },
                output.format,
            )
        )
    else:
        echo(result.stdout.rstrip("\n"))
        if result.stderr.strip():
            echo_err(result.stderr.rstrip("\n"))
    if result.exit_status != 0:
        echo_err(f"{what} found problems (exit status {result.exit_status} on {result.host})")
        raise click.exceptions.Exit(exits.JOB_FAILED)


@click.command("verify")
@click.option("--error-codes", is_flag=True, help="Machine-parsable error codes (gnt-* -E).")
@click.option("--ignore-errors", metavar="CODES", help="Error codes to ignore (comma-separated).")
@click.option("--node-group", metavar="GROUP", help="Only this node group.")
@output_options()
@pass_state
def verify(
    state: State,
    error_codes: bool,
    ignore_errors: str | None,
    node_group: str | None,
    output: OutputOptions,
) -> None:
    """Run gnt-cluster verify on the master (over SSH); exit 1 when it finds errors."""
    argv = ["gnt-cluster", "verify"]
    if error_codes:
        argv.append("--error-codes")
    if ignore_errors:
        if not re.fullmatch(r"[A-Z0-9_,]+", ignore_errors):
            raise ValidationError("--ignore-errors: error codes such as ENODESETUP", field="ignore")
        argv.append(f"--ignore-errors={ignore_errors}")
    if node_group:
        from ganetiops.rapi import validate

        argv.append(f"--node-group={validate.object_name(node_group, 'node_group')}")
    _remote(state, argv, output, "verify")


@click.command("verify-disks")
@output_options()
@pass_state
def verify_disks(state: State, output: OutputOptions) -> None:
    """Run gnt-cluster verify-disks on the master (over SSH)."""
    _remote(state, ["gnt-cluster", "verify-disks"], output, "verify-disks")


@click.command("modify")
@click.option("--enabled-hypervisors", metavar="HV,...")
@click.option("--enabled-disk-templates", metavar="T,...")
@click.option("-B", "--backend-parameters", metavar="K=V,...", help="Cluster beparams defaults.")
@click.option("-H", "--hypervisor-parameters", metavar="HV:K=V,...", multiple=True)
@click.option("-N", "--nic-parameters", metavar="K=V,...")
@click.option("--node-parameters", metavar="K=V,...")
@click.option("-C", "--candidate-pool-size", type=click.IntRange(min=1))
@click.option("-I", "--default-iallocator")
@click.option("--max-running-jobs", type=click.IntRange(min=1))
@click.option("--prealloc-wipe-disks", type=click.Choice(["yes", "no"]))
@click.option("--set", "extra", multiple=True, metavar="KEY=JSON", help="Any other parameter.")
@yes_option
@job_options
@pass_state
def modify(
    state: State,
    enabled_hypervisors: str | None,
    enabled_disk_templates: str | None,
    backend_parameters: str | None,
    hypervisor_parameters: tuple[str, ...],
    nic_parameters: str | None,
    node_parameters: str | None,
    candidate_pool_size: int | None,
    default_iallocator: str | None,
    max_running_jobs: int | None,
    prealloc_wipe_disks: str | None,
    extra: tuple[str, ...],
    yes: bool,
    jobs: JobOptions,
) -> None:
    """Change cluster parameters (gnt-cluster modify)."""
    import json

    hvparams: dict[str, dict[str, Any]] = {}
    for item in hypervisor_parameters:
        hv, sep, rest = item.partition(":")
        if not sep or not hv:
            raise ValidationError(f"-H {item!r}: expected HYPERVISOR:K=V,...", field="hvparams")
        hvparams.setdefault(hv, {}).update(parse_kv(rest, "-H"))
    others: dict[str, Any] = {}
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValidationError(f"--set {item!r}: expected KEY=JSON", field="set")
        try:
            others[key] = json.loads(value)
        except json.JSONDecodeError:
            others[key] = value
    if max_running_jobs is not None:
        others["max_running_jobs"] = max_running_jobs
    if prealloc_wipe_disks is not None:
        others["prealloc_wipe_disks"] = prealloc_wipe_disks == "yes"
    kwargs: dict[str, Any] = {
        "enabled_hypervisors": enabled_hypervisors.split(",") if enabled_hypervisors else None,
        "enabled_disk_templates": (
            enabled_disk_templates.split(",") if enabled_disk_templates else None
        ),
        "beparams": parse_kv(backend_parameters, "-B") or None,
        "hvparams": hvparams or None,
        "nicparams": parse_kv(nic_parameters, "-N", typed=False) or None,
        "ndparams": parse_kv(node_parameters, "--node-parameters") or None,
        "candidate_pool_size": candidate_pool_size,
        "default_iallocator": default_iallocator,
        "extra": others or None,
        **jobs.common(),
    }
    call = state.client().cluster.modify.call(**kwargs)  # bad input fails before asking
    if enabled_hypervisors or enabled_disk_templates:
        confirm("Change the cluster's enabled hypervisors or disk templates?", yes)
    follow_job(state.submit(call), jobs, what="cluster modify")


@click.command("redistribute-config")
@job_options
@pass_state
def redistribute_config(state: State, jobs: JobOptions) -> None:
    """Copy the configuration and ancillary files to every node."""
    follow_job(
        state.submit(state.client().cluster.redistribute_config.call(**jobs.common())),
        jobs,
        what="redistribute",
    )


#: Every command this module adds to the ``cluster`` group.
COMMANDS: tuple[click.Command, ...] = (
    info,
    master,
    verify,
    verify_disks,
    modify,
    redistribute_config,
)


def register(group: click.Group) -> click.Group:
    """Add ``info``, ``master``, ``verify``, ``verify-disks``, ``modify`` and
    ``redistribute-config`` to ``group`` (commands it already has are kept)."""
    for command in COMMANDS:
        if command.name and command.name not in group.commands:
            group.add_command(command)
    return group


__all__ = ["COMMANDS", "parse_verify", "register"]
