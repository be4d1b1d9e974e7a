"""``gnt-py filter``: job filter rules (accept, pause, reject or rate-limit jobs)."""

from __future__ import annotations

import json
from typing import Any

import click

from ganetiops.cli.common import confirm, parse_json, show_models, yes_option
from ganetiops.cli.output import (
    Column,
    OutputOptions,
    dump,
    echo,
    output_options,
    print_records,
    select_fields,
)
from ganetiops.cli.state import State, pass_state
from ganetiops.errors import ValidationError

ACTIONS = ("ACCEPT", "CONTINUE", "PAUSE", "REJECT", "RATE_LIMIT")
DEFAULT_FIELDS = ("uuid", "priority", "action", "predicates")


@click.group("filter")
def filter_group() -> None:
    """Job filter rules: what the job queue accepts, pauses, rejects or rate-limits."""


@filter_group.command("list")
@output_options(DEFAULT_FIELDS)
@pass_state
def list_(state: State, output: OutputOptions) -> None:
    """Every filter rule, by priority."""
    rules = sorted(state.client().filters.list(), key=lambda f: (f.priority or 0, f.uuid or ""))
    if output.format != "table":
        echo(dump([r.to_dict() for r in rules], output.format))
        return
    records = [
        {
            "uuid": r.uuid,
            "priority": r.priority,
            "watermark": r.watermark,
            "action": r.action if isinstance(r.action, str) else json.dumps(r.action),
            "predicates": json.dumps(list(r.predicates)),
        }
        for r in rules
    ]
    fields = select_fields(output.fields, DEFAULT_FIELDS)
    print_records(records, [Column(f, f.capitalize()) for f in fields], output)


def describe_rule(rule: Any) -> dict[str, Any]:
    return {
        "Priority": rule.priority,
        "Watermark": rule.watermark,
        "Action": rule.action,
        "Predicates": json.dumps(list(rule.predicates)),
        "Reason trail": json.dumps(list(rule.reason_trail)),
    }


@filter_group.command("show")
@click.argument("uuid")
@output_options()
@pass_state
def show(state: State, uuid: str, output: OutputOptions) -> None:
    """One filter rule."""
    rule = state.client().filters.get(uuid)
    show_models(output, [rule], describe_rule, lambda rule: f"Filter: {rule.uuid}")


def _action(action: str, rate: int | None) -> Any:
    if action == "RATE_LIMIT":
        if rate is None:
            raise ValidationError("RATE_LIMIT needs --rate N", field="rate")
        return ["RATE_LIMIT", rate]
    if rate is not None:
        raise ValidationError("--rate applies to RATE_LIMIT only", field="rate")
    return action


def _predicates(values: tuple[str, ...]) -> list[Any]:
    example = '["jobid", [">", "id", 10]]'
    return [parse_json(v, f"--predicate {v!r}", example, field="predicate") for v in values]


@filter_group.command("add")
@click.option("--priority", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--predicate",
    "predicates",
    multiple=True,
    metavar="JSON",
    help='e.g. \'["opcode", ["=", "OP_ID", "OP_INSTANCE_CREATE"]]\'',
)
@click.option("--action", type=click.Choice(ACTIONS), default="CONTINUE", show_default=True)
@click.option("--rate", type=click.IntRange(min=0), help="For RATE_LIMIT: jobs at once.")
@click.option("--reason", metavar="TEXT")
@pass_state
def add(
    state: State,
    priority: int,
    predicates: tuple[str, ...],
    action: str,
    rate: int | None,
    reason: str | None,
) -> None:
    """Add a filter rule; prints its UUID."""
    uuid = state.client().filters.add(
        priority=priority,
        predicates=_predicates(predicates),
        action=_action(action, rate),
        reason=reason,
    )
    if state.output_format != "table":
        echo(dump({"uuid": uuid}, state.output_format))
    else:
        echo(uuid)


@filter_group.command("remove")
@click.argument("uuids", nargs=-1, required=True)
@yes_option
@pass_state
def remove(state: State, uuids: tuple[str, ...], yes: bool) -> None:
    """Delete filter rules."""
    confirm(f"Delete filter rule(s) {', '.join(uuids)}?", yes)
    client = state.client()
    for uuid in uuids:
        client.filters.delete(uuid)
