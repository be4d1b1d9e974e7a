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
from ganetiops._version import __version__ as __version__

if TYPE_CHECKING:  # the public names, imported on first use (ganetiops._lazy)
    from ganetiops.bootstrap import load_inventory as load_inventory
    from ganetiops.bootstrap import run_bootstrap as run_bootstrap
    from ganetiops.config import Config as Config
    from ganetiops.config import Context as Context
    from ganetiops.config import load_config as load_config
    from ganetiops.config.secrets import Secret as Secret
    from ganetiops.connect import aconnect as aconnect
    from ganetiops.connect import connect as connect
    from ganetiops.errors import BootstrapError as BootstrapError
    from ganetiops.errors import BootTimeout as BootTimeout
    from ganetiops.errors import CertificateError as CertificateError
    from ganetiops.errors import ConfigError as ConfigError
    from ganetiops.errors import GanetiOpsError as GanetiOpsError
    from ganetiops.errors import HostKeyError as HostKeyError
    from ganetiops.errors import JobCanceled as JobCanceled
    from ganetiops.errors import JobError as JobError
    from ganetiops.errors import JobFailed as JobFailed
    from ganetiops.errors import JobNotFound as JobNotFound
    from ganetiops.errors import JobTimeout as JobTimeout
    from ganetiops.errors import NetbootError as NetbootError
    from ganetiops.errors import RapiConnectionError as RapiConnectionError
    from ganetiops.errors import RapiError as RapiError
    from ganetiops.errors import RapiTimeoutError as RapiTimeoutError
    from ganetiops.errors import SshError as SshError
    from ganetiops.errors import ValidationError as ValidationError
    from ganetiops.rapi import AsyncJob as AsyncJob
    from ganetiops.rapi import AsyncRapiClient as AsyncRapiClient
    from ganetiops.rapi import Job as Job
    from ganetiops.rapi import JobResult as JobResult
    from ganetiops.rapi import RapiClient as RapiClient
    from ganetiops.rapi import instance_spec as instance_spec

__getattr__, __dir__ = exports(__name__, eager=("__version__",))
