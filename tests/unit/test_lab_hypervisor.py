"""The lab's default hypervisor: kvm for the user (the headline boots), fake on request.

Ganeti's default hypervisor is the first of ``enabled_hypervisors``; the lab orders the
list with :attr:`Lab.default_hypervisor` first. ``examples/lab.toml`` (``lab up --bare``
plus ``cluster bootstrap``) must describe the same cluster as ``gnt-py lab up``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ganetiops.bootstrap import load_inventory, parse_inventory
from ganetiops.cli.app import cli
from ganetiops.errors import ValidationError
from ganetiops.lab import cluster, topology
from ganetiops.lab.facts import BootFacts, LabFacts, NodeFacts
from ganetiops.lab.lab import Lab
from ganetiops.lab.record import LabRecord

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lab.toml"
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHTWDjG56Uq350evcgKkByQWn/p37eeM32ckqIkihmYz"


def facts_of(lab: Lab) -> LabFacts:
    """The facts ``lab_inventory`` reads (keys and known_hosts where ``up`` puts them)."""
    nodes = tuple(
        NodeFacts(n, topology.fqdn(n), "", "", {"ssh-ed25519": ED25519}, f"{lab.name}-{n}")
        for n in topology.NODE_NAMES
    )
    layout = lab.layout
    ip = lab.plan.boot_ip
    boot = BootFacts(
        "boot", topology.fqdn("boot"), ip, f"http://{ip}", topology.BOOT_WEB_ROOT, "", "",
        "admin", str(layout.workstation_key), {}, f"{lab.name}-boot",
    )  # fmt: skip
    return LabFacts(
        lab.name, lab.slot, "homelab.tel", "", "", "", "", "", nodes, boot, "",
        str(layout.workstation_key), str(layout.known_hosts), "", "",
    )  # fmt: skip


def test_enabled_hypervisors_put_the_default_first() -> None:
    assert cluster.DEFAULT_HYPERVISOR == "kvm"
    assert cluster.enabled_hypervisors() == ["kvm", "fake"]
    assert cluster.enabled_hypervisors("fake") == ["fake", "kvm"]
    with pytest.raises(ValidationError, match="the lab has kvm, fake") as caught:
        cluster.enabled_hypervisors("xen-pvm")
    assert caught.value.field == "default_hypervisor"


def test_a_new_lab_defaults_to_kvm_and_a_record_keeps_its_choice(tmp_path: Path) -> None:
    assert Lab("dev1", 1, root=tmp_path).default_hypervisor == "kvm"
    assert Lab("dev1", 1, root=tmp_path, default_hypervisor="fake").default_hypervisor == "fake"
    with pytest.raises(ValidationError, match="xen-hvm"):
        Lab("dev1", 1, root=tmp_path, default_hypervisor="xen-hvm")
    # An existing lab answers from its record, whatever the object was made with.
    lab = Lab("dev2", 2, root=tmp_path)
    lab.layout.dir.mkdir(parents=True)
    record = LabRecord(
        path=lab.layout.record, name="dev2", slot=2, options={"default_hypervisor": "fake"}
    )
    record.save()
    assert Lab("dev2", root=tmp_path, default_hypervisor="kvm").default_hypervisor == "fake"
    # A record written before the option: those clusters enabled fake first.
    LabRecord(path=lab.layout.record, name="dev2", slot=2, options={"nodes": 4}).save()
    assert Lab("dev2", root=tmp_path).default_hypervisor == "fake"


@pytest.mark.parametrize("default", ["kvm", "fake"])
def test_lab_inventory_orders_enabled_hypervisors(tmp_path: Path, default: str) -> None:
    lab = Lab("utest", 3, root=tmp_path, default_hypervisor=default)
    raw = cluster.lab_inventory(lab, facts_of(lab))
    inventory = parse_inventory(raw)
    assert inventory.cluster.enabled_hypervisors[0] == default
    assert sorted(inventory.cluster.enabled_hypervisors) == ["fake", "kvm"]
    assert inventory.cluster.hypervisor_params["kvm"]["kvm_path"] == topology.KVM_PATH
    assert "pxe" in inventory.cluster.os_providers


def test_from_env_passes_the_default_hypervisor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANETIOPS_LAB", "envlab")
    monkeypatch.setenv("GANETIOPS_LAB_SLOT", "7")
    monkeypatch.setenv("GANETIOPS_LAB_ROOT", "/nonexistent/ganetiops-lab-root")
    assert Lab.from_env().default_hypervisor == "kvm"
    assert Lab.from_env(default_hypervisor="fake").default_hypervisor == "fake"


def test_the_lab_example_is_the_cluster_lab_up_makes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``lab up --bare`` + ``cluster bootstrap examples/lab.toml`` == ``lab up``."""
    monkeypatch.setenv("GANETIOPS_LAB_ROOT", str(tmp_path))
    lab = Lab(root=tmp_path)  # the default lab "lab", slot 0, default hypervisor kvm
    made = parse_inventory(cluster.lab_inventory(lab, facts_of(lab)))
    example = load_inventory(EXAMPLE)
    assert example.cluster == made.cluster
    assert example.cluster.enabled_hypervisors[0] == "kvm"
    assert example.nodes == made.nodes
    assert example.ssh.keys == made.ssh.keys
    assert example.ssh.known_hosts == made.ssh.known_hosts
    assert example.rapi_users == made.rapi_users
    # The boot server, for the context bootstrap writes (the headline's netboot needs it).
    assert example.boot is not None
    assert example.boot == made.boot
    assert example.boot.url == "http://10.1.100.1"
    assert example.boot.reports


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_lab_up_option_parsing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    shown = invoke("lab", "up", "--help")
    assert shown.exit_code == 0
    assert "--default-hypervisor [kvm|fake]" in shown.output
    assert "[default: kvm]" in shown.output
    bad = invoke("lab", "up", "--default-hypervisor", "xen-pvm")
    assert bad.exit_code == 2
    assert "'xen-pvm' is not one of 'kvm', 'fake'" in bad.output
    drbd = invoke("lab", "up", "--kind", "drbd", "--default-hypervisor", "fake")
    assert drbd.exit_code == 2
    assert "--default-hypervisor is for the namespace lab" in drbd.output

    # What `up` hands the lab: kvm unless told otherwise (the lab itself is not built).
    made: list[str] = []

    def fake_up(self: Lab, **_: Any) -> None:
        made.append(self.default_hypervisor)
        raise SystemExit(0)

    monkeypatch.setenv("GANETIOPS_LAB_ROOT", str(tmp_path))
    monkeypatch.setattr("ganetiops.lab.host.require_root", lambda: None)
    monkeypatch.setattr(Lab, "up", fake_up)
    up = ("lab", "--name", "hvtest", "up", "--slot", "9")
    assert invoke(*up).exit_code == 0
    assert invoke(*up, "--default-hypervisor", "fake").exit_code == 0
    assert made == ["kvm", "fake"]


def test_bootstrap_from_the_example_writes_a_context_with_the_boot_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without a boot table, the headline's create stops at once ("context has no [boot]
    table"): the context bootstrap writes takes the inventory's ``[boot]``."""
    from ganetiops.bootstrap.apply import cluster_context
    from tests.unit.test_bootstrap_apply import _self_signed_pem

    monkeypatch.setenv("GANETIOPS_LAB_ROOT", str(tmp_path))
    inventory = load_inventory(EXAMPLE)
    context = cluster_context(inventory, "lab", _self_signed_pem(), {})
    assert context.boot == inventory.boot
    assert context.boot is not None
    assert context.boot.key == f"{tmp_path}/lab/keys/workstation_ed25519"
    assert context.boot.pin_known_hosts == f"{tmp_path}/lab/known_hosts"
    assert context.boot.access_log == "/var/log/nginx/access.log"  # on the boot server


def test_a_bad_boot_table_names_its_key(tmp_path: Path) -> None:
    lab = Lab("utest", 3, root=tmp_path)
    raw = cluster.lab_inventory(lab, facts_of(lab))
    raw["boot"] = {"url": "http://10.103.100.1"}
    with pytest.raises(ValidationError, match=r"boot\.host: required") as caught:
        parse_inventory(raw)
    assert caught.value.field == "boot"
    raw["boot"] = {"url": "http://10.103.100.1", "host": "10.103.100.1", "colour": "red"}
    with pytest.raises(ValidationError, match="colour"):
        parse_inventory(raw)
    raw["boot"] = "http://10.103.100.1"
    with pytest.raises(ValidationError, match="boot: expected a table"):
        parse_inventory(raw)


def test_a_bootstrapped_context_is_known_by_its_lab_boot_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``lab up --bare`` records no context; the context ``cluster bootstrap`` writes from
    the lab's inventory is recognised by its ``[boot]`` table (so create publishes the
    lab's class there, as after ``lab up``)."""
    from ganetiops.cli.remote import _lab_record_facts
    from ganetiops.config import BootServer, Context

    monkeypatch.setenv("GANETIOPS_LAB_ROOT", str(tmp_path))
    lab = Lab("h12u", 12, root=tmp_path)
    lab.layout.dir.mkdir(parents=True)
    boot = {"url": "http://10.112.100.1", "ip": "10.112.100.1"}
    record = LabRecord(path=lab.layout.record, name="h12u", slot=12, options={"bare": True})
    record.save()
    record.set_facts({"name": "h12u", "boot": boot})
    served = BootServer(url="http://10.112.100.1", host="10.112.100.1")
    assert _lab_record_facts(Context(name="mine", url="https://x", boot=served)) == {
        "name": "h12u",
        "boot": boot,
    }
    other = BootServer(url="http://10.113.100.1", host="10.113.100.1")
    assert _lab_record_facts(Context(name="mine", url="https://x", boot=other)) is None
    assert _lab_record_facts(Context(name="mine", url="https://x")) is None
