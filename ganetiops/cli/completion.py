"""Shell completion for bash, zsh and fish, with instance and node names from the cluster.

``gnt-py completion bash`` prints the script; load it from the shell's startup file::

    eval "$(gnt-py completion bash)"                          # ~/.bashrc
    eval "$(gnt-py completion zsh)"                           # ~/.zshrc
    gnt-py completion fish > ~/.config/fish/completions/gnt-py.fish

Commands, options and choices complete from the click definitions. Names of
instances, nodes, groups and networks come from the current context (or the
``--context`` on the line being completed): one short RAPI call, answered from a
cache for :data:`CACHE_SECONDS` seconds afterwards. Completion never prints an
error: when the cluster cannot be reached it offers nothing.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import click

from ganetiops.cli import state as cli_state
from ganetiops.config import load_config

SHELLS = ("bash", "zsh", "fish")
#: How long fetched names are reused.
CACHE_SECONDS = 30.0
#: Deadlines of the RAPI call made for completion.
CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 4.0
ENV_VAR = "_GNT_PY_COMPLETE"


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL (bash, zsh or fish).

    \b
    bash:  eval "$(gnt-py completion bash)"   in ~/.bashrc
    zsh:   eval "$(gnt-py completion zsh)"    in ~/.zshrc
    fish:  gnt-py completion fish > ~/.config/fish/completions/gnt-py.fish
    """
    from click.shell_completion import get_completion_class  # lazy: start-up

    from ganetiops.cli.app import cli  # lazy: start-up

    cls = get_completion_class(shell)
    if cls is None:  # pragma: no cover - the Choice above guards it
        raise click.UsageError(f"unsupported shell {shell}")
    click.echo(cls(cli, {}, "gnt-py", ENV_VAR).source())


def _cache_file() -> Path:
    from platformdirs import user_cache_dir  # lazy: platformdirs, start-up

    return Path(user_cache_dir("ganetiops")) / "completion.json"


def _context_name(ctx: click.Context) -> str | None:
    root = ctx.find_root()
    name = root.params.get("context_name")
    return str(name) if name else None


def complete_names(ctx: click.Context, kind: str, incomplete: str) -> list[str]:
    """Names of ``kind`` (instances, nodes, groups, networks, contexts) starting with
    ``incomplete``. Fast, and silent on any error."""
    try:
        names = _names(ctx, kind)
    except Exception:
        return []
    return sorted(n for n in names if n.startswith(incomplete))


def _names(ctx: click.Context, kind: str) -> list[str]:
    config = load_config()
    if kind == "contexts":
        return sorted(config.contexts)
    context = config.resolve(_context_name(ctx))
    key = f"{context.name}:{kind}"
    cached = _read_cache(key)
    if cached is not None:
        return cached
    with cli_state.make_client(
        context, connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, retries=0
    ) as client:
        names = list(getattr(client, kind).names())
    _write_cache(key, names)
    return names


def _read_cache(key: str) -> list[str] | None:
    try:
        data: dict[str, Any] = json.loads(_cache_file().read_text())
        entry = data[key]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if time.time() - float(entry["at"]) > CACHE_SECONDS:
        return None
    return [str(n) for n in entry["names"]]


def _write_cache(key: str, names: list[str]) -> None:
    path = _cache_file()
    try:
        try:
            data = json.loads(path.read_text())
            if not isinstance(data, dict):
                data = {}
        except (OSError, ValueError):
            data = {}
        data[key] = {"at": time.time(), "names": names}
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError:
        return


__all__ = ["SHELLS", "complete_names", "completion"]
