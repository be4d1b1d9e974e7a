"""Notebook display: HTML of models and collections, DataFrames, capacity and N+1."""

from __future__ import annotations

from typing import Any

import pytest

from ganetiops import display
from ganetiops.display.capacity import capacity
from ganetiops.rapi.models import Instance, JobInfo, Node, QueryResult


def node(name: str, mfree: int = 8192, **extra: Any) -> Node:
    return Node.from_api(
        {
            "name": name,
            "role": "R",
            "mtotal": 16384,
            "mnode": 1024,
            "mfree": mfree,
            "dtotal": 102400,
            "dfree": 51200,
            "vm_capable": True,
            **extra,
        }
    )


def inst(
    name: str,
    pnode: str,
    template: str,
    mem: int,
    snodes: tuple[str, ...] = (),
    admin: str = "up",
    disk: int = 1024,
) -> Instance:
    return Instance.from_api(
        {
            "name": name,
            "pnode": pnode,
            "snodes": list(snodes),
            "disk_template": template,
            "admin_state": admin,
            "status": "running" if admin == "up" else "ADMIN_down",
            "beparams": {"maxmem": mem},
            "disk.sizes": [disk],
        }
    )


def test_model_html_colours_status_and_reads_sizes() -> None:
    web = inst("web1", "aleph", "sharedfile", 1536)
    html = web._repr_html_()
    assert "Instance web1" in html
    assert "#1a7f37" in html
    assert "● running" in html
    assert "1.5G" in html
    assert ">1536<" not in html
    broken = Instance.from_api({"name": "x<y>", "status": "ERROR_down"})
    html = broken._repr_html_()
    assert "x&lt;y&gt;" in html
    assert "<y>" not in html
    assert "#cf222e" in html  # red for errors


def test_collection_renders_and_becomes_a_dataframe() -> None:
    nodes = display.table([node("aleph", role="M"), node("bet", offline=True, role="O")])
    html = nodes._repr_html_()
    assert html.count("<tr>") == 3  # header + 2 rows
    assert "● master" in html
    assert "● offline" in html
    assert "16.0G" in html
    df = nodes.to_dataframe()
    assert list(df.index) == ["aleph", "bet"]
    assert int(df.loc["aleph", "mtotal"]) == 16384  # numbers stay MiB for analysis
    assert isinstance(nodes[:1], display.Collection)
    assert [n.name for n in nodes.where(role="offline")] == ["bet"]


def test_frame_of_jobs_and_query_results() -> None:
    jobs = [
        JobInfo.from_api(
            {
                "id": 3,
                "status": "error",
                "summary": ["X"],
                "opstatus": ["error"],
                "opresult": [["OpPrereqError", ["bad", "wrong_input"]]],
            }
        )
    ]
    df = display.frame(jobs)
    assert df.loc[3, "error"] == "OpPrereqError: bad"
    result = QueryResult.from_api(
        {
            "fields": [{"name": "name"}, {"name": "mfree"}],
            "data": [[[0, "a"], [0, 5]], [[0, "b"], [4, None]]],
        }
    )
    assert display.records(result) == [{"name": "a", "mfree": 5}, {"name": "b", "mfree": None}]
    assert "2 rows" in display.collection_html(result)
    from ganetiops.display.html import repr_html

    assert "2 rows" in repr_html(result)  # what a QueryResult hook would show
    assert "Instance web1" in repr_html(inst("web1", "a", "diskless", 128))
    assert "1 × Node" in repr_html([node("a")])
    assert "3.5s" in repr_html(
        JobInfo.from_api({"id": 1, "start_ts": [10, 0], "end_ts": [13, 500000]})
    )


def test_capacity_memory_disk_and_overcommit() -> None:
    nodes = [node("a"), node("b"), node("c")]
    instances = [
        inst("d1", "a", "drbd", 4096, snodes=("b",), disk=2048),
        inst("f1", "a", "file", 1024, disk=512),
        inst("s1", "a", "sharedfile", 2048, disk=10240),
        inst("off", "a", "sharedfile", 8192, admin="down"),
    ]
    report = capacity(nodes, instances)
    a = next(n for n in report if n.name == "a")
    assert a.mem_allocated == 4096 + 1024 + 2048  # the stopped instance is not counted
    assert a.disk_allocated == 2048 + 512  # drbd + file; shared storage is not local
    assert a.mem_overcommit == pytest.approx(7168 / 15360)
    b = next(n for n in report if n.name == "b")
    assert b.disk_allocated == 2048
    assert b.secondary_instances == 1
    assert a.primary_instances == 4
    # a fails: d1 must go to b (4096 of 8192 free), s1 anywhere, f1 cannot move
    assert a.n1_needed == 7168
    assert not a.n1_ok
    assert a.n1_unprotected == ("f1",)
    assert a.n1_headroom == -1024
    assert report.n1_ok is False
    assert "N+1: NOT satisfied" in report._repr_html_()


def test_capacity_n1_fails_when_the_secondary_is_full() -> None:
    nodes = [node("a"), node("b", mfree=2048), node("c", mfree=16000)]
    report = capacity(nodes, [inst("d1", "a", "drbd", 4096, snodes=("b",))])
    a = report[0]
    assert not a.n1_ok  # c has room, but a drbd instance can only go to b
    ok = capacity(
        [node("a"), node("b", mfree=8192)], [inst("d1", "a", "drbd", 4096, snodes=("b",))]
    )
    assert ok[0].n1_ok
    assert ok[0].n1_headroom == 8192 - 4096
    assert ok.n1_ok


def test_capacity_ignores_offline_nodes_as_targets() -> None:
    nodes = [node("a"), node("b", offline=True), node("c", drained=True)]
    report = capacity(nodes, [inst("s1", "a", "sharedfile", 1024)])
    assert not report[0].n1_ok


def test_capacity_from_a_client_and_plot() -> None:
    class Lister:
        def __init__(self, items: list[Any]) -> None:
            self.items = items

        def list(self) -> list[Any]:
            return self.items

    class Client:
        nodes = Lister([node("a"), node("b")])
        instances = Lister([inst("s1", "a", "sharedfile", 1024)])

    report = capacity(Client())
    assert [n.name for n in report] == ["a", "b"]
    df = report.to_dataframe()
    assert bool(df.loc["a", "n1_ok"]) is True
    import matplotlib

    matplotlib.use("Agg")
    figure = report.plot()
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["Memory per node (GiB)", "Local disk per node (GiB)"]
    heights = [bar.get_height() for bar in figure.axes[0].patches]
    assert pytest.approx(16.0) in heights  # mtotal of 16384 MiB
