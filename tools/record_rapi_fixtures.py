"""Record real RAPI answers from a lab into tests/data/rapi/ (for the model tests).

    sudo .venv/bin/python tools/record_rapi_fixtures.py --context <lab>

It creates a network and two instances (sharedfile and diskless), records the
answers, and removes what it created. The files are data: review before committing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path
from typing import Any

from ganetiops.errors import JobFailed
from ganetiops.rapi import RapiClient
from ganetiops.rapi.call import Params, Route, build_call

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "rapi"


def raw(client: RapiClient, path: str, **query: Any) -> Any:
    call = build_call(Route("GET", path), {}, Params(query=query), reason=None)
    return client.send(call)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--context", required=True)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with RapiClient.from_context(args.context) as client:
        master = client.cluster.info().master or ""
        created = []
        try:
            client.networks.create("svc", "192.0.2.0/24", gateway="192.0.2.1").wait()
            client.networks.connect("svc", "default", mode="bridged", link="br0").wait()
            job = client.instances.create(
                "inst1.homelab.tel",
                disk_template="sharedfile",
                disks=["1G", "512M"],
                nics=[{"link": "br0"}, {"network": "svc", "ip": "pool"}],
                os="noop",
                pnode=master,
                beparams={"maxmem": 256, "minmem": 128, "vcpus": 2},
                tags=["service:test"],
            )
            job.wait()
            created.append("inst1.homelab.tel")
            client.instances.create(
                "inst2.homelab.tel",
                disk_template="diskless",
                disks=[],
                nics=[{}],
                os="noop",
                pnode=master,
                start=False,
            ).wait()
            created.append("inst2.homelab.tel")
            failed = client.instances.create(
                "inst3.homelab.tel",
                disk_template="diskless",
                disks=[],
                nics=[{"link": "br-missing"}],
                os="noop",
                pnode=master,
                start=False,
            )
            with contextlib.suppress(JobFailed):  # the failure is what we record
                failed.wait()
            answers = {
                "info": raw(client, "/2/info"),
                "nodes_bulk": raw(client, "/2/nodes", bulk=1),
                "nodes": raw(client, "/2/nodes"),
                "instances_bulk": raw(client, "/2/instances", bulk=1),
                "instances": raw(client, "/2/instances"),
                "groups_bulk": raw(client, "/2/groups", bulk=1),
                "networks_bulk": raw(client, "/2/networks", bulk=1),
                "job_success": raw(client, f"/2/jobs/{job.id}"),
                "job_failed": raw(client, f"/2/jobs/{failed.id}"),
                "job_unknown": raw(client, "/2/jobs/987654"),
                "jobs_bulk": raw(client, "/2/jobs", bulk=1)[-5:],
                "os": raw(client, "/2/os"),
                "query_instance": client.query.query(
                    "instance", ["name", "pnode", "status", "oper_ram", "disk.sizes"]
                ).raw,
            }
        finally:
            for name in created:
                client.instances.remove(name).wait()
            if "svc" in client.networks.names():
                client.networks.disconnect("svc", "default").wait()
                client.networks.remove("svc").wait()
    for name, value in answers.items():
        (OUT / f"{name}.json").write_text(json.dumps(value, indent=1, sort_keys=True) + "\n")
        print("recorded", name)


if __name__ == "__main__":
    main()
