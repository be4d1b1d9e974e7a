"""Every error ganetiops raises, in one tree.

::

    GanetiOpsError
    ├── ConfigError              configuration file, contexts, secrets
    ├── ValidationError          bad input, caught before anything is sent (also a ValueError)
    ├── RapiError                an HTTP answer other than 200 (status, message, explain)
    │   ├── RapiAuthError        401
    │   ├── RapiForbiddenError   403
    │   ├── RapiNotFoundError    404
    │   ├── RapiConflictError    409
    │   └── RapiServerError      5xx
    ├── RapiConnectionError      no answer: connect, TLS or read failure
    │   ├── RapiTimeoutError     no answer in time
    │   ├── CertificateError     the server's certificate does not match the pin
    │   └── OutcomeUnknown       a write's answer was lost and its job was not found
    ├── JobError                 a Ganeti job did not succeed
    │   ├── JobFailed            status "error": Ganeti's error class, message, code
    │   ├── JobCanceled          status "canceled"
    │   ├── JobTimeout           still running at the caller's deadline
    │   └── JobNotFound          the job id is unknown to the cluster
    ├── SshError                 node SSH (connection, host key, command)
    │   └── HostKeyError         unknown or changed host key: refused
    ├── BootstrapError           cluster bootstrap cannot go on (blocked plan, failed step)
    ├── NetbootError             the boot server lacks something or refused a change
    │   └── BootTimeout          the expected first fetch never showed in the access log
    ├── OvnError                 an OVN database refused or failed a change
    │   ├── OvnConnectionError   an OVN database (NB/SB) cannot be reached
    │   └── OvnConflictError     a concurrent change got in the way: nothing was applied
    └── LabError                 the namespace lab

Rooms raise the subclass that names what went wrong; callers catch
``GanetiOpsError`` to catch everything. Messages never carry secrets.
"""

from __future__ import annotations

from typing import Any


class GanetiOpsError(Exception):
    """Root of every error raised by ganetiops."""


class ConfigError(GanetiOpsError):
    """The configuration file, a context or a secret source is unusable."""


class ValidationError(GanetiOpsError, ValueError):
    """Input was rejected before anything was sent to the cluster.

    ``field`` names the offending argument when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class RapiError(GanetiOpsError):
    """The RAPI server answered with an HTTP status other than 200."""

    def __init__(
        self,
        status: int,
        message: str,
        explain: str = "",
        *,
        method: str = "",
        path: str = "",
    ) -> None:
        self.status = status
        self.message = message
        self.explain = explain
        self.method = method
        self.path = path
        where = f"{method} {path}: " if method else ""
        text = f"{where}{status} {message}"
        if explain and explain != message:
            text += f" ({explain})"
        super().__init__(text)


class RapiAuthError(RapiError):
    """401: missing or wrong credentials."""


class RapiForbiddenError(RapiError):
    """403: the user lacks the permission (``write`` for every change)."""


class RapiNotFoundError(RapiError):
    """404: unknown path or unknown object."""


class RapiConflictError(RapiError):
    """409: the object is in the way."""


class RapiServerError(RapiError):
    """5xx: the server failed (502: master daemon unreachable, 500: queue drained...)."""


class RapiConnectionError(GanetiOpsError):
    """No HTTP answer: connection refused, TLS failure, timeout or a dropped connection."""

    def __init__(self, message: str, *, sent: bool = False) -> None:
        super().__init__(message)
        #: True when the request may have reached the server (a write must not be re-sent).
        self.sent = sent


class RapiTimeoutError(RapiConnectionError):
    """Connecting or reading took longer than the configured timeout."""


class CertificateError(RapiConnectionError):
    """The server's certificate does not match the pinned one."""


class OutcomeUnknown(RapiConnectionError):
    """A job-submitting request was sent, its answer was lost, and no job with its
    request id was found (yet). The job may exist: look it up by ``request_id``
    (``client.jobs.find(request_id)``, ``gnt-py job find REQUEST_ID``) before trying
    again. ``request_id`` is ``None`` for the few operations that cannot carry one.
    """

    def __init__(self, message: str, *, request_id: str | None) -> None:
        super().__init__(message, sent=True)
        self.request_id = request_id


class JobError(GanetiOpsError):
    """A Ganeti job ended other than in success."""

    def __init__(self, message: str, *, job_id: int, job: Any = None) -> None:
        super().__init__(message)
        self.job_id = job_id
        #: The final job model (``ganetiops.rapi.models.JobInfo``) when known.
        self.job = job


class JobFailed(JobError):
    """The job ended with status ``error``.

    ``error_class`` is Ganeti's exception class (``OpPrereqError``, ``OpExecError``...),
    ``error_code`` its code (``wrong_input``, ``wrong_state``, ``environment_error``...)
    or ``None`` when Ganeti gives none, ``error_message`` its text.
    """

    def __init__(
        self,
        *,
        job_id: int,
        error_class: str,
        error_message: str,
        error_code: str | None,
        job: Any = None,
    ) -> None:
        code = f" [{error_code}]" if error_code else ""
        super().__init__(
            f"job {job_id} failed: {error_class}: {error_message}{code}", job_id=job_id, job=job
        )
        self.error_class = error_class
        self.error_message = error_message
        self.error_code = error_code


class JobCanceled(JobError):
    """The job was canceled."""


class JobTimeout(JobError):
    """The job had not finished when the caller's deadline passed. It keeps running."""


class JobNotFound(JobError):
    """The cluster does not know the job id (3.x answers 200 with null fields)."""


class SshError(GanetiOpsError):
    """Node SSH failed: connection, authentication or a command."""


class HostKeyError(SshError):
    """The node presented a host key that is unknown or differs from the expected one."""


class BootstrapError(GanetiOpsError):
    """Bootstrap cannot go on: a blocked plan or a step that failed.

    ``plan`` is the :class:`ganetiops.bootstrap.plan.Plan` when known, ``step`` the
    step that failed.
    """

    def __init__(self, message: str, *, plan: Any = None, step: str | None = None) -> None:
        super().__init__(message)
        self.plan = plan
        self.step = step


class NetbootError(GanetiOpsError):
    """The boot server is missing something, or refused a change."""


class BootTimeout(NetbootError):
    """The expected fetch did not show up in the boot server's access log in time."""


class OvnError(GanetiOpsError):
    """An OVN database refused or failed a change (the transaction was not applied)."""


class OvnConnectionError(OvnError):
    """An OVN northbound or southbound database cannot be reached."""


class OvnConflictError(OvnError):
    """The database changed under a planned change: nothing of the plan was applied."""


class LabError(GanetiOpsError):
    """The namespace lab could not be brought up, inspected or torn down."""
