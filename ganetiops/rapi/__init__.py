"""The RAPI client room: typed, complete, sync and async from one set of definitions.

This room knows nothing of the CLI, SSH or the lab; an SSH tunnel reaches it
only as an ``httpx`` transport. Names are exported lazily, so that importing a
pure module of the room (``ganetiops.rapi.call``, ``.plan``, ``.validate``) does not
import ``httpx`` and ``tenacity`` (start-up time of ``gnt-py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganetiops._lazy import exports

if TYPE_CHECKING:  # the public names, imported on first use (ganetiops._lazy)
    from ganetiops.rapi.client import AsyncRapiClient as AsyncRapiClient
    from ganetiops.rapi.client import RapiClient as RapiClient
    from ganetiops.rapi.jobs import AsyncJob as AsyncJob
    from ganetiops.rapi.jobs import Job as Job
    from ganetiops.rapi.jobs import JobResult as JobResult
    from ganetiops.rapi.jobs import Polling as Polling
    from ganetiops.rapi.modes import AnyMode as AnyMode
    from ganetiops.rapi.modes import Async as Async
    from ganetiops.rapi.modes import Sync as Sync
    from ganetiops.rapi.ops.instances import instance_spec as instance_spec
    from ganetiops.rapi.plan import PlanExecutor as PlanExecutor
    from ganetiops.rapi.plan import Planned as Planned
    from ganetiops.rapi.tls import TlsPolicy as TlsPolicy
    from ganetiops.rapi.tls import fetch_certificate as fetch_certificate
    from ganetiops.rapi.tls import pem_fingerprint as pem_fingerprint

__getattr__, __dir__ = exports(__name__)
