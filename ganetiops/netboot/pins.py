"""Pinned generations: one instance on its class's previous generation, the others not.

``gnt-py netboot rollback CLASS`` swaps ``<class>`` and ``<class>.old``: every
instance of the class boots the previous generation at its next reboot. To roll back
one instance only, ganetiops keeps a copy of that generation under a name of its own,
``nixos/by-class/<class>.gen-<sha16>/`` (the first 16 hex digits of its store sha256,
so the name never moves to another build, unlike ``.old``), and points that
instance's wrapper at it. A pin no wrapper chains any more is removed.

The copy is made on the boot server from ``<class>.old`` (over SFTP: read in pieces,
uploaded into a hidden directory, renamed into place), so a second instance pinned
to the same generation reuses it.

What a pin needs of the class: iPXE loads the kernel and initrd relative to the
chained script, so they come from the pin; the class's own init must fetch the rest
of the system from where it booted too. The lab class carries everything in its
initrd. A class built by the homelab's ``netboot-http`` module fetches
``store.squashfs`` from the URL fixed at build time (``by-class/<class>/``), so a
pinned instance would boot the old kernel with the current store: per-instance
rollback is refused unless the context says its classes report their boot
(``reports = true``), which is how the rollback is checked from inside the VM.
"""

from __future__ import annotations

import posixpath
import secrets
import tempfile
from pathlib import Path
from typing import Final

from ganetiops.errors import NetbootError
from ganetiops.netboot.classes import _read_sha
from ganetiops.netboot.layout import CLASS_FILES, UPLOAD_ORDER, class_name, pin_key, split_pin
from ganetiops.netboot.server import BootServerClient
from ganetiops.netboot.store import Store, remove_dir

#: Bytes read at a time when a file is copied on the boot server.
CHUNK: Final = 8 << 20


def pinned_sha256(boot: BootServerClient, name: str, key: str) -> str | None:
    """The store sha256 of pin ``key`` of class ``name`` when it is complete, else ``None``."""
    directory = boot.layout.pin_dir(name, key)
    present = {e.name for e in boot.store.listdir(directory)}
    if not set(CLASS_FILES) <= present:
        return None
    sha = _read_sha(boot, directory)
    return sha if sha is not None and pin_key(sha) == pin_key(key) else None


def _copy(store: Store, source: str, target: str) -> int:
    """Copy one file on the server (through a local temporary file); its size."""
    with tempfile.TemporaryDirectory(prefix="ganetiops-pin-") as tmp:
        local = Path(tmp) / "file"
        size = 0
        with local.open("wb") as handle:
            while True:
                data = store.read(source, offset=size, limit=CHUNK)
                if data is None:
                    raise NetbootError(f"{source} vanished while it was copied")
                if not data:
                    break
                handle.write(data)
                size += len(data)
        store.upload(local, target)
    return size


def pin_previous(boot: BootServerClient, name: str, sha256: str) -> str:
    """Make ``<class>.gen-<key>`` a copy of ``<class>.old``, which must hold ``sha256``;
    return the key. An existing complete pin of that build is kept as it is."""
    name = class_name(name)
    key = pin_key(sha256)
    if pinned_sha256(boot, name, key) == sha256:
        return key
    layout, store = boot.layout, boot.store
    old = layout.old_dir(name)
    if _read_sha(boot, old) != sha256:
        raise NetbootError(
            f"class {name}: {name}.old no longer holds sha256 {sha256} (published meanwhile?)"
        )
    target = layout.pin_dir(name, key)
    remove_dir(store, target)  # an incomplete copy from an interrupted pin
    incoming = layout.incoming_dir(name, f"pin-{secrets.token_hex(4)}")
    store.mkdir(incoming)
    try:
        for file in UPLOAD_ORDER:
            source = posixpath.join(old, file)
            expected = store.stat(source)
            size = _copy(store, source, posixpath.join(incoming, file))
            if expected is None or expected.size != size:
                raise NetbootError(f"class {name}: {name}.old/{file} changed while it was copied")
        if _read_sha(boot, incoming) != sha256:
            raise NetbootError(f"class {name}: {name}.old changed while it was copied")
        store.rename(incoming, target)
    except BaseException:
        remove_dir(store, incoming)
        raise
    return key


def pins(boot: BootServerClient, name: str | None = None) -> list[tuple[str, str]]:
    """Every pinned generation on the server (of class ``name`` only, when given), as
    ``(class, key)``."""
    out = []
    for entry in boot.store.listdir(boot.layout.classes_dir):
        klass, key = split_pin(entry.name)
        if entry.is_dir and key is not None and (name is None or klass == name):
            out.append((klass, key))
    return out


def unused_pins(
    boot: BootServerClient, name: str, *, ignore: tuple[str, ...] = ()
) -> list[tuple[str, str]]:
    """The pins of class ``name`` that no wrapper chains (wrappers of the MACs in
    ``ignore``, hyphenated, not counted: they are being removed or re-pointed)."""
    used = {
        (s.wrapper.class_name, s.wrapper.pin)
        for s in boot.wrappers(with_fetches=False)
        if s.wrapper.pin is not None and s.wrapper.mac not in ignore
    }
    return [pin for pin in pins(boot, name) if pin not in used]


def remove_pin(boot: BootServerClient, name: str, key: str) -> None:
    remove_dir(boot.store, boot.layout.pin_dir(name, key))
