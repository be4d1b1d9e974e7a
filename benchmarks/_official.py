"""Run by Debian's /usr/bin/python3: the official client (python3-ganeti-rapi) side
of benchmarks/rapi_vs_official.py. Reads its task as JSON on stdin, prints JSON.

The official client is used as its users use it: no certificate verification
(its default), ``WaitForJobCompletion`` with its default 5 s period.
"""

import json
import sys
import time
import tracemalloc

sys.path.insert(0, "/usr/share/ganeti/3.0")

from ganeti.rapi import client as rapi


def main():
    task = json.load(sys.stdin)
    cl = rapi.GanetiRapiClient(
        task["host"], port=task["port"], username=task["user"], password=task["password"]
    )
    out = {}
    if task["what"] == "job_latency":
        lat = []
        for i in range(task["count"]):
            job_id = cl.AddClusterTags([f"bench-official-{i}"])
            cl.WaitForJobCompletion(job_id)
            known = time.time()
            end = cl.GetJobStatus(job_id)["end_ts"]
            lat.append(known - (end[0] + end[1] / 1e6))
            cl.DeleteClusterTags([f"bench-official-{i}"])
        out["latencies"] = lat
    elif task["what"] == "list":
        # What a CLI user of the official client writes for ``gnt-instance list``:
        # the same query fields, one padded table on stdout, as a whole process.
        fields = task["fields"]
        result = cl.Query("instance", fields)
        rows = [
            ["-" if value is None else str(value) for _status, value in row]
            for row in result["data"]
        ]
        header = [field.capitalize() for field in fields]
        widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
            for line in [header, *rows]
        ]
        sys.stdout.write("\n".join(lines) + "\n")
        return
    elif task["what"] == "bulk":
        # Timed rounds without tracemalloc (it slows every allocation), then one
        # round under it for the peak: the same split as ganetiops' side.
        times = []
        for _ in range(task["rounds"]):
            start = time.perf_counter()
            data = cl.GetInstances(bulk=True)
            times.append(time.perf_counter() - start)
        tracemalloc.start()
        data = cl.GetInstances(bulk=True)
        out["peak_bytes"] = tracemalloc.get_traced_memory()[1]
        out["times"] = times
        out["count"] = len(data)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
