"""examples/cluster-inspection.ipynb, executed top to bottom against the lab (nbclient)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ganetiops.lab import Lab, LabFacts
from ganetiops.rapi import RapiClient

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


def test_notebook_runs_and_shows_the_cluster(
    lab: Lab, lab_facts: LabFacts, demo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("GNTPY_CONTEXT", lab_facts.name)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute()

    code = [c for c in notebook.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    shown = {c.source.splitlines()[0]: outputs(c) for c in code}

    assert lab_facts.cluster is not None
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
    capacity = next(v for k, v in shown.items() if k.startswith("report ="))
    assert "N+1" in capacity
    plots = [o for c in code for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(plots) == 1
    query = next(v for k, v in shown.items() if k.startswith("result ="))
    assert demo in query
