"""Netboot on the lab, end to end through ``gnt-py`` (issue 6's "done when").

The lab's fake hypervisor boots nothing; the boot stand-in hook (installed here on
every node, :mod:`ganetiops.netboot.standin`) makes the HTTP requests a VM's iPXE
would make when an instance starts. Everything else is the real code path: SFTP to
the boot server as ``admin``, nginx serving the files, its access log, RAPI.

The tests run in order and share the instance ``navidrome`` (module fixture; removed
at the end whatever happens).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ganetiops.lab import Lab, LabFacts, read_access_log
from ganetiops.netboot.labclass import build_lab_class
from ganetiops.netboot.standin import install_standin

pytestmark = pytest.mark.integration

NAME = "navidrome"
SECOND = "inst7"
IPXE_IMAGE = Path("/usr/lib/ipxe/ipxe.iso")
FLAG = "homelab.provision_disks=true"


def gnt(lab: Lab, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real ``gnt-py`` against the lab's context."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ganetiops.cli import main; main()",
            "--context",
            lab.name,
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"gnt-py {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done


def served(facts: LabFacts, rel: str) -> httpx.Response:
    with httpx.Client(timeout=10, trust_env=False) as http:
        return http.get(f"{facts.boot.url}/{rel}")


def sha_of(class_root: Path, name: str = NAME) -> str:
    return (class_root / "by-class" / name / "store.squashfs.sha256").read_text().strip()


def web(facts: LabFacts) -> Path:
    return Path(facts.boot.web_root_path)


def instance_field(lab: Lab, name: str, field: str) -> str:
    result = lab.run("aleph", ["gnt-instance", "list", "--no-headers", "-o", field, name])
    return result.stdout.strip()


@pytest.fixture(scope="module")
def facts(lab: Lab) -> Iterator[LabFacts]:
    """The lab with the stand-in installed; every netboot trace removed at the end."""
    facts = lab.facts()
    install_standin([lab.machine(n.name) for n in facts.nodes], facts.boot.url)
    _clean(lab, facts)
    yield facts
    _clean(lab, facts)


def _clean(lab: Lab, facts: LabFacts) -> None:
    for name in (NAME, SECOND):
        gnt(lab, "instance", "remove", name, "--yes", check=False)
    for path in (web(facts) / "nixos/by-class").glob(f"{NAME}*"):
        subprocess.run(["rm", "-rf", str(path)], check=False)


@pytest.fixture(scope="module")
def class_v1() -> Path:
    return build_lab_class(NAME, generation=1)


@pytest.fixture(scope="module")
def class_v2() -> Path:
    return build_lab_class(NAME, generation=2)


def snapshot(lab: Lab, facts: LabFacts) -> dict[str, object]:
    """Everything a create could change: instances, the boot server's files."""
    files = {}
    for path in sorted(web(facts).rglob("*")):
        if path.is_file():
            files[str(path.relative_to(web(facts)))] = hashlib.sha256(path.read_bytes()).hexdigest()
    instances = lab.run("aleph", ["gnt-instance", "list", "--no-headers", "-o", "name"]).stdout
    return {"files": files, "instances": instances.split()}


def test_plan_changes_nothing(lab: Lab, facts: LabFacts, class_v1: Path) -> None:
    before = snapshot(lab, facts)
    done = gnt(
        lab, "instance", "create", NAME, "--publish", str(class_v1), "--keys", "create", "--plan"
    )
    assert f"Plan for instance {NAME}" in done.stderr
    assert "publish" in done.stderr
    assert "create host identity" in done.stderr
    as_data = gnt(
        lab, "--format", "json", "instance", "create", NAME,
        "--publish", str(class_v1), "--keys", "create", "--plan",
    )  # fmt: skip
    plan = json.loads(as_data.stdout)
    assert plan["applied"] is False
    assert plan["plan"][0] == f"Plan for instance {NAME}:"
    assert any("publish" in line for line in plan["plan"][1:])
    assert snapshot(lab, facts) == before


def test_create_navidrome(lab: Lab, facts: LabFacts, class_v1: Path) -> None:
    gnt(lab, "netboot", "publish", str(class_v1))
    gnt(lab, "netboot", "keys", "create", NAME)
    done = gnt(lab, "instance", "create", NAME, "--yes")
    assert "provision flag cleared" in done.stdout

    # The instance exists with OS pxe and its disk 0 starts with the iPXE image.
    assert instance_field(lab, NAME, "os") == "pxe"
    primary = instance_field(lab, NAME, "pnode")
    disks = lab.run("aleph", ["gnt-instance", "activate-disks", NAME]).stdout.split()
    disk0 = disks[0].split(":", 2)[2]
    size = str(IPXE_IMAGE.stat().st_size)
    lab.run(primary, ["cmp", "-n", size, disk0, str(IPXE_IMAGE)])

    # The VM's first boot (the stand-in, from the primary node's lab address) fetched
    # the wrapper, the class script, kernel and initrd; then the flag was cleared.
    mac = instance_field(lab, NAME, "nic.mac/0").replace(":", "-")
    wrapper_rel = f"nixos/by-mac/{mac}/ipxe"
    node_ip = facts.node(primary).primary_ip
    paths = {e.path for e in read_access_log(facts.boot.access_log) if e.client == node_ip}
    for rel in (
        wrapper_rel,
        f"nixos/by-class/{NAME}/ipxe",
        f"nixos/by-class/{NAME}/bzImage",
        f"nixos/by-class/{NAME}/initrd",
    ):
        assert f"/{rel}" in paths
    body = served(facts, wrapper_rel).text
    assert f"hostname={NAME}" in body
    assert FLAG not in body
    assert f"chain {facts.boot.url}/nixos/by-class/{NAME}/ipxe" in body
    assert served(facts, f"keys/{NAME}.tar.gz").status_code == 200


def test_second_create_refuses(lab: Lab, facts: LabFacts) -> None:
    before = snapshot(lab, facts)
    done = gnt(lab, "instance", "create", NAME, "--yes", check=False)
    assert done.returncode == 2
    assert f"instance {NAME} already exists" in done.stderr
    assert snapshot(lab, facts) == before


def test_fetch_from_a_lab_address_clears_the_flag(lab: Lab, facts: LabFacts) -> None:
    """Created without starting, nothing fetches the wrapper: the flag stays until a
    fetch from a lab address (here curl on bet, as iPXE would) is in the access log."""
    gnt(
        lab,
        "instance",
        "create",
        SECOND,
        "--class",
        NAME,
        "--keys",
        "create",
        "--no-start",
        "--yes",
    )
    mac = instance_field(lab, SECOND, "nic.mac/0").replace(":", "-")
    url = f"{facts.boot.url}/nixos/by-mac/{mac}/ipxe"
    waited = gnt(lab, "netboot", "await-boot", SECOND, "--boot-timeout", "2", check=False)
    assert waited.returncode != 0
    assert "no fetch" in waited.stderr
    fetched = lab.run("bet", ["curl", "-sf", url]).stdout
    assert FLAG in fetched
    done = gnt(lab, "netboot", "await-boot", SECOND, "--boot-timeout", "30")
    assert f"fetched by {facts.node('bet').primary_ip}" in done.stdout
    assert FLAG not in served(facts, f"nixos/by-mac/{mac}/ipxe").text
    listing = gnt(lab, "netboot", "wrappers")
    assert "WARNING" not in listing.stderr


def test_wipe_sets_the_flag_for_one_boot(lab: Lab, facts: LabFacts) -> None:
    mac = instance_field(lab, NAME, "nic.mac/0").replace(":", "-")
    gnt(lab, "instance", "wipe", NAME, "--no-wait", "--yes")
    assert FLAG in served(facts, f"nixos/by-mac/{mac}/ipxe").text
    assert "carries the provision flag" in gnt(lab, "netboot", "wrappers").stderr
    gnt(lab, "netboot", "await-boot", NAME, "--boot-timeout", "30")
    assert FLAG not in served(facts, f"nixos/by-mac/{mac}/ipxe").text


def test_reimage_and_rollback_by_served_sha256(
    lab: Lab, facts: LabFacts, class_v1: Path, class_v2: Path
) -> None:
    rel = f"nixos/by-class/{NAME}/store.squashfs.sha256"
    v1, v2 = sha_of(class_v1), sha_of(class_v2)
    assert v1 != v2
    assert served(facts, rel).text.strip() == v1
    gnt(lab, "instance", "reimage", NAME, "--publish", str(class_v2), "--yes")
    assert served(facts, rel).text.strip() == v2
    gnt(lab, "netboot", "rollback", NAME, "--yes")
    assert served(facts, rel).text.strip() == v1
    assert served(facts, f"nixos/by-class/{NAME}.old/store.squashfs.sha256").text.strip() == v2
    again = gnt(lab, "netboot", "publish", str(class_v1))
    assert "unchanged" in again.stdout


def test_rollback_of_one_instance_leaves_the_other_on_the_new_generation(
    lab: Lab, facts: LabFacts, class_v1: Path, class_v2: Path
) -> None:
    """Two instances of one class (fake hypervisor, the stand-in fetching for them):
    ``reimage --rollback`` pins one to the previous generation; the other's wrapper
    still chains the class as published. Re-imaging the pinned one returns it and
    removes the pin; ``--class-wide`` rolls the class back for both."""
    v1, v2 = sha_of(class_v1), sha_of(class_v2)
    gnt(lab, "netboot", "publish", str(class_v2))  # current v2, .old v1
    macs = {n: instance_field(lab, n, "nic.mac/0").replace(":", "-") for n in (NAME, SECOND)}
    pin = f"nixos/by-class/{NAME}.gen-{v1[:16]}"
    plan = gnt(lab, "instance", "reimage", NAME, "--rollback", "--plan")
    assert f"copy by-class/{NAME}.old (sha256 {v1}) to by-class/{NAME}.gen-{v1[:16]}" in (
        plan.stderr
    )
    assert f"the other instances of class {NAME} keep the current generation ({v2})" in (
        plan.stderr
    )
    since = len(read_access_log(facts.boot.access_log))
    done = json.loads(
        gnt(lab, "--format", "json", "instance", "reimage", NAME, "--rollback", "--yes").stdout
    )
    assert (done["pin"], done["sha256"], done["rolled_back"]) == (v1[:16], v1, True)
    pinned = served(facts, f"nixos/by-mac/{macs[NAME]}/ipxe").text
    assert f"chain {facts.boot.url}/{pin}/ipxe" in pinned
    other = served(facts, f"nixos/by-mac/{macs[SECOND]}/ipxe").text
    assert f"chain {facts.boot.url}/nixos/by-class/{NAME}/ipxe" in other
    assert served(facts, f"{pin}/store.squashfs.sha256").text.strip() == v1
    assert served(facts, f"nixos/by-class/{NAME}/store.squashfs.sha256").text.strip() == v2
    # The boot (the stand-in, from the primary's address) loaded the pin's kernel and initrd.
    primary = facts.node(instance_field(lab, NAME, "pnode")).primary_ip
    loaded = {e.path for e in read_access_log(facts.boot.access_log)[since:] if e.client == primary}
    assert {f"/{pin}/ipxe", f"/{pin}/bzImage", f"/{pin}/initrd"} <= loaded
    again = gnt(lab, "instance", "reimage", NAME, "--rollback", "--yes", check=False)
    assert again.returncode == 2
    assert f"already pinned to generation {v1[:16]}" in again.stderr
    back = json.loads(gnt(lab, "--format", "json", "instance", "reimage", NAME, "--yes").stdout)
    assert (back["pin"], back["sha256"], back["pins_removed"]) == (None, v2, [pin.split("/")[-1]])
    assert (
        f"chain {facts.boot.url}/nixos/by-class/{NAME}/ipxe"
        in served(facts, f"nixos/by-mac/{macs[NAME]}/ipxe").text
    )
    assert not (web(facts) / pin).exists()
    gnt(lab, "instance", "reimage", SECOND, "--rollback", "--class-wide", "--yes")
    assert served(facts, f"nixos/by-class/{NAME}/store.squashfs.sha256").text.strip() == v1


def test_install_os_provider_repairs_a_node(lab: Lab, facts: LabFacts) -> None:
    lab.run("gimel", ["sh", "-c", "echo broken > /srv/ganeti/os/pxe/export"])
    planned = gnt(lab, "node", "install-os-provider", "--plan")
    assert "gimel.homelab.tel: would update export" in planned.stdout + planned.stderr
    done = gnt(lab, "node", "install-os-provider")
    shipped = (Path(__file__).parents[2] / "ganetiops/netboot/provider/pxe/export").read_text()
    assert lab.run("gimel", ["cat", "/srv/ganeti/os/pxe/export"]).stdout == shipped
    assert "pxe" in done.stdout + done.stderr


def test_remove_leaves_no_wrapper_or_keys(lab: Lab, facts: LabFacts) -> None:
    macs = [instance_field(lab, n, "nic.mac/0").replace(":", "-") for n in (NAME, SECOND)]
    gnt(lab, "instance", "remove", NAME, SECOND, "--yes")
    names = lab.run("aleph", ["gnt-instance", "list", "--no-headers", "-o", "name"]).stdout
    assert NAME not in names.split()
    for mac in macs:
        assert served(facts, f"nixos/by-mac/{mac}/ipxe").status_code == 404
        assert not (web(facts) / "nixos/by-mac" / mac).exists()
    for name in (NAME, SECOND):
        assert served(facts, f"keys/{name}.tar.gz").status_code == 404
