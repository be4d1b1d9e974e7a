"""TLS for RAPI: verified by default, by pinning the cluster's own certificate.

Ganeti's RAPI certificate is self-signed with the fixed CN ``ganeti.example.com``
(X.509 v1, no extensions), so ordinary hostname verification can never pass.
Three ways to trust it, in order of preference:

- ``sha256=``: the SHA-256 fingerprint of the certificate; checked right after
  the handshake, before any byte of the request is sent;
- ``ca_file=``: a PEM file holding a CA (or the certificate itself); verified as
  a chain **and** against the host name of the URL, as curl does, or against
  ``server_name=`` when the certificate names another host. Ganeti's own
  certificate names ``ganeti.example.com``: pin it with ``sha256=`` instead
  (``VERIFY_X509_STRICT`` is cleared, which would reject a v1 certificate as a
  trust anchor);
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
from typing import Any

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
    #: The host name the certificate must carry, when not the URL's (CA-verified only).
    server_name: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.server_name is not None and not self.ca_file and (self.sha256 or self.insecure):
            raise errors.ValidationError(
                "tls-server-name applies to CA-verified certificates, not to a pin",
                field="tls_server_name",
            )

    def describe(self) -> str:
        if self.insecure:
            return "NOT VERIFIED (insecure)"
        if self.sha256:
            return f"pinned sha256 {self.sha256}"
        name = f"host name {self.server_name}" if self.server_name else "host name checked"
        if self.ca_file:
            return f"CA file {self.ca_file}, {name}"
        return f"system CAs, {name}"

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
        cls = _context_class(self.server_name)
        if self.ca_file:
            ctx = cls(ssl.PROTOCOL_TLS_CLIENT)
            try:
                ctx.load_verify_locations(cafile=self.ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise errors.ConfigError(f"CA file {self.ca_file}: {exc}") from None
            ctx.verify_flags &= ~ssl.VERIFY_X509_STRICT
        else:
            ctx = cls(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_default_certs()
        # PROTOCOL_TLS_CLIENT: CERT_REQUIRED and check_hostname are on; keep them so.
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx


def _context_class(server_name: str | None) -> type[ssl.SSLContext]:
    """SSLContext, or a subclass that checks (and sends as SNI) ``server_name``."""
    if server_name is None:
        return ssl.SSLContext
    name = server_name

    class NamedContext(ssl.SSLContext):
        def wrap_socket(
            self,
            sock: Any,
            server_side: bool = False,
            do_handshake_on_connect: bool = True,
            suppress_ragged_eofs: bool = True,
            server_hostname: Any = None,
            session: Any = None,
        ) -> ssl.SSLSocket:
            return super().wrap_socket(
                sock,
                server_side,
                do_handshake_on_connect,
                suppress_ragged_eofs,
                server_hostname=name,
                session=session,
            )

        def wrap_bio(
            self,
            incoming: Any,
            outgoing: Any,
            server_side: bool = False,
            server_hostname: Any = None,
            session: Any = None,
        ) -> ssl.SSLObject:
            return super().wrap_bio(
                incoming, outgoing, server_side, server_hostname=name, session=session
            )

    return NamedContext


#: Ganeti's self-signed RAPI certificate names this host, whatever the cluster's name.
GANETI_DEFAULT_CN = "ganeti.example.com"


def verify_failure_hint(message: str) -> str:
    """What to say when CA verification failed (``message``: OpenSSL's reason)."""
    if "Hostname mismatch" in message or "IP address mismatch" in message:
        return (
            "the certificate does not name this host; if it is Ganeti's own self-signed "
            f"certificate (CN {GANETI_DEFAULT_CN}) pin it instead: certificate-sha256, "
            "e.g. gnt-py context add NAME --url URL --trust --replace; if it names "
            "another host on purpose, set tls-server-name to that name"
        )
    return (
        "certificate not trusted; pin Ganeti's self-signed certificate with "
        "certificate-sha256 (gnt-py context add NAME --url URL --trust) or give a ca-file"
    )


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
