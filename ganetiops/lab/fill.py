"""Filling a lab with many real instances (diskless, fake hypervisor) for scale work.

The instances are real Ganeti instances (config entries, locks, jobs), created through
the library's own fan-out (:func:`ganetiops.rapi.fanout.run_jobs`) and spread over the
nodes round-robin; they use no disk and boot nothing (``no_install``, not started).
Their names, ``<prefix>0001``..., are checked by nothing (``name_check=False``): no
instance of a scale run needs to resolve.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Final

from ganetiops.errors import ValidationError
from ganetiops.rapi.client import AsyncRapiClient
from ganetiops.rapi.fanout import Outcome, Progress, Submit, run_jobs

DEFAULT_PREFIX: Final = "fill"
MAX_INSTANCES: Final = 9999
_PREFIX_RE: Final = re.compile(r"^[a-z][a-z0-9-]{0,15}$")


def instance_names(count: int, prefix: str = DEFAULT_PREFIX) -> list[str]:
    """``fill0001`` ... for ``count`` instances (checked: 1-9999, a DNS-label prefix)."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_INSTANCES:
        raise ValidationError(f"instances: expected 1-{MAX_INSTANCES}", field="instances")
    if not _PREFIX_RE.match(prefix):
        raise ValidationError(
            f"prefix {prefix!r}: 1-16 of a-z, 0-9 and '-', starting with a letter",
            field="prefix",
        )
    return [f"{prefix}{i:04d}" for i in range(1, count + 1)]


def _create(client: AsyncRapiClient, name: str, pnode: str) -> Submit:
    return functools.partial(
        client.instances.create,
        name,
        disk_template="diskless",
        disks=[],
        nics=[],
        os="noop",
        pnode=pnode,
        start=False,
        no_install=True,
        name_check=False,
        ip_check=False,
        beparams={"maxmem": 128, "minmem": 128, "vcpus": 1},
    )


async def fill(
    client: AsyncRapiClient,
    count: int,
    *,
    prefix: str = DEFAULT_PREFIX,
    on_progress: Callable[[Progress], Any] | None = None,
    timeout: float | None = None,
) -> tuple[list[Outcome], int]:
    """Create the missing ones of ``count`` instances; return the outcomes of the
    creations sent and how many existed already."""
    wanted = instance_names(count, prefix)
    have = set(await client.instances.names())
    nodes = sorted(await client.nodes.names())
    missing = [name for name in wanted if name not in have]
    work = {
        name: _create(client, name, nodes[index % len(nodes)]) for index, name in enumerate(missing)
    }
    outcomes = await run_jobs(client, work, on_progress=on_progress, timeout=timeout)
    return outcomes, len(wanted) - len(missing)


async def empty(
    client: AsyncRapiClient,
    *,
    prefix: str = DEFAULT_PREFIX,
    on_progress: Callable[[Progress], Any] | None = None,
    timeout: float | None = None,
) -> list[Outcome]:
    """Remove every instance named ``<prefix>NNNN`` (what :func:`fill` made)."""
    instance_names(1, prefix)  # the prefix's check
    pattern = re.compile(rf"^{re.escape(prefix)}\d{{4}}$")
    names = [name for name in await client.instances.names() if pattern.match(name)]
    work = {name: functools.partial(client.instances.remove, name) for name in names}
    return await run_jobs(client, work, on_progress=on_progress, timeout=timeout)
