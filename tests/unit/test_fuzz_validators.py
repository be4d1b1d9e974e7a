"""Hypothesis over every input validator and parser the library and the CLI use:
whatever comes in, the answer is a value or one clear ValidationError (never another
exception), and a value that passes is what RAPI can carry (ASCII names, sizes >= 0).
The CLI-level fuzz against the real lab is tests/integration/test_fuzz_cli.py.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganetiops import errors
from ganetiops.cli.common import parse_filter, parse_indexed, parse_kv
from ganetiops.cli.output import select_fields
from ganetiops.cli.qlang import parse_qlang
from ganetiops.rapi import validate
from ganetiops.rapi.call import check_name
from ganetiops.rapi.ops import NAMESPACES
from ganetiops.rapi.writes import job_ids_with_reason
from tests.unit.rapi_helpers import call

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))

#: Text that looks like input: unicode, control characters, '..', '/', very long.
texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="abc.-_/:=,0123456789GMKT!~ \"'[]()", max_size=40),
    st.sampled_from(["", "..", "../etc/passwd", "a/../b", "x" * 300, "\x00", "é.homelab.tel"]),
    st.text(min_size=256, max_size=2000),
)
anything = st.one_of(
    texts,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.lists(texts, max_size=3),
    st.dictionaries(texts, texts, max_size=3),
)


def _clear(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call fn: a value, or a ValidationError with a non-empty message."""
    try:
        return fn(*args, **kwargs)
    except errors.ValidationError as exc:
        refused = exc
    assert str(refused).strip()
    return refused


@SETTINGS
@given(anything)
def test_names_sizes_macs_addresses(value: Any) -> None:
    for fn in (validate.hostname, validate.object_name):
        out = _clear(fn, value)
        if not isinstance(out, errors.ValidationError):
            assert isinstance(out, str) and out.isascii() and "/" not in out
            assert out not in (".", "..") and "\n" not in out
    out = _clear(check_name, value, "name")
    if isinstance(out, str):
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", out)
    size = _clear(validate.size_mib, value)
    if not isinstance(size, errors.ValidationError):
        assert isinstance(size, int) and size >= 0
    _clear(validate.mac, value)
    for check_ip in (validate.ipv4, validate.ipv4_network, validate.ipv6, validate.ipv6_network):
        _clear(check_ip, value, "ip")
    _clear(validate.choice, value, ("a", "b"), "mode")


@SETTINGS
@given(anything, st.integers(min_value=0, max_value=3))
def test_disk_and_nic_specs(spec: Any, index: int) -> None:
    _clear(validate.disk, spec, index)
    _clear(validate.nic, spec, index)


@SETTINGS
@given(st.lists(anything, max_size=4))
def test_tags_and_name_lists(values: list[Any]) -> None:
    tags = _clear(validate.tags, values)
    if isinstance(tags, list):
        assert all(isinstance(t, str) for t in tags)
    _clear(validate.names, values, "names")


@SETTINGS
@given(texts, st.lists(texts, max_size=3))
def test_cli_parsers(text: str, where: list[str]) -> None:
    _clear(parse_filter, text, where)
    _clear(parse_qlang, text)
    _clear(parse_kv, text, "-B")
    _clear(parse_indexed, [text, *where], "--net")
    _clear(select_fields, text, ("name", "status"))


@SETTINGS
@given(
    st.sampled_from(
        [
            ("instances", "startup"),
            ("instances", "reboot"),
            ("instances", "remove"),
            ("instances", "add_tags"),
            ("nodes", "evacuate"),
            ("groups", "create"),
            ("groups", "rename"),
        ]
    ),
    anything,
    anything,
)
def test_building_a_job_call_refuses_bad_arguments(op: tuple[str, str], a: Any, b: Any) -> None:
    """Any first argument (and any reason) gives a Call or a ValidationError."""
    namespace, name = op
    assert namespace in NAMESPACES
    args: list[Any] = [a]
    if name in ("add_tags", "rename"):
        args.append(b if name == "rename" else [b])
    try:
        built = call(namespace, name, *args, reason=b if isinstance(b, str) else None)
    except errors.ValidationError as exc:
        refused = exc
    else:
        assert built.path.isascii()
        return
    assert str(refused).strip()


@SETTINGS
@given(anything)
def test_job_lookup_tolerates_any_answer_shape(data: Any) -> None:
    """The lost-answer lookup reads whatever /2/jobs returned without raising."""
    ids = job_ids_with_reason(data, "rid=0")
    assert isinstance(ids, list)
