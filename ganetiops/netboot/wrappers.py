"""Per-MAC iPXE wrappers: the text, and reading it back.

A wrapper is what the homelab writes by hand on the router at
``nixos/by-mac/<mac>/ipxe`` (homelab.md §3.3)::

    #!ipxe
    set cmdline hostname=navidrome homelab.provision_disks=true
    chain http://boot.homelab.tel/nixos/by-class/navidrome/ipxe

The class script appends ``${cmdline}`` to the kernel command line, so the wrapper
gives the guest its hostname and, for the first boot only, the provision flag that
makes the guest wipe and format its disk. Which kernel parameter carries the
hostname is not recorded in the homelab repository: it is configurable
(:data:`DEFAULT_HOSTNAME_PARAM` is ``hostname``, what the repository's comment names;
``systemd.hostname`` is the other likely one).

A wrapper may chain a *pinned generation* of its class instead,
``nixos/by-class/<class>.gen-<sha16>/ipxe`` (``reimage --rollback``: this instance
boots the previous generation while the others of the class keep the current one).

Flags are set and cleared by editing only the ``set cmdline`` line, so a wrapper
made by hand keeps everything else.
"""

from __future__ import annotations

import re
from typing import Final

import attrs

from ganetiops.errors import ValidationError
from ganetiops.netboot.layout import Layout, class_name, host_label, mac_hyphens, split_pin

#: The kernel parameter that makes a guest wipe and provision its disks at boot.
PROVISION_FLAG: Final = "homelab.provision_disks=true"
#: Kernel parameter that carries the guest's hostname (see the module docstring).
DEFAULT_HOSTNAME_PARAM: Final = "hostname"
#: First line of every wrapper ganetiops writes (after ``#!ipxe``).
MARK: Final = "# written by ganetiops"

_PARAM: Final = re.compile(r"^[A-Za-z0-9_.-]+$")
_CMDLINE: Final = re.compile(r"^(\s*set\s+cmdline\s+)(.*?)\s*$")
_CHAIN: Final = re.compile(r"^\s*chain\s+(?:--\S+\s+)*(\S+)")
_BY_CLASS: Final = re.compile(r"/nixos/by-class/([^/]+)/ipxe$")


def hostname_param(value: object) -> str:
    """A kernel parameter name such as ``hostname`` or ``systemd.hostname``."""
    if not isinstance(value, str) or not _PARAM.fullmatch(value):
        raise ValidationError(
            f"hostname parameter {value!r}: expected a kernel parameter name", field="hostname"
        )
    return value


@attrs.frozen
class Wrapper:
    """A wrapper as ganetiops understands it (``None`` where a hand-made one says nothing)."""

    mac: str
    hostname: str | None
    class_name: str | None
    provision: bool
    chain_url: str | None
    #: Other words of the ``set cmdline`` line, in order.
    extra: tuple[str, ...] = ()
    #: True when ganetiops wrote it.
    managed: bool = False
    text: str = ""
    #: The pinned generation it chains (16 hex digits of its store sha256), if any.
    pin: str | None = None


def render(
    layout: Layout,
    *,
    mac: str,
    hostname: str,
    class_: str,
    provision: bool,
    hostname_parameter: str = DEFAULT_HOSTNAME_PARAM,
    extra: tuple[str, ...] = (),
    pin: str | None = None,
) -> str:
    """The wrapper text for one instance (chaining generation ``pin`` of the class when
    given, else the class as published)."""
    mac = mac_hyphens(mac)
    words = [f"{hostname_param(hostname_parameter)}={host_label(hostname, 'hostname')}"]
    words += [w for w in extra if w != PROVISION_FLAG]
    if provision:
        words.append(PROVISION_FLAG)
    for word in words:
        if not word or any(c.isspace() or c in "${}" for c in word):
            raise ValidationError(f"kernel parameter {word!r} cannot go in a wrapper")
    chain = layout.class_url(class_, "ipxe") if pin is None else layout.pin_url(class_, pin)
    pinned = "" if pin is None else f", pinned to generation {pin}"
    return (
        "#!ipxe\n"
        f"{MARK} for {host_label(hostname, 'hostname')} (class {class_name(class_)}{pinned})\n"
        f"set cmdline {' '.join(words)}\n"
        f"chain {chain}\n"
    )


def parse(mac: str, text: str, *, hostname_parameter: str = DEFAULT_HOSTNAME_PARAM) -> Wrapper:
    """Read a wrapper (ours or hand-made); unknown lines are ignored."""
    words: list[str] = []
    chain: str | None = None
    for line in text.splitlines():
        match = _CMDLINE.match(line)
        if match:
            words = _split(match.group(2))
            continue
        chained = _CHAIN.match(line)
        if chained and chain is None:
            chain = chained.group(1)
    prefix = f"{hostname_parameter}="
    hostname = next((w[len(prefix) :] for w in words if w.startswith(prefix)), None)
    klass = pin = None
    if chain:
        found = _BY_CLASS.search(chain)
        if found:
            klass, pin = split_pin(found.group(1))
    return Wrapper(
        mac=mac_hyphens(mac),
        hostname=hostname,
        class_name=klass,
        provision=PROVISION_FLAG in words,
        chain_url=chain,
        extra=tuple(w for w in words if w != PROVISION_FLAG and not w.startswith(prefix)),
        managed=MARK in text,
        text=text,
        pin=pin,
    )


def with_flag(text: str, provision: bool) -> str:
    """``text`` with the provision flag added to or removed from its ``set cmdline`` line.

    Raises :class:`ValidationError` when the wrapper has no ``set cmdline`` line to
    edit (adding one by guesswork could change how a hand-made wrapper boots).
    """
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        match = _CMDLINE.match(line.rstrip("\n"))
        if not match:
            continue
        words = [w for w in _split(match.group(2)) if w != PROVISION_FLAG]
        if provision:
            words.append(PROVISION_FLAG)
        ending = "\n" if line.endswith("\n") else ""
        lines[index] = f"{match.group(1)}{' '.join(words)}{ending}"
        return "".join(lines)
    raise ValidationError("the wrapper has no 'set cmdline' line to carry the provision flag")


def _split(words: str) -> list[str]:
    """iPXE's ``set`` joins its arguments with single spaces: split on whitespace only."""
    return words.split()
