"""Host keys: inline and known_hosts sources, matching by name/short name/address, messages."""

from __future__ import annotations

from pathlib import Path

import asyncssh
import pytest

from ganetiops.errors import HostKeyError, ValidationError
from ganetiops.ssh.connection import Host
from ganetiops.ssh.hostkeys import HostKeys, fingerprint, key_line


def new_key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519").convert_to_public()


def line(key: asyncssh.SSHKey) -> str:
    return key.export_public_key().decode().strip()


def test_inline_keys_match_name_short_name_and_address() -> None:
    a, b, c = new_key(), new_key(), new_key()
    keys = HostKeys({"aleph.homelab.tel": line(a), "bet": [line(b)], "10.1.100.4": line(c)})
    assert keys.expected(Host("aleph.homelab.tel", "10.1.100.2")) == [a]
    assert keys.expected(Host("bet.homelab.tel")) == [b]
    assert keys.expected(Host("gimel.homelab.tel", "10.1.100.4")) == [c]
    assert keys.expected(Host("dalet.homelab.tel", "10.1.100.5")) == []


def test_known_hosts_file_by_name_or_address(tmp_path: Path) -> None:
    a, b = new_key(), new_key()
    path = tmp_path / "known_hosts"
    path.write_text(f"aleph.homelab.tel,10.1.100.2 {line(a)}\n10.1.100.3 {line(b)}\n")
    keys = HostKeys(known_hosts=[path])
    assert keys.expected(Host("aleph.homelab.tel", "10.9.9.9")) == [a]
    assert keys.expected(Host("bet.homelab.tel", "10.1.100.3")) == [b]


def test_with_keys_adds_to_existing() -> None:
    a, b = new_key(), new_key()
    keys = HostKeys({"aleph": line(a)}).with_keys({"aleph": line(b)})
    assert keys.expected(Host("aleph")) == [a, b]


def test_bad_inline_key_names_the_host() -> None:
    with pytest.raises(ValidationError, match=r"host-keys\.bet: not an OpenSSH public key"):
        HostKeys({"bet": "ssh-ed25519 not-base64"})


def test_missing_known_hosts_file(tmp_path: Path) -> None:
    with pytest.raises(HostKeyError, match=r"known_hosts file .*nope"):
        HostKeys(known_hosts=[tmp_path / "nope"])


def test_refusal_messages_name_host_and_fingerprints() -> None:
    expected, presented = new_key(), new_key()
    keys = HostKeys({"bet": line(expected)})
    host = Host("bet.homelab.tel", "10.1.100.3")
    changed = keys.refused(host, presented, [expected])
    text = str(changed)
    assert "bet.homelab.tel (10.1.100.3:22)" in text
    assert fingerprint(presented) in text
    assert fingerprint(expected) in text
    assert "differs" in text
    unknown = str(HostKeys().refused(host, presented, []))
    assert "unknown host key" in unknown
    assert fingerprint(presented) in unknown
    assert "never accepted automatically" in unknown


def test_key_line_drops_comment() -> None:
    key = new_key()
    key.set_comment("root@aleph")
    assert key_line(key) == " ".join(line(key).split()[:2])
