"""Secrets stay secret: the lab's RAPI passwords and SSH private keys never appear in
anything gnt-py prints at the most verbose level (``-vv``), in the argv of gnt-py or of
any process it starts (``/proc/PID/cmdline``, sampled while it runs), in the environment
variables gnt-py hands to those processes (``/proc/PID/environ``, beyond what the caller
gave gnt-py itself), in exception
texts and reprs, or in files it writes (contexts and password files are 0600).
Every command runs against the real lab, directly and through the SSH tunnel.
"""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ganetiops import errors
from ganetiops.config import Secret, load_config
from ganetiops.lab import Lab, LabFacts
from ganetiops.rapi import RapiClient

pytestmark = pytest.mark.integration

GNT_PY = str(Path(sys.executable).with_name("gnt-py"))
WRONG = "not-the-password-7f3e9a"


def _secrets(lab: Lab, facts: LabFacts) -> dict[str, str]:
    """Every secret of the lab, in every form it could leak in (by a label)."""
    assert facts.cluster is not None
    found: dict[str, str] = {"wrong password": WRONG}
    for user in facts.cluster.users:
        password = Path(user.password_file).read_text().strip()
        assert len(password) >= 16
        found[f"{user.name} password"] = password
        token = base64.b64encode(f"{user.name}:{password}".encode()).decode()
        found[f"{user.name} basic-auth token"] = token
    for key in sorted(lab.layout.dir.glob("keys/*")):
        if key.suffix == ".pub":
            continue
        lines = key.read_text().strip().splitlines()[1:-1]  # the base64 body
        for index, line in enumerate(lines):
            if len(line) >= 20:
                found[f"{key.name} line {index}"] = line
    return found


class Sampler:
    """Collects /proc/PID/cmdline of a process and all its descendants while it runs, and
    the environment of each descendant (what gnt-py hands to the processes it starts)."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.argvs: dict[int, str] = {}
        self.environs: dict[int, dict[str, str]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _children(self) -> dict[int, int]:
        parents = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    text = Path(f"/proc/{entry.name}/stat").read_text()
                    parents[int(entry.name)] = int(text[text.rindex(")") + 2 :].split()[1])
                except (OSError, ValueError):
                    continue
        return parents

    def _run(self) -> None:
        while not self._stop.is_set():
            parents = self._children()
            ours = {self.root}
            changed = True
            while changed:
                more = {pid for pid, parent in parents.items() if parent in ours} - ours
                changed = bool(more)
                ours |= more
            for pid in ours:
                try:
                    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if raw:
                    self.argvs[pid] = raw.replace(b"\0", b" ").decode("utf-8", "replace")
                if pid != self.root and pid not in self.environs:
                    self._read_environ(pid)
            time.sleep(0.01)

    def _read_environ(self, pid: int) -> None:
        try:
            raw = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            return
        pairs = (item.decode("utf-8", "replace").partition("=") for item in raw.split(b"\0"))
        self.environs[pid] = {key: value for key, _, value in pairs if key}

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _run(
    argv: list[str], env: dict[str, str], stdin: str | None = None
) -> tuple[str, list[str], list[dict[str, str]]]:
    """Run gnt-py; return everything it printed, the argv of every process seen, and the
    environment variables gnt-py's descendants got that the caller did not give it."""
    process = subprocess.Popen(
        [GNT_PY, "-vv", *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    sampler = Sampler(process.pid)
    try:
        out, err = process.communicate(stdin, timeout=300)
    finally:
        sampler.stop()
    assert "Traceback" not in err, err
    added = [
        {key: value for key, value in environ.items() if env.get(key) != value}
        for environ in sampler.environs.values()
    ]
    return out + err, list(sampler.argvs.values()), added


def test_no_secret_in_output_argv_files_or_reprs(
    lab: Lab, lab_facts: LabFacts, tmp_path: Path
) -> None:
    cluster = lab_facts.cluster
    assert cluster is not None
    secrets = _secrets(lab, lab_facts)
    password = Path(cluster.user("write").password_file).read_text().strip()
    home = tmp_path / "home"
    home.mkdir()
    config = home / "config" / "ganetiops.toml"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GANETIOPS_CONFIG": str(config),
        "LAB_PW": password,
        "WRONG_PW": WRONG,
    }
    fp = cluster.certificate_sha256
    nodes = [a for n in lab_facts.nodes for a in ("--ssh-node", n.primary_ip)]
    commands: list[tuple[list[str], str | None]] = [
        (["context", "add", "direct", "--url", cluster.url, "--user", "gnt-py",
          "--password-stdin", "--certificate-sha256", fp, "--use", "--yes"], password + "\n"),
        (["context", "add", "tunnel", "--url", "https://gnt.homelab.tel:5080", "--user",
          "gnt-py", "--password-env", "LAB_PW", "--certificate-sha256", fp, *nodes,
          "--ssh-key", lab_facts.workstation_key, "--ssh-known-hosts", lab_facts.known_hosts,
          "--yes"], None),
        (["context", "add", "wrong", "--url", cluster.url, "--user", "gnt-py",
          "--password-env", "WRONG_PW", "--certificate-sha256", fp, "--yes"], None),
        (["context", "list"], None),
        (["context", "show", "direct"], None),
        (["context", "show", "tunnel"], None),
        (["cluster", "info"], None),
        (["--format", "json", "node", "list"], None),
        (["instance", "list"], None),
        (["job", "list"], None),
        (["group", "add", "fsecret"], None),
        (["group", "remove", "fsecret", "--yes"], None),
        (["--context", "tunnel", "cluster", "info"], None),
        (["--context", "tunnel", "--format", "yaml", "job", "list"], None),
        (["--context", "wrong", "cluster", "info"], None),  # 401: its error text
        (["lab", "--name", lab.name, "status"], None),  # spawns nsenter & co
    ]  # fmt: skip
    printed: list[str] = []
    argvs: list[str] = []
    child_envs: list[dict[str, str]] = []
    for argv, stdin in commands:
        text, seen, environs = _run(argv, env, stdin)
        printed.append(text)
        argvs.extend(seen)
        child_envs.extend(environs)
    everything = "\n".join(printed)
    assert "Unauthorized" in everything  # the wrong password did reach the server
    assert "gnt.homelab.tel" in everything  # the commands did talk to the cluster
    assert len(argvs) >= len(commands)
    assert child_envs  # lab status starts nsenter & co: their environments were read

    written: dict[Path, str] = {}
    for path in home.rglob("*"):
        if path.is_file():
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode & 0o077 == 0, f"{path} is mode {mode:o}"  # 0600: private
            written[path] = path.read_text(errors="replace")
    stored = [p for p, text in written.items() if password in text]
    assert len(stored) == 1 and stored[0] != config  # the --password-stdin file only

    # In-process: reprs and exception texts.
    loaded = load_config(config)
    with RapiClient(cluster.url, user="gnt-py", password=Secret(WRONG),
                    certificate_sha256=fp) as bad:  # fmt: skip
        with pytest.raises(errors.RapiAuthError) as caught:
            bad.cluster.info()
        client_repr = repr(bad) + repr(bad.auth) + repr(bad.instances)
    texts = {
        "printed": everything,
        "argv": "\n".join(argvs),
        "child environments": "\n".join(f"{k}={v}" for e in child_envs for k, v in e.items()),
        "config file": written[config],
        "reprs": client_repr + repr(loaded) + repr(loaded.contexts) + repr(Secret(password)),
        "exception": str(caught.value) + repr(caught.value),
    }
    leaks = [
        f"{label} in {where}"
        for where, text in texts.items()
        for label, secret in secrets.items()
        if secret in text
    ]
    assert leaks == []
    searched = sum(len(t) for t in texts.values())
    print(f"secrets test: {len(commands)} commands, {len(argvs)} argv and "
          f"{len(child_envs)} child environments seen, "
          f"{len(secrets)} secret forms, {searched} bytes searched")  # fmt: skip
