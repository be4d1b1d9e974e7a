"""Every DRBD operation of the library against real DRBD 8.4 and LVM in the DRBD lab.

One instance (``inst1``, a 256 MiB drbd disk, fake hypervisor) goes through the
scenario in order: create with ``--snode auto`` (ganetiops' pairing policy, its plan
shown first), failover, migrate, replace-disks on the secondary, a new secondary chosen
by Ganeti's ``hail`` (the third node), node evacuation of secondaries, grow-disk; then
gnt-py's own commands: replace-disks ``-p``, replication cut for real (bet's secondary
link down: read from the nodes, migrate and failover refused without ``--force``,
resync once the link is back), migrate ``--cleanup``, a conversion refused while
running, stop, deactivate-disks and activate-disks, conversion drbd -> plain -> drbd
(``-I hail`` refused before sending on Ganeti 3.0, which takes only a named secondary;
restarted); the secondary's VM hard-reset through the QEMU monitor (degraded, migrate
refused, ``cluster recover`` back to UpToDate); ``node maintenance`` and ``node
return`` on the primary; verify-disks; then the lab goes down and nothing of it
remains. Each step checks what Ganeti reports through RAPI *and* what the nodes'
kernels show (``/proc/drbd``, ``lvs``), so a request that Ganeti accepted but that did
not do the thing fails.

The tests depend on their order (one tier per module keeps CI lean).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ganetiops.cli import exits
from ganetiops.drbd.pairing import choose_secondary
from ganetiops.lab import host, procs
from ganetiops.lab.vm import DrbdLab
from ganetiops.lab.vm.drbdlab import ROLE
from ganetiops.rapi import RapiClient

pytestmark = pytest.mark.integration

ALEPH, BET, GIMEL = "aleph.homelab.tel", "bet.homelab.tel", "gimel.homelab.tel"
INSTANCE = "inst1.homelab.tel"
JOB_TIMEOUT = 1800.0


def _lvs(lab: DrbdLab, node: str) -> dict[str, int]:
    """Logical volume name -> size in MiB, in the node's xenvg."""
    done = lab.run(
        node,
        ["lvs", "--noheadings", "--units", "m", "--nosuffix", "-o", "lv_name,lv_size", "xenvg"],
    )
    out = {}
    for line in done.stdout.splitlines():
        if line.split():
            name, size = line.split()
            out[name] = round(float(size))
    return out


def _drbd_state(lab: DrbdLab, node: str) -> str:
    return lab.run(node, ["cat", "/proc/drbd"]).stdout


def _placement(rapi: RapiClient) -> tuple[str | None, tuple[str, ...]]:
    instance = rapi.instances.get(INSTANCE)
    return instance.pnode, instance.snodes


def _data_lvs(lab: DrbdLab, node: str) -> set[str]:
    return {name for name in _lvs(lab, node) if name.endswith("_data")}


def _data_lv_uuids(lab: DrbdLab, node: str) -> set[str]:
    """LVM's own ids of the data volumes: Ganeti's replace-disks gives the new volumes
    the old names (the old ones are renamed, then removed), so only the ids change."""
    done = lab.run(node, ["lvs", "--noheadings", "-o", "lv_name,lv_uuid", "xenvg"])
    return {
        line.split()[1]
        for line in done.stdout.splitlines()
        if len(line.split()) == 2 and line.split()[0].endswith("_data")
    }


def _pairing_line(lines: list[str]) -> int:
    """Where the pairing policy's choice is in the plan: right under the create line."""
    plan = next(
        i for i, line in enumerate(lines) if line.startswith(f"Plan: create instance {INSTANCE} (")
    )
    assert lines[plan + 1].startswith("  Secondary (pairing policy): "), lines[plan : plan + 3]
    return plan + 1


def test_create_drbd_instance_with_the_pairing_policy(drbd_lab: DrbdLab, rapi: RapiClient) -> None:
    """``--snode auto``: the plan shows the policy's secondary (sending nothing), then the
    create puts it there; the choice is the policy's on the nodes as RAPI reports them."""
    argv = ["instance", "create", INSTANCE, "-o", "noop", "-t", "drbd", "-s", "256M",
            "--pnode", ALEPH, "--snode", "auto", "--memory", "64M", "--no-nics",
            "--no-name-check", "--no-ip-check"]  # fmt: skip
    jobs = set(rapi.jobs.ids())
    planned = gnt(drbd_lab, *argv, "--plan")
    assert planned.returncode == 0, planned.stderr
    assert set(rapi.jobs.ids()) == jobs, "--plan sent a job"
    assert _pairing_line(planned.stderr.splitlines()), planned.stderr
    expected = choose_secondary(ALEPH, rapi.nodes.list())
    assert expected.chosen in (BET, GIMEL), expected.lines()
    done = gnt(drbd_lab, *argv, "--yes")
    _ok(done)
    lines = done.stderr.splitlines()
    # The plan comes first (before any job line), the policy's choice right under it.
    at = _pairing_line(lines)
    assert not any(re.search(r"\bjob \d+", line) for line in lines[:at]), lines[:at]
    chosen = lines[at].split(": ", 2)[1].split(",", 1)[0]
    assert f"snode={chosen}" in lines[at - 1]
    assert chosen == expected.chosen, (lines[: at + 5], expected.lines())
    assert f"    not {ALEPH}: it is the primary" in lines, lines
    assert f"instance {INSTANCE} created on" in done.stdout, done.stdout
    assert _placement(rapi) == (ALEPH, (chosen,))
    short = chosen.split(".")[0]
    for node in ("aleph", short):
        state = _drbd_state(drbd_lab, node)
        assert "cs:Connected" in state and "ds:UpToDate/UpToDate" in state, state
        assert _data_lvs(drbd_lab, node), f"no data LV on {node}"
    assert "ro:Primary/Secondary" in _drbd_state(drbd_lab, "aleph")
    third = ({"bet", "gimel"} - {short}).pop()
    assert not _data_lvs(drbd_lab, third)
    if chosen != BET:
        # The scenario below is written for bet as the first secondary: move it there
        # (the pairing's own choice has been checked above).
        rapi.instances.replace_disks(INSTANCE, mode="replace_new_secondary", remote_node=BET).wait(
            JOB_TIMEOUT
        )
    assert _placement(rapi) == (ALEPH, (BET,))


def test_failover_to_the_secondary(drbd_lab: DrbdLab, rapi: RapiClient) -> None:
    rapi.instances.failover(INSTANCE).wait(JOB_TIMEOUT)
    assert _placement(rapi) == (BET, (ALEPH,))
    assert "ro:Primary/Secondary" in _drbd_state(drbd_lab, "bet")


def test_live_migrate_back(drbd_lab: DrbdLab, rapi: RapiClient) -> None:
    rapi.instances.migrate(INSTANCE, mode="live").wait(JOB_TIMEOUT)
    assert _placement(rapi) == (ALEPH, (BET,))
    assert "ro:Primary/Secondary" in _drbd_state(drbd_lab, "aleph")


def test_replace_disks_on_the_secondary(drbd_lab: DrbdLab, rapi: RapiClient) -> None:
    before = _data_lv_uuids(drbd_lab, "bet")
    rapi.instances.replace_disks(INSTANCE, mode="replace_on_secondary").wait(JOB_TIMEOUT)
    after = _data_lv_uuids(drbd_lab, "bet")
    assert _placement(rapi) == (ALEPH, (BET,))
    assert after and after != before, "the secondary's volumes were not replaced"
    assert "ds:UpToDate/UpToDate" in _drbd_state(drbd_lab, "aleph")


def test_replace_disks_new_secondary_chosen_by_hail(drbd_lab: DrbdLab, rapi: RapiClient) -> None:
    """Ganeti's own allocator (htools' ``hail``, relocate mode) chooses the new secondary:
    with aleph the primary and bet the node left, the third node is its only choice."""
    allocators = drbd_lab.run("aleph", ["ls", "/usr/lib/ganeti/iallocators/"]).stdout.split()
    assert "hail" in allocators, allocators
    job = rapi.instances.replace_disks(INSTANCE, mode="replace_new_secondary", iallocator="hail")
    job.wait(JOB_TIMEOUT)
    (op,) = rapi.jobs.get(job.id).ops
    assert (op["OP_ID"], op.get("iallocator"), op.get("remote_node")) == (
        "OP_INSTANCE_REPLACE_DISKS", "hail", None), op  # fmt: skip
    assert _placement(rapi) == (ALEPH, (GIMEL,))
    assert _data_lvs(drbd_lab, "gimel")
    assert not _data_lvs(drbd_lab, "bet"), "the old secondary kept its volumes"
    assert "ds:UpToDate/UpToDate" in _drbd_state(drbd_lab, "gimel")


def test_evacuate_the_secondaries_of_a_node(drbd_lab: DrbdLab, rapi: RapiClient) -> None:
    result = rapi.nodes.evacuate(GIMEL, mode="secondary-only", remote_node=BET).wait(JOB_TIMEOUT)
    assert _placement(rapi) == (ALEPH, (BET,))
    assert result.children, "node evacuation ran no child job"
    assert not _data_lvs(drbd_lab, "gimel")
    assert _data_lvs(drbd_lab, "bet")


def test_grow_disk_waits_for_sync(drbd_lab: DrbdLab, rapi: RapiClient) -> None:
    rapi.instances.grow_disk(INSTANCE, 0, "128M", wait_for_sync=True).wait(JOB_TIMEOUT)
    disks = rapi.instances.get(INSTANCE).disks
    assert disks[0].size == 384
    for node in ("aleph", "bet"):
        sizes = [size for name, size in _lvs(drbd_lab, node).items() if name.endswith("_data")]
        assert sizes == [384], (node, sizes)
        assert "ds:UpToDate/UpToDate" in _drbd_state(drbd_lab, node)


# --- the operations of gnt-py itself, on the same instance ------------------------------


def gnt(lab: DrbdLab, *args: str, timeout: float = JOB_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """gnt-py as a user runs it, on the lab's context (written by the lab's bootstrap)."""
    argv = [sys.executable, "-m", "ganetiops.cli", "--context", lab.name, *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _minors(lab: DrbdLab, node: str) -> list[str]:
    """The configured DRBD minors' lines of ``/proc/drbd`` (none once disks are down)."""
    return [line for line in _drbd_state(lab, node).splitlines() if MINOR_LINE.match(line)]


MINOR_LINE = re.compile(r"^\s*\d+: cs:")


def _health(lab: DrbdLab) -> dict[str, Any]:
    """``gnt-py drbd status`` for the instance, read from the nodes over SSH."""
    fields = ("-o", "name,state,oos,detail", "--format", "json")
    out = _ok(gnt(lab, "drbd", "status", *fields, INSTANCE))
    (record,) = json.loads(out)
    return dict(record)


def _in_sync(lab: DrbdLab, nodes: tuple[str, ...] = ("aleph", "bet")) -> None:
    for node in nodes:
        state = _drbd_state(lab, node)
        assert "cs:Connected" in state and "ds:UpToDate/UpToDate" in state, (node, state)


def test_replace_disks_on_the_primary(drbd_lab: DrbdLab, rapi: RapiClient) -> None:
    primary, secondary = _data_lv_uuids(drbd_lab, "aleph"), _data_lv_uuids(drbd_lab, "bet")
    _ok(gnt(drbd_lab, "instance", "replace-disks", INSTANCE, "-p", "--yes"))
    assert _placement(rapi) == (ALEPH, (BET,))
    after = _data_lv_uuids(drbd_lab, "aleph")
    assert after and after != primary, "the primary's volumes were not replaced"
    assert _data_lv_uuids(drbd_lab, "bet") == secondary, "the secondary's volumes changed"
    _in_sync(drbd_lab)
    assert "ro:Primary/Secondary" in _drbd_state(drbd_lab, "aleph")


def _changes(rapi: RapiClient) -> set[int]:
    """Ids of the jobs that change something (the DRBD reads submit instance-info jobs,
    ``INSTANCE_QUERY_DATA``; those are reads)."""
    return {
        j.id
        for j in rapi.jobs.list()
        if j.id is not None and not all(s.startswith("INSTANCE_QUERY_DATA") for s in j.summary)
    }


def _wait(what: str, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not {what} after {timeout:.0f} s"
        time.sleep(2)


def test_cut_replication_is_read_from_the_nodes_and_guarded(
    drbd_lab: DrbdLab, rapi: RapiClient
) -> None:
    """Issue 14 on real DRBD (and issue 17's first fault on this tier): bet's cable on the
    secondary network is pulled inside the switch namespace; the primary keeps writing."""
    (line,) = _minors(drbd_lab, "aleph")
    minor = line.split(":")[0].strip()
    drbd_lab.set_link("bet", "secondary", up=False)
    try:
        _wait(
            "disconnected",
            lambda: "cs:Connected" not in _drbd_state(drbd_lab, "aleph"),
            timeout=180,
        )
        # Writes while the peer is away are what a resync must carry over.
        drbd_lab.run(
            "aleph",
            ["dd", "if=/dev/urandom", f"of=/dev/drbd{minor}", "bs=1M", "count=16", "oflag=direct"],
        )
        health = _health(drbd_lab)
        assert health["state"] in ("disconnected", "degraded"), health
        assert health["oos"] and health["oos"] >= 16 * 1024, health
        jobs = _changes(rapi)
        for operation in ("migrate", "failover"):
            done = gnt(drbd_lab, "instance", operation, INSTANCE, "--yes")
            text = done.stderr
            assert done.returncode == exits.USAGE, (operation, done.returncode, text)
            assert f"{operation} refused: {INSTANCE} is {health['state']}" in text, text
            assert "--force" in text, text
        forced = gnt(drbd_lab, "instance", "migrate", INSTANCE, "--force", "--plan", "--yes")
        assert forced.returncode == 0, forced.stderr
        assert "WARNING" in forced.stderr and "--force" in forced.stderr, forced.stderr
        assert _changes(rapi) == jobs, "a refused (or planned) operation sent a job"
    finally:
        drbd_lab.set_link("bet", "secondary", up=True)
    seen: set[str] = set()

    def healthy() -> bool:
        seen.add(str(_health(drbd_lab)["state"]))
        return "healthy" in seen

    _wait("back in sync", healthy, timeout=600)
    _in_sync(drbd_lab)
    assert " oos:0" in _drbd_state(drbd_lab, "aleph")
    assert _placement(rapi) == (ALEPH, (BET,))


def test_migrate_cleanup_reconnects_the_disks(drbd_lab: DrbdLab, rapi: RapiClient) -> None:
    done = _ok(gnt(drbd_lab, "instance", "migrate", INSTANCE, "--cleanup", "--yes"))
    assert _placement(rapi) == (ALEPH, (BET,)), done
    _in_sync(drbd_lab)
    assert "ro:Primary/Secondary" in _drbd_state(drbd_lab, "aleph")


def test_conversion_of_the_running_instance_is_refused(drbd_lab: DrbdLab, rapi: RapiClient) -> None:
    jobs = set(rapi.jobs.ids())
    done = gnt(drbd_lab, "instance", "modify", INSTANCE, "-t", "plain", "--yes")
    assert done.returncode == exits.USAGE, done.stderr
    assert "is running: a disk template conversion needs it stopped" in done.stderr
    assert set(rapi.jobs.ids()) == jobs  # not even a read job: RAPI's instance answer


def test_deactivate_then_activate_disks(drbd_lab: DrbdLab, rapi: RapiClient) -> None:
    _ok(gnt(drbd_lab, "instance", "stop", INSTANCE, "--yes"))
    assert not rapi.instances.get(INSTANCE).oper_state
    _ok(gnt(drbd_lab, "instance", "deactivate-disks", INSTANCE, "--yes"))
    for node in ("aleph", "bet"):
        assert not _minors(drbd_lab, node), (node, _drbd_state(drbd_lab, node))
    out = _ok(gnt(drbd_lab, "instance", "activate-disks", INSTANCE))
    assert re.search(rf"^{re.escape(ALEPH)}:disk/0:/dev/drbd\d+$", out, re.M), out
    _in_sync(drbd_lab)


def test_convert_drbd_to_plain(drbd_lab: DrbdLab, rapi: RapiClient) -> None:
    _ok(gnt(drbd_lab, "instance", "modify", INSTANCE, "-t", "plain", "--yes"))
    inst = rapi.instances.get(INSTANCE)
    assert (inst.disk_template, inst.pnode, inst.snodes) == ("plain", ALEPH, ())
    assert _data_lvs(drbd_lab, "aleph"), "the primary lost its data volume"
    assert not _data_lvs(drbd_lab, "bet"), "the old secondary kept its volume"
    assert not any(n.endswith("_meta") for n in _lvs(drbd_lab, "aleph")), "DRBD metadata left"
    assert not _minors(drbd_lab, "aleph") and not _minors(drbd_lab, "bet")


#: The secondary the conversion to drbd gave the instance (set by that test).
PLACED: dict[str, str] = {}


def _secondary() -> str:
    assert "secondary" in PLACED, "the conversion to drbd did not run"
    return PLACED["secondary"]


def test_convert_plain_to_drbd_then_start(drbd_lab: DrbdLab, rapi: RapiClient) -> None:
    """Ganeti 3.1 lets an iallocator (hail) choose a conversion's secondary; 3.0's
    OpInstanceSetParams has no iallocator, so there ``-I hail`` is refused before sending
    and the secondary is named (``-n``)."""
    done = gnt(drbd_lab, "instance", "modify", INSTANCE, "-t", "drbd", "-n", ALEPH, "--yes")
    assert done.returncode == exits.USAGE, done.stderr
    assert f"the new secondary {ALEPH} is {INSTANCE}'s primary node" in done.stderr
    allocators = drbd_lab.run("aleph", ["ls", "/usr/lib/ganeti/iallocators/"]).stdout.split()
    assert "hail" in allocators, allocators
    jobs = set(rapi.jobs.ids())
    hail = ("instance", "modify", INSTANCE, "-t", "drbd", "-I", "hail", "--yes")
    if rapi.facts().version < (3, 1):
        done = gnt(drbd_lab, *hail)
        assert done.returncode == exits.USAGE, done.stderr
        assert "converts to drbd only with a named secondary" in done.stderr, done.stderr
        assert set(rapi.jobs.ids()) == jobs, "the refused conversion sent a job"
        _ok(gnt(drbd_lab, "instance", "modify", INSTANCE, "-t", "drbd", "-n", BET, "--yes"))
        expected_op: tuple[str, str | None, str | None] = ("OP_INSTANCE_SET_PARAMS", None, BET)
    else:
        _ok(gnt(drbd_lab, *hail))
        expected_op = ("OP_INSTANCE_SET_PARAMS", "hail", None)
    inst = rapi.instances.get(INSTANCE)
    assert (inst.disk_template, inst.pnode) == ("drbd", ALEPH)
    (secondary,) = inst.snodes
    assert secondary in (BET, GIMEL), inst.snodes
    PLACED["secondary"] = secondary
    if expected_op[1] == "hail":
        # Ganeti writes hail's choice into the opcode the job keeps (_ConvertPlainToDrbd:
        # self.op.remote_node = ial.result), so the job shows it beside the allocator.
        expected_op = (*expected_op[:2], secondary)
    # The one job sent, and what it asked for.
    (job,) = [rapi.jobs.get(j) for j in set(rapi.jobs.ids()) - jobs if _is_change(rapi, j)]
    (op,) = job.ops
    assert (op["OP_ID"], op.get("iallocator"), op.get("remote_node")) == expected_op, op
    assert job.status == "success", job.status
    assert inst.disks[0].size == 384
    short = secondary.split(".")[0]
    for node in ("aleph", short):
        sizes = [size for name, size in _lvs(drbd_lab, node).items() if name.endswith("_data")]
        assert sizes == [384], (node, sizes)
    third = ({"bet", "gimel"} - {short}).pop()
    assert not _data_lvs(drbd_lab, third), "a volume on the node not chosen"
    _ok(gnt(drbd_lab, "instance", "start", INSTANCE))
    assert rapi.instances.get(INSTANCE).oper_state
    _in_sync(drbd_lab, ("aleph", short))
    assert "ro:Primary/Secondary" in _drbd_state(drbd_lab, "aleph")
    assert _health(drbd_lab)["state"] == "healthy"


def _is_change(rapi: RapiClient, job_id: int) -> bool:
    job = rapi.jobs.get(job_id)
    return not all(s.startswith("INSTANCE_QUERY_DATA") for s in job.summary)


def _boot_id(lab: DrbdLab, node: str) -> str | None:
    done = lab.run(node, ["cat", "/proc/sys/kernel/random/boot_id"], check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def test_hard_reset_of_the_secondary_then_cluster_recover(
    drbd_lab: DrbdLab, rapi: RapiClient
) -> None:
    """Issue 14's power cut: the secondary's VM is hard-reset through the QEMU monitor
    (``system_reset``); it boots with no DRBD configured, the primary keeps running alone.
    Ganeti's watcher is paused (the homelab runs none), so nothing repairs it behind
    ``cluster recover``'s back."""
    secondary = _secondary()
    short = secondary.split(".")[0]
    before = _boot_id(drbd_lab, short)
    assert before
    drbd_lab.run("aleph", ["gnt-cluster", "watcher", "pause", "3600"])
    try:
        drbd_lab.hard_reset(short)
        _wait("rebooted", lambda: _boot_id(drbd_lab, short) not in (None, before), timeout=900)
        drbd_lab.wait_for_ssh(short)
        assert not _minors(drbd_lab, short), _drbd_state(drbd_lab, short)
        health = _health(drbd_lab)
        assert health["state"] == "degraded", health
        assert "has no minor" in str(health["detail"]), health
        assert short in str(health["detail"]), health
        jobs = _changes(rapi)
        done = gnt(drbd_lab, "instance", "migrate", INSTANCE, "--yes")
        assert done.returncode == exits.USAGE, (done.returncode, done.stderr)
        assert f"migrate refused: {INSTANCE} is degraded" in done.stderr, done.stderr
        assert "--force" in done.stderr, done.stderr
        assert _changes(rapi) == jobs, "the refused migrate sent a job"
        dry = _ok(gnt(drbd_lab, "cluster", "recover", "--dry-run"))
        assert f"activate-disks {INSTANCE}: degraded" in dry, dry
        assert _changes(rapi) == jobs, "cluster recover --dry-run sent a job"
        report = _ok(gnt(drbd_lab, "cluster", "recover", "--yes"))
        assert f"activate-disks {INSTANCE}: done" in report, report
        assert "wait-sync: done" in report, report
    finally:
        drbd_lab.run("aleph", ["gnt-cluster", "watcher", "continue"], check=False)
    _in_sync(drbd_lab, ("aleph", short))
    for node in ("aleph", short):
        (line,) = _minors(drbd_lab, node)
        assert "cs:Connected" in line and "ds:UpToDate/UpToDate" in line, (node, line)
    inst = rapi.instances.get(INSTANCE)
    assert inst.oper_state and (inst.pnode, inst.snodes) == (ALEPH, (secondary,))
    assert _health(drbd_lab)["state"] == "healthy"


def test_node_maintenance_then_return(drbd_lab: DrbdLab, rapi: RapiClient) -> None:
    """``node maintenance`` on a node with the instance's primary: drained, the instance
    migrated to its secondary; ``node return``: undrained, in sync, hbal's plan applied;
    nothing degraded. aleph is the master, which Ganeti never drains: refused before
    anything, so the instance first moves to its secondary (the guard lets a migrate
    through again now that DRBD is healthy)."""
    secondary = _secondary()
    jobs = _changes(rapi)
    done = gnt(drbd_lab, "node", "maintenance", ALEPH, "--yes")
    assert done.returncode == exits.USAGE, done.stderr
    assert f"{ALEPH} is the master: Ganeti does not drain the master" in done.stderr
    assert _changes(rapi) == jobs, "the refused maintenance sent a job"
    _ok(gnt(drbd_lab, "instance", "migrate", INSTANCE, "--yes"))
    assert _placement(rapi) == (secondary, (ALEPH,))
    out = _ok(gnt(drbd_lab, "node", "maintenance", secondary, "--yes"))
    assert f"migrate {INSTANCE}: done" in out, out
    assert rapi.nodes.get(secondary).drained
    inst = rapi.instances.get(INSTANCE)
    assert (inst.pnode, inst.snodes) == (ALEPH, (secondary,)) and inst.oper_state, out
    assert not rapi.nodes.get(secondary).pinst_list
    out = _ok(gnt(drbd_lab, "node", "return", secondary, "--yes"))
    assert f"undrain {secondary}: done" in out and "wait-sync: done" in out, out
    assert not rapi.nodes.get(secondary).drained
    _wait("healthy", lambda: _health(drbd_lab)["state"] == "healthy", timeout=600)
    inst = rapi.instances.get(INSTANCE)
    assert inst.oper_state, inst
    nodes = (str(inst.pnode).split(".")[0], *(n.split(".")[0] for n in inst.snodes))
    _in_sync(drbd_lab, nodes)


def test_verify_disks_is_clean(drbd_lab: DrbdLab) -> None:
    done = drbd_lab.run("aleph", ["gnt-cluster", "verify-disks"], check=False)
    text = done.stdout + done.stderr
    assert done.returncode == 0, text
    for problem in ("degraded", "missing", "error", "need activate"):
        assert problem not in text.lower(), text


def test_lab_status_shows_the_cluster(drbd_lab: DrbdLab) -> None:
    argv = [sys.executable, "-m", "ganetiops.cli", "lab", "--name", drbd_lab.name, "status"]
    out = _ok(subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False))
    cluster = drbd_lab.cluster()
    assert f"cluster {cluster.name}: {cluster.url} (context " in out, out
    assert re.search(r"^aleph\s+master\s", out, re.M), out


def test_down_leaves_nothing(drbd_lab: DrbdLab) -> None:
    if os.environ.get("GANETIOPS_DRBD_LAB_REUSE"):
        pytest.skip("a reused DRBD lab is never taken down")
    record = drbd_lab.record()
    assert record is not None
    vms = [p for p in record.processes if p.role == ROLE]
    assert len(vms) == 3 and all(procs.is_alive(p) for p in vms)
    state_dir = drbd_lab.layout.dir
    assert drbd_lab.down()
    assert not any(procs.is_alive(p) for p in vms), "a QEMU process survived"
    assert not any(Path(f"/proc/{p.pid}").exists() and procs.is_alive(p) for p in vms)
    for netns in record.netns:
        assert not host.netns_exists(netns), netns
    for link in record.links:
        assert not host.link_exists(link), link
    assert not state_dir.exists(), "overlays, data disks or seeds left behind"
    mounts = Path("/proc/self/mountinfo").read_text()
    assert str(state_dir) not in mounts
    routes = host.host_routes()
    left = [r for r in routes if any(r.get("dst") == route.dest for route in record.routes)]
    assert not left, left
    assert drbd_lab.record() is None
