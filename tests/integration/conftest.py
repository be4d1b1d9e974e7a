"""Fixtures on the namespace lab (:mod:`ganetiops.lab`), for every integration test.

``lab``
    The session's lab with a cluster. By default a fresh lab named ``GANETIOPS_LAB``
    (default ``lab``, slot ``GANETIOPS_LAB_SLOT`` or its default) is brought up at the
    first use and always taken down at the end. With ``GANETIOPS_LAB_REUSE=<name>`` the
    running lab of that name is used as it is and never taken down (fast iteration:
    ``gnt-py lab --name dev1 up --slot 1 --default-hypervisor fake`` once, then run the
    tests many times).
``lab_facts``
    ``lab.facts()``: nodes, addresses, keys, boot server, RAPI URL/users/certificate.
``lab_factory``
    ``lab_factory(bare=True, rapi_bind="all") -> Lab``: one more lab, in a free slot,
    named ``<session lab name>x<N>``; every lab it made is taken down at the end.
``bare_lab``
    One bare lab for the session (prepared nodes, no cluster), from ``lab_factory``.

Every lab these fixtures make (and a reused one) has ``fake`` as the cluster's default
hypervisor (:data:`SUITE_HYPERVISOR`): the suite creates many instances that need no VM;
``gnt-py lab up`` makes ``kvm`` the default for the user's headline, and the tests that
boot a real VM say ``--hypervisor kvm``.

Without root or without the lab's packages these fixtures skip, which fails the test
under ``CI=true`` (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

import pytest

from ganetiops.errors import LabError
from ganetiops.lab import Lab, LabFacts
from ganetiops.lab.host import preflight

ENV_REUSE = "GANETIOPS_LAB_REUSE"
#: The default hypervisor of the suite's labs (``gnt-py lab up --default-hypervisor fake``).
SUITE_HYPERVISOR = "fake"
MAX_SPARE_LABS = 9


def _require_lab_host() -> None:
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    try:
        preflight()
    except LabError as exc:
        pytest.skip(str(exc))


def _announce(config: pytest.Config, lab: Lab, how: str) -> None:
    """Say in the test output which lab the integration tests run against."""
    facts = lab.facts()
    nodes = ", ".join(f"{n.name} {n.primary_ip}/{n.secondary_ip}" for n in facts.nodes)
    cluster = facts.cluster.url if facts.cluster else "no cluster"
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None:
        # Output capture is on during fixture setup: step past it for this one line.
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.write_line(
                f"\nlab {facts.name} (slot {facts.slot}, {how}): {nodes}; "
                f"boot {facts.boot.ip}; cluster {cluster}"
            )


@pytest.fixture(scope="session")
def lab(pytestconfig: pytest.Config) -> Iterator[Lab]:
    """The session's 4-node lab with a cluster (see the module docstring)."""
    _require_lab_host()
    reuse = os.environ.get(ENV_REUSE)
    if reuse:
        existing = Lab(reuse)
        if not existing.is_up() or existing.facts().cluster is None:
            pytest.fail(f"{ENV_REUSE}={reuse}: no lab of that name is up with a cluster")
        if existing.default_hypervisor != SUITE_HYPERVISOR:
            pytest.fail(
                f"{ENV_REUSE}={reuse}: its default hypervisor is {existing.default_hypervisor}; "
                f"the suite's instances would be real VMs. Take it down (gnt-py lab --name "
                f"{reuse} down) and up again with --default-hypervisor {SUITE_HYPERVISOR}"
            )
        _announce(pytestconfig, existing, "reused, left running")
        yield existing
        return
    fresh = Lab.from_env(default_hypervisor=SUITE_HYPERVISOR)
    if fresh.record() is not None:
        pytest.fail(
            f"lab {fresh.name} already exists: take it down (gnt-py lab --name {fresh.name} "
            f"down) or reuse it ({ENV_REUSE}={fresh.name})"
        )
    try:
        fresh.up()
        _announce(pytestconfig, fresh, "fresh, taken down at the end")
        yield fresh
    finally:
        fresh.down()


@pytest.fixture(scope="session")
def lab_facts(lab: Lab) -> LabFacts:
    """The session lab's facts."""
    return lab.facts()


@pytest.fixture(scope="session")
def lab_name_base() -> str:
    """The session lab's name: other labs of the session derive theirs from it."""
    return os.environ.get(ENV_REUSE) or Lab.from_env().name


@pytest.fixture(scope="session")
def lab_factory(lab_name_base: str) -> Iterator[Callable[..., Lab]]:
    """Make more labs in free slots; all of them are taken down at the end."""
    _require_lab_host()
    base = lab_name_base
    made: list[Lab] = []

    def make(*, bare: bool = True, rapi_bind: str = "all", nodes: int | None = None) -> Lab:
        if len(made) >= MAX_SPARE_LABS:
            raise LabError(f"lab_factory makes at most {MAX_SPARE_LABS} labs per session")
        spare = Lab(
            f"{base[:8]}x{len(made) + 1}",
            rapi_bind=rapi_bind,
            nodes=nodes,
            default_hypervisor=SUITE_HYPERVISOR,
        )
        spare.down()  # leftovers of an earlier, killed run of this same session
        made.append(spare)
        spare.up(bare=bare)
        return spare

    try:
        yield make
    finally:
        problems = []
        for spare in made:
            try:
                spare.down()
            except LabError as exc:
                problems.append(str(exc))
        if problems:
            raise LabError("; ".join(problems))


@pytest.fixture(scope="session")
def bare_lab(lab_factory: Callable[..., Lab]) -> Lab:
    """A lab with four prepared nodes and no cluster (the bootstrap's starting point)."""
    return lab_factory(bare=True)
