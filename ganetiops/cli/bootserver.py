"""What the boot-server commands share (``instance create|reimage|wipe|remove``,
``netboot ...``, ``netboot keys ...``): their options, the connection to the boot
server, progress lines and the show-the-plan-then-ask step.

The boot server comes from the context's ``boot`` table, or, for a context written
by the namespace lab, from the lab's facts. The netboot library is imported when a
command runs, not when ``gnt-py`` lists its commands (start-up time).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ganetiops.cli.common import confirm
from ganetiops.cli.output import dump
from ganetiops.cli.remote import lab_facts_for
from ganetiops.cli.state import State
from ganetiops.errors import ConfigError

if TYPE_CHECKING:
    from ganetiops.config import BootServer
    from ganetiops.netboot.server import BootServerClient
    from ganetiops.rapi import RapiClient
    from ganetiops.rapi.models.job import LogEntry

ENV_HOSTNAME_PARAM = "GNTPY_HOSTNAME_PARAM"

hostname_param_option = click.option(
    "--hostname-param",
    envvar=ENV_HOSTNAME_PARAM,
    default="hostname",
    show_default=True,
    metavar="PARAM",
    help="Kernel parameter that gives the guest its hostname in a MAC wrapper "
    "(the homelab's is not recorded; systemd.hostname is the other usual one).",
)
plan_option = click.option("--plan", is_flag=True, help="Show the plan and change nothing.")
boot_timeout_option = click.option(
    "--boot-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=600.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for the VM to fetch its wrapper (first boot).",
)


def publish_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--publish DIR``: a built class directory to publish before the rest."""
    return click.option(
        "--publish",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        metavar="DIR",
        help=help_text,
    )


def boot_config(state: State) -> BootServer | None:
    """The context's boot server: its ``boot`` table, else the lab's facts, else ``None``."""
    context = state.context
    if context.boot is not None:
        return context.boot
    facts = lab_facts_for(context)
    if facts is None:
        return None
    # lazy: netboot room, start-up
    from ganetiops.netboot.labboot import boot_server_from_lab  # netboot: on use only

    return boot_server_from_lab(facts)


def open_boot(state: State, hostname_param: str = "hostname") -> BootServerClient:
    """Connect to the boot server (closed when the command ends); a clear error without one."""
    config = boot_config(state)
    if config is None:
        raise ConfigError(
            f"context {state.context.name!r} has no [boot] table (url, host, user, key, root, "
            "known-hosts or host-key, access-log): netboot commands need the boot server "
            "(see docs/netboot.md)"
        )
    # lazy: netboot room, start-up
    from ganetiops.netboot.server import BootServerClient  # asyncssh: on use only

    boot = BootServerClient.open(config, hostname_param=hostname_param)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.find_root().call_on_close(boot.close)
    return boot


def optional_client(state: State) -> RapiClient | None:
    """The RAPI client, or ``None`` when the context has no cluster to ask."""
    try:
        return state.client()
    except ConfigError:
        return None


def say(step: str, text: str) -> None:
    """One progress line on stderr: ``[step] text``."""
    click.echo(f"[{step}] {text}", err=True)


def job_log(entry: LogEntry) -> None:
    """One of Ganeti's log lines, indented under the progress lines."""
    click.echo(f"        {entry.text.rstrip()}", err=True)


def upload_progress() -> Callable[[str, int, int], None]:
    """An upload progress sink that reports each file at every quarter."""
    last: dict[str, int] = {}

    def progress(file: str, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if last.get(file, -1) // 25 != percent // 25 or done == total:
            last[file] = percent
            say("upload", f"{file}: {done / 2**20:.1f} of {total / 2**20:.1f} MiB")

    return progress


def out(state: State, data: dict[str, Any], lines: list[str]) -> None:
    """The result on stdout: ``lines`` as text, or ``data`` as JSON/YAML."""
    if state.output_format == "table":
        for line in lines:
            click.echo(line)
        return
    click.echo(dump(data, state.output_format))


def show_plan(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)


def plan_approved(state: State, lines: list[str], opts: dict[str, Any], question: str) -> bool:
    """Show the plan; ``--plan`` stops there (False), else ask (``--yes`` skips).

    With ``--plan --format json|yaml`` the plan goes to stdout as data (its lines, and
    ``applied: false``); otherwise it is text on stderr, so stdout keeps only the result.
    """
    if opts["plan"] and state.output_format != "table":
        out(state, {"plan": [line.strip() for line in lines], "applied": False}, [])
        return False
    show_plan(lines)
    if opts["plan"]:
        return False
    confirm(question, opts["yes"])
    return True
