"""Every RAPI operation, one namespace class per resource.

Each operation is a method returning :class:`~ganetiops.rapi.call.Params`,
decorated with its HTTP method and path; both clients execute the same
definitions (see :mod:`ganetiops.rapi.namespace`).
"""

from ganetiops.rapi.ops.cluster import Cluster, OperatingSystems
from ganetiops.rapi.ops.filters import Filters
from ganetiops.rapi.ops.groups import Groups
from ganetiops.rapi.ops.instances import Instances
from ganetiops.rapi.ops.jobs import Jobs
from ganetiops.rapi.ops.networks import Networks
from ganetiops.rapi.ops.nodes import Nodes
from ganetiops.rapi.ops.query import Query

#: Attribute name on the clients -> namespace class.
NAMESPACES = {
    "cluster": Cluster,
    "os": OperatingSystems,
    "instances": Instances,
    "nodes": Nodes,
    "groups": Groups,
    "networks": Networks,
    "jobs": Jobs,
    "query": Query,
    "filters": Filters,
}

__all__ = [
    "NAMESPACES",
    "Cluster",
    "Filters",
    "Groups",
    "Instances",
    "Jobs",
    "Networks",
    "Nodes",
    "OperatingSystems",
    "Query",
]
