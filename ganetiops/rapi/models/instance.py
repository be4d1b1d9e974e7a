"""Instances, with their NICs and disks as objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ganetiops.rapi.models.base import (
    MiB,
    Mode,
    Moded,
    Model,
    api,
    html_repr,
    to_bool,
    to_dict,
    to_int,
    to_mib,
    to_str_tuple,
    to_tuple,
)

if TYPE_CHECKING:  # the verbs typed from their operations (ganetiops.rapi.verbs)
    from ganetiops.rapi.verbs import InstanceVerbs
else:
    from ganetiops.rapi.models.verbs import InstanceVerbs

#: Ganeti's instance status values (``status`` field) and what they mean.
STATUS_TEXT = {
    "running": "running",
    "ADMIN_down": "stopped (by the administrator)",
    "ADMIN_offline": "offline (by the administrator)",
    "USER_down": "stopped (from inside)",
    "ERROR_up": "running, but should be stopped",
    "ERROR_down": "stopped, but should be running",
    "ERROR_nodedown": "primary node down",
    "ERROR_nodeoffline": "primary node offline",
    "ERROR_wrongnode": "running on the wrong node",
}


@attrs.frozen
class Nic:
    """One network interface of an instance."""

    index: int
    mac: str | None = None
    ip: str | None = None
    mode: str | None = None
    link: str | None = None
    uuid: str | None = None
    name: str | None = None
    network: str | None = None
    network_name: str | None = None
    bridge: str | None = None

    @property
    def mac_hyphens(self) -> str | None:
        """The MAC as iPXE's ``${mac:hexhyp}`` writes it: ``aa-00-00-12-ab-cd``."""
        return self.mac.lower().replace(":", "-") if self.mac else None

    _repr_html_ = html_repr


@attrs.frozen
class Disk:
    """One disk of an instance; ``size`` in MiB."""

    index: int
    size: MiB | None = None
    spindles: int | None = None
    uuid: str | None = None
    name: str | None = None

    _repr_html_ = html_repr


def _column(raw: Mapping[str, Any], key: str, index: int) -> Any:
    values = raw.get(key)
    if isinstance(values, list) and index < len(values):
        return values[index]
    return None


#: NIC columns of an instance answer, and the Nic field each fills.
_NIC_COLUMNS = (
    ("nic.macs", "mac"),
    ("nic.ips", "ip"),
    ("nic.modes", "mode"),
    ("nic.links", "link"),
    ("nic.uuids", "uuid"),
    ("nic.names", "name"),
    ("nic.networks", "network"),
    ("nic.networks.names", "network_name"),
    ("nic.bridges", "bridge"),
)


def _nics(raw: Mapping[str, Any]) -> tuple[Nic, ...]:
    columns = [
        (field, values) for key, field in _NIC_COLUMNS if isinstance(values := raw.get(key), list)
    ]
    count = max((len(values) for _field, values in columns), default=0)
    return tuple(
        Nic(index=i, **{field: values[i] for field, values in columns if i < len(values)})
        for i in range(count)
    )


def _disks(raw: Mapping[str, Any]) -> tuple[Disk, ...]:
    sizes = raw.get("disk.sizes")
    count = len(sizes) if isinstance(sizes, list) else 0
    out = []
    for i in range(count):
        size = _column(raw, "disk.sizes", i)
        out.append(
            Disk(
                index=i,
                size=MiB(size) if isinstance(size, int) else None,
                spindles=_column(raw, "disk.spindles", i),
                uuid=_column(raw, "disk.uuids", i),
                name=_column(raw, "disk.names", i),
            )
        )
    return tuple(out)


@attrs.frozen(slots=False)
class Instance(Model, InstanceVerbs, Moded[Mode]):
    """An instance as ``GET /2/instances/<name>`` (or ``?bulk=1``) reports it.

    Read through a client, it also carries the verbs: ``instance.startup()``,
    ``instance.migrate(target_node=...)``..., typed as ``client.instances.<verb>`` after
    the name (:mod:`ganetiops.rapi.verbs`). They return what the client's namespace
    returns (a :class:`~ganetiops.rapi.jobs.Job`, or an awaitable for the async client).
    """

    name: str = api("name", str, default="")
    uuid: str | None = api("uuid")
    os: str | None = api("os")
    pnode: str | None = api("pnode")
    snodes: tuple[str, ...] = api("snodes", to_str_tuple, factory=tuple)
    disk_template: str | None = api("disk_template")
    admin_state: str | None = api("admin_state")
    oper_state: bool | None = api("oper_state", to_bool)
    status: str | None = api("status")
    oper_ram: MiB | None = api("oper_ram", to_mib)
    oper_vcpus: int | None = api("oper_vcpus", to_int)
    network_port: int | None = api("network_port", to_int)
    disk_usage: MiB | None = api("disk_usage", to_mib)
    beparams: dict[str, Any] = api("beparams", to_dict, factory=dict)
    hvparams: dict[str, Any] = api("hvparams", to_dict, factory=dict)
    custom_beparams: dict[str, Any] = api("custom_beparams", to_dict, factory=dict)
    custom_hvparams: dict[str, Any] = api("custom_hvparams", to_dict, factory=dict)
    custom_nicparams: tuple[Any, ...] = api("custom_nicparams", to_tuple, factory=tuple)
    tags: tuple[str, ...] = api("tags", to_str_tuple, factory=tuple)
    ctime: float | None = api("ctime", float)
    mtime: float | None = api("mtime", float)
    serial_no: int | None = api("serial_no", to_int)
    nics: tuple[Nic, ...] = attrs.field(factory=tuple)
    disks: tuple[Disk, ...] = attrs.field(factory=tuple)

    @classmethod
    def derived(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"nics": _nics(data), "disks": _disks(data)}

    # --- derived facts ------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return bool(self.oper_state)

    @property
    def is_healthy(self) -> bool:
        """Running when it should run, stopped when it should not; nodes reachable."""
        return self.status in ("running", "ADMIN_down", "ADMIN_offline", "USER_down")

    @property
    def status_text(self) -> str:
        return STATUS_TEXT.get(self.status or "", self.status or "unknown")

    @property
    def memory(self) -> MiB | None:
        """Configured maximum memory (``beparams.maxmem``)."""
        value = self.beparams.get("maxmem", self.beparams.get("memory"))
        return MiB(value) if isinstance(value, int) else None

    @property
    def min_memory(self) -> MiB | None:
        value = self.beparams.get("minmem")
        return MiB(value) if isinstance(value, int) else None

    @property
    def vcpus(self) -> int | None:
        value = self.beparams.get("vcpus")
        return value if isinstance(value, int) else None

    @property
    def disk_total(self) -> MiB:
        return MiB(sum(d.size or 0 for d in self.disks))

    @property
    def mac(self) -> str | None:
        """MAC of the first NIC (what netboot keys on)."""
        return self.nics[0].mac if self.nics else None

    @property
    def nodes(self) -> tuple[str, ...]:
        return tuple(n for n in (self.pnode, *self.snodes) if n)
