"""Inventory validation: good files load, bad input fails naming the key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from ganetiops.bootstrap.inventory import load_inventory, parse_bounds_specs, parse_inventory
from ganetiops.errors import ValidationError

EXAMPLES = Path(__file__).parent.parent.parent / "examples"


def key() -> str:
    return asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()


def minimal() -> dict[str, Any]:
    return {
        "cluster": {
            "name": "gnt.homelab.tel",
            "address": "10.1.100.254",
            "initial-master": "aleph",
            "master-netdev": "br0",
            "enabled-hypervisors": ["kvm"],
            "enabled-disk-templates": ["drbd"],
            "volume-group": "pool_gnt",
        },
        "nodes": {
            "aleph": {"primary": "10.1.100.2", "secondary": "10.1.97.2", "host-key": key()},
            "bet": {"primary": "10.1.100.3", "secondary": "10.1.97.3", "host-key": key()},
        },
    }


def test_minimal_inventory_defaults() -> None:
    inv = parse_inventory(minimal())
    assert inv.cluster.domain == "homelab.tel"
    assert inv.master.fqdn == "aleph.homelab.tel"
    assert [n.name for n in inv.others] == ["bet"]
    assert inv.node("bet.homelab.tel").address == "10.1.100.3"
    assert inv.ssh.user == "root"
    assert inv.multi_homed


def test_homelab_example_with_keys_filled_in() -> None:
    text = (EXAMPLES / "homelab.toml").read_text()
    raw = tomllib.loads(text)
    for node in raw["nodes"].values():
        node["host-key"] = key()
    inv = parse_inventory(raw, path=EXAMPLES / "homelab.toml")
    assert inv.cluster.name == "gnt.homelab.tel"
    assert inv.cluster.address == "10.1.100.254"
    assert inv.cluster.volume_group == "pool_gnt"
    assert inv.cluster.nic_params == {"mode": "openvswitch", "link": "br0"}
    assert inv.cluster.hypervisor_params["kvm"]["kernel_path"] == ""
    assert [n.name for n in inv.others] == ["bet", "dalet", "gimel"]
    assert inv.node("gimel").secondary == "10.1.97.4"
    users = {u.name: u for u in inv.rapi_users}
    assert users["uptime-kuma"].ha1 == "9988a293056b2be9694636b1f3f8831c"
    assert users["ganetiops"].rights == ("read", "write")
    assert users["ganetiops"].password is not None
    assert users["ganetiops"].password.kind == "command"


def test_homelab_example_placeholders_are_refused_by_key() -> None:
    with pytest.raises(ValidationError, match="still a placeholder") as caught:
        load_inventory(EXAMPLES / "homelab.toml")
    assert caught.value.field == "nodes.aleph.host-key"


def test_lab_example_paths_follow_the_lab_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANETIOPS_LAB_ROOT", "/tmp/labs")
    inv = load_inventory(EXAMPLES / "lab.toml")
    assert inv.ssh.known_hosts == ("/tmp/labs/lab/known_hosts",)
    assert inv.ssh.keys == ("/tmp/labs/lab/keys/workstation_ed25519",)
    monkeypatch.delenv("GANETIOPS_LAB_ROOT")
    inv = load_inventory(EXAMPLES / "lab.toml")
    assert inv.ssh.known_hosts == ("/var/lib/ganetiops/lab/lab/known_hosts",)
    users = {u.name: u for u in inv.rapi_users}
    assert users["gnt-py"].create
    assert users["gnt-py"].password is not None
    assert users["gnt-py"].password.value.endswith("/lab/secrets/gnt-py.password")
    assert inv.cluster.ipolicy_bounds_specs is not None
    assert [n.name for n in inv.others] == ["bet", "dalet", "gimel"]


def change(raw: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    *path, last = dotted.split(".")
    table = raw
    for part in path:
        table = table[part]
    if value is DELETE:
        del table[last]
    else:
        table[last] = value
    return raw


DELETE = object()


@pytest.mark.parametrize(
    ("dotted", "value", "field", "text"),
    [
        ("nodes.bet.secondary", "10.1.97.300", "nodes.bet.secondary", "not an IPv4 address"),
        ("nodes.bet.primary", "bet", "nodes.bet.primary", "not an IPv4 address"),
        ("nodes.bet.primary", "10.1.100.2", "nodes.bet.primary", "is also nodes.aleph.primary"),
        ("nodes.bet.secondary", DELETE, "nodes.bet.secondary", "multi-homed"),
        ("nodes.bet.host-key", "ssh-ed25519 AAAA", "nodes.bet.host-key", "OpenSSH public key"),
        ("nodes.bet.host-key", DELETE, "nodes.bet.host-key", "never accepted on first use"),
        ("nodes.bet.fqdn", "gimel.homelab.tel", "nodes.bet.fqdn", "does not start"),
        ("nodes.bet.colour", "blue", "nodes.bet.colour", "unknown key"),
        ("cluster.address", "10.1.100", "cluster.address", "not an IPv4 address"),
        ("cluster.name", "gnt", "cluster.name", "not a fully qualified name"),
        ("cluster.initial-master", "gimel", "cluster.initial-master", "not one of the nodes"),
        (
            "cluster.enabled-hypervisors",
            ["vmware"],
            "cluster.enabled-hypervisors",
            "unknown hypervisor 'vmware'",
        ),
        (
            "cluster.enabled-disk-templates",
            ["plain", "floppy"],
            "cluster.enabled-disk-templates",
            "unknown disk template 'floppy'",
        ),
        (
            "cluster.ipolicy-disk-templates",
            ["rbd"],
            "cluster.ipolicy-disk-templates",
            "'rbd' is not enabled",
        ),
        ("cluster.enabled-disk-templates", [], "cluster.enabled-disk-templates", "empty"),
        ("cluster.volume-group", DELETE, "cluster.volume-group", "required when"),
        ("cluster.master-netdev", DELETE, "cluster.master-netdev", "required"),
        ("cluster.master-netmask", 40, "cluster.master-netmask", "prefix length"),
        ("cluster.mac-prefix", "aa:00", "cluster.mac-prefix", "not like aa:00:00"),
        ("cluster.nic-params", {"link": "br0,x"}, "cluster.nic-params.link", "cannot contain"),
        (
            "cluster.hypervisor-params",
            {"xen-pvm": {}},
            "cluster.hypervisor-params.xen-pvm",
            "not enabled",
        ),
        ("cluster.disk-params", {"plain": {"a": 1}}, "cluster.disk-params.plain", "not enabled"),
        ("cluster.ipolicy-bounds-specs", "min:cpu=1", "cluster.ipolicy-bounds-specs", "bad spec"),
        ("cluster.file-storage-dir", "srv", "cluster.file-storage-dir", "absolute path"),
        ("ssh", {"port": 0}, "ssh.port", "port number"),
        ("ssh", {"known-hosts": "${NO_SUCH_VAR_X}/kh"}, "ssh.known-hosts", "NO_SUCH_VAR_X"),
    ],
)
def test_bad_input_names_the_key(dotted: str, value: Any, field: str, text: str) -> None:
    raw = change(minimal(), dotted, value)
    with pytest.raises(ValidationError, match=text) as caught:
        parse_inventory(raw)
    assert caught.value.field == field
    assert str(caught.value).startswith(field + ":")


@pytest.mark.parametrize(
    ("user", "field", "text"),
    [
        ({"rights": ["read"], "password": "hunter2"}, "rapi-users.x.password", "inline passwords"),
        ({"rights": ["admin"], "ha1": "0" * 32}, "rapi-users.x.rights", "unknown right"),
        ({"rights": ["read"]}, "rapi-users.x", "exactly one of"),
        ({"rights": ["read"], "ha1": "xyz"}, "rapi-users.x.ha1", "32 hexadecimal"),
        ({"rights": ["read"], "password": {"vault": "x"}}, "rapi-users.x.password", "expected"),
    ],
)
def test_bad_rapi_users(user: dict[str, Any], field: str, text: str) -> None:
    raw = minimal()
    raw["rapi-users"] = {"x": user}
    with pytest.raises(ValidationError, match=text) as caught:
        parse_inventory(raw)
    assert caught.value.field == field


def test_inline_password_never_echoed() -> None:
    raw = minimal()
    raw["rapi-users"] = {"x": {"rights": ["read"], "password": "hunter2"}}
    with pytest.raises(ValidationError) as caught:
        parse_inventory(raw)
    assert "hunter2" not in str(caught.value)


def test_host_key_from_file_relative_to_inventory(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "bet.pub").write_text("# comment\n" + key() + " root@bet\n")
    raw = minimal()
    raw["nodes"]["bet"]["host-key"] = {"file": "keys/bet.pub"}
    inv = parse_inventory(raw, path=tmp_path / "inv.toml")
    assert inv.node("bet").host_keys[0].startswith("ssh-ed25519 ")
    assert "root@bet" not in inv.node("bet").host_keys[0]
    raw["nodes"]["bet"]["host-key"] = {"file": "keys/missing.pub"}
    with pytest.raises(ValidationError, match="cannot read") as caught:
        parse_inventory(raw, path=tmp_path / "inv.toml")
    assert caught.value.field == "nodes.bet.host-key.file"


def test_known_hosts_instead_of_host_keys() -> None:
    raw = minimal()
    for node in raw["nodes"].values():
        del node["host-key"]
    raw["ssh"] = {"known-hosts": ["/etc/ssh/ssh_known_hosts"]}
    inv = parse_inventory(raw)
    assert inv.ssh.known_hosts == ("/etc/ssh/ssh_known_hosts",)


def test_bad_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[cluster\n")
    with pytest.raises(ValidationError, match="not valid TOML"):
        load_inventory(path)


def test_bounds_specs() -> None:
    parsed = parse_bounds_specs("min:cpu-count=1,disk-size=0/max:cpu-count=8,disk-size=10")
    assert parsed == {
        "min": {"cpu-count": 1, "disk-size": 0},
        "max": {"cpu-count": 8, "disk-size": 10},
    }
    with pytest.raises(ValueError, match="both min"):
        parse_bounds_specs("min:cpu-count=1")
