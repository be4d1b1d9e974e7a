"""Files on the boot server: one small interface, over SFTP or a local directory.

:class:`SftpStore` is what ganetiops uses against a boot server (the homelab's
router takes SFTP as ``admin``). It verifies the server's host key exactly as the
SSH room does (:class:`ganetiops.ssh.HostKeys`: expected keys from the context's
``host-key`` or ``known-hosts``, never accepted on first use). The SSH room's
:class:`~ganetiops.ssh.NodeConnection` offers commands, not SFTP, and the router has
no shell to speak of, so this module opens its own asyncssh connection with the same
rules and drives it from a private event-loop thread.

:class:`LocalStore` does the same on a local directory (a boot server on this
machine, and the unit tests).

Paths are absolute POSIX paths as the server shows them. ``write`` replaces a file
atomically (temporary name, then rename), so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import secrets
import shutil
import stat as statmod
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from ganetiops.errors import SshError, ValidationError

if TYPE_CHECKING:
    import asyncssh

    from ganetiops.config import BootServer
    from ganetiops.ssh.sync import LoopThread

#: ``progress(bytes_done, bytes_total)`` while a file uploads.
Progress = Callable[[int, int], Any]


@attrs.frozen
class Entry:
    """A remote file or directory."""

    name: str
    size: int
    mtime: float
    is_dir: bool


class Store(Protocol):
    """The file operations the boot server model needs."""

    def stat(self, path: str) -> Entry | None: ...

    def listdir(self, path: str) -> list[Entry]: ...

    def read(self, path: str, *, offset: int = 0, limit: int | None = None) -> bytes | None: ...

    def write(self, path: str, data: bytes, *, mode: int = 0o644) -> None: ...

    def upload(
        self, local: Path, path: str, *, mode: int = 0o644, progress: Progress | None = None
    ) -> None: ...

    def mkdir(self, path: str) -> None: ...

    def rename(self, source: str, target: str) -> None: ...

    def remove(self, path: str) -> None: ...

    def rmdir(self, path: str) -> None: ...

    def close(self) -> None: ...


def remove_dir(store: Store, path: str) -> None:
    """Remove a flat directory (a class directory) and its files; absent is fine."""
    for entry in store.listdir(path):
        target = posixpath.join(path, entry.name)
        if entry.is_dir:
            remove_dir(store, target)
        else:
            store.remove(target)
    if store.stat(path) is not None:
        store.rmdir(path)


def _temp_name(path: str) -> str:
    head, tail = posixpath.split(path)
    return posixpath.join(head, f".{tail}.ganetiops-{secrets.token_hex(4)}")


class LocalStore:
    """A boot server web root on this machine."""

    def __init__(self, base: Path | str = "/") -> None:
        #: Remote absolute paths are taken relative to ``base`` (``/`` by default).
        self.base = Path(base)

    def _local(self, path: str) -> Path:
        if not path.startswith("/") or "/../" in f"{path}/":
            raise ValidationError(f"{path!r}: expected an absolute path without '..'")
        return self.base / path.lstrip("/")

    def stat(self, path: str) -> Entry | None:
        try:
            st = self._local(path).stat()
        except FileNotFoundError:
            return None
        return Entry(posixpath.basename(path), st.st_size, st.st_mtime, statmod.S_ISDIR(st.st_mode))

    def listdir(self, path: str) -> list[Entry]:
        try:
            names = sorted(os.listdir(self._local(path)))
        except (FileNotFoundError, NotADirectoryError):
            return []
        out = []
        for name in names:
            entry = self.stat(posixpath.join(path, name))
            if entry is not None:
                out.append(attrs.evolve(entry, name=name))
        return out

    def read(self, path: str, *, offset: int = 0, limit: int | None = None) -> bytes | None:
        try:
            with self._local(path).open("rb") as handle:
                handle.seek(offset)
                return handle.read() if limit is None else handle.read(limit)
        except (FileNotFoundError, IsADirectoryError):
            return None

    def write(self, path: str, data: bytes, *, mode: int = 0o644) -> None:
        target = self._local(path)
        tmp = self._local(_temp_name(path))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def upload(
        self, local: Path, path: str, *, mode: int = 0o644, progress: Progress | None = None
    ) -> None:
        target = self._local(path)
        shutil.copyfile(local, target)
        os.chmod(target, mode)
        if progress is not None:
            size = target.stat().st_size
            progress(size, size)

    def mkdir(self, path: str) -> None:
        self._local(path).mkdir(mode=0o755)

    def rename(self, source: str, target: str) -> None:
        dst = self._local(target)
        if dst.exists():
            raise FileExistsError(target)
        os.rename(self._local(source), dst)

    def remove(self, path: str) -> None:
        self._local(path).unlink(missing_ok=True)

    def rmdir(self, path: str) -> None:
        self._local(path).rmdir()

    def close(self) -> None:
        pass


class SftpStore:
    """The boot server over SFTP, host key verified; usable from synchronous code.

    ``SftpStore.open(boot)`` connects at once, so that a wrong host key or a refused
    login fails before any plan is shown as feasible.
    """

    def __init__(self, loop: LoopThread, conn: asyncssh.SSHClientConnection, sftp: Any) -> None:
        self._loop = loop
        self._conn = conn
        self._sftp = sftp

    @classmethod
    def open(cls, boot: BootServer, *, timeout: float = 15.0) -> SftpStore:
        from ganetiops.ssh.sync import LoopThread  # lazy: asyncssh, start-up

        loop = LoopThread(name="ganetiops-sftp")
        try:
            conn, sftp = loop.call(_connect(boot, timeout), timeout=timeout * 4)
        except BaseException:
            loop.stop()
            raise
        return cls(loop, conn, sftp)

    def _call(self, coro: Any) -> Any:
        import asyncssh  # lazy: asyncssh, start-up

        try:
            return self._loop.call(coro)
        except asyncssh.SFTPNoSuchFile:
            raise
        except asyncssh.SFTPError as exc:
            raise SshError(f"boot server SFTP: {exc.reason}") from None
        except (asyncssh.Error, OSError) as exc:
            raise SshError(f"boot server SFTP: {exc}") from None

    def stat(self, path: str) -> Entry | None:
        import asyncssh  # lazy: asyncssh, start-up

        try:
            attrs_ = self._call(self._sftp.stat(path))
        except asyncssh.SFTPNoSuchFile:
            return None
        return _entry(posixpath.basename(path), attrs_)

    def listdir(self, path: str) -> list[Entry]:
        import asyncssh  # lazy: asyncssh, start-up

        try:
            names = self._call(self._sftp.readdir(path))
        except asyncssh.SFTPNoSuchFile:
            return []
        out = [_entry(n.filename, n.attrs) for n in names if n.filename not in (".", "..")]
        return sorted(out, key=lambda e: e.name)

    def read(self, path: str, *, offset: int = 0, limit: int | None = None) -> bytes | None:
        import asyncssh  # lazy: asyncssh, start-up

        async def go() -> bytes:
            async with self._sftp.open(path, "rb") as handle:
                await handle.seek(offset)
                data: bytes = await handle.read(-1 if limit is None else limit)
                return data

        try:
            data: bytes = self._call(go())
        except asyncssh.SFTPNoSuchFile:
            return None
        return data

    def write(self, path: str, data: bytes, *, mode: int = 0o644) -> None:
        import asyncssh  # lazy: asyncssh, start-up

        tmp = _temp_name(path)

        async def go() -> None:
            attrs_ = asyncssh.SFTPAttrs(permissions=0o600)
            async with self._sftp.open(tmp, "wb", attrs_) as handle:
                await handle.write(data)
            await self._sftp.chmod(tmp, mode)
            await _replace(self._sftp, tmp, path)

        try:
            self._call(go())
        except BaseException:
            self._discard(tmp)
            raise

    def upload(
        self, local: Path, path: str, *, mode: int = 0o644, progress: Progress | None = None
    ) -> None:
        def handler(_src: bytes, _dst: bytes, done: int, total: int) -> None:
            if progress is not None:
                progress(done, total)

        async def go() -> None:
            await self._sftp.put(str(local), path, progress_handler=handler)
            await self._sftp.chmod(path, mode)

        self._call(go())

    def mkdir(self, path: str) -> None:
        self._call(self._sftp.mkdir(path))

    def rename(self, source: str, target: str) -> None:
        self._call(self._sftp.rename(source, target))

    def remove(self, path: str) -> None:
        import asyncssh  # lazy: asyncssh, start-up

        with contextlib.suppress(asyncssh.SFTPNoSuchFile):
            self._call(self._sftp.remove(path))

    def rmdir(self, path: str) -> None:
        self._call(self._sftp.rmdir(path))

    def _discard(self, path: str) -> None:
        with contextlib.suppress(SshError):
            self.remove(path)

    def close(self) -> None:
        async def go() -> None:
            self._sftp.exit()
            self._conn.close()
            await self._conn.wait_closed()

        try:
            self._loop.call(go(), timeout=10)
        except Exception:  # noqa: S110 - closing a dead connection is not an error
            pass
        finally:
            self._loop.stop()

    def __enter__(self) -> SftpStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _entry(name: str, attrs_: Any) -> Entry:
    permissions = attrs_.permissions or 0
    return Entry(
        name=name,
        size=int(attrs_.size or 0),
        mtime=float(attrs_.mtime or 0),
        is_dir=statmod.S_ISDIR(permissions),
    )


async def _replace(sftp: Any, source: str, target: str) -> None:
    """Rename over an existing file: atomic with OpenSSH's posix-rename, else remove first."""
    import asyncssh  # lazy: asyncssh, start-up

    try:
        await sftp.posix_rename(source, target)
        return
    except asyncssh.SFTPOpUnsupported:
        pass
    with contextlib.suppress(asyncssh.SFTPNoSuchFile):
        await sftp.remove(target)
    await sftp.rename(source, target)


async def _connect(boot: BootServer, timeout: float) -> tuple[Any, Any]:
    """Open the SSH connection and the SFTP session, refusing any unexpected host key."""
    import asyncssh  # lazy: asyncssh, start-up

    from ganetiops.ssh.connection import Host, KeyRecordingClient  # lazy: asyncssh, start-up
    from ganetiops.ssh.hostkeys import HostKeys  # lazy: asyncssh, start-up

    inline = {boot.host: boot.host_key} if boot.host_key else {}
    known = [boot.known_hosts] if boot.known_hosts else []
    host_keys = HostKeys(inline, known)
    host = Host(name=boot.host, port=boot.port, user=boot.user)
    expected = host_keys.expected(host)
    client = KeyRecordingClient()
    keys = [os.path.expanduser(boot.key)] if boot.key else ()
    try:
        conn = await asyncssh.connect(
            boot.host,
            boot.port,
            username=boot.user,
            known_hosts=(list(expected), [], []),
            client_factory=lambda: client,
            client_keys=keys,
            agent_path=None,
            config=[],
            connect_timeout=timeout,
            login_timeout=timeout * 2,
        )
    except asyncssh.HostKeyNotVerifiable:
        raise host_keys.refused(host, client.presented, expected) from None
    except asyncssh.PermissionDenied:
        raise SshError(
            f"boot server {boot.user}@{boot.host}: authentication refused "
            f"(key: {boot.key or 'default ~/.ssh/id_*'})"
        ) from None
    except (asyncssh.Error, OSError, TimeoutError) as exc:
        raise SshError(f"boot server {boot.host}:{boot.port}: cannot connect: {exc}") from None
    except ValueError as exc:
        raise SshError(f"boot server {boot.host}: cannot connect: {exc}") from None
    try:
        sftp = await conn.start_sftp_client()
    except (asyncssh.Error, OSError) as exc:
        conn.close()
        raise SshError(f"boot server {boot.host}: no SFTP subsystem: {exc}") from None
    return conn, sftp
