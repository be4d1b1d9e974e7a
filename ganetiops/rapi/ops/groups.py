"""Node groups."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, Unpack

from ganetiops.errors import ValidationError
from ganetiops.rapi import shapes, validate
from ganetiops.rapi.call import JobCommon, Params
from ganetiops.rapi.models.node import Group
from ganetiops.rapi.namespace import M, job_operation, operation
from ganetiops.rapi.ops.common import (
    Tagged,
    body_of,
    bound_list,
    bound_one,
    flags,
    names_from,
    require_changes,
)

AllocPolicy = Literal["preferred", "last_resort", "unallocable"]


def _group_params(
    alloc_policy: str | None,
    ndparams: Mapping[str, Any] | None,
    diskparams: Mapping[str, Any] | None,
    ipolicy: Mapping[str, Any] | None,
    hv_state: Mapping[str, Any] | None,
    disk_state: Mapping[str, Any] | None,
) -> dict[str, Any]:
    return body_of(
        alloc_policy=(
            validate.choice(alloc_policy, validate.ALLOC_POLICIES, "alloc_policy")
            if alloc_policy
            else None
        ),
        ndparams=dict(ndparams) if ndparams else None,
        diskparams=dict(diskparams) if diskparams else None,
        ipolicy=dict(ipolicy) if ipolicy else None,
        hv_state=dict(hv_state) if hv_state else None,
        disk_state=dict(disk_state) if disk_state else None,
    )


class Groups(Tagged[M]):
    """``client.groups``: node groups and their policies."""

    path_values: ClassVar[Mapping[str, str]] = {"kind": "groups"}

    @operation("GET", "/2/groups")
    def list(self) -> Params[builtins.list[Group]]:
        """Every group with its nodes and policies (``?bulk=1``)."""
        return Params(query={"bulk": True}, parse=bound_list(self, Group.from_api))

    @operation("GET", "/2/groups")
    def names(self) -> Params[builtins.list[str]]:
        return Params(parse=names_from("name"))

    @operation("GET", "/2/groups/{group}")
    def get(self, group: str, *, lock: bool = False) -> Params[Group]:
        return Params(query=flags(lock=lock), parse=bound_one(self, Group.from_api))

    @job_operation("POST", "/2/groups", dry_run="query")
    def create(
        self,
        name: str,
        *,
        alloc_policy: AllocPolicy | None = None,
        ndparams: Mapping[str, Any] | None = None,
        diskparams: Mapping[str, Any] | None = None,
        ipolicy: Mapping[str, Any] | None = None,
        hv_state: Mapping[str, Any] | None = None,
        disk_state: Mapping[str, Any] | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[Any]:
        """Create a node group."""
        body = {"group_name": validate.object_name(name, "name")}
        body.update(
            _group_params(alloc_policy, ndparams, diskparams, ipolicy, hv_state, disk_state)
        )
        return Params(body=body, common=common)

    @job_operation("PUT", "/2/groups/{group}/modify", dry_run="body")
    def modify(
        self,
        group: str,
        *,
        alloc_policy: AllocPolicy | None = None,
        ndparams: Mapping[str, Any] | None = None,
        diskparams: Mapping[str, Any] | None = None,
        ipolicy: Mapping[str, Any] | None = None,
        hv_state: Mapping[str, Any] | None = None,
        disk_state: Mapping[str, Any] | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[builtins.list[Any]]:
        """Change a group's allocation policy or parameters."""
        body = _group_params(alloc_policy, ndparams, diskparams, ipolicy, hv_state, disk_state)
        require_changes(body, "group modify")
        return Params(body=body, common=common, parse=shapes.rows)

    @job_operation("DELETE", "/2/groups/{group}", dry_run="query", body="ignored")
    def remove(self, group: str, **common: Unpack[JobCommon]) -> Params[None]:
        """Remove an empty group."""
        return Params(common=common)

    @job_operation("PUT", "/2/groups/{group}/rename", dry_run="query")
    def rename(self, group: str, new_name: str, **common: Unpack[JobCommon]) -> Params[str]:
        """Rename a group; the job's result is the new name."""
        return Params(
            body={"new_name": validate.object_name(new_name, "new_name")},
            common=common,
            parse=shapes.text,
        )

    @job_operation("PUT", "/2/groups/{group}/assign-nodes", dry_run="query")
    def assign_nodes(
        self,
        group: str,
        nodes: Sequence[str],
        *,
        force: bool = False,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Move nodes into the group (``force`` even if it splits DRBD pairs)."""
        checked = validate.names(nodes, "nodes")
        if not checked:
            raise ValidationError("nodes: name at least one node", field="nodes")
        return Params(query=flags(force=force), body={"nodes": checked}, common=common)
