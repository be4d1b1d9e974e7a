"""The model verbs as the type checker sees them: typed from their operations.

Each verb forwards to the namespace operation it names: ``instance.migrate(...)`` is
``client.instances.migrate(instance.name, ...)``, and takes exactly what that operation
takes after the name, so mypy rejects a wrong keyword or value on a model as it does on
the namespace. What a verb returns follows the client that read the model (its mode,
:class:`~ganetiops.rapi.models.base.Moded`): a :class:`~ganetiops.rapi.jobs.Job` from
the sync client, an awaitable of an :class:`~ganetiops.rapi.jobs.AsyncJob` from the
async one, ``Any`` from a model no client read.

The models import this module under ``TYPE_CHECKING`` only: at run time they use
:mod:`ganetiops.rapi.models.verbs`, the same verbs by name, as the models cannot import
the operations (which import the models). ``tests/unit/test_model_verbs.py`` checks
that the two lists agree.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from ganetiops.rapi.models.base import Verb
from ganetiops.rapi.namespace import Async, Bound, Sync
from ganetiops.rapi.ops.instances import Instances
from ganetiops.rapi.ops.nodes import Nodes

if TYPE_CHECKING:
    from ganetiops.rapi.jobs import AsyncJob, Job
    from ganetiops.rapi.models.instance import Instance
    from ganetiops.rapi.models.node import Node

P = ParamSpec("P")
T = TypeVar("T")


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
    pick: Callable[[Instances[Sync]], Bound[Concatenate[str, P], Job, int]],
) -> Verb[P, Job, Awaitable[AsyncJob]]:
    """A verb of an instance that submits a job, typed from the operation ``pick`` names."""
    return Verb("instance", operation_name(pick))


def instance_read(
    pick: Callable[[Instances[Sync]], Bound[Concatenate[str, P], T, T]],
) -> Verb[P, T, Awaitable[T]]:
    """A verb of an instance that reads data, typed from the operation ``pick`` names."""
    return Verb("instance", operation_name(pick))


def node_verb(
    pick: Callable[[Nodes[Sync]], Bound[Concatenate[str, P], Job, int]],
) -> Verb[P, Job, Awaitable[AsyncJob]]:
    """A verb of a node that submits a job, typed from the operation ``pick`` names."""
    return Verb("node", operation_name(pick))


def instance_refresh(
    pick: Callable[[Instances[Sync]], Bound[Concatenate[str, P], Any, Any]],
) -> Verb[P, Instance[Sync], Awaitable[Instance[Async]]]:
    """``instance.refresh()``: the instance read again, by the client that read it."""
    return Verb("instance", operation_name(pick))


def node_refresh(
    pick: Callable[[Nodes[Sync]], Bound[Concatenate[str, P], Any, Any]],
) -> Verb[P, Node[Sync], Awaitable[Node[Async]]]:
    """``node.refresh()``: the node read again, by the client that read it."""
    return Verb("node", operation_name(pick))


class InstanceVerbs:
    """The verbs of an instance: ``client.instances.<operation>(name, ...)``."""

    refresh = instance_refresh(lambda ns: ns.get)
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
    console = instance_read(lambda ns: ns.console)


class NodeVerbs:
    """The verbs of a node: ``client.nodes.<operation>(name, ...)``."""

    refresh = node_refresh(lambda ns: ns.get)
    set_role = node_verb(lambda ns: ns.set_role)
    evacuate = node_verb(lambda ns: ns.evacuate)
    migrate = node_verb(lambda ns: ns.migrate)
    modify = node_verb(lambda ns: ns.modify)
