"""The homelab's boot server layout: names, paths and URLs, as pure functions.

Under the web root (``/usb1-part1/http`` on the homelab's router)::

    nixos/by-class/<class>/{bzImage,initrd,ipxe,store.squashfs,store.squashfs.sha256}
    nixos/by-class/<class>.old/        one-deep rollback (what the deploy script keeps)
    nixos/by-class/<class>.gen-<sha16>/  a generation pinned by some instances' wrappers
                                       (per-instance rollback; ganetiops only)
    nixos/by-mac/<mac-with-hyphens>/ipxe   per-instance wrapper, chains the class script
    keys/<host>.tar.gz                 host identity fetched by provision-keys at boot

Names are checked here so that nothing odd ever becomes a remote path: a class or
host name is one DNS label, a MAC is six hex pairs.
"""

from __future__ import annotations

import posixpath
import re
from typing import Final

import attrs

from ganetiops.errors import ValidationError

#: The files of a built class directory (``mkNetbuild``'s ``$out/by-class/<class>/``).
CLASS_FILES: Final = ("bzImage", "initrd", "ipxe", "store.squashfs", "store.squashfs.sha256")
#: Upload order: the big files first, the small ones that make a class usable last.
UPLOAD_ORDER: Final = ("store.squashfs", "bzImage", "initrd", "store.squashfs.sha256", "ipxe")
STORE: Final = "store.squashfs"
STORE_SHA256: Final = "store.squashfs.sha256"
OLD_SUFFIX: Final = ".old"
#: Between a class name and the first 16 hex digits of a store sha256: a pinned generation.
PIN_INFIX: Final = ".gen-"
PIN_KEY_LENGTH: Final = 16
#: Prefix of the hidden directory a class is uploaded into before it is renamed into place.
INCOMING_PREFIX: Final = ".incoming-"

_LABEL: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_PIN_KEY: Final = re.compile(r"^[0-9a-f]{16}$")
_MAC: Final = re.compile(r"^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$")


def class_name(value: object, field: str = "class") -> str:
    """A class name: one lowercase DNS label (``navidrome``, ``uptime-kuma``)."""
    if not isinstance(value, str) or not _LABEL.fullmatch(value):
        raise ValidationError(
            f"{field}: {value!r} is not a class name (lowercase letters, digits and '-', "
            "at most 63, not starting or ending with '-')",
            field=field,
        )
    return value


def host_label(value: object, field: str = "name") -> str:
    """The short host name of an instance: its first DNS label, lowercased.

    ``navidrome.homelab.tel`` -> ``navidrome``: the guest's hostname, the name of its
    key tarball and the default class all use the short name (homelab.md §3.1).
    """
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{field}: expected a host name, got {value!r}", field=field)
    labels = value.lower().removesuffix(".").split(".")
    if not all(_LABEL.fullmatch(one) for one in labels):
        raise ValidationError(f"{field}: {value!r} is not a valid host name", field=field)
    return labels[0]


def mac_hyphens(value: object, field: str = "mac") -> str:
    """A MAC as iPXE's ``${mac:hexhyp}`` spells it: ``aa-00-00-12-ab-cd``.

    Accepts colons or hyphens, any case.
    """
    if isinstance(value, str) and _MAC.fullmatch(value.lower()):
        return value.lower().replace(":", "-")
    raise ValidationError(f"{field}: {value!r} is not a MAC address", field=field)


def pin_key(value: object, field: str = "pin") -> str:
    """The key of a pinned generation: the first 16 hex digits of its store sha256
    (a whole sha256 is cut to them)."""
    if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{16}(?:[0-9a-f]{48})?", value):
        return value[:PIN_KEY_LENGTH]
    raise ValidationError(f"{field}: {value!r} is not a store sha256", field=field)


def split_pin(directory: str) -> tuple[str, str | None]:
    """``navidrome.gen-0123456789abcdef`` -> (``navidrome``, its key); a plain class
    directory name -> (it, ``None``)."""
    head, sep, key = directory.rpartition(PIN_INFIX)
    if sep and _PIN_KEY.fullmatch(key) and _LABEL.fullmatch(head):
        return head, key
    return directory, None


def mac_colons(value: object, field: str = "mac") -> str:
    """``aa:00:00:12:ab:cd`` (Ganeti's spelling)."""
    return mac_hyphens(value, field).replace("-", ":")


@attrs.frozen
class Layout:
    """Where things are on one boot server: SFTP paths under ``root``, URLs under ``url``."""

    #: The web root as the SFTP server shows it (``/usb1-part1/http``).
    root: str
    #: The HTTP base URL the VMs use (``http://boot.homelab.tel``), no trailing slash.
    url: str

    def __attrs_post_init__(self) -> None:
        if not self.root.startswith("/"):
            raise ValidationError(f"boot root {self.root!r} must be absolute", field="root")
        if not self.url.startswith(("http://", "https://")):
            raise ValidationError(f"boot url {self.url!r} must be http(s)://", field="url")

    # -- relative paths (as in URLs and the access log) --------------------------------

    @staticmethod
    def class_rel(name: str, file: str | None = None) -> str:
        base = f"nixos/by-class/{class_name(name)}"
        return f"{base}/{file}" if file else base

    @staticmethod
    def pin_rel(name: str, key: str, file: str | None = None) -> str:
        base = f"nixos/by-class/{class_name(name)}{PIN_INFIX}{pin_key(key)}"
        return f"{base}/{file}" if file else base

    @staticmethod
    def wrapper_rel(mac: str) -> str:
        return f"nixos/by-mac/{mac_hyphens(mac)}/ipxe"

    @staticmethod
    def keys_rel(host: str) -> str:
        return f"keys/{host_label(host, 'host')}.tar.gz"

    # -- SFTP paths -------------------------------------------------------------------

    def path(self, rel: str) -> str:
        return posixpath.join(self.root, rel)

    @property
    def classes_dir(self) -> str:
        return self.path("nixos/by-class")

    @property
    def wrappers_dir(self) -> str:
        return self.path("nixos/by-mac")

    @property
    def keys_dir(self) -> str:
        return self.path("keys")

    def class_dir(self, name: str) -> str:
        return self.path(self.class_rel(name))

    def old_dir(self, name: str) -> str:
        return self.class_dir(name) + OLD_SUFFIX

    def pin_dir(self, name: str, key: str) -> str:
        return self.path(self.pin_rel(name, key))

    def incoming_dir(self, name: str, token: str) -> str:
        return posixpath.join(self.classes_dir, f"{INCOMING_PREFIX}{class_name(name)}-{token}")

    def wrapper_dir(self, mac: str) -> str:
        return posixpath.dirname(self.wrapper_path(mac))

    def wrapper_path(self, mac: str) -> str:
        return self.path(self.wrapper_rel(mac))

    def keys_path(self, host: str) -> str:
        return self.path(self.keys_rel(host))

    # -- URLs -------------------------------------------------------------------------

    def url_of(self, rel: str) -> str:
        return f"{self.url}/{rel}"

    def class_url(self, name: str, file: str = "ipxe") -> str:
        return self.url_of(self.class_rel(name, file))

    def pin_url(self, name: str, key: str, file: str = "ipxe") -> str:
        return self.url_of(self.pin_rel(name, key, file))

    def wrapper_url(self, mac: str) -> str:
        return self.url_of(self.wrapper_rel(mac))

    def keys_url(self, host: str) -> str:
        return self.url_of(self.keys_rel(host))
