"""ganetiops: run a Ganeti cluster from Python.

>>> import ganetiops
>>> with ganetiops.connect("lab") as client:                    # doctest: +SKIP
...     for instance in client.instances.list():
...         print(instance.name, instance.status)

Names are imported lazily so that ``import ganetiops`` (and ``gnt-py``) stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganetiops._lazy import exports
from ganetiops._version import __version__

_LAZY: dict[str, str] = {
    # errors
    "GanetiOpsError": "ganetiops.errors",
    "ConfigError": "ganetiops.errors",
    "ValidationError": "ganetiops.errors",
    "RapiError": "ganetiops.errors",
    "RapiConnectionError": "ganetiops.errors",
    "CertificateError": "ganetiops.errors",
    "JobError": "ganetiops.errors",
    "JobFailed": "ganetiops.errors",
    "JobCanceled": "ganetiops.errors",
    "JobTimeout": "ganetiops.errors",
    "JobNotFound": "ganetiops.errors",
    "SshError": "ganetiops.errors",
    "HostKeyError": "ganetiops.errors",
    "BootstrapError": "ganetiops.errors",
    "NetbootError": "ganetiops.errors",
    "BootTimeout": "ganetiops.errors",
    "RapiTimeoutError": "ganetiops.errors",
    # bootstrap
    "load_inventory": "ganetiops.bootstrap",
    "run_bootstrap": "ganetiops.bootstrap",
    # clients
    "connect": "ganetiops.connect",
    "aconnect": "ganetiops.connect",
    "RapiClient": "ganetiops.rapi",
    "AsyncRapiClient": "ganetiops.rapi",
    "Job": "ganetiops.rapi",
    "AsyncJob": "ganetiops.rapi",
    "JobResult": "ganetiops.rapi",
    "instance_spec": "ganetiops.rapi",
    # configuration
    "Config": "ganetiops.config",
    "Context": "ganetiops.config",
    "load_config": "ganetiops.config",
    "Secret": "ganetiops.config.secrets",
}

__all__ = [
    "AsyncJob",
    "AsyncRapiClient",
    "BootTimeout",
    "BootstrapError",
    "CertificateError",
    "Config",
    "ConfigError",
    "Context",
    "GanetiOpsError",
    "HostKeyError",
    "Job",
    "JobCanceled",
    "JobError",
    "JobFailed",
    "JobNotFound",
    "JobResult",
    "JobTimeout",
    "NetbootError",
    "RapiClient",
    "RapiConnectionError",
    "RapiError",
    "RapiTimeoutError",
    "Secret",
    "SshError",
    "ValidationError",
    "__version__",
    "aconnect",
    "connect",
    "instance_spec",
    "load_config",
    "load_inventory",
    "run_bootstrap",
]


__getattr__, __dir__ = exports(__name__, _LAZY, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from ganetiops.bootstrap import load_inventory, run_bootstrap
    from ganetiops.config import Config, Context, load_config
    from ganetiops.config.secrets import Secret
    from ganetiops.connect import aconnect, connect
    from ganetiops.errors import (
        BootstrapError,
        BootTimeout,
        CertificateError,
        ConfigError,
        GanetiOpsError,
        HostKeyError,
        JobCanceled,
        JobError,
        JobFailed,
        JobNotFound,
        JobTimeout,
        NetbootError,
        RapiConnectionError,
        RapiError,
        RapiTimeoutError,
        SshError,
        ValidationError,
    )
    from ganetiops.rapi import AsyncJob, AsyncRapiClient, Job, JobResult, RapiClient, instance_spec
