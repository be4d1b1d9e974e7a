"""A small class directory for the lab, built from Debian packages.

The lab cannot run nix-build, so it gets a class directory of its own in the homelab's
layout (``by-class/<class>/{bzImage,initrd,ipxe,store.squashfs,store.squashfs.sha256}``):

* ``bzImage``: the kernel of Debian's ``linux-image-cloud-amd64`` (the smallest
  bookworm kernel flavour), from ``apt-get download``;
* ``initrd``: a gzip'd newc cpio holding Debian's ``busybox-static`` and a tiny
  ``/init`` that reports the hostname and provision flag from the kernel command line
  and powers off (a real initramfs: a QEMU boot of it works);
* ``store.squashfs``: a small squashfs (Debian's ``squashfs-tools``) standing for the
  NixOS store, built reproducibly so that the same inputs give the same sha256;
  ``generation`` changes its content (to exercise re-imaging and rollback);
* ``store.squashfs.sha256`` and the class ``ipxe`` script in the homelab's format.

Downloads and builds are cached under the user's cache directory
(``~/.cache/ganetiops/labclass``); a cached build returns at once. Only ``apt-get
download`` needs the network (Debian's archive); ``mksquashfs`` must be installed.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from ganetiops.errors import GanetiOpsError
from ganetiops.netboot.classes import _file_sha256
from ganetiops.netboot.labclass_files import (
    HOST_PROGRAMS,
    INIT_SCRIPT,
    IPXE_SCRIPT,
    MARKER_SECTOR,
    MODULES,
    SSHD_CONFIG,
    UDHCPC_SCRIPT,
)
from ganetiops.netboot.layout import STORE, STORE_SHA256, class_name

KERNEL_META: Final = "linux-image-cloud-amd64"
BUSYBOX: Final = "busybox-static"
SQUASHFS_TOOLS: Final = "squashfs-tools"
#: Bump when the build changes, so cached builds are redone.
BUILDER_VERSION: Final = 2
_FIXED_MTIME: Final = 0


class LabClassError(GanetiOpsError):
    """The lab class could not be built (a missing Debian package, no download)."""


def cache_dir() -> Path:
    override = os.environ.get("GANETIOPS_CACHE")
    if override:
        return Path(override) / "labclass"
    from platformdirs import user_cache_dir  # lazy: platformdirs, start-up

    return Path(user_cache_dir("ganetiops")) / "labclass"


def _run(argv: list[str], *, cwd: Path | None = None, what: str) -> str:
    try:
        done = subprocess.run(
            argv, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
        )
    except FileNotFoundError:
        raise LabClassError(f"{what}: {argv[0]} not found") from None
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-3:]
        detail = " | ".join(tail)
        raise LabClassError(f"{what}: {' '.join(argv)} exited {done.returncode}: {detail}")
    return done.stdout


def _download(package: str, into: Path) -> Path:
    """``apt-get download package`` into ``into`` (cached); the .deb's path."""
    into.mkdir(parents=True, exist_ok=True)
    cached = sorted(into.glob(f"{package}_*.deb"))
    if cached:
        return cached[-1]
    _run(
        ["apt-get", "download", "-q", package],
        cwd=into,
        what=f"downloading Debian's {package} (run apt-get update if the package is unknown)",
    )
    found = sorted(into.glob(f"{package}_*.deb"))
    if not found:
        raise LabClassError(f"apt-get download {package} left no .deb in {into}")
    return found[-1]


def _kernel_package(debs: Path) -> Path:
    """The versioned kernel package the cloud metapackage depends on (cached)."""
    cached = sorted(p for p in debs.glob("linux-image-*-cloud-amd64_*.deb"))
    if cached:
        return cached[-1]
    meta = _download(KERNEL_META, debs)
    depends = _run(["dpkg-deb", "-f", str(meta), "Depends"], what=f"reading {meta.name}")
    for clause in depends.split(","):
        name = clause.strip().split()[0] if clause.strip() else ""
        if name.startswith("linux-image-") and name.endswith("-cloud-amd64"):
            return _download(name, debs)
    raise LabClassError(f"{KERNEL_META} depends on no linux-image-*-cloud-amd64 ({depends})")


def _deb_member(deb: Path, wanted: Iterable[str]) -> bytes:
    """The content of the first file of ``deb`` whose path starts with one of ``wanted``."""
    prefixes = tuple(f"./{w.lstrip('/')}" for w in wanted)
    with subprocess.Popen(
        ["dpkg-deb", "--fsys-tarfile", str(deb)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # it complains of a broken pipe when we stop early
    ) as proc:
        assert proc.stdout is not None
        try:
            with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
                for info in tar:
                    if info.isfile() and info.name.startswith(prefixes):
                        handle = tar.extractfile(info)
                        assert handle is not None
                        return handle.read()
        finally:
            proc.stdout.close()
            proc.wait()
    raise LabClassError(f"{deb.name} holds none of {', '.join(prefixes)}")


# -- cpio (newc) ------------------------------------------------------------------------


def _cpio_entry(
    name: str, mode: int, data: bytes = b"", *, ino: int, rdev: tuple[int, int] = (0, 0)
) -> bytes:
    encoded = name.encode() + b"\0"
    fields = [
        ino,
        mode,
        0,
        0,
        1,
        _FIXED_MTIME,
        len(data),
        0,
        0,
        rdev[0],
        rdev[1],
        len(encoded),
        0,
    ]
    header = b"070701" + b"".join(f"{f:08x}".encode() for f in fields)
    out = header + encoded
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def cpio_newc(entries: Iterable[tuple[str, int, bytes, tuple[int, int]]]) -> bytes:
    """A newc cpio archive of ``(name, mode, data, (rdev major, minor))`` entries."""
    out = io.BytesIO()
    ino = 1
    for name, mode, data, rdev in entries:
        out.write(_cpio_entry(name, mode, data, ino=ino, rdev=rdev))
        ino += 1
    out.write(_cpio_entry("TRAILER!!!", 0, ino=0))
    return out.getvalue()


def _host_files(programs: Iterable[str]) -> dict[str, bytes]:
    """``programs`` and every shared library ``ldd`` says they load, by path."""
    files: dict[str, bytes] = {}
    for program in programs:
        if not Path(program).is_file():
            raise LabClassError(
                f"{program} not found: the lab class copies the host's sshd (install "
                "openssh-server and openssh-client)"
            )
        files[program] = Path(program).read_bytes()
        for line in _run(["ldd", program], what=f"listing the libraries of {program}").splitlines():
            words = line.split()
            path = words[2] if len(words) >= 3 and words[1] == "=>" else words[0]
            if path.startswith("/") and path not in files:
                files[path] = Path(os.path.realpath(path)).read_bytes()
    return files


def _kernel_modules(kernel_deb: Path) -> dict[str, bytes]:
    """The :data:`MODULES` from the kernel package, keyed by their path under kernel/."""
    out: dict[str, bytes] = {}
    with subprocess.Popen(
        ["dpkg-deb", "--fsys-tarfile", str(kernel_deb)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as proc:
        assert proc.stdout is not None
        try:
            with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
                for info in tar:
                    _, sep, rest = info.name.partition("/kernel/")
                    if sep and info.isfile() and rest in MODULES:
                        handle = tar.extractfile(info)
                        assert handle is not None
                        out[rest] = handle.read()
                        if len(out) == len(MODULES):
                            break
        finally:
            proc.stdout.close()
            proc.wait()
    missing = [m for m in MODULES if m not in out]
    if missing:
        raise LabClassError(f"{kernel_deb.name} lacks the modules {', '.join(missing)}")
    return out


def _initrd(
    busybox: bytes,
    name: str,
    generation: int,
    modules: dict[str, bytes],
    host_files: dict[str, bytes],
    store: str,
    report: bool = True,
) -> bytes:
    dirs = {
        "bin",
        "dev",
        "etc",
        "etc/ssh",
        "lib",
        "lib/modules",
        "proc",
        "root",
        "run",
        "sbin",
        "sys",
        "tmp",
        "usr",
        "usr/bin",
        "usr/sbin",
        "var",
        "var/empty",
    }
    for path in [*host_files, *(f"/lib/modules/{m}" for m in modules)]:
        parent = Path(path.lstrip("/")).parent
        while str(parent) not in (".", ""):
            dirs.add(str(parent))
            parent = parent.parent
    entries: list[tuple[str, int, bytes, tuple[int, int]]] = [
        (d, 0o040755, b"", (0, 0)) for d in sorted(dirs)
    ]
    entries.append(("dev/console", 0o020600, b"", (5, 1)))
    entries.append(("bin/busybox", 0o100755, busybox, (0, 0)))
    flat = " ".join(m.rsplit("/", 1)[-1] for m in MODULES)
    for module, data in modules.items():
        entries.append((f"lib/modules/{module.rsplit('/', 1)[-1]}", 0o100644, data, (0, 0)))
    for path, data in sorted(host_files.items()):
        entries.append((path.lstrip("/"), 0o100755, data, (0, 0)))
    etc = {
        "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nsshd:x:100:65534::/run/sshd:/bin/false\n",
        "etc/group": "root:x:0:\nnogroup:x:65534:\n",
        "etc/ssh/sshd_config": SSHD_CONFIG,
        "etc/hosts": "127.0.0.1 localhost\n",
    }
    for path, text in etc.items():
        entries.append((path, 0o100644, text.encode(), (0, 0)))
    entries.append(("etc/udhcpc.script", 0o100755, UDHCPC_SCRIPT.encode(), (0, 0)))
    entries.append(("etc/acpid.conf", 0o100644, b"PWRF power\n", (0, 0)))
    entries.append(("etc/acpi", 0o040755, b"", (0, 0)))
    power = b"#!/bin/sh\necho 'ganetiops-lab: power button: powering off'\nsync\npoweroff -f\n"
    entries.append(("etc/acpi/power", 0o100755, power, (0, 0)))
    init = INIT_SCRIPT.format(
        name=name,
        generation=generation,
        modules=flat,
        marker=MARKER_SECTOR,
        store=store,
        report="yes" if report else "no",
    ).encode()
    entries.append(("init", 0o100755, init, (0, 0)))
    return gzip.compress(cpio_newc(entries), mtime=_FIXED_MTIME, compresslevel=6)


def build_tag(inputs: dict[str, object]) -> str:
    """A digest of everything the class is built from (inputs and scripts): it goes into
    the store, so that any change to the system changes the store's sha256, as a
    NixOS store does (publishing skips a class whose sha256 is unchanged)."""
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode())
    for text in (INIT_SCRIPT, UDHCPC_SCRIPT, SSHD_CONFIG, IPXE_SCRIPT, " ".join(MODULES)):
        digest.update(text.encode())
    return digest.hexdigest()


def _squashfs(target: Path, name: str, generation: int, work: Path, tag: str) -> None:
    mksquashfs = shutil.which("mksquashfs") or (
        "/usr/bin/mksquashfs" if Path("/usr/bin/mksquashfs").exists() else None
    )
    if mksquashfs is None:
        raise LabClassError(
            f"mksquashfs not found: install Debian's {SQUASHFS_TOOLS} (apt-get install "
            f"{SQUASHFS_TOOLS})"
        )
    tree = work / "store"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "ganetiops-lab-class").write_text(
        f"class={name}\ngeneration={generation}\nbuild={tag}\n"
    )
    (tree / "nix-path-registration").write_text(f"/nix/store/ganetiops-lab-{name}-{generation}\n")
    for path in (tree / "etc" / "ganetiops-lab-class", tree / "nix-path-registration"):
        os.utime(path, (_FIXED_MTIME, _FIXED_MTIME))
    _run(
        [
            mksquashfs,
            str(tree),
            str(target),
            "-noappend",
            "-quiet",
            "-no-progress",
            "-all-root",
            "-no-xattrs",
            "-mkfs-time",
            "0",
            "-all-time",
            "0",
        ],
        what="building store.squashfs",
    )


def _stat_key(path: str) -> str:
    """A cache key for a host program: changes when the package upgrades it."""
    try:
        stat = Path(path).stat()
    except FileNotFoundError:
        return "missing"
    return f"{stat.st_size}:{int(stat.st_mtime)}"


def build_lab_class(
    name: str = "navidrome",
    *,
    generation: int = 1,
    cache: Path | None = None,
    report: bool = True,
) -> Path:
    """Build (or take from the cache) the lab class ``name``; return its netbuild root.

    With ``report=False`` the class boots the same but never reports its boot (as a
    class without the report, or a machine stuck before it, would).

    The result is ``<root>/by-class/<name>/`` with the five class files, what
    :func:`ganetiops.netboot.classes.find_local_class` and ``--publish`` accept.
    """
    name = class_name(name)
    if isinstance(generation, bool) or not isinstance(generation, int) or generation < 1:
        raise LabClassError("generation: expected a positive integer")
    base = cache or cache_dir()
    debs = base / "debs"
    root = base / "build" / f"{name}-g{generation}{'' if report else '-silent'}"
    stamp = root / "stamp.json"
    kernel_deb = _kernel_package(debs)
    busybox_deb = _download(BUSYBOX, debs)
    inputs = {
        "builder": BUILDER_VERSION,
        "kernel": kernel_deb.name,
        "busybox": busybox_deb.name,
        "host_programs": {p: _stat_key(p) for p in HOST_PROGRAMS},
        "name": name,
        "generation": generation,
        "report": report,
    }
    inputs["build"] = build_tag(inputs)
    if stamp.exists() and json.loads(stamp.read_text()) == inputs:
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root.parent, prefix=f".{name}-") as tmp:
        work = Path(tmp)
        klass = work / "out" / "by-class" / name
        klass.mkdir(parents=True)
        (klass / "bzImage").write_bytes(_deb_member(kernel_deb, ["boot/vmlinuz-"]))
        _squashfs(klass / STORE, name, generation, work, str(inputs["build"]))
        digest = _file_sha256(klass / STORE)
        busybox = _deb_member(busybox_deb, ["bin/busybox"])
        modules = _kernel_modules(kernel_deb)
        programs = _host_files(HOST_PROGRAMS)
        initrd = _initrd(busybox, name, generation, modules, programs, digest, report)
        (klass / "initrd").write_bytes(initrd)
        (klass / STORE_SHA256).write_text(digest + "\n")
        (klass / "ipxe").write_text(IPXE_SCRIPT.format(name=name, store_hash=digest[:32]))
        (work / "out" / "stamp.json").write_text(json.dumps(inputs, sort_keys=True) + "\n")
        if root.exists():
            shutil.rmtree(root)
        os.replace(work / "out", root)
    return root
