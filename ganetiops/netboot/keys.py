"""Host identity of a netbooted machine: its SSH host key and root key, as a tarball.

At boot, the homelab's ``provision-keys`` unit fetches ``keys/<hostname>.tar.gz`` from
the boot server, untars it with umask 077 and installs (homelab.md §1.1, §3.3 step 6):

* member ``host_privkey`` -> ``/etc/ssh/ssh_host_rsa_key`` (an **RSA** key: agenix
  decrypts the machine's secrets with it, so its public half goes into
  ``nixos/secrets/secrets.nix`` and the secrets are rekeyed);
* member ``root_privkey`` -> ``/root/.ssh/id_ed25519`` (an **ed25519** key);

and derives both ``.pub`` files with ``ssh-keygen -yf``. The tarball holds exactly
these two members, in OpenSSH private key format, mode 0600.

Private keys are generated in memory, held as :class:`~ganetiops.config.Secret`,
packed into the tarball in memory and sent; nothing is written to local disk and
nothing private is ever logged or shown. Note that the boot server serves the tarball
over plain HTTP to anyone who can reach it: that is the homelab's design.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import time
from typing import Final

import attrs

from ganetiops.config.secrets import Secret
from ganetiops.errors import ValidationError
from ganetiops.netboot.layout import host_label

HOST_MEMBER: Final = "host_privkey"
ROOT_MEMBER: Final = "root_privkey"
MEMBERS: Final = (HOST_MEMBER, ROOT_MEMBER)
#: RSA size of generated host keys (``ssh-keygen``'s default).
RSA_BITS: Final = 3072
#: Largest tarball accepted when reading one back.
_MAX_TARBALL: Final = 1 << 20


@attrs.frozen
class HostIdentity:
    """A machine's host key and root key; the private halves never show in a repr."""

    host: str
    host_public: str
    root_public: str
    host_private: Secret = attrs.field(repr=False)
    root_private: Secret = attrs.field(repr=False)

    def public_lines(self) -> list[str]:
        """What to paste into the owner's secrets file (public halves only)."""
        return [
            f"# {self.host}: host key (ssh_host_rsa_key.pub; agenix recipient)",
            self.host_public,
            f"# {self.host}: root key (/root/.ssh/id_ed25519.pub)",
            self.root_public,
        ]


def generate(host: str) -> HostIdentity:
    """A fresh identity for ``host`` (RSA host key, ed25519 root key), in memory."""
    import asyncssh  # lazy: asyncssh, start-up

    name = host_label(host, "host")
    host_key = asyncssh.generate_private_key("ssh-rsa", key_size=RSA_BITS, comment=f"root@{name}")
    root_key = asyncssh.generate_private_key("ssh-ed25519", comment=f"root@{name}")
    return HostIdentity(
        host=name,
        host_public=host_key.export_public_key("openssh").decode().strip(),
        root_public=root_key.export_public_key("openssh").decode().strip(),
        host_private=Secret(host_key.export_private_key("openssh").decode()),
        root_private=Secret(root_key.export_private_key("openssh").decode()),
    )


def tarball(identity: HostIdentity) -> bytes:
    """``<host>.tar.gz`` as provision-keys expects it, built in memory."""
    raw = io.BytesIO()
    now = int(time.time())
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for member, secret in (
            (HOST_MEMBER, identity.host_private),
            (ROOT_MEMBER, identity.root_private),
        ):
            data = secret.reveal().encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            info.mode = 0o600
            info.mtime = now
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=now)


def read_tarball(host: str, data: bytes) -> HostIdentity:
    """Read an identity tarball back (to show its public keys or check it).

    Raises :class:`ValidationError` when it is not what provision-keys expects:
    exactly the two members, each an OpenSSH private key of the right type.
    """
    import asyncssh  # lazy: asyncssh, start-up

    name = host_label(host, "host")
    if len(data) > _MAX_TARBALL:
        raise ValidationError(f"keys/{name}.tar.gz is too large to be a key tarball")
    found: dict[str, Secret] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for info in tar.getmembers():
                member = info.name.removeprefix("./")
                if not info.isfile() or member not in MEMBERS or member in found:
                    raise ValidationError(
                        f"keys/{name}.tar.gz: unexpected member {info.name!r} "
                        f"(expected exactly {', '.join(MEMBERS)})"
                    )
                handle = tar.extractfile(info)
                if handle is None:  # pragma: no cover - isfile() checked above
                    raise ValidationError(f"keys/{name}.tar.gz: unreadable member {member}")
                found[member] = Secret(handle.read().decode("utf-8", "replace"))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ValidationError(f"keys/{name}.tar.gz is not a gzip tarball ({exc})") from None
    missing = [m for m in MEMBERS if m not in found]
    if missing:
        raise ValidationError(f"keys/{name}.tar.gz lacks {', '.join(missing)}")
    publics = {}
    for member, expected in ((HOST_MEMBER, "ssh-rsa"), (ROOT_MEMBER, "ssh-ed25519")):
        try:
            key = asyncssh.import_private_key(found[member].reveal())
        except (asyncssh.KeyImportError, ValueError):
            # The message must not echo any part of the key.
            raise ValidationError(
                f"keys/{name}.tar.gz: {member} is not an unencrypted OpenSSH private key"
            ) from None
        if key.get_algorithm() != expected:
            raise ValidationError(
                f"keys/{name}.tar.gz: {member} is a {key.get_algorithm()} key, expected {expected}"
            )
        publics[member] = key.export_public_key("openssh").decode().strip()
    return HostIdentity(
        host=name,
        host_public=publics[HOST_MEMBER],
        root_public=publics[ROOT_MEMBER],
        host_private=found[HOST_MEMBER],
        root_private=found[ROOT_MEMBER],
    )
