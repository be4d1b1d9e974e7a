"""Every validator refuses a trailing newline, control and format characters; fuzzed.

``$`` matches before a final ``\\n``: ``"x\\n"`` used to pass every name check, and a
tag with U+202E (right-to-left override) was accepted. The validators now match the
whole string, and whatever they accept holds no control, format or space character.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganetiops.bootstrap.users_file import check_name as rapi_user
from ganetiops.errors import ValidationError
from ganetiops.netboot.layout import class_name, host_label
from ganetiops.netboot.wrappers import hostname_param
from ganetiops.rapi import validate
from ganetiops.rapi.call import check_name

#: name -> (validator, a valid value)
VALIDATORS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "check_name": (lambda v: check_name(v, "name"), "web1.example"),
    "hostname": (validate.hostname, "web1.homelab.tel"),
    "mac": (validate.mac, "aa:00:00:12:34:56"),
    "class_name": (class_name, "navidrome"),
    "host_label": (host_label, "navidrome.homelab.tel"),
    "hostname_param": (hostname_param, "systemd.hostname"),
    "tag": (lambda v: validate.tags([v]), "backup:daily"),
    "rapi_user": (rapi_user, "gnt-py"),
    "size": (validate.size_mib, "10G"),
    "object_name": (validate.object_name, "default"),
}

#: Characters that must never pass: newline and the other C0/C1 controls, DEL, the
#: bidi overrides, zero-width joiners, BOM, no-break and other unicode spaces.
BAD_CHARS = ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u202e", "\u200b",
             "\u200d", "\ufeff", "\u00a0", "\u2028", "\u3000", " "]  # fmt: skip


@pytest.mark.parametrize("name", sorted(VALIDATORS))
def test_the_valid_example_passes(name: str) -> None:
    check, good = VALIDATORS[name]
    check(good)


@pytest.mark.parametrize("bad", BAD_CHARS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("name", sorted(VALIDATORS))
def test_control_and_format_characters_are_refused(name: str, bad: str) -> None:
    check, good = VALIDATORS[name]
    if name == "size" and bad == " ":
        pytest.skip("'10 G' is a size")
    for value in (good + bad, bad + good, good[:2] + bad + good[2:]):
        with pytest.raises(ValidationError):
            check(value)


def _unsafe(text: str) -> bool:
    return any(unicodedata.category(c)[0] in "CZ" for c in text)


@pytest.mark.parametrize("name", sorted(VALIDATORS))
@settings(max_examples=150, deadline=None)
@given(value=st.text(max_size=40) | st.from_regex(r"[a-z0-9.:-]{1,12}\n?", fullmatch=True))
def test_fuzz_accepts_nothing_unsafe(name: str, value: str) -> None:
    check, _good = VALIDATORS[name]
    try:
        out = check(value)
    except ValidationError:
        return
    accepted = out if isinstance(out, str) else value
    assert not _unsafe(value), f"{name} accepted {value!r}"
    assert not _unsafe(str(accepted))


def test_ganeti_tag_rule() -> None:
    """The rule from Ganeti's lib/objects.py: [\\w.+*/:@-]+, at most 128."""
    assert validate.tags(["a" * 128, "x.y+z*/:@-_1", "é"]) == ["a" * 128, "x.y+z*/:@-_1", "é"]
    for bad in ("a" * 129, "backup=daily", "a b", "", "x,y", "x#y", "\u202eabc"):
        with pytest.raises(ValidationError, match="not a valid Ganeti tag"):
            validate.tags([bad])
    with pytest.raises(ValidationError, match="not one string"):
        validate.tags("abc")
