"""Make docs/images/notebook-capacity.png from the executed notebook in docs/examples/.

    .venv/bin/python tools/docs/notebook_picture.py [docs/examples/cluster-inspection.ipynb]

Keeps the capacity table and the capacity picture, renders them with nbconvert's
JupyterLab template in headless Chromium (offline: no host name resolves), crops the
margins and writes a small palette PNG.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import nbconvert
import nbformat
from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.integration.chromium import FLAGS, offline_page  # noqa: E402

TARGET = ROOT / "docs" / "images" / "notebook-capacity.png"


def main() -> None:
    source = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs/examples/cluster-inspection.ipynb"
    )
    notebook = nbformat.read(source, as_version=4)
    keep = ("report = display.capacity", "figure = report.plot")
    notebook.cells = [
        c for c in notebook.cells if c.cell_type == "code" and any(k in c.source for k in keep)
    ]
    assert len(notebook.cells) == 2, "the notebook has no capacity cells"
    exporter = nbconvert.HTMLExporter(template_name="lab", exclude_input=True)
    page, _ = exporter.from_notebook_node(notebook)
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "capacity.html"
        html.write_text(offline_page(page))
        shot = Path(tmp) / "shot.png"
        subprocess.run(
            [
                "chromium",
                *FLAGS,
                f"--user-data-dir={tmp}/profile",
                "--window-size=1100,1400",
                f"--screenshot={shot}",
                html.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        image = Image.open(shot).convert("RGB")
    background = Image.new("RGB", image.size, image.getpixel((0, 0)))
    box = ImageChops.difference(image, background).getbbox()
    assert box, "the screenshot is empty"
    left, top, right, bottom = box
    image = image.crop((max(left - 8, 0), max(top - 8, 0), right + 8, bottom + 8))
    image = image.resize((image.width * 4 // 5, image.height * 4 // 5), Image.LANCZOS)
    image.quantize(colors=96).save(TARGET, optimize=True)
    print(
        f"{TARGET.relative_to(ROOT)}: {image.width}×{image.height}, {TARGET.stat().st_size} bytes"
    )


if __name__ == "__main__":
    main()
