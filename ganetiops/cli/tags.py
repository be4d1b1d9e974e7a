"""``gnt-py tags``: tags of the cluster and of any object, and a search across all of them."""

from __future__ import annotations

import re
from typing import Any

import click

from ganetiops.cli.jobs_ui import JobOptions, follow_job, job_options
from ganetiops.cli.output import Column, OutputOptions, dump, echo, output_options, print_records
from ganetiops.cli.state import State, pass_state
from ganetiops.errors import ValidationError

#: Kind on the command line -> (client namespace, query resource).
KINDS = {
    "cluster": ("cluster", "cluster"),
    "instance": ("instances", "instance"),
    "node": ("nodes", "node"),
    "group": ("groups", "group"),
    "network": ("networks", "network"),
}


def _target(state: State, kind: str, name: str | None) -> tuple[Any, tuple[str, ...]]:
    namespace = getattr(state.client(), KINDS[kind][0])
    if kind == "cluster":
        if name:
            raise ValidationError("cluster tags take no object name", field="name")
        return namespace, ()
    if not name:
        raise ValidationError(f"name the {kind}", field="name")
    return namespace, (name,)


def _name_and_tags(kind: str, args: tuple[str, ...]) -> tuple[str | None, tuple[str, ...]]:
    """``[NAME] TAG...``: the cluster's tags have no NAME before them."""
    name, values = (None, args) if kind == "cluster" else (args[0], args[1:])
    if not values:
        raise click.UsageError("name at least one tag")
    return name, values


@click.group()
def tags() -> None:
    """Tags: list, add and remove them on any object, or search them everywhere."""


@tags.command("list")
@click.argument("kind", type=click.Choice(tuple(KINDS)))
@click.argument("name", required=False)
@output_options()
@pass_state
def list_(state: State, kind: str, name: str | None, output: OutputOptions) -> None:
    """The tags of the cluster (KIND=cluster) or of one object (KIND NAME)."""
    namespace, args = _target(state, kind, name)
    found = sorted(namespace.tags(*args))
    echo(dump(found, output.format) if output.format != "table" else "\n".join(found))


def _change_command(verb: str, example: str) -> None:
    """``tags add KIND [NAME] TAG...`` or ``tags remove ...``: one job."""
    change = f"{verb} tags {'to' if verb == 'add' else 'from'}"

    @tags.command(verb, help=f"{verb.capitalize()} tags: ``{example}``.")
    @click.argument("kind", type=click.Choice(tuple(KINDS)))
    @click.argument("args", nargs=-1, required=True, metavar="[NAME] TAG...")
    @job_options
    @pass_state
    def command(state: State, kind: str, args: tuple[str, ...], jobs: JobOptions) -> None:
        name, values = _name_and_tags(kind, args)
        namespace, target = _target(state, kind, name)
        operation = getattr(namespace, f"{verb}_tags")
        job = state.submit(operation.call(*target, list(values), **jobs.common()))
        follow_job(job, jobs, what=f"{change} {name or 'cluster'}")


_change_command("add", "tags add cluster T1 T2`` or ``tags add instance web1 T1")
_change_command("remove", "tags remove cluster T1`` or ``tags remove node aleph T1")


@tags.command("search")
@click.argument("pattern")
@output_options()
@pass_state
def search(state: State, pattern: str, output: OutputOptions) -> None:
    """Every tag matching the regular expression PATTERN, with its owner (gnt-cluster
    search-tags)."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ValidationError(f"PATTERN: {exc}", field="pattern") from None
    client = state.client()
    rows: list[dict[str, Any]] = []
    for tag in client.cluster.tags():
        if regex.search(tag):
            rows.append({"path": "/cluster", "tag": tag})
    for kind, (_, resource) in KINDS.items():
        if kind == "cluster":
            continue
        result = client.query.query(resource, ["name", "tags"])
        for record in result.records():
            for tag in record.get("tags") or ():
                if regex.search(tag):
                    rows.append({"path": f"/{resource}s/{record['name']}", "tag": tag})
    print_records(rows, [Column("path", "Object"), Column("tag", "Tag")], output)
