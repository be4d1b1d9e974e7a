"""Every state captured in tests/data/drbd/samples (real DRBD 8.4.11 + drbd-utils 9.22
outputs, see its README) parsed by every parser, each asserting that state's values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ganetiops.drbd.facts import MARK, parse_node_output, sections
from ganetiops.drbd.parsers import (
    parse_events2,
    parse_proc_drbd,
    parse_status,
    split_brain_minors,
)

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "drbd" / "samples"

# Per state: minor -> (cs, role/peer, disk/peer). Read off each state's /proc/drbd line
# and the README's description of what was done; the other commands must agree
# (drbdadm/drbdsetup status were captured a moment later, see LATER below).
C, WF, SA = "Connected", "WFConnection", "StandAlone"
P_S, S_P, S_S, P_U, S_U = (
    "Primary/Secondary",
    "Secondary/Primary",
    "Secondary/Secondary",
    "Primary/Unknown",
    "Secondary/Unknown",
)
UU, UD = "UpToDate/UpToDate", "UpToDate/DUnknown"
STATES: dict[str, dict[int, tuple[str, str, str]]] = {
    "node1/00-module-loaded-no-resource": {},
    "node2/00-module-loaded-no-resource": {},
    "node1/01-connected-secondary-inconsistent": {0: (C, S_S, "Inconsistent/Inconsistent")},
    "node2/01-connected-secondary-inconsistent": {0: (C, S_S, "Inconsistent/Inconsistent")},
    "node1/02-syncsource-primary": {0: ("SyncSource", P_S, "UpToDate/Inconsistent")},
    "node2/02-synctarget-secondary": {0: ("SyncTarget", S_P, "Inconsistent/UpToDate")},
    "node1/03-uptodate-primary": {0: (C, P_S, UU)},
    "node2/03-uptodate-secondary": {0: (C, S_P, UU)},
    "node1/04-primary-wfconnection-peer-disconnected": {0: (WF, P_U, UD)},
    "node2/04-secondary-standalone": {0: (SA, S_U, UD)},
    "node1/05-resync-after-reconnect-primary": {0: ("SyncSource", P_S, "UpToDate/Inconsistent")},
    "node2/05-resync-after-reconnect-secondary": {0: (C, S_P, UU)},
    "node1/06-verify-target": {0: ("VerifyT", S_P, UU)},
    "node2/06-verify-source": {0: ("VerifyS", P_S, UU)},
    "node1/07-failover-old-primary-now-secondary": {0: (C, S_P, UU)},
    "node2/07-failover-new-primary": {0: (C, P_S, UU)},
    "node1/08-detached-diskless": {0: (C, S_P, "Diskless/UpToDate")},
    "node2/08-peer-diskless": {0: (C, P_S, "UpToDate/Diskless")},
    "node1/09-peer-down-wfconnection": {0: (WF, S_U, UD)},
    "node2/09-down-unconfigured": {},
    "node1/10-ganeti-instance-primary": {0: (C, P_S, UU)},
    "node2/10-ganeti-instance-secondary": {0: (C, S_P, UU)},
    "node1/11-ganeti-after-replace-disks-primary": {0: (C, P_S, UU)},
    "node2/11-ganeti-after-replace-disks-secondary": {0: (C, S_P, UU)},
    "node1/12-ganeti-node1": {0: (C, S_P, UU)},
    "node3/12-ganeti-two-resources-node3": {0: (C, P_S, UU), 1: (C, S_P, UU)},
    "node4/12-ganeti-node4": {0: (C, P_S, UU)},
    "node1/20-paused-sync-source": {0: ("PausedSyncS", P_S, "UpToDate/Inconsistent")},
    "node2/20-paused-sync-target": {0: ("PausedSyncT", S_P, "Inconsistent/UpToDate")},
    "node1/21-primary-peer-outdated-wfconnection": {0: (WF, P_U, UD)},
    "node2/21-disconnected-outdated": {0: (SA, S_U, "Outdated/DUnknown")},
    "node1/22-split-brain-node1": {0: (SA, P_U, UD)},
    "node2/22-split-brain-node2": {0: (SA, P_U, UD)},
    "node1/23-split-brain-resolved-node1": {0: (C, P_S, UU)},
    "node2/23-split-brain-resolved-node2-discarded": {0: (C, S_P, UU)},
}
#: Out-of-sync KiB on /proc/drbd's ``oos:`` (0 unless said).
OOS = {
    "node1/01-connected-secondary-inconsistent": 65496,
    "node2/01-connected-secondary-inconsistent": 65496,
    "node1/02-syncsource-primary": 45720,
    "node2/02-synctarget-secondary": 45720,
    "node1/04-primary-wfconnection-peer-disconnected": 16384,
    "node1/05-resync-after-reconnect-primary": 2788,
    "node1/20-paused-sync-source": 64672,
    "node2/20-paused-sync-target": 64672,
    "node1/22-split-brain-node1": 4096,
    "node2/22-split-brain-node2": 4096,
}
#: /proc/drbd's progress lines: (kind, percent, ETA seconds, speed KiB/s, want KiB/s).
PROGRESS: dict[str, tuple[str, float, int, int, int | None]] = {
    "node1/02-syncsource-primary": ("sync", 31.3, 9, 4944, None),
    "node2/02-synctarget-secondary": ("sync", 31.3, 9, 4944, 4096),
    "node1/05-resync-after-reconnect-primary": ("sync", 100.0, 0, 4532, None),
    "node1/06-verify-target": ("verify", 18.8, 24, 2292, None),
    "node2/06-verify-source": ("verify", 12.5, 27, 2140, 2048),
}
#: ``done:`` of drbdsetup status --verbose --statistics (captured right after /proc/drbd).
DONE = {
    "node1/02-syncsource-primary": 30.82,
    "node2/02-synctarget-secondary": 30.82,
    "node1/05-resync-after-reconnect-primary": 96.37,
    "node1/20-paused-sync-source": 1.26,
    "node2/20-paused-sync-target": 1.26,
}
PAUSED = {"node1/20-paused-sync-source": "user", "node2/20-paused-sync-target": "peer"}
#: States that changed between /proc/drbd and a later command (the resync finished):
#: command -> state -> minor -> (cs, roles, disks).
LATER = {
    "events2": {"node1/05-resync-after-reconnect-primary": {0: (C, P_S, UU)}},
}
#: Ganeti-managed (no drbd.conf): drbdadm status says "no resources defined!".
GANETI = {s for s in STATES if "-ganeti-" in s}
RESOURCE = {s: ("resource0" if s in GANETI else "r0") for s in STATES}

ALL = sorted(STATES)


def test_every_captured_state_has_expectations() -> None:
    captured = {f"{p.parent.name}/{p.name}" for p in SAMPLES.glob("node*/*") if p.is_dir()}
    assert captured == set(STATES)


def read(state: str, command: str) -> str:
    return (SAMPLES / state / f"{command}.txt").read_text()


def status_of(state: str, command: str) -> int:
    err = SAMPLES / state / f"{command}.txt.stderr"
    if not err.exists():
        return 0
    last = err.read_text().strip().splitlines()[-1]
    return int(last.removeprefix("# rc="))


def triple(device: Any) -> tuple[str, str, str]:
    return (
        device.connection,
        f"{device.role}/{device.peer_role}",
        f"{device.disk}/{device.peer_disk}",
    )


@pytest.mark.parametrize("state", ALL)
def test_proc_drbd(state: str) -> None:
    parsed = parse_proc_drbd(read(state, "proc_drbd"))
    assert parsed.version == "8.4.11"
    assert parsed.api == "1"
    assert parsed.unknown == ()
    assert {d.minor: triple(d) for d in parsed.devices} == STATES[state]
    for device in parsed.devices:
        assert device.out_of_sync_kib == OOS.get(state, 0)
        assert device.protocol == (None if device.connection == SA else "C")
        assert device.resync_suspended == PAUSED.get(state)
        progress = PROGRESS.get(state)
        if progress is None:
            assert (device.sync_percent, device.verify_percent, device.eta_seconds) == (
                None,
                None,
                None,
            )
            continue
        kind, percent, eta, speed, want = progress
        assert (device.sync_percent if kind == "sync" else device.verify_percent) == percent
        assert (device.eta_seconds, device.speed_kib, device.want_kib) == (eta, speed, want)


@pytest.mark.parametrize("state", ALL)
def test_drbdsetup_status_verbose_statistics(state: str) -> None:
    parsed = parse_status(read(state, "drbdsetup_status_verbose_statistics"))
    assert parsed.unknown == ()
    assert {d.minor: triple(d) for d in parsed.devices} == STATES[state]
    for device in parsed.devices:
        assert device.resource == (f"resource{device.minor}" if state in GANETI else "r0")
        assert device.volume == 0
        assert device.size_kib in (65496, 262144, 131072)
        if device.syncing:
            assert device.sync_percent == DONE[state]
            assert device.resync_suspended == PAUSED.get(state)
        if device.connected:
            assert device.out_of_sync_kib is not None
        else:
            # A StandAlone resource prints no connection: nothing known of the peer.
            assert device.connection == SA or device.out_of_sync_kib == OOS.get(state, 0)


@pytest.mark.parametrize("state", ALL)
def test_drbdadm_status(state: str) -> None:
    # As ``drbdadm status 2>&1`` gives it: the "no resources" messages are on stderr.
    err = SAMPLES / state / "drbdadm_status.txt.stderr"
    stderr = err.read_text().rsplit("# rc=", 1)[0] if err.exists() else ""
    parsed = parse_status(read(state, "drbdadm_status") + stderr)
    assert parsed.unknown == ()
    if state in GANETI:
        assert parsed.devices == ()
        assert parsed.note is not None and "no resources defined" in parsed.note
        assert status_of(state, "drbdadm_status") == 1
        return
    if state == "node2/09-down-unconfigured":
        assert parsed.note is not None and "No such resource" in parsed.note
        assert status_of(state, "drbdadm_status") == 10
    expected = dict.fromkeys([None], next(iter(STATES[state].values()))) if STATES[state] else {}
    assert {d.minor: triple(d) for d in parsed.devices} == expected
    for device in parsed.devices:
        assert device.resource == "r0"
        if device.connection in ("VerifyS", "VerifyT"):
            assert device.verify_percent == 100.0
        if device.paused:
            assert device.resync_suspended == PAUSED[state]


@pytest.mark.parametrize("state", ALL)
def test_events2(state: str) -> None:
    parsed = parse_events2(read(state, "drbdsetup_events2_now"))
    assert parsed.unknown == ()
    expected = LATER["events2"].get(state, STATES[state])
    assert {d.minor: triple(d) for d in parsed.devices} == expected
    for device in parsed.devices:
        assert device.resource == (RESOURCE[state] if device.minor == 0 else "resource1")
        assert device.out_of_sync_kib is not None
        if device.syncing:
            # events2 of DRBD 8.4 has no ``done:``: the percent comes from size and oos.
            assert device.sync_percent is not None
            assert device.size_kib is not None and device.out_of_sync_kib is not None
            expected_pct = round(100 * (1 - device.out_of_sync_kib / device.size_kib), 1)
            assert device.sync_percent == expected_pct


def test_events2_without_statistics_agrees() -> None:
    for path in sorted(SAMPLES.glob("node*/*/drbdsetup_events2_now_nostats.txt")):
        state = f"{path.parent.parent.name}/{path.parent.name}"
        parsed = parse_events2(path.read_text())
        assert parsed.unknown == ()
        expected = LATER["events2"].get(state, STATES[state])
        assert {d.minor: triple(d) for d in parsed.devices} == expected, state


def node_output(state: str, kernel: str = "") -> str:
    proc = read(state, "proc_drbd")
    events = read(state, "drbdsetup_events2_now")
    return (
        f"{MARK} proc 0\n{proc}{MARK} events2 {status_of(state, 'drbdsetup_events2_now')}\n"
        f"{events}{MARK} kernel 0\n{kernel}"
    )


@pytest.mark.parametrize("state", ALL)
def test_node_fact_merges_proc_and_events2(state: str) -> None:
    node = parse_node_output("n", node_output(state))
    assert node.loaded and node.version == "8.4.11"
    assert node.unknown_lines == ()
    assert node.sources == ("proc", "events2")
    assert {d.minor: triple(d) for d in node.devices} == STATES[state]
    for device in node.devices:
        # names from events2, progress from /proc/drbd
        assert device.resource is not None
        if state in PROGRESS:
            assert device.eta_seconds == PROGRESS[state][2]
        assert not device.split_brain


def kernel_log(node: str, before: float | None = None) -> list[str]:
    lines = (SAMPLES / node / "dmesg-drbd-run2.txt").read_text().splitlines()
    if before is None:
        return lines
    return [line for line in lines if float(line[1:].split("]")[0]) < before]


@pytest.mark.parametrize("node", ["node1", "node2"])
def test_split_brain_from_the_kernel_log(node: str) -> None:
    # State 22 was captured after the split-brain handshake (t=82 s) and before the
    # discard-my-data reconnect of state 23 (t=109 s).
    assert split_brain_minors(kernel_log(node, before=100.0), {"r0": [0]}) == {0}
    assert split_brain_minors(kernel_log(node), {"r0": [0]}) == frozenset()
    node_22 = parse_node_output(
        node,
        node_output(f"{node}/22-split-brain-{node}", "\n".join(kernel_log(node, 100.0))),
    )
    assert [d.split_brain for d in node_22.devices] == [True]
    assert "kernel" in node_22.sources
    # Same log, a connected device: no split brain claimed.
    node_23 = next(SAMPLES.glob(f"{node}/23-*"))
    connected = parse_node_output(
        node, node_output(f"{node}/{node_23.name}", "\n".join(kernel_log(node, 100.0)))
    )
    assert [d.split_brain for d in connected.devices] == [False]


def test_no_drbd_on_the_node() -> None:
    node = parse_node_output("n", f"{MARK} proc 1\n")
    assert not node.loaded and node.devices == () and node.reachable
    assert node.summary == "no DRBD on this node"


def test_module_without_drbdsetup() -> None:
    proc = read("node1/03-uptodate-primary", "proc_drbd")
    node = parse_node_output("n", f"{MARK} proc 0\n{proc}{MARK} events2 127\n\n{MARK} kernel 0\n")
    assert node.loaded and [d.minor for d in node.devices] == [0]
    assert "not installed" in node.problems["events2"]
    assert node.devices[0].resource is None


def test_unknown_lines_are_kept_not_fatal() -> None:
    proc = read("node1/02-syncsource-primary", "proc_drbd") + "\tsomething new: 42 %%\n"
    parsed = parse_proc_drbd(proc)
    assert parsed.unknown == ("\tsomething new: 42 %%",)
    assert parsed.devices[0].sync_percent == 31.3
    events = parse_events2("exists gadget name:r0\nwhat is this\nexists -\n")
    assert events.unknown == ("exists gadget name:r0", "what is this")
    status = parse_status("r0 role:Primary\n  disk:UpToDate\n  ??? !!!\n")
    assert status.unknown == ("  ??? !!!",)
    node = parse_node_output("n", f"{MARK} proc 0\n{proc}")
    assert node.unknown_lines == ("\tsomething new: 42 %%",)


def test_drbd9_compat_proc_has_only_the_version() -> None:
    # The homelab's first line (homelab fact sheet); DRBD 9 lists no minors there.
    text = "version: 9.3.3 (api:2/proto:118-124) (compat 8.4)\nTransports (api:21): tcp (9.3.3)\n"
    parsed = parse_proc_drbd(text)
    assert (parsed.version, parsed.api, parsed.compat) == ("9.3.3", "2", "8.4")
    assert parsed.devices == () and parsed.unknown == ()
    events = read("node3/12-ganeti-two-resources-node3", "drbdsetup_events2_now")
    node = parse_node_output("n", f"{MARK} proc 0\n{text}{MARK} events2 0\n{events}")
    assert node.compat == "8.4"
    assert [(d.minor, d.resource, d.role) for d in node.devices] == [
        (0, "resource0", "Primary"),
        (1, "resource1", "Secondary"),
    ]


def test_sections_of_the_command_output() -> None:
    text = f"{MARK} proc 0\nversion: x\n{MARK} events2 20\nusage\n{MARK} kernel 0\n"
    assert sections(text) == {
        "proc": (0, "version: x"),
        "events2": (20, "usage"),
        "kernel": (0, ""),
    }
