"""examples/cluster-inspection.ipynb, executed top to bottom against the lab (nbclient),
then rendered as JupyterLab and classic Notebook draw it (nbconvert's ``lab`` and
``classic`` templates carry their CSS, JupyterLab's right-aligning ``td`` rule included)
and looked at in headless Chromium: the computed alignment of the cells, the picture.

Screenshots land in ``$GANETIOPS_ARTEFACTS`` when that is set (CI keeps them), else in
the test's temporary directory; the path is printed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ganetiops.lab import Lab, LabFacts
from ganetiops.rapi import RapiClient
from tests.integration import chromium

pytestmark = pytest.mark.integration

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "cluster-inspection.ipynb"
DEMO = "nbdemo1"


@pytest.fixture(scope="module")
def demo(lab: Lab, lab_facts: LabFacts) -> Iterator[str]:
    with RapiClient.from_context(lab_facts.name) as client:
        if DEMO in client.instances.names():
            client.instances.remove(DEMO).wait(timeout=300)
        node = lab_facts.nodes[0].fqdn
        client.instances.create(
            DEMO,
            disk_template="diskless",
            disks=[],
            nics=[{}],
            os="noop",
            name_check=False,  # names not in DNS: as gnt-instance add --no-name-check
            ip_check=False,
            pnode=node,
            beparams={"memory": "256M"},
        ).wait(timeout=300)
        yield DEMO
        client.instances.remove(DEMO).wait(timeout=300)


def outputs(cell: Any) -> str:
    """Everything a code cell showed, HTML preferred."""
    parts = []
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        parts.append(str(data.get("text/html") or data.get("text/plain") or out.get("text", "")))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def executed(lab: Lab, lab_facts: LabFacts, demo: str) -> Any:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GNTPY_CONTEXT", lab_facts.name)
        patch.setenv("MPLBACKEND", "Agg")
        nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    return notebook


def test_notebook_runs_and_shows_the_cluster(lab_facts: LabFacts, demo: str, executed: Any) -> None:
    notebook = executed
    code = [c for c in notebook.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    shown = {c.source.splitlines()[0]: outputs(c) for c in code}

    assert lab_facts.cluster is not None
    client = next(v for k, v in shown.items() if k.startswith("import os"))
    assert "RapiClient" in client and "pinned SHA-256" in client
    info = next(v for k, v in shown.items() if k.startswith("info ="))
    assert lab_facts.cluster.name in info
    assert "gnt-table" in info  # the HTML card, not the repr
    nodes = next(v for k, v in shown.items() if k.startswith("nodes ="))
    for node in lab_facts.nodes:
        assert node.fqdn in nodes
    assert "● master" in nodes
    instances = next(v for k, v in shown.items() if k.startswith("instances ="))
    assert demo in instances
    assert "256M" in instances  # sizes readable
    assert "● running" in instances
    frame = next(v for k, v in shown.items() if k.startswith("df ="))
    assert demo in frame
    assert "memory_mib" in frame  # the unit in the column's name
    styled = next(v for k, v in shown.items() if k.startswith("instances.styled"))
    assert "256M" in styled
    capacity = next(v for k, v in shown.items() if k.startswith("report ="))
    assert "N+1" in capacity
    assert "Disk: shared pool (sharedfile)" in capacity  # the lab's default template
    plots = [o for c in code for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(plots) == 1
    query = next(v for k, v in shown.items() if k.startswith("result ="))
    assert demo in query
    jobs = next(v for k, v in shown.items() if k.startswith("jobs.to_dataframe"))
    assert "+00:00" in jobs  # datetimes, in UTC


@pytest.mark.parametrize("template", ["lab", "classic"])
def test_rendered_notebook_aligns_text_left_and_numbers_right(
    executed: Any, template: str, tmp_path: Path
) -> None:
    """What a person sees: nbconvert's page in Chromium, JupyterLab's CSS in force."""
    nbconvert = pytest.importorskip("nbconvert")
    page, _ = nbconvert.HTMLExporter(template_name=template).from_notebook_node(executed)
    if template == "lab":
        assert ":not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td" in page
    probed = tmp_path / f"notebook-{template}-probe.html"
    probed.write_text(chromium.offline_page(page, probe=True))
    found = chromium.probe(probed)
    if template == "lab":
        assert found["control"] == "right"  # the rule is active on a plain cell...
    cells = found["cells"]
    assert len(cells) > 50
    numbers = [c for c in cells if c["tag"] == "td" and c["num"]]
    text = [c for c in cells if c["tag"] == "td" and not c["num"]]
    assert numbers and text
    assert {c["align"] for c in numbers} == {"right"}  # ...and loses on ours
    assert {c["align"] for c in text} == {"left"}, [c for c in text if c["align"] != "left"]
    assert any(c["text"] == "256M" and c["align"] == "right" for c in numbers)
    assert any(c["text"].startswith("● running") and c["align"] == "left" for c in text)
    figure = [i for i in found["images"] if i["width"] > 600]
    assert figure, found["images"]  # the capacity picture is drawn

    shown = tmp_path / f"notebook-{template}.html"
    shown.write_text(chromium.offline_page(page))
    target = Path(os.environ.get("GANETIOPS_ARTEFACTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    picture = chromium.screenshot(shown, target / f"cluster-inspection-{template}.png")
    if target.resolve() != tmp_path.resolve():  # kept beside the screenshot
        shutil.copy(shown, target / shown.name)
    print(f"screenshot: {picture}")
