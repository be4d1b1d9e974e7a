"""NixOS class images on the boot server: list, publish, roll back.

A class directory holds ``bzImage``, ``initrd``, ``ipxe``, ``store.squashfs`` and
``store.squashfs.sha256`` (homelab.md §3.2). Publishing does what the homelab's
``deploy`` script does, made safe:

1. compare the local ``.sha256`` with the server's and **skip** when they match;
2. upload every file into a hidden ``.incoming-<class>-<token>`` directory and check
   the sizes (the class's URLs never show a half-uploaded class);
3. drop the previous ``<class>.old``, rename ``<class>`` to ``<class>.old`` (one-deep
   rollback), rename the upload to ``<class>``;
4. check that the HTTP side serves the new ``.sha256``.

Between the two renames of step 3 the class is absent for a moment (SFTP cannot swap
two directories at once); a failure there puts the old class back.
"""

from __future__ import annotations

import datetime
import hashlib
import posixpath
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from ganetiops.errors import NetbootError, ValidationError
from ganetiops.netboot.layout import (
    CLASS_FILES,
    INCOMING_PREFIX,
    OLD_SUFFIX,
    STORE,
    STORE_SHA256,
    UPLOAD_ORDER,
    class_name,
)
from ganetiops.netboot.server import BootServerClient, parse_sha256
from ganetiops.netboot.store import Entry, remove_dir

#: ``progress(file, bytes_done, bytes_total)`` during an upload.
UploadProgress = Callable[[str, int, int], Any]


@attrs.frozen
class ClassInfo:
    """A class as published on the boot server."""

    name: str
    sha256: str | None
    #: Size of ``store.squashfs`` in bytes (``None`` when missing).
    store_size: int | None
    #: Modification time of ``store.squashfs`` (when it was published).
    date: datetime.datetime | None
    missing: tuple[str, ...]
    has_old: bool
    old_sha256: str | None = None

    @property
    def complete(self) -> bool:
        return not self.missing


@attrs.frozen
class LocalClass:
    """A built class directory on this machine, checked."""

    name: str
    path: Path
    sha256: str
    store_size: int
    sizes: dict[str, int]


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def find_local_class(source: Path | str, name: str | None = None) -> LocalClass:
    """Resolve a built class: a class directory, or a netbuild result with ``by-class/``.

    ``source`` may be a ``nix-build`` result symlink. The class name defaults to the
    only class under ``by-class/``, else to the directory's name. Checks that every
    file is there and that ``store.squashfs`` matches its ``.sha256``.
    """
    root = Path(source).expanduser()
    if not root.exists():
        raise ValidationError(f"publish: {source} does not exist", field="publish")
    root = root.resolve()
    by_class = root / "by-class"
    if by_class.is_dir() and not (root / STORE).exists():
        if name is None:
            found = sorted(p.name for p in by_class.iterdir() if p.is_dir())
            if len(found) != 1:
                raise ValidationError(
                    f"publish: {source}/by-class holds {', '.join(found) or 'nothing'}; "
                    "name the class",
                    field="class",
                )
            name = found[0]
        directory = by_class / class_name(name)
    else:
        directory = root
        name = name or root.name
    name = class_name(name)
    if not directory.is_dir():
        raise ValidationError(f"publish: {directory} is not a directory", field="publish")
    missing = [f for f in CLASS_FILES if not (directory / f).is_file()]
    if missing:
        raise ValidationError(
            f"publish: {directory} lacks {', '.join(missing)} (a class directory holds "
            f"{', '.join(CLASS_FILES)})",
            field="publish",
        )
    recorded = parse_sha256((directory / STORE_SHA256).read_text(errors="replace"))
    if recorded is None:
        raise ValidationError(f"publish: {directory / STORE_SHA256} holds no sha256 digest")
    actual = _file_sha256(directory / STORE)
    if actual != recorded:
        raise ValidationError(
            f"publish: {directory / STORE} does not match its .sha256 "
            f"(file {actual[:12]}…, recorded {recorded[:12]}…): a broken build?",
            field="publish",
        )
    sizes = {f: (directory / f).stat().st_size for f in CLASS_FILES}
    return LocalClass(name, directory, recorded, sizes[STORE], sizes)


def _read_sha(boot: BootServerClient, directory: str) -> str | None:
    data = boot.store.read(posixpath.join(directory, STORE_SHA256))
    return parse_sha256(data.decode("ascii", "replace")) if data is not None else None


def class_info(boot: BootServerClient, name: str) -> ClassInfo | None:
    """One class as the server holds it, or ``None`` when it is not published."""
    directory = boot.layout.class_dir(name)
    entries = {e.name: e for e in boot.store.listdir(directory)}
    if not entries and boot.store.stat(directory) is None:
        return None
    return _info(boot, name, entries)


def _info(boot: BootServerClient, name: str, entries: dict[str, Entry]) -> ClassInfo:
    directory = boot.layout.class_dir(name)
    store = entries.get(STORE)
    old = boot.layout.old_dir(name)
    has_old = boot.store.stat(old) is not None
    return ClassInfo(
        name=name,
        sha256=_read_sha(boot, directory) if STORE_SHA256 in entries else None,
        store_size=store.size if store else None,
        date=datetime.datetime.fromtimestamp(store.mtime, datetime.UTC) if store else None,
        missing=tuple(f for f in CLASS_FILES if f not in entries),
        has_old=has_old,
        old_sha256=_read_sha(boot, old) if has_old else None,
    )


def list_classes(boot: BootServerClient) -> list[ClassInfo]:
    """Every class under ``nixos/by-class/`` (``.old`` copies and uploads are not classes)."""
    out = []
    for entry in boot.store.listdir(boot.layout.classes_dir):
        if not entry.is_dir or entry.name.startswith(".") or entry.name.endswith(OLD_SUFFIX):
            continue
        try:
            name = class_name(entry.name)
        except ValidationError:
            continue
        directory = boot.layout.class_dir(name)
        out.append(_info(boot, name, {e.name: e for e in boot.store.listdir(directory)}))
    return out


@attrs.frozen
class PublishPlan:
    """What publishing a local class would do."""

    local: LocalClass
    current: ClassInfo | None
    #: False when the server already has this exact store (sha256 match).
    needed: bool

    def describe(self) -> str:
        c = self.local
        if not self.needed:
            return f"class {c.name}: server already has sha256 {c.sha256[:12]}… (skip)"
        size = f"{c.store_size / 2**20:.1f} MiB store"
        if self.current is None:
            return f"class {c.name}: publish {c.sha256[:12]}… ({size}), new class"
        old = f"{self.current.sha256[:12]}…" if self.current.sha256 else "incomplete"
        keep = f" (replacing {c.name}{OLD_SUFFIX})" if self.current.has_old else ""
        return (
            f"class {c.name}: publish {c.sha256[:12]}… ({size}); current {old} "
            f"becomes {c.name}{OLD_SUFFIX}{keep}"
        )


def plan_publish(boot: BootServerClient, local: LocalClass) -> PublishPlan:
    current = class_info(boot, local.name)
    needed = current is None or not current.complete or current.sha256 != local.sha256
    return PublishPlan(local, current, needed)


@attrs.frozen
class PublishResult:
    name: str
    sha256: str
    skipped: bool
    served_sha256: str | None


def publish(
    boot: BootServerClient,
    plan: PublishPlan,
    *,
    progress: UploadProgress | None = None,
    verify_http: bool = True,
) -> PublishResult:
    """Carry out a :class:`PublishPlan` (see the module docstring for the steps)."""
    local = plan.local
    if not plan.needed:
        served = boot.served_sha256(local.name) if verify_http else None
        return PublishResult(local.name, local.sha256, True, served)
    layout, store = boot.layout, boot.store
    if store.stat(layout.classes_dir) is None:
        raise NetbootError(f"{layout.classes_dir} does not exist on the boot server")
    incoming = layout.incoming_dir(local.name, secrets.token_hex(4))
    store.mkdir(incoming)
    try:
        for file in UPLOAD_ORDER:

            def report(done: int, total: int, file: str = file) -> None:
                if progress is not None:
                    progress(file, done, total)

            store.upload(local.path / file, posixpath.join(incoming, file), progress=report)
        for file, size in local.sizes.items():
            entry = store.stat(posixpath.join(incoming, file))
            if entry is None or entry.size != size:
                got = "missing" if entry is None else f"{entry.size} bytes"
                raise NetbootError(f"upload of {file} is incomplete ({got}, expected {size})")
        _swap_in(boot, local.name, incoming)
    except BaseException:
        remove_dir(store, incoming)
        raise
    served = boot.served_sha256(local.name) if verify_http else None
    if verify_http and served != local.sha256:
        raise NetbootError(
            f"class {local.name} was published, but the HTTP server serves sha256 "
            f"{served or 'nothing'} at {layout.class_url(local.name, STORE_SHA256)}"
        )
    return PublishResult(local.name, local.sha256, False, served)


def _swap_in(boot: BootServerClient, name: str, incoming: str) -> None:
    """Rotate ``<class>`` to ``<class>.old`` and move ``incoming`` into place."""
    layout, store = boot.layout, boot.store
    current, old = layout.class_dir(name), layout.old_dir(name)
    had_current = store.stat(current) is not None
    if had_current:
        remove_dir(store, old)
        store.rename(current, old)
    try:
        store.rename(incoming, current)
    except BaseException:
        if had_current:
            store.rename(old, current)
        raise


def cleanup_incoming(boot: BootServerClient) -> list[str]:
    """Remove uploads left by an interrupted publish; return their names."""
    removed = []
    for entry in boot.store.listdir(boot.layout.classes_dir):
        if entry.is_dir and entry.name.startswith(INCOMING_PREFIX):
            remove_dir(boot.store, posixpath.join(boot.layout.classes_dir, entry.name))
            removed.append(entry.name)
    return removed


@attrs.frozen
class RollbackResult:
    name: str
    #: The sha256 now published (the former ``.old``).
    sha256: str | None
    #: The sha256 that became ``.old`` (roll back again to return to it).
    previous_sha256: str | None
    served_sha256: str | None


def rollback(boot: BootServerClient, name: str, *, verify_http: bool = True) -> RollbackResult:
    """Swap ``<class>`` and ``<class>.old``; rolling back twice returns to the start."""
    name = class_name(name)
    layout, store = boot.layout, boot.store
    current, old = layout.class_dir(name), layout.old_dir(name)
    info = class_info(boot, name)
    if store.stat(old) is None:
        raise NetbootError(f"class {name} has no {name}{OLD_SUFFIX} to roll back to")
    old_sha = _read_sha(boot, old)
    swap = posixpath.join(layout.classes_dir, f"{INCOMING_PREFIX}{name}-rollback")
    remove_dir(store, swap)
    if info is not None:
        store.rename(current, swap)
    try:
        store.rename(old, current)
    except BaseException:
        if info is not None:
            store.rename(swap, current)
        raise
    if info is not None:
        store.rename(swap, old)
    served = boot.served_sha256(name) if verify_http else None
    if verify_http and served != old_sha:
        raise NetbootError(
            f"class {name} was rolled back, but the HTTP server serves sha256 {served or 'nothing'}"
        )
    return RollbackResult(name, old_sha, info.sha256 if info else None, served)
