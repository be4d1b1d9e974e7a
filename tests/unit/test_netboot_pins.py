"""Pinned generations (per-instance rollback) on a local boot server: the copy, the
wrapper that chains it, and the clean-up of pins no wrapper chains."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganetiops.errors import NetbootError, ValidationError
from ganetiops.netboot import classes, pins, wrappers
from ganetiops.netboot.layout import Layout, pin_key, split_pin
from tests.unit.netboot_helpers import FakeBoot, make_class

A = "aa:00:00:00:00:01"
B = "aa:00:00:00:00:02"


@pytest.fixture
def fake(tmp_path: Path) -> FakeBoot:
    return FakeBoot(tmp_path / "boot")


def _publish(fake: FakeBoot, source: Path) -> str:
    boot = fake.client()
    plan = classes.plan_publish(boot, classes.find_local_class(source, "navidrome"))
    return classes.publish(boot, plan).sha256


def _wrapper(fake: FakeBoot, mac: str, host: str, pin: str | None = None) -> None:
    boot = fake.client()
    text = wrappers.render(
        boot.layout, mac=mac, hostname=host, class_="navidrome", provision=False, pin=pin
    )
    boot.write_wrapper(mac, text)


def test_pin_names_split_and_refuse_odd_keys() -> None:
    assert split_pin("navidrome.gen-0123456789abcdef") == ("navidrome", "0123456789abcdef")
    assert split_pin("navidrome.old") == ("navidrome.old", None)
    assert split_pin("navidrome.gen-0123") == ("navidrome.gen-0123", None)
    assert pin_key("ab" * 32) == "ab" * 8
    with pytest.raises(ValidationError):
        pin_key("../etc/passwd0000")
    layout = Layout("/srv", "http://boot")
    assert layout.pin_url("navidrome", "ab" * 8) == (
        "http://boot/nixos/by-class/navidrome.gen-abababababababab/ipxe"
    )


def test_a_pinned_wrapper_chains_the_pin_and_reads_back(fake: FakeBoot) -> None:
    layout = fake.client().layout
    key = "0123456789abcdef"
    text = wrappers.render(
        layout, mac=A, hostname="navidrome", class_="navidrome", provision=True, pin=key
    )
    assert f"chain {layout.pin_url('navidrome', key)}\n" in text
    parsed = wrappers.parse(A, text)
    assert (parsed.class_name, parsed.pin, parsed.provision) == ("navidrome", key, True)
    plain = wrappers.parse(A, wrappers.render(layout, mac=A, hostname="n", class_="navidrome",
                                              provision=False))  # fmt: skip
    assert (plain.class_name, plain.pin) == ("navidrome", None)


def test_pin_copies_the_previous_generation_and_is_reused(fake: FakeBoot, tmp_path: Path) -> None:
    v1 = _publish(fake, make_class(tmp_path / "v1", store=b"one" * 1000))
    v2 = _publish(fake, make_class(tmp_path / "v2", store=b"two"))
    boot = fake.client()
    key = pins.pin_previous(boot, "navidrome", v1)
    pinned = fake.web / f"nixos/by-class/navidrome.gen-{key}"
    assert (pinned / "store.squashfs").read_bytes() == b"one" * 1000
    assert pins.pinned_sha256(boot, "navidrome", key) == v1
    # The class itself is untouched, and a pin is not a class.
    assert [c.name for c in classes.list_classes(boot)] == ["navidrome"]
    assert classes.class_info(boot, "navidrome").sha256 == v2  # type: ignore[union-attr]
    before = (pinned / "store.squashfs").stat().st_mtime_ns
    assert pins.pin_previous(boot, "navidrome", v1) == key
    assert (pinned / "store.squashfs").stat().st_mtime_ns == before
    hidden = [p.name for p in (fake.web / "nixos/by-class").iterdir() if p.name.startswith(".")]
    assert hidden == []


def test_pin_refuses_a_sha_the_old_generation_does_not_hold(fake: FakeBoot, tmp_path: Path) -> None:
    _publish(fake, make_class(tmp_path / "v1", store=b"one"))
    _publish(fake, make_class(tmp_path / "v2", store=b"two"))
    with pytest.raises(NetbootError, match="no longer holds"):
        pins.pin_previous(fake.client(), "navidrome", "f" * 64)
    assert pins.pins(fake.client()) == []


def test_unused_pins_count_every_wrapper_but_the_ignored(fake: FakeBoot, tmp_path: Path) -> None:
    v1 = _publish(fake, make_class(tmp_path / "v1", store=b"one"))
    _publish(fake, make_class(tmp_path / "v2", store=b"two"))
    boot = fake.client()
    key = pins.pin_previous(boot, "navidrome", v1)
    _wrapper(fake, A, "first", pin=key)
    _wrapper(fake, B, "second")
    assert pins.unused_pins(boot, "navidrome") == []
    assert pins.unused_pins(boot, "navidrome", ignore=("aa-00-00-00-00-01",)) == [
        ("navidrome", key)
    ]
    _wrapper(fake, A, "first")  # back to the class as published
    assert pins.unused_pins(boot, "navidrome") == [("navidrome", key)]
    pins.remove_pin(boot, "navidrome", key)
    assert not (fake.web / f"nixos/by-class/navidrome.gen-{key}").exists()


class _Instances:
    """The two RAPI reads a re-image plan makes (names, one instance), for one instance."""

    def __init__(self, instance: object) -> None:
        self._instance = instance

    def names(self) -> list[str]:
        return ["navidrome.homelab.tel"]

    def get(self, name: str) -> object:
        return self._instance


def _rapi(mac: str) -> object:
    from types import SimpleNamespace

    nic = SimpleNamespace(mac=mac)
    instance = SimpleNamespace(
        name="navidrome.homelab.tel", os="pxe", nics=[nic], oper_state=True,
        raw={"hypervisor": "kvm"}, pnode="aleph.homelab.tel",
    )  # fmt: skip
    return SimpleNamespace(instances=_Instances(instance))


@pytest.mark.parametrize("reports", [False, True])
def test_a_rollback_of_one_instance_is_planned_only_where_boots_report(
    fake: FakeBoot, tmp_path: Path, reports: bool
) -> None:
    """Without reports (the homelab's classes, whose store URL is fixed at build) a
    per-instance rollback is refused before anything changes, naming --class-wide;
    with them it plans a pin of the previous generation and changes nothing yet."""
    import attrs

    from ganetiops.netboot.reimage import plan_reimage

    v1 = _publish(fake, make_class(tmp_path / "v1", store=b"one"))
    v2 = _publish(fake, make_class(tmp_path / "v2", store=b"two"))
    _wrapper(fake, A, "navidrome")
    fake.config = attrs.evolve(fake.config, reports=reports)
    boot = fake.client()
    before = sorted(p.name for p in (fake.web / "nixos/by-class").iterdir())
    rapi = _rapi(A)
    if not reports:
        with pytest.raises(ValidationError, match="--class-wide"):
            plan_reimage(rapi, boot, "navidrome", rollback=True)  # type: ignore[arg-type]
        wide = plan_reimage(rapi, boot, "navidrome", rollback=True, class_wide=True)  # type: ignore[arg-type]
        assert (wide.rollback, wide.pin, wide.sha256) == (True, None, v1)
    else:
        plan = plan_reimage(rapi, boot, "navidrome", rollback=True)  # type: ignore[arg-type]
        assert (plan.rollback, plan.pin, plan.sha256) == (False, v1[:16], v1)
        assert any(f"keep the current generation ({v2})" in note for note in plan.notes)
        assert [s.action for s in plan.steps][:2] == ["pin", "wrapper"]
    assert sorted(p.name for p in (fake.web / "nixos/by-class").iterdir()) == before
