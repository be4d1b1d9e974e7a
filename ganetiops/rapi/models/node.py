"""Nodes and node groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ganetiops.rapi.models.base import (
    MiB,
    Mode,
    Moded,
    Model,
    api,
    to_bool,
    to_dict,
    to_int,
    to_mib,
    to_str_tuple,
)

if TYPE_CHECKING:  # the verbs typed from their operations (ganetiops.rapi.verbs)
    from ganetiops.rapi.verbs import NodeVerbs
else:
    from ganetiops.rapi.models.verbs import NodeVerbs

#: Bulk node lists give the role as one letter; single-node GETs of /role spell it out.
ROLE_NAMES = {
    "M": "master",
    "C": "master-candidate",
    "R": "regular",
    "D": "drained",
    "O": "offline",
}


def _role(value: Any) -> str:
    text = str(value)
    return ROLE_NAMES.get(text, text)


@attrs.frozen(slots=False)
class Node(Model, NodeVerbs, Moded[Mode]):
    """A node as ``GET /2/nodes/<name>`` (or ``?bulk=1``) reports it.

    Live figures (``mtotal``, ``dfree``...) are ``None`` when the node did not
    answer or the storage does not apply (a diskless cluster reports no disk).
    """

    name: str = api("name", str, default="")
    uuid: str | None = api("uuid")
    role: str | None = api("role", _role)
    offline: bool | None = api("offline", to_bool)
    drained: bool | None = api("drained", to_bool)
    master_candidate: bool | None = api("master_candidate", to_bool)
    master_capable: bool | None = api("master_capable", to_bool)
    vm_capable: bool | None = api("vm_capable", to_bool)
    pip: str | None = api("pip")
    sip: str | None = api("sip")
    group_uuid: str | None = api("group.uuid")
    mtotal: MiB | None = api("mtotal", to_mib)
    mnode: MiB | None = api("mnode", to_mib)
    mfree: MiB | None = api("mfree", to_mib)
    dtotal: MiB | None = api("dtotal", to_mib)
    dfree: MiB | None = api("dfree", to_mib)
    sptotal: int | None = api("sptotal", to_int)
    spfree: int | None = api("spfree", to_int)
    ctotal: int | None = api("ctotal", to_int)
    cnos: int | None = api("cnos", to_int)
    cnodes: int | None = api("cnodes", to_int)
    csockets: int | None = api("csockets", to_int)
    pinst_cnt: int = api("pinst_cnt", to_int, default=0)
    sinst_cnt: int = api("sinst_cnt", to_int, default=0)
    pinst_list: tuple[str, ...] = api("pinst_list", to_str_tuple, factory=tuple)
    sinst_list: tuple[str, ...] = api("sinst_list", to_str_tuple, factory=tuple)
    ndparams: dict[str, Any] = api("ndparams", to_dict, factory=dict)
    tags: tuple[str, ...] = api("tags", to_str_tuple, factory=tuple)
    ctime: float | None = api("ctime", float)
    mtime: float | None = api("mtime", float)
    serial_no: int | None = api("serial_no", to_int)

    @property
    def short_name(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def is_master(self) -> bool:
        return self.role == "master"

    @property
    def secondary_ip(self) -> str | None:
        """The replication address; equal to ``pip`` on a single-homed cluster."""
        return self.sip

    @property
    def mused(self) -> MiB | None:
        if self.mtotal is None or self.mfree is None:
            return None
        return MiB(self.mtotal - self.mfree)


@attrs.frozen(slots=False)
class Group(Model):
    """A node group."""

    name: str = api("name", str, default="")
    uuid: str | None = api("uuid")
    alloc_policy: str | None = api("alloc_policy")
    node_cnt: int = api("node_cnt", to_int, default=0)
    node_list: tuple[str, ...] = api("node_list", to_str_tuple, factory=tuple)
    ipolicy: dict[str, Any] = api("ipolicy", to_dict, factory=dict)
    custom_ipolicy: dict[str, Any] = api("custom_ipolicy", to_dict, factory=dict)
    diskparams: dict[str, Any] = api("diskparams", to_dict, factory=dict)
    custom_diskparams: dict[str, Any] = api("custom_diskparams", to_dict, factory=dict)
    ndparams: dict[str, Any] = api("ndparams", to_dict, factory=dict)
    custom_ndparams: dict[str, Any] = api("custom_ndparams", to_dict, factory=dict)
    tags: tuple[str, ...] = api("tags", to_str_tuple, factory=tuple)
    ctime: float | None = api("ctime", float)
    mtime: float | None = api("mtime", float)
    serial_no: int | None = api("serial_no", to_int)
