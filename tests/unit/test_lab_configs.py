"""Files and commands the lab writes and runs, built without touching the machine."""

from __future__ import annotations

import datetime
import hashlib
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ganetiops.errors import LabError
from ganetiops.lab import cluster, configs, topology
from ganetiops.lab.configs import Bind, Command, Mkdir, Symlink, Tmpfs
from ganetiops.lab.facts import BootFacts, LabFacts, NodeFacts
from ganetiops.lab.host import conflicting_routes
from ganetiops.lab.record import RouteEntry

ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHTWDjG56Uq350evcgKkByQWn/p37eeM32ckqIkihmYz"


def test_hosts_file_keeps_node_names_off_loopback() -> None:
    text = configs.hosts_file(topology.AddressPlan.for_slot(0))
    loopback = [line for line in text.splitlines() if line.startswith(("127.", "::1"))]
    assert all("homelab" not in line and "aleph" not in line for line in loopback)
    assert "10.1.100.2\taleph.homelab.tel aleph" in text.splitlines()
    assert "10.1.100.254\tgnt.homelab.tel gnt" in text.splitlines()
    assert "10.1.97." not in text  # secondary addresses are not in /etc/hosts (homelab)


def test_resolver_only_asks_loopback() -> None:
    servers = [line for line in configs.resolv_conf().splitlines() if "nameserver" in line]
    assert servers == ["nameserver 127.0.0.1"]


def test_node_sshd_listens_on_the_node_addresses_and_wants_keys() -> None:
    text = configs.node_sshd_config(["10.1.100.2", "10.1.97.2"])
    lines = text.splitlines()
    assert lines[:2] == ["ListenAddress 10.1.100.2", "ListenAddress 10.1.97.2"]
    assert "PasswordAuthentication no" in lines
    assert "PermitRootLogin prohibit-password" in lines
    assert "HostKey /etc/ssh/ssh_host_rsa_key" in lines


def test_boot_sshd_is_sftp_only_for_admin() -> None:
    lines = configs.boot_sshd_config("10.1.100.1", "admin").splitlines()
    assert "AllowUsers admin" in lines
    assert "PermitRootLogin no" in lines
    assert "ForceCommand internal-sftp -u 0022" in lines


def test_nginx_serves_the_homelab_web_root_and_logs_json() -> None:
    text = configs.nginx_conf("10.1.100.1", "boot.homelab.tel", "/usb1-part1/http")
    assert "listen 10.1.100.1:80;" in text
    assert "root /usb1-part1/http;" in text
    assert "access_log /var/log/nginx/access.log lab;" in text
    assert "daemon off;" in text
    assert '"client":"$remote_addr"' in text
    assert '"path":"$uri"' in text


@pytest.mark.parametrize(
    ("bind", "address"),
    [("all", "0.0.0.0"), ("loopback", "127.0.0.1")],  # noqa: S104 - expected text, no bind
)
def test_rapi_always_requires_authentication(bind: str, address: str) -> None:
    text = configs.ganeti_defaults(bind)
    assert f'RAPI_ARGS="-b {address} --require-authentication"' in text.splitlines()


def test_unknown_rapi_bind_is_refused() -> None:
    with pytest.raises(LabError, match="rapi_bind"):
        configs.ganeti_defaults("everywhere")


def _self_signed_pem() -> tuple[str, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ganeti.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    der = cert.public_bytes(serialization.Encoding.DER)
    # Ganeti's rapi.pem holds the key first, then the certificate.
    return key_pem + ssl.DER_cert_to_PEM_cert(der), der


def test_certificate_fingerprint_and_key_free_copy() -> None:
    pem, der = _self_signed_pem()
    fingerprint = configs.certificate_sha256(pem)
    assert fingerprint == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    assert len(fingerprint.split(":")) == 32
    assert fingerprint == fingerprint.upper()
    public = configs.certificate_pem(pem)
    assert "PRIVATE KEY" not in public
    assert ssl.PEM_cert_to_DER_cert(public) == der
    with pytest.raises(LabError, match="no certificate"):
        configs.certificate_sha256("-----BEGIN PRIVATE KEY-----\n")


def test_known_hosts_line_and_fingerprint() -> None:
    line = configs.known_hosts_line(["aleph.homelab.tel", "10.1.100.2"], ED25519 + " root@aleph")
    assert line == "aleph.homelab.tel,10.1.100.2 " + ED25519
    fingerprint = configs.public_key_sha256(ED25519)
    assert fingerprint.startswith("SHA256:")
    assert not fingerprint.endswith("=")


def test_namespace_script_order_and_quoting() -> None:
    script = configs.namespace_script(
        "boot",
        [
            Tmpfs("/x/fs"),
            Mkdir("/x/fs/usb1-part1/http"),
            Symlink("/x/fs/bin", "usr/bin"),
            Bind("/usr", "/x/fs/usr", read_only=True, recursive=True),
            Bind("/state/my dir", "/x/fs/usb1-part1/http"),
            Command(("chown", "61000:61000", "/x/fs/home/admin")),
        ],
    )
    lines = script.splitlines()
    assert lines[0] == "set -eu"
    assert lines[1] == "if mountpoint -q /run/netns; then umount -l /run/netns; fi"
    assert lines[2] == "hostname boot"
    assert lines[3:] == [
        "mount -t tmpfs -o mode=0755 tmpfs /x/fs",
        "mkdir -p /x/fs/usb1-part1/http",
        "ln -sfn usr/bin /x/fs/bin",
        "mount --rbind /usr /x/fs/usr",
        "mount -o remount,bind,ro /x/fs/usr",
        "mount --bind '/state/my dir' /x/fs/usb1-part1/http",
        "chown 61000:61000 /x/fs/home/admin",
    ]
    steps: list[configs.Step] = [Tmpfs("/run"), Mkdir("/a"), Bind("/b", "/c"), Command(("true",))]
    assert configs.mount_targets(steps) == ["/run", "/c"]


def test_network_batch_wires_each_nic_into_the_switch() -> None:
    inside, switch = configs.network_batch(
        switch_netns="lab-sw",
        nics=[
            ("eth0", "10.1.100.2/24", "aleph-p", "pri"),
            ("eth1", "10.1.97.2/24", "aleph-s", "sec"),
        ],
        bridge="br0",
    )
    assert inside[0] == "link set lo up"
    assert "link add name eth0 type veth peer name aleph-p netns lab-sw" in inside
    assert "addr add 10.1.97.2/24 dev eth1" in inside
    assert inside[-2:] == ["link add br0 type bridge", "link set br0 up"]
    assert switch == ["link set aleph-p master pri up", "link set aleph-s master sec up"]


def test_the_lab_cluster_is_bootstrapped_from_a_valid_multi_homed_inventory(
    tmp_path: Path,
) -> None:
    from ganetiops.bootstrap import parse_inventory
    from ganetiops.lab.lab import Lab

    lab = Lab("utest", slot=3, root=tmp_path)
    nodes = tuple(
        NodeFacts(n, f"{n}.homelab.tel", "", "", {"ssh-ed25519": ED25519}, f"utest-{n}")
        for n in topology.NODE_NAMES
    )
    boot = BootFacts(
        "boot", "", "10.103.100.1", "http://10.103.100.1", "/usb1-part1/http", "", "", "admin",
        "/k/ws", {}, "utest-boot",
    )  # fmt: skip
    facts = LabFacts(
        "utest", 3, "homelab.tel", "", "", "", "", "", nodes, boot, "", "/k/ws", "/k/kh", "", ""
    )
    inventory = parse_inventory(cluster.lab_inventory(lab, facts))
    assert inventory.cluster.name == "gnt.homelab.tel"
    assert inventory.cluster.address == "10.103.100.254"
    assert [n.name for n in inventory.nodes] == ["aleph", "bet", "dalet", "gimel"]
    gimel = next(n for n in inventory.nodes if n.name == "gimel")
    assert (gimel.primary, gimel.secondary) == ("10.103.100.4", "10.103.97.4")
    assert [u.name for u in inventory.rapi_users] == ["gnt-py", "gnt-py-read"]
    assert all(u.create for u in inventory.rapi_users)
    assert LabFacts.from_json(facts.to_json()) == facts
    # The boot server, for the context a bootstrap from this inventory writes.
    assert inventory.boot is not None
    assert (inventory.boot.url, inventory.boot.host) == ("http://10.103.100.1", "10.103.100.1")
    assert (inventory.boot.key, inventory.boot.pin_known_hosts) == ("/k/ws", "/k/kh")


def test_route_conflicts() -> None:
    plan = topology.AddressPlan.for_slot(1)
    ours = RouteEntry("10.101.100.0/24", "unreachable", 4242)
    routes: list[dict[str, Any]] = [
        {"dst": "default", "gateway": "192.0.2.1", "dev": "eth0"},
        {"dst": "192.0.2.0/24", "dev": "eth0"},
        {"type": "unreachable", "dst": "10.101.100.0/24", "metric": 4242},
        {"dst": "10.101.100.0/24", "dev": "dev1-ws", "protocol": "kernel"},
        {"type": "local", "dst": "10.101.100.100", "dev": "dev1-ws", "table": "local"},
    ]
    assert conflicting_routes(routes, plan.prefixes, ours=[ours], our_link="dev1-ws") == []
    assert conflicting_routes(routes, plan.prefixes)  # before up, nothing there is ours
    elsewhere: list[dict[str, Any]] = [*routes, {"dst": "10.101.96.0/22", "dev": "tun0"}]
    found = conflicting_routes(elsewhere, plan.prefixes, ours=[ours], our_link="dev1-ws")
    assert found == ["10.101.96.0/22 (unicast via tun0, table main)"]
    assert conflicting_routes([{"dst": "10.0.0.0/8", "dev": "vpn"}], plan.prefixes)
    assert not conflicting_routes([{"dst": "10.102.100.0/24", "dev": "x"}], plan.prefixes)
