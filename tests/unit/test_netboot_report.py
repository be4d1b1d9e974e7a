"""Boot reports, the root script, host key pinning and the lab's DHCP/kvm pieces (pure)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import attrs
import pytest

from ganetiops.errors import BootTimeout, NetbootError, ValidationError
from ganetiops.lab import configs, topology
from ganetiops.netboot import accesslog
from ganetiops.netboot.knownhosts import pin_host_key
from ganetiops.netboot.report import (
    BootReport,
    publish_root_script,
    reports,
    root_script,
    wait_report,
)
from ganetiops.netboot.sequence import check_report
from tests.unit.netboot_helpers import FakeBoot

MAC = "aa-00-00-12-ab-cd"


@pytest.fixture
def fake(tmp_path: Path) -> FakeBoot:
    return FakeBoot(tmp_path / "boot")


def _log(fake: FakeBoot, path: str, query: str = "", client: str = "10.1.100.16") -> None:
    """An access log line as the lab's nginx writes it (path and query apart)."""
    line = {
        "time": "2026-12-03T16:00:00+00:00",
        "client": client,
        "method": "GET",
        "path": path,
        "query": query,
        "status": 204 if "report" in path else 200,
        "bytes": 0,
        "user_agent": "Wget",
    }
    with fake.log.open("a") as handle:
        handle.write(json.dumps(line) + "\n")


QUERY = (
    "class=navidrome&generation=2&store=ab12&hostname=navidrome&mac=aa:00:00:12:ab:cd"
    "&ip=10.1.100.16&provisioned=yes&disk=class:navidrome+generation:2&keys=yes&sshd=yes"
)


def _entry(path: str, query: str = "", status: int = 204) -> accesslog.AccessEntry:
    line = json.dumps(
        {
            "time": "2026-12-03T16:00:00+00:00",
            "client": "10.1.100.16",
            "method": "GET",
            "path": path,
            "query": query,
            "status": status,
            "bytes": 0,
            "user_agent": "Wget",
        }
    )
    entry = accesslog.parse_line(line)
    assert entry is not None
    return entry


def test_a_report_is_read_from_its_access_log_line() -> None:
    report = BootReport.from_entry(_entry(f"/nixos/report/{MAC}", QUERY))
    assert report is not None
    assert (report.mac, report.class_name, report.generation) == (MAC, "navidrome", 2)
    assert (report.store, report.ip, report.hostname) == ("ab12", "10.1.100.16", "navidrome")
    assert report.provisioned and report.sshd and report.keys
    assert report.disk == "class:navidrome generation:2"
    assert "disks provisioned" in report.describe()


def test_combined_log_lines_keep_the_query() -> None:
    line = (
        f'10.1.100.16 - - [03/Dec/2026:16:00:00 +0000] "GET /nixos/report/{MAC}?{QUERY} '
        'HTTP/1.1" 404 0 "-" "Wget"'
    )
    entry = accesslog.parse_line(line)
    assert entry is not None
    found = reports([entry])
    assert len(found) == 1 and found[0].generation == 2  # a 404 is still a report


def test_other_requests_are_no_reports() -> None:
    entries = [
        _entry(f"/nixos/by-mac/{MAC}/ipxe", status=200),
        _entry("/nixos/report/not-a-mac", QUERY),
        _entry(f"/nixos/report/{MAC}", "provisioned=no"),
    ]
    found = reports(entries, MAC)
    assert len(found) == 1
    assert found[0].provisioned is False and found[0].class_name is None
    assert reports(entries, "aa:00:00:00:00:01") == []


def test_report_checks() -> None:
    report = BootReport.from_entry(_entry(f"/nixos/report/{MAC}", QUERY))
    assert report is not None
    check_report(report, class_="navidrome", hostname="navidrome", provisioned=True)
    with pytest.raises(NetbootError, match="runs class navidrome, not jellyfin"):
        check_report(report, class_="jellyfin", hostname="navidrome", provisioned=True)
    kept = attrs.evolve(report, provisioned=False)
    with pytest.raises(NetbootError, match="did not provision"):
        check_report(kept, class_="navidrome", hostname="navidrome", provisioned=True)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_wait_report_finds_the_report_after_the_position(fake: FakeBoot) -> None:
    clock = _Clock()
    boot = fake.client(clock=clock, sleep=clock.sleep)
    _log(fake, f"/nixos/report/{MAC}", "generation=1")  # an earlier boot's report
    position = boot.log_position()
    _log(fake, f"/nixos/report/{MAC}", "class=navidrome&generation=2")
    found = wait_report(boot, MAC, position=position, timeout=5)
    assert found.generation == 2


def test_no_report_times_out_with_the_log_and_the_console(fake: FakeBoot) -> None:
    clock = _Clock()
    boot = fake.client(clock=clock, sleep=clock.sleep)
    position = boot.log_position()
    _log(fake, f"/nixos/by-mac/{MAC}/ipxe", client="10.1.100.150")
    with pytest.raises(BootTimeout) as caught:
        wait_report(
            boot,
            MAC,
            position=position,
            timeout=3,
            diagnose=lambda: ["ganetiops-lab: no DHCP lease"],
        )
    text = str(caught.value)
    assert f"no boot report from {MAC} within 3 s" in text
    assert f"10.1.100.150 GET /nixos/by-mac/{MAC}/ipxe 200" in text
    assert "last lines of the serial console:\n  ganetiops-lab: no DHCP lease" in text


def test_diagnostics_that_fail_do_not_hide_the_timeout(fake: FakeBoot) -> None:
    clock = _Clock()
    boot = fake.client(clock=clock, sleep=clock.sleep)

    def broken() -> list[str]:
        raise OSError("node unreachable")

    with pytest.raises(BootTimeout, match=r"(?s)no boot report.*could not read: node unreachable"):
        wait_report(boot, MAC, position=boot.log_position(), timeout=1, diagnose=broken)


def test_root_script_chains_the_mac_wrapper_from_next_server(fake: FakeBoot) -> None:
    text = root_script()
    assert text.startswith("#!ipxe\n")
    assert "set boot-url http://${next-server}\n" in text
    assert "chain --replace --autofree ${boot-url}/nixos/by-mac/${mac:hexhyp}/ipxe" in text
    boot = fake.client()
    assert publish_root_script(boot) is True
    assert (fake.web / "netboot.ipxe").read_text() == text
    assert publish_root_script(boot) is False


def test_pinning_replaces_older_lines_for_the_same_names(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("aleph,10.1.100.2 ssh-ed25519 AAAAnode\nnavidrome ssh-rsa AAAAold\n")
    line = pin_host_key(known, ["navidrome", "10.1.100.16"], "ssh-rsa AAAAnew root@navidrome")
    assert line == "navidrome,10.1.100.16 ssh-rsa AAAAnew"
    assert known.read_text() == "aleph,10.1.100.2 ssh-ed25519 AAAAnode\n" + line + "\n"
    with pytest.raises(ValidationError):
        pin_host_key(known, ["bad name"], "ssh-rsa AAAA")
    with pytest.raises(ValidationError):
        pin_host_key(known, ["navidrome"], "not a key")


def test_lab_dhcp_hands_out_the_root_script_and_instance_addresses() -> None:
    plan = topology.AddressPlan.for_slot(1)
    assert plan.dhcp_range() == ("10.101.100.150", "10.101.100.199")
    argv = configs.dnsmasq_argv(
        listen=plan.boot_ip,
        dhcp_range=plan.dhcp_range(),
        root_script_url=f"http://{plan.boot_ip}/netboot.ipxe",
        hosts=[("navidrome", "10.101.100.16")],
    )
    assert "--port=0" in argv  # DHCP only: the lab never answers DNS
    assert "--interface=eth0" in argv and "--bind-interfaces" in argv
    assert "--dhcp-boot=http://10.101.100.1/netboot.ipxe,boot.homelab.tel,10.101.100.1" in argv
    assert "--dhcp-host=navidrome,10.101.100.16" in argv
    assert "--dhcp-range=10.101.100.150,10.101.100.199,255.255.255.0,1h" in argv


def test_lab_nginx_answers_reports() -> None:
    conf = configs.nginx_conf("10.1.100.1", "boot.homelab.tel", "/usb1-part1/http")
    assert "location /nixos/report/ {\n            return 204;" in conf


def test_report_time_is_kept() -> None:
    report = BootReport.from_entry(_entry(f"/nixos/report/{MAC}", QUERY))
    assert report is not None
    assert report.time == datetime.datetime(2026, 12, 3, 16, 0, tzinfo=datetime.UTC)
