"""A real TLS-terminating HTTP proxy in front of the lab's ganeti-rapi, for fault tests.

It listens on 127.0.0.1 (a random port) with its own self-signed certificate and
forwards each request, over TLS with the lab's pinned certificate checked, to the
lab's RAPI (only to the lab's own address, after the lab's route is checked). A
test arms it to lose the answer of the next matching request:

``after_forward``  the request reaches ganeti-rapi, the proxy reads its full answer
                   (so a job really exists), then resets the client's connection
                   (TCP RST) instead of relaying it;
``before_forward`` the proxy reads the request and resets the client without
                   forwarding anything (the request never reaches Ganeti).

Either way the client sees a connection reset *after* it sent its request, which is
exactly the fault an exactly-once client must survive. ``lost`` records what the
proxy swallowed (method, path, Ganeti's status and body).
"""

from __future__ import annotations

import contextlib
import datetime
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from pathlib import Path

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ganetiops.rapi.tls import fingerprint, normalize_fingerprint


def self_signed(directory: Path) -> tuple[Path, Path, str]:
    """A fresh self-signed certificate: ``(cert.pem, key.pem, sha256 fingerprint)``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fault-proxy.invalid")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "proxy-cert.pem", directory / "proxy-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path, fingerprint(cert.public_bytes(serialization.Encoding.DER))


@attrs.define
class Lost:
    method: str
    path: str
    status: int | None
    body: bytes


def _read_http(sock: ssl.SSLSocket) -> tuple[bytes, bytes] | None:
    """One HTTP message (headers and a Content-Length body) from ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head, rest


def _reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the peer gets a TCP RST, not an orderly close."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class RapiProxy:
    """See the module text. Use as a context manager; ``url`` and ``sha256`` for clients."""

    def __init__(self, upstream: tuple[str, int], upstream_sha256: str, directory: Path) -> None:
        self.upstream = upstream
        self.upstream_sha256 = normalize_fingerprint(upstream_sha256)
        cert, key, self.sha256 = self_signed(directory)
        self._server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._server_ctx.load_cert_chain(cert, key)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._armed: list[tuple[str, Callable[[str, str], bool]]] = []
        self.lost: list[Lost] = []
        self.forwarded: list[tuple[str, str, int | None]] = []
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def arm(self, mode: str, match: Callable[[str, str], bool]) -> None:
        """Lose the answer of the next request for which ``match(method, path)``."""
        assert mode in ("after_forward", "before_forward")
        with self._lock:
            self._armed.append((mode, match))

    def __enter__(self) -> RapiProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self._listener.close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _take(self, method: str, path: str) -> str | None:
        with self._lock:
            for index, (mode, match) in enumerate(self._armed):
                if match(method, path):
                    del self._armed[index]
                    return mode
        return None

    def _upstream(self, request: bytes) -> tuple[int | None, bytes]:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # checked by fingerprint just below
        raw = socket.create_connection(self.upstream, timeout=60)
        with context.wrap_socket(raw) as tls:
            der = tls.getpeercert(binary_form=True)
            if der is None or fingerprint(der) != self.upstream_sha256:
                raise ssl.SSLError("upstream certificate does not match the lab's pin")
            tls.sendall(request)
            answer = _read_http(tls)
        if answer is None:
            return None, b""
        head, body = answer
        status = int(head.split(b" ", 2)[1])
        return status, head + b"\r\n\r\n" + body

    def _handle(self, conn: socket.socket) -> None:
        try:
            tls = self._server_ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            conn.close()  # e.g. a client that refused our certificate
            return
        try:
            message = _read_http(tls)
            if message is None:
                tls.close()
                return
            head, body = message
            method, path = head.split(b" ", 2)[:2]
            m, p = method.decode(), path.decode().split("?")[0]
            # One request per connection: ask the upstream to close after answering.
            lines = [
                line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")
            ]
            request = b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body
            mode = self._take(m, p)
            if mode == "before_forward":
                self.lost.append(Lost(m, p, None, b""))
                _reset(tls)
                return
            status, answer = self._upstream(request)
            if mode == "after_forward":
                self.lost.append(Lost(m, p, status, answer.partition(b"\r\n\r\n")[2]))
                _reset(tls)
                return
            self.forwarded.append((m, p, status))
            tls.sendall(answer)
            tls.close()
        except (OSError, ValueError) as exc:
            _log_problem(exc)
            with contextlib.suppress(OSError):
                tls.close()


def _log_problem(exc: Exception) -> None:
    import logging

    logging.getLogger(__name__).warning("rapi proxy: %s", exc)


__all__ = ["Lost", "RapiProxy", "self_signed"]
