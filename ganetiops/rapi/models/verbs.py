"""The verbs of :class:`~ganetiops.rapi.models.Instance` and ``Node``, as they run.

Each verb forwards to the namespace operation it names: ``instance.migrate(...)`` is
``client.instances.migrate(instance.name, ...)``. This module lists them by name
(the models cannot import the operations, which import the models); the type
checker reads :mod:`ganetiops.rapi.verbs` instead, which takes each verb's
arguments from its operation. ``tests/unit/test_model_verbs.py`` checks that the
two lists agree.
"""

from __future__ import annotations

from ganetiops.rapi.models.base import Verb


class InstanceVerbs:
    """The verbs of an instance: ``client.instances.<operation>(name, ...)``."""

    refresh: Verb[...] = Verb("instance", "get")
    startup: Verb[...] = Verb("instance", "startup")
    shutdown: Verb[...] = Verb("instance", "shutdown")
    reboot: Verb[...] = Verb("instance", "reboot")
    migrate: Verb[...] = Verb("instance", "migrate")
    failover: Verb[...] = Verb("instance", "failover")
    modify: Verb[...] = Verb("instance", "modify")
    remove: Verb[...] = Verb("instance", "remove")
    rename: Verb[...] = Verb("instance", "rename")
    reinstall: Verb[...] = Verb("instance", "reinstall")
    grow_disk: Verb[...] = Verb("instance", "grow_disk")
    console: Verb[...] = Verb("instance", "console")


class NodeVerbs:
    """The verbs of a node: ``client.nodes.<operation>(name, ...)``."""

    refresh: Verb[...] = Verb("node", "get")
    set_role: Verb[...] = Verb("node", "set_role")
    evacuate: Verb[...] = Verb("node", "evacuate")
    migrate: Verb[...] = Verb("node", "migrate")
    modify: Verb[...] = Verb("node", "modify")
