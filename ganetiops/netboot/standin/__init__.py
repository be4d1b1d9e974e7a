"""The lab's boot stand-in: install the hook that plays a VM's iPXE (lab only).

The lab's ``fake`` hypervisor boots nothing. :func:`install_standin` puts a Ganeti
hook on every lab node that, when a ``pxe`` instance starts or reboots there, fetches
what the VM's firmware would: the MAC wrapper, the class script, kernel and initrd
(see :mod:`ganetiops.netboot.standin.hook`). It is a stand-in for firmware only and is
never installed on a real cluster.

Files written on each node::

    /etc/ganeti/hooks/instance-start-post.d/ganetiops-boot-standin    (0755)
    /etc/ganeti/hooks/instance-reboot-post.d/ganetiops-boot-standin   (0755)
    /etc/ganeti/hooks/instance-add-post.d/ganetiops-boot-standin      (0755)
    /etc/ganeti/ganetiops-boot-standin.json                           {"boot_url": ...}

:func:`install_standin` writes them through the lab's exec API (anything with ``name``
and ``run(argv, input=..., timeout=..., check=...)``, such as
:class:`ganetiops.lab.machine.Machine`).
"""

from __future__ import annotations

import json
import posixpath
import shlex
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any, Final, Protocol

from ganetiops.errors import ValidationError

HOOK_NAME: Final = "ganetiops-boot-standin"
HOOKS_DIR: Final = "/etc/ganeti/hooks"
HOOK_PATHS: Final = ("instance-start", "instance-reboot", "instance-add")
CONFIG_PATH: Final = "/etc/ganeti/ganetiops-boot-standin.json"


class Runner(Protocol):
    """A lab machine as the lab's exec API offers it."""

    @property
    def name(self) -> str: ...

    def run(
        self,
        command: Sequence[str],
        *,
        input: str | None = ...,
        timeout: float = ...,
        check: bool = ...,
    ) -> Any: ...


def hook_source() -> str:
    """The hook script's text (shipped as ``standin/hook.py``)."""
    return resources.files("ganetiops.netboot.standin").joinpath("hook.py").read_text()


def standin_files(boot_url: str) -> list[tuple[str, str, int]]:
    """``(path, content, mode)`` of every file the stand-in puts on a node."""
    if not boot_url.startswith("http://") or any(c.isspace() for c in boot_url):
        raise ValidationError(f"boot url {boot_url!r}: expected http://host", field="boot_url")
    source = hook_source()
    files = [
        (posixpath.join(HOOKS_DIR, f"{hpath}-post.d", HOOK_NAME), source, 0o755)
        for hpath in HOOK_PATHS
    ]
    config = json.dumps({"boot_url": boot_url.rstrip("/")}, indent=2) + "\n"
    files.append((CONFIG_PATH, config, 0o644))
    return files


def _install_command(path: str, mode: int) -> str:
    q = shlex.quote
    tmp = q(f"{path}.ganetiops-tmp")
    return (
        f"umask 022 && mkdir -p {q(posixpath.dirname(path))} && cat > {tmp} && "
        f"chmod {mode:04o} {tmp} && mv -f {tmp} {q(path)}"
    )


def install_standin(machines: Iterable[Runner], boot_url: str) -> list[str]:
    """Install the stand-in on every lab node through the lab's exec API.

    ``machines`` are the lab's Ganeti nodes (not the boot server); ``boot_url`` is
    what iPXE would get as its boot server (``http://<boot ip>``). Idempotent.
    Returns the names of the nodes done.
    """
    files = standin_files(boot_url)
    done = []
    for machine in machines:
        for path, content, mode in files:
            machine.run(["sh", "-c", _install_command(path, mode)], input=content, timeout=30)
        done.append(machine.name)
    return done
