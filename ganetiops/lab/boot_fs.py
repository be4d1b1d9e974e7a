"""The boot server's files and root, built for :meth:`ganetiops.lab.build.Builder.boot`.

The boot server's root is a tmpfs (``machines/boot/fs``) holding read-only binds of
the host's ``/usr`` and ``/etc``, private ``passwd``/``group``/``shadow`` (user
``admin``; the host's user database is untouched), ``/etc/ssh``, ``/etc/nginx``, and
``/usb1-part1/http`` (``machines/boot/http``) with the nginx logs in ``machines/boot/log``.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
from pathlib import Path
from typing import Final

from ganetiops.errors import LabError
from ganetiops.lab import configs, host, topology
from ganetiops.lab.configs import Bind, Command, Mkdir, Step, Symlink, Tmpfs

#: The boot server's ``admin`` user (SFTP publishing), unknown to the host.
ADMIN_UID: Final = 61000
#: Host users the boot server's private user database copies.
BOOT_SYSTEM_USERS: Final = ("root", "www-data", "sshd", "nobody")
#: Host top-level entries the boot server's root mirrors (merged-/usr symlinks or dirs).
TOP_LEVEL: Final = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
#: No IPv6 in the lab, as in the homelab (``-e``: a kernel without IPv6 is fine too).
NO_IPV6: Final = (
    "sysctl",
    "-q",
    "-e",
    "-w",
    "net.ipv6.conf.all.disable_ipv6=1",
    "net.ipv6.conf.default.disable_ipv6=1",
)


def boot_files(d: Path, plan: topology.AddressPlan, workstation_key: Path) -> None:
    """The boot server's own files under ``machines/boot``: accounts, sshd (host keys,
    ``admin``'s authorized key), nginx, the web root owned by ``admin``."""
    d.mkdir(parents=True, mode=0o700)
    (d / "fs").mkdir(mode=0o755)
    accounts = [host_account(name) for name in BOOT_SYSTEM_USERS]
    admin = topology.BOOT_ADMIN
    accounts.append(
        configs.Account(admin, ADMIN_UID, ADMIN_UID, admin, f"/home/{admin}", "/bin/sh")
    )
    host.write_file(d / "passwd", configs.passwd_file(accounts))
    host.write_file(d / "group", configs.group_file(accounts))
    host.write_file(d / "shadow", configs.shadow_file(accounts), 0o600)
    host.write_file(d / "hosts", configs.hosts_file(plan))
    host.write_file(d / "resolv.conf", configs.resolv_conf())
    host.ssh_dir(d / "etc-ssh", "root@boot")
    host.write_file(d / "etc-ssh" / "sshd_config", configs.boot_sshd_config(plan.boot_ip, admin))
    workstation_pub = host.read_pub(workstation_key)
    host.write_file(d / "etc-ssh" / "authorized_keys" / admin, workstation_pub + "\n")
    (d / "etc-ssh" / "authorized_keys").chmod(0o755)
    nginx = d / "nginx"
    nginx.mkdir(mode=0o755)
    shutil.copyfile("/etc/nginx/mime.types", nginx / "mime.types")
    host.write_file(
        nginx / "nginx.conf",
        configs.nginx_conf(plan.boot_ip, topology.fqdn(topology.BOOT), topology.BOOT_WEB_ROOT),
    )
    (d / "log").mkdir(mode=0o755)
    http = d / "http"
    for sub in ("nixos/by-class", "nixos/by-mac", "keys"):
        (http / sub).mkdir(parents=True, mode=0o755)
    for path in (http, http / "nixos", http / "nixos/by-class", http / "nixos/by-mac"):
        os.chown(path, ADMIN_UID, ADMIN_UID)
    os.chown(http / "keys", ADMIN_UID, ADMIN_UID)


def boot_steps(d: Path, fs: Path) -> list[Step]:
    """The boot server's root: a tmpfs of read-only binds of the host and its own files."""
    root = str(fs)
    top: list[Step] = []
    for entry in TOP_LEVEL:
        source = Path("/", entry)
        if source.is_symlink():
            top.append(Symlink(f"{root}/{entry}", os.readlink(source)))
        elif source.is_dir():
            top += [Mkdir(f"{root}/{entry}"), Bind(str(source), f"{root}/{entry}", True)]
    web_root = root + topology.BOOT_WEB_ROOT
    etc_files = ["passwd", "group", "shadow", "hosts"]
    if regular_file("/etc/resolv.conf"):
        etc_files.append("resolv.conf")
    return [
        Tmpfs(root),
        *(
            Mkdir(f"{root}/{sub}")
            for sub in (
                "usr",
                "etc",
                "dev",
                "proc",
                "sys",
                "run",
                "tmp",
                "root",
                "var/log/nginx",
                "var/lib/nginx",
                f"home/{topology.BOOT_ADMIN}",
            )
        ),
        Mkdir(web_root),
        *top,
        Tmpfs(f"{root}/run"),
        Mkdir(f"{root}/run/sshd"),
        Tmpfs(f"{root}/tmp", mode="1777"),  # noqa: S108 - the boot server's own /tmp
        Bind("/usr", f"{root}/usr", read_only=True, recursive=True),
        Bind("/etc", f"{root}/etc", read_only=True),
        *(Bind(str(d / f), f"{root}/etc/{f}") for f in etc_files),
        Bind(str(d / "etc-ssh"), f"{root}/etc/ssh"),
        Bind(str(d / "nginx"), f"{root}/etc/nginx"),
        Bind("/dev", f"{root}/dev", recursive=True),
        Bind("/proc", f"{root}/proc", recursive=True),
        Bind("/sys", f"{root}/sys", recursive=True),
        Bind(str(d / "http"), web_root),
        Bind(str(d / "log"), f"{root}/var/log/nginx"),
        Command(("chown", f"{ADMIN_UID}:{ADMIN_UID}", f"{root}/home/{topology.BOOT_ADMIN}")),
        Command(NO_IPV6),
    ]


def regular_file(path: str) -> bool:
    return os.path.isfile(path) and not os.path.islink(path)


def host_account(name: str) -> configs.Account:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise LabError(f"the host has no user {name!r}, which the boot server needs") from None
    group = grp.getgrgid(entry.pw_gid).gr_name
    return configs.Account(name, entry.pw_uid, entry.pw_gid, group, entry.pw_dir, entry.pw_shell)
