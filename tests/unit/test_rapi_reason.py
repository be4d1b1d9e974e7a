"""``reason`` on every operation whose RAPI handler records it, and on no other.

Ganeti 3.0.2's RAPI builds a reason trail in one place only: ``_GetCommonStatic`` in
``ganeti/rapi/baserlib.py``, called by ``_GenericHandler``, the handler
``OpcodeResource`` generates for a method from its ``<METHOD>_OPCODE`` when the
resource class does not write the method itself. Those requests submit a job, and
``?reason=`` becomes the first entry of every opcode's trail. Every other handler
ignores ``reason``: the plain reads (lists, ``/2/info``, ``/2/query``, jobs), answered
from the configuration or by luxi without a job; and the two custom job submitters,
``GET /2/os`` (builds ``OpOsDiagnose`` itself) and ``POST .../reinstall`` (its own
opcodes; body and query cannot be combined). ``POST /2/nodes/X/migrate`` is generic,
but any query parameter makes the server drop the body, so ganetiops sends none
(ganetiops/rapi/ops/nodes.py).

:data:`GENERIC` is that list for Ganeti 3.0.2, read from its source;
:func:`test_the_generic_list_is_ganetis` reads it again from the installed Ganeti.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from ganetiops.errors import ValidationError
from ganetiops.rapi.call import NO_BODY, Params, build_call
from ganetiops.rapi.coverage import normalize
from ganetiops.rapi.namespace import operations_of
from ganetiops.rapi.ops import NAMESPACES

#: (method, path) of Ganeti 3.0.2's generated opcode handlers: they record ``reason``.
GENERIC = frozenset(
    {
        ("PUT", "/2/modify"),
        ("PUT", "/2/redistribute-config"),
        ("PUT", "/2/tags"),
        ("DELETE", "/2/tags"),
        ("POST", "/2/instances"),
        ("POST", "/2/instances-multi-alloc"),
        ("DELETE", "/2/instances/{}"),
        ("GET", "/2/instances/{}/info"),
        ("PUT", "/2/instances/{}/tags"),
        ("DELETE", "/2/instances/{}/tags"),
        ("POST", "/2/instances/{}/reboot"),
        ("POST", "/2/instances/{}/replace-disks"),
        ("PUT", "/2/instances/{}/shutdown"),
        ("PUT", "/2/instances/{}/startup"),
        ("PUT", "/2/instances/{}/activate-disks"),
        ("PUT", "/2/instances/{}/deactivate-disks"),
        ("POST", "/2/instances/{}/recreate-disks"),
        ("PUT", "/2/instances/{}/prepare-export"),
        ("PUT", "/2/instances/{}/export"),
        ("PUT", "/2/instances/{}/migrate"),
        ("PUT", "/2/instances/{}/failover"),
        ("PUT", "/2/instances/{}/rename"),
        ("PUT", "/2/instances/{}/modify"),
        ("POST", "/2/instances/{}/disk/{}/grow"),
        ("POST", "/2/nodes/{}/powercycle"),
        ("PUT", "/2/nodes/{}/tags"),
        ("DELETE", "/2/nodes/{}/tags"),
        ("PUT", "/2/nodes/{}/role"),
        ("POST", "/2/nodes/{}/evacuate"),
        ("POST", "/2/nodes/{}/migrate"),
        ("POST", "/2/nodes/{}/modify"),
        ("GET", "/2/nodes/{}/storage"),
        ("PUT", "/2/nodes/{}/storage/modify"),
        ("PUT", "/2/nodes/{}/storage/repair"),
        ("POST", "/2/groups"),
        ("DELETE", "/2/groups/{}"),
        ("PUT", "/2/groups/{}/modify"),
        ("PUT", "/2/groups/{}/rename"),
        ("PUT", "/2/groups/{}/assign-nodes"),
        ("PUT", "/2/groups/{}/tags"),
        ("DELETE", "/2/groups/{}/tags"),
        ("POST", "/2/networks"),
        ("DELETE", "/2/networks/{}"),
        ("PUT", "/2/networks/{}/connect"),
        ("PUT", "/2/networks/{}/disconnect"),
        ("PUT", "/2/networks/{}/modify"),
        ("PUT", "/2/networks/{}/tags"),
        ("DELETE", "/2/networks/{}/tags"),
    }
)
#: Generic on the server, but ganetiops deliberately sends no query (see the docstring).
NO_QUERY = frozenset({("POST", "/2/nodes/{}/migrate")})
#: Not jobs; the filter rule stores a reason trail of its own, given in the body.
BODY_TRAIL = frozenset({("POST", "/2/filters"), ("PUT", "/2/filters/{}")})


def every_operation() -> list[tuple[str, Any, tuple[str, str]]]:
    found: list[tuple[str, Any, tuple[str, str]]] = []
    for attr, cls in NAMESPACES.items():
        for name, op in operations_of(cls).items():
            key = (op.route.method, normalize(op.templates(cls)))
            found.append((f"{attr}.{name}", op, key))
    return found


def takes_job_options(op: Any) -> bool:
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in op.signature.parameters.values())


def test_the_walk_sees_every_kind() -> None:
    kinds = {(op.route.job, op.route.reason) for _, op, _ in every_operation()}
    assert kinds == {(True, True), (True, False), (False, False)}
    assert len(every_operation()) > 80


@pytest.mark.parametrize(("name", "op", "key"), every_operation(), ids=lambda v: str(v))
def test_reason_exactly_where_ganeti_records_it(name: str, op: Any, key: tuple[str, str]) -> None:
    route = op.route
    since_3_1 = bool(route.since) and tuple(route.since) >= (3, 1)
    records = key in GENERIC and key not in NO_QUERY
    if since_3_1:
        # Newer than 3.0.2's source: a job operation takes a reason (3.1 kept the rule).
        records = route.job and key not in NO_QUERY
    assert route.reason is records, f"{name} {key}: reason {route.reason}, Ganeti {records}"
    if route.reason:
        assert route.job, f"{name}: only job submitters record a reason"
        assert takes_job_options(op), f"{name}: no **common, so no reason= parameter"
        # The caller's reason goes in the query, before ganetiops' own tag.
        call = build_call(
            route, _path_args(route), Params[Any](common={"reason": "why"}), reason="t"
        )
        assert ("reason", "why [t]") in call.query
    else:
        # A plain read has no reason= at all (filters: a trail in the body, not a job).
        if "reason" in op.signature.parameters:
            assert key in BODY_TRAIL, f"{name}: reason parameter on a call that ignores it"
        if takes_job_options(op):
            with pytest.raises(ValidationError, match="does not record a reason"):
                build_call(route, _path_args(route), Params(common={"reason": "why"}), reason="t")
        call = build_call(route, _path_args(route), Params(), reason="ganetiops test")
        assert all(k != "reason" for k, _ in call.query), f"{name}: sent a reason"


def _path_args(route: Any) -> dict[str, str]:
    return dict.fromkeys(route.placeholders, "x1")


def test_custom_job_submitters_take_no_reason() -> None:
    """The job submitters that cannot record one: reinstall, os list, node migrate."""
    ops = {name: op for name, op, _ in every_operation()}
    assert ops["instances.reinstall"].route.job and not ops["instances.reinstall"].route.reason
    assert "reason" not in ops["instances.reinstall"].signature.parameters
    assert not takes_job_options(ops["instances.reinstall"])
    assert not ops["os.list"].route.reason
    assert not takes_job_options(ops["os.list"])
    assert ops["nodes.migrate"].route.job and not ops["nodes.migrate"].route.reason
    assert Params().body is NO_BODY


RAPI_SOURCE = Path("/usr/share/ganeti/3.0/ganeti/rapi")


def generic_handlers(rapi: Path) -> set[tuple[str, str]]:
    """(method, path) of the handlers Ganeti generates, read from its source with ast:
    a resource class (or a base in rlib2) with ``<METHOD>_OPCODE`` and no ``<METHOD>``."""
    rlib2 = ast.parse((rapi / "rlib2.py").read_text())
    classes: dict[str, tuple[set[str], set[str], list[str]]] = {}
    for node in rlib2.body:
        if isinstance(node, ast.ClassDef):
            methods = {
                item.name
                for item in node.body
                if isinstance(item, ast.FunctionDef)
                and item.name in ("GET", "PUT", "POST", "DELETE")
            }
            opcodes = {
                target.id.removesuffix("_OPCODE")
                for item in node.body
                if isinstance(item, ast.Assign)
                for target in item.targets
                if isinstance(target, ast.Name) and target.id.endswith("_OPCODE")
            }
            bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
            classes[node.name] = (methods, opcodes, bases)

    def resolve(name: str) -> tuple[set[str], set[str]]:
        if name not in classes:
            return set(), set()
        methods, opcodes, bases = classes[name]
        all_methods, all_opcodes = set(methods), set(opcodes)
        for base in bases:
            more_methods, more_opcodes = resolve(base)
            all_methods |= more_methods
            all_opcodes |= more_opcodes
        return all_methods, all_opcodes

    connector = (rapi / "connector.py").read_text()
    found = set()
    entry = re.compile(r'(?:translate_fn\(([^)]*)\)|"(/[^"]*)"):\s*rlib2\.(\w+)')
    for match in entry.finditer(connector):
        if match.group(2):
            path = match.group(2)
        else:
            parts = [p.strip() for p in match.group(1).split(",")]
            path = "".join(p.strip('"') if p.startswith('"') else "{}" for p in parts)
        methods, opcodes = resolve(match.group(3))
        found |= {(verb, path) for verb in opcodes - methods}
    return found


def test_the_generic_list_is_ganetis() -> None:
    if not (RAPI_SOURCE / "rlib2.py").exists():
        pytest.skip(f"Ganeti 3.0's source is not installed at {RAPI_SOURCE}")
    assert generic_handlers(RAPI_SOURCE) == GENERIC
    common = (RAPI_SOURCE / "baserlib.py").read_text()
    # The one place a reason trail is built, and the generic handler calls it.
    assert 'usr_reason = self._checkStringVariable("reason"' in common
    handler = common[common.index("def _GenericHandler") :].split("\n\n")[0]
    assert "static = self._GetCommonStatic()" in handler
