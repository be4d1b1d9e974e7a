"""The lab's kvm_path wrapper (ganetiops/lab/data/qemu-tcg), run with a recording QEMU."""

from __future__ import annotations

import os
import subprocess
from importlib import resources
from pathlib import Path

WRAPPER = Path(str(resources.files("ganetiops.lab").joinpath("data/qemu-tcg")))


def _run(tmp_path: Path, *args: str) -> list[str]:
    fake = tmp_path / "qemu"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    fake.chmod(0o755)
    env = {
        "PATH": os.environ["PATH"],
        "GANETIOPS_LAB_QEMU": str(fake),
        "GANETIOPS_LAB_KVM_LOGS": str(tmp_path / "logs"),
    }
    done = subprocess.run(
        [str(WRAPPER), *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout.splitlines()


def test_a_vm_start_runs_in_software_emulation_with_a_console_log(tmp_path: Path) -> None:
    argv = _run(
        tmp_path,
        "-name", "navidrome", "-m", "256", "-pidfile", "/run/pid/navidrome", "-enable-kvm",
        "-machine", "pc-i440fx-7.2,accel=kvm",
        "-serial", "unix:/run/ctrl/navidrome.serial,server,nowait", "-usb",
    )  # fmt: skip
    assert argv[:2] == ["-accel", "tcg,tb-size=256"]
    assert "-enable-kvm" not in argv
    assert argv[argv.index("-machine") + 1] == "pc-i440fx-7.2"
    chardev = argv[argv.index("-chardev") + 1]
    assert chardev.startswith("socket,id=ganetiops-serial,path=/run/ctrl/navidrome.serial,")
    assert f"logfile={tmp_path}/logs/navidrome.serial" in chardev
    assert argv[argv.index("-serial") + 1] == "chardev:ganetiops-serial"
    assert argv[-1] == "-usb"
    assert (tmp_path / "logs").is_dir()
    # SeaBIOS's serial console: fw_cfg etc/sercon-port holds COM1 (0x3f8) little-endian.
    fw_cfg = argv[argv.index("-fw_cfg") + 1]
    assert fw_cfg.startswith("name=etc/sercon-port,file=")
    assert Path(fw_cfg.split("file=", 1)[1]).read_bytes() == b"\xf8\x03"


def test_serial_tail_drops_terminal_sequences_and_overwritten_progress(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from ganetiops.lab.kvm import serial_log, serial_tail

    facts = SimpleNamespace(state_dir=str(tmp_path))
    log = serial_log(facts, "aleph.homelab.tel", "navidrome")
    log.parent.mkdir(parents=True)
    log.write_bytes(
        b"\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2)\r\n"
        b"http://10.1.100.1/initrd... 12%\rhttp://10.1.100.1/initrd... ok\r\n"
        b"\x1b[1;37miPXE 1.0.0\x1b[0m -- Open Source Network Boot Firmware\r\n\r\n"
    )
    assert serial_tail(facts, "aleph", "navidrome") == [
        "SeaBIOS (version 1.16.2)",
        "http://10.1.100.1/initrd... ok",
        "iPXE 1.0.0 -- Open Source Network Boot Firmware",
    ]


def test_queries_pass_through_untouched(tmp_path: Path) -> None:
    assert _run(tmp_path, "--help") == ["--help"]
    assert _run(tmp_path, "-M", "?") == ["-M", "?"]
