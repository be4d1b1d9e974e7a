"""The object every command receives (``ctx.obj``) and the top-level error mapping."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import attrs
import click

from ganetiops import errors
from ganetiops.cli import exits

if TYPE_CHECKING:
    from ganetiops.config import Context
    from ganetiops.rapi import RapiClient
    from ganetiops.rapi.call import Call
    from ganetiops.rapi.jobs import Job
    from ganetiops.rapi.plan import PlanExecutor, Planned


#: ``-v`` count of the running command (read by the last-resort error handler).
_VERBOSITY = [0]
#: The context the running command resolved (named in stale-context errors).
_CONTEXT: list[str | None] = [None]


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
        _VERBOSITY[0] = self.verbose
        level = logging.WARNING - 10 * min(self.verbose, 2)
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")

    @property
    def context(self) -> Context:
        """The selected configuration context (``--context`` or the current one)."""
        if self._context is None:
            from ganetiops.config import load_config  # lazy: start-up of gnt-py --help

            self._context = load_config().resolve(self.context_name)
            _CONTEXT[0] = self._context.name
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
            fmt = self.output_format
            from ganetiops.cli.output import print_plan  # lazy: start-up of gnt-py --help
            from ganetiops.rapi.plan import PlanExecutor  # lazy: start-up of gnt-py --help

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
    from ganetiops.connect import connect  # lazy: httpx, start-up

    return connect(context, **overrides)


pass_state = click.make_pass_decorator(State)


def run(command: click.Command, argv: list[str] | None) -> int:
    """Run the click command, mapping ganetiops errors to documented exit codes."""
    _VERBOSITY[0] = 0
    _CONTEXT[0] = None
    if argv is not None and any("\x00" in arg for arg in argv):
        # A shell cannot pass one (execve ends arguments at NUL); callers in-process can.
        click.echo("Error: an argument contains a NUL character", err=True)
        return exits.USAGE
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
    except errors.GanetiOpsError as exc:
        return _exit_code(exc)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return exits.INTERRUPTED
    except Exception as exc:
        return _internal_error(exc)
    if isinstance(returned, int) and not isinstance(returned, bool):
        return returned
    return exits.OK


#: The exit code of each kind of ganetiops error, the first that matches (else ERROR).
_EXIT_CODES: tuple[
    tuple[type[errors.GanetiOpsError] | tuple[type[errors.GanetiOpsError], ...], int], ...
] = (
    ((errors.JobTimeout, errors.BootTimeout), exits.TIMEOUT),
    ((errors.JobNotFound, errors.RapiNotFoundError), exits.NOT_FOUND),
    (errors.JobError, exits.JOB_FAILED),
    ((errors.ValidationError, errors.ConfigError), exits.USAGE),
    (errors.OutcomeUnknown, exits.OUTCOME_UNKNOWN),
    (errors.RapiProtocolError, exits.PROTOCOL),
    (
        (
            errors.RapiConnectionError,
            errors.RapiAuthError,
            errors.RapiForbiddenError,
            errors.SshError,
        ),
        exits.CONNECTION,
    ),
)


def _exit_code(exc: errors.GanetiOpsError) -> int:
    """Say what went wrong (one line, and a hint where one helps); the exit code."""
    _error(exc)
    code = next((code for kinds, code in _EXIT_CODES if isinstance(exc, kinds)), exits.ERROR)
    if isinstance(exc, errors.JobTimeout):
        echo_err(f"(the job keeps running: gnt-py job watch {exc.job_id})")
    elif code == exits.JOB_FAILED and isinstance(exc, errors.JobFailed):
        if exc.error_code == "unknown_entity":
            return exits.NOT_FOUND  # Ganeti refused the job: the object does not exist
    elif code == exits.CONNECTION:
        _stale_context_hint(exc)
    return code


def _stale_context_hint(exc: BaseException) -> None:
    """A pin or password that no longer matches: name the context and how to refresh it."""
    name = _CONTEXT[0]
    if name is None or not isinstance(exc, errors.CertificateError | errors.RapiAuthError):
        return
    what = "certificate" if isinstance(exc, errors.CertificateError) else "password"
    echo_err(
        f"(context {name}: its {what} no longer matches the cluster? Refresh it: "
        f"gnt-py context add {name} --url URL --trust --replace, or run the cluster "
        "bootstrap again (it rewrites its context); a lab writes its own at lab up)"
    )


def _internal_error(exc: Exception) -> int:
    """A bug: one line; the traceback follows only with ``-vv``."""
    import traceback  # lazy: start-up

    click.secho(
        f"Internal error: {type(exc).__name__}: {exc} (a bug in ganetiops; run with -vv "
        "for the traceback and report it)",
        fg="red",
        err=True,
    )
    if _VERBOSITY[0] >= 2:
        click.echo("".join(traceback.format_exception(exc)), err=True, nl=False)
    return exits.INTERNAL


def _error(exc: BaseException) -> None:
    click.secho(f"Error: {exc}", fg="red", err=True)


def echo_err(message: Any) -> None:
    """Print a status line on stderr (never mixed into machine-readable stdout)."""
    click.echo(message, err=True)
