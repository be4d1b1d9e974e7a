"""Moving an instance: migrate and failover to another node, export to a node or a cluster."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Unpack

from ganetiops.errors import ValidationError
from ganetiops.rapi import validate
from ganetiops.rapi.call import JobCommon, Params
from ganetiops.rapi.namespace import M, Namespace, job_operation
from ganetiops.rapi.ops.common import body_of, migration


class InstanceMoves(Namespace[M]):
    """Migrate, fail over and export (``gnt-backup``) an instance; one part of ``Instances``."""

    @job_operation("PUT", "/2/instances/{instance}/migrate", dry_run="body")
    def migrate(
        self,
        instance: str,
        *,
        mode: Literal["live", "non-live"] | None = None,
        target_node: str | None = None,
        iallocator: str | None = None,
        cleanup: bool | None = None,
        allow_failover: bool | None = None,
        allow_runtime_changes: bool | None = None,
        ignore_ipolicy: bool | None = None,
        ignore_hvversions: bool | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Move a running instance to its secondary (drbd) or ``target_node`` (shared storage).

        ``cleanup`` recovers from a failed migration (where the instance runs is found out,
        the configuration and the disks are set right): it moves nothing, so it takes no
        ``target_node``, ``iallocator`` or ``allow_failover``.
        """
        if cleanup:
            given = [
                k
                for k, v in (
                    ("target_node", target_node),
                    ("iallocator", iallocator),
                    ("allow_failover", allow_failover),
                )
                if v
            ]
            if given:
                raise ValidationError(
                    f"cleanup moves nothing: it takes no {' or '.join(given)}",
                    field=given[0],
                )
        return Params(
            body=migration(mode, target_node, iallocator)
            | body_of(
                cleanup=cleanup,
                allow_failover=allow_failover,
                allow_runtime_changes=allow_runtime_changes,
                ignore_ipolicy=ignore_ipolicy,
                ignore_hvversions=ignore_hvversions,
            ),
            common=common,
        )

    @job_operation("PUT", "/2/instances/{instance}/failover", dry_run="body")
    def failover(
        self,
        instance: str,
        *,
        target_node: str | None = None,
        iallocator: str | None = None,
        ignore_consistency: bool | None = None,
        shutdown_timeout: int | None = None,
        cleanup: bool | None = None,
        ignore_ipolicy: bool | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Stop the instance and start it on its secondary (or ``target_node``)."""
        return Params(
            body=migration(None, target_node, iallocator)
            | body_of(
                ignore_consistency=ignore_consistency,
                shutdown_timeout=shutdown_timeout,
                cleanup=cleanup,
                ignore_ipolicy=ignore_ipolicy,
            ),
            common=common,
        )

    @job_operation("PUT", "/2/instances/{instance}/prepare-export", body="ignored")
    def prepare_export(
        self,
        instance: str,
        *,
        mode: Literal["local", "remote"] = "local",
        **common: Unpack[JobCommon],
    ) -> Params[Any]:
        """Prepare an export (remote mode returns the handshake data)."""
        return Params(
            query={"mode": validate.choice(mode, validate.EXPORT_MODES, "mode")}, common=common
        )

    @job_operation("PUT", "/2/instances/{instance}/export", dry_run="body")
    def export(
        self,
        instance: str,
        *,
        destination: Any,
        mode: Literal["local", "remote"] = "local",
        shutdown: bool | None = None,
        remove_instance: bool | None = None,
        compress: str | None = None,
        shutdown_timeout: int | None = None,
        zero_free_space: bool | None = None,
        long_sleep: bool | None = None,
        x509_key_name: Sequence[Any] | None = None,
        destination_x509_ca: str | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[Any]:
        """Export the instance (``gnt-backup export``); ``destination`` is a node for local."""
        return Params(
            body=body_of(
                mode=validate.choice(mode, validate.EXPORT_MODES, "mode"),
                destination=destination,
                shutdown=shutdown,
                remove_instance=remove_instance,
                compress=compress,
                shutdown_timeout=shutdown_timeout,
                zero_free_space=zero_free_space,
                long_sleep=long_sleep,
                x509_key_name=list(x509_key_name) if x509_key_name else None,
                destination_x509_ca=destination_x509_ca,
            ),
            common=common,
        )

    @job_operation("DELETE", "/2/instances/{instance}/export", since=(3, 2), dry_run="body")
    def remove_export(self, instance: str, **common: Unpack[JobCommon]) -> Params[None]:
        """Remove the instance's exports (Ganeti 3.2 and later only)."""
        return Params(body={}, common=common)
