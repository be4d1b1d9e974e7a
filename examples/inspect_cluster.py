"""Inspect a cluster: identity, nodes, instances, recent jobs and capacity (blocking client).

    python examples/inspect_cluster.py [CONTEXT]

CONTEXT defaults to ``GNTPY_CONTEXT`` or the current context (``gnt-py context use``).
"""

from __future__ import annotations

import sys

from tabulate import tabulate

from ganetiops import connect
from ganetiops.display import capacity


def main(context: str | None = None) -> None:
    with connect(context) as client:
        info = client.cluster.info()
        print(f"cluster {info.name} (Ganeti {info.software_version}), master {info.master}")
        print(
            f"hypervisors: {', '.join(info.enabled_hypervisors)}; "
            f"disk templates: {', '.join(info.enabled_disk_templates)}"
        )

        nodes = client.nodes.list()
        print()
        print(
            tabulate(
                [
                    (
                        n.name,
                        n.role,
                        n.pip,
                        n.mfree.human if n.mfree is not None else "?",
                        n.pinst_cnt,
                        n.sinst_cnt,
                    )
                    for n in nodes
                ],
                headers=["node", "role", "primary ip", "free memory", "primaries", "secondaries"],
            )
        )

        instances = client.instances.list()
        print()
        if instances:
            print(
                tabulate(
                    [
                        (
                            i.name,
                            i.status,
                            i.pnode,
                            i.disk_template,
                            i.os,
                            i.memory.human if i.memory is not None else "?",
                            i.mac,
                        )
                        for i in instances
                    ],
                    headers=["instance", "status", "primary", "template", "os", "memory", "mac"],
                )
            )
        else:
            print("no instances")

        jobs = sorted(client.jobs.list(), key=lambda j: j.id)[-5:]
        print()
        print(
            tabulate(
                [(j.id, j.status, "; ".join(j.summary)) for j in jobs],
                headers=["job", "status", "summary"],
            )
        )

        report = capacity(nodes, instances)
        print()
        print(
            tabulate(
                [
                    (
                        c.name,
                        c.primary_instances,
                        c.mem_allocated,
                        c.mem_free,
                        c.n1_headroom,
                        "ok" if c.n1_ok else "NO",
                    )
                    for c in report
                ],
                headers=[
                    "node",
                    "instances",
                    "allocated MiB",
                    "free MiB",
                    "N+1 headroom MiB",
                    "N+1",
                ],
            )
        )
        print(f"\nN+1 redundancy: {'satisfied' if report.n1_ok else 'NOT satisfied'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
