"""One boot server: its files (over SFTP), its HTTP side, and its access log.

>>> from ganetiops.netboot import BootServerClient            # doctest: +SKIP
>>> with BootServerClient.open(context.boot) as boot:
...     for info in list_classes(boot): print(info.name, info.sha256)
...     boot.wrapper("aa:00:00:12:ab:cd")

The HTTP side is what the VMs see: publishing checks the served ``.sha256``, and the
access log tells when a VM fetched its wrapper (its first boot has begun).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import attrs

from ganetiops.errors import BootTimeout, NetbootError, ValidationError
from ganetiops.netboot import accesslog, keys, wrappers
from ganetiops.netboot.layout import Layout, host_label, mac_hyphens
from ganetiops.netboot.store import Entry, SftpStore, Store

if TYPE_CHECKING:
    import httpx

    from ganetiops.config import BootServer

#: How much of the access log's end is read when no position is known.
TAIL_BYTES: Final = 4 << 20


@attrs.frozen
class WrapperState:
    """A wrapper on the server, with when it was last written and fetched."""

    wrapper: wrappers.Wrapper
    mtime: float
    #: The latest successful fetch at or after ``mtime`` (``None``: none seen, or no log).
    fetched: accesslog.AccessEntry | None = None

    @property
    def flag_fetched(self) -> bool:
        """The flag is set and a VM has fetched the wrapper since it was written."""
        return self.wrapper.provision and self.fetched is not None


class BootServerClient:
    """Files, HTTP and access log of one boot server."""

    def __init__(
        self,
        config: BootServer,
        store: Store,
        *,
        http: httpx.Client | None = None,
        hostname_param: str = wrappers.DEFAULT_HOSTNAME_PARAM,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self.config = config
        self.store = store
        self.layout = Layout(config.root, config.url)
        self.hostname_param = wrappers.hostname_param(hostname_param)
        self._http = http
        self._clock = clock
        self._sleep = sleep

    @classmethod
    def open(
        cls, config: BootServer, *, hostname_param: str = wrappers.DEFAULT_HOSTNAME_PARAM
    ) -> BootServerClient:
        """Connect over SFTP (host key verified) and prepare the HTTP client."""
        return cls(config, SftpStore.open(config), hostname_param=hostname_param)

    def close(self) -> None:
        self.store.close()
        if self._http is not None:
            self._http.close()

    def __enter__(self) -> BootServerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- HTTP ---------------------------------------------------------------------------

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            import httpx  # lazy: httpx, start-up

            # trust_env=False: no proxy from the environment between us and the boot server.
            self._http = httpx.Client(timeout=10.0, trust_env=False, follow_redirects=False)
        return self._http

    def http_get(self, rel: str) -> bytes | None:
        """The body the boot server serves at ``rel`` (``None`` for a 404)."""
        import httpx  # lazy: httpx, start-up

        url = self.layout.url_of(rel)
        try:
            response = self.http.get(url)
        except httpx.HTTPError as exc:
            raise NetbootError(f"GET {url}: {exc}") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise NetbootError(f"GET {url}: HTTP {response.status_code}")
        return response.content

    def served_sha256(self, class_name: str) -> str | None:
        """The class's ``store.squashfs.sha256`` as the VMs get it over HTTP."""
        body = self.http_get(self.layout.class_rel(class_name, "store.squashfs.sha256"))
        return parse_sha256(body.decode("ascii", "replace")) if body is not None else None

    # -- wrappers -----------------------------------------------------------------------

    def wrapper(self, mac: str) -> WrapperState | None:
        """The wrapper of ``mac``, or ``None``."""
        path = self.layout.wrapper_path(mac)
        entry = self.store.stat(path)
        data = self.store.read(path) if entry is not None else None
        if entry is None or data is None:
            return None
        parsed = wrappers.parse(
            mac, data.decode("utf-8", "replace"), hostname_parameter=self.hostname_param
        )
        return WrapperState(parsed, entry.mtime)

    def wrappers(self, *, with_fetches: bool = True) -> list[WrapperState]:
        """Every wrapper under ``nixos/by-mac/``; with the last fetch since each was written."""
        states = []
        for entry in self.store.listdir(self.layout.wrappers_dir):
            if not entry.is_dir:
                continue
            try:
                mac = mac_hyphens(entry.name)
            except ValidationError:
                continue
            state = self.wrapper(mac)
            if state is not None:
                states.append(state)
        if with_fetches and states and self.config.access_log:
            log = list(self.log_tail())
            states = [attrs.evolve(s, fetched=self._last_fetch(log, s)) for s in states]
        return states

    def _last_fetch(
        self, log: list[accesslog.AccessEntry], state: WrapperState
    ) -> accesslog.AccessEntry | None:
        since = datetime.datetime.fromtimestamp(int(state.mtime), datetime.UTC)
        found = accesslog.fetches(log, self.layout.wrapper_rel(state.wrapper.mac), since=since)
        return found[-1] if found else None

    def find_wrappers(self, hostname: str) -> list[WrapperState]:
        """Wrappers whose hostname parameter names ``hostname`` (short name)."""
        short = host_label(hostname)
        return [s for s in self.wrappers(with_fetches=False) if s.wrapper.hostname == short]

    def write_wrapper(self, mac: str, text: str) -> None:
        """Write ``nixos/by-mac/<mac>/ipxe`` atomically (creating its directory)."""
        directory = self.layout.wrapper_dir(mac)
        if self.store.stat(directory) is None:
            if self.store.stat(self.layout.wrappers_dir) is None:
                self.store.mkdir(self.layout.wrappers_dir)
            self.store.mkdir(directory)
        self.store.write(self.layout.wrapper_path(mac), text.encode(), mode=0o644)

    def set_flag(self, mac: str, provision: bool) -> bool:
        """Add or remove the provision flag; return whether the file changed."""
        state = self.wrapper(mac)
        if state is None:
            raise NetbootError(f"no wrapper for {mac_hyphens(mac)} on the boot server")
        if state.wrapper.provision == provision:
            return False
        self.write_wrapper(mac, wrappers.with_flag(state.wrapper.text, provision))
        return True

    def remove_wrapper(self, mac: str) -> bool:
        """Remove the wrapper and its directory; return whether there was one."""
        path = self.layout.wrapper_path(mac)
        existed = self.store.stat(path) is not None
        self.store.remove(path)
        directory = self.layout.wrapper_dir(mac)
        if self.store.stat(directory) is not None and not self.store.listdir(directory):
            self.store.rmdir(directory)
        return existed

    # -- host identity ------------------------------------------------------------------

    def keys_entry(self, host: str) -> Entry | None:
        return self.store.stat(self.layout.keys_path(host))

    def read_identity(self, host: str) -> keys.HostIdentity | None:
        data = self.store.read(self.layout.keys_path(host))
        return keys.read_tarball(host, data) if data is not None else None

    def upload_identity(self, identity: keys.HostIdentity, *, replace: bool = False) -> None:
        """Upload ``keys/<host>.tar.gz``; refuses to replace an existing one unless asked.

        Mode 0644: the web server must read it (the homelab serves it over HTTP).
        """
        path = self.layout.keys_path(identity.host)
        if not replace and self.store.stat(path) is not None:
            raise NetbootError(
                f"keys/{identity.host}.tar.gz already exists on the boot server; "
                "replacing it changes the machine's identity (use replace)"
            )
        if self.store.stat(self.layout.keys_dir) is None:
            self.store.mkdir(self.layout.keys_dir)
        self.store.write(path, keys.tarball(identity), mode=0o644)

    def remove_identity(self, host: str) -> bool:
        path = self.layout.keys_path(host)
        existed = self.store.stat(path) is not None
        self.store.remove(path)
        return existed

    # -- access log ---------------------------------------------------------------------

    def _log_path(self) -> str:
        if not self.config.access_log:
            raise NetbootError(
                "the boot server has no access log configured (boot.access-log in the "
                "context): ganetiops cannot see VMs fetch their wrappers"
            )
        return self.config.access_log

    def log_position(self) -> int:
        """The access log's current size: entries after it are newer than now."""
        entry = self.store.stat(self._log_path())
        return entry.size if entry is not None else 0

    def log_since(self, position: int) -> tuple[list[accesslog.AccessEntry], int]:
        """Entries written after ``position``, and the new position.

        A log that shrank (rotated) is read from its start.
        """
        path = self._log_path()
        entry = self.store.stat(path)
        size = entry.size if entry is not None else 0
        if size < position:
            position = 0
        if size == position:
            return [], position
        data = self.store.read(path, offset=position, limit=size - position) or b""
        # Only complete lines; a line being written is read next time.
        end = data.rfind(b"\n") + 1
        text = data[:end].decode("utf-8", "replace")
        return list(accesslog.parse(text)), position + end

    def log_tail(self, max_bytes: int = TAIL_BYTES) -> list[accesslog.AccessEntry]:
        """The entries in the last ``max_bytes`` of the access log."""
        path = self._log_path()
        entry = self.store.stat(path)
        if entry is None:
            return []
        start = max(0, entry.size - max_bytes)
        data = self.store.read(path, offset=start) or b""
        if start:
            data = data[data.find(b"\n") + 1 :]
        return list(accesslog.parse(data.decode("utf-8", "replace")))

    def wait_fetch(
        self,
        rel: str,
        *,
        position: int | None = None,
        since_mtime: float | None = None,
        timeout: float = 600.0,
        poll: float = 1.0,
        on_wait: Callable[[float], Any] | None = None,
    ) -> accesslog.AccessEntry:
        """Wait until the access log shows a successful fetch of ``rel``.

        Counted are fetches logged after ``position`` (a :meth:`log_position` taken
        before the file was written; exact, immune to clock differences) or, without
        one, at or after ``since_mtime`` (the file's modification time on the server).
        Raises :class:`BootTimeout` when none shows up within ``timeout`` seconds.
        """
        deadline = self._clock() + timeout
        if position is None:
            since = (
                datetime.datetime.fromtimestamp(int(since_mtime), datetime.UTC)
                if since_mtime is not None
                else None
            )
            found = accesslog.fetches(self.log_tail(), rel, since=since)
            if found:
                return found[0]
            position = self.log_position()
        while True:
            entries, position = self.log_since(position)
            found = accesslog.fetches(entries, rel)
            if found:
                return found[0]
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise BootTimeout(
                    f"no fetch of {self.layout.url_of(rel)} in the access log after {timeout:g} s"
                )
            if on_wait is not None:
                on_wait(remaining)
            self._sleep(min(poll, remaining))


def parse_sha256(text: str) -> str | None:
    """The digest of a ``.sha256`` file (``<hex>`` or ``<hex>  <name>``), lowercase."""
    words = text.split()
    if not words:
        return None
    digest = words[0].lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        return None
    return digest
