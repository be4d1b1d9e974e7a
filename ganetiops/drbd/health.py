"""Reading DRBD health: every node at once over SSH, the disks' minors from RAPI.

>>> from ganetiops.drbd.health import health                      # doctest: +SKIP
>>> report = health(client, settings, user="root")
>>> report.instance("web1").state, report.nodes["bet"].summary
('syncing', 'DRBD 8.4.11, 3 devices')

``read_nodes`` runs :data:`~ganetiops.drbd.facts.COMMAND` on each node (one SSH
session per node, all nodes concurrently) through :class:`~ganetiops.ssh.Nodes`;
host keys are verified as everywhere in the SSH room. ``drbd_infos`` submits one
``instance info`` job (``static=1``: no node is asked) per DRBD instance, all of
them before waiting for any. Instances that are not ``drbd`` are never looked at:
on a cluster without DRBD, nothing is read from any node.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ganetiops.drbd.facts import COMMAND, parse_node_output
from ganetiops.drbd.model import NodeDrbd
from ganetiops.drbd.view import InstanceHealth, instance_health, worst
from ganetiops.errors import SshError
from ganetiops.ssh.connection import Host, SshSettings
from ganetiops.ssh.nodes import Nodes

__all__ = [
    "DRBD_TEMPLATES",
    "ClusterDrbd",
    "HealthReader",
    "cluster_hosts",
    "drbd_infos",
    "drbd_instances",
    "health",
    "read_nodes",
]

DRBD_TEMPLATES = frozenset({"drbd"})


@attrs.frozen
class ClusterDrbd:
    """Every DRBD instance judged, and what each node said."""

    nodes: Mapping[str, NodeDrbd]
    instances: tuple[InstanceHealth, ...] = ()
    #: Seconds spent reading the nodes (the SSH fan-out) and RAPI.
    ssh_seconds: float = 0.0
    rapi_seconds: float = 0.0

    def instance(self, name: str) -> InstanceHealth | None:
        for item in self.instances:
            if item.name == name:
                return item
        return None

    @property
    def state(self) -> str:
        """The worst instance state (``healthy`` with no DRBD instance)."""
        return worst(self.instances)

    @property
    def problems(self) -> tuple[InstanceHealth, ...]:
        return tuple(i for i in self.instances if not i.healthy and i.state != "inactive")

    def minors(self) -> list[dict[str, Any]]:
        """One row per (node, minor), with the instance and disk it belongs to."""
        owners: dict[tuple[str, int | None], tuple[str, int]] = {}
        for inst in self.instances:
            for disk in inst.disks:
                owners[(disk.primary, disk.primary_minor)] = (inst.name, disk.index)
                owners[(disk.secondary, disk.secondary_minor)] = (inst.name, disk.index)
        rows = []
        for host in sorted(self.nodes):
            node = self.nodes[host]
            for device in node.devices:
                owner = owners.get((host, device.minor))
                rows.append(
                    {
                        "node": host,
                        "minor": device.minor,
                        "resource": device.resource,
                        "instance": owner[0] if owner else None,
                        "disk": owner[1] if owner else None,
                        "role": device.role,
                        "peer_role": device.peer_role,
                        "cstate": device.connection,
                        "disk_state": device.disk,
                        "peer_disk_state": device.peer_disk,
                        "percent": device.progress,
                        "speed_kib": device.speed_kib,
                        "eta": device.eta_seconds,
                        "oos_kib": device.out_of_sync_kib,
                        "split_brain": device.split_brain,
                    }
                )
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "instances": [i.to_dict() for i in self.instances],
            "nodes": {name: node.to_dict() for name, node in sorted(self.nodes.items())},
        }

    # --- notebook -------------------------------------------------------------------
    def _repr_html_(self) -> str:
        from ganetiops.drbd.notebook import health_html

        return health_html(self)

    def to_dataframe(self) -> Any:
        from ganetiops.drbd.notebook import to_dataframe

        return to_dataframe(self)

    def plot(self, ax: Any = None) -> Any:
        """Which node replicates to which (matplotlib): an arrow primary → secondary
        per instance, coloured by its state."""
        from ganetiops.drbd.notebook import plot_replication

        return plot_replication(self, ax=ax)


def cluster_hosts(
    nodes: Iterable[Any], *, user: str = "root", port: int = 22
) -> tuple[list[Host], dict[str, str]]:
    """SSH hosts for the cluster's nodes (RAPI node models: ``name``, ``pip``,
    ``offline``), and the nodes skipped (offline in Ganeti) with why."""
    hosts: list[Host] = []
    skipped: dict[str, str] = {}
    for node in nodes:
        if getattr(node, "offline", False):
            skipped[node.name] = "the node is offline in Ganeti"
            continue
        short = node.name.split(".", 1)[0]
        aliases = (short,) if short != node.name else ()
        hosts.append(
            Host(name=node.name, address=node.pip or None, user=user, port=port, aliases=aliases)
        )
    return hosts, skipped


async def read_nodes(
    nodes: Nodes, hosts: Sequence[str] | None = None, *, timeout: float = 30.0
) -> dict[str, NodeDrbd]:
    """DRBD of every node at once (one session each); never raises for a node."""
    chosen = list(hosts) if hosts is not None else list(nodes.names)

    async def one(name: str) -> NodeDrbd:
        try:
            conn = await nodes.connection(name)
        except SshError as exc:
            return NodeDrbd(host=name, problems={"connect": str(exc)})
        result = await conn.run(COMMAND, timeout=timeout)
        if result.error:
            return NodeDrbd(host=name, problems={"connect": result.error})
        if result.exit_status != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
            return NodeDrbd(
                host=name,
                problems={"command": f"exit {result.exit_status}: {' '.join(tail)}"},
            )
        return parse_node_output(name, result.stdout)

    gathered = await asyncio.gather(*(one(n) for n in chosen))
    return dict(zip(chosen, gathered, strict=True))


def drbd_instances(client: Any, names: Sequence[str] | None = None) -> list[Any]:
    """The cluster's ``drbd`` instances (all, or those of ``names``)."""
    wanted = set(names or ())
    return [
        inst
        for inst in client.instances.list()
        if inst.disk_template in DRBD_TEMPLATES and (not wanted or inst.name in wanted)
    ]


def drbd_infos(client: Any, instances: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """Static instance info (DRBD minors and ports) of each instance: jobs submitted
    together, then awaited."""
    jobs = [(inst.name, client.instances.info(inst.name, static=True)) for inst in instances]
    out: dict[str, dict[str, Any]] = {}
    for name, job in jobs:
        value = job.wait(on_log=None).value
        out[name] = dict(value or {})
    return out


def judge(
    infos: Mapping[str, Mapping[str, Any]],
    nodes: Mapping[str, NodeDrbd],
    instances: Sequence[Any] = (),
) -> tuple[InstanceHealth, ...]:
    """Pure: instance infos + node states → one :class:`InstanceHealth` each."""
    models = {inst.name: inst for inst in instances}
    out = []
    for name in sorted(infos):
        model = models.get(name)
        out.append(
            instance_health(
                {**infos[name], "name": name},
                nodes,
                admin_state=getattr(model, "admin_state", None),
                running=getattr(model, "oper_state", None),
            )
        )
    return tuple(out)


def nodes_of(infos: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every node that holds a side of one of these instances' DRBD disks."""
    from ganetiops.drbd.view import drbd_disks_of

    found: list[str] = []
    for info in infos.values():
        for disk in drbd_disks_of(info):
            for key in ("primary_node", "secondary_node"):
                node = disk.get(key)
                if node and node not in found:
                    found.append(str(node))
    return found


class HealthReader:
    """Reads DRBD health again and again over the same SSH connections (``drbd watch``).

    Which instances and minors to look at is asked of RAPI once, at the first read;
    each :meth:`read` then costs one command per node, all nodes at once.
    """

    def __init__(
        self,
        client: Any,
        settings: SshSettings,
        *,
        user: str = "root",
        port: int = 22,
        instances: Sequence[str] | None = None,
        all_nodes: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.client = client
        self.settings = settings
        self.user, self.port = user, port
        self.wanted = list(instances) if instances else None
        self.all_nodes = all_nodes
        self.timeout = timeout
        self._models: list[Any] | None = None
        self._infos: dict[str, dict[str, Any]] = {}
        self._skipped: dict[str, str] = {}
        self._loop: Any = None
        self._nodes: Nodes | None = None
        self.rapi_seconds = 0.0

    def refresh(self) -> None:
        """Ask RAPI again which DRBD instances exist and where their minors are."""
        started = time.monotonic()
        self._models = drbd_instances(self.client, self.wanted)
        self._infos = drbd_infos(self.client, self._models) if self._models else {}
        wanted = nodes_of(self._infos)
        hosts: list[Host] = []
        self._skipped = {}
        if wanted or self.all_nodes:
            node_models = self.client.nodes.list()
            if not self.all_nodes:
                node_models = [n for n in node_models if n.name in wanted]
            hosts, self._skipped = cluster_hosts(node_models, user=self.user, port=self.port)
        self._close_nodes()
        self._nodes = Nodes(hosts, self.settings) if hosts else None
        self.rapi_seconds = time.monotonic() - started

    def read(self) -> ClusterDrbd:
        if self._models is None:
            self.refresh()
        states: dict[str, NodeDrbd] = {}
        started = time.monotonic()
        if self._nodes is not None:
            if self._loop is None:
                from ganetiops.ssh.sync import LoopThread

                self._loop = LoopThread("ganetiops-drbd")
            states.update(self._loop.call(read_nodes(self._nodes, timeout=self.timeout)))
        ssh_seconds = time.monotonic() - started
        for name, why in self._skipped.items():
            states[name] = NodeDrbd(host=name, problems={"connect": why})
        return ClusterDrbd(
            nodes=states,
            instances=judge(self._infos, states, self._models or ()),
            ssh_seconds=ssh_seconds,
            rapi_seconds=self.rapi_seconds,
        )

    def _close_nodes(self) -> None:
        if self._nodes is not None and self._loop is not None:
            self._loop.call(self._nodes.aclose(), timeout=15)
        self._nodes = None

    def close(self) -> None:
        try:
            self._close_nodes()
        finally:
            if self._loop is not None:
                self._loop.stop()
                self._loop = None

    def __enter__(self) -> HealthReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def health(
    client: Any,
    settings: SshSettings,
    *,
    user: str = "root",
    port: int = 22,
    instances: Sequence[str] | None = None,
    all_nodes: bool = False,
    timeout: float = 30.0,
) -> ClusterDrbd:
    """DRBD health of the cluster's DRBD instances (or of ``instances``).

    Reads only the nodes those instances use (every online node with
    ``all_nodes``); a cluster without DRBD instances costs one RAPI request and no
    SSH at all.
    """
    with HealthReader(
        client,
        settings,
        user=user,
        port=port,
        instances=instances,
        all_nodes=all_nodes,
        timeout=timeout,
    ) as reader:
        return reader.read()
