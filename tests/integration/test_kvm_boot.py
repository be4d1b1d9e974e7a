"""The headline for real: ``gnt-py instance create navidrome`` boots a kvm VM over iPXE.

No stand-in here. Ganeti's ``kvm`` hypervisor starts Debian's QEMU (software
emulation, through the lab's ``kvm_path`` wrapper) in aleph's namespaces with its
tap on aleph's ``br0``; disk 0 holds iPXE (written by the ``pxe`` OS provider); iPXE
asks the boot server's dnsmasq, gets the root script ganetiops published, chains the
MAC wrapper, the class script, kernel and initrd; the lab class's init gets its
address by DHCP, installs the host identity, starts sshd and reports its boot over
HTTP. ``create`` waits for that report, clears the provision flag and pins the host
key; ssh then verifies it. The same VM is live-migrated to bet, re-imaged to a new
generation and rolled back, each checked from the VM's own report.

One VM for the whole module (TCG is slow: about a minute per boot on a busy machine).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ganetiops.lab import Lab, LabFacts, read_access_log
from ganetiops.lab.kvm import serial_log, serial_tail
from ganetiops.netboot.labclass import build_lab_class

pytestmark = pytest.mark.integration

NAME = "navidrome"
FLAG = "homelab.provision_disks=true"
TIMEOUT = "420"


def gnt(lab: Lab, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real ``gnt-py`` against the lab's context."""
    done = subprocess.run(
        [sys.executable, "-c", "from ganetiops.cli import main; main()", "--context", lab.name,
         *args],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )  # fmt: skip
    if check and done.returncode != 0:
        raise AssertionError(
            f"gnt-py {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done


def gnt_json(lab: Lab, *args: str) -> Any:
    return json.loads(gnt(lab, "--format", "json", *args).stdout)


def instance_field(lab: Lab, field: str) -> str:
    done = lab.run("aleph", ["gnt-instance", "list", "--no-headers", "-o", field, NAME])
    return done.stdout.strip()


def ssh_vm(
    facts: LabFacts, key: Path, address: str, command: str, known_hosts: str
) -> subprocess.CompletedProcess[str]:
    """The user's plain ssh to the VM, host key checked against ``known_hosts``."""
    return subprocess.run(
        ["ssh", "-i", str(key), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
         "-o", f"UserKnownHostsFile={known_hosts}", "-o", "GlobalKnownHostsFile=/dev/null",
         "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=30",
         f"root@{address}", command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip


def qemu_pid(lab: Lab, node: str) -> int:
    """The VM's QEMU process, from Ganeti's pidfile on ``node``."""
    pidfile = lab.machine(node).path("/run/ganeti/kvm-hypervisor/pid/" + NAME)
    return int(pidfile.read_text().split()[0])


def _remove(lab: Lab) -> None:
    gnt(lab, "instance", "remove", NAME, "--yes", check=False)


@pytest.fixture(scope="module")
def published(lab: Lab) -> Path:
    """The root script and generation 1 of the lab class on the boot server."""
    _remove(lab)
    v1 = build_lab_class(NAME, generation=1)
    gnt(lab, "netboot", "root-script")
    gnt(lab, "netboot", "publish", str(v1))
    return v1


@pytest.fixture(scope="module")
def booted(
    lab: Lab, published: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """navidrome created on kvm (sharedfile disk, so that it can migrate): the create's
    JSON result, plus the root key from its identity tarball for ssh."""
    facts = lab.facts()
    v1 = published
    try:
        result = gnt_json(
            lab, "instance", "create", NAME, "--hypervisor", "kvm", "-t", "sharedfile",
            "-s", "3G", "--memory", "256", "--pnode", "aleph.homelab.tel", "--keys", "create",
            "--boot-timeout", TIMEOUT, "--yes",
        )  # fmt: skip
        keys = tmp_path_factory.mktemp("navidrome-keys")
        tarball = Path(facts.boot.web_root_path) / "keys" / f"{NAME}.tar.gz"
        with tarfile.open(tarball) as tar:
            data = tar.extractfile("root_privkey")
            assert data is not None
            key = keys / "root_privkey"
            key.write_bytes(data.read())
        key.chmod(0o600)
        yield {"create": result, "key": key, "v1": v1, "facts": facts}
    finally:
        _remove(lab)


def test_create_boots_the_class_over_ipxe(lab: Lab, booted: dict[str, Any]) -> None:
    facts: LabFacts = booted["facts"]
    result = booted["create"]
    mac = instance_field(lab, "nic.mac/0")
    report = result["report"]
    # The VM's own report: its class and generation, its MAC, a provisioning first boot,
    # its address from DHCP, sshd running with the identity create made.
    assert report["mac"] == mac.replace(":", "-")
    assert report["class"] == NAME
    assert report["generation"] == 1
    v1_sha = (booted["v1"] / "by-class" / NAME / "store.squashfs.sha256").read_text().strip()
    assert report["store"] == v1_sha
    assert report["provisioned"] is True
    assert report["sshd"] is True
    assert report["hostname"] == NAME
    assert result["provision_flag"] is False
    wrapper = Path(facts.boot.web_root_path) / "nixos/by-mac" / mac.replace(":", "-") / "ipxe"
    assert FLAG not in wrapper.read_text()

    # The access log, second witness: iPXE (its own user agent, an address from DHCP)
    # fetched the root script, the wrapper, the class script, kernel and initrd.
    # (The fast tests' boot stand-in sends an iPXE user agent too, naming itself.)
    ipxe = [
        e
        for e in read_access_log(facts.boot.access_log)
        if "iPXE" in e.user_agent and "stand-in" not in e.user_agent
    ]
    paths = {e.path for e in ipxe}
    for rel in ("netboot.ipxe", f"nixos/by-mac/{mac.replace(':', '-')}/ipxe",
                f"nixos/by-class/{NAME}/ipxe", f"nixos/by-class/{NAME}/bzImage",
                f"nixos/by-class/{NAME}/initrd"):  # fmt: skip
        assert f"/{rel}" in paths, rel
    assert {e.client for e in ipxe} <= {f"{facts.primary_network.rsplit('.', 1)[0]}.{n}"
                                        for n in range(150, 200)}  # fmt: skip

    # A real QEMU in aleph's namespaces, in software emulation, its tap on aleph's br0.
    pid = qemu_pid(lab, "aleph")
    holder = lab.machine("aleph").holder.pid
    assert os.readlink(f"/proc/{pid}/ns/net") == os.readlink(f"/proc/{holder}/ns/net")
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert b"tcg,tb-size=256" in argv
    ports = lab.run("aleph", ["ip", "-o", "link", "show", "master", "br0"]).stdout
    assert " tap" in ports  # Ganeti's tapN

    # The console log (the wrapper's tee) has the firmware too (SeaBIOS's sercon, fw_cfg
    # etc/sercon-port): SeaBIOS's and iPXE's banners, iPXE's DHCP and its downloads,
    # before the class's init.
    assert b"etc/sercon-port" in b" ".join(argv)
    console = serial_tail(facts, "aleph", NAME, lines=10_000)
    text = "\n".join(console)
    assert "SeaBIOS (version" in text
    assert "iPXE" in text and "Open Source Network Boot Firmware" in text
    assert f"Next server: {facts.boot.ip}" in text
    assert f"/nixos/by-class/{NAME}/ipxe... ok" in text
    first_init = next(i for i, x in enumerate(console) if x.startswith("ganetiops-lab: class"))
    assert any(x.startswith("SeaBIOS") for x in console[:first_init])


def test_ssh_verifies_the_pinned_host_key(lab: Lab, booted: dict[str, Any], tmp_path: Path) -> None:
    facts: LabFacts = booted["facts"]
    address = booted["create"]["report"]["ip"]
    lab.check_route(address)  # fail closed: the VM is reached through the lab's veth only
    assert booted["create"]["pinned"].startswith(f"{NAME},")
    done = ssh_vm(facts, booted["key"], address, "hostname; cat /proc/cmdline", facts.known_hosts)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == NAME
    assert f"hostname={NAME}" in done.stdout
    # Without the pinned key, strict checking refuses the same VM.
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    refused = ssh_vm(facts, booted["key"], address, "true", str(empty))
    assert refused.returncode != 0
    assert "Host key verification failed" in refused.stderr


def test_serial_console_through_gnt_py_console(lab: Lab, booted: dict[str, Any]) -> None:
    """``gnt-py instance console`` names the node and the command; running it there
    reaches the VM's serial console (the lab class runs a shell on it)."""
    facts: LabFacts = booted["facts"]
    console = gnt_json(lab, "instance", "console", NAME)
    assert console["kind"] == "ssh"
    node = console["host"].split(".")[0]
    command = [*console["command"][:-2], "STDIO", console["command"][-1]]
    script = f"(sleep 2; echo; echo echo console-$((6*7)); sleep 3) | {' '.join(command)}"
    done = lab.machine(node).run(["sh", "-c", script], timeout=60, check=False)
    assert "console-42" in done.stdout, done.stdout[-500:] + done.stderr[-500:]
    assert serial_log(facts, node, NAME).exists()


def test_live_migration_to_bet(lab: Lab, booted: dict[str, Any]) -> None:
    facts: LabFacts = booted["facts"]
    address = booted["create"]["report"]["ip"]
    lab.check_route(address)
    before = ssh_vm(facts, booted["key"], address, "cat /proc/sys/kernel/random/boot_id",
                    facts.known_hosts)  # fmt: skip
    assert before.returncode == 0, before.stderr
    old_pid = qemu_pid(lab, "aleph")
    gnt(lab, "instance", "migrate", NAME, "--target-node", "bet.homelab.tel", "--yes")
    assert instance_field(lab, "pnode") == "bet.homelab.tel"
    new_pid = qemu_pid(lab, "bet")
    bet_holder = lab.machine("bet").holder.pid
    assert os.readlink(f"/proc/{new_pid}/ns/net") == os.readlink(f"/proc/{bet_holder}/ns/net")
    assert not Path(f"/proc/{old_pid}").exists()
    after = ssh_vm(facts, booted["key"], address, "cat /proc/sys/kernel/random/boot_id",
                   facts.known_hosts)  # fmt: skip
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout  # the same running system: not rebooted


def test_reimage_and_rollback_seen_from_inside(lab: Lab, booted: dict[str, Any]) -> None:
    v1_sha = (booted["v1"] / "by-class" / NAME / "store.squashfs.sha256").read_text().strip()
    v2 = build_lab_class(NAME, generation=2)
    v2_sha = (v2 / "by-class" / NAME / "store.squashfs.sha256").read_text().strip()
    assert v1_sha != v2_sha
    new = gnt_json(lab, "instance", "reimage", NAME, "--publish", str(v2),
                   "--boot-timeout", TIMEOUT, "--yes")  # fmt: skip
    report = new["report"]
    assert (report["generation"], report["store"]) == (2, v2_sha)
    assert report["provisioned"] is False  # no flag: the disk provisioned at create stays
    assert report["disk"] == f"class:{NAME} generation:1"
    back = gnt_json(lab, "instance", "reimage", NAME, "--rollback",
                    "--boot-timeout", TIMEOUT, "--yes")  # fmt: skip
    assert back["rolled_back"] is True
    assert (back["report"]["generation"], back["report"]["store"]) == (1, v1_sha)
    assert back["report"]["provisioned"] is False
    # This instance alone: its wrapper chains the pinned copy of generation 1, while the
    # class as published (what every other instance boots) stays generation 2.
    facts: LabFacts = booted["facts"]
    assert back["pin"] == v1_sha[:16]
    mac = instance_field(lab, "nic.mac/0").replace(":", "-")
    wrapper = (Path(facts.boot.web_root_path) / "nixos/by-mac" / mac / "ipxe").read_text()
    assert f"/nixos/by-class/{NAME}.gen-{v1_sha[:16]}/ipxe" in wrapper
    current = Path(facts.boot.web_root_path) / "nixos/by-class" / NAME / "store.squashfs.sha256"
    assert current.read_text().strip() == v2_sha


def create_without_report(lab: Lab, name: str) -> str:
    """Create ``name`` on kvm with a 60 s boot timeout, expecting no boot report: the
    command fails, saying so; its error text."""
    done = gnt(
        lab, "instance", "create", name, "--hypervisor", "kvm",
        "-t", "file", "-s", "3G", "--memory", "256", "--pnode", "gimel.homelab.tel",
        "--keys", "create", "--boot-timeout", "60", "--yes",
        check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert f"create {name} stopped: no boot report from" in done.stderr
    return done.stderr


def test_a_vm_that_cannot_boot_times_out_with_the_firmware_lines(
    lab: Lab, published: Path, tmp_path: Path
) -> None:
    """A class whose kernel is not a kernel: iPXE fetches the wrapper (the flag is
    cleared), the class script, the image and the initrd, and no kernel ever runs. The
    BootTimeout's serial lines are the firmware's own (SeaBIOS's serial console)."""
    other = "inst2"
    good = build_lab_class(other, generation=1) / "by-class" / other
    broken = tmp_path / "by-class" / other
    shutil.copytree(good, broken)
    (broken / "bzImage").write_bytes(b"not a kernel\n" * 4096)
    gnt(lab, "netboot", "publish", str(tmp_path))
    try:
        err = create_without_report(lab, other)
        assert "provision flag cleared after the wrapper was fetched" in err
        console = err.split("last lines of the serial console:", 1)[1]
        assert f"/nixos/by-class/{other}/ipxe... ok" in console
        assert "bzImage... ok" in console
        assert "iPXE 1.0.0" in console and "Open Source Network Boot Firmware" in console
        assert f"Next server: {lab.facts().boot.ip}" in console  # iPXE's DHCP
        assert "ganetiops-lab:" not in console  # no kernel, no init ran
    finally:
        lab.run(
            "aleph", ["gnt-instance", "remove", "--shutdown-timeout=0", "-f", other], check=False
        )
        gnt(lab, "instance", "remove", other, "--yes", check=False)
        shutil.rmtree(Path(lab.facts().boot.web_root_path) / "nixos/by-class" / other,
                      ignore_errors=True)  # fmt: skip


def test_a_vm_that_never_reports_times_out_with_console_and_log(lab: Lab, published: Path) -> None:
    """A class built never to report (its init otherwise the same): create sees the
    wrapper fetched, clears the flag, then times out waiting for the report; the error
    carries the VM's last serial console lines and what the access log saw, and says
    what was done."""
    other = "inst1"
    silent = build_lab_class(other, generation=1, report=False)
    gnt(lab, "netboot", "publish", str(silent))
    try:
        err = create_without_report(lab, other)
        assert "access log since the boot began" in err
        assert f"GET /nixos/by-class/{other}/initrd 200" in err
        assert "last lines of the serial console" in err
        assert f"ganetiops-lab: class {other} generation 1: hostname={other} provision=yes" in err
        assert "provision flag cleared after the wrapper was fetched" in err
    finally:
        # Stop the VM at once, then let gnt-py remove the wrapper and key tarball.
        lab.run(
            "aleph", ["gnt-instance", "remove", "--shutdown-timeout=0", "-f", other], check=False
        )
        gnt(lab, "instance", "remove", other, "--yes", check=False)
        subprocess.run(
            ["rm", "-rf", str(Path(lab.facts().boot.web_root_path) / "nixos/by-class" / other)],
            check=False,
        )
