"""Hypothesis over gnt-py's argument parsing, against the real lab.

Every generated command line carries input that must be refused (a name RAPI cannot
address, a size that is not one, a bad address, an unknown format, a path through
``..``, unicode, very long values). gnt-py runs in-process (``run(cli, argv)``, so an
unexpected exception is a test failure, not a hidden traceback) and must end with a
clear message and a non-zero exit. Nothing may be sent: after the fuzz the lab's job
queue has no new job and ganeti-rapi's own request log has no new write request
(every request is logged there with its method and path). Read commands with fuzzed
``-o``/``-F`` may be sent (they only read); they must not raise either.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganetiops import errors
from ganetiops.cli.app import cli
from ganetiops.cli.state import run
from ganetiops.lab import Lab, LabFacts
from ganetiops.rapi import RapiClient, validate
from ganetiops.rapi.call import check_name

pytestmark = pytest.mark.integration

texts = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="abc.-_/:=,01239GMKT!~ \"'[]()é\u202e", max_size=30),
    st.sampled_from(["", ".", "..", "../../etc/passwd", "a/../b", "\n", "x\n", "ü.homelab.tel"]),
    st.text(min_size=300, max_size=3000),
)


def _refused(check: Callable[[str], Any]) -> Callable[[str], bool]:
    def refused(text: str) -> bool:
        try:
            check(text)
        except errors.ValidationError:
            return True
        return False

    return refused


bad_names = texts.filter(_refused(lambda t: check_name(t, "name")))
bad_sizes = texts.filter(_refused(validate.size_mib))
bad_cidrs = texts.filter(_refused(lambda t: validate.ipv4_network(t, "network")))
bad_formats = texts.filter(lambda t: t not in ("table", "json", "yaml"))

NEW = "fuzzc.homelab.tel"
CREATE = ["instance", "create", NEW, "-o", "noop", "--no-nics", "--no-start", "--yes"]


def write_commands() -> st.SearchStrategy[list[str]]:
    """Job-submitting command lines with at least one input that must be refused."""
    return st.one_of(
        st.builds(
            lambda op, n: ["instance", op, n, "--yes"],
            st.sampled_from(["reboot", "startup", "shutdown", "remove", "migrate", "failover"]),
            bad_names,
        ),
        st.builds(lambda n, t: ["instance", "add-tags", n, t], bad_names, texts),
        st.builds(lambda n, b: ["instance", "modify", n, "-B", b], bad_names, texts),
        st.builds(
            lambda s: [*CREATE, "-t", "sharedfile", "-s", s],
            bad_sizes,
        ),
        st.builds(
            lambda m: [*CREATE, "-t", "diskless", "--memory", m],
            bad_sizes,
        ),
        st.builds(lambda n: ["instance", "create", n, *CREATE[3:], "-t", "diskless"], bad_names),
        st.builds(lambda n: ["group", "add", n], bad_names),
        st.builds(lambda n: ["group", "rename", "default", n], bad_names),
        st.builds(lambda c: ["network", "add", "fuzznet", "--network", c], bad_cidrs),
        st.builds(lambda n, ip: ["node", "modify", n, "-s", ip, "--yes"], bad_names, texts),
        st.builds(lambda n: ["node", "evacuate", n, "--yes"], bad_names),
        st.builds(lambda f: ["--format", f, "group", "add", "fuzzgrp"], bad_formats),
        st.builds(lambda p: ["cluster", "rapi-user", "list", "--inventory", f"../../{p}"], texts),
    )


def read_commands() -> st.SearchStrategy[list[str]]:
    return st.one_of(
        st.builds(lambda o: ["instance", "list", "-o", o], texts),
        st.builds(lambda f: ["job", "list", "-F", f], texts),
        st.builds(lambda f: ["node", "list", "-F", f], texts),
        st.builds(lambda n: ["instance", "info", n], texts),
    )


@contextlib.contextmanager
def _captured() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        yield buffer


def _write_requests(log: Path) -> list[str]:
    """ganeti-rapi's log lines for requests other than reads (GET, PUT /2/query)."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return [
        line
        for line in lines
        if re.search(r" (POST|DELETE|PUT) /", line) and " PUT /2/query/" not in line
    ]


@pytest.fixture(scope="module")
def observed(lab: Lab, lab_facts: LabFacts) -> Iterator[dict[str, Any]]:
    """Counts the fuzz runs; afterwards checks that nothing was submitted."""
    assert lab_facts.cluster is not None
    log = lab.layout.machine("aleph") / "var-log-ganeti" / "rapi-daemon.log"
    options: dict[str, Any] = {
        "user": lab_facts.cluster.user("write").name,
        "password": lab_facts.cluster.password("write"),
        "certificate_sha256": lab_facts.cluster.certificate_sha256,
    }
    with RapiClient(lab_facts.cluster.url, **options) as client:
        jobs_before = set(client.jobs.ids())
        writes_before = len(_write_requests(log))
        state: dict[str, Any] = {"runs": 0, "codes": {}, "context": lab.name}
        try:
            yield state
        finally:
            made = (NEW in client.instances.names(), "fuzzgrp" in client.groups.names())
            if made[0]:
                client.instances.remove(NEW).wait(timeout=300)
            if made[1]:
                client.groups.remove("fuzzgrp").wait(timeout=300)
        assert set(client.jobs.ids()) - jobs_before == set()  # no job was made
        assert made == (False, False)
    assert _write_requests(log)[writes_before:] == []  # no write request reached RAPI
    print(f"CLI fuzz: {state['runs']} command lines, exit codes {state['codes']}, 0 tracebacks")


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(argv=write_commands())
def test_bad_input_to_writing_commands_is_refused_before_sending(
    observed: dict[str, Any], argv: list[str]
) -> None:
    with _captured() as out:
        code = run(cli, ["--context", observed["context"], *argv])
    observed["runs"] += 1
    observed["codes"][code] = observed["codes"].get(code, 0) + 1
    text = out.getvalue()
    assert code == 2, (argv, code, text)  # USAGE: refused before anything was sent
    assert "Error" in text and "Traceback" not in text


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(argv=read_commands())
def test_fuzzed_read_options_never_raise(observed: dict[str, Any], argv: list[str]) -> None:
    with _captured() as out:
        code = run(cli, ["--context", observed["context"], *argv])
    observed["runs"] += 1
    observed["codes"][code] = observed["codes"].get(code, 0) + 1
    assert code in (0, 2, 6, 7), (argv, code, out.getvalue())
    assert "Traceback" not in out.getvalue()


def test_the_fuzz_used_the_lab_context(observed: dict[str, Any]) -> None:
    assert os.environ.get("GANETIOPS_CONFIG") or Path.home().joinpath(".config").exists()
    assert observed["runs"] >= 300
