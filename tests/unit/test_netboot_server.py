"""Boot server model on a local directory: publish, skip, .old rotation, rollback, wrappers."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganetiops.errors import BootTimeout, NetbootError, ValidationError
from ganetiops.netboot import classes, keys
from ganetiops.netboot.store import LocalStore
from tests.unit.netboot_helpers import FakeBoot, make_class

MAC = "aa:00:00:12:ab:cd"


@pytest.fixture
def fake(tmp_path: Path) -> FakeBoot:
    return FakeBoot(tmp_path / "boot")


def _publish(fake: FakeBoot, source: Path, name: str = "navidrome") -> classes.PublishResult:
    boot = fake.client()
    local = classes.find_local_class(source, name)
    return classes.publish(boot, classes.plan_publish(boot, local))


def test_publish_rotates_one_old_and_skips_same_sha(fake: FakeBoot, tmp_path: Path) -> None:
    v1 = make_class(tmp_path / "v1", store=b"one")
    v2 = make_class(tmp_path / "v2", store=b"two")
    v3 = make_class(tmp_path / "v3", store=b"three")
    first = _publish(fake, v1)
    assert not first.skipped
    assert first.served_sha256 == first.sha256
    assert _publish(fake, v1).skipped
    _publish(fake, v2)
    result = _publish(fake, v3)
    [info] = classes.list_classes(fake.client())
    assert info.sha256 == result.sha256 == info.sha256
    assert info.has_old
    assert info.complete
    old = classes.find_local_class(v2, "navidrome").sha256
    assert info.old_sha256 == old
    entries = sorted(p.name for p in (fake.web / "nixos/by-class").iterdir())
    assert entries == ["navidrome", "navidrome.old"]  # one .old, no upload left behind


def test_rollback_swaps_and_returns(fake: FakeBoot, tmp_path: Path) -> None:
    a = _publish(fake, make_class(tmp_path / "a", store=b"a")).sha256
    b = _publish(fake, make_class(tmp_path / "b", store=b"b")).sha256
    boot = fake.client()
    back = classes.rollback(boot, "navidrome")
    assert (back.sha256, back.previous_sha256, back.served_sha256) == (a, b, a)
    again = classes.rollback(boot, "navidrome")
    assert again.served_sha256 == b


def test_rollback_without_old_is_refused(fake: FakeBoot, tmp_path: Path) -> None:
    _publish(fake, make_class(tmp_path / "a"))
    with pytest.raises(NetbootError, match=r"no navidrome\.old"):
        classes.rollback(fake.client(), "navidrome")


def test_failed_upload_leaves_the_published_class_alone(
    fake: FakeBoot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mock stands in for a connection dropping mid-upload (not producible on demand)."""
    good = _publish(fake, make_class(tmp_path / "good", store=b"good")).sha256
    calls = []
    real_upload = LocalStore.upload

    def flaky(self: LocalStore, local: Path, path: str, **kw: object) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise OSError("connection lost")
        real_upload(self, local, path, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(LocalStore, "upload", flaky)
    with pytest.raises(OSError, match="connection lost"):
        _publish(fake, make_class(tmp_path / "new", store=b"new"))
    [info] = classes.list_classes(fake.client())
    assert info.sha256 == good
    assert not info.has_old
    assert sorted(p.name for p in (fake.web / "nixos/by-class").iterdir()) == ["navidrome"]


def test_local_class_checks(tmp_path: Path) -> None:
    netbuild = tmp_path / "result"
    make_class(netbuild / "by-class", name="navidrome")
    assert classes.find_local_class(netbuild).name == "navidrome"
    plain = make_class(tmp_path / "jellyfin")
    assert classes.find_local_class(plain).name == "jellyfin"
    (plain / "initrd").unlink()
    with pytest.raises(ValidationError, match="lacks initrd"):
        classes.find_local_class(plain)
    broken = make_class(tmp_path / "broken")
    (broken / "store.squashfs").write_bytes(b"changed after the build")
    with pytest.raises(ValidationError, match=r"does not match its \.sha256"):
        classes.find_local_class(broken)
    make_class(netbuild / "by-class", name="other")
    with pytest.raises(ValidationError, match="name the class"):
        classes.find_local_class(netbuild)


def test_wrapper_write_flag_and_fetch(fake: FakeBoot) -> None:
    boot = fake.client()
    from ganetiops.netboot import wrappers

    position = boot.log_position()
    text = wrappers.render(
        boot.layout, mac=MAC, hostname="navidrome", class_="navidrome", provision=True
    )
    boot.write_wrapper(MAC, text)
    served = boot.http_get(boot.layout.wrapper_rel(MAC))
    assert served is not None
    assert b"homelab.provision_disks=true" in served
    fetched = boot.wait_fetch(boot.layout.wrapper_rel(MAC), position=position, timeout=1)
    assert fetched.path == "/nixos/by-mac/aa-00-00-12-ab-cd/ipxe"
    [state] = boot.wrappers()
    assert state.flag_fetched
    assert boot.set_flag(MAC, False)
    assert not boot.set_flag(MAC, False)
    assert b"provision" not in (boot.http_get(boot.layout.wrapper_rel(MAC)) or b"")
    assert [s.wrapper.mac for s in boot.find_wrappers("navidrome.homelab.tel")] == [
        "aa-00-00-12-ab-cd"
    ]
    assert boot.remove_wrapper(MAC)
    assert not (fake.web / "nixos/by-mac/aa-00-00-12-ab-cd").exists()
    assert not boot.remove_wrapper(MAC)


def test_wait_fetch_times_out_and_ignores_older_fetches(fake: FakeBoot) -> None:
    now = [0.0]
    boot = fake.client(clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    rel = boot.layout.wrapper_rel(MAC)
    fake.record("/" + rel)  # a fetch before the position: does not count
    position = boot.log_position()
    fake.record("/" + rel, status=404)
    with pytest.raises(BootTimeout, match="no fetch"):
        boot.wait_fetch(rel, position=position, timeout=5)
    assert now[0] >= 5


def test_identity_upload_refuses_to_replace(fake: FakeBoot) -> None:
    boot = fake.client()
    identity = keys.generate("navidrome")
    boot.upload_identity(identity)
    path = fake.web / "keys/navidrome.tar.gz"
    assert path.stat().st_mode & 0o777 == 0o644
    with pytest.raises(NetbootError, match="already exists"):
        boot.upload_identity(keys.generate("navidrome"))
    back = boot.read_identity("navidrome")
    assert back is not None
    assert back.host_public == identity.host_public
    assert boot.remove_identity("navidrome")
    assert not path.exists()


def test_access_log_missing_is_a_clear_error(tmp_path: Path) -> None:
    boot = FakeBoot(tmp_path, access_log=False).client()
    with pytest.raises(NetbootError, match="no access log"):
        boot.log_position()
