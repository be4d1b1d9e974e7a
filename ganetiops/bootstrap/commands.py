"""What ``gnt-cluster`` is told, computed from the inventory (pure, no I/O).

The plan (:mod:`ganetiops.bootstrap.plan`) decides which steps are needed; the text of
the commands and files they carry is here: ``gnt-cluster init`` with the inventory's
parameters, the ``gnt-cluster modify`` arguments for what differs from a running
cluster, and Ganeti's known_hosts.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from ganetiops.bootstrap.inventory import Inventory, parse_bounds_specs
from ganetiops.bootstrap.state import ClusterConfig, format_value, params_text, same_value


def init_command(inv: Inventory) -> str:
    """``gnt-cluster init`` with the inventory's parameters (and ``-s`` when multi-homed)."""
    c = inv.cluster
    args = ["gnt-cluster", "init", "--enabled-hypervisors", ",".join(c.enabled_hypervisors)]
    for hv, params in c.hypervisor_params.items():
        args += ["-H", f"{hv}:{params_text(params)}"]
    args += ["--enabled-disk-templates", ",".join(c.enabled_disk_templates)]
    if c.ipolicy_disk_templates:
        args += ["--ipolicy-disk-templates", ",".join(c.ipolicy_disk_templates)]
    if c.ipolicy_bounds_specs:
        args += ["--ipolicy-bounds-specs", c.ipolicy_bounds_specs]
    for template, params in c.disk_params.items():
        args += ["-D", f"{template}:{params_text(params)}"]
    if c.volume_group:
        args += ["--vg-name", c.volume_group]
    if c.nic_params:
        args += ["-N", params_text(c.nic_params)]
    args += ["--master-netdev", c.master_netdev]
    if c.master_netmask is not None:
        args += ["--master-netmask", str(c.master_netmask)]
    if c.drbd_usermode_helper:
        args += ["--drbd-usermode-helper", c.drbd_usermode_helper]
    if c.file_storage_dir:
        args += ["--file-storage-dir", c.file_storage_dir]
    if c.shared_file_storage_dir:
        args += ["--shared-file-storage-dir", c.shared_file_storage_dir]
    if c.mac_prefix:
        args += ["--mac-prefix", c.mac_prefix]
    if c.candidate_pool_size is not None:
        args += ["--candidate-pool-size", str(c.candidate_pool_size)]
    args += ["--no-etc-hosts", "--no-ssh-init"]
    master = inv.master
    if master.secondary:
        args += ["-s", master.secondary]
    args.append(c.name)
    return shlex.join(args)


def known_hosts_content(cluster: str, node_keys: Mapping[str, Sequence[str]]) -> str:
    """Ganeti's known_hosts: every node's key under the cluster name (its HostKeyAlias)."""
    lines: list[str] = []
    for keys in node_keys.values():
        for key in keys:
            line = f"{cluster} {' '.join(key.split()[:2])}"
            if line not in lines:
                lines.append(line)
    return "\n".join(lines) + "\n"


def parameter_changes(inv: Inventory, config: ClusterConfig) -> list[tuple[str, list[str]]]:
    """(what differs, ``gnt-cluster modify`` arguments) for each differing parameter group."""
    c = inv.cluster
    changes: list[tuple[str, list[str]]] = []
    if set(c.enabled_hypervisors) != set(config.enabled_hypervisors):
        changes.append(
            (
                "enabled hypervisors",
                ["--enabled-hypervisors", ",".join(c.enabled_hypervisors)],
            )
        )
    for hv, params in c.hypervisor_params.items():
        have = config.hvparams.get(hv, {})
        diff = {k: v for k, v in params.items() if not same_value(v, have.get(k))}
        if diff:
            changes.append(
                (f"{hv} parameters {', '.join(diff)}", ["-H", f"{hv}:{params_text(diff)}"])
            )
    if set(c.enabled_disk_templates) != set(config.enabled_disk_templates):
        templates = ",".join(c.enabled_disk_templates)
        changes.append(("enabled disk templates", ["--enabled-disk-templates", templates]))
    wanted_ipolicy = c.ipolicy_disk_templates or (
        c.enabled_disk_templates
        if set(c.enabled_disk_templates) != set(config.enabled_disk_templates)
        else ()
    )
    if wanted_ipolicy and set(wanted_ipolicy) != set(config.ipolicy_disk_templates):
        changes.append(
            (
                "instance policy disk templates",
                ["--ipolicy-disk-templates", ",".join(wanted_ipolicy)],
            )
        )
    if c.ipolicy_bounds_specs:
        bounds = parse_bounds_specs(c.ipolicy_bounds_specs)
        have = config.ipolicy_bounds
        if any(
            not same_value(_ganeti_rounded(key, value), have.get(bound, {}).get(key))
            for bound, specs in bounds.items()
            for key, value in specs.items()
        ):
            changes.append(
                ("instance policy bounds", ["--ipolicy-bounds-specs", c.ipolicy_bounds_specs])
            )
    for template, params in c.disk_params.items():
        have = config.diskparams.get(template, {})
        diff = {k: v for k, v in params.items() if not same_value(v, have.get(k))}
        if diff:
            changes.append(
                (
                    f"{template} parameters {', '.join(diff)}",
                    ["-D", f"{template}:{params_text(diff)}"],
                )
            )
    nic_diff = {k: v for k, v in c.nic_params.items() if not same_value(v, config.nicparams.get(k))}
    if nic_diff:
        changes.append((f"NIC parameters {', '.join(nic_diff)}", ["-N", params_text(nic_diff)]))
    scalars: list[tuple[str, Any, Any, str]] = [
        ("master netdev", c.master_netdev, config.master_netdev, "--master-netdev"),
        ("volume group", c.volume_group, config.volume_group, "--vg-name"),
        (
            "DRBD usermode helper",
            c.drbd_usermode_helper,
            config.drbd_usermode_helper,
            "--drbd-usermode-helper",
        ),
        (
            "candidate pool size",
            c.candidate_pool_size,
            config.candidate_pool_size,
            "--candidate-pool-size",
        ),
    ]
    for label, wanted, have, option in scalars:
        if wanted is not None and not same_value(wanted, have):
            changes.append((f"{label} {have} → {wanted}", [option, format_value(wanted)]))
    return changes


def _ganeti_rounded(key: str, value: int) -> int:
    """Sizes as Ganeti stores them: its unit parser rounds MiB up to a multiple of 4."""
    if key in ("memory-size", "disk-size") and value % 4:
        return value + 4 - value % 4
    return value
