"""Pure parts of the RAPI tunnel: ssconf discovery output, retry decisions."""

from __future__ import annotations

import ssl

import httpcore
import pytest

from ganetiops.ssh.nodes import parse_master_ssconf
from ganetiops.ssh.tunnel import TunnelConnectError, _retry_generation


def test_parse_master_ssconf() -> None:
    text = "bet.homelab.tel\n--\naleph.homelab.tel 10.1.100.2\nbet.homelab.tel 10.1.100.3\n"
    master, primaries = parse_master_ssconf(text)
    assert master == "bet.homelab.tel"
    assert primaries["bet.homelab.tel"] == "10.1.100.3"


def test_parse_master_ssconf_empty() -> None:
    with pytest.raises(ValueError, match="empty"):
        parse_master_ssconf("\n--\n")


class FakeTunnel:
    generation = 7


def test_retry_decisions() -> None:
    tunnel = FakeTunnel()
    refused = TunnelConnectError("refused")
    refused.generation = 3
    assert _retry_generation(refused, tunnel) == 3  # type: ignore[arg-type]
    handshake = httpcore.ConnectError("EOF during handshake")
    assert _retry_generation(handshake, tunnel) == 7  # type: ignore[arg-type]
    bad_cert = httpcore.ConnectError("certificate verify failed")
    bad_cert.__cause__ = ssl.SSLCertVerificationError("nope")
    assert _retry_generation(bad_cert, tunnel) is None  # type: ignore[arg-type]
    pin = httpcore.ConnectError("fingerprint does not match the pinned one")
    pin.__cause__ = ssl.SSLError("pin mismatch")
    assert _retry_generation(pin, tunnel) is None  # type: ignore[arg-type]
    cut = httpcore.ConnectError("EOF")
    cut.__cause__ = ssl.SSLEOFError("unexpected eof")
    assert _retry_generation(cut, tunnel) == 7  # type: ignore[arg-type]
    # Once bytes may have left, never retry.
    assert _retry_generation(httpcore.ReadError("reset"), tunnel) is None  # type: ignore[arg-type]
    assert _retry_generation(httpcore.RemoteProtocolError("x"), tunnel) is None  # type: ignore[arg-type]
