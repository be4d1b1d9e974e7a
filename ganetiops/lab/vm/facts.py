"""What code and tests need to know about a DRBD lab (:class:`DrbdFacts`), in plain
values; the fields every kind of lab shares are :mod:`ganetiops.lab.facts`'."""

from __future__ import annotations

from typing import Any

import attrs

from ganetiops.errors import LabError
from ganetiops.lab.facts import ClusterFacts, NodeFacts, SharedFactsMethods, decode_shared


@attrs.frozen
class DrbdFacts(SharedFactsMethods):
    """What code and tests need to know about a DRBD lab, in plain values."""

    name: str
    kind: str
    slot: int
    release: str
    ganeti: str
    image: str
    domain: str
    state_dir: str
    primary_network: str
    secondary_network: str
    workstation_ip: str
    workstation_link: str
    nodes: tuple[NodeFacts, ...]
    root_key: str
    workstation_key: str
    known_hosts: str
    volume_group: str
    cluster: ClusterFacts | None = None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> DrbdFacts:
        try:
            return cls(**decode_shared(raw))
        except (KeyError, TypeError) as exc:
            raise LabError(f"damaged DRBD lab facts ({exc})") from None
