"""Exit codes of ``gnt-py``, documented in docs/cli.md."""

from __future__ import annotations

OK = 0
#: A Ganeti job ended in error or was canceled, or a remote step failed.
JOB_FAILED = 1
#: Bad usage or input rejected before anything was sent (click also uses 2).
USAGE = 2
#: Could not reach or authenticate to the cluster or a node.
CONNECTION = 3
#: A deadline passed (the job keeps running on the cluster).
TIMEOUT = 4
#: The user declined a confirmation prompt.
ABORTED = 5
#: Anything else ganetiops reports as an error.
ERROR = 6
