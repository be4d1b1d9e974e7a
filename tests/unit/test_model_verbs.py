"""Model verbs (``instance.migrate(...)``) reach the namespace operation they name,
with the same arguments, and mypy checks their arguments and return types
(tests/typing/bad_verbs.py)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from ganetiops.errors import GanetiOpsError, ValidationError
from ganetiops.rapi import verbs as typed
from ganetiops.rapi.call import Call
from ganetiops.rapi.models import Instance, Node
from ganetiops.rapi.models import verbs as runtime
from ganetiops.rapi.models.base import Verb, bind
from ganetiops.rapi.namespace import Executor, Namespace
from ganetiops.rapi.ops.instances import Instances
from ganetiops.rapi.ops.nodes import Nodes

ROOT = Path(__file__).resolve().parents[2]


class Recorder(Executor):
    """Keeps the Call a verb hands over, sends nothing; ``awaitable`` shapes the return
    (an awaitable, as the async client's, or the value, as the sync client's)."""

    reason_tag = "ganetiops test"

    def __init__(self, *, awaitable: bool = False) -> None:
        self.calls: list[tuple[str, Call[Any]]] = []
        self.awaitable = awaitable

    def _record(self, how: str, call: Call[Any]) -> Any:
        self.calls.append((how, call))
        if not self.awaitable:
            return how

        async def answer() -> str:
            return how

        return answer()

    def send(self, call: Call[Any]) -> Any:
        return self._record("send", call)

    def submit(self, call: Call[int]) -> Any:
        return self._record("submit", call)


#: verb -> (arguments after the name, expected method, path and how it is executed)
INSTANCE_CASES: dict[str, tuple[tuple[Any, ...], dict[str, Any], str, str, str]] = {
    "refresh": ((), {"lock": True}, "GET", "/2/instances/web1", "send"),
    "startup": ((), {"force": True}, "PUT", "/2/instances/web1/startup", "submit"),
    "shutdown": ((), {"timeout": 30}, "PUT", "/2/instances/web1/shutdown", "submit"),
    "reboot": ((), {"type": "soft"}, "POST", "/2/instances/web1/reboot", "submit"),
    "migrate": ((), {"target_node": "node2"}, "PUT", "/2/instances/web1/migrate", "submit"),
    "failover": ((), {"target_node": "node2"}, "PUT", "/2/instances/web1/failover", "submit"),
    "modify": ((), {"beparams": {"maxmem": "1G"}}, "PUT", "/2/instances/web1/modify", "submit"),
    "remove": ((), {"shutdown_timeout": 5}, "DELETE", "/2/instances/web1", "submit"),
    "rename": (("web2",), {}, "PUT", "/2/instances/web1/rename", "submit"),
    "reinstall": ((), {"os": "debootstrap"}, "POST", "/2/instances/web1/reinstall", "submit"),
    "grow_disk": ((0, "1G"), {}, "POST", "/2/instances/web1/disk/0/grow", "submit"),
    "console": ((), {}, "GET", "/2/instances/web1/console", "send"),
}

NODE_CASES: dict[str, tuple[tuple[Any, ...], dict[str, Any], str, str, str]] = {
    "refresh": ((), {}, "GET", "/2/nodes/node1", "send"),
    "set_role": (("drained",), {"force": True}, "PUT", "/2/nodes/node1/role", "submit"),
    "evacuate": ((), {"mode": "all"}, "POST", "/2/nodes/node1/evacuate", "submit"),
    "migrate": ((), {"mode": "live"}, "POST", "/2/nodes/node1/migrate", "submit"),
    "modify": ((), {"drained": True}, "POST", "/2/nodes/node1/modify", "submit"),
}


def _shape(call: Call[Any]) -> tuple[str, str, tuple[tuple[str, str], ...], Any]:
    return call.method, call.path, call.query, json.loads(call.body) if call.body else None


def _check(
    model: Any,
    namespace: Namespace[Any],
    recorder: Recorder,
    verb: str,
    case: tuple[tuple[Any, ...], dict[str, Any], str, str, str],
) -> None:
    args, kwargs, method, path, how = case
    operation = getattr(type(model), verb).operation
    expected = getattr(namespace, operation).call(model.name, *args, **kwargs)
    built = getattr(model, verb).call(*args, **kwargs)
    result = getattr(model, verb)(*args, **kwargs)
    if recorder.awaitable:
        result = asyncio.run(result)
    assert result == how
    [(executed, sent)] = recorder.calls
    assert executed == how
    assert (sent.method, sent.path) == (method, path)
    assert _shape(sent) == _shape(built) == _shape(expected)


def _verbs(cls: type) -> dict[str, tuple[str, str]]:
    return {
        name: (value.kind, value.operation)
        for name, value in vars(cls).items()
        if isinstance(value, Verb)
    }


@pytest.mark.parametrize("cls", ["InstanceVerbs", "NodeVerbs"])
def test_the_typed_verbs_are_the_verbs_that_run(cls: str) -> None:
    """The type checker reads ganetiops.rapi.verbs, the models run models/verbs.py."""
    assert _verbs(getattr(typed, cls)) == _verbs(getattr(runtime, cls))
    assert len(_verbs(getattr(runtime, cls))) >= 5


def test_every_verb_has_a_case() -> None:
    assert set(INSTANCE_CASES) == set(_verbs(runtime.InstanceVerbs))
    assert set(NODE_CASES) == set(_verbs(runtime.NodeVerbs))
    assert issubclass(Instance, runtime.InstanceVerbs) and issubclass(Node, runtime.NodeVerbs)


@pytest.mark.parametrize("awaitable", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("verb", sorted(INSTANCE_CASES))
def test_instance_verb_reaches_its_operation(verb: str, awaitable: bool) -> None:
    recorder = Recorder(awaitable=awaitable)
    namespace: Instances[Any] = Instances(recorder)
    inst = bind(Instance.from_api({"name": "web1"}), namespace)
    _check(inst, namespace, recorder, verb, INSTANCE_CASES[verb])


@pytest.mark.parametrize("awaitable", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("verb", sorted(NODE_CASES))
def test_node_verb_reaches_its_operation(verb: str, awaitable: bool) -> None:
    recorder = Recorder(awaitable=awaitable)
    namespace: Nodes[Any] = Nodes(recorder)
    node = bind(Node.from_api({"name": "node1"}), namespace)
    _check(node, namespace, recorder, verb, NODE_CASES[verb])


def test_verb_checks_its_arguments_before_anything_is_sent() -> None:
    recorder = Recorder()
    inst = bind(Instance.from_api({"name": "web1"}), Instances(recorder))
    with pytest.raises(ValidationError, match="target_nod"):
        inst.migrate(target_nod="node2")  # type: ignore[call-arg]  # the wrong keyword is the point
    with pytest.raises(ValidationError, match="type"):
        inst.reboot(type="gentle")  # type: ignore[arg-type]  # the bad value is the point
    assert recorder.calls == []


def test_reading_a_verb_of_an_unbound_model_works_calling_it_says_how() -> None:
    inst = Instance.from_api({"name": "web1"})
    assert "web1" in repr(inst.migrate) and "instances.migrate" in repr(inst.migrate)
    with pytest.raises(GanetiOpsError, match="not read through a client"):
        inst.migrate(target_node="node2")


def test_mypy_rejects_wrong_verb_arguments() -> None:
    api = pytest.importorskip("mypy.api")
    target = ROOT / "tests/typing/bad_verbs.py"
    expected: set[tuple[int, str]] = set()
    for number, line in enumerate(target.read_text().splitlines(), 1):
        if marker := re.search(r"  # E: ([a-z, -]+)$", line):
            expected |= {(number, code.strip()) for code in marker.group(1).split(",")}
    config = str(ROOT / "setup.cfg")
    out, err, _status = api.run(
        ["--config-file", config, "--show-error-codes", "--no-error-summary", str(target)]
    )
    found = {
        (int(m.group(1)), m.group(2))
        for m in re.finditer(r"bad_verbs\.py:(\d+): error: .*\[([a-z-]+)\]$", out, re.M)
    }
    assert not err
    assert found == expected, out
    assert len(expected) >= 15
