"""Checked by mypy in ``tests/unit/test_model_verbs.py``, not run: each line marked
``# E: <code>`` must give that mypy error, and no other line may give one.

Left out of the plain ``mypy`` run (setup.cfg ``exclude``), as its errors are the point.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, assert_type

from ganetiops.rapi import Async, Sync
from ganetiops.rapi.call import Call
from ganetiops.rapi.client import AsyncRapiClient, RapiClient
from ganetiops.rapi.jobs import AsyncJob, Job
from ganetiops.rapi.models import Console, Instance, Node


def sync_client(client: RapiClient) -> None:
    inst = client.instances.get("web1")
    # A model carries its client's mode; its verbs return what that client's operations do.
    assert_type(inst, Instance[Sync])
    assert_type(client.instances.list()[0], Instance[Sync])
    assert_type(inst.migrate(target_node="node2"), Job)
    assert_type(inst.refresh(), Instance[Sync])
    assert_type(inst.refresh().shutdown(), Job)
    assert_type(inst.console(), Console)
    assert_type(inst.migrate.call(mode="live"), Call[Any])
    assert_type(client.nodes.get("node1").evacuate(), Job)
    assert_type(inst.migrate(), AsyncJob)  # E: assert-type
    inst.rename("web2", name_check=False, reason="renamed")
    inst.grow_disk(0, "1G", wait_for_sync=True)
    inst.migrate(target_nod="node2")  # E: call-arg
    inst.migrate(mode="fast")  # E: arg-type
    inst.migrate("node2")  # E: call-arg, arg-type
    inst.rename(3)  # E: arg-type
    inst.grow_disk(0)  # E: call-arg
    inst.reboot(type="soft", reason=1)  # E: arg-type
    inst.console(force=True)  # E: call-arg
    inst.refresh(bulk=True)  # E: call-arg
    node = client.nodes.get("node1")
    node.set_role("drained", force=True)
    node.set_role("master")  # E: arg-type
    node.evacuate(mode="everything")  # E: arg-type
    node.modify(offline="yes")  # E: arg-type


async def async_client(client: AsyncRapiClient) -> None:
    inst = await client.instances.get("web1")
    assert_type(inst, Instance[Async])
    assert_type(inst.shutdown(timeout=10), Awaitable[AsyncJob])
    assert_type(await inst.shutdown(timeout=10), AsyncJob)
    assert_type(await inst.refresh(), Instance[Async])
    assert_type(await inst.console(), Console)
    assert_type(inst.shutdown(), Job)  # E: assert-type
    await inst.shutdown(timeout=10)
    inst.shutdown(timeout="10")  # E: arg-type
    inst.startup(forced=True)  # E: call-arg
    node = await client.nodes.get("node1")
    await node.migrate(mode="live")
    node.migrate(target="node2")  # E: call-arg


def unbound(inst: Instance, node: Node) -> None:
    """A bare annotation is either client's model: the verbs return ``Any``, their
    arguments are still checked."""
    assert_type(inst.migrate(target_node="node2"), Any)
    assert_type(Instance.from_api({}).refresh(), Any)
    inst.migrate(target_nod="node2")  # E: call-arg
    node.set_role("master")  # E: arg-type


async def either(sync: RapiClient, aio: AsyncRapiClient) -> None:
    """Either client's model goes where a bare ``Instance`` is asked for."""
    unbound(sync.instances.get("web1"), sync.nodes.get("node1"))
    unbound(await aio.instances.get("web1"), await aio.nodes.get("node1"))
    models: list[Instance] = [sync.instances.get("a"), await aio.instances.get("b")]
    assert models
