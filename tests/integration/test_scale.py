"""A large lab filled with many instances: the small CI version of the scale run.

Eight nodes (the homelab's four, then node05-node08) and 200 real diskless instances
made through the library's fan-out; then 50 operations at once, a filtered query and
a removal (of a second, small set: the lab's teardown removes the 200). A test of
correctness (counts, spread, outcomes, Ganeti's own job records), not of time: the
figures are in ``benchmarks/scale.py``.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable, Iterator

import pytest

from ganetiops.config import load_config
from ganetiops.lab import Lab, topology
from ganetiops.lab.fill import empty, fill
from ganetiops.rapi import AsyncRapiClient, RapiClient
from ganetiops.rapi.fanout import Progress, run_jobs

pytestmark = pytest.mark.integration

NODES = 8
INSTANCES = 200
CONCURRENT = 50
SMALL = 10


@pytest.fixture(scope="module")
def big_lab(lab_factory: Callable[..., Lab]) -> Iterator[Lab]:
    made = lab_factory(bare=False, nodes=NODES)
    yield made
    made.down()  # now, not at the end of the session: eight nodes cost CPU


def _context(lab: Lab) -> str:
    record = lab.record()
    assert record is not None and record.context is not None
    return record.context.name


def test_large_lab_has_the_four_then_numbered_nodes(big_lab: Lab) -> None:
    names = topology.node_names(NODES)
    assert names[:4] == topology.NODE_NAMES
    with RapiClient.from_context(load_config().context(_context(big_lab))) as client:
        listed = sorted(client.nodes.names())
    assert listed == sorted(topology.fqdn(n) for n in names)
    status = big_lab.status()
    assert [m.name for m in status.machines if m.name != topology.BOOT] == list(names)
    assert all(m.running for m in status.machines)
    # The extra nodes' addresses are where the plan says, on both networks.
    plan = big_lab.plan
    node08 = next(m for m in status.machines if m.name == "node08")
    assert node08.primary_ip == plan.primary_ip("node08")
    assert node08.primary_ip.endswith(f".{topology.EXTRA_NODE_BASE + 8}")


def test_fill_then_concurrent_operations_then_empty(big_lab: Lab) -> None:
    context = _context(big_lab)
    seen: list[Progress] = []

    async def scenario() -> None:
        async with AsyncRapiClient.from_context(context) as client:
            roles = {n.name: n.role for n in await client.nodes.list()}
            pool = (await client.cluster.info()).candidate_pool_size
            # One candidate while filling (half Ganeti's CPU per create), the others
            # promoted again afterwards: the cluster is as it was.
            outcomes, existing = await fill(
                client, INSTANCES, on_progress=seen.append, candidates=1
            )
            assert {n.name: n.role for n in await client.nodes.list()} == roles
            assert (await client.cluster.info()).candidate_pool_size == pool
            assert list(roles.values()).count("master-candidate") >= 1  # something to demote
            assert existing == 0
            assert len(outcomes) == INSTANCES
            failed = [(o.key, o.status, str(o.error)[:300]) for o in outcomes if not o.ok]
            assert failed == [], f"{len(failed)} failed, first: {failed[:3]}"
            ids = [o.job_id for o in outcomes]
            assert len(set(ids)) == INSTANCES  # one job per instance, none doubled

            instances = [i for i in await client.instances.list() if i.name.startswith("fill")]
            assert len(instances) == INSTANCES
            spread = collections.Counter(i.pnode for i in instances)
            assert len(spread) == NODES  # round-robin over every node
            assert max(spread.values()) - min(spread.values()) <= 1

            # Again: nothing to create, nothing sent.
            again, existing = await fill(client, INSTANCES)
            assert (again, existing) == ([], INSTANCES)

            # 100 operations at once, each its own job; Ganeti's records agree.
            names = sorted(i.name for i in instances)[:CONCURRENT]
            work = {n: (lambda n=n: client.instances.add_tags(n, ["scale"])) for n in names}
            done = await run_jobs(client, work)
            assert all(o.ok for o in done)
            tagged = await client.query.query("instance", ["name"], ["=[]", "tags", "scale"])
            assert sorted(r["name"] for r in tagged.records()) == names

            # A failure is an outcome, not an exception, and the rest still run.
            bad = {
                "missing": lambda: client.instances.add_tags("no-such-instance", ["x"]),
                names[0]: lambda: client.instances.remove_tags(names[0], ["scale"]),
            }
            mixed = {o.key: o for o in await run_jobs(client, bad)}
            assert not mixed["missing"].ok and mixed["missing"].error is not None
            assert mixed[names[0]].ok

            # A deadline that comes first: nothing is lost. Every job sent is reported
            # with its id (Ganeti knows it), the rest as not submitted.
            hurried = {n: (lambda n=n: client.instances.add_tags(n, ["late"])) for n in names}
            late = await run_jobs(client, hurried, timeout=0.5)
            assert {o.status for o in late} <= {"success", "unknown", "not-submitted"}
            assert any(o.status != "success" for o in late)
            for o in late:
                assert o.job_id is not None or o.status == "not-submitted"
                if o.job_id is not None:
                    assert (await client.job(o.job_id).info()).exists

            small, _ = await fill(client, SMALL, prefix="gone")
            assert all(o.ok for o in small)
            removed = await empty(client, prefix="gone")
            assert sorted(o.key for o in removed if o.ok) == sorted(o.key for o in small)
            names_now = await client.instances.names()
            assert not [n for n in names_now if n.startswith("gone")]
            assert len([n for n in names_now if n.startswith("fill")]) == INSTANCES

    asyncio.run(scenario())
    # Progress was reported as the work went, ending with everything finished.
    assert seen and seen[-1].finished == seen[-1].total == INSTANCES
    assert any(p.finished < p.total for p in seen)
