"""Fact parsers on real outputs: DRBD captures (tests/data/drbd) and this Debian 12 host."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganetiops.ssh import parsers
from ganetiops.ssh.parsers import Bridge, InterfaceAddress, VolumeGroup

DRBD = Path(__file__).parent.parent / "data" / "drbd"


def drbd(name: str) -> str:
    return (DRBD / f"{name}.proc_drbd.txt").read_text()


def test_proc_drbd_module_loaded_no_resource() -> None:
    info = parsers.parse_proc_drbd(drbd("node1-00-module-loaded-no-resource"), 0)
    assert info is not None
    assert info.version == "8.4.11"
    assert info.major == 8
    assert info.api == "1"
    assert info.proto == "86-101"
    assert info.compat is None
    assert info.srcversion == "F73C670A7EC572DB9CF3E5B"
    assert info.minors == ()


def test_proc_drbd_syncing_resource_ignores_progress_lines() -> None:
    info = parsers.parse_proc_drbd(drbd("node1-02-syncsource-primary"), 0)
    assert info is not None
    assert [(m.minor, m.connection, m.roles, m.disk_states) for m in info.minors] == [
        (0, "SyncSource", "Primary/Secondary", "UpToDate/Inconsistent")
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("node1-03-uptodate-primary", [(0, "Connected", "Primary/Secondary")]),
        ("node1-06-verify-target", [(0, "VerifyT", "Secondary/Primary")]),
        ("node1-08-detached-diskless", [(0, "Connected", "Secondary/Primary")]),
        ("node2-22-split-brain-node2", [(0, "StandAlone", "Primary/Unknown")]),
        ("node2-09-down-unconfigured", []),
        (
            "node3-12-ganeti-two-resources-node3",
            [(0, "Connected", "Primary/Secondary"), (1, "Connected", "Secondary/Primary")],
        ),
    ],
)
def test_proc_drbd_minors(name: str, expected: list[tuple[int, str, str]]) -> None:
    info = parsers.parse_proc_drbd(drbd(name), 0)
    assert info is not None
    assert [(m.minor, m.connection, m.roles) for m in info.minors] == expected


def test_proc_drbd_9_in_84_compat_mode() -> None:
    # The homelab's first line (homelab.md §1.4: DRBD 9.3.3 in 8.4 compatibility mode).
    info = parsers.parse_proc_drbd("version: 9.3.3 (api:2/proto:118-124) (compat 8.4)\n", 0)
    assert info is not None
    assert (info.version, info.major, info.api, info.proto, info.compat) == (
        "9.3.3",
        9,
        "2",
        "118-124",
        "8.4",
    )


def test_proc_drbd_absent_module() -> None:
    # This host: `cat /proc/drbd` → rc 1, "No such file or directory" on stderr.
    assert parsers.parse_proc_drbd("", 1) is None


def test_proc_drbd_garbage_is_rejected() -> None:
    with pytest.raises(ValueError, match="no version line"):
        parsers.parse_proc_drbd("something else\n", 0)


def test_usermode_helper_from_sysfs() -> None:
    params = (DRBD / "node1-00-module-loaded-no-resource.sysfs_params.txt").read_text()
    line = next(x for x in params.splitlines() if "usermode_helper" in x)
    assert parsers.parse_first_line(line.split(":", 1)[1] + "\n", 0) == "/bin/true"
    assert parsers.parse_first_line("", 1) is None


def test_ganeti_version_debian_package() -> None:
    # `gnt-cluster --version` on Debian 12's ganeti 3.0.2-3.
    assert parsers.parse_ganeti_version("gnt-cluster (ganeti 3.0.2-3) 3.0.2\n", 0) == "3.0.2"
    assert parsers.parse_ganeti_version("gnt-cluster (ganeti v2.16.0) 2.16.0\n", 0) == "2.16.0"
    assert parsers.parse_ganeti_version("", 127) is None
    # `ganeti-confd --version | head -1` on the same package, and an upstream build.
    confd = "ganeti-confd (ganeti) version 3.0.2-3\n"
    assert parsers.parse_ganeti_version(confd, 0) == "3.0.2"
    assert parsers.parse_ganeti_version("ganeti-confd (ganeti) version v3.1.0~rc1\n", 0) == (
        "3.1.0~rc1"
    )
    with pytest.raises(ValueError, match="unexpected gnt-cluster"):
        parsers.parse_ganeti_version("weird\n", 0)


def test_getent_ahostsv4_real_output() -> None:
    out = "127.0.0.1       STREAM vm\n127.0.0.1       DGRAM  \n127.0.0.1       RAW    \n"
    assert parsers.parse_getent_hosts(out, 0) == ("127.0.0.1",)
    many = "10.1.100.2 STREAM aleph.homelab.tel\n10.1.100.2 DGRAM\n10.1.97.2 STREAM aleph\n"
    assert parsers.parse_getent_hosts(many, 0) == ("10.1.100.2", "10.1.97.2")
    assert parsers.parse_getent_hosts("", 2) == ()


def test_daemons() -> None:
    out = "ganeti-noded running\nganeti-rapi stopped\n"
    assert parsers.parse_daemons(out, 0) == {"ganeti-noded": True, "ganeti-rapi": False}
    with pytest.raises(ValueError, match="unexpected daemon line"):
        parsers.parse_daemons("ganeti-noded maybe\n", 0)


def test_bridges_linux_and_ovs() -> None:
    out = "linux br0\novs br0\novs br-int\nnoise\n"
    assert parsers.parse_bridges(out, 0) == (
        Bridge("br0", "linux"),
        Bridge("br0", "ovs"),
        Bridge("br-int", "ovs"),
    )


def test_vgs() -> None:
    out = "  pool_gnt|476937.00|476937.00\n  pool_host|238467.00|0\n"
    assert parsers.parse_vgs(out, 0) == (
        VolumeGroup("pool_gnt", 476937.0, 476937.0),
        VolumeGroup("pool_host", 238467.0, 0.0),
    )
    assert parsers.parse_vgs("", 0) == ()  # this host: lvm2 installed, no VG
    assert parsers.parse_vgs("", 127) == ()  # no LVM tools


def test_os_providers_first_in_search_path_wins() -> None:
    out = "/usr/share/ganeti/os/debootstrap\n/usr/share/ganeti/os/noop\n/srv/x/noop\n"
    assert parsers.parse_os_providers(out, 0) == ("debootstrap", "noop")


def test_ssconf_value() -> None:
    assert parsers.parse_ssconf_value("aleph.homelab.tel\n", 0) == "aleph.homelab.tel"
    assert parsers.parse_ssconf_value("", 1) is None


def test_ip_addr_real_output() -> None:
    out = (
        "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n"
        "4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever\n"
        "5: veth1@if6    inet 10.1.97.2/24 scope global veth1\\       valid_lft forever\n"
    )
    assert parsers.parse_addresses(out, 0) == (
        InterfaceAddress("lo", "127.0.0.1", 8),
        InterfaceAddress("eth0", "192.0.2.2", 24),
        InterfaceAddress("veth1", "10.1.97.2", 24),
    )
