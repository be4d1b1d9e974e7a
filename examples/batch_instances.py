"""Create a batch of instances concurrently, then remove them (asyncio client).

    python examples/batch_instances.py [--context CONTEXT] [--count 4] [--prefix batch]

Each create is its own Ganeti job, submitted at once; the client keeps at most
``max_connections`` requests in flight (ganeti-rapi serves 20 clients at a time).
The instances are diskless (or the cluster's first enabled template), OS ``noop``,
spread over the vm-capable nodes, and removed again at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from ganetiops import aconnect


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--context")
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--prefix", default="batch")
    args = parser.parse_args()

    async with aconnect(args.context) as client:
        info, nodes = await asyncio.gather(client.cluster.info(), client.nodes.list())
        templates = info.enabled_disk_templates
        template = "diskless" if "diskless" in templates else templates[0]
        disks = [] if template == "diskless" else ["1G"]
        hosts = [n.name for n in nodes if n.vm_capable and not (n.offline or n.drained)]
        names = [f"{args.prefix}{i}" for i in range(1, args.count + 1)]

        started = time.perf_counter()
        jobs = await asyncio.gather(
            *(
                client.instances.create(
                    name,
                    disk_template=template,
                    disks=disks,
                    os="noop",
                    name_check=False,  # names not in DNS: as gnt-instance add --no-name-check
                    ip_check=False,
                    pnode=hosts[i % len(hosts)],
                    nics=[{}],
                    beparams={"memory": "128M"},
                )
                for i, name in enumerate(names)
            )
        )
        print(f"submitted {len(jobs)} creates: jobs {[j.id for j in jobs]}")
        results = await asyncio.gather(*(job.wait(timeout=300) for job in jobs))
        print(f"created {len(results)} instances in {time.perf_counter() - started:.1f} s")

        created = [i for i in await client.instances.list() if i.name in names]
        for inst in sorted(created, key=lambda i: i.name):
            print(f"  {inst.name:12} {inst.status:10} on {inst.pnode}  mac {inst.mac}")
        assert len(created) == len(names), "some instances are missing"

        started = time.perf_counter()
        removals = await asyncio.gather(*(client.instances.remove(n) for n in names))
        await asyncio.gather(*(job.wait(timeout=300) for job in removals))
        print(f"removed {len(names)} instances in {time.perf_counter() - started:.1f} s")
        left = set(names) & set(await client.instances.names())
        assert not left, f"still there: {left}"


if __name__ == "__main__":
    asyncio.run(main())
