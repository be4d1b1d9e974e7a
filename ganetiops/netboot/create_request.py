"""The request of ``instance create`` for a netbooted class, and its checks without I/O.

:class:`CreateRequest` is what the owner asked for; :func:`checked_request` rejects
what is wrong in it on its own (a bad name, size, count or timeout) before the cluster
or the boot server is asked anything. The sizes a class implies (:func:`memory_floor`)
live here too, since both the plan and its messages use them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

import attrs

from ganetiops.errors import ValidationError
from ganetiops.netboot.layout import class_name, host_label
from ganetiops.netboot.sequence import DEFAULT_BOOT_TIMEOUT
from ganetiops.rapi import validate

KeysMode = Literal["create", "require", "skip"]
KEYS_MODES: Final = ("create", "require", "skip")
#: Default size of disk 0.
DEFAULT_DISK_MIB: Final = 10 * 1024
#: The guest's own LVs besides /var: home 1 GiB and swap 1 GiB (homelab.md §3.1).
GUEST_FIXED_MIB: Final = 2 * 1024
#: Memory is rounded up to this step.
MEMORY_STEP_MIB: Final = 256


def mib_ceil(size_bytes: int) -> int:
    return -(-size_bytes // (1 << 20))


def memory_floor(store_size: int) -> int:
    """Least memory (MiB) for a first boot: twice ``store.squashfs``, rounded up.

    The first boot downloads the store into the root tmpfs, which gets half the RAM,
    before the guest's ``/var`` exists (homelab.md §3.1).
    """
    return mib_ceil(2 * store_size)


def default_memory(store_size: int, cluster_default: int | None) -> int:
    floor = memory_floor(store_size)
    rounded = -(-floor // MEMORY_STEP_MIB) * MEMORY_STEP_MIB
    return max(rounded, cluster_default or 0)


@attrs.frozen
class CreateRequest:
    """What the owner asked for; sizes in MiB (strings with units are accepted)."""

    name: str
    class_name: str | None = None
    publish: Path | None = None
    keys: KeysMode = "require"
    memory: int | str | None = None
    vcpus: int | None = None
    disk: int | str | None = None
    disk_template: str | None = None
    pnode: str | None = None
    snode: str | None = None
    iallocator: str | None = None
    network: str | None = None
    #: Hypervisor (default: the cluster's first enabled one).
    hypervisor: str | None = None
    start: bool = True
    wait: bool = True
    boot_timeout: float = DEFAULT_BOOT_TIMEOUT


def checked_request(request: CreateRequest) -> tuple[str, str, str, int | None, int]:
    """The request's own values checked (no I/O): name, first label, class, memory, disk."""
    name = validate.hostname(request.name, "name")
    short = host_label(name)
    cls = class_name(request.class_name or short)
    if request.keys not in KEYS_MODES:
        raise ValidationError(f"keys: expected one of {', '.join(KEYS_MODES)}", field="keys")
    memory_req = validate.size_mib(request.memory, "memory") if request.memory else None
    disk = validate.size_mib(request.disk or DEFAULT_DISK_MIB, "disk")
    if request.vcpus is not None and (isinstance(request.vcpus, bool) or request.vcpus < 1):
        raise ValidationError("vcpus: expected a positive integer", field="vcpus")
    if request.hypervisor is not None:
        validate.choice(request.hypervisor, validate.HYPERVISORS, "hypervisor")
    if request.boot_timeout <= 0:
        raise ValidationError("boot timeout: expected a positive number", field="boot_timeout")
    for field in ("pnode", "snode"):
        value = getattr(request, field)
        if value is not None:
            validate.hostname(value, field)
    return name, short, cls, memory_req, disk
