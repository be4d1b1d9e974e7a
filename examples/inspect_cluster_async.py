"""Inspect a cluster with the asyncio client: every listing fetched concurrently.

python examples/inspect_cluster_async.py [CONTEXT]
"""

from __future__ import annotations

import asyncio
import sys
import time

from ganetiops import aconnect


async def main(context: str | None = None) -> None:
    async with aconnect(context) as client:
        started = time.perf_counter()
        info, nodes, instances, groups, networks, jobs = await asyncio.gather(
            client.cluster.info(),
            client.nodes.list(),
            client.instances.list(),
            client.groups.list(),
            client.networks.list(),
            client.jobs.list(),
        )
        elapsed = time.perf_counter() - started
        print(
            f"cluster {info.name}: {len(nodes)} nodes, {len(instances)} instances, "
            f"{len(groups)} groups, {len(networks)} networks, {len(jobs)} jobs "
            f"(6 requests at once in {elapsed:.2f} s)"
        )
        for group in groups:
            print(f"group {group.name}: {', '.join(group.node_list)}")
        for node in nodes:
            mine = [i.name for i in instances if i.pnode == node.name]
            print(f"  {node.name:24} {node.role:16} {', '.join(mine) or '-'}")
        running = sum(1 for i in instances if i.is_running)
        print(f"{running} of {len(instances)} instances running")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else None))
