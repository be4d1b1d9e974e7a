"""Checked by mypy in ``tests/unit/test_model_verbs.py``, not run: each line marked
``# E: <code>`` must give that mypy error, and no other line may give one.

Left out of the plain ``mypy`` run (setup.cfg ``exclude``), as its errors are the point.
"""

from __future__ import annotations

from typing import Any, assert_type

from ganetiops.rapi.call import Call
from ganetiops.rapi.client import AsyncRapiClient, RapiClient


def sync_client(client: RapiClient) -> None:
    inst = client.instances.get("web1")
    assert_type(inst.migrate(target_node="node2"), Any)
    assert_type(inst.migrate.call(mode="live"), Call[Any])
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
    await inst.shutdown(timeout=10)
    inst.shutdown(timeout="10")  # E: arg-type
    inst.startup(forced=True)  # E: call-arg
    node = await client.nodes.get("node1")
    await node.migrate(mode="live")
    node.migrate(target="node2")  # E: call-arg
