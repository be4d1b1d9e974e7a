"""Netboot text formats: layout names, MAC wrappers, the access log, key tarballs."""

from __future__ import annotations

import datetime
import gzip
import io
import tarfile

import pytest

from ganetiops.errors import ValidationError
from ganetiops.netboot import accesslog, keys, wrappers
from ganetiops.netboot.layout import Layout, class_name, host_label, mac_colons, mac_hyphens

LAYOUT = Layout("/usb1-part1/http", "http://boot.homelab.tel")


def test_layout_paths_and_urls() -> None:
    assert LAYOUT.class_dir("navidrome") == "/usb1-part1/http/nixos/by-class/navidrome"
    assert LAYOUT.old_dir("navidrome") == "/usb1-part1/http/nixos/by-class/navidrome.old"
    assert (
        LAYOUT.wrapper_path("AA:00:00:12:AB:CD")
        == "/usb1-part1/http/nixos/by-mac/aa-00-00-12-ab-cd/ipxe"
    )
    assert LAYOUT.keys_path("navidrome.homelab.tel") == "/usb1-part1/http/keys/navidrome.tar.gz"
    assert (
        LAYOUT.class_url("navidrome", "store.squashfs.sha256")
        == "http://boot.homelab.tel/nixos/by-class/navidrome/store.squashfs.sha256"
    )
    assert LAYOUT.incoming_dir("navidrome", "ab12").endswith("/by-class/.incoming-navidrome-ab12")


@pytest.mark.parametrize("bad", ["", "Navidrome", "../etc", "a/b", "x.old", "-a", "a" * 64, 3])
def test_class_names_are_single_labels(bad: object) -> None:
    with pytest.raises(ValidationError):
        class_name(bad)


def test_mac_spellings() -> None:
    assert mac_hyphens("aa:00:00:12:AB:cd") == "aa-00-00-12-ab-cd"
    assert mac_hyphens("aa-00-00-12-ab-cd") == "aa-00-00-12-ab-cd"
    assert mac_colons("aa-00-00-12-ab-cd") == "aa:00:00:12:ab:cd"
    for bad in ("aa:00:00:12:ab", "aa:00-00:12:ab:cd", "zz:00:00:12:ab:cd", "aa:00:00:12:ab:cd/"):
        with pytest.raises(ValidationError):
            mac_hyphens(bad)
    assert host_label("Navidrome.homelab.tel") == "navidrome"


def test_wrapper_text_has_the_homelab_shape() -> None:
    text = wrappers.render(
        LAYOUT, mac="aa:00:00:12:ab:cd", hostname="navidrome", class_="navidrome", provision=True
    )
    lines = text.splitlines()
    assert lines[0] == "#!ipxe"
    assert "set cmdline hostname=navidrome homelab.provision_disks=true" in lines
    assert lines[-1] == "chain http://boot.homelab.tel/nixos/by-class/navidrome/ipxe"
    parsed = wrappers.parse("aa:00:00:12:ab:cd", text)
    assert (parsed.hostname, parsed.class_name, parsed.provision, parsed.managed) == (
        "navidrome",
        "navidrome",
        True,
        True,
    )


def test_hostname_parameter_is_configurable() -> None:
    text = wrappers.render(
        LAYOUT,
        mac="aa:00:00:12:ab:cd",
        hostname="jellyfin",
        class_="jellyfin",
        provision=False,
        hostname_parameter="systemd.hostname",
    )
    assert "set cmdline systemd.hostname=jellyfin\n" in text
    assert wrappers.parse("aa-00-00-12-ab-cd", text).hostname is None
    assert (
        wrappers.parse("aa-00-00-12-ab-cd", text, hostname_parameter="systemd.hostname").hostname
        == "jellyfin"
    )
    with pytest.raises(ValidationError):
        wrappers.hostname_param("host name")


def test_flag_edit_keeps_a_hand_made_wrapper() -> None:
    hand_made = (
        "#!ipxe\n# made on the router\nset cmdline hostname=paperless console=ttyS0 "
        "homelab.provision_disks=true\nchain --replace http://boot/nixos/by-class/paperless/ipxe\n"
    )
    cleared = wrappers.with_flag(hand_made, False)
    assert cleared == hand_made.replace(" homelab.provision_disks=true", "")
    assert wrappers.with_flag(cleared, True) == hand_made
    assert wrappers.with_flag(cleared, False) == cleared
    parsed = wrappers.parse("aa-00-00-00-00-01", cleared)
    assert parsed.extra == ("console=ttyS0",)
    assert parsed.class_name == "paperless"
    assert not parsed.managed
    with pytest.raises(ValidationError):
        wrappers.with_flag("#!ipxe\nchain http://x/ipxe\n", True)


def test_wrapper_refuses_words_ipxe_would_expand() -> None:
    with pytest.raises(ValidationError):
        wrappers.render(
            LAYOUT,
            mac="aa:00:00:12:ab:cd",
            hostname="a",
            class_="a",
            provision=False,
            extra=("x=${evil}",),
        )


def test_access_log_formats() -> None:
    combined = (
        '10.1.100.23 - - [27/Nov/2026:18:31:02 +0000] "GET /nixos/by-mac/aa-00-00-12-ab-cd/ipxe'
        ' HTTP/1.1" 200 153 "-" "iPXE/1.21.1"'
    )
    json_line = (
        '{"time":"2026-11-27T18:31:03+00:00","client":"10.1.100.2","method":"GET",'
        '"path":"/nixos/by-class/navidrome/bzImage","query":"","status":200,"bytes":7,'
        '"user_agent":"iPXE"}'
    )
    entries = list(accesslog.parse("\n".join([combined, "garbage", json_line, ""])))
    assert [e.client for e in entries] == ["10.1.100.23", "10.1.100.2"]
    assert entries[0].path == "/nixos/by-mac/aa-00-00-12-ab-cd/ipxe"
    assert entries[0].user_agent == "iPXE/1.21.1"
    assert entries[0].time == datetime.datetime(2026, 11, 27, 18, 31, 2, tzinfo=datetime.UTC)
    rel = "nixos/by-mac/aa-00-00-12-ab-cd/ipxe"
    assert accesslog.fetches(entries, rel) == [entries[0]]
    later = datetime.datetime(2026, 11, 27, 18, 31, 3, tzinfo=datetime.UTC)
    assert accesslog.fetches(entries, rel, since=later) == []


def test_access_log_counts_only_successful_gets() -> None:
    line = '1.2.3.4 - - [27/Nov/2026:18:31:02 +0000] "GET /k/x HTTP/1.1" {} 0 "-" "-"'
    assert accesslog.parse_line(line.format(404)) is not None
    assert not accesslog.parse_line(line.format(404)).ok  # type: ignore[union-attr]
    assert accesslog.parse_line(line.format(304)).ok  # type: ignore[union-attr]
    assert accesslog.parse_line(line.replace("GET", "POST").format(200)).ok is False  # type: ignore[union-attr]


def test_identity_tarball_has_exactly_the_homelab_members() -> None:
    identity = keys.generate("navidrome.homelab.tel")
    assert identity.host == "navidrome"
    assert identity.host_public.startswith("ssh-rsa ")
    assert identity.root_public.startswith("ssh-ed25519 ")
    assert "PRIVATE" not in repr(identity)
    data = keys.tarball(identity)
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == ["host_privkey", "root_privkey"]
        assert all(m.mode == 0o600 for m in members)
        host = tar.extractfile("host_privkey").read().decode()  # type: ignore[union-attr]
    assert host.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    back = keys.read_tarball("navidrome", data)
    assert (back.host_public, back.root_public) == (identity.host_public, identity.root_public)
    assert all("PRIVATE" not in line for line in back.public_lines())


def test_identity_tarball_is_checked_when_read() -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("host_privkey")
        secret = b"-----BEGIN OPENSSH PRIVATE KEY-----\nnot really\n"
        info.size = len(secret)
        tar.addfile(info, io.BytesIO(secret))
    with pytest.raises(ValidationError, match="lacks root_privkey"):
        keys.read_tarball("x", gzip.compress(raw.getvalue()))
    with pytest.raises(ValidationError, match="not a gzip tarball"):
        keys.read_tarball("x", b"plain")
    # Swapped members: an ed25519 key where the RSA host key belongs.
    identity = keys.generate("x")
    swapped = keys.HostIdentity(
        "x", "", "", host_private=identity.root_private, root_private=identity.host_private
    )
    with pytest.raises(ValidationError, match="expected ssh-rsa") as err:
        keys.read_tarball("x", keys.tarball(swapped))
    assert "PRIVATE" not in str(err.value)
