"""The verbs of :class:`~ganetiops.rapi.models.Instance` and ``Node``, as they run.

Each verb forwards to the namespace operation it names: ``instance.migrate(...)`` is
``client.instances.migrate(instance.name, ...)``. This module lists them by name
(the models cannot import the operations, which import the models); the type
checker reads :mod:`ganetiops.rapi.verbs` instead, which takes each verb's
arguments from its operation. ``tests/unit/test_model_verbs.py`` checks that the
two lists agree.
"""

from __future__ import annotations

from typing import Any

from ganetiops.rapi.models.base import Verb


class InstanceVerbs:
    """The verbs of an instance: ``client.instances.<operation>(name, ...)``."""

    refresh: Verb[..., Any, Any] = Verb("instance", "get")
    startup: Verb[..., Any, Any] = Verb("instance", "startup")
    shutdown: Verb[..., Any, Any] = Verb("instance", "shutdown")
    reboot: Verb[..., Any, Any] = Verb("instance", "reboot")
    migrate: Verb[..., Any, Any] = Verb("instance", "migrate")
    failover: Verb[..., Any, Any] = Verb("instance", "failover")
    modify: Verb[..., Any, Any] = Verb("instance", "modify")
    remove: Verb[..., Any, Any] = Verb("instance", "remove")
    rename: Verb[..., Any, Any] = Verb("instance", "rename")
    reinstall: Verb[..., Any, Any] = Verb("instance", "reinstall")
    grow_disk: Verb[..., Any, Any] = Verb("instance", "grow_disk")
    console: Verb[..., Any, Any] = Verb("instance", "console")


class NodeVerbs:
    """The verbs of a node: ``client.nodes.<operation>(name, ...)``."""

    refresh: Verb[..., Any, Any] = Verb("node", "get")
    set_role: Verb[..., Any, Any] = Verb("node", "set_role")
    evacuate: Verb[..., Any, Any] = Verb("node", "evacuate")
    migrate: Verb[..., Any, Any] = Verb("node", "migrate")
    modify: Verb[..., Any, Any] = Verb("node", "modify")
