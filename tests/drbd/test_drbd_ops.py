"""Every DRBD operation of the library against real DRBD 8.4 and LVM in the DRBD lab.

One instance (``inst1``, a 256 MiB drbd disk, fake hypervisor) goes through the
scenario in order: create with an explicit secondary, failover, migrate, replace-disks
on the secondary, a new secondary (the third node), node evacuation of secondaries,
grow-disk, verify-disks; then the lab goes down and nothing of it remains. Each step
checks what Ganeti reports through RAPI *and* what the nodes' kernels show (``/proc/drbd``,
``lvs``), so a request that Ganeti accepted but that did not do the thing fails.

The tests depend on their order (one tier per module keeps CI lean).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


def test_create_drbd_instance_with_explicit_secondary(drbd_lab: DrbdLab, rapi: RapiClient) -> None:
    job = rapi.instances.create(
        INSTANCE,
        disk_template="drbd",
        disks=["256M"],
        nics=[],
        os="noop",
        name_check=False,  # names not in DNS: as gnt-instance add --no-name-check
        ip_check=False,
        pnode=ALEPH,
        snode=BET,
        beparams={"memory": "64M"},
        wait_for_sync=True,
    )
    job.wait(JOB_TIMEOUT)
    assert _placement(rapi) == (ALEPH, (BET,))
    for node in ("aleph", "bet"):
        state = _drbd_state(drbd_lab, node)
        assert "cs:Connected" in state and "ds:UpToDate/UpToDate" in state, state
        assert _data_lvs(drbd_lab, node), f"no data LV on {node}"
    assert "ro:Primary/Secondary" in _drbd_state(drbd_lab, "aleph")
    assert not _data_lvs(drbd_lab, "gimel")


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


def test_replace_disks_new_secondary_on_the_third_node(drbd_lab: DrbdLab, rapi: RapiClient) -> None:
    rapi.instances.replace_disks(INSTANCE, mode="replace_new_secondary", remote_node=GIMEL).wait(
        JOB_TIMEOUT
    )
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


def test_verify_disks_is_clean(drbd_lab: DrbdLab) -> None:
    done = drbd_lab.run("aleph", ["gnt-cluster", "verify-disks"], check=False)
    text = done.stdout + done.stderr
    assert done.returncode == 0, text
    for problem in ("degraded", "missing", "error", "need activate"):
        assert problem not in text.lower(), text


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
