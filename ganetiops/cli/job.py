"""``gnt-py job``: the job queue. ``watch`` attaches to a running job and streams its log."""

from __future__ import annotations

from typing import Any

import click

from ganetiops.cli import exits
from ganetiops.cli.common import (
    FILTER_HELP,
    confirm,
    is_index,
    list_resource,
    parse_filter,
    show_models,
    yes_option,
)
from ganetiops.cli.jobs_ui import watch_job
from ganetiops.cli.output import (
    OutputOptions,
    dump,
    echo,
    format_timestamp,
    output_options,
)
from ganetiops.cli.state import State, echo_err, pass_state
from ganetiops.errors import JobNotFound, ValidationError

#: ``gnt-job list`` defaults.
DEFAULT_FIELDS = ("id", "status", "summary")
STATUSES = ("queued", "waiting", "canceling", "running", "canceled", "success", "error")


@click.group()
def job() -> None:
    """Jobs: list the queue, show one, watch it run, cancel it."""


@job.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help="Only jobs with this status (repeat for several).",
)
@click.option("--running", is_flag=True, help="Only unfinished jobs.")
@click.option("-F", "--filter", "filter_", metavar="FILTER", help=FILTER_HELP)
@click.option(
    "--reason",
    metavar="TEXT",
    help="Only jobs whose reason trail contains TEXT (e.g. the request id of a request "
    "whose outcome is unknown).",
)
@output_options(DEFAULT_FIELDS)
@pass_state
def list_(
    state: State,
    statuses: tuple[str, ...],
    running: bool,
    filter_: str | None,
    reason: str | None,
    output: OutputOptions,
) -> None:
    """List jobs in the queue (gnt-job list fields: id, status, summary, received_ts...)."""
    wanted = list(statuses)
    if running:
        wanted += ["queued", "waiting", "canceling", "running"]
    qfilter = parse_filter(filter_)
    if wanted:
        by_status: Any = ["|", *(["=", "status", s] for s in dict.fromkeys(wanted))]
        qfilter = by_status if qfilter is None else ["&", by_status, qfilter]
    if reason is not None:
        if not reason.strip():
            raise ValidationError("--reason: give the text to look for", field="reason")
        ids = jobs_with_reason(state.client().jobs.list(), reason)
        by_id: Any = ["|", *(["=", "id", i] for i in ids)] if ids else ["=", "id", -1]
        qfilter = by_id if qfilter is None else ["&", by_id, qfilter]
    list_resource(state, "job", output, DEFAULT_FIELDS, (), qfilter)


def jobs_with_reason(jobs: Any, text: str) -> list[int]:
    """Ids of the jobs one of whose opcodes has ``text`` in a reason trail entry."""
    found = []
    for info in jobs:
        for op in info.ops:
            trail = op.get("reason") if isinstance(op, dict) else None
            if any(text in str(entry) for entry in trail or ()):
                found.append(info.id)
                break
    return found


def _ids(values: tuple[str, ...]) -> list[int]:
    out = []
    for value in values:
        if not is_index(value):
            raise click.BadParameter(f"{value!r} is not a job id", param_hint="JOB_ID")
        out.append(int(value))
    return out


def _existing_job(client: Any, job_id: int) -> Any:
    info = client.jobs.get(job_id)
    if not info.exists:
        raise JobNotFound(f"job {job_id} is unknown", job_id=job_id)
    return info


def describe_job(info: Any) -> dict[str, Any]:
    error = info.error
    return {
        "Status": info.status,
        "Summary": "; ".join(info.summary) or "-",
        "Received": format_timestamp(info.received_ts) if info.received_ts else None,
        "Started": format_timestamp(info.start_ts) if info.start_ts else None,
        "Ended": format_timestamp(info.end_ts) if info.end_ts else None,
        "Duration": f"{info.duration:.1f}s" if info.duration is not None else None,
        "Opcodes": [
            {"summary": s, "status": st} for s, st in zip(info.summary, info.opstatus, strict=False)
        ]
        or "-",
        "Error": f"{error.error_class}: {error.message}"
        + (f" [{error.code}]" if error.code else "")
        if error
        else None,
        "Child jobs": ", ".join(str(c.job_id) for c in info.children if c.job_id) or None,
        "Log": [f"{format_timestamp(e.time)} {e.text}" for e in info.log] or "-",
    }


@job.command("show")
@click.argument("job_ids", nargs=-1, required=True, metavar="JOB_ID...")
@output_options()
@pass_state
def show(state: State, job_ids: tuple[str, ...], output: OutputOptions) -> None:
    """Show jobs: status, opcodes, result or error, and their log (gnt-job info)."""
    client = state.client()
    show_models(
        output,
        (_existing_job(client, job_id) for job_id in _ids(job_ids)),
        lambda info: {k: v for k, v in describe_job(info).items() if v is not None},
        lambda info: f"Job ID: {info.id}",
    )


@job.command("find")
@click.argument("text", metavar="REQUEST_ID")
@output_options(DEFAULT_FIELDS)
@pass_state
def find(state: State, text: str, output: OutputOptions) -> None:
    """Find the job a request made: by the request id of an "outcome unknown" error
    (or any text of a --reason). Exits 7 when no job carries it."""
    from ganetiops.cli import exits  # lazy: start-up

    if not text.strip():
        raise click.BadParameter("give a request id or reason text", param_hint="REQUEST_ID")
    client = state.client()
    ids = client.jobs.find(text)
    if not ids:
        echo_err(f"no job in the queue carries {text!r} in its reason trail")
        raise click.exceptions.Exit(exits.NOT_FOUND)
    list_resource(state, "job", output, DEFAULT_FIELDS, (), ["|", *(["=", "id", i] for i in ids)])


@job.command("watch")
@click.argument("job_id", type=click.IntRange(min=0))
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Stop watching after this long (exit 4).",
)
@pass_state
def watch(state: State, job_id: int, timeout: float | None) -> None:
    """Attach to a job: its log so far, then new lines until it ends.

    Exits 0 when the job succeeds, 1 when it fails or is canceled.
    """
    result = watch_job(state.client().job(job_id), timeout=timeout)
    if state.output_format != "table":
        echo(dump({"job_id": job_id, "status": result.info.status}, state.output_format))


@job.command("cancel")
@click.argument("job_ids", nargs=-1, required=True, metavar="JOB_ID...")
@yes_option
@pass_state
def cancel(state: State, job_ids: tuple[str, ...], yes: bool) -> None:
    """Cancel queued or waiting jobs."""
    ids = _ids(job_ids)
    confirm(f"Cancel job(s) {', '.join(map(str, ids))}?", yes)
    client = state.client()
    failed = 0
    for job_id in ids:
        ok, message = client.jobs.cancel(job_id)
        echo_err(f"job {job_id}: {message}")
        failed += 0 if ok else 1
    if failed:
        raise click.exceptions.Exit(exits.JOB_FAILED)
