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
:mod:`~.create_request`        ``instance create``: the request and its own checks
:mod:`~.create_plan`           ``instance create``: the plan (read-only)
:mod:`~.create`                ``instance create``: the apply
:mod:`~.sequence`              steps create, reimage, wipe and remove share
:mod:`~.reimage`               reimage: a new build, another class, the previous one
:mod:`~.pins`                  one instance pinned to its class's previous generation
:mod:`~.lifecycle`             wipe, remove, await the first boot
:mod:`~.report`                the machine's own boot report
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

if TYPE_CHECKING:  # the public names, imported on first use (ganetiops._lazy)
    from ganetiops.errors import BootTimeout as BootTimeout
    from ganetiops.errors import NetbootError as NetbootError
    from ganetiops.netboot.classes import find_local_class as find_local_class
    from ganetiops.netboot.classes import list_classes as list_classes
    from ganetiops.netboot.classes import plan_publish as plan_publish
    from ganetiops.netboot.classes import publish as publish
    from ganetiops.netboot.classes import rollback as rollback
    from ganetiops.netboot.create import CreateRequest as CreateRequest
    from ganetiops.netboot.create import apply_create as apply_create
    from ganetiops.netboot.create import plan_create as plan_create
    from ganetiops.netboot.labboot import boot_server_from_lab as boot_server_from_lab
    from ganetiops.netboot.labclass import build_lab_class as build_lab_class
    from ganetiops.netboot.layout import Layout as Layout
    from ganetiops.netboot.lifecycle import apply_remove as apply_remove
    from ganetiops.netboot.lifecycle import apply_wipe as apply_wipe
    from ganetiops.netboot.lifecycle import await_boot as await_boot
    from ganetiops.netboot.lifecycle import plan_remove as plan_remove
    from ganetiops.netboot.lifecycle import plan_wipe as plan_wipe
    from ganetiops.netboot.osprovider import install_os_provider as install_os_provider
    from ganetiops.netboot.reimage import apply_reimage as apply_reimage
    from ganetiops.netboot.reimage import plan_reimage as plan_reimage
    from ganetiops.netboot.server import BootServerClient as BootServerClient
    from ganetiops.netboot.standin import install_standin as install_standin

__getattr__, __dir__ = exports(__name__)
