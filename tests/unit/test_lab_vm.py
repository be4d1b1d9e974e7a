"""The DRBD lab's pure parts: image key, VM command line, seed disk, inventory, preflight."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from ganetiops.bootstrap import parse_inventory
from ganetiops.errors import LabError, ValidationError
from ganetiops.lab import host, topology
from ganetiops.lab.vm import drbdlab, image, qemu
from ganetiops.lab.vm.cluster import drbd_inventory


def _vm(tmp_path: Path, name: str = "bet", index: int = 2) -> qemu.VmSpec:
    plan = topology.AddressPlan.for_slot(7)
    return qemu.VmSpec(
        name=name,
        fqdn=topology.fqdn(name),
        primary_ip=plan.primary_ip(name),
        secondary_ip=plan.secondary_ip(name),
        prefix_len=24,
        index=index,
        slot=7,
        directory=tmp_path / name,
    )


def test_image_key_follows_every_input() -> None:
    base = image.ImageSpec()
    assert base.key == image.ImageSpec().key  # stable
    assert image.ImageSpec(release="trixie").key != base.key
    assert image.ImageSpec(packages=(*base.packages, "socat")).key != base.key
    assert image.ImageSpec(mirror="http://mirror.example/debian").key != base.key
    # the order of the package list does not matter
    assert image.ImageSpec(packages=tuple(reversed(base.packages))).key == base.key
    assert base.name.startswith("bookworm-")


def test_unknown_release_is_refused() -> None:
    with pytest.raises(ValidationError, match="bookworm"):
        image.ImageSpec(release="sid")


def test_find_image_needs_every_file(tmp_path: Path) -> None:
    spec = image.ImageSpec()
    directory = tmp_path / spec.name
    directory.mkdir()
    for name in ("vmlinuz", "initrd.img", "root.qcow2"):
        (directory / name).write_text("x")
    assert image.find_image(spec, tmp_path) is None  # no manifest: an unfinished build
    (directory / "manifest.json").write_text("{}")
    found = image.find_image(spec, tmp_path)
    assert found is not None and found.root == directory / "root.qcow2"


def test_qemu_is_tcg_in_the_switch_namespace(tmp_path: Path) -> None:
    vm = _vm(tmp_path)
    argv = qemu.qemu_argv(vm, kernel=Path("/k"), initrd=Path("/i"), switch_netns="qemu-sw")
    assert argv[:5] == ["ip", "netns", "exec", "qemu-sw", qemu.QEMU]
    assert argv[argv.index("-accel") + 1] == "tcg,tb-size=256"
    assert not any("kvm" in word for word in argv)
    text = " ".join(argv)
    assert "ifname=bet-p," in text and "ifname=bet-s," in text
    assert "script=no,downscript=no" in text
    assert text.count("virtio-blk-pci") == 3
    assert "serial=seed" in text and "readonly=on" in text
    assert vm.mac(0) != vm.mac(1) and vm.mac(0) != _vm(tmp_path, "gimel", 3).mac(0)


def test_kernel_command_line_names_the_node(tmp_path: Path) -> None:
    line = _vm(tmp_path).kernel_command_line().split()
    assert "ganetiops.name=bet" in line
    assert "ganetiops.ip=10.107.100.3/24" in line
    assert "ganetiops.ip2=10.107.97.3/24" in line
    assert "net.ifnames=0" in line and "root=/dev/vda" in line


def test_seed_tar_holds_the_files_with_their_modes() -> None:
    raw = qemu.seed_tar(
        {
            "/root/.ssh/id_ed25519": ("PRIVATE", 0o600),
            "/etc/hosts": ("127.0.0.1 localhost\n", 0o644),
        }
    )
    assert len(raw) % 512 == 0
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert members["root/.ssh"].isdir() and members["root/.ssh"].mode == 0o700
        assert members["root/.ssh/id_ed25519"].mode == 0o600
        handle = tar.extractfile("etc/hosts")
        assert handle is not None and handle.read() == b"127.0.0.1 localhost\n"


def test_taps_go_on_the_lab_bridges(tmp_path: Path) -> None:
    lines = qemu.tap_batch(_vm(tmp_path), ("pri", "sec"))
    assert lines == [
        "tuntap add name bet-p mode tap",
        "link set bet-p master pri up",
        "tuntap add name bet-s mode tap",
        "link set bet-s master sec up",
    ]


def test_drbd_inventory_is_a_valid_bootstrap_inventory(tmp_path: Path) -> None:
    lab = drbdlab.DrbdLab("unit", 7, root=tmp_path)
    (tmp_path / "unit").mkdir()
    inventory = parse_inventory(drbd_inventory(lab, drbdlab.NODE_NAMES))
    cluster = inventory.cluster
    assert cluster.enabled_disk_templates == ("drbd", "plain")
    assert cluster.volume_group == "xenvg"
    assert cluster.drbd_usermode_helper == "/bin/true"
    assert [n.name for n in inventory.nodes] == ["aleph", "bet", "gimel"]
    assert inventory.node("gimel").secondary == "10.107.97.4"
    assert cluster.address == "10.107.100.254"


def test_preflight_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host, "require_root", lambda: None)
    monkeypatch.setattr(shutil, "which", lambda tool, **_: None)
    with pytest.raises(LabError) as caught:
        drbdlab.preflight(build=True)
    message = str(caught.value)
    assert "qemu-system-x86_64" in message and "debootstrap" in message
    assert "apt-get install" in message


def test_preflight_refuses_too_little_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host, "require_root", lambda: None)
    monkeypatch.setattr(shutil, "which", lambda tool, **_: f"/usr/bin/{tool}")
    monkeypatch.setattr(os.path, "exists", lambda path: True)
    monkeypatch.setattr(drbdlab, "_available_mib", lambda: 900)
    with pytest.raises(LabError, match="MiB of free memory"):
        drbdlab.preflight(build=False)


def test_record_kind() -> None:
    assert drbdlab.record_kind(None) == "namespace"
