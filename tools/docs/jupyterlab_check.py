"""Open the executed notebook in real JupyterLab and check what a person sees (root).

    python3 -m venv ~/.venvs/jupyterlab && ~/.venvs/jupyterlab/bin/pip install jupyterlab
    ~/.venvs/jupyterlab/bin/python tools/docs/jupyterlab_check.py [NOTEBOOK] [--screenshot PNG]

JupyterLab and headless Chromium run in a network namespace of their own that has only
a loopback interface: nothing can leave the machine. Chromium is driven over the
DevTools protocol (tornado's websocket client, which JupyterLab brings): the notebook
opens untrusted (JupyterLab then drops ``<style>`` elements of outputs, as for any
notebook you did not run), every cell of the library's tables reports its computed
``text-align``, and a plain pandas cell is the control that JupyterLab's right-aligning
rule is in force. Exits 1 when a text cell is not left or a number cell not right.
Everything started is stopped by its PID, the namespace removed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tornado.websocket import websocket_connect

ROOT = Path(__file__).resolve().parents[2]
NETNS = f"gntjl{os.getpid() % 10000}"
PORT, DEBUG = 8899, 9333
TOKEN = "gnt-check"  # noqa: S105 - a loopback-only server in a namespace of its own
PROBE = r"""(() => {
  const cells = [];
  document.querySelectorAll('table.gnt-table td').forEach(c =>
    cells.push([c.classList.contains('num'), getComputedStyle(c).textAlign]));
  const plain = document.querySelector('.jp-OutputArea-output table.dataframe td');
  return JSON.stringify({cells: cells.length,
    text: [...new Set(cells.filter(c => !c[0]).map(c => c[1]))],
    numbers: [...new Set(cells.filter(c => c[0]).map(c => c[1]))],
    control: plain ? getComputedStyle(plain).textAlign : null});
})()"""


async def look(url: str, screenshot: Path | None) -> dict:
    targets = None
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{DEBUG}/json") as answer:
                targets = json.load(answer)
            break
        except OSError:
            await asyncio.sleep(0.5)
    assert targets, "chromium did not start"
    page = next(t for t in targets if t["type"] == "page")
    ws = await websocket_connect(page["webSocketDebuggerUrl"], max_message_size=200_000_000)
    counter = 0

    async def call(method: str, **params: object) -> dict:
        nonlocal counter
        counter += 1
        ws.write_message(json.dumps({"id": counter, "method": method, "params": params}))
        while True:
            message = json.loads(await ws.read_message())
            if message.get("id") == counter:
                return message.get("result", message)

    await call("Page.navigate", url=url)
    found: dict = {"cells": 0}
    last = -1
    for _ in range(180):  # the cells appear as JupyterLab renders them
        await asyncio.sleep(1)
        result = await call("Runtime.evaluate", expression=PROBE)
        found = json.loads(result["result"]["value"])
        if found["cells"] and found["cells"] == last:
            break
        last = found["cells"]
    if screenshot is not None:
        shot = await call("Page.captureScreenshot", format="png")
        screenshot.write_bytes(base64.b64decode(shot["data"]))
    return found


def inner(notebook: Path, screenshot: Path | None) -> dict:
    """Inside the namespace: JupyterLab and Chromium, stopped by PID at the end."""
    jupyter = Path(sys.executable).with_name("jupyter")
    started: list[subprocess.Popen] = []
    work = Path(tempfile.mkdtemp(prefix="gnt-jl-"))
    try:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        shutil.copy(notebook, work / "notebook.ipynb")
        settings = work / "settings/@jupyterlab/notebook-extension"
        settings.mkdir(parents=True)
        # Render every cell at once (no windowing): the probe and the screenshot see all.
        (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
        env = {**os.environ, "HOME": str(work), "JUPYTERLAB_SETTINGS_DIR": str(work / "settings")}
        with (work / "jupyter.log").open("w") as log:
            started.append(
                subprocess.Popen(
                    [
                        str(jupyter),
                        "lab",
                        "--allow-root",
                        "--no-browser",
                        "--ip=127.0.0.1",
                        f"--port={PORT}",
                        f"--IdentityProvider.token={TOKEN}",
                        f"--ServerApp.root_dir={work}",
                        "--LabApp.news_url=None",
                        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            )
        ready = f"http://127.0.0.1:{PORT}/api/status?token={TOKEN}"
        for _ in range(240):
            try:
                with urllib.request.urlopen(ready):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"JupyterLab did not start: {(work / 'jupyter.log').read_text()}")
        started.append(
            subprocess.Popen(
                [
                    "chromium",
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--hide-scrollbars",
                    f"--user-data-dir={work / 'profile'}",
                    "--window-size=1400,5200",
                    f"--remote-debugging-port={DEBUG}",
                    "about:blank",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        url = f"http://127.0.0.1:{PORT}/lab/tree/notebook.ipynb?token={TOKEN}"
        return asyncio.run(look(url, screenshot))
    finally:
        for process in reversed(started):
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "notebook", nargs="?", type=Path, default=ROOT / "docs/examples/cluster-inspection.ipynb"
    )
    parser.add_argument("--screenshot", type=Path)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    screenshot = args.screenshot.resolve() if args.screenshot else None
    if args.inside:
        print(json.dumps(inner(args.notebook.resolve(), screenshot)))
        return 0
    subprocess.run(["ip", "netns", "add", NETNS], check=True)
    try:
        argv = [sys.executable, __file__, str(args.notebook), "--inside"]
        if screenshot:
            argv += ["--screenshot", str(screenshot)]
        done = subprocess.run(
            ["ip", "netns", "exec", NETNS, *argv], capture_output=True, text=True, check=False
        )
    finally:
        subprocess.run(["ip", "netns", "delete", NETNS], check=False)
    if done.returncode:
        print(done.stderr, file=sys.stderr)
        return 2
    found = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(found))
    ok = found["cells"] > 0 and found["text"] == ["left"] and found["numbers"] == ["right"]
    print("JupyterLab: text left, numbers right" if ok else "JupyterLab: MISALIGNED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
