"""Filling a lab with many real instances (diskless, fake hypervisor) for scale work.

The instances are real Ganeti instances (config entries, locks, jobs), created through
the library's own fan-out (:func:`ganetiops.rapi.fanout.run_jobs`) and spread over the
nodes round-robin; they use no disk and boot nothing (``no_install``, not started).
Their names, ``<prefix>0001``..., are checked by nothing (``name_check=False``): no
instance of a scale run needs to resolve.

What each creation costs is Ganeti's, not the client's: measured on the project's
2-core machine (docs/scale.md), a diskless create is about 1.1 CPU-seconds of
Ganeti's daemons with one master candidate (the job's own process, wconfd writing
and distributing the configuration, noded writing ssconf files on every node) and
2.5 with four, since every candidate receives each job file update and each
configuration write. ``candidates=1`` therefore demotes the other candidates for the
fill and promotes them again afterwards; the number of jobs in flight (10 to 80)
and where the instances go (one node or all) changed nothing measurable.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import AsyncIterator, Callable
from typing import Any, Final

from ganetiops.errors import ValidationError
from ganetiops.rapi.client import AsyncRapiClient
from ganetiops.rapi.fanout import DEFAULT_IN_FLIGHT, Outcome, Progress, Submit, run_jobs

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


def _check_candidates(keep: object) -> None:
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ValidationError("candidates: expected 1 or more", field="candidates")


@contextlib.asynccontextmanager
async def fewer_candidates(client: AsyncRapiClient, keep: int) -> AsyncIterator[list[str]]:
    """Keep only ``keep`` master candidates (the master is one) while the block runs.

    Sets the cluster's candidate pool size to ``keep`` and demotes the candidates
    beyond it (as ``gnt-node modify -C no``), then, also when the block fails,
    promotes them again and restores the pool size, so that the same nodes are
    candidates as before. Yields the demoted nodes' names.
    """
    _check_candidates(keep)
    info = await client.cluster.info()
    pool = info.candidate_pool_size
    before = {n.name for n in await client.nodes.list() if n.role == "master-candidate"}
    demote = sorted(before)[max(keep - 1, 0) :]
    if not demote:
        yield []
        return
    try:
        await (await client.cluster.modify(candidate_pool_size=keep)).wait()
        for name in demote:
            await (await client.nodes.set_role(name, "regular", force=True)).wait()
        yield demote
    finally:
        # Promote first, then raise the pool size: raised first, Ganeti would fill
        # the pool with nodes of its own choosing. Any it promoted anyway go back.
        for name in demote:
            if await client.nodes.role(name) != "master-candidate":
                await (await client.nodes.set_role(name, "master-candidate")).wait()
        if pool is not None:
            await (await client.cluster.modify(candidate_pool_size=pool)).wait()
        for node in await client.nodes.list():
            if node.role == "master-candidate" and node.name not in before:
                await (await client.nodes.set_role(node.name, "regular", force=True)).wait()


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
    max_in_flight: int = DEFAULT_IN_FLIGHT,
    candidates: int | None = None,
) -> tuple[list[Outcome], int]:
    """Create the missing ones of ``count`` instances; return the outcomes of the
    creations sent and how many existed already.

    ``candidates``: keep only that many master candidates during the fill
    (:func:`fewer_candidates`; 1 makes each creation about twice as cheap).
    """
    wanted = instance_names(count, prefix)
    if candidates is not None:
        _check_candidates(candidates)
    have = set(await client.instances.names())
    nodes = sorted(await client.nodes.names())
    missing = [name for name in wanted if name not in have]
    work = {
        name: _create(client, name, nodes[index % len(nodes)]) for index, name in enumerate(missing)
    }
    if not work:
        return [], len(wanted)
    async with contextlib.AsyncExitStack() as stack:
        if candidates is not None:
            await stack.enter_async_context(fewer_candidates(client, candidates))
        outcomes = await run_jobs(
            client, work, on_progress=on_progress, timeout=timeout, max_in_flight=max_in_flight
        )
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
