"""The host side: commands, routes, namespaces, links and the checks before them.

Fail closed: the lab's prefixes get ``unreachable`` routes (metric :data:`FALLBACK_METRIC`)
before anything else exists. While the workstation veth is up its connected route wins;
if it vanishes, traffic to the lab is rejected on the host instead of following the
default route. The secondary network is never routed from the host (only the
unreachable route exists): only the nodes talk on it, as over the homelab's VLAN 97.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Final

from ganetiops.errors import LabError
from ganetiops.lab.record import RouteEntry

#: Metric of the fail-closed ``unreachable`` routes (above any connected route's 0).
FALLBACK_METRIC: Final = 4242

#: The environment of every command the lab runs: nothing of the caller's virtualenv,
#: pyenv or locale leaks into Ganeti's Python or the nodes.
CLEAN_ENV: Final = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/root",
    "USER": "root",
    "LOGNAME": "root",
    "SHELL": "/bin/bash",
}

#: Programs and files the lab uses, all from Debian packages (see :func:`debian_packages`).
REQUIRED_PATHS: Final = (
    "/usr/bin/ip",
    "/usr/bin/nsenter",
    "/usr/bin/unshare",
    "/usr/bin/prlimit",
    "/usr/bin/mountpoint",
    "/usr/sbin/chroot",
    "/usr/bin/ssh-keygen",
    "/usr/bin/ssh-keyscan",
    "/usr/sbin/sshd",
    "/usr/lib/openssh/sftp-server",
    "/usr/sbin/nginx",
    "/usr/sbin/dnsmasq",
    "/usr/bin/qemu-system-x86_64",
    "/etc/nginx/mime.types",
    "/usr/sbin/gnt-cluster",
    "/usr/lib/ganeti/ensure-dirs",
    "/usr/share/ganeti/os/noop",
    "/usr/bin/ovsdb-tool",
    "/usr/sbin/ovsdb-server",
    "/usr/bin/ovn-northd",
    "/usr/bin/ovn-nbctl",
    "/usr/share/ovn/ovn-nb.ovsschema",
    "/usr/share/ovn/ovn-sb.ovsschema",
    "/var/lib/ovn",
    "/var/log/ovn",
    "/usr/bin/curl",
    "/usr/sbin/sysctl",
)


def debian_packages() -> list[str]:
    """The Debian packages the lab needs (``ganetiops/lab/data/debian-packages.txt``)."""
    text = resources.files("ganetiops.lab").joinpath("data/debian-packages.txt").read_text()
    return [line.split("#")[0].strip() for line in text.splitlines() if line.split("#")[0].strip()]


def require_root() -> None:
    """Raise a clear :class:`LabError` unless running as root."""
    if os.geteuid() != 0:
        raise LabError(
            "the lab needs root (it creates network namespaces, veths, routes and mounts): "
            "run it as root, e.g. sudo gnt-py lab up"
        )


def preflight() -> None:
    """Check root, Linux and every program the lab runs, before creating anything."""
    require_root()
    missing = [path for path in REQUIRED_PATHS if not os.path.exists(path)]
    if not any(os.path.exists(p) for p in ("/usr/lib/ipxe/ipxe.usb", "/usr/lib/ipxe/ipxe.iso")):
        missing.append("/usr/lib/ipxe/ipxe.iso")
    if missing:
        raise LabError(
            f"missing on this host: {', '.join(missing)}. Install the lab's Debian packages: "
            f"apt-get install {' '.join(debian_packages())}"
        )


def run(
    argv: Sequence[str],
    *,
    input: str | None = None,
    timeout: float = 120.0,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; on failure raise :class:`LabError` with its stderr.

    Commands never carry secrets in ``argv`` (they go through ``input``), so the
    command line is safe to show in the error.
    """
    try:
        done = subprocess.run(
            list(argv),
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=dict(env if env is not None else CLEAN_ENV),
        )
    except subprocess.TimeoutExpired:
        raise LabError(f"{_show(argv)}: no result after {timeout:g} s") from None
    except OSError as exc:
        raise LabError(f"{_show(argv)}: {exc.strerror}") from None
    if check and done.returncode != 0:
        detail = (done.stderr.strip() or done.stdout.strip())[-2000:]
        raise LabError(f"{_show(argv)} failed (exit {done.returncode}): {detail}")
    return done


def _show(argv: Sequence[str]) -> str:
    """A command line for an error message: the lab's nsenter/env wrapper and long
    scripts shortened."""
    shown = list(argv)
    if "prlimit" in shown:
        shown = ["(in lab)", *shown[shown.index("prlimit") + 3 :]]
    text = shlex.join(shown)
    return text if len(text) <= 300 else text[:200] + " ... " + text[-80:]


def ip_batch(lines: Sequence[str], *, netns: str | None = None) -> None:
    """Run ``ip -batch`` lines, in a named network namespace if given."""
    if lines:
        run(["ip", *(["-n", netns] if netns else []), "-batch", "-"], input="\n".join(lines) + "\n")


# -- routes -----------------------------------------------------------------------------


def host_routes() -> list[dict[str, Any]]:
    """Every IPv4 route of the host, all tables (``ip -j route show table all``)."""
    routes = json.loads(run(["ip", "-j", "-4", "route", "show", "table", "all"]).stdout or "[]")
    if not isinstance(routes, list):
        raise LabError("unexpected output from ip -j route")
    return routes


def _route_network(route: Mapping[str, Any]) -> ipaddress.IPv4Network | None:
    dst = str(route.get("dst", ""))
    if dst in ("", "default"):
        return None
    try:
        return ipaddress.IPv4Network(dst, strict=False)
    except ValueError:
        return None


def conflicting_routes(
    routes: Iterable[Mapping[str, Any]],
    prefixes: Iterable[ipaddress.IPv4Network],
    *,
    ours: Iterable[RouteEntry] = (),
    our_link: str | None = None,
) -> list[str]:
    """Describe each route that sends part of a lab prefix somewhere that is not the lab.

    Default routes do not count (they are what the lab's routes override). A route is
    the lab's own when it is one of ``ours`` or goes through ``our_link``.
    """
    own = {(r.dest, r.kind, r.metric) for r in ours}
    wanted = list(prefixes)
    found = []
    for route in routes:
        network = _route_network(route)
        if network is None or not any(network.overlaps(p) for p in wanted):
            continue
        kind = str(route.get("type", "unicast"))
        if (str(network), kind, int(route.get("metric", 0))) in own:
            continue
        if our_link is not None and route.get("dev") == our_link:
            continue
        via = route.get("dev") or kind
        table = route.get("table", "main")
        found.append(f"{route.get('dst')} ({kind} via {via}, table {table})")
    return found


def add_unreachable(route: RouteEntry) -> None:
    run(["ip", "route", "add", route.kind, route.dest, "metric", str(route.metric)])


def delete_route(route: RouteEntry) -> None:
    """Remove one route the lab added; absent is fine."""
    done = run(
        ["ip", "route", "del", route.kind, route.dest, "metric", str(route.metric)], check=False
    )
    if done.returncode != 0 and "No such process" not in done.stderr:
        raise LabError(f"cannot remove route {route.dest}: {done.stderr.strip()}")


def route_device(address: str) -> str | None:
    """The interface the host would send a packet for ``address`` through (``None``: none)."""
    done = run(["ip", "-j", "route", "get", address], check=False)
    if done.returncode != 0:
        return None
    answer = json.loads(done.stdout or "[]")
    return str(answer[0].get("dev")) if answer and answer[0].get("dev") else None


def check_route(address: str, link: str) -> None:
    """Raise :class:`LabError` unless packets for ``address`` leave through ``link``."""
    device = route_device(address)
    if device != link:
        where = f"through {device}" if device else "nowhere (unreachable)"
        raise LabError(
            f"refusing to contact {address}: the host routes it {where}, not through the "
            f"lab's {link}; is the lab up?"
        )


# -- namespaces and links --------------------------------------------------------------------


def netns_exists(name: str) -> bool:
    return os.path.exists(f"/run/netns/{name}")


def add_netns(name: str) -> None:
    run(["ip", "netns", "add", name])


def delete_netns(name: str) -> None:
    if netns_exists(name):
        run(["ip", "netns", "delete", name])


def link_exists(name: str) -> bool:
    return os.path.exists(f"/sys/class/net/{name}")


def delete_link(name: str) -> None:
    if link_exists(name):
        done = run(["ip", "link", "delete", name], check=False)
        if done.returncode != 0 and link_exists(name):
            raise LabError(f"cannot remove link {name}: {done.stderr.strip()}")


def write_sysctl(path: str, value: str) -> None:
    """Write one /proc/sys value of the host (e.g. a lab interface's settings)."""
    Path("/proc/sys", path).write_text(value)


def copy_tree(source: Path, target: Path) -> None:
    """Copy a directory with its symlinks as symlinks (like ``cp -a``)."""
    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)


def write_file(path: Path, text: str, mode: int = 0o644) -> None:
    """Write ``path`` (its folders made), then set its mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def keygen(path: Path, kind: str, comment: str) -> None:
    """A fresh SSH key pair of ``kind`` at ``path`` (and ``.pub``), no passphrase."""
    bits = ["-b", "2048"] if kind == "rsa" else []
    run(["ssh-keygen", "-q", "-t", kind, *bits, "-N", "", "-C", comment, "-f", str(path)])


def ssh_dir(target: Path, comment: str) -> None:
    """A private /etc/ssh: Debian's client configuration plus fresh host keys."""
    target.mkdir(parents=True, mode=0o755)
    for name in ("ssh_config", "ssh_config.d", "moduli"):
        source = Path("/etc/ssh", name)
        if source.is_dir():
            shutil.copytree(source, target / name, symlinks=True)
        elif source.is_file():
            shutil.copyfile(source, target / name)
    from ganetiops.lab.configs import SSH_HOST_KEY_TYPES  # lazy: TLS helpers, start-up

    for kind in SSH_HOST_KEY_TYPES:
        keygen(target / f"ssh_host_{kind}_key", kind, comment)


def read_pub(private_key: Path) -> str:
    """The public key beside ``private_key`` (``.pub``), stripped."""
    return Path(f"{private_key}.pub").read_text().strip()
