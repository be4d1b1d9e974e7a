"""docs/getting-started.md runs as written: its marked blocks, against the lab.

A block preceded by ``<!-- getting-started: run -->`` is run: a ``sh`` block as one bash
script, line by line, each line must succeed unless its comment says ``# fails`` (then
it must fail); a ``python`` block with this suite's interpreter. The page speaks of the
context ``lab``; here the context is the session lab's (the same name in CI).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from ganetiops.lab import Lab, LabFacts
from ganetiops.rapi import RapiClient

pytestmark = pytest.mark.integration

PAGE = Path(__file__).resolve().parents[2] / "docs" / "getting-started.md"
MARK = "<!-- getting-started: run -->"
BLOCK = re.compile(re.escape(MARK) + r"\s*```(\w+)\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str]]:
    found = [(lang, body) for lang, body in BLOCK.findall(PAGE.read_text())]
    assert found, f"no block of {PAGE.name} is marked {MARK}"
    return found


def bash_script(body: str) -> str:
    """Each line checked: ``exit`` with the line's text when it does not do as it says."""
    lines = ["set -u"]
    for line in body.splitlines():
        command = re.sub(r"\s+#.*$", "", line).strip()
        if not command:
            continue
        said = shlex.quote(command)
        if re.search(r"#\s*fails\b", line):
            lines.append(f"if {command}; then echo 'expected to fail: '{said} >&2; exit 97; fi")
        else:
            lines.append(f"{command} || {{ echo 'failed: '{said} >&2; exit 98; }}")
    return "\n".join(lines) + "\n"


def test_marked_blocks_cover_the_tour() -> None:
    langs = [lang for lang, _ in blocks()]
    assert langs.count("sh") >= 3
    assert langs.count("python") == 2
    text = PAGE.read_text()
    assert "sudo .venv/bin/gnt-py" not in text  # one way to call gnt-py
    assert "job watch 42" not in text  # no fixed job id


def test_getting_started_runs_as_written(lab: Lab, lab_facts: LabFacts) -> None:
    name = lab_facts.name
    env = {
        **os.environ,
        "GNTPY_CONTEXT": name,
        "MPLBACKEND": "Agg",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    with RapiClient.from_context(name) as client:
        for leftover in {"inst12.homelab.tel", "inst13.homelab.tel"} & set(
            client.instances.names()
        ):
            client.instances.remove(leftover).wait(timeout=300)
    try:
        for lang, body in blocks():
            body = body.replace("context show lab", f"context show {name}")
            body = body.replace('connect("lab")', f"connect({name!r})")
            if lang == "sh":
                done = subprocess.run(
                    ["bash", "-c", bash_script(body)],
                    capture_output=True,
                    text=True,
                    timeout=900,
                    env=env,
                    check=False,
                )
            else:
                assert lang == "python"
                done = subprocess.run(
                    [sys.executable, "-c", body],
                    capture_output=True,
                    text=True,
                    timeout=900,
                    env=env,
                    check=False,
                )
            assert done.returncode == 0, f"{lang} block:\n{body}\n{done.stderr[-3000:]}"
            if "job watch" in body:
                assert "inst12" in done.stdout  # the JSON info of the instance
            if "created on" in body:
                assert "created on" in done.stdout
    finally:
        with RapiClient.from_context(name) as client:
            for leftover in {"inst12.homelab.tel", "inst13.homelab.tel"} & set(
                client.instances.names()
            ):
                client.instances.remove(leftover).wait(timeout=300)
