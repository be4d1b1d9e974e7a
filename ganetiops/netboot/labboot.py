"""The boot server of a namespace lab, as a configuration ``boot`` table.

A lab's context may lack a ``boot`` table; this builds the same
:class:`~ganetiops.config.BootServer` from the lab's facts (duck-typed, so that this
room does not import the lab). The lab's boot server runs sshd for ``admin`` (the
lab's workstation key) and nginx in a chroot where the web root is
``/usb1-part1/http`` and the access log ``/var/log/nginx/access.log``. The lab's
class reports its boot (``reports``), and create pins VMs' host keys in the lab's
known_hosts (the file the lab's nodes are already listed in).
"""

from __future__ import annotations

from typing import Any, Final

from ganetiops.config import BootServer

#: The nginx access log as the lab boot server's SFTP shows it.
LAB_ACCESS_LOG: Final = "/var/log/nginx/access.log"


def boot_server_from_lab(facts: Any) -> BootServer:
    """``BootServer`` for a lab (``facts``: a :class:`ganetiops.lab.LabFacts`)."""
    boot = facts.boot
    return BootServer(
        url=str(boot.url).rstrip("/"),
        host=str(boot.ip),
        user=str(boot.admin_user),
        key=str(boot.admin_key),
        root=str(boot.web_root),
        known_hosts=str(facts.known_hosts),
        access_log=LAB_ACCESS_LOG,
        reports=True,
        pin_known_hosts=str(facts.known_hosts),
    )
