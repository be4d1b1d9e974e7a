"""Pin a netbooted machine's host key in a known_hosts file.

``instance create`` knows the machine's host key before the machine exists: it is the
public half of ``host_privkey`` in ``keys/<host>.tar.gz``, which the machine installs
at boot. Once the machine has reported its address, create writes one line for it
(its short name, full name and address) into the context's ``pin-known-hosts`` file,
replacing older lines for those names, so that a plain ``ssh`` with that file and
``StrictHostKeyChecking=yes`` verifies the machine is the one ganetiops made.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ganetiops.errors import ValidationError


def known_hosts_line(names: Sequence[str], public_key: str) -> str:
    """``name1,name2 ssh-rsa AAAA...`` (the key's comment dropped)."""
    words = public_key.split()
    if len(words) < 2 or not words[0].startswith(("ssh-", "ecdsa-")):
        raise ValidationError("not an OpenSSH public key line")
    for name in names:
        if not name or any(c.isspace() or c in ",#" for c in name):
            raise ValidationError(f"{name!r} cannot be a known_hosts name")
    return f"{','.join(names)} {words[0]} {words[1]}"


def pin_host_key(path: str | Path, names: Sequence[str], public_key: str) -> str:
    """Write the line for ``names`` into ``path`` (atomically), dropping older lines
    that name any of them. Returns the line written."""
    line = known_hosts_line(names, public_key)
    target = Path(path)
    wanted = set(names)
    kept = []
    if target.exists():
        for old in target.read_text().splitlines():
            first = old.split(maxsplit=1)[0] if old.strip() else ""
            if first and not first.startswith("#") and wanted & set(first.split(",")):
                continue
            kept.append(old)
    kept.append(line)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.ganetiops-tmp")
    temporary.write_text("\n".join(kept) + "\n")
    os.chmod(temporary, 0o644)
    os.replace(temporary, target)
    return line
