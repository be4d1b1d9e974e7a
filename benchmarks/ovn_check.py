"""``ovn check`` over N NICs: ovsdbapp beside ovn-nbctl over SSH, on the lab's real NB.

    sudo .venv/bin/python benchmarks/ovn_check.py --lab NAME [--nics 500]

It makes a logical switch ``ovnbench`` with N generated ports in one transaction
(named by random UUIDs, as a patched Ganeti names them, with "MAC IP" addresses,
port security and requested-chassis; one in ten with a drift), generates the N
matching Ganeti NICs (no instances: the figure is about the OVN side), then runs the
same check three ways, each in a fresh Python process (time and peak memory of that
process):

Each variant runs twice: once timed (wall clock of the whole child: imports,
connections, reads, check), once under tracemalloc for the peak of Python memory.

1. ``ovsdbapp``: connect over TCP, replicate the NB tables, snapshot, check;
2. ``nbctl-bulk``: one ``ovn-nbctl --format=json list Logical_Switch_Port`` over SSH on
   dalet, parsed into the same models, then the same check;
3. ``nbctl-per-port``: one ``ovn-nbctl list Logical_Switch_Port <uuid>`` per NIC over one
   SSH connection, as the Ganeti patch looks a port up.

All three must find the same drift (the script says if not). Removes the switch
afterwards. No assertions beyond that: figures.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

from tabulate import tabulate

HERE = Path(__file__).resolve().parent
SWITCH = "ovnbench"
NODES = ("aleph", "bet", "gimel", "dalet")


def generate(count: int, seed: int = 15) -> list[dict[str, Any]]:
    """N NICs (as dicts) and, per NIC, what its NB port holds (one in ten drifts)."""
    rnd = random.Random(seed)
    out = []
    for i in range(count):
        mac = f"aa:00:00:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"
        ip = f"100.64.{i // 250}.{i % 250 + 2}"
        node = rnd.choice(NODES)
        nic = {
            "instance": f"bench{i}",
            "index": 0,
            "uuid": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
            "mac": mac,
            "ip": ip,
            "network": SWITCH,
            "pnode": f"{node}.homelab.tel",
            "running": True,
        }
        chassis = node if i % 10 else rnd.choice([n for n in NODES if n != node])
        out.append({"nic": nic, "chassis": chassis})
    return out


def populate(nb_remote: str, items: list[dict[str, Any]]) -> None:
    from ganetiops.ovn.db import Function, Northbound

    with Northbound(nb_remote, timeout=60) as nb:

        def make(api: Any, txn: Any) -> None:
            ls = txn.insert(api.tables["Logical_Switch"])
            ls.name = SWITCH
            for item in items:
                nic = item["nic"]
                row = txn.insert(api.tables["Logical_Switch_Port"])
                row.name = nic["uuid"]
                row.addresses = [f"{nic['mac']} {nic['ip']}"]
                row.port_security = [f"{nic['mac']} {nic['ip']}"]
                row.options = {"requested-chassis": item["chassis"]}
                ls.addvalue("ports", row)

        nb.commit([Function(nb.api, make, "bench ports")], what="benchmark ports")


def remove(nb_remote: str) -> None:
    from ganetiops.ovn.db import Northbound

    with Northbound(nb_remote, timeout=60) as nb:
        if nb.snapshot().switch(SWITCH) is not None:
            nb.delete_switch(SWITCH)


# -- one variant, in a child process ----------------------------------------------------------


def _nics(task: dict[str, Any]) -> list[Any]:
    from ganetiops.ovn.ganeti import GanetiNic

    return [GanetiNic(**item["nic"]) for item in task["items"]]


def _bindings() -> dict[str, Any]:
    from ganetiops.ovn.ganeti import SwitchBinding

    return {SWITCH: SwitchBinding(SWITCH, SWITCH)}


def _nbctl_rows(text: str) -> list[dict[str, Any]]:
    """``ovn-nbctl --format=json list`` -> row dicts as :func:`row_to_dict` gives them."""
    data = json.loads(text)
    heads = data["headings"]

    def atom(value: Any) -> Any:
        if isinstance(value, list) and len(value) == 2 and value[0] in ("uuid", "named-uuid"):
            return value[1]
        if isinstance(value, list) and len(value) == 2 and value[0] == "set":
            return [atom(v) for v in value[1]]
        if isinstance(value, list) and len(value) == 2 and value[0] == "map":
            return {atom(k): atom(v) for k, v in value[1]}
        return value

    rows = []
    for raw in data["data"]:
        row = {h: atom(v) for h, v in zip(heads, raw, strict=True)}
        row["_uuid"] = row.get("_uuid")
        rows.append(row)
    return rows


def run_variant(task: dict[str, Any]) -> dict[str, Any]:
    if task["trace"]:
        tracemalloc.start()
    started = time.perf_counter()
    from ganetiops.ovn import check as checks

    variant = task["variant"]
    if variant == "ovsdbapp":
        from ganetiops.ovn.db import Northbound

        with Northbound(task["nb"], timeout=60) as nb:
            snapshot = nb.snapshot()
        calls = 1
    else:
        import asyncio

        from ganetiops.ovn.db import snapshot_from_rows
        from ganetiops.ssh import Host, HostKeys, Nodes, SshSettings

        settings = SshSettings(
            HostKeys(known_hosts=[task["known_hosts"]]), client_keys=(task["key"],)
        )
        host = Host("dalet", task["dalet"])
        base = f"ovn-nbctl --db={task['nb']} --format=json"

        async def fetch() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
            async with Nodes([host], settings) as nodes:
                conn = await nodes.connection("dalet")
                switches = _nbctl_rows(
                    (await conn.run(f"{base} list Logical_Switch")).check().stdout
                )
                if variant == "nbctl-bulk":
                    out = await conn.run(f"{base} list Logical_Switch_Port")
                    return switches, _nbctl_rows(out.check().stdout), 2
                ports = []
                for item in task["items"]:
                    out = await conn.run(f"{base} list Logical_Switch_Port {item['nic']['uuid']}")
                    ports += _nbctl_rows(out.check().stdout)
                return switches, ports, 1 + len(task["items"])

        switch_rows, port_rows, calls = asyncio.run(fetch())
        snapshot = snapshot_from_rows(
            {"Logical_Switch": switch_rows, "Logical_Switch_Port": port_rows}
        )
    report = checks.check(_nics(task), _bindings(), snapshot)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if task["trace"] else 0
    return {
        "variant": variant,
        "seconds": seconds,
        "calls": calls,
        "python_peak_mib": peak / 2**20,
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "findings": sorted([f.kind, f.port] for f in report.findings),
    }


def child(task: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child"],
        input=json.dumps(task),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lab", default="lab")
    parser.add_argument("--nics", type=int, default=500)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_variant(json.loads(sys.stdin.read()))))
        return
    from ganetiops.lab import Lab

    lab = Lab(args.lab)
    facts = lab.facts()
    dalet = facts.node("dalet").primary_ip
    lab.check_route(dalet)  # fail closed: the lab's address goes into the lab only
    items = generate(args.nics)
    remove(facts.ovn_nb)
    populate(facts.ovn_nb, items)
    try:
        task = {
            "items": items,
            "nb": facts.ovn_nb,
            "dalet": dalet,
            "key": facts.workstation_key,
            "known_hosts": facts.known_hosts,
        }
        results = []
        for variant in ("ovsdbapp", "nbctl-bulk", "nbctl-per-port"):
            # Timed without tracemalloc (it slows Python several times), then measured.
            timed = child({**task, "variant": variant, "trace": False})
            traced = child({**task, "variant": variant, "trace": True})
            results.append({**timed, "python_peak_mib": traced["python_peak_mib"]})
            same_here = timed["findings"] == traced["findings"]
            assert same_here, f"{variant}: two runs disagree"
    finally:
        remove(facts.ovn_nb)
    same = all(r["findings"] == results[0]["findings"] for r in results)
    base = results[0]["seconds"]
    rows = [
        [
            r["variant"],
            r["calls"],
            f"{r['seconds']:.2f}",
            f"{r['seconds'] / base:.1f}x",
            f"{r['python_peak_mib']:.1f}",
            f"{r['max_rss_mib']:.0f}",
            len(r["findings"]),
        ]
        for r in results
    ]
    print(f"ovn check over {args.nics} NICs (generated ports), lab {lab.name}")
    print(
        tabulate(
            rows,
            headers=[
                "variant",
                "NB calls",
                "seconds",
                "vs ovsdbapp",
                "py peak MiB",
                "max RSS MiB",
                "findings",
            ],
        )
    )
    print("same findings in all three:", "yes" if same else "NO")


if __name__ == "__main__":
    main()
