"""``gnt-py os``: the OS definitions the nodes offer."""

from __future__ import annotations

import click

from ganetiops.cli.output import Column, OutputOptions, output_options, print_records, select_fields
from ganetiops.cli.state import State, pass_state
from ganetiops.errors import ValidationError


@click.group("os")
def os_group() -> None:
    """Operating system definitions."""


@os_group.command("list")
@output_options(("name", "variants"))
@pass_state
def list_(state: State, output: OutputOptions) -> None:
    """OS definitions valid on every node, with their variants (gnt-os list)."""
    fields = select_fields(output.fields, ("name", "variants"))
    known = {"name": "Name", "variants": "Variants", "full_names": "Full names"}
    bad = [f for f in fields if f not in known]
    if bad:
        raise ValidationError(
            f"unknown os field(s): {', '.join(bad)} (one of {', '.join(known)})", field="output"
        )
    records = [
        {"name": os.name, "variants": list(os.variants), "full_names": list(os.full_names)}
        for os in state.client().os.list()
    ]
    print_records(records, [Column(f, known[f]) for f in fields], output)
