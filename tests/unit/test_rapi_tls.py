"""TLS pinning against a real local HTTPS server (loopback), sync and async.

The server is Python's own http.server with a self-signed certificate whose CN,
like Ganeti's, matches no host name; tests against Ganeti's real certificate
are in tests/integration.
"""

from __future__ import annotations

import contextlib
import http.server
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ganetiops import errors
from ganetiops.rapi import AsyncRapiClient, RapiClient
from ganetiops.rapi.tls import TlsPolicy, normalize_fingerprint, pem_fingerprint


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"2\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _self_signed(subject: str, key: Path, cert: Path) -> None:
    """A key and a self-signed certificate for ``subject`` (valid one day)."""
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", subject, "-keyout", str(key), "-out", str(cert),
    )  # fmt: skip


@contextlib.contextmanager
def _serving(cert: Path, key: Path) -> Iterator[str]:
    """A TLS server on loopback with ``cert``, answering every GET; its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    directory = tmp_path_factory.mktemp("tls")
    key, cert = directory / "key.pem", directory / "cert.pem"
    _self_signed("/CN=ganeti.example.com", key, cert)
    with _serving(cert, key) as url:
        yield url, cert, pem_fingerprint(cert.read_text())


def test_fingerprint_pin_accepts_exactly_that_certificate(server: tuple[str, Path, str]) -> None:
    url, _cert, pin = server
    with RapiClient(url, certificate_sha256=pin.lower().replace(":", ""), retries=0) as client:
        assert client.cluster.version() == 2


def test_wrong_pin_is_refused_before_any_request(server: tuple[str, Path, str]) -> None:
    url, _cert, pin = server
    wrong = ("00:" + pin[3:]) if not pin.startswith("00") else ("11:" + pin[3:])
    with (
        RapiClient(url, certificate_sha256=wrong, retries=2) as client,
        pytest.raises(errors.CertificateError, match="does not match"),
    ):
        client.cluster.version()


def test_ca_file_checks_the_host_name_and_points_to_pinning(
    server: tuple[str, Path, str],
) -> None:
    """Ganeti's self-signed certificate (CN ganeti.example.com) as a CA file: the chain
    verifies but the host name does not, so it is refused, and the message says to pin."""
    url, cert, _pin = server
    with (
        RapiClient(url, ca_file=str(cert), retries=0) as client,
        pytest.raises(errors.CertificateError, match="certificate-sha256") as caught,
    ):
        client.cluster.version()
    assert "ganeti.example.com" in str(caught.value)
    # Naming the certificate's host explicitly is the documented way past it.
    with RapiClient(
        url, ca_file=str(cert), tls_server_name="ganeti.example.com", retries=0
    ) as client:
        assert client.cluster.version() == 2


@pytest.fixture(scope="module")
def ca_signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A server whose certificate a private CA signed for ``other.example`` only."""
    d = tmp_path_factory.mktemp("ca")
    _self_signed("/CN=test CA", d / "ca.key", d / "ca.pem")
    _openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=other.example",
        "-keyout",
        str(d / "srv.key"),
        "-out",
        str(d / "srv.csr"),
    )
    (d / "ext").write_text("subjectAltName=DNS:other.example\n")
    _openssl(
        "x509",
        "-req",
        "-in",
        str(d / "srv.csr"),
        "-CA",
        str(d / "ca.pem"),
        "-CAkey",
        str(d / "ca.key"),
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        str(d / "ext"),
        "-out",
        str(d / "srv.pem"),
    )
    with _serving(d / "srv.pem", d / "srv.key") as url:
        yield url, d / "ca.pem"


def test_ca_file_refuses_a_certificate_signed_for_another_host(
    ca_signed: tuple[str, Path],
) -> None:
    """Like curl --cacert: a CA-signed certificate for another host is refused."""
    url, ca = ca_signed
    with (
        RapiClient(url, ca_file=str(ca), retries=0) as client,
        pytest.raises(errors.CertificateError, match="does not name this host"),
    ):
        client.cluster.version()
    with RapiClient(url, ca_file=str(ca), tls_server_name="other.example", retries=0) as client:
        assert client.cluster.version() == 2
    with (
        RapiClient(url, ca_file=str(ca), tls_server_name="third.example", retries=0) as client,
        pytest.raises(errors.CertificateError),
    ):
        client.cluster.version()


async def test_async_client_checks_the_ca_host_name_too(ca_signed: tuple[str, Path]) -> None:
    url, ca = ca_signed
    async with AsyncRapiClient(url, ca_file=str(ca), retries=0) as client:
        with pytest.raises(errors.CertificateError, match="does not name this host"):
            await client.cluster.version()
    async with AsyncRapiClient(
        url, ca_file=str(ca), tls_server_name="other.example", retries=0
    ) as client:
        assert await client.cluster.version() == 2


def test_server_name_is_refused_with_a_pin() -> None:
    with pytest.raises(errors.ValidationError, match="tls-server-name"):
        TlsPolicy(sha256="AB" * 32, server_name="x.example")


def test_default_is_verified_and_fails_on_a_self_signed_certificate(
    server: tuple[str, Path, str],
) -> None:
    url, _cert, _pin = server
    with RapiClient(url, retries=0) as client, pytest.raises(errors.CertificateError):
        client.cluster.version()


def test_insecure_is_explicit_and_loud(server: tuple[str, Path, str]) -> None:
    url, _cert, _pin = server
    with pytest.warns(UserWarning, match="TLS verification is OFF"):
        client = RapiClient(url, insecure=True, retries=0)
    with client:
        assert client.cluster.version() == 2


async def test_async_client_enforces_the_pin_too(server: tuple[str, Path, str]) -> None:
    url, _cert, pin = server
    async with AsyncRapiClient(url, certificate_sha256=pin, retries=0) as client:
        assert await client.cluster.version() == 2
    wrong = TlsPolicy(sha256="AB" * 32)
    async with AsyncRapiClient(url, tls=wrong, retries=0) as client:
        with pytest.raises(errors.CertificateError):
            await client.cluster.version()


def test_fingerprint_forms_are_normalized() -> None:
    pin = "ab" * 32
    assert normalize_fingerprint("sha256:" + pin) == ":".join(["AB"] * 32)
    with pytest.raises(errors.ValidationError):
        normalize_fingerprint("abc")


def test_secrets_do_not_appear_in_reprs() -> None:
    client = RapiClient(
        "https://10.1.100.254", user="gnt-py", password="s3cr3t-pw", certificate_sha256="AB" * 32
    )
    try:
        assert "s3cr3t-pw" not in repr(client)
        assert "s3cr3t-pw" not in repr(client.auth)
        assert "s3cr3t-pw" not in repr(client.instances)
    finally:
        client.close()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("gnt.homelab.tel", "https://gnt.homelab.tel:5080"),
        ("10.1.100.254:5081", "https://10.1.100.254:5081"),
        ("fe80::1", "https://[fe80::1]:5080"),
        ("https://[2001:db8::5]:5080", "https://[2001:db8::5]:5080"),
    ],
)
def test_urls_are_normalized_with_ipv6_bracketed(given: str, expected: str) -> None:
    from ganetiops.rapi.core import normalize_url

    assert normalize_url(given) == expected


def test_credentials_in_the_url_are_refused() -> None:
    from ganetiops.rapi.core import normalize_url

    with pytest.raises(errors.ValidationError, match="never in the URL"):
        normalize_url("https://user:pw@host:5080")
