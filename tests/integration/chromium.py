"""Headless Chromium (Debian's ``chromium``) for looking at HTML as a person would.

Only local files are opened, and nothing leaves the machine: every host name resolves to
nothing (``--host-resolver-rules``), every request would go to a closed loopback proxy,
and remote ``<script src=https://...>`` tags (nbconvert's require.js and MathJax) are
removed from the page before it is opened.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
)
REMOTE_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>", re.I)

#: Runs on load: the computed text-align of every cell of the library's tables, and of a
#: plain cell under JupyterLab's output classes (the control: the rule must be active).
PROBE = """<script>
window.addEventListener("load", () => {
  const cells = [];
  document.querySelectorAll("table.gnt-table").forEach((table, index) => {
    table.querySelectorAll("td, th").forEach((cell) => {
      cells.push({table: index, tag: cell.tagName.toLowerCase(),
                  num: cell.classList.contains("num"),
                  align: getComputedStyle(cell).textAlign,
                  text: cell.textContent.trim().slice(0, 40)});
    });
  });
  const control = document.createElement("div");
  control.className = "jp-RenderedHTMLCommon jp-RenderedHTML jp-OutputArea-output";
  control.innerHTML = "<table><tbody><tr><td>plain</td></tr></tbody></table>";
  document.body.appendChild(control);
  const images = Array.from(document.querySelectorAll("img")).map(
    (img) => ({width: img.naturalWidth, height: img.naturalHeight}));
  const out = document.createElement("pre");
  out.id = "gnt-probe";
  out.textContent = JSON.stringify({
    cells, images, control: getComputedStyle(control.querySelector("td")).textAlign});
  document.body.appendChild(out);
});
</script>"""


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return found


def offline_page(page: str, probe: bool = False) -> str:
    """The page without remote scripts (and with the probe, if asked)."""
    page = REMOTE_SCRIPT.sub("", page)
    assert 'src="http' not in page, "a remote resource is left in the page"
    if probe:
        page = page.replace("</body>", PROBE + "</body>", 1)
    return page


def _run(args: list[str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="gnt-chromium-") as profile:
        return subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def probe(page: Path) -> dict[str, Any]:
    """Open ``page`` (already offline, with the probe) and return what the probe found."""
    done = _run(["--virtual-time-budget=10000", "--dump-dom", page.resolve().as_uri()])
    match = re.search(r'<pre id="gnt-probe">(.*?)</pre>', done.stdout, re.S)
    assert match, f"the probe did not run:\n{done.stderr[-2000:]}"
    found: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return found


def screenshot(page: Path, target: Path, width: int = 1280, height: int = 6000) -> Path:
    """A PNG of the page, ``width`` × ``height`` pixels."""
    done = _run(
        [f"--window-size={width},{height}", f"--screenshot={target}", page.resolve().as_uri()]
    )
    assert target.exists() and target.stat().st_size > 10_000, done.stderr[-2000:]
    return target
