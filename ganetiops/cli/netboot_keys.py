"""``gnt-py netboot keys``: host identities on the boot server (``keys/<host>.tar.gz``)."""

from __future__ import annotations

import click

from ganetiops.cli.bootserver import open_boot, out
from ganetiops.cli.common import confirm, yes_option
from ganetiops.cli.state import State, pass_state
from ganetiops.errors import ValidationError


@click.group("keys")
def keys_group() -> None:
    """Host identities: keys/<host>.tar.gz (RSA host key, ed25519 root key)."""


@keys_group.command("create")
@click.argument("host")
@click.option("--replace", is_flag=True, help="Replace an existing identity (asks first).")
@yes_option
@pass_state
def keys_create(state: State, host: str, replace: bool, yes: bool) -> None:
    """Generate and upload a host identity; print its public keys for the secrets file."""
    from ganetiops.netboot import keys
    from ganetiops.netboot.layout import host_label

    short = host_label(host, "host")
    boot = open_boot(state)
    if boot.keys_entry(short) is not None:
        if not replace:
            raise ValidationError(f"keys/{short}.tar.gz exists (--replace to make a new one)")
        confirm(f"Replace the identity of {short}? Its secrets must be rekeyed.", yes)
    identity = keys.generate(short)
    boot.upload_identity(identity, replace=replace)
    out(
        state,
        {"host": short, "host_public": identity.host_public, "root_public": identity.root_public},
        identity.public_lines(),
    )


@keys_group.command("show")
@click.argument("host")
@pass_state
def keys_show(state: State, host: str) -> None:
    """Print the public keys of an identity on the boot server."""
    boot = open_boot(state)
    identity = boot.read_identity(host)
    if identity is None:
        raise ValidationError(f"no keys/{host}.tar.gz on the boot server", field="host")
    out(
        state,
        {
            "host": identity.host,
            "host_public": identity.host_public,
            "root_public": identity.root_public,
        },
        identity.public_lines(),
    )


@keys_group.command("remove")
@click.argument("host")
@yes_option
@pass_state
def keys_remove(state: State, host: str, yes: bool) -> None:
    """Remove keys/<host>.tar.gz from the boot server."""
    boot = open_boot(state)
    confirm(f"Remove the identity of {host}?", yes)
    removed = boot.remove_identity(host)
    out(
        state,
        {"host": host, "removed": removed},
        [f"keys/{host}.tar.gz {'removed' if removed else 'was not there'}"],
    )


__all__ = ["keys_group"]
