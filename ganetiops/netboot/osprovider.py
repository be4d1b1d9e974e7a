"""Install the project's ``pxe`` OS provider on real nodes, over SSH.

The provider (``ganetiops/netboot/provider/pxe``: ``create``, ``export``, ``import``,
``rename``, ``common.sh``, ``ganeti_api_version``) is copied to
``/srv/ganeti/os/pxe`` (or another directory of Ganeti's OS search path) on every
node, scripts mode 0755. Before copying, each node is checked for the tools the
scripts call (``dd``, ``blockdev``, ``stat``, ``gzip``; ``zstd`` is optional: export
falls back to gzip, unlike the homelab's copy which calls a missing ``zstd``) and for
an iPXE image (Debian's ``/usr/lib/ipxe/ipxe.iso`` or ``ipxe.usb``, or ``ipxe.img``
beside the scripts, which ``image=`` uploads). Afterwards the master runs
``gnt-os diagnose`` and ``gnt-os list``, and ``pxe`` must be valid.

On NixOS, ``/srv/ganeti/os`` is a symlink into the read-only Nix store
(homelab.md §1.1): that is refused with a message; install through the node's Nix
configuration or give another path.
"""

from __future__ import annotations

import hashlib
import posixpath
import shlex
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs

from ganetiops.errors import SshError, ValidationError

if TYPE_CHECKING:
    from ganetiops.ssh.nodes import Nodes

DEFAULT_TARGET: Final = "/srv/ganeti/os/pxe"
SCRIPTS: Final = ("create", "export", "import", "rename")
DATA: Final = ("common.sh", "ganeti_api_version")
#: Tools the scripts need on the node; zstd is optional.
REQUIRED_TOOLS: Final = ("bash", "dd", "blockdev", "stat", "gzip", "od", "sed", "tr")
IMAGE_NAME: Final = "ipxe.img"
#: PATH for the commands run on a node (Debian and NixOS).
_NODE_PATH: Final = "/sbin:/bin:/usr/sbin:/usr/bin:/run/current-system/sw/bin"
DEBIAN_IMAGES: Final = ("/usr/lib/ipxe/ipxe.usb", "/usr/lib/ipxe/ipxe.iso")


def provider_dir() -> Path:
    """The provider as shipped in the package."""
    return Path(str(resources.files("ganetiops.netboot").joinpath("provider/pxe")))


def provider_files(image: Path | None = None) -> list[tuple[str, bytes, int]]:
    """``(name, content, mode)`` of every file to install."""
    source = provider_dir()
    out = [(name, (source / name).read_bytes(), 0o755) for name in SCRIPTS]
    out += [(name, (source / name).read_bytes(), 0o644) for name in DATA]
    if image is not None:
        if not image.is_file():
            raise ValidationError(f"image: {image} is not a file", field="image")
        out.append((IMAGE_NAME, image.read_bytes(), 0o644))
    return out


def check_target(target: str) -> str:
    if (
        not target.startswith("/")
        or target.rstrip("/") in ("", "/srv", "/srv/ganeti")
        or (".." in target.split("/"))
    ):
        raise ValidationError(
            f"path {target!r}: expected an absolute OS directory such as {DEFAULT_TARGET}",
            field="path",
        )
    return target.rstrip("/")


@attrs.frozen
class NodeCheck:
    """What a node has, before anything is copied."""

    node: str
    missing_tools: tuple[str, ...]
    has_zstd: bool
    image: str | None
    nix_store: bool
    #: Files whose content already matches (by name).
    current: tuple[str, ...] = ()

    def problems(self, *, uploading_image: bool) -> list[str]:
        out = []
        if self.nix_store:
            out.append("the OS directory is in the read-only Nix store (NixOS): use --path")
        if self.missing_tools:
            out.append(f"missing tools: {', '.join(self.missing_tools)}")
        if self.image is None and not uploading_image:
            out.append("no iPXE image (install Debian's ipxe package, or pass --image FILE)")
        return out


@attrs.frozen
class InstallReport:
    target: str
    checks: tuple[NodeCheck, ...]
    changed: dict[str, tuple[str, ...]]
    master: str | None = None
    os_list: str = ""
    diagnose: str = ""


def _check_script(target: str, names: Sequence[str]) -> str:
    q = shlex.quote
    tools = " ".join(REQUIRED_TOOLS)
    images = " ".join(q(p) for p in (posixpath.join(target, IMAGE_NAME), *DEBIAN_IMAGES))
    files = " ".join(q(n) for n in names)
    return (
        f"export PATH={_NODE_PATH}\n"
        f"for t in {tools}; do command -v $t >/dev/null 2>&1 || echo missing $t; done\n"
        "command -v zstd >/dev/null 2>&1 && echo zstd\n"
        f'for i in {images}; do [ -f "$i" ] && {{ echo image $i; break; }}; done\n'
        f"case $(readlink -f {q(posixpath.dirname(target))} 2>/dev/null) in "
        "/nix/store/*) echo nixstore;; esac\n"
        f"if [ -d {q(target)} ]; then cd {q(target)} && sha256sum {files} 2>/dev/null; fi\n"
        "true\n"
    )


def parse_check(node: str, output: str) -> NodeCheck:
    missing, image, zstd, nix, current = [], None, False, False, []
    for line in output.splitlines():
        words = line.split()
        if not words:
            continue
        if words[0] == "missing" and len(words) == 2:
            missing.append(words[1])
        elif words[0] == "zstd":
            zstd = True
        elif words[0] == "image" and len(words) == 2:
            image = words[1]
        elif words[0] == "nixstore":
            nix = True
        elif len(words) == 2 and len(words[0]) == 64:
            current.append(f"{words[1]}:{words[0]}")
    return NodeCheck(node, tuple(missing), zstd, image, nix, tuple(current))


async def check_nodes(
    nodes: Nodes,
    files: Sequence[tuple[str, bytes, int]],
    target: str,
    hosts: Sequence[str] | None = None,
) -> list[NodeCheck]:
    names = [name for name, _data, _mode in files]
    report = await nodes.run(_check_script(target, names), hosts=hosts)
    checks = []
    for result in report:
        if result.failed:
            raise SshError(f"{result.host}: cannot check the node: {result.error or result}")
        checks.append(parse_check(result.host, result.stdout or ""))
    return checks


async def install_os_provider(
    nodes: Nodes,
    *,
    target: str = DEFAULT_TARGET,
    image: Path | None = None,
    master: str | None = None,
    hosts: Sequence[str] | None = None,
    plan_only: bool = False,
) -> InstallReport:
    """Check the nodes, copy the provider where it differs, then verify on the master.

    ``hosts`` limits the install to some of ``nodes`` (default: all); ``master``
    (default: the first node) runs ``gnt-os diagnose`` and ``gnt-os list``, which must
    list the OS named after the target directory. With ``plan_only`` nothing is
    copied; the report says what would change.
    Raises :class:`ValidationError` when any node cannot run the provider (nothing is
    copied anywhere in that case).
    """
    target = check_target(target)
    files = provider_files(image)
    checks = await check_nodes(nodes, files, target, hosts)
    problems = [
        f"{c.node}: {p}" for c in checks for p in c.problems(uploading_image=image is not None)
    ]
    if problems:
        raise ValidationError("cannot install the pxe OS provider: " + "; ".join(problems))
    wanted = {name: f"{name}:{hashlib.sha256(data).hexdigest()}" for name, data, _m in files}
    changed = {c.node: tuple(n for n in wanted if wanted[n] not in c.current) for c in checks}
    if plan_only:
        return InstallReport(target, tuple(checks), changed, master)
    for check in checks:
        todo = changed[check.node]
        if not todo:
            continue
        connection = await nodes.connection(check.node)
        (await connection.run(f"mkdir -p {shlex.quote(target)}")).check()
        for name, data, mode in files:
            if name in todo:
                await connection.write_file(posixpath.join(target, name), data, mode=mode)
    verifier = master or nodes.names[0]
    connection = await nodes.connection(verifier)
    env = f"export PATH={_NODE_PATH}; "
    diagnose = await connection.run(env + "gnt-os diagnose", timeout=300)
    listing = (await connection.run(env + "gnt-os list --no-headers", timeout=300)).check()
    os_name = posixpath.basename(target)
    if os_name not in listing.stdout.split():
        raise SshError(
            f"{verifier}: gnt-os list does not show {os_name} after the install (is "
            f"{posixpath.dirname(target)} on Ganeti's OS search path?); gnt-os diagnose "
            f"says: {(diagnose.stdout + diagnose.stderr).strip()[-800:]}"
        )
    return InstallReport(target, tuple(checks), changed, verifier, listing.stdout, diagnose.stdout)
