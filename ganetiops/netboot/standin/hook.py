#!/usr/bin/python3
"""ganetiops boot stand-in: a Ganeti hook that fetches what a VM's iPXE would fetch.

FOR THE LAB ONLY, and only for ``fake`` instances: a fast test double. It stands in
for firmware: the ``fake`` hypervisor boots nothing, so when such an instance with OS
``pxe`` starts or reboots, this hook makes the
HTTP requests the VM's iPXE would make at boot — its MAC wrapper
``nixos/by-mac/<mac>/ipxe``, the class script it chains, and the kernel and initrd that
script names — from the node's own (lab) address, and nothing more. Everything else in
the netboot sequence (wrapper, flag, access log, clearing) is the real code path.

Installed by :func:`ganetiops.netboot.standin.install_standin` as
``/etc/ganeti/hooks/instance-{start,reboot,add}-post.d/ganetiops-boot-standin`` with its
configuration in ``/etc/ganeti/ganetiops-boot-standin.json`` (``{"boot_url": ...}``).

Ganeti runs post hooks on the master and on every node of the instance, with a reset
environment, and waits for them; so the hook acts only on the instance's primary node
and detaches at once, fetching in the background (log:
``/var/log/ganeti/ganetiops-boot-standin.log``). It needs only Python's standard library.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import socket
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping

CONFIG_PATH = "/etc/ganeti/ganetiops-boot-standin.json"
LOG_PATH = "/var/log/ganeti/ganetiops-boot-standin.log"
USER_AGENT = "iPXE/1.0.0+ (ganetiops boot stand-in)"
OS_NAME = "pxe"
MAX_CHAINS = 4
MAX_SCRIPT = 64 * 1024

_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_VAR = re.compile(r"\$\{([^}]*)\}")


def boot_mac(env: Mapping[str, str], hostname: str) -> str | None:
    """The MAC to boot (``aa-00-00-12-ab-cd``), or ``None`` when this hook must do nothing.

    Acts for OS ``pxe`` (any variant) instances, on their primary node only, in the
    post phase, when the instance is started (``instance-add`` runs with start only).
    """
    if env.get("GANETI_HOOKS_PHASE", "post") != "post":
        return None
    if env.get("GANETI_INSTANCE_OS_TYPE", "").split("+")[0] != OS_NAME:
        return None
    if env.get("GANETI_INSTANCE_HYPERVISOR", "fake") != "fake":
        return None  # a real VM (kvm) runs its own iPXE: nothing to stand in for
    if env.get("GANETI_HOOKS_PATH") == "instance-add" and env.get("GANETI_INSTANCE_STATUS") not in (
        "up",
        "True",
    ):
        return None
    primary = env.get("GANETI_INSTANCE_PRIMARY", "")
    if not primary or primary.split(".")[0].lower() != hostname.split(".")[0].lower():
        return None
    mac = env.get("GANETI_INSTANCE_NIC0_MAC", "").lower()
    if not _MAC.fullmatch(mac):
        return None
    return mac.replace(":", "-")


def expand(text: str, variables: Mapping[str, str]) -> str:
    """iPXE's ``${name}`` expansion (unknown names expand to nothing)."""
    return _VAR.sub(lambda m: variables.get(m.group(1), ""), text)


def script_steps(text: str, variables: dict[str, str]) -> list[tuple[str, str]]:
    """What an iPXE script asks to fetch: ``("chain"|"fetch", target)``, in order.

    Handles ``set``, ``chain``, ``kernel``/``imgfetch``/``module``/``initrd`` (options
    such as ``--name x`` skipped) and stops at ``boot`` or after a ``chain``.
    """
    steps: list[tuple[str, str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        command, args = words[0], words[1:]
        if command == "set" and args:
            variables[args[0]] = expand(" ".join(args[1:]), variables)
            continue
        # Options with a value (--name x, --timeout n) take the next word.
        cleaned: list[str] = []
        skip = False
        for word in args:
            if skip:
                skip = False
                continue
            if word in ("--name", "-n", "--timeout", "-t"):
                skip = True
                continue
            if word.startswith("-"):
                continue
            cleaned.append(word)
        targets = cleaned
        if command in ("chain", "chainload") and targets:
            steps.append(("chain", expand(targets[0], variables)))
            return steps
        if command in ("kernel", "imgfetch", "module", "initrd", "imgexec") and targets:
            steps.append(("fetch", expand(targets[0], variables)))
            continue
        if command == "boot":
            return steps
    return steps


def fetch(url: str) -> bytes:
    """GET ``url`` as iPXE would, reading the whole body; return at most MAX_SCRIPT bytes."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        head: bytes = response.read(MAX_SCRIPT)
        while response.read(1 << 20):
            pass
    return head


def boot(
    boot_url: str,
    mac: str,
    *,
    log: Callable[[str], object],
    get: Callable[[str], bytes] = fetch,
) -> list[str]:
    """Walk the boot chain from the MAC wrapper; return every URL fetched."""
    variables = {"mac:hexhyp": mac, "mac": mac.replace("-", ":"), "boot-url": boot_url}
    url = f"{boot_url.rstrip('/')}/nixos/by-mac/{mac}/ipxe"
    fetched: list[str] = []
    for _ in range(MAX_CHAINS):
        body = get(url)
        fetched.append(url)
        log(f"fetched {url}")
        next_url = None
        for kind, target in script_steps(body.decode("utf-8", "replace"), variables):
            resolved = urllib.parse.urljoin(url, target)
            if kind == "chain":
                next_url = resolved
                break
            get(resolved)
            fetched.append(resolved)
            log(f"fetched {resolved}")
        if next_url is None:
            break
        url = next_url
    return fetched


def _log_to(path: str) -> Callable[[str], object]:
    def log(message: str) -> None:
        stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{stamp} {message}\n")

    return log


def _detach(log_path: str) -> bool:
    """Double-fork into the background; True in the background child."""
    if os.fork() > 0:
        return False
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(fd, 0)
    out = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    return True


def main() -> int:
    mac = boot_mac(os.environ, socket.gethostname())
    if mac is None:
        return 0
    try:
        with open(CONFIG_PATH, encoding="utf-8") as handle:
            config = json.load(handle)
        boot_url = str(config["boot_url"])
    except (OSError, ValueError, KeyError) as exc:
        print(f"ganetiops boot stand-in: no configuration ({exc})", file=sys.stderr)
        return 0
    log_path = str(config.get("log", LOG_PATH))
    if not _detach(log_path):
        return 0
    log = _log_to(log_path)
    name = os.environ.get("GANETI_INSTANCE_NAME", "?")
    log(f"{name}: boot stand-in for {mac} via {boot_url}")
    try:
        boot(boot_url, mac, log=log)
    except Exception as exc:  # the background child reports and ends
        log(f"{name}: stopped: {exc}")
        os._exit(1)
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
