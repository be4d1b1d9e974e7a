"""RAPI users file: HA1 (the homelab's verified hash), parse, merge, remove."""

from __future__ import annotations

import pytest

from ganetiops.bootstrap.users_file import UserEntry, differences, ha1, merge, parse, remove
from ganetiops.config.secrets import Secret
from ganetiops.errors import ValidationError


def test_ha1_matches_the_homelab_published_hash() -> None:
    # homelab.md §1.3: printf '%s' 'prometheus-ganeti-exporter:Ganeti Remote API:0274...' | md5sum
    digest = ha1("prometheus-ganeti-exporter", Secret("0274833ae7ceb9be03abae36726ed487"))
    assert digest == "88e0f7738f841415b919ed9da1f40667"


def test_ha1_is_not_the_echo_newline_variant() -> None:
    import hashlib

    wrong = hashlib.md5(b"u:Ganeti Remote API:p\n").hexdigest()
    assert ha1("u", Secret("p")) != wrong


def test_ha1_refuses_unusable_passwords() -> None:
    with pytest.raises(ValidationError, match="ASCII"):
        ha1("u", Secret("café"))
    with pytest.raises(ValidationError, match="whitespace"):
        ha1("u", Secret("a b"))


EXISTING = """\
# managed by hand
prometheus-ganeti-exporter {HA1}88e0f7738f841415b919ed9da1f40667 read
manual secret write
"""


def test_parse_skips_comments_and_reads_rights() -> None:
    users = parse(EXISTING)
    assert [(u.name, u.rights) for u in users] == [
        ("prometheus-ganeti-exporter", ("read",)),
        ("manual", ("write",)),
    ]


def test_merge_updates_adds_and_keeps_the_rest() -> None:
    wanted = [
        UserEntry.with_ha1(
            "prometheus-ganeti-exporter", "88E0F7738F841415B919ED9DA1F40667", ["read"]
        ),
        UserEntry.with_ha1("ganetiops", "0" * 32, ["read", "write"]),
    ]
    assert differences(EXISTING, wanted) == ["ganetiops"]
    merged = merge(EXISTING, wanted).reveal()
    assert merged.splitlines() == [
        "# managed by hand",
        "prometheus-ganeti-exporter {HA1}88e0f7738f841415b919ed9da1f40667 read",
        "manual secret write",
        "ganetiops {HA1}" + "0" * 32 + " read,write",
    ]
    assert differences(merged, wanted) == []
    assert repr(merge(EXISTING, wanted)) == "Secret('********')"


def test_rights_change_is_a_difference() -> None:
    wanted = [
        UserEntry.with_ha1(
            "prometheus-ganeti-exporter", "88e0f7738f841415b919ed9da1f40667", ["write"]
        )
    ]
    assert differences(EXISTING, wanted) == ["prometheus-ganeti-exporter"]


def test_remove() -> None:
    content, found = remove(EXISTING, "manual")
    assert found
    assert "manual" not in content.reveal()
    _, found = remove(EXISTING, "nobody")
    assert not found
