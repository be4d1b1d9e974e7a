"""A VM of the DRBD lab as a :class:`~ganetiops.lab.machine.Machine`: commands over
OpenSSH as root, the host key checked against the lab's known_hosts only."""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from ganetiops.errors import LabError
from ganetiops.lab import host
from ganetiops.lab.machine import Machine


@attrs.frozen
class VmMachine(Machine):
    """A VM of the tier; commands run over SSH as root (host keys verified)."""

    address: str = ""
    key: str = ""
    known_hosts: str = ""
    #: The host-side veth every packet to the VM must leave through.
    link: str = ""

    def argv(self, command: Sequence[str], *, env: Mapping[str, str] | None = None) -> list[str]:
        self.check_alive()
        host.check_route(self.address, self.link)
        environment = {**host.CLEAN_ENV, **(env or {})}
        remote = ["env", "-i", *(f"{k}={v}" for k, v in environment.items()), *command]
        return [*ssh_argv(self.address, self.key, self.known_hosts), "--", _quote(remote)]

    def path(self, path: str) -> Path:
        raise LabError(f"{self.name} is a VM: read {path} with run(['cat', ...])")


def _quote(argv: Sequence[str]) -> str:
    import shlex  # lazy: start-up

    return shlex.join(argv)


def ssh_argv(address: str, key: str, known_hosts: str) -> list[str]:
    """OpenSSH as root to a VM, host key checked against the lab's known_hosts only."""
    return [
        "ssh",
        "-i",
        key,
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        f"UserKnownHostsFile={known_hosts}",
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=10",
        "-o",
        "LogLevel=ERROR",
        f"root@{address}",
    ]


def ssh_answers(address: str, key: str, known_hosts: str) -> bool:
    """Whether the VM's sshd answers on ``address`` with the host key known_hosts has
    (the caller has checked the route: packets leave through the lab's veth only)."""
    if not _port_open(address, 22):
        return False
    done = host.run([*ssh_argv(address, key, known_hosts), "true"], timeout=30, check=False)
    return done.returncode == 0


def _port_open(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=2):
            return True
    except OSError:
        return False
