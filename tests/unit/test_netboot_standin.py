"""The lab's boot stand-in hook, and the lab class's initrd format."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from ganetiops.errors import ValidationError
from ganetiops.netboot import standin
from ganetiops.netboot.labclass import cpio_newc
from ganetiops.netboot.standin import hook

ENV = {
    "GANETI_HOOKS_PHASE": "post",
    "GANETI_HOOKS_PATH": "instance-start",
    "GANETI_INSTANCE_OS_TYPE": "pxe",
    "GANETI_INSTANCE_PRIMARY": "bet.homelab.tel",
    "GANETI_INSTANCE_NIC0_MAC": "AA:00:00:12:AB:CD",
    "GANETI_INSTANCE_STATUS": "up",
}


def test_hook_acts_only_for_pxe_on_the_primary() -> None:
    assert hook.boot_mac(ENV, "bet") == "aa-00-00-12-ab-cd"
    assert hook.boot_mac(ENV, "bet.homelab.tel") == "aa-00-00-12-ab-cd"
    assert hook.boot_mac(ENV, "aleph") is None  # the master also runs post hooks
    assert hook.boot_mac({**ENV, "GANETI_INSTANCE_OS_TYPE": "noop"}, "bet") is None
    assert hook.boot_mac({**ENV, "GANETI_INSTANCE_OS_TYPE": "pxe+x"}, "bet") is not None
    assert hook.boot_mac({**ENV, "GANETI_HOOKS_PHASE": "pre"}, "bet") is None
    assert hook.boot_mac({**ENV, "GANETI_INSTANCE_NIC0_MAC": ""}, "bet") is None
    added = {**ENV, "GANETI_HOOKS_PATH": "instance-add"}
    assert hook.boot_mac({**added, "GANETI_INSTANCE_STATUS": "False"}, "bet") is None
    assert hook.boot_mac({**added, "GANETI_INSTANCE_STATUS": "True"}, "bet") is not None


def test_boot_walks_the_homelab_chain() -> None:
    site = {
        "http://boot/nixos/by-mac/aa-00-00-12-ab-cd/ipxe": (
            b"#!ipxe\nset cmdline hostname=navidrome homelab.provision_disks=true\n"
            b"chain http://boot/nixos/by-class/navidrome/ipxe\n"
        ),
        "http://boot/nixos/by-class/navidrome/ipxe": (
            b"#!ipxe\nkernel bzImage init=/nix/store/x/init initrd=initrd ${cmdline}\n"
            b"initrd --name initrd initrd\nboot\nkernel never\n"
        ),
        "http://boot/nixos/by-class/navidrome/bzImage": b"k",
        "http://boot/nixos/by-class/navidrome/initrd": b"i",
    }
    log: list[str] = []
    fetched = hook.boot("http://boot/", "aa-00-00-12-ab-cd", log=log.append, get=site.__getitem__)
    assert fetched == list(site)
    assert len(log) == 4


def test_root_script_variables_expand() -> None:
    variables = {"mac:hexhyp": "aa-00-00-00-00-01"}
    steps = hook.script_steps(
        "#!ipxe\nset boot-url http://10.1.100.1\n"
        "chain --replace --autofree ${boot-url}/nixos/by-mac/${mac:hexhyp}/ipxe\n",
        variables,
    )
    assert steps == [("chain", "http://10.1.100.1/nixos/by-mac/aa-00-00-00-00-01/ipxe")]


def test_standin_files_and_install_command(tmp_path: Path) -> None:
    files = standin.standin_files("http://10.1.100.1/")
    paths = [p for p, _c, _m in files]
    assert "/etc/ganeti/hooks/instance-start-post.d/ganetiops-boot-standin" in paths
    assert "/etc/ganeti/hooks/instance-reboot-post.d/ganetiops-boot-standin" in paths
    config = json.loads(next(c for p, c, _m in files if p == standin.CONFIG_PATH))
    assert config == {"boot_url": "http://10.1.100.1"}
    # Ganeti runs only executables named [a-zA-Z0-9_-]+.
    assert all(Path(p).name.replace("-", "").isalnum() for p in paths[:-1])
    target = tmp_path / "etc/ganeti/hooks/instance-start-post.d/ganetiops-boot-standin"
    command = standin._install_command(str(target), 0o755)
    subprocess.run(["sh", "-c", command], input=files[0][1], text=True, check=True)
    assert target.read_text() == files[0][1]
    assert target.stat().st_mode & 0o777 == 0o755
    assert target.read_text().startswith("#!/usr/bin/python3\n")
    with pytest.raises(ValidationError):
        standin.standin_files("ftp://x")


class Recorder:
    """A lab machine that records the commands it is given (the lab's exec API shape)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[tuple[list[str], str | None]] = []

    def run(
        self,
        command: Sequence[str],
        *,
        input: str | None = None,
        timeout: float = 0,
        check: bool = True,
    ) -> None:
        self.calls.append((list(command), input))


def test_install_standin_writes_every_file_on_every_node() -> None:
    nodes = [Recorder("aleph"), Recorder("bet")]
    assert standin.install_standin(nodes, "http://10.1.100.1") == ["aleph", "bet"]
    for node in nodes:
        assert len(node.calls) == len(standin.standin_files("http://x"))
        assert all(cmd[:2] == ["sh", "-c"] and data for cmd, data in node.calls)


def test_cpio_newc_layout() -> None:
    archive = cpio_newc(
        [("init", 0o100755, b"#!/bin/sh\n", (0, 0)), ("dev/console", 0o020600, b"", (5, 1))]
    )
    assert archive.startswith(b"070701")
    assert len(archive) % 4 == 0
    assert b"init\0" in archive
    assert archive.rstrip(b"\0").endswith(b"TRAILER!!!")
    header = archive[:110]
    assert int(header[54:62], 16) == len(b"#!/bin/sh\n")  # c_filesize
