"""The RAPI client room: typed, complete, sync and async from one set of definitions.

This room knows nothing of the CLI, SSH or the lab; an SSH tunnel reaches it
only as an ``httpx`` transport.
"""

from ganetiops.rapi.client import AsyncRapiClient, RapiClient
from ganetiops.rapi.jobs import AsyncJob, Job, JobResult, Polling
from ganetiops.rapi.ops.instances import instance_spec
from ganetiops.rapi.tls import TlsPolicy, fetch_certificate, pem_fingerprint

__all__ = [
    "AsyncJob",
    "AsyncRapiClient",
    "Job",
    "JobResult",
    "Polling",
    "RapiClient",
    "TlsPolicy",
    "fetch_certificate",
    "instance_spec",
    "pem_fingerprint",
]
