"""More labs beside the session's: bare, RAPI on loopback, refused prefixes, clean down.

These use their own labs in free slots (``lab_factory``), so that taking them down
never touches the session lab.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ganetiops.config import load_config
from ganetiops.errors import LabError
from ganetiops.lab import Lab, free_slot, topology
from ganetiops.lab.host import conflicting_routes, host_routes, link_exists, netns_exists
from ganetiops.lab.procs import is_alive, is_running, start_time

pytestmark = pytest.mark.integration


def test_bare_lab_has_prepared_nodes_and_no_cluster(bare_lab: Lab) -> None:
    facts = bare_lab.facts()
    assert facts.cluster is None
    with pytest.raises(LabError, match="bare"):
        bare_lab.cluster()
    for node in facts.nodes:
        machine = bare_lab.machine(node.name)
        assert not machine.path("/var/lib/ganeti/config.data").exists()
        assert machine.path("/srv/ganeti/os/pxe/create").exists()
        assert machine.path("/etc/ganeti/file-storage-paths").read_text().split() == [
            "/srv/ganeti/file-storage",
            "/srv/ganeti/shared-file-storage",
        ]
        bare_lab.check_route(node.primary_ip)
        with socket.create_connection((node.primary_ip, 22), timeout=10) as ssh:
            assert ssh.recv(64).startswith(b"SSH-2.0-")
    roles = {m.name: m.role for m in bare_lab.status().machines}
    assert roles == {"aleph": "-", "bet": "-", "gimel": "-", "dalet": "-", "boot": "boot server"}


def test_up_refuses_a_prefix_routed_elsewhere(
    lab_factory: Callable[..., Lab], lab_name_base: str
) -> None:
    slot = free_slot()
    plan = topology.AddressPlan.for_slot(slot)
    squatter = f"{plan.secondary.network_address}/25"
    subprocess.run(["ip", "route", "add", "blackhole", squatter], check=True)
    try:
        assert conflicting_routes(host_routes(), plan.prefixes)
        refused = Lab(f"{lab_name_base[:8]}xr", slot)
        with pytest.raises(LabError, match="already routed"):
            refused.up(bare=True)
        assert refused.record() is None
        assert not any(netns_exists(ns) for ns in refused.names.all_netns())
    finally:
        subprocess.run(["ip", "route", "del", "blackhole", squatter], check=True)


def test_loopback_rapi_lab_and_a_down_that_leaves_nothing(
    lab_factory: Callable[..., Lab],
) -> None:
    spare = lab_factory(bare=False, rapi_bind="loopback")
    facts = spare.facts()
    cluster = spare.cluster()
    assert cluster.rapi_bind == "loopback"

    # RAPI answers on the master's loopback only, as in the homelab.
    inside = spare.run(
        "aleph",
        ["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "https://127.0.0.1:5080/2/info"],
    )
    assert inside.stdout == "401"
    spare.check_route(cluster.ip)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((cluster.ip, 5080), timeout=10).close()
    context = load_config().context(spare.name)
    assert context.url is None
    assert context.ssh is not None
    assert context.ssh.nodes == tuple(n.primary_ip for n in facts.nodes)

    # Everything the lab started, including the daemons Ganeti started itself.
    record = spare.record()
    assert record is not None
    recorded = list(record.processes)
    ganeti = []
    for node in facts.nodes:
        for pidfile in spare.machine(node.name).path("/run/ganeti").glob("*.pid"):
            pid = int(pidfile.read_text().split()[0])
            ganeti.append((pid, start_time(pid)))
    assert len(ganeti) >= 2 * len(facts.nodes)

    plan = spare.plan
    assert spare.down() is True

    assert not any(netns_exists(ns) for ns in spare.names.all_netns())
    assert not link_exists(spare.names.workstation_link)
    assert not conflicting_routes(host_routes(), plan.prefixes)
    assert not any(is_alive(p) for p in recorded)
    # (A killed daemon may linger as a zombie until init reaps it: dead all the same.)
    assert not any(is_running(pid) and start_time(pid) == t for pid, t in ganeti)
    with open("/proc/self/mountinfo") as mounts:
        assert facts.state_dir not in mounts.read()
    assert not Path(facts.state_dir).exists()
    assert spare.name not in load_config().contexts
    assert spare.down() is False
    assert spare.status().phase == "down"


def test_down_of_a_lab_that_never_was(lab_factory: Callable[..., Lab], lab_name_base: str) -> None:
    never = Lab(f"{lab_name_base[:8]}xn")
    assert never.down() is False
    assert never.status().phase == "down"
