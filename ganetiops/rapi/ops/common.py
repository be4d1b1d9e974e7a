"""Helpers shared by the operation modules: lists, bodies, tags."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, Unpack

from ganetiops.errors import ValidationError
from ganetiops.rapi import validate
from ganetiops.rapi.call import JobCommon, Params
from ganetiops.rapi.models.base import bind
from ganetiops.rapi.models.listing import ModelList
from ganetiops.rapi.namespace import M, Namespace, job_operation, operation

T = TypeVar("T")


def body_of(**values: Any) -> dict[str, Any]:
    """A request body without the keys left at ``None`` (server defaults apply)."""
    return {k: v for k, v in values.items() if v is not None}


def flags(**values: bool) -> dict[str, bool | None]:
    """Query flags: only the true ones are sent (``1``); false ones are omitted."""
    return {k: (True if v else None) for k, v in values.items()}


def names_from(key: str) -> Callable[[Any], list[str]]:
    """Parse a non-bulk listing (``[{"id": ..., "uri": ...}]``) into names."""

    def parse(data: Any) -> list[str]:
        return [str(item[key]) for item in data or () if isinstance(item, Mapping)]

    return parse


def str_list(data: Any) -> list[str]:
    return [str(v) for v in data or ()]


def bound_list(namespace: Any, factory: Callable[[Any], T]) -> Callable[[Any], list[T]]:
    """Parse a bulk listing into models bound to the namespace (for their verbs)."""

    def parse(data: Any) -> list[T]:
        return ModelList(bind(factory(item), namespace) for item in data or ())

    return parse


def bound_one(namespace: Any, factory: Callable[[Any], T]) -> Callable[[Any], T]:
    def parse(data: Any) -> T:
        return bind(factory(data), namespace)

    return parse


def extra_keys(
    extra: Mapping[str, Any] | None, allowed: Sequence[str], what: str
) -> dict[str, Any]:
    """Free-form parameters, checked against the opcode's known keys."""
    if not extra:
        return {}
    unknown = sorted(set(extra) - set(allowed))
    if unknown:
        raise ValidationError(
            f"{what}: unknown parameter(s) {', '.join(unknown)}", field=unknown[0]
        )
    return {k: v for k, v in extra.items() if v is not None}


def migration(mode: str | None, target_node: str | None, iallocator: str | None) -> dict[str, Any]:
    """Where and how instances move: a target node or an iallocator, never both."""
    if target_node and iallocator:
        raise ValidationError("give target_node or iallocator, not both", field="iallocator")
    return body_of(
        mode=validate.choice(mode, validate.MIGRATION_MODES, "mode") if mode else None,
        target_node=validate.hostname(target_node, "target_node") if target_node else None,
        iallocator=iallocator,
    )


def require_changes(body: Mapping[str, Any], what: str) -> None:
    if not body:
        raise ValidationError(f"{what}: nothing to change")


class Tagged(Namespace[M]):
    """Tag operations shared by instances, nodes, groups and networks.

    Subclasses set ``path_values = {"kind": "instances"}``; the path template
    ``/2/{kind}/{name}/tags`` is written once here.
    """

    @operation("GET", "/2/{kind}/{name}/tags")
    def tags(self, name: str) -> Params[list[str]]:
        """The object's tags."""
        return Params(parse=str_list)

    @job_operation("PUT", "/2/{kind}/{name}/tags", dry_run="query", body="ignored")
    def add_tags(self, name: str, tags: Sequence[str], **common: Unpack[JobCommon]) -> Params[None]:
        """Add tags to the object."""
        return Params(query={"tag": validate.tags(tags)}, common=common)

    @job_operation("DELETE", "/2/{kind}/{name}/tags", dry_run="query", body="ignored")
    def remove_tags(
        self, name: str, tags: Sequence[str], **common: Unpack[JobCommon]
    ) -> Params[None]:
        """Remove tags from the object."""
        return Params(query={"tag": validate.tags(tags)}, common=common)
