"""The DRBD tier's base image: built once from Debian's packages, cached outside the checkout.

One image serves every VM of every DRBD lab: a Debian ``minbase`` root file system
(``debootstrap``) with systemd, udev, sshd, drbd-utils, LVM, Debian's kernel and
Ganeti, plus Debian's kernel and an initrd (``MODULES=list``) to boot it directly
(``qemu -kernel``). Nothing in it is particular to a node: each VM takes its name and
addresses from the kernel command line and its keys from a seed disk
(:mod:`ganetiops.lab.vm.qemu`).

The cache lives in ``/var/cache/ganetiops/images`` (``GANETIOPS_IMAGE_CACHE`` overrides)
under ``<release>-<key>/``, where the key hashes the release, the package list, the
mirror and the build script itself: changing any of them builds a new image, and a
rerun with the same inputs finds the image at once. A build happens in a scratch
directory beside the cache and is renamed into place only when complete, under a lock,
so an interrupted build leaves no half image (the scratch directory is removed).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Final

import attrs

from ganetiops.errors import LabError, ValidationError

log = logging.getLogger(__name__)

ENV_CACHE: Final = "GANETIOPS_IMAGE_CACHE"
DEFAULT_CACHE: Final = Path("/var/cache/ganetiops/images")
DEFAULT_MIRROR: Final = "http://deb.debian.org/debian"
#: Bump when the image's layout changes in a way the build script's text does not show.
FORMAT: Final = 1

#: Debian release -> the Ganeti it ships (what the tier gives for each).
RELEASES: Final = {"bookworm": "3.0.2", "trixie": "3.1.0~rc2"}
DEFAULT_RELEASE: Final = "bookworm"

#: Installed by debootstrap itself (its first stage; see the build script).
FIRST_STAGE: Final = (
    "systemd-sysv",
    "udev",
    "kmod",
    "iproute2",
    "openssh-server",
    "drbd-utils",
    "lvm2",
)
#: Installed with apt-get inside the new system.
SECOND_STAGE: Final = (
    "linux-image-amd64",
    "ganeti",
    "ganeti-os-noop",
    "curl",
    "iputils-arping",
    "procps",
)
FILES: Final = ("vmlinuz", "initrd.img", "root.qcow2")


def cache_dir() -> Path:
    """Where images are kept (``GANETIOPS_IMAGE_CACHE`` overrides the default)."""
    override = os.environ.get(ENV_CACHE)
    return Path(override) if override else DEFAULT_CACHE


def build_script() -> str:
    """The shell script that builds an image (``ganetiops/lab/vm/data/build-image.sh``)."""
    return resources.files("ganetiops.lab.vm").joinpath("data/build-image.sh").read_text()


def validate_release(release: str) -> str:
    if release not in RELEASES:
        known = ", ".join(f"{r} (Ganeti {v})" for r, v in RELEASES.items())
        raise ValidationError(f"release {release!r}: use one of {known}", field="release")
    return release


@attrs.frozen
class ImageSpec:
    """What an image is made of; its :attr:`key` names it in the cache."""

    release: str = DEFAULT_RELEASE
    packages: tuple[str, ...] = SECOND_STAGE
    mirror: str = DEFAULT_MIRROR

    def __attrs_post_init__(self) -> None:
        validate_release(self.release)

    @property
    def key(self) -> str:
        """A short hash of everything that goes into the image."""
        digest = hashlib.sha256()
        for part in (
            str(FORMAT),
            self.release,
            self.mirror,
            ",".join(FIRST_STAGE),
            ",".join(sorted(self.packages)),
            build_script(),
        ):
            digest.update(part.encode() + b"\0")
        return digest.hexdigest()[:16]

    @property
    def name(self) -> str:
        return f"{self.release}-{self.key}"


@attrs.frozen
class Image:
    """A built image in the cache."""

    spec: ImageSpec
    path: Path

    @property
    def kernel(self) -> Path:
        return self.path / "vmlinuz"

    @property
    def initrd(self) -> Path:
        return self.path / "initrd.img"

    @property
    def root(self) -> Path:
        return self.path / "root.qcow2"

    def manifest(self) -> dict[str, object]:
        """What ``manifest.json`` says about the image (release, packages, build time)."""
        try:
            raw = json.loads((self.path / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            raise LabError(f"image {self.path}: unreadable manifest ({exc})") from None
        return dict(raw) if isinstance(raw, dict) else {}


def find_image(spec: ImageSpec, cache: Path | None = None) -> Image | None:
    """The cached image for ``spec``, or ``None`` when it has not been built."""
    path = (cache or cache_dir()) / spec.name
    if all((path / f).is_file() for f in (*FILES, "manifest.json")):
        return Image(spec, path)
    return None


def build_tools_missing() -> list[str]:
    """Programs an image build needs that this host lacks."""
    wanted = ("debootstrap", "mkfs.ext4", "qemu-img", "unshare", "chroot")
    return [tool for tool in wanted if shutil.which(tool, path=_PATH) is None]


_PATH: Final = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#: Free space a build needs in the cache's file system (root tree + raw image + qcow2).
BUILD_SPACE: Final = 5 * 1024**3


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """Wait for the cache's build lock (two labs coming up share one build)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def ensure_image(
    spec: ImageSpec,
    *,
    cache: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Image:
    """The image for ``spec``: from the cache, else built now (minutes; shows progress)."""
    say = progress or log.info
    root = cache or cache_dir()
    found = find_image(spec, root)
    if found is not None:
        return found
    missing = build_tools_missing()
    if missing:
        raise LabError(
            f"building the DRBD tier's image needs {', '.join(missing)}: "
            "apt-get install debootstrap e2fsprogs qemu-utils util-linux"
        )
    root.mkdir(parents=True, exist_ok=True, mode=0o755)
    with _lock(root / ".build.lock"):
        found = find_image(spec, root)  # built by another process while we waited
        if found is not None:
            return found
        free = shutil.disk_usage(root).free
        if free < BUILD_SPACE:
            raise LabError(
                f"building the image needs {BUILD_SPACE // 1024**3} GiB free in {root}; "
                f"there are {free / 1024**3:.1f} GiB"
            )
        scratch = Path(tempfile.mkdtemp(prefix=f".build-{spec.name}-", dir=root))
        try:
            return _build(spec, root, scratch, say)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _build(spec: ImageSpec, root: Path, scratch: Path, say: Callable[[str], None]) -> Image:
    work, out = scratch / "work", scratch / "out"
    work.mkdir()
    out.mkdir()
    script = scratch / "build-image.sh"
    script.write_text(build_script())
    say(f"building the {spec.release} image {spec.name} (a few minutes; cached afterwards)")
    started = time.monotonic()
    argv = ["sh", str(script), spec.release, spec.mirror, str(work), str(out), *spec.packages]
    env = {"PATH": _PATH, "LANG": "C.UTF-8", "HOME": "/root"}
    with subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        assert proc.stderr is not None
        lines = []
        for line in proc.stderr:
            lines.append(line.rstrip())
            if line.startswith("build-image: "):
                say(
                    f"  {line.removeprefix('build-image: ').rstrip()} "
                    f"({time.monotonic() - started:.0f} s)"
                )
        code = proc.wait()
    if code != 0:
        detail = "\n".join(lines[-25:])
        raise LabError(f"building the {spec.release} image failed (exit {code}):\n{detail}")
    elapsed = time.monotonic() - started
    manifest = {
        "format": FORMAT,
        "release": spec.release,
        "ganeti": RELEASES[spec.release],
        "mirror": spec.mirror,
        "first_stage": list(FIRST_STAGE),
        "packages": list(spec.packages),
        "key": spec.key,
        "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(elapsed, 1),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for name in FILES:
        (out / name).chmod(0o644)
    target = root / spec.name
    os.replace(out, target)
    target.chmod(0o755)
    say(f"image {spec.name} built in {elapsed:.0f} s ({_size(target / 'root.qcow2')})")
    return Image(spec, target)


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1024**2:.0f} MiB"
