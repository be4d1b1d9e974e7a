"""The session lab is the homelab in miniature: nodes, addresses, keys, RAPI, boot, OVN."""

from __future__ import annotations

import hashlib
import json
import secrets
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ganetiops.config import load_config
from ganetiops.errors import LabError
from ganetiops.lab import Lab, LabFacts, read_access_log
from ganetiops.lab.configs import certificate_sha256
from ganetiops.lab.host import FALLBACK_METRIC, host_routes, route_device

pytestmark = pytest.mark.integration

NODES = ("aleph", "bet", "gimel", "dalet")
GNT_PY = str(Path(sys.executable).with_name("gnt-py"))


def _expected_addresses(facts: LabFacts) -> dict[str, tuple[str, str]]:
    return {n.fqdn: (n.primary_ip, n.secondary_ip) for n in facts.nodes}


def _rapi_tls(facts: LabFacts) -> ssl.SSLContext:
    """Trust exactly the lab's RAPI certificate (its CN never matches: no hostname check)."""
    assert facts.cluster is not None
    context = ssl.create_default_context(cafile=facts.cluster.certificate)
    context.check_hostname = False
    return context


def _gnt_py(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GNT_PY, *args], capture_output=True, text=True, timeout=120, check=False)


def test_nodes_and_addresses_as_ganeti_sees_them(lab: Lab, lab_facts: LabFacts) -> None:
    done = lab.run("aleph", ["gnt-node", "list", "--no-headers", "-o", "name,pip,sip,role"])
    rows = {line.split()[0]: tuple(line.split()[1:]) for line in done.stdout.splitlines()}
    assert {name: row[:2] for name, row in rows.items()} == _expected_addresses(lab_facts)
    assert rows["aleph.homelab.tel"][2] == "M"
    assert lab_facts.slot != 0 or rows["aleph.homelab.tel"][:2] == ("10.1.100.2", "10.1.97.2")


def test_rapi_over_https_with_pinned_certificate(lab: Lab, lab_facts: LabFacts) -> None:
    cluster = lab_facts.cluster
    assert cluster is not None
    assert cluster.rapi_bind == "all"
    lab.check_route(cluster.ip)
    write = cluster.user("write")
    with httpx.Client(verify=_rapi_tls(lab_facts), timeout=30) as client:
        answer = client.get(
            f"{cluster.url}/2/nodes",
            params={"bulk": 1},
            auth=(write.name, cluster.password("write").reveal()),
        )
        assert answer.status_code == 200
        nodes = {n["name"]: (n["pip"], n["sip"]) for n in answer.json()}
        assert nodes == _expected_addresses(lab_facts)
        # Authentication is required for every call; the read user can read but not write.
        assert client.get(f"{cluster.url}/2/info").status_code == 401
        read = cluster.user("read")
        read_auth = (read.name, cluster.password("read").reveal())
        assert client.get(f"{cluster.url}/2/info", auth=read_auth).status_code == 200
        denied = client.post(f"{cluster.url}/2/instances", json={}, auth=read_auth)
        assert denied.status_code == 403


def test_context_pins_the_served_certificate(lab: Lab, lab_facts: LabFacts) -> None:
    cluster = lab_facts.cluster
    assert cluster is not None
    context = load_config().context(lab.name)
    assert context.url == cluster.url
    assert context.user == cluster.user("write").name
    password = context.resolve_password()
    assert password is not None
    assert password == cluster.password("write")
    lab.check_route(cluster.ip)
    served = ssl.get_server_certificate((cluster.ip, 5080), timeout=10)
    assert context.certificate_sha256 == certificate_sha256(served)
    assert context.certificate_sha256 == cluster.certificate_sha256


@pytest.mark.parametrize("node", NODES)
def test_each_sshd_answers_with_its_own_host_keys(lab: Lab, lab_facts: LabFacts, node: str) -> None:
    facts = lab_facts.node(node)
    lab.check_route(facts.primary_ip)
    done = subprocess.run(
        ["ssh-keyscan", "-T", "10", "-t", "ed25519,rsa", facts.primary_ip],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    served = {" ".join(line.split()[1:3]) for line in done.stdout.splitlines() if line.strip()}
    assert served == set(facts.host_keys.values())
    others = {k for n in lab_facts.nodes if n.name != node for k in n.host_keys.values()}
    assert not served & others


def test_root_key_logs_in_from_node_to_node(lab: Lab, lab_facts: LabFacts) -> None:
    """The homelab's root key mesh, checked the way Ganeti uses it (cluster alias)."""
    bet = lab_facts.node("bet")
    done = lab.run(
        "aleph",
        [
            "ssh",
            "-oBatchMode=yes",
            "-oHostKeyAlias=gnt.homelab.tel",
            "-oGlobalKnownHostsFile=/var/lib/ganeti/known_hosts",
            "-oUserKnownHostsFile=/dev/null",
            "-oStrictHostKeyChecking=yes",
            f"root@{bet.fqdn}",
            "hostname --fqdn",
        ],
    )
    assert done.stdout.strip() == bet.fqdn


@pytest.fixture(scope="module")
def instance(lab: Lab) -> Iterator[str]:
    """A sharedfile instance with the pxe OS on aleph for this module, removed afterwards."""
    name = "inst1.homelab.tel"
    lab.run(
        "aleph",
        [
            "gnt-instance",
            "add",
            "-t",
            "sharedfile",
            "-o",
            "pxe",
            "--disk",
            "0:size=64M",
            "-B",
            "minmem=128M,maxmem=128M",
            "-n",
            "aleph.homelab.tel",
            name,
        ],
    )
    try:
        yield name
    finally:
        lab.run("aleph", ["gnt-instance", "remove", "-f", name], check=False)


def _primary(lab: Lab, instance: str) -> str:
    done = lab.run("aleph", ["gnt-instance", "list", "--no-headers", "-o", "pnode", instance])
    return done.stdout.strip()


def test_pxe_create_writes_the_ipxe_image(lab: Lab, lab_facts: LabFacts, instance: str) -> None:
    disks = list(Path(lab_facts.state_dir, "shared-file-storage", instance).glob("*.disk0"))
    assert len(disks) == 1
    image = lab.machine("aleph").path("/usr/lib/ipxe/ipxe.iso").read_bytes()
    with disks[0].open("rb") as disk:
        start = disk.read(len(image))
    assert hashlib.sha256(start).hexdigest() == hashlib.sha256(image).hexdigest()


def test_sharedfile_instance_migrates_and_fails_over(lab: Lab, instance: str) -> None:
    assert _primary(lab, instance) == "aleph.homelab.tel"
    lab.run("aleph", ["gnt-instance", "migrate", "-f", "-n", "bet.homelab.tel", instance])
    assert _primary(lab, instance) == "bet.homelab.tel"
    lab.run(
        "aleph",
        ["gnt-instance", "failover", "-f", "--target-node", "aleph.homelab.tel", instance],
    )
    assert _primary(lab, instance) == "aleph.homelab.tel"
    status = lab.run("aleph", ["gnt-instance", "list", "--no-headers", "-o", "status", instance])
    assert status.stdout.strip() == "running"


def test_boot_server_publishes_over_sftp_and_serves_over_http(
    lab: Lab, lab_facts: LabFacts, tmp_path: Path
) -> None:
    boot = lab_facts.boot
    lab.check_route(boot.ip)
    payload = secrets.token_hex(16)
    (tmp_path / "hello.txt").write_text(payload)
    target = f"{boot.web_root}/nixos/by-class/labtest"
    batch = f"-rm {target}/*\n-rmdir {target}\nmkdir {target}\nput {tmp_path}/hello.txt {target}/\n"
    subprocess.run(
        [
            "sftp",
            "-b",
            "-",
            "-i",
            boot.admin_key,
            "-oIdentitiesOnly=yes",
            "-oBatchMode=yes",
            "-oStrictHostKeyChecking=yes",
            f"-oUserKnownHostsFile={lab_facts.known_hosts}",
            f"{boot.admin_user}@{boot.ip}",
        ],
        input=batch,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer = httpx.get(f"{boot.url}/nixos/by-class/labtest/hello.txt", timeout=10)
    assert answer.status_code == 200
    assert answer.text == payload
    assert Path(boot.web_root_path, "nixos/by-class/labtest/hello.txt").read_text() == payload
    served = [e for e in read_access_log(boot.access_log) if e.path.endswith("labtest/hello.txt")]
    assert served
    assert served[-1].client == lab_facts.workstation_ip
    assert served[-1].status == 200


def test_boot_server_refuses_root_and_other_keys(lab: Lab, lab_facts: LabFacts) -> None:
    boot = lab_facts.boot
    lab.check_route(boot.ip)
    done = subprocess.run(
        [
            "sftp",
            "-b",
            "-",
            "-i",
            lab_facts.root_key,
            "-oIdentitiesOnly=yes",
            "-oBatchMode=yes",
            f"-oUserKnownHostsFile={lab_facts.known_hosts}",
            f"root@{boot.ip}",
        ],
        input="ls\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "Permission denied" in done.stderr


def test_ovn_databases_on_dalet_answer_from_the_host(lab: Lab, lab_facts: LabFacts) -> None:
    dalet = lab_facts.node("dalet")
    lab.check_route(dalet.primary_ip)
    nb = ["ovn-nbctl", f"--db={lab_facts.ovn_nb}", "--timeout=20"]
    sb = ["ovn-sbctl", f"--db={lab_facts.ovn_sb}", "--timeout=20"]
    subprocess.run([*nb, "show"], check=True, capture_output=True, timeout=30)
    subprocess.run([*nb, "ls-add", "labtest"], check=True, capture_output=True, timeout=30)
    try:
        # ovn-northd turns the new logical switch into a southbound datapath.
        deadline = time.monotonic() + 20
        while True:
            done = subprocess.run(
                [*sb, "--columns=external_ids", "list", "Datapath_Binding"],
                check=True,
                capture_output=True,
                text=True,
                timeout=30,
            )
            if "labtest" in done.stdout or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert "labtest" in done.stdout
    finally:
        subprocess.run([*nb, "ls-del", "labtest"], check=False, capture_output=True, timeout=30)
    inside = lab.run("dalet", ["ovn-nbctl", "show"])
    assert "labtest" not in inside.stdout


def test_verify_reports_only_the_missing_sysrq_trigger(lab: Lab) -> None:
    done = lab.run("aleph", ["gnt-cluster", "verify"], check=False)
    errors = [line for line in done.stdout.splitlines() if "ERROR" in line]
    assert len(errors) == len(NODES)
    assert all("ENODESETUP" in e or "sysrq-trigger" in e for e in errors)


def test_fail_closed_routes(lab: Lab, lab_facts: LabFacts) -> None:
    link = lab_facts.workstation_link
    assert route_device(lab_facts.node("aleph").primary_ip) == link
    assert route_device(lab_facts.node("aleph").secondary_ip) is None
    unreachable = {
        r["dst"]
        for r in host_routes()
        if r.get("type") == "unreachable" and r.get("metric") == FALLBACK_METRIC
    }
    assert {lab_facts.primary_network, lab_facts.secondary_network} <= unreachable
    with pytest.raises(LabError, match="refusing to contact"):
        lab.check_route(lab_facts.node("aleph").secondary_ip)


def test_status_json_shows_roles_daemons_and_no_secret(lab: Lab, lab_facts: LabFacts) -> None:
    done = _gnt_py("--format", "json", "lab", "--name", lab.name, "status")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    machines = {m["name"]: m for m in status["machines"]}
    assert status["phase"] == "up"
    assert status["running"]
    assert machines["aleph"]["role"] == "master"
    assert {machines[n]["role"] for n in ("bet", "gimel", "dalet")} == {"candidate"}
    assert machines["boot"]["role"] == "boot server"
    for node in NODES:
        assert {"sshd", "ganeti-noded"} <= set(machines[node]["daemons"])
    assert {"ganeti-rapi", "ganeti-luxid", "ganeti-wconfd"} <= set(machines["aleph"]["daemons"])
    assert {"ovsdb-server-nb", "ovsdb-server-sb", "ovn-northd"} <= set(machines["dalet"]["daemons"])
    assert set(machines["boot"]["daemons"]) == {"nginx", "sshd", "dnsmasq"}
    assert status["facts"]["cluster"]["users"][1]["access"] == "read"
    assert lab_facts.cluster is not None
    for access in ("write", "read"):
        assert lab_facts.cluster.password(access).reveal() not in done.stdout


def test_status_table(lab: Lab) -> None:
    done = _gnt_py("lab", "--name", lab.name, "status")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"lab {lab.name}: up, slot {lab.slot}"
    assert any(line.split()[:2] == ["aleph", "master"] for line in lines)


def test_exec_runs_inside_nodes_and_the_boot_server(lab: Lab) -> None:
    done = _gnt_py("lab", "--name", lab.name, "exec", "gimel", "--", "hostname", "--fqdn")
    assert (done.returncode, done.stdout.strip()) == (0, "gimel.homelab.tel")
    done = _gnt_py("lab", "--name", lab.name, "exec", "boot", "--", "ls", "/usb1-part1/http")
    assert done.returncode == 0
    assert {"keys", "nixos"} <= set(done.stdout.split())
    failed = _gnt_py("lab", "--name", lab.name, "exec", "aleph", "--", "false")
    assert failed.returncode == 1


def test_up_on_a_running_lab_changes_nothing(lab: Lab) -> None:
    before = lab.layout.record.read_bytes()
    done = _gnt_py("lab", "--name", lab.name, "up")
    assert done.returncode == 0
    assert "already up" in done.stderr
    assert lab.layout.record.read_bytes() == before
    with pytest.raises(LabError, match="already up"):
        lab.up()


def test_nodes_have_private_state(lab: Lab) -> None:
    hostnames = {lab.run(n, ["hostname"]).stdout.strip() for n in NODES}
    assert hostnames == set(NODES)
    for node in NODES:
        private = lab.machine(node).path("/var/lib/ganeti")
        assert (private / "config.data").exists() or (private / "ssconf_cluster_name").exists()
        assert private.stat().st_ino != Path("/var/lib/ganeti").stat().st_ino
    links = lab.run("aleph", ["ls", "/sys/class/net"]).stdout.split()
    # the node's own NICs, br0 with its uplink onto the primary network (kvm VMs' taps
    # join br0 while they run), then its OVN chassis' user-space bridges (tap devices of
    # ovs-vswitchd's netdev datapath: br-int, the provider bridge br-ext, ovs-netdev)
    own = {link for link in links if not link.startswith("tap")}
    assert own == {"lo", "eth0", "eth1", "br0", "uplink", "br-int", "br-ext", "ovs-netdev"}
