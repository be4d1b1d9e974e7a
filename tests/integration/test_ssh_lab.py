"""The SSH room on a real lab: facts, fan-out, host-key refusal, and RAPI through the tunnel.

The lab binds RAPI to the master's loopback only (the homelab's ``-b 127.0.0.1``) and
its cluster is built with ganetiops' own bootstrap. The RAPI clients reach it only
through the SSH tunnel, including after ``gnt-cluster master-failover`` run on another
node: the same transport object follows the master, without reconfiguration.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import asyncssh
import httpx
import pytest

from ganetiops.bootstrap.apply import Bootstrap, nodes_for_inventory
from ganetiops.bootstrap.inventory import Inventory, load_inventory
from ganetiops.config import Context, SshVia
from ganetiops.config.secrets import Secret
from ganetiops.errors import HostKeyError, RapiAuthError
from ganetiops.lab import Lab
from ganetiops.rapi import AsyncRapiClient, RapiClient, TlsPolicy
from ganetiops.rapi.tls import pem_fingerprint
from ganetiops.ssh import (
    AsyncRapiTunnelTransport,
    Host,
    HostKeys,
    Mode,
    RapiTunnelTransport,
    SshSettings,
    Status,
    SyncNodes,
    connect,
    fingerprint,
    transport_for_context,
)
from tests.integration.test_bootstrap_lab import lab_inventory_dict, write_inventory

pytestmark = pytest.mark.integration

GNT_PY = str(Path(sys.executable).with_name("gnt-py"))
T = TypeVar("T")
URL = "https://gnt.homelab.tel:5080"  # only SNI and Host header: the tunnel decides where


@pytest.fixture(scope="module")
def tunnel_lab(
    lab_factory: Callable[..., Lab], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Lab, Inventory]:
    """A lab with RAPI on the master's loopback, bootstrapped by ganetiops."""
    lab = lab_factory(bare=True, rapi_bind="loopback")
    tmp = tmp_path_factory.mktemp("tunnel")
    path = write_inventory(lab_inventory_dict(lab, tmp / "secrets"), tmp / "lab.toml")
    inventory = load_inventory(path)

    async def build() -> None:
        async with Bootstrap(inventory) as boot:
            await boot.apply(verify=False)

    asyncio.run(build())
    return lab, inventory


@pytest.fixture(scope="module")
def via(tunnel_lab: tuple[Lab, Inventory]) -> SshVia:
    lab, _ = tunnel_lab
    facts = lab.facts()
    return SshVia(
        nodes=tuple(n.primary_ip for n in facts.nodes),
        key=facts.workstation_key,
        known_hosts=facts.known_hosts,
    )


@pytest.fixture(scope="module")
def tls(tunnel_lab: tuple[Lab, Inventory]) -> TlsPolicy:
    """Pin the cluster's RAPI certificate (read on a node, never the key)."""
    lab, _ = tunnel_lab
    pem = lab.run("bet", ["openssl", "x509", "-in", "/var/lib/ganeti/rapi.pem"]).stdout
    return TlsPolicy(sha256=pem_fingerprint(pem))


@pytest.fixture(scope="module")
def password(tunnel_lab: tuple[Lab, Inventory]) -> Secret:
    _, inventory = tunnel_lab
    source = next(u.password for u in inventory.rapi_users if u.name == "gnt-py")
    assert source is not None
    return source.resolve()


def eventually(probe: Callable[[], T], seconds: float = 10.0) -> T:
    """``probe()`` once it stops raising (for RAPI reloading its users file)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return probe()
        except (AssertionError, RapiAuthError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def master_of(lab: Lab) -> str:
    return lab.run("gimel", ["cat", "/var/lib/ganeti/ssconf_master_node"]).stdout.strip()


async def test_facts_of_every_node_in_parallel(tunnel_lab: tuple[Lab, Inventory]) -> None:
    lab, inventory = tunnel_lab
    async with nodes_for_inventory(inventory) as nodes:
        facts = await nodes.facts(resolve=["gnt.homelab.tel"])
    plan = lab.plan
    for node in inventory.nodes:
        f = facts[node.name]
        assert f.problems == {}
        assert f.fqdn == node.fqdn
        assert f.fqdn_addresses == (node.primary,)
        assert f.ganeti_version == "3.0.2"
        assert f.ssconf_cluster == "gnt.homelab.tel"
        assert f.ssconf_master == master_of(lab)
        assert f.drbd is None  # no DRBD module in this kernel
        assert f.volume_groups == ()  # and no LVM
        assert "br0" in f.bridge_names
        assert "noop" in f.os_providers
        assert f.daemons["ganeti-noded"]
        assert f.has_address(node.secondary or "")
        assert f.resolved["gnt.homelab.tel"] == (plan.cluster_ip,)
    assert facts["aleph"].daemons["ganeti-rapi"] is (master_of(lab) == "aleph.homelab.tel")


async def test_fan_out_serial_batch_and_fail_percent(tunnel_lab: tuple[Lab, Inventory]) -> None:
    _, inventory = tunnel_lab
    async with nodes_for_inventory(inventory) as nodes:
        report = await nodes.run("hostname", mode=Mode.SERIAL)
        assert [r.stdout.strip() for r in report] == [n.name for n in inventory.nodes]
        assert all(r.status is Status.OK for r in report)
        assert all(r.duration > 0 for r in report)

        batch = await nodes.run(
            "test $(hostname) = aleph",
            mode=Mode.BATCH,
            batch_size=2,
            max_fail_percent=10,
        )
        # aleph ok, bet failed -> 25% > 10%: the second batch (dalet, gimel) never starts.
        assert [r.status for r in batch] == [
            Status.OK,
            Status.FAILED,
            Status.SKIPPED,
            Status.SKIPPED,
        ]
        assert batch.stopped
        assert batch["bet"].exit_status == 1

        changed = await nodes.run(
            "echo changed", changed_when=lambda result: "changed" in result.stdout
        )
        assert {r.status for r in changed} == {Status.CHANGED}


async def test_changed_or_unknown_host_key_is_refused(tunnel_lab: tuple[Lab, Inventory]) -> None:
    lab, _ = tunnel_lab
    facts = lab.facts()
    bet = facts.node("bet")
    host = Host("bet.homelab.tel", bet.primary_ip)
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    settings = SshSettings(
        HostKeys({"bet": stranger}), client_keys=(facts.workstation_key,), connect_timeout=10
    )
    with pytest.raises(HostKeyError) as changed:
        await connect(host, settings)
    message = str(changed.value)
    assert f"bet.homelab.tel ({bet.primary_ip}:22)" in message
    assert fingerprint(stranger) in message
    assert fingerprint(bet.host_keys["ssh-ed25519"]) in message

    unknown = SshSettings(HostKeys(), client_keys=(facts.workstation_key,))
    with pytest.raises(HostKeyError, match="unknown host key"):
        await connect(host, unknown)

    good = SshSettings(
        HostKeys(known_hosts=[facts.known_hosts]), client_keys=(facts.workstation_key,)
    )
    conn = await connect(host, good)
    try:
        assert (await conn.run("hostname")).stdout.strip() == "bet"
    finally:
        await conn.close()


def test_sync_facade(tunnel_lab: tuple[Lab, Inventory]) -> None:
    _, inventory = tunnel_lab
    probe = nodes_for_inventory(inventory)
    hosts = [probe.host(name) for name in probe.names]
    with SyncNodes(hosts, probe.settings) as nodes:
        report = nodes.run("cat /var/lib/ganeti/ssconf_cluster_name")
        assert {r.stdout.strip() for r in report} == {"gnt.homelab.tel"}
        assert set(nodes.facts()) == {"aleph", "bet", "dalet", "gimel"}


def test_rapi_listens_on_the_master_loopback_only(tunnel_lab: tuple[Lab, Inventory]) -> None:
    lab, _ = tunnel_lab
    lab.check_route(lab.plan.cluster_ip)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"https://{lab.plan.cluster_ip}:5080/2/info", timeout=5)


def test_sync_and_async_clients_through_the_tunnel(
    via: SshVia, tls: TlsPolicy, password: Secret
) -> None:
    transport = RapiTunnelTransport.from_ssh_via(via, ssl_context=tls.ssl_context())
    with RapiClient(URL, user="gnt-py", password=password, transport=transport) as client:
        info = client.cluster.info()
        assert info.name == "gnt.homelab.tel"
        assert sorted(n.name for n in client.nodes.list()) == [
            "aleph.homelab.tel",
            "bet.homelab.tel",
            "dalet.homelab.tel",
            "gimel.homelab.tel",
        ]

    async def use_async() -> str | None:
        transport = AsyncRapiTunnelTransport.from_ssh_via(via, ssl_context=tls.ssl_context())
        async with AsyncRapiClient(
            URL, user="gnt-py", password=password, transport=transport
        ) as client:
            infos = await asyncio.gather(*(client.cluster.info() for _ in range(4)))
            assert transport.tunnel.discoveries == 1
            return infos[0].master

    assert asyncio.run(use_async()) == info.master


def test_a_context_with_an_ssh_table_gets_the_tunnel(
    via: SshVia, tls: TlsPolicy, password: Secret
) -> None:
    context = Context(name="tunnelled", user="gnt-py", ssh=via)
    transport = transport_for_context(context, ssl_context=tls.ssl_context())
    assert isinstance(transport, RapiTunnelTransport)
    with httpx.Client(transport=transport, base_url=URL) as client:
        answer = client.get("/2/info", auth=("gnt-py", password.reveal()))
    assert answer.status_code == 200


def test_the_next_call_after_a_master_failover_reaches_the_new_master(
    tunnel_lab: tuple[Lab, Inventory], via: SshVia, tls: TlsPolicy, password: Secret
) -> None:
    lab, _ = tunnel_lab
    old = master_of(lab)
    new = "bet.homelab.tel" if old != "bet.homelab.tel" else "aleph.homelab.tel"
    sync_transport = RapiTunnelTransport.from_ssh_via(via, ssl_context=tls.ssl_context())
    loop = asyncio.new_event_loop()
    async_transport = AsyncRapiTunnelTransport.from_ssh_via(via, ssl_context=tls.ssl_context())
    async_client = AsyncRapiClient(URL, user="gnt-py", password=password, transport=async_transport)
    try:
        with RapiClient(URL, user="gnt-py", password=password, transport=sync_transport) as client:
            assert client.cluster.info().master == old
            assert loop.run_until_complete(async_client.cluster.info()).master == old

            lab.run(new.split(".")[0], ["gnt-cluster", "master-failover"])
            assert master_of(lab) == new

            # Same client objects, no reconfiguration: the tunnel finds the new master.
            assert client.cluster.info().master == new
            assert sync_transport.tunnel.discoveries == 2
            assert loop.run_until_complete(async_client.cluster.info()).master == new
            assert async_transport.tunnel.discoveries == 2
    finally:
        loop.run_until_complete(async_client.aclose())
        loop.close()
        if master_of(lab) != old:
            lab.run(old.split(".")[0], ["gnt-cluster", "master-failover"])


def test_rapi_user_add_list_remove(
    tunnel_lab: tuple[Lab, Inventory], via: SshVia, tls: TlsPolicy, tmp_path: Path
) -> None:
    _, inventory = tunnel_lab
    assert inventory.path is not None
    env = {**os.environ, "TEST_RAPI_PW": "correct-horse-battery"}

    def gnt_py(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [GNT_PY, "cluster", "rapi-user", *args, "--inventory", str(inventory.path)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )

    added = gnt_py("add", "ops", "--rights", "read,write", "--password-source", "env:TEST_RAPI_PW")
    assert added.returncode == 0, added.stderr
    assert "correct-horse" not in added.stdout + added.stderr
    again = gnt_py("add", "ops", "--rights", "read,write", "--password-source", "env:TEST_RAPI_PW")
    assert "nothing changed" in again.stderr
    listed = gnt_py("list")
    assert listed.returncode == 0, listed.stderr
    assert any(line.split()[:2] == ["ops", "read,write"] for line in listed.stdout.splitlines())
    assert "HA1" not in listed.stdout

    def info_as_ops() -> str | None:
        transport = RapiTunnelTransport.from_ssh_via(via, ssl_context=tls.ssl_context())
        with RapiClient(
            URL, user="ops", password=Secret("correct-horse-battery"), transport=transport
        ) as client:
            return client.cluster.info().name

    # ganeti-rapi 3.0.2 reloads the users file by itself (inotify): give it a moment.
    assert eventually(info_as_ops) == "gnt.homelab.tel"
    removed = gnt_py("remove", "ops", "--yes")
    assert removed.returncode == 0, removed.stderr

    def refused() -> bool:
        try:
            info_as_ops()
        except RapiAuthError:
            return True
        raise AssertionError("still accepted")

    assert eventually(refused)
    assert gnt_py("remove", "ops", "--yes").returncode == 7
