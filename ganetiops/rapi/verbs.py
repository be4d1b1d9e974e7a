"""The model verbs as the type checker sees them: typed from their operations.

``instance.migrate(...)`` takes exactly what ``client.instances.migrate`` takes after
the instance's name, so mypy rejects a wrong keyword or value on a model as it does
on the namespace, for both clients (their operations take the same arguments; the
sync namespace only names them). The models import this module under
``TYPE_CHECKING`` only: at run time they use :mod:`ganetiops.rapi.models.verbs`, the
same verbs by name, as the models cannot import the operations (which import the
models). ``tests/unit/test_model_verbs.py`` checks that the two lists agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from ganetiops.rapi.models.base import Verb
from ganetiops.rapi.namespace import Bound, Sync
from ganetiops.rapi.ops.instances import Instances
from ganetiops.rapi.ops.nodes import Nodes

P = ParamSpec("P")
C = TypeVar("C")


class _Names:
    """Stands in for a namespace: each attribute is its own name."""

    def __getattr__(self, name: str) -> str:
        return name


def operation_name(pick: Callable[[Any], object]) -> str:
    """The operation ``pick`` takes off a namespace (``lambda ns: ns.migrate``: migrate)."""
    name = pick(_Names())
    assert isinstance(name, str)
    return name


def instance_verb(
    pick: Callable[[Instances[Sync]], Bound[Concatenate[str, P], Any, C]],
) -> Verb[P]:
    """A verb of an instance, typed from the operation ``pick`` names."""
    return Verb("instance", operation_name(pick))


def node_verb(pick: Callable[[Nodes[Sync]], Bound[Concatenate[str, P], Any, C]]) -> Verb[P]:
    """A verb of a node, typed from the operation ``pick`` names."""
    return Verb("node", operation_name(pick))


class InstanceVerbs:
    """The verbs of an instance: ``client.instances.<operation>(name, ...)``."""

    refresh = instance_verb(lambda ns: ns.get)
    startup = instance_verb(lambda ns: ns.startup)
    shutdown = instance_verb(lambda ns: ns.shutdown)
    reboot = instance_verb(lambda ns: ns.reboot)
    migrate = instance_verb(lambda ns: ns.migrate)
    failover = instance_verb(lambda ns: ns.failover)
    modify = instance_verb(lambda ns: ns.modify)
    remove = instance_verb(lambda ns: ns.remove)
    rename = instance_verb(lambda ns: ns.rename)
    reinstall = instance_verb(lambda ns: ns.reinstall)
    grow_disk = instance_verb(lambda ns: ns.grow_disk)
    console = instance_verb(lambda ns: ns.console)


class NodeVerbs:
    """The verbs of a node: ``client.nodes.<operation>(name, ...)``."""

    refresh = node_verb(lambda ns: ns.get)
    set_role = node_verb(lambda ns: ns.set_role)
    evacuate = node_verb(lambda ns: ns.evacuate)
    migrate = node_verb(lambda ns: ns.migrate)
    modify = node_verb(lambda ns: ns.modify)
