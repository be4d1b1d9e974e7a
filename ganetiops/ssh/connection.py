"""One SSH connection to one node: host-key check, key authentication, commands, files.

This is the only place that talks to asyncssh for commands; everything above it
(fan-out, facts, bootstrap) takes a :class:`NodeConnection` and stays testable with
a fake one that has the same three coroutines (``run``, ``write_file``, ``close``).

Secrets reach a node through a command's standard input or a file's content, never
through argv; nothing here logs input or file content.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
import time

import asyncssh
import attrs

from ganetiops.config.secrets import Secret
from ganetiops.errors import SshError
from ganetiops.ssh.hostkeys import HostKeys

__all__ = ["CommandResult", "Host", "NodeConnection", "SshSettings", "connect"]

log = logging.getLogger(__name__)


@attrs.frozen
class Host:
    """An SSH target: the node's name, and the address to reach it at (default: the name)."""

    name: str
    address: str | None = None
    port: int = 22
    user: str = "root"
    #: Other names of the node (its FQDN...), also looked up for its host key.
    aliases: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        """What the TCP connection goes to."""
        return self.address or self.name

    def describe(self) -> str:
        """``aleph (10.1.100.2:22)`` or ``aleph:22``: for messages."""
        if self.address and self.address != self.name:
            return f"{self.name} ({self.address}:{self.port})"
        return f"{self.name}:{self.port}"


@attrs.frozen
class SshSettings:
    """How to reach every node: expected host keys, client keys, timeouts.

    ``client_keys`` are private key files; empty means the usual ``~/.ssh/id_*``.
    The user's ``~/.ssh/config`` is never read, so that what runs is what is written here.
    """

    host_keys: HostKeys
    client_keys: tuple[str, ...] = ()
    use_agent: bool = False
    connect_timeout: float = 10.0
    #: Default deadline of one remote command (``None``: no deadline).
    command_timeout: float | None = 900.0
    keepalive_interval: float = 15.0


@attrs.frozen
class CommandResult:
    """What one command did on one node."""

    host: str
    command: str
    exit_status: int | None
    stdout: str
    stderr: str
    duration: float
    #: Set when the command could not run or finish (lost connection, deadline).
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.exit_status == 0

    def check(self) -> CommandResult:
        """Raise ``SshError`` unless the command exited 0; return self otherwise."""
        if not self.ok:
            raise SshError(self.failure())
        return self

    def failure(self) -> str:
        """One line saying how the command failed (its stderr tail, never its input)."""
        if self.error:
            return f"{self.host}: {self.command.split()[0] if self.command else ''}: {self.error}"
        tail = (self.stderr.strip() or self.stdout.strip()).splitlines()[-3:]
        detail = " | ".join(tail) if tail else "no output"
        return f"{self.host}: `{_short(self.command)}` exited {self.exit_status}: {detail}"


def _short(command: str, limit: int = 120) -> str:
    one_line = " ".join(command.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


class KeyRecordingClient(asyncssh.SSHClient):
    """Refuses every key not already trusted, remembering what the server presented
    (``presented``: the key to name in :meth:`HostKeys.refused`)."""

    def __init__(self) -> None:
        self.presented: asyncssh.SSHKey | None = None

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        self.presented = key
        return False


class NodeConnection:
    """An open, host-key-verified SSH connection to one node."""

    def __init__(self, host: Host, conn: asyncssh.SSHClientConnection, settings: SshSettings):
        self.host = host
        self._conn = conn
        self._settings = settings
        self.host_key: asyncssh.SSHKey | None = conn.get_server_host_key()

    @property
    def closed(self) -> bool:
        return self._conn.is_closed()

    async def run(
        self,
        command: str,
        *,
        input: str | bytes | Secret | None = None,
        timeout: float | None = -1.0,
    ) -> CommandResult:
        """Run a shell command; never raises for a non-zero exit (see ``CommandResult.check``).

        ``input`` goes to the command's stdin (use it for secrets). ``timeout`` ``-1``
        means the settings' default.
        """
        deadline = self._settings.command_timeout if timeout == -1.0 else timeout
        data = input.reveal() if isinstance(input, Secret) else input
        started = time.monotonic()
        log.debug("%s: run %s", self.host.name, _short(command))
        try:
            done = await self._conn.run(
                command,
                input=data,
                encoding="utf-8" if not isinstance(data, bytes) else None,
                errors="replace",
                timeout=deadline,
                check=False,
            )
        except asyncssh.TimeoutError as exc:
            return self._result(command, started, exc.stdout, exc.stderr, None, "timed out")
        except (asyncssh.Error, OSError) as exc:
            return self._result(command, started, "", "", None, _why(exc))
        return self._result(
            command, started, done.stdout, done.stderr, done.exit_status, None, done.exit_signal
        )

    def _result(
        self,
        command: str,
        started: float,
        stdout: object,
        stderr: object,
        status: int | None,
        error: str | None,
        signal: object = None,
    ) -> CommandResult:
        if status == -1 and signal:
            error = error or f"killed by signal {signal[0] if isinstance(signal, tuple) else ''}"
            status = None
        return CommandResult(
            host=self.host.name,
            command=command,
            exit_status=status,
            stdout=_text(stdout),
            stderr=_text(stderr),
            duration=time.monotonic() - started,
            error=error,
        )

    async def read_file(self, path: str) -> str | None:
        """A remote text file's content, or ``None`` when it does not exist."""
        quoted = shlex.quote(path)
        result = await self.run(f"if [ -e {quoted} ]; then cat {quoted}; else exit 3; fi")
        if result.exit_status == 3 and not result.error:
            return None
        return result.check().stdout

    async def write_file(
        self,
        path: str,
        content: str | bytes | Secret,
        *,
        mode: int = 0o644,
        owner: str | None = None,
    ) -> None:
        """Write a remote file atomically (temp file + rename) with the given mode and owner.

        The content travels on stdin, never on the command line; the temporary file is
        created with mode 0600 so that a secret is never readable on the way.
        """
        quoted = shlex.quote(path)
        tmp = shlex.quote(f"{path}.ganetiops-tmp")
        steps = [f"umask 077 && cat > {tmp}"]
        if owner:
            steps.append(f"chown {shlex.quote(owner)} {tmp}")
        steps.append(f"chmod {mode:04o} {tmp}")
        steps.append(f"mv -f {tmp} {quoted}")
        command = " && ".join(steps) + f" || {{ rc=$?; rm -f {tmp}; exit $rc; }}"
        (await self.run(command, input=content)).check()

    async def open_tcp(
        self, host: str, port: int
    ) -> tuple[asyncssh.SSHReader[bytes], asyncssh.SSHWriter[bytes]]:
        """A direct-tcpip channel to ``host:port`` as seen from the node (no local port)."""
        return await self._conn.open_connection(host, port, encoding=None)

    async def close(self) -> None:
        self._conn.close()
        with contextlib.suppress(TimeoutError, asyncssh.Error, OSError):
            await asyncio.wait_for(self._conn.wait_closed(), 5)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _why(exc: BaseException) -> str:
    if isinstance(exc, asyncssh.DisconnectError):
        return f"disconnected: {exc.reason}"
    if isinstance(exc, asyncssh.ChannelOpenError):
        return f"channel refused: {exc.reason}"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


async def connect(host: Host, settings: SshSettings) -> NodeConnection:
    """Open a connection to ``host``, refusing any host key other than the expected ones.

    Raises :class:`HostKeyError` for an unknown or different host key (before any
    authentication happens) and :class:`SshError` for every other failure.
    """
    expected = settings.host_keys.expected(host)
    client = KeyRecordingClient()
    # asyncssh offers only the algorithms of the trusted keys, so a node with several host
    # keys presents the one we can check.
    try:
        conn = await asyncssh.connect(
            host.target,
            host.port,
            username=host.user,
            known_hosts=(list(expected), [], []),
            client_factory=lambda: client,
            client_keys=list(settings.client_keys) if settings.client_keys else (),
            agent_path=() if settings.use_agent else None,
            config=[],
            connect_timeout=settings.connect_timeout,
            login_timeout=settings.connect_timeout * 3,
            keepalive_interval=settings.keepalive_interval,
        )
    except asyncssh.HostKeyNotVerifiable:
        raise settings.host_keys.refused(host, client.presented, expected) from None
    except asyncssh.PermissionDenied:
        raise SshError(
            f"{host.describe()}: authentication as {host.user} refused "
            f"(client keys: {', '.join(settings.client_keys) or 'default ~/.ssh/id_*'})"
        ) from None
    except (asyncssh.Error, OSError, TimeoutError) as exc:
        what = "timed out" if isinstance(exc, TimeoutError) else _why(exc)
        raise SshError(f"{host.describe()}: cannot connect: {what}") from None
    except ValueError as exc:  # asyncssh raises it for unusable client keys or options
        raise SshError(f"{host.describe()}: cannot connect: {exc}") from None
    log.debug("%s: connected, host key %s", host.name, conn.get_server_host_key())
    return NodeConnection(host, conn, settings)
