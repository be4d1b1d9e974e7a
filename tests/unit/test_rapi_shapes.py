"""Malformed RAPI answers: every operation checks the shape of what it reads.

A fake transport (httpx.MockTransport) stands in for a server that answers nonsense:
no real Ganeti can be made to send a number where a list belongs, so this is the one
place such answers can be produced. Each wrong shape must end in one
:class:`RapiProtocolError` naming the request, never in a raw TypeError/KeyError/
AttributeError or in an empty success.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ganetiops import errors
from ganetiops.rapi import RapiClient

#: Read operations and the arguments they need.
READS: dict[str, Callable[[RapiClient], Any]] = {
    "cluster.info": lambda c: c.cluster.info(),
    "cluster.version": lambda c: c.cluster.version(),
    "cluster.features": lambda c: c.cluster.features(),
    "cluster.tags": lambda c: c.cluster.tags(),
    "os.list": lambda c: c.os.list(),
    "instances.list": lambda c: c.instances.list(),
    "instances.names": lambda c: c.instances.names(),
    "instances.get": lambda c: c.instances.get("web1"),
    "instances.tags": lambda c: c.instances.tags("web1"),
    "instances.console": lambda c: c.instances.console("web1"),
    "nodes.list": lambda c: c.nodes.list(),
    "nodes.names": lambda c: c.nodes.names(),
    "nodes.get": lambda c: c.nodes.get("aleph"),
    "nodes.role": lambda c: c.nodes.role("aleph"),
    "nodes.tags": lambda c: c.nodes.tags("aleph"),
    "groups.list": lambda c: c.groups.list(),
    "groups.names": lambda c: c.groups.names(),
    "groups.get": lambda c: c.groups.get("default"),
    "networks.list": lambda c: c.networks.list(),
    "networks.names": lambda c: c.networks.names(),
    "networks.get": lambda c: c.networks.get("net1"),
    "jobs.list": lambda c: c.jobs.list(),
    "jobs.ids": lambda c: c.jobs.ids(),
    "jobs.get": lambda c: c.jobs.get(1),
    "jobs.cancel": lambda c: c.jobs.cancel(1),
    "query.query": lambda c: c.query.query("instance", ["name"]),
    "query.fields": lambda c: c.query.fields("instance"),
    "filters.list": lambda c: c.filters.list(),
    "filters.uuids": lambda c: c.filters.uuids(),
    "filters.get": lambda c: c.filters.get("u1"),
}
#: The wrong shape for each kind of answer: a number where a list, an object or a
#: string belongs; a list of numbers where a list of objects/strings belongs.
ODD_ANSWERS: tuple[Any, ...] = (5, "nonsense", [1, 2], {"a": 1}, True, None, [["x"]], 1.5)
#: Answers that are the right shape for some operation (they must not raise).
ACCEPTABLE: dict[str, tuple[Any, ...]] = {
    "cluster.version": (5,),
    "cluster.features": ([],),
    "cluster.tags": ([],),
    "instances.tags": ([],),
    "nodes.tags": ([],),
    "nodes.role": ("nonsense",),
    "cluster.info": ({"a": 1},),
    "instances.get": ({"a": 1},),
    "instances.console": ({"a": 1},),
    "nodes.get": ({"a": 1},),
    "groups.get": ({"a": 1},),
    "networks.get": ({"a": 1},),
    "jobs.get": ({"a": 1},),
    "query.query": ({"a": 1},),
    "query.fields": ({"a": 1},),
    "filters.get": ({"a": 1},),
    "os.list": ([1, 2], [["x"]]),  # entries "os+variant": str() of anything is a name
}


def client_answering(answer: Any, raw: bytes | None = None) -> RapiClient:
    def handler(request: httpx.Request) -> httpx.Response:
        content = raw if raw is not None else json.dumps(answer).encode()
        return httpx.Response(200, content=content, headers={"Content-Type": "application/json"})

    return RapiClient("https://rapi.test:5080", retries=0, transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("answer", ODD_ANSWERS, ids=repr)
@pytest.mark.parametrize("name", sorted(READS))
def test_a_wrong_shape_is_one_protocol_error(name: str, answer: Any) -> None:
    with client_answering(answer) as client:
        if answer in ACCEPTABLE.get(name, ()) and type(answer) in {
            type(a) for a in ACCEPTABLE[name]
        }:
            READS[name](client)  # the right shape for this one: no error
            return
        with pytest.raises(errors.RapiProtocolError) as caught:
            READS[name](client)
    error = caught.value
    assert error.path.startswith("/"), error
    assert "expected" in error.expected
    assert error.path in str(error)


def test_instance_get_of_a_number_is_not_an_empty_instance() -> None:
    """It used to print an empty instance and exit 0."""
    with client_answering(5) as client, pytest.raises(errors.RapiProtocolError) as caught:
        client.instances.get("web1")
    assert "expected an object, got a number 5" in str(caught.value)
    assert "GET /2/instances/web1" in str(caught.value)


def test_a_job_id_of_the_wrong_type_is_a_protocol_error() -> None:
    for answer in ("abc", [1], {"id": 1}, None, True, -3, 1.5):
        with client_answering(answer) as client, pytest.raises(errors.RapiProtocolError):
            client.instances.add_tags("web1", ["a"])


def test_an_answer_that_is_not_json_is_a_protocol_error() -> None:
    with (
        client_answering(None, raw=b"<html>proxy</html>") as client,
        pytest.raises(errors.RapiProtocolError, match="expected JSON"),
    ):
        client.cluster.version()


def _job_server(opresult: Any, wait: Any = None) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method in ("POST", "PUT"):
            return httpx.Response(200, json=7)
        if path.endswith("/wait"):
            if wait is not None:
                return httpx.Response(200, json=wait)
            info = [7, "success", ["success"], [opresult], ["X"], None, None, None]
            return httpx.Response(200, json={"job_info": info, "log_entries": []})
        return httpx.Response(200, json={"id": 7, "status": "success", "opresult": [opresult]})

    return handler


def test_a_job_result_of_the_wrong_shape_is_a_protocol_error() -> None:
    transport = httpx.MockTransport(_job_server(opresult=5))
    with RapiClient("https://rapi.test:5080", retries=0, transport=transport) as client:
        job = client.instances.create(
            "web1", disk_template="diskless", os="noop", pnode="aleph", disks=[], nics=[]
        )
        with pytest.raises(errors.RapiProtocolError, match="opresult"):
            job.wait()


@pytest.mark.parametrize("wait", [5, "x", {"job_info": 5}, {"log_entries": {"a": 1}}])
def test_a_malformed_long_poll_is_a_protocol_error(wait: Any) -> None:
    transport = httpx.MockTransport(_job_server(opresult=None, wait=wait))
    with RapiClient("https://rapi.test:5080", retries=0, transport=transport) as client:
        job = client.instances.add_tags("web1", ["a"])
        with pytest.raises(errors.RapiProtocolError, match="/wait"):
            job.wait()
