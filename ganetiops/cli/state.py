"""The object every command receives (``ctx.obj``) and the top-level error mapping."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import attrs
import click

from ganetiops.cli import exits

if TYPE_CHECKING:
    from ganetiops.config import Context


@attrs.define
class State:
    """Global options, and the cluster context resolved on first use."""

    context_name: str | None
    output_format: str
    verbose: int = 0
    _context: Context | None = None

    def __attrs_post_init__(self) -> None:
        level = logging.WARNING - 10 * min(self.verbose, 2)
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")

    @property
    def context(self) -> Context:
        """The selected configuration context (``--context`` or the current one)."""
        if self._context is None:
            from ganetiops.config import load_config

            self._context = load_config().context(self.context_name)
        return self._context


pass_state = click.make_pass_decorator(State)


def run(command: click.Command, argv: list[str] | None) -> int:
    """Run the click command, mapping ganetiops errors to documented exit codes."""
    from ganetiops import errors

    try:
        command.main(args=argv, prog_name="gnt-py", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return exits.ABORTED
    except click.ClickException as exc:
        exc.show()
        return exits.USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except errors.JobTimeout as exc:
        _error(exc)
        return exits.TIMEOUT
    except errors.JobError as exc:
        _error(exc)
        return exits.JOB_FAILED
    except (errors.ValidationError, errors.ConfigError) as exc:
        _error(exc)
        return exits.USAGE
    except (
        errors.RapiConnectionError,
        errors.RapiAuthError,
        errors.RapiForbiddenError,
        errors.SshError,
    ) as exc:
        _error(exc)
        return exits.CONNECTION
    except errors.GanetiOpsError as exc:
        _error(exc)
        return exits.ERROR
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    return exits.OK


def _error(exc: BaseException) -> None:
    click.secho(f"Error: {exc}", fg="red", err=True)


def echo_err(message: Any) -> None:
    """Print a status line on stderr (never mixed into machine-readable stdout)."""
    click.echo(message, err=True)
