"""The root ``gnt-py`` group: global options and lazily loaded command groups."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

#: Command group name -> ("module:attribute", one-line help). Modules are imported on
#: first use; the help line is here so that ``gnt-py --help`` imports none of them.
COMMANDS: dict[str, tuple[str, str]] = {
    "cluster": (
        "ganetiops.cli.cluster:cluster",
        "The cluster: info, verify, modify, master; bootstrap from an inventory, RAPI users.",
    ),
    "node": ("ganetiops.cli.node:node", "Nodes: list, info, role, evacuate, migrate, modify."),
    "instance": (
        "ganetiops.cli.instance:instance",
        "Instances: list, info, create, start, stop, migrate, modify, remove.",
    ),
    "group": ("ganetiops.cli.group:group", "Node groups: list, add, modify, assign nodes."),
    "network": ("ganetiops.cli.network:network", "Networks: list, add, connect to groups."),
    "ovn": (
        "ganetiops.cli.ovn:ovn",
        "OVN: switches, ports, chassis; check and repair Ganeti's ports.",
    ),
    "os": ("ganetiops.cli.os:os_group", "Operating system definitions."),
    "job": ("ganetiops.cli.job:job", "Jobs: list, show, watch, cancel."),
    "drbd": (
        "ganetiops.cli.drbd:drbd",
        "DRBD health from the nodes: status (per instance or minor), watch the resync.",
    ),
    "tags": ("ganetiops.cli.tags:tags", "Tags of the cluster and any object; search them."),
    "query": ("ganetiops.cli.query:query", "Any field of any resource (Ganeti's query interface)."),
    "filter": ("ganetiops.cli.filter:filter_group", "Job filter rules."),
    "netboot": ("ganetiops.cli.netboot:netboot", "Boot server: classes, wrappers, keys."),
    "lab": ("ganetiops.cli.lab:lab", "The local namespace lab: 4 Ganeti nodes, boot server, OVN."),
    "context": ("ganetiops.cli.context:context", "Configuration contexts: list, use, add, show."),
    "completion": ("ganetiops.cli.completion:completion", "Shell completion (bash, zsh, fish)."),
}

#: Order of the groups in ``gnt-py --help``.
ORDER = tuple(COMMANDS)


class LazyGroup(click.Group):
    """A click group whose subcommands are imported only when invoked or listed."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy:
            target = self._lazy[cmd_name][0]
            command: click.Command = _load(target)
            if not isinstance(command, click.Command):  # pragma: no cover - programming error
                raise TypeError(f"{target} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        order = {name: i for i, name in enumerate(ORDER)}
        names = sorted(self._lazy, key=lambda n: (order.get(n, len(order)), n))
        rows = [(name, self._lazy[name][1]) for name in names]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _load(target: str) -> Any:
    module_name, attr = target.split(":")
    return getattr(importlib.import_module(module_name), attr)


EPILOG = (
    "Exit codes: 0 ok, 1 job failed, 2 usage/bad input, 3 connection/auth, 4 timeout, "
    "5 declined, 6 other error, 7 not found. See docs/cli.md."
)


@click.group(
    cls=LazyGroup,
    epilog=EPILOG,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--context",
    "context_name",
    envvar="GNTPY_CONTEXT",
    metavar="NAME",
    help="Configuration context (cluster) to use; default: the current context.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "yaml"]),
    default="table",
    envvar="GNTPY_FORMAT",
    show_default=True,
    help="Output format.",
)
@click.option("-v", "--verbose", count=True, help="More logging (repeat for debug).")
@click.version_option(package_name="ganetiops", prog_name="gnt-py")
@click.pass_context
def cli(ctx: click.Context, context_name: str | None, output_format: str, verbose: int) -> None:
    """Run a Ganeti cluster: instances, nodes, jobs, bootstrap, netboot images, the lab."""
    from ganetiops.cli.state import State

    ctx.obj = State(context_name=context_name, output_format=output_format, verbose=verbose)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    from ganetiops.cli.state import run

    sys.exit(run(cli, argv))
