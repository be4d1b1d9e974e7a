"""What a DRBD parser returns (:class:`Parsed`) and the replication state a connection
state implies; shared by :mod:`ganetiops.drbd.parse_proc` and
:mod:`ganetiops.drbd.parse_status` (:mod:`ganetiops.drbd.parsers` re-exports them)."""

from __future__ import annotations

import attrs

from ganetiops.drbd.model import CONNECTED_STATES, DrbdDevice


@attrs.frozen
class Parsed:
    """What one output said: devices, the module version (``/proc/drbd`` only) and the rest."""

    devices: tuple[DrbdDevice, ...] = ()
    unknown: tuple[str, ...] = ()
    version: str | None = None
    api: str | None = None
    compat: str | None = None
    #: A message the command printed instead of a status (``no resources defined!``).
    note: str | None = None


def replication_of(cstate: str | None) -> str | None:
    """The DRBD 9 replication state that an 8.4 connection state stands for."""
    if cstate is None:
        return None
    if cstate == "Connected":
        return "Established"
    if cstate in CONNECTED_STATES:
        return cstate
    return "Off"
