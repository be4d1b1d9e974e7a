"""MkDocs hook: the ``gnt-py`` command reference, one page per command group.

Generated at build time from the click commands themselves (nothing to keep in sync
by hand): ``reference/cli/<group>.md`` for each group, the commands of that group with
their usage line, help text and an options table. Defaults are shown only when there
is one: click >= 8.3 marks "no default" with a ``Sentinel.UNSET`` object, which is never
printed (mkdocs-click 0.9 printed it 567 times).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import Any

import click

#: Where the pages live in the site (mkdocs.yml's nav lists them).
PREFIX = "reference/cli"
PROG = "gnt-py"


def _unset(value: Any) -> bool:
    unset = getattr(click.core, "UNSET", None)
    return value is None or (unset is not None and value is unset)


def _help_markdown(text: str) -> str:
    """click help -> Markdown: ``\\b`` blocks become code, the rest paragraphs."""
    text = textwrap.dedent(text.split("\f", 1)[0]).strip("\n")
    out: list[str] = []
    for block in text.split("\n\n"):
        lines = block.strip("\n").splitlines()
        if lines and lines[0].strip() == "\b":
            body = textwrap.dedent("\n".join(lines[1:]))
            head, _, rest = body.partition("\n")
            if head.rstrip().endswith(":") and rest:
                out.append(f"{head.strip()}\n\n```text\n{textwrap.dedent(rest)}\n```")
            else:
                out.append(f"```text\n{body}\n```")
        else:
            out.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _type(param: click.Parameter) -> str:
    kind = param.type
    if isinstance(kind, click.Choice):
        return " \\| ".join(f"`{c}`" for c in kind.choices)
    if isinstance(param, click.Option) and param.is_flag:
        return "flag"
    name = kind.name.lower() if kind.name else str(kind)
    return {"text": "text", "integer": "integer", "float": "number"}.get(name, name)


def _default(param: click.Option) -> str:
    if isinstance(param.show_default, str):
        return _cell(param.show_default)
    value = param.default
    if callable(value) or _unset(value) or param.show_default is False:
        return ""
    if param.is_flag and not param.secondary_opts:
        return ""  # a flag's default is "not given"
    if isinstance(value, bool) and param.secondary_opts:
        return f"`{(param.opts if value else param.secondary_opts)[-1]}`"
    if isinstance(value, list | tuple):
        return ", ".join(f"`{v}`" for v in value) if value else ""
    return f"`{value}`"


def _options(command: click.Command) -> str:
    rows = []
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
        help_text = _cell(param.help or "")
        if param.multiple:
            help_text += " (repeatable)"
        if param.envvar:
            envvars = param.envvar if isinstance(param.envvar, list | tuple) else [param.envvar]
            help_text += " Env: " + ", ".join(f"`{e}`" for e in envvars) + "."
        rows.append(f"| {names} | {_type(param)} | {_default(param)} | {help_text} |")
    if not rows:
        return ""
    rows.append("| `-h`, `--help` | flag |  | Show the help and exit. |")
    return "| Option | Type | Default | Description |\n|---|---|---|---|\n" + "\n".join(rows)


def _walk(
    command: click.Command, path: list[str], parent: click.Context | None
) -> Iterator[tuple[list[str], click.Command, click.Context]]:
    ctx = click.Context(command, info_name=path[-1], parent=parent)
    yield path, command, ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _walk(sub, [*path, name], ctx)


def command_markdown(path: list[str], command: click.Command, ctx: click.Context) -> str:
    """One command: heading, usage, help, options (and subcommands of a group)."""
    title = " ".join(path)
    depth = "#" * min(len(path) - 1, 4)
    usage = " ".join(command.collect_usage_pieces(ctx))
    parts = [f"{depth} {title}", f"```text\n{title} {usage}\n```"]
    if command.help:
        parts.append(_help_markdown(command.help))
    if isinstance(command, click.Group):
        listed = [(n, c) for n in command.list_commands(ctx) if (c := command.get_command(ctx, n))]
        if listed:
            parts.append(
                "| Command | What it does |\n|---|---|\n"
                + "\n".join(
                    f"| [`{n}`](#{'-'.join([*path[1:], n])}) | {_cell(c.get_short_help_str(90))} |"
                    for n, c in listed
                    if not c.hidden
                )
            )
    parts.append(_options(command))
    return "\n\n".join(p for p in parts if p)


def group_page(cli: click.Group, name: str) -> str:
    root = click.Context(cli, info_name=PROG)
    command = cli.get_command(root, name)
    assert command is not None
    blocks = []
    for path, cmd, ctx in _walk(command, [PROG, name], root):
        block = command_markdown(path, cmd, ctx)
        anchor = "-".join(path[1:])
        heading, _, rest = block.partition("\n")
        blocks.append(f"{heading} {{#{anchor}}}\n{rest}")
    return (
        "<!-- generated from the click commands by tools/docs/cli_reference.py -->\n"
        + "\n\n".join(blocks)
        + "\n"
    )


def groups(cli: click.Group) -> list[str]:
    root = click.Context(cli, info_name=PROG)
    return [
        n
        for n in cli.list_commands(root)
        if isinstance(cli.get_command(root, n), click.Group) and not cli.get_command(root, n).hidden  # type: ignore[union-attr]
    ]


def index_page(cli: click.Group) -> str:
    """The overview: global options, one line per group, the plain commands in full."""
    root = click.Context(cli, info_name=PROG)
    lines = [
        "# Command reference",
        "Generated from the click commands themselves, one page per command group. "
        "Conventions (output formats, exit codes, `--yes`, `--no-wait`) are on "
        "[Conventions and exit codes](cli.md).",
        f"```text\n{PROG} {' '.join(cli.collect_usage_pieces(root))}\n```",
        "## Global options",
        _options(cli),
        "## Command groups",
        "| Group | What it does |\n|---|---|\n"
        + "\n".join(
            f"| [`{PROG} {n}`]({PREFIX}/{n}.md) | "
            f"{_cell(cli.get_command(root, n).get_short_help_str(100))} |"  # type: ignore[union-attr]
            for n in groups(cli)
        ),
    ]
    for name in cli.list_commands(root):
        command = cli.get_command(root, name)
        if command is None or command.hidden or isinstance(command, click.Group):
            continue
        ctx = click.Context(command, info_name=name, parent=root)
        block = command_markdown([PROG, name], command, ctx).replace("# ", "## ", 1)
        heading, _, rest = block.partition("\n")
        lines.append(f"{heading} {{#{name}}}\n{rest}")
    return "\n\n".join(lines) + "\n"


def _cli() -> click.Group:
    from ganetiops.cli.app import cli

    return cli


def on_files(files: Any, config: Any) -> Any:
    """Add the generated pages (mkdocs >= 1.6: ``File.generated``)."""
    from mkdocs.structure.files import File

    cli = _cli()
    existing = files.get_file_from_path("cli-reference.md")
    if existing is not None:
        files.remove(existing)
    files.append(File.generated(config, "cli-reference.md", content=index_page(cli)))
    for name in groups(cli):
        files.append(File.generated(config, f"{PREFIX}/{name}.md", content=group_page(cli, name)))
    return files
