"""The cluster as a whole: identity, versions, parameters, tags; and OS definitions."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, Unpack

from ganetiops.errors import ValidationError
from ganetiops.rapi import shapes, validate
from ganetiops.rapi.call import JobCommon, Params
from ganetiops.rapi.models.cluster import ClusterInfo
from ganetiops.rapi.models.misc import OperatingSystem, parse_os_list
from ganetiops.rapi.namespace import M, Namespace, job_operation, operation
from ganetiops.rapi.ops.common import body_of, extra_keys, require_changes, str_list

#: Every parameter ``PUT /2/modify`` (OpClusterSetParams, 3.0.2) accepts.
CLUSTER_MODIFY_KEYS = (
    "force",
    "hv_state",
    "disk_state",
    "vg_name",
    "enabled_hypervisors",
    "hvparams",
    "beparams",
    "os_hvp",
    "osparams",
    "osparams_private_cluster",
    "diskparams",
    "candidate_pool_size",
    "max_running_jobs",
    "max_tracked_jobs",
    "uid_pool",
    "add_uids",
    "remove_uids",
    "maintain_node_health",
    "prealloc_wipe_disks",
    "nicparams",
    "ndparams",
    "ipolicy",
    "drbd_helper",
    "default_iallocator",
    "default_iallocator_params",
    "mac_prefix",
    "master_netdev",
    "master_netmask",
    "reserved_lvs",
    "hidden_os",
    "blacklisted_os",
    "use_external_mip_script",
    "enabled_disk_templates",
    "modify_etc_hosts",
    "file_storage_dir",
    "shared_file_storage_dir",
    "gluster_storage_dir",
    "install_image",
    "instance_communication_network",
    "zeroing_image",
    "enabled_user_shutdown",
    "enabled_data_collectors",
    "data_collector_interval",
)


class Cluster(Namespace[M]):
    """``client.cluster``: what the cluster is and how it is configured."""

    @operation("GET", "/")
    def root(self) -> Params[Any]:
        """``GET /``: answers ``null``; useful only as a reachability probe."""
        return Params()

    @operation("GET", "/2")
    def root_v2(self) -> Params[Any]:
        """``GET /2``: answers ``null``."""
        return Params()

    @operation("GET", "/version")
    def version(self) -> Params[int]:
        """The RAPI version (``2``)."""
        return Params(parse=shapes.integer)

    @operation("GET", "/2/info")
    def info(self) -> Params[ClusterInfo]:
        """Cluster identity, software version, enabled hypervisors and templates, defaults."""
        return Params(parse=shapes.model(ClusterInfo.from_api))

    @operation("GET", "/2/features")
    def features(self) -> Params[builtins.list[str]]:
        """Feature strings (``instance-create-reqv1``...)."""
        return Params(parse=str_list)

    @job_operation("PUT", "/2/modify", dry_run="body")
    def modify(
        self,
        *,
        hvparams: Mapping[str, Mapping[str, Any]] | None = None,
        beparams: Mapping[str, Any] | None = None,
        nicparams: Mapping[str, Any] | None = None,
        ndparams: Mapping[str, Any] | None = None,
        diskparams: Mapping[str, Mapping[str, Any]] | None = None,
        ipolicy: Mapping[str, Any] | None = None,
        enabled_hypervisors: Sequence[str] | None = None,
        enabled_disk_templates: Sequence[str] | None = None,
        candidate_pool_size: int | None = None,
        default_iallocator: str | None = None,
        extra: Mapping[str, Any] | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[Any]:
        """Change cluster parameters (``gnt-cluster modify``).

        ``extra`` takes any other OpClusterSetParams key (``vg_name``,
        ``drbd_helper``, ``master_netdev``...). ``compression_tools`` cannot be
        changed through RAPI (the server answers 403).
        """
        body = body_of(
            hvparams=hvparams,
            beparams=beparams,
            nicparams=nicparams,
            ndparams=ndparams,
            diskparams=diskparams,
            ipolicy=ipolicy,
            enabled_hypervisors=(
                [
                    validate.choice(h, validate.HYPERVISORS, "enabled_hypervisors")
                    for h in enabled_hypervisors
                ]
                if enabled_hypervisors is not None
                else None
            ),
            enabled_disk_templates=(
                [
                    validate.choice(t, validate.DISK_TEMPLATES, "enabled_disk_templates")
                    for t in enabled_disk_templates
                ]
                if enabled_disk_templates is not None
                else None
            ),
            candidate_pool_size=candidate_pool_size,
            default_iallocator=default_iallocator,
        )
        if extra and "compression_tools" in extra:
            raise ValidationError(
                "compression_tools cannot be changed through RAPI; use gnt-cluster modify",
                field="compression_tools",
            )
        body.update(extra_keys(extra, CLUSTER_MODIFY_KEYS, "cluster modify"))
        require_changes(body, "cluster modify")
        return Params(body=body, common=common)

    @job_operation("PUT", "/2/redistribute-config", dry_run="body")
    def redistribute_config(self, **common: Unpack[JobCommon]) -> Params[None]:
        """Copy the configuration and ancillary files to every node."""
        return Params(body={}, common=common)

    @operation("GET", "/2/tags")
    def tags(self) -> Params[builtins.list[str]]:
        """The cluster's tags."""
        return Params(parse=str_list)

    @job_operation("PUT", "/2/tags", dry_run="query", body="ignored")
    def add_tags(self, tags: Sequence[str], **common: Unpack[JobCommon]) -> Params[None]:
        """Add cluster tags."""
        return Params(query={"tag": validate.tags(tags)}, common=common)

    @job_operation("DELETE", "/2/tags", dry_run="query", body="ignored")
    def remove_tags(self, tags: Sequence[str], **common: Unpack[JobCommon]) -> Params[None]:
        """Remove cluster tags."""
        return Params(query={"tag": validate.tags(tags)}, common=common)


class OperatingSystems(Namespace[M]):
    """``client.os``: the OS definitions the nodes offer."""

    @operation("GET", "/2/os")
    def list(self) -> Params[builtins.list[OperatingSystem]]:
        """OS definitions valid on all nodes, with their variants.

        The server runs a job internally to find them (a few seconds on a big cluster).
        """
        return Params(parse=parse_os_list)
