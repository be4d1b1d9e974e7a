"""Fixtures on the DRBD lab (:mod:`ganetiops.lab.vm`): three QEMU/TCG VMs with real DRBD.

This directory runs on its own, in parallel with the namespace suite if wanted::

    CI=true .venv/bin/pytest -v --timeout=2400 tests/drbd

``drbd_lab``
    A fresh DRBD lab named ``GANETIOPS_DRBD_LAB`` (default: the first 8 characters of
    ``GANETIOPS_LAB`` + ``xd``, e.g. ``labxd``, which ``.ci/run``'s cleanup also takes
    down), on slot ``GANETIOPS_DRBD_LAB_SLOT`` when set (else a free one), brought up once
    per module by the project's own bootstrap and taken down at the end.
    ``GANETIOPS_DRBD_LAB_REUSE=<name>`` uses that running DRBD lab as it is and never
    takes it down.
``rapi``
    A blocking client for the lab's write user (pinned certificate).

Without root, QEMU or enough memory these fixtures skip, which fails under ``CI=true``
(tests/conftest.py), as every integration test of the suite.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from ganetiops.errors import LabError
from ganetiops.lab.vm import DrbdLab, ImageSpec
from ganetiops.lab.vm.drbdlab import preflight
from ganetiops.lab.vm.image import find_image
from ganetiops.rapi import RapiClient

ENV_NAME = "GANETIOPS_DRBD_LAB"
ENV_REUSE = "GANETIOPS_DRBD_LAB_REUSE"
ENV_RELEASE = "GANETIOPS_DRBD_RELEASE"
ENV_SLOT = "GANETIOPS_DRBD_LAB_SLOT"


def drbd_lab_name() -> str:
    return os.environ.get(ENV_NAME) or f"{(os.environ.get('GANETIOPS_LAB') or 'lab')[:8]}xd"


def _say(config: pytest.Config, line: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)


def module_lab(
    config: pytest.Config,
    *,
    name: str,
    release: str,
    reuse_env: str,
    slot_env: str,
    nodes: int | None = None,
    title: str = "DRBD lab",
) -> Iterator[DrbdLab]:
    """A module's DRBD lab with its cluster: skipped without root or what the tier needs
    (a failure under CI=true); the running lab named by ``reuse_env`` when set; else a
    fresh one (slot from ``slot_env``), taken down at the end."""
    if os.geteuid() != 0:
        pytest.skip("the DRBD lab needs root")
    try:
        preflight(build=find_image(ImageSpec(release=release)) is None)
    except LabError as exc:
        pytest.skip(str(exc))
    reuse = os.environ.get(reuse_env)
    if reuse:
        existing = DrbdLab(reuse)
        if not existing.is_up() or existing.facts().cluster is None:
            pytest.fail(f"{reuse_env}={reuse}: no DRBD lab of that name is up with a cluster")
        yield existing
        return
    slot_text = os.environ.get(slot_env)
    lab = DrbdLab(
        name,
        int(slot_text) if slot_text else None,
        release=release,
        nodes=nodes,
        progress=lambda s: _say(config, s),
    )
    if lab.record() is not None:
        pytest.fail(f"lab {lab.name} exists: take it down (gnt-py lab --name {lab.name} down)")
    started = time.monotonic()
    try:
        facts = lab.up()
        size = f", {nodes} node{'s' if nodes != 1 else ''}" if nodes else ""
        _say(
            config,
            f"\n{title} {lab.name} (slot {facts.slot}, {facts.release}, Ganeti {facts.ganeti}"
            f"{size}) up in {time.monotonic() - started:.0f} s",
        )
        yield lab
    finally:
        lab.down()


@pytest.fixture(scope="module")
def drbd_lab(pytestconfig: pytest.Config) -> Iterator[DrbdLab]:
    """The module's DRBD lab with its cluster (see the module docstring)."""
    # Its own slot variable: GANETIOPS_LAB_SLOT is the namespace lab's, which runs beside.
    yield from module_lab(
        pytestconfig,
        name=drbd_lab_name(),
        release=os.environ.get(ENV_RELEASE) or "bookworm",
        reuse_env=ENV_REUSE,
        slot_env=ENV_SLOT,
    )


@pytest.fixture(scope="module")
def rapi(drbd_lab: DrbdLab) -> Iterator[RapiClient]:
    with drbd_lab.cluster().client(read_timeout=120.0) as client:
        yield client
