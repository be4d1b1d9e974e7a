"""Rolling maintenance of one node: drain it, migrate its instances away, bring them back.

    python examples/rolling_drain.py [--context CONTEXT] [--node NODE]

1. remember the node's running primary instances;
2. mark the node drained (no new instances land there);
3. migrate every primary off it (one node-migrate job; Ganeti runs the moves as
   child jobs, which ``Job.wait`` follows) — maintenance would happen here;
4. undrain the node and live-migrate each instance back to it.

Without ``--node`` the first non-master node with running instances is used (or the
first non-master node). Job log lines are printed as they come.
"""

from __future__ import annotations

import argparse

from ganetiops import connect
from ganetiops.rapi import RapiClient
from ganetiops.rapi.models import LogEntry


def log(entry: LogEntry) -> None:
    print(f"    job {entry.job_id}: {entry.text}")


def choose_node(client: RapiClient, wanted: str | None) -> str:
    nodes = client.nodes.list()
    if wanted:
        return next(n.name for n in nodes if wanted in (n.name, n.short_name))
    candidates = [n for n in nodes if not n.is_master and not n.offline]
    busy = [n for n in candidates if n.pinst_cnt]
    return (busy or candidates)[0].name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--context")
    parser.add_argument("--node")
    args = parser.parse_args()

    with connect(args.context) as client:
        node = choose_node(client, args.node)
        moved = [i.name for i in client.instances.list() if i.pnode == node and i.is_running]
        print(f"node {node}: running primaries {moved or 'none'}")

        print(f"draining {node}")
        client.nodes.modify(node, drained=True).wait(on_log=log)
        try:
            if moved:
                print(f"migrating {len(moved)} instance(s) off {node}")
                result = client.nodes.migrate(node).wait(on_log=log)
                print(f"  done in {len(result.children)} child job(s)")
            left = client.nodes.get(node).pinst_list
            print(f"primaries left on {node}: {list(left) or 'none'}")
            print("... the node is empty: maintenance would happen here ...")
        finally:
            print(f"undraining {node}")
            client.nodes.modify(node, drained=False).wait(on_log=log)

        for name in moved:
            print(f"migrating {name} back to {node}")
            client.instances.migrate(name, target_node=node).wait(on_log=log)
        back = sorted(i.name for i in client.instances.list() if i.pnode == node)
        print(f"node {node} hosts again: {back or 'none'}")
        assert set(moved) <= set(back), "not every instance came back"


if __name__ == "__main__":
    main()
