"""Nodes: roles, evacuation, migration, parameters, storage."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, Unpack

from ganetiops.errors import ValidationError
from ganetiops.rapi import shapes, validate
from ganetiops.rapi.call import JobCommon, Params
from ganetiops.rapi.models.misc import StorageUnit
from ganetiops.rapi.models.node import Node
from ganetiops.rapi.namespace import M, job_operation, operation
from ganetiops.rapi.ops.common import (
    Tagged,
    body_of,
    bound_list,
    bound_one,
    flags,
    migration,
    names_from,
    require_changes,
)

NodeRole = Literal["drained", "master-candidate", "offline", "regular"]


class Nodes(Tagged[M]):
    """``client.nodes``: read nodes, change their role and parameters, move instances off."""

    path_values: ClassVar[Mapping[str, str]] = {"kind": "nodes"}

    @operation("GET", "/2/nodes")
    def list(self) -> Params[builtins.list[Node[M]]]:
        """Every node with its live figures (``?bulk=1``)."""
        return Params(query={"bulk": True}, parse=bound_list(self, Node[M].from_api))

    @operation("GET", "/2/nodes")
    def names(self) -> Params[builtins.list[str]]:
        """Just the node names."""
        return Params(parse=names_from("id"))

    @operation("GET", "/2/nodes/{node}")
    def get(self, node: str, *, lock: bool = False) -> Params[Node[M]]:
        """One node; raises :class:`~ganetiops.errors.RapiNotFoundError` if unknown."""
        return Params(query=flags(lock=lock), parse=bound_one(self, Node[M].from_api))

    @job_operation("POST", "/2/nodes/{node}/powercycle", dry_run="body")
    def powercycle(
        self, node: str, *, force: bool = False, **common: Unpack[JobCommon]
    ) -> Params[Any]:
        """Power-cycle the node through its hypervisor (``gnt-node powercycle``)."""
        return Params(query=flags(force=force), body={}, common=common)

    @operation("GET", "/2/nodes/{node}/role")
    def role(self, node: str) -> Params[str]:
        """``master``, ``master-candidate``, ``regular``, ``drained`` or ``offline``."""
        return Params(parse=shapes.text)

    @job_operation("PUT", "/2/nodes/{node}/role", body="custom")
    def set_role(
        self,
        node: str,
        role: NodeRole,
        *,
        force: bool = False,
        auto_promote: bool = False,
        **common: Unpack[JobCommon],
    ) -> Params[builtins.list[Any]]:
        """Set the role; ``master`` cannot be set here (use ``gnt-cluster master-failover``)."""
        if role == "master":
            raise ValidationError(
                "role: a node becomes master by gnt-cluster master-failover, not through RAPI",
                field="role",
            )
        validate.choice(role, validate.NODE_ROLES, "role")
        return Params(
            query={**flags(force=force), "auto-promote": True if auto_promote else None},
            body=role,
            common=common,
            parse=shapes.rows,
        )

    @job_operation("POST", "/2/nodes/{node}/evacuate", dry_run="query")
    def evacuate(
        self,
        node: str,
        *,
        mode: Literal["primary-only", "secondary-only", "all"] | None = None,
        iallocator: str | None = None,
        remote_node: str | None = None,
        early_release: bool | None = None,
        ignore_soft_errors: bool | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[Any]:
        """Move instances off the node (``gnt-node evacuate``); moves run as child jobs.

        ``mode`` is required, as Ganeti requires it (``OpNodeEvacuate.mode`` has no
        default): ``primary-only``, ``secondary-only`` or ``all``. ``remote_node`` (a
        new secondary) applies to ``secondary-only``; an iallocator (or the cluster
        default) chooses otherwise.
        """
        if mode is None:
            raise ValidationError(
                "mode: say which instances to move: primary-only, secondary-only or all",
                field="mode",
            )
        validate.choice(mode, validate.EVAC_MODES, "mode")
        if iallocator and remote_node:
            raise ValidationError("give iallocator or remote_node, not both", field="iallocator")
        if remote_node and mode != "secondary-only":
            raise ValidationError(
                "remote_node only applies to mode=secondary-only", field="remote_node"
            )
        return Params(
            body=body_of(
                mode=mode,
                iallocator=iallocator,
                remote_node=validate.hostname(remote_node, "remote_node") if remote_node else None,
                early_release=early_release,
                ignore_soft_errors=ignore_soft_errors,
            ),
            common=common,
        )

    @job_operation("POST", "/2/nodes/{node}/migrate", dry_run="body", reason=False)
    def migrate(
        self,
        node: str,
        *,
        mode: Literal["live", "non-live"] | None = None,
        target_node: str | None = None,
        iallocator: str | None = None,
        allow_runtime_changes: bool | None = None,
        ignore_ipolicy: bool | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[Any]:
        """Migrate every primary instance off the node (as child jobs).

        Sent with no query string at all: the server ignores the body when any
        query parameter is present, so no reason trail can be recorded here.
        """
        return Params(
            body=migration(mode, target_node, iallocator)
            | body_of(
                allow_runtime_changes=allow_runtime_changes,
                ignore_ipolicy=ignore_ipolicy,
            ),
            common=common,
        )

    @job_operation("POST", "/2/nodes/{node}/modify", dry_run="body")
    def modify(
        self,
        node: str,
        *,
        master_candidate: bool | None = None,
        offline: bool | None = None,
        drained: bool | None = None,
        master_capable: bool | None = None,
        vm_capable: bool | None = None,
        secondary_ip: str | None = None,
        ndparams: Mapping[str, Any] | None = None,
        powered: bool | None = None,
        hv_state: Mapping[str, Any] | None = None,
        disk_state: Mapping[str, Any] | None = None,
        force: bool | None = None,
        auto_promote: bool | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[builtins.list[Any]]:
        """Change node flags and parameters (``gnt-node modify``)."""
        set_flags = [f for f in (master_candidate, offline, drained) if f]
        if len(set_flags) > 1:
            raise ValidationError(
                "at most one of master_candidate, offline, drained can be set", field="offline"
            )
        body = body_of(
            master_candidate=master_candidate,
            offline=offline,
            drained=drained,
            master_capable=master_capable,
            vm_capable=vm_capable,
            secondary_ip=validate.ipv4(secondary_ip, "secondary_ip") if secondary_ip else None,
            ndparams=dict(ndparams) if ndparams else None,
            powered=powered,
            hv_state=dict(hv_state) if hv_state else None,
            disk_state=dict(disk_state) if disk_state else None,
        )
        require_changes(body, "node modify")
        body.update(body_of(force=force, auto_promote=auto_promote))
        return Params(body=body, common=common, parse=shapes.rows)

    @job_operation("GET", "/2/nodes/{node}/storage", body="ignored")
    def storage(
        self,
        node: str,
        *,
        storage_type: str,
        output_fields: Sequence[str] = ("name", "size", "used", "free", "allocatable"),
        **common: Unpack[JobCommon],
    ) -> Params[builtins.list[StorageUnit]]:
        """Query storage units (LVM PVs/VGs, file storage) as a job; needs a write user."""
        validate.choice(storage_type, validate.STORAGE_TYPES, "storage_type")
        fields = list(output_fields)
        if not fields:
            raise ValidationError("output_fields: name at least one field", field="output_fields")
        return Params(
            query={"storage_type": storage_type, "output_fields": ",".join(fields)},
            common=common,
            parse=lambda rows: [
                StorageUnit(dict(zip(fields, row, strict=False))) for row in shapes.rows(rows)
            ],
        )

    @job_operation("PUT", "/2/nodes/{node}/storage/modify", body="ignored")
    def modify_storage(
        self,
        node: str,
        *,
        storage_type: str,
        name: str,
        allocatable: bool | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Change a storage unit (today: whether an LVM PV is allocatable)."""
        validate.choice(storage_type, validate.STORAGE_TYPES, "storage_type")
        if allocatable is None:
            raise ValidationError("nothing to change: give allocatable", field="allocatable")
        return Params(
            query={"storage_type": storage_type, "name": name, "allocatable": allocatable},
            common=common,
        )

    @job_operation("PUT", "/2/nodes/{node}/storage/repair", body="ignored")
    def repair_storage(
        self, node: str, *, storage_type: str, name: str, **common: Unpack[JobCommon]
    ) -> Params[None]:
        """Repair a storage unit (``vgreduce --removemissing`` for LVM VGs)."""
        validate.choice(storage_type, validate.STORAGE_TYPES, "storage_type")
        return Params(query={"storage_type": storage_type, "name": name}, common=common)
