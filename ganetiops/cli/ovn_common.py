"""What the ``gnt-py ovn`` commands share: the group's options, the NB/SB connection
(a failure exits with code 3 and one clear line) and showing rows with ``-o`` fields."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
import click

from ganetiops.cli import exits
from ganetiops.cli.output import (
    OutputOptions,
    dump,
    echo,
    known_fields,
    print_records,
)
from ganetiops.cli.state import State, echo_err
from ganetiops.errors import OvnConnectionError, ValidationError


@attrs.define
class OvnOptions:
    """The database addresses and timeout the ``ovn`` group was given."""

    nb: str | None
    sb: str | None
    timeout: float


def ovn_options() -> OvnOptions:
    """The ``gnt-py ovn`` group's options (``--nb``, ``--sb``, ``--db-timeout``)."""
    return click.get_current_context().meta["ovn"]  # type: ignore[no-any-return]


@contextlib.contextmanager
def database(kind: str, state: State | None = None) -> Iterator[Any]:
    """The NB or SB database; a connection failure exits with code 3 and a clear line."""
    from ganetiops.ovn.db import Northbound, Southbound  # lazy: start-up

    options = ovn_options()
    remote = options.nb if kind == "nb" else options.sb
    if remote is None and kind == "nb" and state is not None:
        from ganetiops.ovn import ops  # lazy: start-up

        remote = ops.support(state.client()).nb_connection
    if remote is None:
        flag = "--nb" if kind == "nb" else "--sb"
        raise ValidationError(
            f"no {kind.upper()} database: give {flag} tcp:HOST:PORT (or GNTPY_OVN_{kind.upper()})",
            field=kind,
        )
    try:
        db = (Northbound if kind == "nb" else Southbound)(remote, timeout=options.timeout)
    except OvnConnectionError as exc:
        echo_err(click.style(f"Error: {exc}", fg="red"))
        raise click.exceptions.Exit(exits.CONNECTION) from None
    try:
        yield db
    finally:
        db.close()


def show_records(
    records: Sequence[dict[str, Any]], defaults: Sequence[str], output: OutputOptions
) -> None:
    """OVN rows (plain dicts) with ``-o`` fields: the defaults, or any key a row has."""
    known = sorted(set(defaults) | {k for r in records for k in r})
    fields = known_fields(output.fields, defaults, known)
    if output.format != "table":
        echo(dump([{f: r.get(f) for f in fields} for r in records], output.format))
        return
    print_records(records, fields, output)


def records_of(models: Sequence[Any]) -> list[dict[str, Any]]:
    """attrs models as plain dicts (what :func:`show_records` shows)."""
    return [attrs.asdict(m) for m in models]
