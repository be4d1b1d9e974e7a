"""Instances: the full lifecycle, ``/2/instances`` and below.

:class:`Instances` is ``client.instances``. Its operations are written in parts, by
what they do: here listing, creation, removal, starting and stopping, info and
console; disks in :mod:`~ganetiops.rapi.ops.instance_disks`; migrate, failover and export in
:mod:`~ganetiops.rapi.ops.instance_moves`; modify and rename in
:mod:`~ganetiops.rapi.ops.instance_modify`. What a creation takes, and its checks, is
:mod:`~ganetiops.rapi.ops.instance_spec`.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, Unpack

from ganetiops.errors import ValidationError
from ganetiops.rapi import shapes, validate
from ganetiops.rapi.call import JobCommon, Params
from ganetiops.rapi.models.instance import Instance
from ganetiops.rapi.models.misc import Console
from ganetiops.rapi.namespace import M, job_operation, operation
from ganetiops.rapi.ops.common import Tagged, body_of, bound_list, bound_one, flags, names_from
from ganetiops.rapi.ops.instance_disks import InstanceDisks
from ganetiops.rapi.ops.instance_modify import MODIFY_EXTRA_KEYS, InstanceChanges, check_conversion
from ganetiops.rapi.ops.instance_moves import InstanceMoves
from ganetiops.rapi.ops.instance_spec import (
    COMMON_KEYS,
    CREATE_EXTRA_KEYS,
    INSTANCE_KEYS,
    CreateOptions,
    InstanceOptions,
    checked_spec,
    create_precondition,
    instance_spec,
)


def _instance_details(instance: str, result: Any) -> dict[str, Any]:
    """The instance-info job's result: ``{name: details}`` (one entry, the instance's)."""
    found = shapes.obj(result)
    details = found.get(instance)
    if details is None and len(found) == 1:
        details = next(iter(found.values()))  # an alias name: the one entry is it
    return dict(shapes.obj(details))


class Instances(InstanceDisks[M], InstanceMoves[M], InstanceChanges[M], Tagged[M]):
    """``client.instances``: list, create, change and remove instances."""

    path_values: ClassVar[Mapping[str, str]] = {"kind": "instances"}

    @operation("GET", "/2/instances")
    def list(self, *, lock: bool = False) -> Params[builtins.list[Instance[M]]]:
        """Every instance with its configuration and live state (``?bulk=1``)."""
        return Params(
            query={"bulk": True, **flags(lock=lock)}, parse=bound_list(self, Instance[M].from_api)
        )

    @operation("GET", "/2/instances")
    def names(self) -> Params[builtins.list[str]]:
        """Just the instance names (cheap: no node is asked anything)."""
        return Params(parse=names_from("id"))

    @operation("GET", "/2/instances/{instance}")
    def get(self, instance: str, *, lock: bool = False) -> Params[Instance[M]]:
        """One instance; raises :class:`~ganetiops.errors.RapiNotFoundError` if unknown."""
        return Params(query=flags(lock=lock), parse=bound_one(self, Instance[M].from_api))

    @job_operation("POST", "/2/instances", dry_run="query")
    def create(self, name: str, **options: Unpack[CreateOptions]) -> Params[builtins.list[str]]:
        """Create an instance (``gnt-instance add``). The job's result: the nodes used.

        Options: :class:`InstanceOptions` (``disk_template``, ``disks``, ``nics``,
        ``os``, ``pnode``/``snode`` or ``iallocator``, ``beparams``...) and the common
        job options. Checked before sending: names, sizes, MACs, NIC modes, that
        the disk template is enabled, and that a ``drbd`` instance gets ``snode``
        or an iallocator.
        """
        body = checked_spec(name, options, allowed=INSTANCE_KEYS | COMMON_KEYS)
        common = {k: v for k, v in options.items() if k in COMMON_KEYS}
        return Params(
            body={"__version__": 1, **body},
            common=common,
            parse=shapes.job_strings,
            precondition=create_precondition(body),
        )

    @job_operation("POST", "/2/instances-multi-alloc", dry_run="query")
    def multi_alloc(
        self,
        instances: Sequence[Mapping[str, Any]],
        *,
        iallocator: str | None = None,
        opportunistic_locking: bool | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[Any]:
        """Allocate several instances at once with an iallocator.

        Each element is a dict as :func:`instance_spec` returns (without
        ``pnode``/``snode``). The job result has ``allocatable`` and ``failed``
        names; the creations run as child jobs, which :meth:`Job.wait` follows.
        """
        specs = []
        for i, spec in enumerate(instances):
            if not isinstance(spec, Mapping) or "name" not in spec:
                raise ValidationError(f"instances[{i}]: expected an instance_spec() dict")
            specs.append({k: v for k, v in spec.items() if k != "__version__"})
        if not specs:
            raise ValidationError("instances: nothing to allocate", field="instances")
        body = body_of(
            instances=specs, iallocator=iallocator, opportunistic_locking=opportunistic_locking
        )
        return Params(body=body, common=common)

    @job_operation("DELETE", "/2/instances/{instance}", dry_run="query")
    def remove(
        self, instance: str, *, shutdown_timeout: int | None = None, **common: Unpack[JobCommon]
    ) -> Params[None]:
        """Remove the instance and its disks (``gnt-instance remove``)."""
        return Params(body=body_of(shutdown_timeout=shutdown_timeout), common=common)

    @job_operation("GET", "/2/instances/{instance}/info", body="ignored")
    def info(
        self, instance: str, *, static: bool = False, **common: Unpack[JobCommon]
    ) -> Params[dict[str, Any]]:
        """Detailed runtime information (``gnt-instance info``), as a job.

        The job result maps the instance name to its details (disks with their
        DRBD/LV children and sync state, hypervisor state...). ``static`` skips
        asking the nodes.
        """
        return Params(
            query=flags(static=static),
            common=common,
            parse=lambda result: _instance_details(instance, result),
        )

    @job_operation("POST", "/2/instances/{instance}/reboot", dry_run="query")
    def reboot(
        self,
        instance: str,
        *,
        type: Literal["soft", "hard", "full"] = "hard",
        ignore_secondaries: bool = False,
        shutdown_timeout: int | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Reboot: ``soft`` (inside the guest), ``hard`` (restart the VM), ``full`` (stop+start)."""
        return Params(
            query={
                "type": validate.choice(type, validate.REBOOT_TYPES, "type"),
                **flags(ignore_secondaries=ignore_secondaries),
            },
            body=body_of(shutdown_timeout=shutdown_timeout),
            common=common,
        )

    @job_operation("PUT", "/2/instances/{instance}/shutdown", dry_run="query")
    def shutdown(
        self,
        instance: str,
        *,
        timeout: int | None = None,
        force: bool | None = None,
        ignore_offline_nodes: bool | None = None,
        no_remember: bool = False,
        admin_state_source: Literal["admin", "user"] | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Stop the instance; ``timeout`` is seconds before it is killed (default 120)."""
        return Params(
            query=flags(no_remember=no_remember),
            body=body_of(
                timeout=timeout,
                force=force,
                ignore_offline_nodes=ignore_offline_nodes,
                admin_state_source=admin_state_source,
            ),
            common=common,
        )

    @job_operation("PUT", "/2/instances/{instance}/startup", dry_run="query", body="ignored")
    def startup(
        self,
        instance: str,
        *,
        force: bool = False,
        no_remember: bool = False,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Start the instance. ``force`` starts it even if its disks are degraded."""
        return Params(query=flags(force=force, no_remember=no_remember), common=common)

    @job_operation("POST", "/2/instances/{instance}/reinstall", body="custom", reason=False)
    def reinstall(
        self,
        instance: str,
        *,
        os: str | None = None,
        start: bool = True,
        osparams: Mapping[str, Any] | None = None,
    ) -> Params[None]:
        """Reinstall the OS: one job of shutdown, reinstall and (with ``start``) startup.

        The server cannot take a reason trail or other job options here (body
        and query cannot be combined; rapi.md §6.2).
        """
        return Params(
            body=body_of(
                os=os,
                start=start,
                osparams={k: str(v) for k, v in osparams.items()} if osparams else None,
            )
        )

    @operation("GET", "/2/instances/{instance}/console")
    def console(self, instance: str) -> Params[Console]:
        """How to reach the console (needs a running instance and a read or write user)."""
        return Params(parse=shapes.model(Console.from_api))


__all__ = [
    "CREATE_EXTRA_KEYS",
    "MODIFY_EXTRA_KEYS",
    "CreateOptions",
    "InstanceOptions",
    "Instances",
    "check_conversion",
    "create_precondition",
    "instance_spec",
]
