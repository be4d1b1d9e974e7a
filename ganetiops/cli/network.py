"""``gnt-py network``: Ganeti networks (IP pools) and their connections to node groups."""

from __future__ import annotations

from typing import Any

import click

from ganetiops.cli.common import (
    add_info_command,
    add_list_command,
    add_tag_commands,
    complete_groups,
    complete_networks,
    confirm,
    yes_option,
)
from ganetiops.cli.jobs_ui import JobOptions, follow_job, job_options
from ganetiops.cli.state import State, pass_state

#: ``gnt-network list`` defaults.
DEFAULT_FIELDS = ("name", "network", "gateway", "mac_prefix", "group_list", "tags")
MODES = ("bridged", "routed", "openvswitch", "ovn")


def _split(text: str | None) -> list[str] | None:
    return [v for v in (text or "").split(",") if v] or None


@click.group()
def network() -> None:
    """Networks: IP pools, reservations, connections to node groups."""


def describe_network(n: Any) -> dict[str, Any]:
    return {
        "UUID": n.uuid,
        "Subnet": n.network,
        "Gateway": n.gateway or "-",
        "IPv6 subnet": n.network6 or "-",
        "IPv6 gateway": n.gateway6 or "-",
        "MAC prefix": n.mac_prefix or "-",
        "Free / reserved": f"{n.free_count} / {n.reserved_count}",
        "Connected to": [
            {"group": c.group, "mode": c.mode, "link": c.link, "vlan": c.vlan}
            for c in n.connections
        ]
        or "-",
        "Instances": ", ".join(n.inst_list) or "-",
        "Tags": ", ".join(n.tags) or "-",
    }


add_list_command(
    network,
    "network",
    DEFAULT_FIELDS,
    complete_networks,
    "List networks (gnt-network list fields).",
)
add_info_command(
    network,
    "networks",
    complete_networks,
    "Show networks in detail.",
    describe=describe_network,
    label="Network",
)


@network.command("add")
@click.argument("name")
@click.option("--network", "subnet", required=True, metavar="CIDR", help="IPv4 range, 10.0.0.0/24.")
@click.option("-g", "--gateway", metavar="IP")
@click.option("--network6", metavar="CIDR")
@click.option("--gateway6", metavar="IP")
@click.option("--mac-prefix", metavar="aa:00:00")
@click.option("--add-reserved-ips", metavar="IP,...")
@click.option("--tags", metavar="T1,T2")
@job_options
@pass_state
def add(
    state: State,
    name: str,
    subnet: str,
    gateway: str | None,
    network6: str | None,
    gateway6: str | None,
    mac_prefix: str | None,
    add_reserved_ips: str | None,
    tags: str | None,
    jobs: JobOptions,
) -> None:
    """Create a network."""
    job = state.submit(
        state.client().networks.create.call(
            name,
            subnet,
            gateway=gateway,
            network6=network6,
            gateway6=gateway6,
            mac_prefix=mac_prefix,
            add_reserved_ips=_split(add_reserved_ips),
            tags=_split(tags) or (),
            **jobs.common(),
        )
    )
    follow_job(job, jobs, what=f"add network {name}")


@network.command("remove")
@click.argument("name", shell_complete=complete_networks)
@yes_option
@job_options
@pass_state
def remove(state: State, name: str, yes: bool, jobs: JobOptions) -> None:
    """Remove a network no group is connected to."""
    call = state.client().networks.remove.call(name, **jobs.common())
    confirm(f"Remove network {name}?", yes)
    follow_job(state.submit(call), jobs, what=f"remove network {name}")


@network.command("connect")
@click.argument("name", shell_complete=complete_networks)
@click.argument("group", shell_complete=complete_groups)
@click.option("--mode", type=click.Choice(MODES), required=True, help="NIC mode.")
@click.option("--link", required=True, help="Bridge, routing table or switch.")
@click.option("--vlan", default="", help="VLAN (openvswitch).")
@job_options
@pass_state
def connect(
    state: State, name: str, group: str, mode: str, link: str, vlan: str, jobs: JobOptions
) -> None:
    """Connect a network to a node group with a NIC mode and link."""
    job = state.submit(
        state.client().networks.connect.call(
            name, group, mode=mode, link=link, vlan=vlan, **jobs.common()
        )
    )
    follow_job(job, jobs, what=f"connect {name} to {group}")


@network.command("disconnect")
@click.argument("name", shell_complete=complete_networks)
@click.argument("group", shell_complete=complete_groups)
@yes_option
@job_options
@pass_state
def disconnect(state: State, name: str, group: str, yes: bool, jobs: JobOptions) -> None:
    """Disconnect a network from a node group."""
    call = state.client().networks.disconnect.call(name, group, **jobs.common())
    confirm(f"Disconnect network {name} from group {group}?", yes)
    follow_job(state.submit(call), jobs, what=f"disconnect {name} from {group}")


@network.command("modify")
@click.argument("name", shell_complete=complete_networks)
@click.option("-g", "--gateway", metavar="IP")
@click.option("--network6", metavar="CIDR")
@click.option("--gateway6", metavar="IP")
@click.option("--mac-prefix")
@click.option("--add-reserved-ips", metavar="IP,...")
@click.option("--remove-reserved-ips", metavar="IP,...")
@job_options
@pass_state
def modify(
    state: State,
    name: str,
    gateway: str | None,
    network6: str | None,
    gateway6: str | None,
    mac_prefix: str | None,
    add_reserved_ips: str | None,
    remove_reserved_ips: str | None,
    jobs: JobOptions,
) -> None:
    """Change gateways, MAC prefix or reservations of a network."""
    job = state.submit(
        state.client().networks.modify.call(
            name,
            gateway=gateway,
            network6=network6,
            gateway6=gateway6,
            mac_prefix=mac_prefix,
            add_reserved_ips=_split(add_reserved_ips),
            remove_reserved_ips=_split(remove_reserved_ips),
            **jobs.common(),
        )
    )
    follow_job(job, jobs, what=f"modify network {name}")


add_tag_commands(network, "networks", "a network", complete_networks)
