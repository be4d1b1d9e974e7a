"""The facts every kind of lab shares (ganetiops.lab.facts): the namespace lab's
Builder.facts and the DRBD lab's _facts are assembled by the same helpers, from host
keys on disk, the address plan and the state layout (no machine needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ganetiops.lab import topology
from ganetiops.lab.build import Builder
from ganetiops.lab.configs import SSH_HOST_KEY_TYPES
from ganetiops.lab.facts import host_keys, known_hosts_lines
from ganetiops.lab.layout import Layout
from ganetiops.lab.record import LabRecord
from ganetiops.lab.vm.drbdlab import NODE_NAMES, DrbdFacts, DrbdLab
from ganetiops.lab.vm.image import Image, ImageSpec

COMMON = (
    "name",
    "slot",
    "domain",
    "state_dir",
    "primary_network",
    "secondary_network",
    "workstation_ip",
    "workstation_link",
    "root_key",
    "workstation_key",
    "known_hosts",
)


def write_keys(directory: Path, machine: str) -> None:
    directory.mkdir(parents=True)
    for kind in SSH_HOST_KEY_TYPES:
        blob = f"AAAA{machine}{kind}"
        (directory / f"ssh_host_{kind}_key.pub").write_text(f"ssh-{kind} {blob} root@{machine}\n")


def test_host_keys_drop_the_comment(tmp_path: Path) -> None:
    write_keys(tmp_path / "k", "aleph")
    assert host_keys(tmp_path / "k") == {
        "ssh-ed25519": "ssh-ed25519 AAAAalephed25519",
        "ssh-rsa": "ssh-rsa AAAAalephrsa",
    }


def namespace_facts(tmp_path: Path, slot: int) -> dict[str, object]:
    layout = Layout(tmp_path / "ns", "ns1")
    plan = topology.AddressPlan.for_slot(slot)
    for machine in (*plan.nodes, topology.BOOT):
        write_keys(layout.machine(machine) / "etc-ssh", machine)
    record = LabRecord(path=layout.record, name="ns1", slot=slot)
    builder = Builder(plan, topology.LabNames("ns1"), layout, record, "all")
    return builder.facts().to_json()


def drbd_facts(tmp_path: Path, slot: int) -> DrbdFacts:
    lab = DrbdLab("dr1", slot, root=tmp_path / "dr")
    for name in NODE_NAMES:
        write_keys(lab.layout.machine(name) / "ssh", name)
    image = Image(spec=ImageSpec(release="bookworm"), path=tmp_path / "image")
    return lab._facts(topology.AddressPlan.for_slot(slot), image)


def test_both_kinds_share_the_same_fields_and_nodes(tmp_path: Path) -> None:
    ns = namespace_facts(tmp_path, 7)
    dr = drbd_facts(tmp_path, 7)
    raw = json.loads(json.dumps(dr.to_json()))
    for field in COMMON:
        if field in ("name", "state_dir", "root_key", "workstation_key", "known_hosts"):
            assert str(raw[field]).count("dr1") == 1 and str(ns[field]).count("ns1") == 1, field
        elif field == "workstation_link":
            assert raw[field] == "dr1-ws" and ns[field] == "ns1-ws"
        else:
            assert raw[field] == ns[field], field
    assert raw["slot"] == 7 and raw["domain"] == topology.DOMAIN
    ns_nodes = {n["name"]: n for n in ns["nodes"]}  # type: ignore[attr-defined]
    for node in raw["nodes"]:
        twin = ns_nodes[node["name"]]
        for key in ("fqdn", "primary_ip", "secondary_ip", "host_keys"):
            assert node[key] == twin[key], (node["name"], key)
        assert node["netns"] == "dr1-sw" and twin["netns"] == f"ns1-{node['name']}"
    assert (raw["kind"], raw["ganeti"], raw["volume_group"]) == ("drbd", "3.0.2", "xenvg")


def test_known_hosts_lines_name_every_address(tmp_path: Path) -> None:
    facts = drbd_facts(tmp_path, 7)
    lines = known_hosts_lines(facts.nodes)
    assert len(lines) == len(NODE_NAMES) * len(SSH_HOST_KEY_TYPES)
    plan = topology.AddressPlan.for_slot(7)
    names = f"bet.{topology.DOMAIN},bet,{plan.primary_ip('bet')},{plan.secondary_ip('bet')}"
    assert f"{names} ssh-ed25519 AAAAbeted25519" in lines


def test_a_drbd_lab_context_has_no_namespace_lab_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``instance remove`` on a DRBD lab's context asked for the namespace lab's facts
    (its boot server) and failed with "damaged lab facts ('boot')"; a DRBD lab has none."""
    from ganetiops.cli.remote import lab_facts_for, ssh_login
    from ganetiops.config import Context
    from ganetiops.lab.record import ContextEntry

    monkeypatch.setenv("GANETIOPS_LAB_ROOT", str(tmp_path / "labs"))
    facts = drbd_facts(tmp_path, 7)
    url = "https://10.7.100.254:5080"
    layout = Layout(tmp_path / "labs", "dr1")
    layout.dir.mkdir(parents=True)
    record = LabRecord(path=layout.record, name="dr1", slot=7)
    record.set_facts(json.loads(json.dumps(facts.to_json())))
    record.set_context(ContextEntry("dr1", str(tmp_path / "config.toml"), url))
    Path(facts.known_hosts).write_text("\n".join(known_hosts_lines(facts.nodes)) + "\n")
    context = Context(name="dr1", url=url)
    assert lab_facts_for(context) is None
    # What the DRBD commands need of it is still found: the lab's SSH login.
    settings, user, port = ssh_login(context)
    assert (user, port) == ("root", 22)
    assert settings.client_keys == (facts.workstation_key,)


@pytest.mark.parametrize("keep", [False, True])
def test_failed_up_records_the_error_and_tears_down_unless_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: bool
) -> None:
    """The one failed-up handling of both kinds (Lab.failed_up; DrbdLab.up calls it)."""
    from ganetiops.lab.lab import Lab

    lab = Lab("ns2", 9, root=tmp_path / "labs")
    lab.layout.dir.mkdir(parents=True)
    record = LabRecord(path=lab.layout.record, name="ns2", slot=9)
    torn: list[LabRecord] = []

    def teardown(self: Lab, rec: LabRecord) -> None:
        torn.append(rec)
        raise OSError("veth busy")

    monkeypatch.setattr(Lab, "_teardown", teardown)
    exc = RuntimeError("node add failed")
    lab.failed_up(record, exc, keep_on_error=keep)
    saved = LabRecord.load(lab.layout.record)
    assert saved is not None and (saved.phase, saved.error) == ("failed", "node add failed")
    if keep:
        assert torn == [] and not getattr(exc, "__notes__", None)
    else:
        assert torn == [record]
        assert exc.__notes__ == ["removing the failed lab: veth busy"]
