"""ganetiops: run a Ganeti cluster from Python.

>>> import ganetiops
>>> with ganetiops.RapiClient.from_context("lab") as client:   # doctest: +SKIP
...     for instance in client.instances.list():
...         print(instance.name, instance.status)

Names are imported lazily so that ``import ganetiops`` (and ``gnt-py``) stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    # configuration
    "Config": "ganetiops.config",
    "Context": "ganetiops.config",
    "load_config": "ganetiops.config",
    "Secret": "ganetiops.config.secrets",
}

__all__ = [
    "CertificateError",
    "Config",
    "ConfigError",
    "Context",
    "GanetiOpsError",
    "HostKeyError",
    "JobCanceled",
    "JobError",
    "JobFailed",
    "JobNotFound",
    "JobTimeout",
    "RapiConnectionError",
    "RapiError",
    "Secret",
    "SshError",
    "ValidationError",
    "__version__",
    "load_config",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ganetiops' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from ganetiops.config import Config, Context, load_config
    from ganetiops.config.secrets import Secret
    from ganetiops.errors import (
        CertificateError,
        ConfigError,
        GanetiOpsError,
        HostKeyError,
        JobCanceled,
        JobError,
        JobFailed,
        JobNotFound,
        JobTimeout,
        RapiConnectionError,
        RapiError,
        SshError,
        ValidationError,
    )
