"""Cluster-wide models: ``GET /2/info`` and the instance policy."""

from __future__ import annotations

from typing import Any

import attrs

from ganetiops.rapi.call import parse_version
from ganetiops.rapi.models.base import (
    Model,
    api,
    to_bool,
    to_dict,
    to_int,
    to_str_tuple,
    to_tuple,
)


def _ts(value: Any) -> float:
    return float(value)


@attrs.frozen(slots=False)
class ClusterInfo(Model):
    """``GET /2/info``: the cluster's identity, versions and defaults."""

    name: str | None = api("name")
    uuid: str | None = api("uuid")
    master: str | None = api("master")
    software_version: str | None = api("software_version")
    protocol_version: int | None = api("protocol_version", to_int)
    config_version: int | None = api("config_version", to_int)
    os_api_version: int | None = api("os_api_version", to_int)
    export_version: int | None = api("export_version", to_int)
    architecture: tuple[Any, ...] = api("architecture", to_tuple, factory=tuple)
    default_hypervisor: str | None = api("default_hypervisor")
    enabled_hypervisors: tuple[str, ...] = api("enabled_hypervisors", to_str_tuple, factory=tuple)
    enabled_disk_templates: tuple[str, ...] = api(
        "enabled_disk_templates", to_str_tuple, factory=tuple
    )
    hvparams: dict[str, Any] = api("hvparams", to_dict, factory=dict)
    beparams: dict[str, Any] = api("beparams", to_dict, factory=dict)
    nicparams: dict[str, Any] = api("nicparams", to_dict, factory=dict)
    ndparams: dict[str, Any] = api("ndparams", to_dict, factory=dict)
    diskparams: dict[str, Any] = api("diskparams", to_dict, factory=dict)
    osparams: dict[str, Any] = api("osparams", to_dict, factory=dict)
    ipolicy: dict[str, Any] = api("ipolicy", to_dict, factory=dict)
    candidate_pool_size: int | None = api("candidate_pool_size", to_int)
    max_running_jobs: int | None = api("max_running_jobs", to_int)
    max_tracked_jobs: int | None = api("max_tracked_jobs", to_int)
    mac_prefix: str | None = api("mac_prefix")
    master_netdev: str | None = api("master_netdev")
    master_netmask: int | None = api("master_netmask", to_int)
    volume_group_name: str | None = api("volume_group_name")
    drbd_usermode_helper: str | None = api("drbd_usermode_helper")
    file_storage_dir: str | None = api("file_storage_dir")
    shared_file_storage_dir: str | None = api("shared_file_storage_dir")
    default_iallocator: str | None = api("default_iallocator")
    primary_ip_version: int | None = api("primary_ip_version", to_int)
    prealloc_wipe_disks: bool | None = api("prealloc_wipe_disks", to_bool)
    maintain_node_health: bool | None = api("maintain_node_health", to_bool)
    enabled_user_shutdown: bool | None = api("enabled_user_shutdown", to_bool)
    modify_ssh_setup: bool | None = api("modify_ssh_setup", to_bool)
    tags: tuple[str, ...] = api("tags", to_str_tuple, factory=tuple)
    ctime: float | None = api("ctime", _ts)
    mtime: float | None = api("mtime", _ts)

    @property
    def version(self) -> tuple[int, ...]:
        """The software version as a tuple, e.g. ``(3, 0, 2)``."""
        return parse_version(self.software_version or "0")

    @property
    def nic_defaults(self) -> dict[str, Any]:
        """Cluster NIC defaults (``nicparams["default"]``): ``mode`` and ``link``."""
        default = self.nicparams.get("default", self.nicparams)
        return dict(default) if isinstance(default, dict) else {}

    @property
    def policy(self) -> InstancePolicy:
        return InstancePolicy.from_api(self.ipolicy)


@attrs.frozen(slots=False)
class InstancePolicy(Model):
    """An ipolicy: min/max bounds, standard values, allowed disk templates, ratios."""

    minmax: tuple[Any, ...] = api("minmax", to_tuple, factory=tuple)
    std: dict[str, Any] = api("std", to_dict, factory=dict)
    disk_templates: tuple[str, ...] = api("disk-templates", to_str_tuple, factory=tuple)
    vcpu_ratio: float | None = api("vcpu-ratio", float)
    spindle_ratio: float | None = api("spindle-ratio", float)

    def bounds(self, spec: str) -> tuple[int | None, int | None]:
        """The widest (min, max) across the policy's min/max pairs for one spec key.

        ``spec`` is one of ``memory-size``, ``cpu-count``, ``disk-count``,
        ``disk-size``, ``nic-count``, ``spindle-use``.
        """
        lows = [m["min"][spec] for m in self.minmax if spec in m.get("min", {})]
        highs = [m["max"][spec] for m in self.minmax if spec in m.get("max", {})]
        return (min(lows) if lows else None, max(highs) if highs else None)
