"""Changing an instance: ``modify`` and ``rename``, and the conversion checks.

:class:`InstanceChanges` is one part of :class:`~ganetiops.rapi.ops.instances.Instances`;
:func:`check_conversion` refuses, from the instance's state, a disk template conversion
Ganeti would refuse.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Unpack

from ganetiops.errors import ValidationError
from ganetiops.rapi import shapes, validate
from ganetiops.rapi.call import ClusterFacts, JobCommon, Params
from ganetiops.rapi.models.instance import Instance
from ganetiops.rapi.namespace import M, Namespace, job_operation
from ganetiops.rapi.ops.common import body_of, extra_keys, require_changes
from ganetiops.rapi.ops.instance_spec import beparams_mib

MODIFY_EXTRA_KEYS = (
    "ext_params",
    "file_driver",
    "file_storage_dir",
    "osparams_private",
    "conflicts_check",
    "instance_communication",
    "pnode",
)

ModAction = Literal["add", "attach", "remove", "detach", "modify"]


def _modifications(
    changes: Sequence[Any] | None, what: Literal["nics", "disks"]
) -> list[list[Any]] | None:
    """``[action, index|name|uuid, params]`` lists; old 2-element forms are upgraded."""
    if changes is None:
        return None
    out: list[list[Any]] = []
    for i, change in enumerate(changes):
        field = f"{what}[{i}]"
        if not isinstance(change, list | tuple) or len(change) not in (2, 3):
            raise ValidationError(f"{field}: expected (action, identifier, params)", field=field)
        if len(change) == 2:
            op, params = change
            action, ident = (op, -1) if isinstance(op, str) else ("modify", op)
        else:
            action, ident, params = change
        action = validate.choice(action, ("add", "attach", "remove", "detach", "modify"), field)
        if not isinstance(ident, int | str) or isinstance(ident, bool):
            raise ValidationError(
                f"{field}: identifier must be an index, name or UUID", field=field
            )
        params = dict(params or {})
        if action in ("remove", "detach") and params:
            raise ValidationError(f"{field}: {action} takes no parameters", field=field)
        if what == "nics" and action in ("add", "modify"):
            params = validate.nic(params, i)
        if what == "disks" and action == "add":
            params = validate.disk(params, i)
        if what == "disks" and action == "modify" and "size" in params:
            raise ValidationError(f"{field}: use grow_disk to change a disk's size", field=field)
        out.append([action, ident, params])
    return out


def _check_conversion_args(
    disk_template: str | None, disks: bool, remote_node: str | None, iallocator: str | None
) -> None:
    """A template conversion alone, with a secondary only when it is to drbd."""
    if disk_template is not None:
        validate.choice(disk_template, validate.DISK_TEMPLATES, "disk_template")
        if disks:
            raise ValidationError(
                "disk_template conversion cannot be combined with disk changes", field="disks"
            )
        if disk_template in validate.MIRRORED_INTERNALLY and not (remote_node or iallocator):
            raise ValidationError(
                f"converting to {disk_template} needs remote_node or iallocator",
                field="remote_node",
            )
        if remote_node and iallocator:
            raise ValidationError("give remote_node or iallocator, not both", field="iallocator")
    if (remote_node or iallocator) and disk_template not in validate.MIRRORED_INTERNALLY:
        # Ganeti only warns that it ignores the node; say it before sending.
        raise ValidationError(
            "remote_node and iallocator choose the secondary of a conversion to drbd"
            + (f", not to {disk_template}" if disk_template else " (give disk_template)"),
            field="remote_node",
        )
    if remote_node is not None:
        validate.hostname(remote_node, "remote_node")


class InstanceChanges(Namespace[M]):
    """Change an instance: its parameters, NICs, disks, template or name."""

    @job_operation("PUT", "/2/instances/{instance}/rename", dry_run="body")
    def rename(
        self,
        instance: str,
        new_name: str,
        *,
        name_check: bool | None = None,
        ip_check: bool | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[str]:
        """Rename a stopped instance; the job's result is the new name.

        ``name_check``/``ip_check`` are sent only when given (Ganeti's defaults apply:
        ``true`` on 3.0, ``false`` on 3.1 and later).
        """
        validate.hostname(new_name, "new_name")
        if ip_check and name_check is False:
            raise ValidationError("ip_check needs name_check", field="ip_check")
        return Params(
            body=body_of(new_name=new_name, name_check=name_check, ip_check=ip_check),
            common=common,
            parse=shapes.text,
        )

    @job_operation("PUT", "/2/instances/{instance}/modify", dry_run="body")
    def modify(
        self,
        instance: str,
        *,
        beparams: Mapping[str, Any] | None = None,
        hvparams: Mapping[str, Any] | None = None,
        osparams: Mapping[str, Any] | None = None,
        nics: Sequence[Any] | None = None,
        disks: Sequence[Any] | None = None,
        disk_template: str | None = None,
        remote_node: str | None = None,
        iallocator: str | None = None,
        os_name: str | None = None,
        force_variant: bool | None = None,
        runtime_mem: int | str | None = None,
        offline: bool | None = None,
        hotplug: bool | None = None,
        hotplug_if_possible: bool | None = None,
        wait_for_sync: bool | None = None,
        force: bool | None = None,
        ignore_ipolicy: bool | None = None,
        extra: Mapping[str, Any] | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[builtins.list[Any]]:
        """Change an instance (``gnt-instance modify``); result: ``[[param, value], ...]``.

        ``nics``/``disks`` are ``(action, index|name|uuid, params)`` changes,
        e.g. ``[("add", -1, {"link": "br0"})]``. Use ``"default"`` as a value to
        reset a parameter. ``hotplug_if_possible`` exists on 3.0 only.
        """
        _check_conversion_args(disk_template, bool(disks), remote_node, iallocator)
        body = body_of(
            beparams=beparams_mib(beparams),
            hvparams=dict(hvparams) if hvparams else None,
            osparams={k: str(v) for k, v in osparams.items()} if osparams else None,
            nics=_modifications(nics, "nics"),
            disks=_modifications(disks, "disks"),
            disk_template=disk_template,
            remote_node=remote_node,
            iallocator=iallocator,
            os_name=os_name,
            force_variant=force_variant,
            runtime_mem=validate.size_mib(runtime_mem, "runtime_mem")
            if runtime_mem is not None
            else None,
            offline=offline,
            hotplug=hotplug,
            hotplug_if_possible=hotplug_if_possible,
            wait_for_sync=wait_for_sync,
            force=force,
            ignore_ipolicy=ignore_ipolicy,
        )
        body.update(extra_keys(extra, MODIFY_EXTRA_KEYS, "instance modify"))
        require_changes(
            {k: v for k, v in body.items() if k not in ("force", "wait_for_sync", "hotplug")},
            "instance modify",
        )
        return Params(
            body=body,
            common=common,
            parse=shapes.rows,
            precondition=_modify_precondition(
                hotplug_if_possible=hotplug_if_possible is not None,
                conversion_iallocator=bool(disk_template and iallocator),
            ),
        )


def check_conversion(
    instance: Instance, disk_template: str, remote_node: str | None = None
) -> None:
    """Refuse a disk template conversion Ganeti would refuse, from the instance's state.

    Ganeti (``LUInstanceSetParams``) converts only an instance that is down (admin state
    and on its node), to another template, with a secondary that is not the primary.
    ``modify`` checks the arguments alone; this needs the instance (``instances.get``).
    """
    name = instance.name
    if instance.disk_template == disk_template and disk_template != "ext":
        # ext to ext is Ganeti's one same-template conversion (another provider).
        raise ValidationError(
            f"{name} already has disk template {disk_template}", field="disk_template"
        )
    if instance.admin_state == "up" or instance.oper_state:
        state = "running" if instance.oper_state else "marked up"
        raise ValidationError(
            f"{name} is {state}: a disk template conversion needs it stopped "
            f"(gnt-py instance stop {name}), then start it again",
            field="disk_template",
        )
    if remote_node is not None and remote_node == instance.pnode:
        raise ValidationError(
            f"the new secondary {remote_node} is {name}'s primary node; choose another node",
            field="remote_node",
        )


def _modify_precondition(*, hotplug_if_possible: bool, conversion_iallocator: bool) -> Any:
    checks = [
        check
        for check, wanted in (
            (_no_hotplug_if_possible, hotplug_if_possible),
            (_conversion_iallocator, conversion_iallocator),
        )
        if wanted
    ]
    if not checks:
        return None

    def check(facts: ClusterFacts) -> None:
        for one in checks:
            one(facts)

    return check


def _conversion_iallocator(facts: ClusterFacts) -> None:
    """Ganeti 3.0's ``OpInstanceSetParams`` has no ``iallocator`` (its LU asks for
    ``remote_node`` in a conversion to drbd); Ganeti 3.1 added it."""
    if facts.version < (3, 1):
        version = ".".join(str(part) for part in facts.version)
        raise ValidationError(
            f"Ganeti {version} converts to drbd only with a named secondary (remote_node, "
            "-n NODE on the command line): an iallocator choosing it came with Ganeti 3.1",
            field="iallocator",
        )


def _no_hotplug_if_possible(facts: ClusterFacts) -> None:
    if facts.version >= (3, 1):
        raise ValidationError(
            "hotplug_if_possible was removed in Ganeti 3.1; use hotplug",
            field="hotplug_if_possible",
        )
