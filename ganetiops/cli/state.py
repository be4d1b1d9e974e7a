"""The object every command receives (``ctx.obj``) and the top-level error mapping."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import attrs
import click

from ganetiops.cli import exits
from ganetiops.cli.output import print_plan

if TYPE_CHECKING:
    from ganetiops.config import Context
    from ganetiops.rapi import RapiClient
    from ganetiops.rapi.call import Call
    from ganetiops.rapi.jobs import Job
    from ganetiops.rapi.plan import PlanExecutor, Planned


@attrs.define
class State:
    """Global options, and the cluster context resolved on first use."""

    context_name: str | None
    output_format: str
    verbose: int = 0
    #: ``--plan`` given: job requests are printed, not sent (:meth:`executor`);
    #: confirmations are skipped.
    plan: bool = False
    _context: Context | None = None
    _client: RapiClient | None = None
    _planner: PlanExecutor | None = None

    def __attrs_post_init__(self) -> None:
        level = logging.WARNING - 10 * min(self.verbose, 2)
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")

    @property
    def context(self) -> Context:
        """The selected configuration context (``--context`` or the current one)."""
        if self._context is None:
            from ganetiops.config import load_config

            self._context = load_config().resolve(self.context_name)
        return self._context

    def client(self, **overrides: Any) -> RapiClient:
        """The RAPI client for the context, made on first use and closed when the command ends.

        A context with an ``ssh`` table reaches RAPI through an SSH tunnel to the
        master; otherwise directly over HTTPS with the context's TLS pin.
        """
        if self._client is None:
            self._client = make_client(self.context, **overrides)
            ctx = click.get_current_context(silent=True)
            if ctx is not None:
                ctx.find_root().call_on_close(self._close_client)
        return self._client

    def executor(self) -> RapiClient | PlanExecutor:
        """Where job requests go: the client, or under ``--plan`` a
        :class:`~ganetiops.rapi.plan.PlanExecutor` that checks and prints each request
        and sends none (reads still go to the cluster: a plan may need them)."""
        client = self.client()
        if not self.plan:
            return client
        if self._planner is None or self._planner.client is not client:
            from ganetiops.rapi.plan import PlanExecutor

            fmt = self.output_format
            self._planner = PlanExecutor(client, on_plan=lambda call: print_plan(call, fmt))
        return self._planner

    def submit(self, call: Call[int]) -> Job | Planned:
        """Submit a job request built once with ``namespace.operation.call(...)``:
        a :class:`~ganetiops.rapi.jobs.Job`, or under ``--plan`` a
        :class:`~ganetiops.rapi.plan.Planned`."""
        return self.executor().submit(call)

    def _close_client(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            client.close()


def make_client(context: Context, **overrides: Any) -> RapiClient:
    """A blocking RAPI client for ``context``: direct HTTPS, or through SSH when configured
    (:func:`ganetiops.connect.connect`)."""
    from ganetiops.connect import connect

    return connect(context, **overrides)


pass_state = click.make_pass_decorator(State)


def run(command: click.Command, argv: list[str] | None) -> int:
    """Run the click command, mapping ganetiops errors to documented exit codes."""
    from ganetiops import errors

    try:
        # Without standalone mode click returns (not raises) the code of ``Exit``.
        returned = command.main(args=argv, prog_name="gnt-py", standalone_mode=False)
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
        echo_err(f"(the job keeps running: gnt-py job watch {exc.job_id})")
        return exits.TIMEOUT
    except errors.BootTimeout as exc:
        _error(exc)
        return exits.TIMEOUT
    except (errors.JobNotFound, errors.RapiNotFoundError) as exc:
        _error(exc)
        return exits.NOT_FOUND
    except errors.JobError as exc:
        _error(exc)
        if isinstance(exc, errors.JobFailed) and exc.error_code == "unknown_entity":
            return exits.NOT_FOUND  # Ganeti refused the job: the object does not exist
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
        return exits.INTERRUPTED
    if isinstance(returned, int) and not isinstance(returned, bool):
        return returned
    return exits.OK


def _error(exc: BaseException) -> None:
    click.secho(f"Error: {exc}", fg="red", err=True)


def echo_err(message: Any) -> None:
    """Print a status line on stderr (never mixed into machine-readable stdout)."""
    click.echo(message, err=True)
