"""The ``pxe`` OS provider's scripts, run as Ganeti runs them, on files in a temp dir."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ganetiops.lab.build import pxe_provider

#: The tools below (zstd included) come from the lab's Debian packages, which CI installs.
pytestmark = pytest.mark.ci_setup

MIB = 1024 * 1024
#: What the scripts need besides bash builtins (zstd is added where a test wants it).
TOOLS = ("dirname", "dd", "stat", "od", "tr", "sed", "cat", "gzip")


@pytest.fixture
def provider(tmp_path: Path) -> Path:
    """A copy of the provider with a known image beside it (wins over Debian's ipxe)."""
    copy = tmp_path / "pxe"
    shutil.copytree(pxe_provider(), copy)
    (copy / "ipxe.img").write_bytes(bytes(range(256)) * 4096 + b"end")  # 1 MiB + 3 bytes
    return copy


def _bin(tmp_path: Path, *, zstd: bool) -> Path:
    """A PATH directory with only the tools a minimal node has."""
    directory = tmp_path / ("bin-zstd" if zstd else "bin")
    directory.mkdir(exist_ok=True)
    for tool in (*TOOLS, "zstd") if zstd else TOOLS:
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"{tool} is not installed")
        link = directory / tool
        if not link.exists():
            link.symlink_to(found)
    return directory


def _run(
    script: Path, tmp_path: Path, *, zstd: bool = False, stdin: bytes = b"", **env: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(script)],
        input=stdin,
        capture_output=True,
        env={"PATH": str(_bin(tmp_path, zstd=zstd)), **env},
        cwd=script.parent,
        timeout=60,
        check=False,
    )


def _disk(path: Path, size: int, fill: bytes = b"\xff") -> Path:
    with path.open("wb") as disk:
        disk.truncate(size)
        for offset in range(0, size, 4 * MIB):
            disk.seek(offset)
            disk.write(fill * min(MIB, size - offset))
    return path


def test_create_writes_the_image_after_zeroing_128_mib(provider: Path, tmp_path: Path) -> None:
    disk = _disk(tmp_path / "disk0", 130 * MIB)
    done = _run(
        provider / "create",
        tmp_path,
        INSTANCE_NAME="inst1",
        HYPERVISOR="fake",
        DISK_COUNT="1",
        DISK_0_PATH=str(disk),
    )
    assert done.returncode == 0, done.stderr
    image = (provider / "ipxe.img").read_bytes()
    data = disk.read_bytes()
    assert len(data) == 130 * MIB
    assert data[: len(image)] == image
    assert data[len(image) : 128 * MIB].count(0) == 128 * MIB - len(image)
    assert data[128 * MIB : 129 * MIB] == b"\xff" * MIB  # beyond 128 MiB: untouched


def test_create_zeroes_all_of_a_small_disk(provider: Path, tmp_path: Path) -> None:
    disk = _disk(tmp_path / "disk0", 3 * MIB + 512)
    done = _run(
        provider / "create",
        tmp_path,
        INSTANCE_NAME="inst1",
        DISK_COUNT="1",
        DISK_0_PATH=str(disk),
    )
    assert done.returncode == 0, done.stderr
    image = (provider / "ipxe.img").read_bytes()
    data = disk.read_bytes()
    assert len(data) == 3 * MIB + 512  # never grows the disk
    assert data.startswith(image)
    assert set(data[len(image) :]) == {0}


def test_create_refuses_a_disk_smaller_than_the_image(provider: Path, tmp_path: Path) -> None:
    disk = _disk(tmp_path / "disk0", MIB)
    done = _run(
        provider / "create", tmp_path, INSTANCE_NAME="i", DISK_COUNT="1", DISK_0_PATH=str(disk)
    )
    assert done.returncode != 0
    assert b"smaller than" in done.stderr
    assert disk.read_bytes() == b"\xff" * MIB


def test_create_needs_ganetis_environment(provider: Path, tmp_path: Path) -> None:
    done = _run(provider / "create", tmp_path, INSTANCE_NAME="i", DISK_COUNT="1")
    assert done.returncode != 0
    assert b"DISK_0_PATH is not set" in done.stderr
    done = _run(
        provider / "create", tmp_path, INSTANCE_NAME="i", DISK_COUNT="0", DISK_0_PATH="/dev/null"
    )
    assert b"has no disk" in done.stderr


@pytest.mark.parametrize("zstd", [False, True], ids=["gzip-only node", "node with zstd"])
def test_export_then_import_restores_the_disk(tmp_path: Path, zstd: bool) -> None:
    provider = pxe_provider()
    source = tmp_path / "source"
    source.write_bytes(os.urandom(MIB) + b"\0" * (3 * MIB))
    exported = _run(provider / "export", tmp_path, zstd=zstd, EXPORT_DEVICE=str(source))
    assert exported.returncode == 0, exported.stderr
    magic = exported.stdout[:4]
    assert magic == b"\x28\xb5\x2f\xfd" if zstd else magic[:2] == b"\x1f\x8b"
    target = tmp_path / "target"
    target.write_bytes(b"\xff" * (4 * MIB))
    imported = _run(
        provider / "import",
        tmp_path,
        zstd=zstd,
        stdin=exported.stdout,
        IMPORT_DEVICE=str(target),
    )
    assert imported.returncode == 0, imported.stderr
    assert target.read_bytes() == source.read_bytes()


def test_import_of_zstd_on_a_node_without_zstd_says_why(tmp_path: Path) -> None:
    provider = pxe_provider()
    source = tmp_path / "source"
    source.write_bytes(b"x" * MIB)
    exported = _run(provider / "export", tmp_path, zstd=True, EXPORT_DEVICE=str(source))
    target = tmp_path / "target"
    target.write_bytes(b"\0" * MIB)
    done = _run(provider / "import", tmp_path, stdin=exported.stdout, IMPORT_DEVICE=str(target))
    assert done.returncode != 0
    assert b"no zstd" in done.stderr


def test_import_refuses_unknown_data(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_bytes(b"\0" * 16)
    done = _run(pxe_provider() / "import", tmp_path, stdin=b"garbage", IMPORT_DEVICE=str(target))
    assert done.returncode != 0
    assert b"unknown image format" in done.stderr
    assert target.read_bytes() == b"\0" * 16


def test_rename_is_a_checked_no_op(tmp_path: Path) -> None:
    ok = _run(pxe_provider() / "rename", tmp_path, OLD_INSTANCE_NAME="a", INSTANCE_NAME="b")
    assert ok.returncode == 0
    missing = _run(pxe_provider() / "rename", tmp_path, INSTANCE_NAME="b")
    assert missing.returncode != 0


def test_provider_files() -> None:
    provider = pxe_provider()
    assert (provider / "ganeti_api_version").read_text().split() == ["10"]
    for script in ("create", "export", "import", "rename"):
        assert os.access(provider / script, os.X_OK)
        assert (provider / script).read_text().startswith("#!/bin/bash\n")
    assert not (provider / "variants.list").exists()  # API 10: no variants, like upstream
