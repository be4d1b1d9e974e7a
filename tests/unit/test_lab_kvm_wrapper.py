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


def test_queries_pass_through_untouched(tmp_path: Path) -> None:
    assert _run(tmp_path, "--help") == ["--help"]
    assert _run(tmp_path, "-M", "?") == ["-M", "?"]
