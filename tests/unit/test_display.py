"""Notebook display: HTML of models and collections, DataFrames, capacity and N+1."""

from __future__ import annotations

import re
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
    assert int(df.loc["aleph", "mtotal_mib"]) == 16384  # numbers stay MiB, named for it
    assert df.attrs["units"]["mtotal_mib"] == "MiB"
    assert str(df["role"].dtype) == "category"
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
    titles = [ax.get_title(loc="left") for ax in figure.axes]
    assert titles == [
        "Memory per node (% of the node's total)",
        "Local disk per node (% of the node's disk)",
    ]
    widths = [bar.get_width() for bar in figure.axes[0].patches]
    # node a: 1024 of 16384 MiB are the node's own (6.25 %), 1024 allocated (6.25 %)
    assert widths.count(pytest.approx(6.25)) >= 2


# --- what a person sees: alignment, cards, units ------------------------------------------

CELL = re.compile(r"<(td|th)\b([^>]*)>")


def aligned_cells(html: str) -> list[tuple[str, str, str]]:
    """(tag, attributes, inline text-align) of every cell; '' when a cell has none."""
    found = []
    for tag, attributes in CELL.findall(html):
        match = re.search(r'style="[^"]*text-align:(left|right|center)', attributes)
        found.append((tag, attributes, match.group(1) if match else ""))
    return found


def test_every_cell_carries_its_alignment_inline() -> None:
    """Inline styles beat JupyterLab's ``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td``."""
    web = inst("web1", "aleph", "sharedfile", 1536)
    pieces = [
        web._repr_html_(),
        display.table([web, inst("db", "bet", "file", 512)])._repr_html_(),
        display.table([node("aleph", role="M")])._repr_html_(),
        capacity([node("a"), node("b")], [web])._repr_html_(),
    ]
    for html in pieces:
        cells = aligned_cells(html)
        assert cells
        assert all(align for _, _, align in cells), [a for _, a, al in cells if not al]
        assert "<style>" in html  # cosmetics only; alignment does not depend on it
    table = aligned_cells(pieces[1])
    header = [c for c in table if c[0] == "th"]
    rows = [c for c in table if c[0] == "td"]
    names = [h[1] for h in header]
    assert len(names) == 12
    by_column = dict(
        zip(
            [
                "name",
                "status",
                "pnode",
                "snodes",
                "os",
                "disk_template",
                "memory",
                "vcpus",
                "disk_total",
                "nics",
                "mac",
                "tags",
            ],
            range(12),
            strict=True,
        )
    )
    first_row = rows[:12]
    assert first_row[by_column["name"]][2] == "left"
    assert first_row[by_column["status"]][2] == "left"
    assert first_row[by_column["memory"]][2] == "right"
    assert 'class="num"' in first_row[by_column["memory"]][1]
    assert header[by_column["memory"]][2] == "right"  # the header of a number column too
    assert header[by_column["name"]][2] == "left"
    card = aligned_cells(pieces[0])
    assert {align for _, _, align in card} == {"left"}  # a card: labels and values left


def test_capacity_table_is_grouped_with_units_and_no_zero_unit() -> None:
    nodes = [node("a"), node("b"), node("c")]
    report = capacity(nodes, [inst("s1", "a", "sharedfile", 2048, disk=10240)])
    html = report._repr_html_()
    assert 'colspan="4" style="text-align:center">Memory<' in html
    assert "N+1: if this node fails" in html
    assert ">0M<" not in html and " 0M" not in html
    body = html.split("<tbody>")[1]
    first_row = body.split("</tr>")[0]
    assert first_row.count("<td") <= 11  # was 14 columns
    assert "(13%)" in html  # 2048 of 15360 usable: the overcommit ratio in percent
    assert "G = GiB" in html
    shared = capacity(
        nodes, [inst("s1", "a", "sharedfile", 2048, disk=10240)], disk_template="sharedfile"
    )
    assert shared.disk_pool == "shared"
    assert shared[0].disk_shared == 10240
    assert shared.disk_shared_total == 10240
    html = shared._repr_html_()
    assert "Disk: shared pool (sharedfile)" in html
    assert "its instances hold 10.0G" in html


def test_capacity_reserve_is_what_a_node_takes_in() -> None:
    nodes = [node("a"), node("b", mfree=8192), node("c", mfree=2048)]
    report = capacity(
        nodes,
        [inst("d1", "a", "drbd", 4096, snodes=("b",)), inst("s1", "c", "sharedfile", 1024)],
    )
    by_name = {n.name: n for n in report}
    assert by_name["b"].mem_reserve == 4096  # a fails: d1 restarts on b
    assert by_name["a"].mem_reserve == 1024  # c fails: s1 goes to the node with most room
    assert by_name["c"].mem_reserve == 0


def test_capacity_dataframe_names_its_units_and_plot_keeps_the_legend_off_the_bars() -> None:
    report = capacity([node("a"), node("b")], [inst("s1", "a", "sharedfile", 1024)])
    df = report.to_dataframe()
    assert "mem_allocated_mib" in df.columns
    assert "mem_overcommit_ratio" in df.columns
    assert df.attrs["units"]["n1_headroom_mib"] == "MiB"
    assert df.attrs["units"]["mem_overcommit_ratio"] == "ratio"
    assert int(df.loc["a", "mem_allocated_mib"]) == 1024
    styled = report.styled().to_html()
    assert "1.0G" in styled and "text-align: left" in styled
    import matplotlib

    matplotlib.use("Agg")
    figure = report.plot()
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    legend = figure.legends[0].get_window_extent(renderer)
    for axis in figure.axes:
        assert not legend.overlaps(axis.get_window_extent(renderer))
    labels = [t.get_text() for t in figure.axes[0].texts]
    assert any("allocated 1.0G" in t and "in use" in t for t in labels)


def test_client_context_and_job_cards_hide_secrets_and_shorten_the_pin() -> None:
    from ganetiops.config import Context, PasswordSource
    from ganetiops.rapi import RapiClient
    from ganetiops.rapi.jobs import Job

    pin = ":".join(["AB"] * 32)
    client = RapiClient(
        "https://10.1.100.254:5080", user="ops", password="s3cret", certificate_sha256=pin
    )
    try:
        html = client._repr_html_()
    finally:
        client.close()
    visible = re.sub(r'title="[^"]*"', "", html)
    assert "RapiClient" in html and "10.1.100.254" in html
    assert pin not in visible  # 95 characters: shortened in the card
    assert "AB:AB:AB:AB…AB:AB" in visible
    assert "s3cret" not in html
    assert "closed" in client._repr_html_()  # a closed client says so
    context = Context(
        name="home",
        url="https://gnt:5080",
        user="ops",
        password=PasswordSource("inline", "hunter2"),
        certificate_sha256=pin,
    )
    html = context._repr_html_()
    assert "Context home" in html and "hunter2" not in html

    class NoCalls:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"the job card sent a request ({name})")

    job = Job(NoCalls(), 42)  # type: ignore[arg-type]
    html = job._repr_html_()
    assert "Job 42" in html and "job.wait()" in html


def test_list_operations_return_tables_and_frames_with_datetimes() -> None:
    from ganetiops.rapi.models import ModelList
    from ganetiops.rapi.ops.common import bound_list

    listed = bound_list(object(), lambda data: Node.from_api(data))(
        [{"name": "a", "mtotal": 1024, "role": "M"}]
    )
    assert isinstance(listed, ModelList)
    assert listed == [listed[0]]
    assert "gnt-table" in listed._repr_html_()
    assert list(listed.to_dataframe().columns)[:2] == ["role", "pip"]
    jobs = ModelList(
        [
            JobInfo.from_api(
                {
                    "id": 7,
                    "status": "success",
                    "start_ts": [10, 0],
                    "end_ts": [13, 0],
                    "received_ts": [9, 0],
                }
            )
        ]
    )
    df = jobs.to_dataframe()
    assert str(df["started"].dtype).startswith("datetime64")
    assert df.loc[7, "started"].year == 1970
    assert df.loc[7, "duration_s"] == pytest.approx(3.0)
    assert df.attrs["units"]["duration_s"] == "s"
    result = QueryResult.from_api(
        {"fields": [{"name": "name"}, {"name": "oper_ram"}], "data": [[[0, "a"], [0, 512]]]}
    )
    assert int(result.to_dataframe().loc["a", "oper_ram_mib"]) == 512


def test_alignment_follows_the_column() -> None:
    """An empty cell of a number column is right-aligned; a number in a text column left."""
    from ganetiops.display.html import rows_html

    html = rows_html(
        [{"name": "a", "mfree": 1024, "note": 5}, {"name": "b", "mfree": None, "note": "x"}]
    )
    cells = [align for tag, _, align in aligned_cells(html) if tag == "td"]
    assert cells == ["left", "right", "left", "left", "right", "left"]
