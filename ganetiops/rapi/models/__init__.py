"""Typed models of what RAPI returns. Every model keeps the server's dict in ``raw``."""

from ganetiops.rapi.models.base import MiB, Model, format_mib
from ganetiops.rapi.models.cluster import ClusterInfo, InstancePolicy
from ganetiops.rapi.models.instance import Disk, Instance, Nic
from ganetiops.rapi.models.job import ChildJob, JobInfo, LogEntry, OpError
from ganetiops.rapi.models.listing import ModelList
from ganetiops.rapi.models.misc import (
    Console,
    FieldDef,
    Filter,
    OperatingSystem,
    QueryResult,
    StorageUnit,
)
from ganetiops.rapi.models.network import Network, NetworkConnection
from ganetiops.rapi.models.node import Group, Node

__all__ = [
    "ChildJob",
    "ClusterInfo",
    "Console",
    "Disk",
    "FieldDef",
    "Filter",
    "Group",
    "Instance",
    "InstancePolicy",
    "JobInfo",
    "LogEntry",
    "MiB",
    "Model",
    "ModelList",
    "Network",
    "NetworkConnection",
    "Nic",
    "Node",
    "OpError",
    "OperatingSystem",
    "QueryResult",
    "StorageUnit",
    "format_mib",
]
