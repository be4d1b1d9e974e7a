"""An instance's disks: replace (DRBD), activate, deactivate, recreate, grow."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any, Literal, Unpack

from ganetiops.errors import ValidationError
from ganetiops.rapi import shapes, validate
from ganetiops.rapi.call import JobCommon, Params
from ganetiops.rapi.namespace import M, Namespace, job_operation
from ganetiops.rapi.ops.common import body_of, flags


class InstanceDisks(Namespace[M]):
    """Replace, activate, deactivate, recreate, grow disks (a part of ``Instances``)."""

    @job_operation("POST", "/2/instances/{instance}/replace-disks", dry_run="body")
    def replace_disks(
        self,
        instance: str,
        *,
        mode: Literal[
            "replace_on_primary", "replace_on_secondary", "replace_new_secondary", "replace_auto"
        ] = "replace_auto",
        disks: Sequence[int] | None = None,
        remote_node: str | None = None,
        iallocator: str | None = None,
        early_release: bool | None = None,
        ignore_ipolicy: bool | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Replace DRBD disks (``gnt-instance replace-disks -p/-s/-n/-a``)."""
        validate.choice(mode, validate.REPLACE_MODES, "mode")
        if mode == "replace_new_secondary" and not (remote_node or iallocator):
            raise ValidationError(
                "replace_new_secondary needs remote_node or iallocator", field="remote_node"
            )
        if remote_node and iallocator:
            raise ValidationError("give remote_node or iallocator, not both", field="iallocator")
        if mode != "replace_new_secondary" and (remote_node or iallocator):
            # Ganeti's LUInstanceReplaceDisks.CheckArguments refuses it too, as a failed job.
            raise ValidationError(
                f"remote_node and iallocator choose a new secondary: they need "
                f"mode='replace_new_secondary', not {mode!r}",
                field="remote_node",
            )
        if remote_node is not None:
            validate.hostname(remote_node, "remote_node")
        if disks is not None:
            if mode in ("replace_auto", "replace_new_secondary"):
                # TLReplaceDisks: "Cannot specify disks to be replaced".
                raise ValidationError(
                    f"disks: {mode} replaces what it must (auto) or every disk (new "
                    "secondary); choose disks only with replace_on_primary/secondary",
                    field="disks",
                )
            disks = _disk_indexes(disks)
        return Params(
            body=body_of(
                mode=mode,
                disks=list(disks) if disks is not None else None,
                remote_node=remote_node,
                iallocator=iallocator,
                early_release=early_release,
                ignore_ipolicy=ignore_ipolicy,
            ),
            common=common,
        )

    @job_operation("PUT", "/2/instances/{instance}/activate-disks", body="ignored")
    def activate_disks(
        self, instance: str, *, ignore_size: bool = False, **common: Unpack[JobCommon]
    ) -> Params[builtins.list[Any]]:
        """Activate the disks; the result lists ``[node, disk, device path]``."""
        return Params(
            query=flags(ignore_size=ignore_size),
            common=common,
            parse=shapes.rows,
        )

    @job_operation("PUT", "/2/instances/{instance}/deactivate-disks", body="ignored")
    def deactivate_disks(
        self, instance: str, *, force: bool = False, **common: Unpack[JobCommon]
    ) -> Params[None]:
        """Deactivate the disks of a stopped instance."""
        return Params(query=flags(force=force), common=common)

    @job_operation("POST", "/2/instances/{instance}/recreate-disks", dry_run="body")
    def recreate_disks(
        self,
        instance: str,
        *,
        disks: Sequence[Any] | None = None,
        nodes: Sequence[str] | None = None,
        iallocator: str | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Recreate missing disks, optionally on new nodes."""
        if nodes and iallocator:
            raise ValidationError("give nodes or iallocator, not both", field="iallocator")
        return Params(
            body=body_of(
                disks=list(disks) if disks is not None else None,
                nodes=validate.names(nodes, "nodes") if nodes else None,
                iallocator=iallocator,
            ),
            common=common,
        )

    @job_operation("POST", "/2/instances/{instance}/disk/{disk}/grow", dry_run="body")
    def grow_disk(
        self,
        instance: str,
        disk: int,
        amount: int | str,
        *,
        absolute: bool | None = None,
        wait_for_sync: bool | None = None,
        ignore_ipolicy: bool | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Grow disk ``disk`` by ``amount`` (``"1G"``), or to ``amount`` with ``absolute``."""
        if not isinstance(disk, int) or isinstance(disk, bool) or disk < 0:
            raise ValidationError("disk: expected a disk index (0, 1, ...)", field="disk")
        mib = validate.size_mib(amount, "amount")
        if mib == 0 and not absolute:
            raise ValidationError("amount: growing by 0 changes nothing", field="amount")
        return Params(
            body=body_of(
                amount=mib,
                absolute=absolute,
                wait_for_sync=wait_for_sync,
                ignore_ipolicy=ignore_ipolicy,
            ),
            common=common,
        )


def _disk_indexes(disks: Sequence[Any]) -> builtins.list[int]:
    out: builtins.list[int] = []
    for value in disks:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationError(
                f"disks: {value!r} is not a disk index (0, 1, ...)", field="disks"
            )
        if value in out:
            raise ValidationError(f"disks: index {value} given twice", field="disks")
        out.append(value)
    if not out:
        raise ValidationError(
            "disks: an empty list replaces nothing (leave it out for every disk)", field="disks"
        )
    return out
