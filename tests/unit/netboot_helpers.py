"""A boot server in a temporary directory, for the netboot unit tests.

Files live under ``<tmp>/srv`` and are reached through :class:`LocalStore` (the same
interface SFTP offers). The HTTP side is an ``httpx.MockTransport`` that serves those
files and appends one JSON line per request to the access log, as the lab's nginx
does. Unit tests are pure (no network, no root); the real SFTP and nginx paths are
exercised by tests/integration/test_netboot.py.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path

import httpx

from ganetiops.config import BootServer
from ganetiops.netboot.server import BootServerClient
from ganetiops.netboot.store import LocalStore

ROOT = "/usb1-part1/http"
LOG = "/var/log/nginx/access.log"


class FakeBoot:
    """Files + HTTP + access log of a boot server, all in ``base``."""

    def __init__(self, base: Path, *, access_log: bool = True) -> None:
        self.base = base
        self.web = base / ROOT.lstrip("/")
        for sub in ("nixos/by-class", "nixos/by-mac", "keys"):
            (self.web / sub).mkdir(parents=True)
        self.log = base / LOG.lstrip("/")
        self.log.parent.mkdir(parents=True)
        self.log.touch()
        self.config = BootServer(
            url="http://boot.test",
            host="boot.test",
            root=ROOT,
            access_log=LOG if access_log else None,
        )
        self.http = httpx.Client(transport=httpx.MockTransport(self._serve))

    def _serve(self, request: httpx.Request) -> httpx.Response:
        path = self.web / request.url.path.lstrip("/")
        status = 200 if path.is_file() else 404
        self.record(request.url.path, status)
        return httpx.Response(status, content=path.read_bytes() if status == 200 else b"")

    def record(self, path: str, status: int = 200, client: str = "10.1.100.2") -> None:
        """Append an access log line as nginx would."""
        line = {
            "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "client": client,
            "method": "GET",
            "path": path,
            "status": status,
            "bytes": 0,
            "user_agent": "iPXE/1.0.0+",
        }
        with self.log.open("a") as handle:
            handle.write(json.dumps(line) + "\n")

    def client(self, **kwargs: object) -> BootServerClient:
        return BootServerClient(
            self.config,
            LocalStore(self.base),
            http=self.http,
            **kwargs,  # type: ignore[arg-type]
        )


def make_class(directory: Path, *, store: bytes = b"squashfs bytes", name: str = "") -> Path:
    """A class directory with the five files (``store`` decides the sha256)."""
    target = directory / name if name else directory
    target.mkdir(parents=True, exist_ok=True)
    (target / "bzImage").write_bytes(b"kernel")
    (target / "initrd").write_bytes(b"initrd")
    (target / "ipxe").write_text("#!ipxe\nkernel bzImage ${cmdline}\ninitrd initrd\nboot\n")
    (target / "store.squashfs").write_bytes(store)
    (target / "store.squashfs.sha256").write_text(hashlib.sha256(store).hexdigest() + "\n")
    return target
