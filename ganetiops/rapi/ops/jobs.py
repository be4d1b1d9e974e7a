"""The job queue: list, inspect, cancel, and the long poll behind ``Job.wait``."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from ganetiops.errors import ValidationError
from ganetiops.rapi.call import Params
from ganetiops.rapi.models.job import JobInfo
from ganetiops.rapi.models.listing import ModelList
from ganetiops.rapi.models.misc import parse_cancel
from ganetiops.rapi.namespace import M, Namespace, operation
from ganetiops.rapi.writes import job_ids_with_reason


def _ids(data: Any) -> list[int]:
    return [int(item["id"]) for item in data or () if isinstance(item, dict)]


def _infos(data: Any) -> list[JobInfo]:
    return ModelList(JobInfo.from_api(item) for item in data or ())


class Jobs(Namespace[M]):
    """``client.jobs``: the job queue. Submitting calls return Job handles themselves;
    ``client.job(id)`` makes a handle for a known id."""

    @operation("GET", "/2/jobs")
    def list(self) -> Params[builtins.list[JobInfo]]:
        """Every job in the queue (not archived), without logs or results (``?bulk=1``)."""
        return Params(query={"bulk": True}, parse=_infos)

    @operation("GET", "/2/jobs")
    def ids(self) -> Params[builtins.list[int]]:
        """The ids of every job in the queue."""
        return Params(parse=_ids)

    @operation("GET", "/2/jobs")
    def find(self, text: str) -> Params[builtins.list[int]]:
        """Ids of the queued or kept jobs whose reason trail contains ``text``: a
        request id (``OutcomeUnknown.request_id``) or any ``reason=`` given."""
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("find: give a request id or reason text", field="text")
        return Params(query={"bulk": True}, parse=lambda data: job_ids_with_reason(data, text))

    @operation("GET", "/2/jobs/{job_id}")
    def get(self, job_id: int) -> Params[JobInfo]:
        """A job with its log and results. An unknown id gives ``exists == False``."""
        return Params(parse=JobInfo.from_api)

    @operation("DELETE", "/2/jobs/{job_id}")
    def cancel(self, job_id: int) -> Params[tuple[bool, str]]:
        """Cancel a queued or waiting job: ``(success, message)``."""
        return Params(parse=parse_cancel)

    @operation("GET", "/2/jobs/{job_id}/wait")
    def wait_for_change(
        self,
        job_id: int,
        fields: Sequence[str] = ("status",),
        previous_job_info: Sequence[Any] | None = None,
        previous_log_serial: int | None = None,
    ) -> Params[Any]:
        """The raw long poll (``WaitForJobChange``); prefer ``Job.wait``. Needs a write user."""
        return Params(
            body={
                "fields": list(fields),
                "previous_job_info": list(previous_job_info) if previous_job_info else None,
                "previous_log_serial": previous_log_serial,
            }
        )
