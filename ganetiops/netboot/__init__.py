"""Netboot: the boot server, NixOS classes, host keys, MAC wrappers and the ``pxe`` OS provider.

The ``pxe`` Ganeti OS definition ships as data in ``provider/pxe/`` (shell scripts that
Ganeti runs on the nodes); the lab installs it on every node.
"""
