"""Where a lab keeps its files on the host: pure path arithmetic.

All labs live under one root, ``/var/lib/ganetiops/lab`` (``GANETIOPS_LAB_ROOT``
overrides it), readable by root only. One lab, ``<root>/<name>/``::

    lab.json                  the record of everything created (ganetiops.lab.record)
    keys/root_ed25519         the root key pair every node trusts (and uses, as the homelab)
    keys/workstation_ed25519  the "owner's laptop" key: root on the nodes, admin on boot
    known_hosts               every machine's host keys, by FQDN, short name and address
    secrets/<user>.password   RAPI passwords, mode 0600
    rapi.pem                  the cluster's RAPI certificate (no key), once a cluster exists
    logs/<machine>-<role>.log stdout/stderr of the daemons the lab started
    shared-file-storage/      /srv/ganeti/shared-file-storage of every node
    machines/<machine>/       what is bind-mounted into one machine (see ganetiops.lab.build)

The lock file ``<root>/.<name>.lock`` lives beside the lab's directory, so that it
outlives the directory's removal.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import attrs

ENV_ROOT: Final = "GANETIOPS_LAB_ROOT"
DEFAULT_ROOT: Final = Path("/var/lib/ganetiops/lab")


def lab_root() -> Path:
    """The directory holding every lab's state (``GANETIOPS_LAB_ROOT`` overrides)."""
    override = os.environ.get(ENV_ROOT)
    return Path(override) if override else DEFAULT_ROOT


@attrs.frozen
class Layout:
    """Paths of one lab's state on the host."""

    root: Path
    name: str

    @property
    def dir(self) -> Path:
        return self.root / self.name

    @property
    def record(self) -> Path:
        return self.dir / "lab.json"

    @property
    def lock(self) -> Path:
        return self.root / f".{self.name}.lock"

    @property
    def keys(self) -> Path:
        return self.dir / "keys"

    @property
    def root_key(self) -> Path:
        return self.keys / "root_ed25519"

    @property
    def workstation_key(self) -> Path:
        return self.keys / "workstation_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.dir / "known_hosts"

    @property
    def secrets(self) -> Path:
        return self.dir / "secrets"

    def password_file(self, user: str) -> Path:
        return self.secrets / f"{user}.password"

    @property
    def rapi_certificate(self) -> Path:
        return self.dir / "rapi.pem"

    @property
    def logs(self) -> Path:
        return self.dir / "logs"

    def log(self, machine: str, role: str) -> Path:
        return self.logs / f"{machine}-{role}.log"

    @property
    def shared_file_storage(self) -> Path:
        return self.dir / "shared-file-storage"

    def machine(self, machine: str) -> Path:
        return self.dir / "machines" / machine
