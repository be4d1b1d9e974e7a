"""The DRBD lab's QEMU monitor: on every VM's command line, and the QMP exchange of a
hard reset.

The exchange is tested against a small QMP speaker on a real Unix socket (it answers
as QEMU 7.2 does: greeting, capabilities, the command, with an event in between); the
reset of a real VM runs in tests/drbd/test_drbd_ops.py.
"""

from __future__ import annotations

import json
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ganetiops.errors import LabError, ValidationError
from ganetiops.lab import topology
from ganetiops.lab.vm import DrbdLab, qemu


def _vm(directory: Path) -> qemu.VmSpec:
    plan = topology.AddressPlan.for_slot(7)
    return qemu.VmSpec(
        name="bet",
        fqdn=topology.fqdn("bet"),
        primary_ip=plan.primary_ip("bet"),
        secondary_ip=plan.secondary_ip("bet"),
        prefix_len=24,
        index=2,
        slot=7,
        directory=directory / "bet",
    )


def test_every_vm_has_a_qmp_monitor_on_a_unix_socket_only(tmp_path: Path) -> None:
    vm = _vm(tmp_path)
    argv = qemu.qemu_argv(vm, kernel=Path("/k"), initrd=Path("/i"), switch_netns="sw")
    assert argv[argv.index("-qmp") + 1] == f"unix:{vm.monitor},server=on,wait=off"
    assert vm.monitor.parent == vm.directory
    assert "-monitor" not in argv and not any("tcp:" in word for word in argv)


@pytest.fixture
def short_dir() -> Iterator[Path]:
    # A Unix socket path has at most 107 bytes: pytest's tmp_path can be longer.
    with tempfile.TemporaryDirectory(prefix="qmp", dir="/tmp") as name:
        yield Path(name)


def _speaker(path: Path, answers: dict[str, Any], seen: list[str]) -> threading.Thread:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def serve() -> None:
        conn, _ = server.accept()
        with conn, server:
            stream = conn.makefile("rwb")
            greeting = {"QMP": {"version": {"qemu": {"major": 7}}, "capabilities": ["oob"]}}
            stream.write(json.dumps(greeting).encode() + b"\n")
            stream.flush()
            for line in stream:
                command = json.loads(line)["execute"]
                seen.append(command)
                if command == "system_reset":
                    event = {"event": "RESET", "data": {"guest": False, "reason": "host-qmp"}}
                    stream.write(json.dumps(event).encode() + b"\n")
                stream.write(json.dumps(answers.get(command, {"return": {}})).encode() + b"\n")
                stream.flush()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_monitor_command_does_the_handshake_then_the_command(short_dir: Path) -> None:
    path, seen = short_dir / "m.sock", list[str]()
    thread = _speaker(path, {}, seen)
    assert qemu.monitor_command(path, "system_reset") == {}
    thread.join(5)
    assert seen == ["qmp_capabilities", "system_reset"]


def test_a_qmp_error_is_a_lab_error(short_dir: Path) -> None:
    path, seen = short_dir / "m.sock", list[str]()
    error = {"error": {"class": "GenericError", "desc": "guest is not running"}}
    _speaker(path, {"system_reset": error}, seen)
    with pytest.raises(LabError, match="QMP system_reset: guest is not running"):
        qemu.monitor_command(path, "system_reset")


def test_no_socket_and_unknown_commands_are_refused(short_dir: Path) -> None:
    with pytest.raises(LabError, match="no QEMU monitor at"):
        qemu.monitor_command(short_dir / "absent.sock", "system_reset")
    with pytest.raises(LabError, match="'quit' is not one the lab sends"):
        qemu.monitor_command(short_dir / "absent.sock", "quit")


def test_hard_reset_of_an_unknown_vm_is_refused(tmp_path: Path) -> None:
    lab = DrbdLab("h0test", root=tmp_path)
    with pytest.raises(ValidationError, match="no VM 'zayin'"):
        lab.hard_reset("zayin")
    with pytest.raises(LabError, match="not up"):
        lab.hard_reset("bet.homelab.tel")
