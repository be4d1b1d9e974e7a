"""Starting and stopping an instance: startup, shutdown, reboot, reinstall.

:class:`InstancePower` is one part of :class:`~ganetiops.rapi.ops.instances.Instances`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Unpack

from ganetiops.rapi import validate
from ganetiops.rapi.call import JobCommon, Params
from ganetiops.rapi.namespace import M, Namespace, job_operation
from ganetiops.rapi.ops.common import (
    body_of,
    flags,
)


class InstancePower(Namespace[M]):
    """Start, stop, reboot and reinstall an instance."""

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
