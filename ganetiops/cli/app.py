"""The root ``gnt-py`` group: global options and lazily loaded command groups."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

#: Command group name -> ("module:attribute", one-line help). Modules are imported on
#: first use; the help line is here so that ``gnt-py --help`` imports none of them.
COMMANDS: dict[str, tuple[str, str]] = {
    "cluster": ("ganetiops.cli.cluster:cluster", "Bootstrap from an inventory, RAPI users."),
    "lab": ("ganetiops.cli.lab:lab", "The local namespace lab: 4 Ganeti nodes, boot server, OVN."),
}


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
            module_name, attr = target.split(":")
            command = getattr(importlib.import_module(module_name), attr)
            if not isinstance(command, click.Command):  # pragma: no cover - programming error
                raise TypeError(f"{target} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self._lazy[name][1]) for name in sorted(self._lazy)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
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
