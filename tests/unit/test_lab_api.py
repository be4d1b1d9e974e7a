"""The lab's Python API without a lab: validation, command lines, processes, CLI errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ganetiops.cli import exits
from ganetiops.cli.app import cli
from ganetiops.cli.state import run
from ganetiops.errors import LabError, ValidationError
from ganetiops.lab import Lab, Machine, host, procs
from ganetiops.lab.record import ProcessEntry


def _me() -> ProcessEntry:
    """This test process, standing in as a (live, real) namespace holder."""
    started = procs.start_time(os.getpid())
    assert started is not None
    return ProcessEntry(os.getpid(), started, "aleph", "holder")


def test_machine_command_line() -> None:
    argv = Machine("aleph", _me()).argv(["gnt-node", "list"], env={"TERM": "xterm"})
    assert argv[:8] == ["nsenter", "-t", str(os.getpid()), "-m", "-u", "-n", "--", "env"]
    assert argv[8] == "-i"
    assert f"PATH={host.CLEAN_ENV['PATH']}" in argv
    assert "TERM=xterm" in argv
    assert argv[-5:] == ["prlimit", "--nofile=1024:1024", "--", "gnt-node", "list"]
    assert not any(".venv" in word or "pyenv" in word for word in argv)


def test_boot_server_commands_run_in_its_root() -> None:
    boot = Machine("boot", _me(), chroot="/state/machines/boot/fs")
    argv = boot.argv(["ls", "/usb1-part1/http"])
    assert argv[7:9] == ["chroot", "/state/machines/boot/fs"]
    assert boot.path("/etc/passwd") == Path(
        f"/proc/{os.getpid()}/root/state/machines/boot/fs/etc/passwd"
    )
    assert Machine("aleph", _me()).path("/var/lib/ganeti") == Path(
        f"/proc/{os.getpid()}/root/var/lib/ganeti"
    )


def test_a_reused_pid_is_not_the_recorded_holder() -> None:
    me = _me()
    impostor = ProcessEntry(me.pid, me.start_time + 1, "aleph", "holder")
    with pytest.raises(LabError, match="not running"):
        Machine("aleph", impostor).argv(["true"])
    assert not procs.is_alive(impostor)
    assert procs.is_alive(me)


def test_spawned_process_is_identified_and_stopped(tmp_path: Path) -> None:
    log = tmp_path / "sleep.log"
    pid = procs.spawn(["sleep", "30"], env=host.CLEAN_ENV, log=log)
    started = procs.start_time(pid)
    assert started is not None
    entry = ProcessEntry(pid, started, "x", "sleep")
    assert procs.is_alive(entry)
    assert os.getsid(pid) == pid  # its own session: no terminal signal reaches it
    assert procs.terminate([pid], grace=5) == []
    assert not procs.is_alive(entry)
    assert log.exists()


def test_spawn_of_a_missing_program() -> None:
    with pytest.raises(LabError, match="cannot start"):
        procs.spawn(["/nonexistent/program"], env=host.CLEAN_ENV, log=None)


def test_wait_for_names_what_it_waited_for() -> None:
    with pytest.raises(LabError, match=r"timed out after 0\.1 s waiting for the moon"):
        procs.wait_for(lambda: False, timeout=0.1, what="the moon")


def test_run_reports_the_command_and_its_error() -> None:
    with pytest.raises(LabError, match=r"sh -c 'echo oops >&2; exit 3' failed \(exit 3\): oops"):
        host.run(["sh", "-c", "echo oops >&2; exit 3"])
    assert host.run(["sh", "-c", "exit 3"], check=False).returncode == 3


def test_lab_arguments_are_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError):
        Lab("Bad Name")
    with pytest.raises(ValidationError):
        Lab("dev1", 100)
    with pytest.raises(ValidationError, match="rapi_bind"):
        Lab("dev1", 1, rapi_bind="public")
    monkeypatch.setenv("GANETIOPS_LAB_SLOT", "one")
    with pytest.raises(ValidationError, match="GANETIOPS_LAB_SLOT"):
        Lab.from_env()
    monkeypatch.setenv("GANETIOPS_LAB_SLOT", "4")
    monkeypatch.setenv("GANETIOPS_LAB", "dev4")
    monkeypatch.setenv("GANETIOPS_LAB_ROOT", str(tmp_path))
    lab = Lab.from_env()
    assert (lab.name, lab.slot, lab.layout.dir) == ("dev4", 4, tmp_path / "dev4")
    assert lab.plan.cluster_ip == "10.104.100.254"


def test_a_lab_that_is_not_up(tmp_path: Path) -> None:
    assert Lab(root=tmp_path).slot == 0
    lab = Lab("dev2", root=tmp_path)
    with pytest.raises(LabError, match="no slot yet"):
        _ = lab.slot
    with pytest.raises(LabError, match="not up"):
        lab.facts()
    with pytest.raises(LabError, match="not up"):
        lab.machine("aleph")
    with pytest.raises(ValidationError, match="no lab machine 'zeta'"):
        lab.machine("zeta")
    assert not lab.is_up()
    assert lab.status().phase == "down"
    assert lab.record() is None


def test_non_root_gets_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Simulated: the test suite runs as root in CI, so geteuid is made to say otherwise."""
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    for command in (["lab", "up"], ["lab", "down"], ["lab", "status"]):
        assert run(cli, command) == exits.ERROR
        assert "the lab needs root" in capsys.readouterr().err
