"""The lab's record: saved on every change, read back exactly, damage reported."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from ganetiops.errors import LabError
from ganetiops.lab.record import ContextEntry, LabRecord, ProcessEntry, RouteEntry


def _record(tmp_path: Path) -> LabRecord:
    record = LabRecord(path=tmp_path / "lab.json", name="dev1", slot=1, options={"bare": True})
    record.save()
    return record


def test_every_change_is_on_disk_at_once(tmp_path: Path) -> None:
    record = _record(tmp_path)
    record.add_route(RouteEntry("10.101.100.0/24", "unreachable", 4242))
    record.add_netns("dev1-sw")
    assert json.loads(record.path.read_text())["netns"] == ["dev1-sw"]
    record.add_link("dev1-ws")
    record.add_process(ProcessEntry(123, 456, "aleph", "holder"))
    record.set_mounts("aleph", ["/run", "/etc/hosts"])
    record.set_context(ContextEntry("dev1", "/x/config.toml", "https://10.101.100.254:5080"))
    record.set_facts({"name": "dev1"})
    record.set_phase("up")

    again = LabRecord.load(record.path)
    assert again is not None
    assert again.to_json() == record.to_json()
    assert again.routes == [RouteEntry("10.101.100.0/24", "unreachable", 4242)]
    assert again.processes_of("aleph", "holder") == [ProcessEntry(123, 456, "aleph", "holder")]
    assert again.processes_of("bet") == []
    assert again.phase == "up"


def test_adding_twice_records_once(tmp_path: Path) -> None:
    record = _record(tmp_path)
    for _ in range(2):
        record.add_netns("dev1-aleph")
        record.add_link("dev1-ws")
        record.add_route(RouteEntry("10.101.97.0/24", "unreachable", 4242))
    assert (len(record.netns), len(record.links), len(record.routes)) == (1, 1, 1)


def test_parallel_additions_are_all_kept(tmp_path: Path) -> None:
    record = _record(tmp_path)
    threads = [
        threading.Thread(target=record.add_process, args=(ProcessEntry(i, i, f"m{i}", "sshd"),))
        for i in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    again = LabRecord.load(record.path)
    assert again is not None
    assert sorted(p.pid for p in again.processes) == list(range(20))
    assert not list(tmp_path.glob(".lab-*"))  # no temporary file left behind


def test_missing_record_is_none(tmp_path: Path) -> None:
    assert LabRecord.load(tmp_path / "lab.json") is None


@pytest.mark.parametrize(
    "content",
    ["{not json", "[]", '{"format": 99}', '{"format": 1, "name": "x"}'],
)
def test_damaged_records_are_reported(tmp_path: Path, content: str) -> None:
    path = tmp_path / "lab.json"
    path.write_text(content)
    with pytest.raises(LabError, match=r"lab\.json"):
        LabRecord.load(path)


def test_unknown_phase_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="phase"):
        _record(tmp_path).set_phase("half-up")
