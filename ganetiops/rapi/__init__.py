"""The RAPI client room: typed, complete, sync and async from one set of definitions.

This room knows nothing of the CLI, SSH or the lab; an SSH tunnel reaches it
only as an ``httpx`` transport. Names are exported lazily, so that importing a
pure module of the room (``ganetiops.rapi.call``, ``.plan``, ``.validate``) does not
import ``httpx`` and ``tenacity`` (start-up time of ``gnt-py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganetiops._lazy import exports

_LAZY: dict[str, str] = {
    "AsyncRapiClient": "ganetiops.rapi.client",
    "RapiClient": "ganetiops.rapi.client",
    "AsyncJob": "ganetiops.rapi.jobs",
    "Job": "ganetiops.rapi.jobs",
    "JobResult": "ganetiops.rapi.jobs",
    "Polling": "ganetiops.rapi.jobs",
    "instance_spec": "ganetiops.rapi.ops.instances",
    "PlanExecutor": "ganetiops.rapi.plan",
    "Planned": "ganetiops.rapi.plan",
    "TlsPolicy": "ganetiops.rapi.tls",
    "fetch_certificate": "ganetiops.rapi.tls",
    "pem_fingerprint": "ganetiops.rapi.tls",
}

__all__ = [
    "AsyncJob",
    "AsyncRapiClient",
    "Job",
    "JobResult",
    "PlanExecutor",
    "Planned",
    "Polling",
    "RapiClient",
    "TlsPolicy",
    "fetch_certificate",
    "instance_spec",
    "pem_fingerprint",
]

__getattr__, __dir__ = exports(__name__, _LAZY, __all__)

if TYPE_CHECKING:  # pragma: no cover
    from ganetiops.rapi.client import AsyncRapiClient, RapiClient
    from ganetiops.rapi.jobs import AsyncJob, Job, JobResult, Polling
    from ganetiops.rapi.ops.instances import instance_spec
    from ganetiops.rapi.plan import PlanExecutor, Planned
    from ganetiops.rapi.tls import TlsPolicy, fetch_certificate, pem_fingerprint
