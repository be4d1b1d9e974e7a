"""TLS for RAPI: verified by default, by pinning the cluster's own certificate.

Ganeti's RAPI certificate is self-signed with the fixed CN ``ganeti.example.com``
(X.509 v1, no extensions), so ordinary hostname verification can never pass.
Three ways to trust it, in order of preference:

- ``sha256=``: the SHA-256 fingerprint of the certificate; checked right after
  the handshake, before any byte of the request is sent;
- ``ca_file=``: a PEM file holding the certificate (or a real CA); verified as a
  chain, the hostname check decoupled (``VERIFY_X509_STRICT`` cleared, which
  would reject a v1 certificate as a trust anchor);
- neither: the system's CAs with the hostname checked (for clusters that run a
  real certificate).

``insecure=True`` turns verification off and says so loudly, every time.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import ssl
import warnings

import attrs

from ganetiops import errors

log = logging.getLogger(__name__)


def normalize_fingerprint(text: str) -> str:
    """Accept ``ab:cd...``, ``ABCD...`` or ``sha256:ABCD...``; return ``AB:CD:...``."""
    raw = text.strip()
    if raw.lower().startswith("sha256:"):
        raw = raw[7:]
    hexdigits = raw.replace(":", "").replace(" ", "").upper()
    if len(hexdigits) != 64 or any(c not in "0123456789ABCDEF" for c in hexdigits):
        raise errors.ValidationError(
            "certificate-sha256 must be 64 hex digits (optionally ':'-separated)",
            field="certificate_sha256",
        )
    return ":".join(hexdigits[i : i + 2] for i in range(0, 64, 2))


def fingerprint(der: bytes) -> str:
    """SHA-256 fingerprint of a DER certificate, as ``AB:CD:...``."""
    return normalize_fingerprint(hashlib.sha256(der).hexdigest())


def pem_fingerprint(pem: str) -> str:
    """SHA-256 fingerprint of the first certificate in a PEM text."""
    return fingerprint(ssl.PEM_cert_to_DER_cert(_first_certificate(pem)))


def _first_certificate(pem: str) -> str:
    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    start = pem.find(begin)
    stop = pem.find(end, start)
    if start < 0 or stop < 0:
        raise errors.ValidationError("no PEM certificate found")
    return pem[start : stop + len(end)] + "\n"


#: The first certificate of a PEM text (which may also hold a key), as PEM.
first_certificate = _first_certificate


def _optional_fingerprint(value: str | None) -> str | None:
    return normalize_fingerprint(value) if value else None


@attrs.frozen
class TlsPolicy:
    """How the client trusts the server."""

    sha256: str | None = attrs.field(default=None, converter=_optional_fingerprint)
    ca_file: str | None = None
    insecure: bool = False

    def describe(self) -> str:
        if self.insecure:
            return "NOT VERIFIED (insecure)"
        if self.sha256:
            return f"pinned sha256 {self.sha256}"
        if self.ca_file:
            return f"pinned CA file {self.ca_file}"
        return "system CAs, hostname checked"

    def ssl_context(self) -> ssl.SSLContext:
        """An SSLContext enforcing this policy (used by both clients and tunnels)."""
        if self.insecure:
            message = (
                "TLS verification is OFF for this RAPI client: anyone on the path can "
                "read the credentials and change the cluster"
            )
            warnings.warn(message, stacklevel=3)
            log.warning(message)
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return ctx
        if self.sha256:
            return _pinned_context(self.sha256)
        if self.ca_file:
            try:
                ctx = ssl.create_default_context(cafile=self.ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise errors.ConfigError(f"CA file {self.ca_file}: {exc}") from None
            ctx.check_hostname = False
            ctx.verify_flags &= ~ssl.VERIFY_X509_STRICT
            return ctx
        return ssl.create_default_context()


def _pinned_context(expected: str) -> ssl.SSLContext:
    """A context that accepts exactly the certificate with this fingerprint."""

    def check(peer_der: bytes | None) -> None:
        if peer_der is None:
            raise ssl.SSLError("server sent no certificate")
        got = fingerprint(peer_der)
        if got != expected:
            raise _PinMismatch(expected, got)

    class PinnedSocket(ssl.SSLSocket):
        def do_handshake(self, block: bool = False) -> None:
            super().do_handshake(block)
            check(self.getpeercert(binary_form=True))

    class PinnedObject(ssl.SSLObject):
        def do_handshake(self) -> None:
            super().do_handshake()
            check(self.getpeercert(binary_form=True))

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.sslsocket_class = PinnedSocket
    ctx.sslobject_class = PinnedObject
    return ctx


class _PinMismatch(ssl.SSLError):
    def __init__(self, expected: str, got: str) -> None:
        super().__init__(f"certificate fingerprint {got} does not match the pinned {expected}")
        self.expected = expected
        self.got = got


def is_pin_mismatch(exc: BaseException) -> str | None:
    """The mismatch text if ``exc`` (or its causes) is a failed pin check."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _PinMismatch):
            return str(current.args[0])
        current = current.__cause__ or current.__context__
    return None


def fetch_certificate(host: str, port: int = 5080, timeout: float = 10.0) -> tuple[str, str]:
    """Fetch a server's certificate without trusting it: ``(pem, sha256)``.

    For trust on first use: show the fingerprint to a human, who compares it
    with ``openssl x509 -fingerprint -sha256 -in /var/lib/ganeti/rapi.pem``
    run on the master.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as sock,
            ctx.wrap_socket(sock, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except OSError as exc:
        raise errors.RapiConnectionError(f"{host}:{port}: {exc}") from None
    if der is None:  # pragma: no cover - TLS servers always send one
        raise errors.CertificateError(f"{host}:{port} sent no certificate")
    return ssl.DER_cert_to_PEM_cert(der), fingerprint(der)
