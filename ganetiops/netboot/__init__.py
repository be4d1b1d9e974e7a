"""Netboot: the boot server, NixOS classes, host keys, MAC wrappers and the ``pxe`` OS provider.

The homelab boots its service VMs from the network (homelab.md §3): disk 0 holds
iPXE (written by the ``pxe`` OS provider in ``provider/pxe/``), which fetches
``nixos/by-mac/<mac>/ipxe`` from the boot server, which chains the class script.
This room automates everything around that:

=============================  ==========================================================
:mod:`~.layout`                names, paths and URLs of the homelab's layout (pure)
:mod:`~.store`                 files on the boot server: SFTP (host key verified), local
:mod:`~.server`                :class:`BootServerClient`: wrappers, identities, HTTP, log
:mod:`~.classes`               list, publish (sha256 skip, one ``.old``), roll back
:mod:`~.keys`                  host identity tarballs (``host_privkey``, ``root_privkey``)
:mod:`~.wrappers`              MAC wrapper text and the provision flag
:mod:`~.accesslog`             the boot server's access log (first boots)
:mod:`~.create`                ``instance create``: plan, then apply
:mod:`~.lifecycle`             reimage, wipe, remove, await the first boot
:mod:`~.osprovider`            install the ``pxe`` provider on nodes over SSH
:mod:`~.standin`               the lab's firmware stand-in hook (lab only)
:mod:`~.labclass`              the lab's class directory from Debian packages
=============================  ==========================================================

Names below are imported lazily (asyncssh and httpx load only when used). See
docs/netboot.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganetiops._lazy import exports

_LAZY: dict[str, str] = {
    "BootServerClient": "ganetiops.netboot.server",
    "NetbootError": "ganetiops.errors",
    "BootTimeout": "ganetiops.errors",
    "Layout": "ganetiops.netboot.layout",
    "list_classes": "ganetiops.netboot.classes",
    "find_local_class": "ganetiops.netboot.classes",
    "plan_publish": "ganetiops.netboot.classes",
    "publish": "ganetiops.netboot.classes",
    "rollback": "ganetiops.netboot.classes",
    "CreateRequest": "ganetiops.netboot.create",
    "plan_create": "ganetiops.netboot.create",
    "apply_create": "ganetiops.netboot.create",
    "plan_reimage": "ganetiops.netboot.reimage",
    "apply_reimage": "ganetiops.netboot.reimage",
    "plan_wipe": "ganetiops.netboot.lifecycle",
    "apply_wipe": "ganetiops.netboot.lifecycle",
    "plan_remove": "ganetiops.netboot.lifecycle",
    "apply_remove": "ganetiops.netboot.lifecycle",
    "await_boot": "ganetiops.netboot.lifecycle",
    "install_os_provider": "ganetiops.netboot.osprovider",
    "install_standin": "ganetiops.netboot.standin",
    "build_lab_class": "ganetiops.netboot.labclass",
    "boot_server_from_lab": "ganetiops.netboot.labboot",
}

__all__ = [
    "BootServerClient",
    "BootTimeout",
    "CreateRequest",
    "Layout",
    "NetbootError",
    "apply_create",
    "apply_reimage",
    "apply_remove",
    "apply_wipe",
    "await_boot",
    "boot_server_from_lab",
    "build_lab_class",
    "find_local_class",
    "install_os_provider",
    "install_standin",
    "list_classes",
    "plan_create",
    "plan_publish",
    "plan_reimage",
    "plan_remove",
    "plan_wipe",
    "publish",
    "rollback",
]


__getattr__, __dir__ = exports(__name__, _LAZY, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from ganetiops.errors import BootTimeout, NetbootError
    from ganetiops.netboot.classes import (
        find_local_class,
        list_classes,
        plan_publish,
        publish,
        rollback,
    )
    from ganetiops.netboot.create import CreateRequest, apply_create, plan_create
    from ganetiops.netboot.labboot import boot_server_from_lab
    from ganetiops.netboot.labclass import build_lab_class
    from ganetiops.netboot.layout import Layout
    from ganetiops.netboot.lifecycle import (
        apply_remove,
        apply_wipe,
        await_boot,
        plan_remove,
        plan_wipe,
    )
    from ganetiops.netboot.osprovider import install_os_provider
    from ganetiops.netboot.reimage import apply_reimage, plan_reimage
    from ganetiops.netboot.server import BootServerClient
    from ganetiops.netboot.standin import install_standin
