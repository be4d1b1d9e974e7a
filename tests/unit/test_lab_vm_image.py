"""The DRBD tier's image build script and lab size: what holds for every release."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from ganetiops.bootstrap import parse_inventory
from ganetiops.cli.app import cli
from ganetiops.errors import ValidationError
from ganetiops.lab.vm import drbdlab, image
from ganetiops.lab.vm.cluster import drbd_inventory


def _chroot_program(script: str) -> str:
    """The program the build script runs inside the chroot (``sh -c '...'``)."""
    found = re.search(r"chroot \"\$ROOT\" /bin/sh -c '(.*?)'", script, re.S)
    assert found, "the build script no longer runs a program in the chroot"
    return found.group(1)


def test_build_script_parses_and_its_chroot_program_is_one_quoted_word() -> None:
    script = image.build_script()
    subprocess.run(["sh", "-n"], input=script, text=True, check=True)
    program = _chroot_program(script)
    # An apostrophe in a comment would end the quoted program early: it ends at
    # the line that passes the packages on.
    assert script.split(program, 1)[1].startswith('\' sh "$@"')
    subprocess.run(["sh", "-n"], input=program, text=True, check=True)


def test_build_script_derives_the_python_version() -> None:
    """bookworm has python3.11, trixie python3.13: no version is written into the script."""
    program = _chroot_program(image.build_script())
    assert not re.search(r"python3\.\d+", program)
    assert "sysconfig" in program and "compileall" in program


def test_every_release_has_its_ganeti() -> None:
    assert image.RELEASES["trixie"].startswith("3.1")
    assert image.ImageSpec(release="trixie").key != image.ImageSpec(release="bookworm").key


def test_lab_size_is_one_to_three_vms(tmp_path: Path) -> None:
    assert drbdlab.DrbdLab("unit", 7, root=tmp_path).node_names == drbdlab.NODE_NAMES
    one = drbdlab.DrbdLab("unit", 7, nodes=1, root=tmp_path)
    assert one.node_names == ("aleph",)
    for bad in (0, 4):
        with pytest.raises(ValidationError, match="1 to 3"):
            drbdlab.DrbdLab("unit", 7, nodes=bad, root=tmp_path)
    with pytest.raises(ValidationError, match="no machine"):
        one.machine("bet")


def test_one_node_inventory_is_valid(tmp_path: Path) -> None:
    lab = drbdlab.DrbdLab("unit", 7, nodes=1, root=tmp_path)
    (tmp_path / "unit").mkdir()
    inventory = parse_inventory(drbd_inventory(lab, lab.node_names))
    assert [n.name for n in inventory.nodes] == ["aleph"]
    assert inventory.cluster.initial_master == "aleph"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "drbd", "--nodes", "4"], "1 to 3 nodes"),
        (["--nodes", "2"], "4 to 36 nodes"),
    ],
)
def test_lab_up_refuses_a_size_its_kind_cannot_have(args: list[str], message: str) -> None:
    done = CliRunner().invoke(cli, ["lab", "--name", "unitx", "up", *args])
    assert done.exit_code == 2
    assert message in done.output
