"""Exit codes of ``gnt-py``, documented in docs/cli.md.

==== =============================================================================
code meaning
==== =============================================================================
0    success
1    a Ganeti job failed or was canceled, or a remote command (verify...) failed
2    bad usage or input rejected before anything was sent
3    the cluster or a node could not be reached or refused the credentials
4    a deadline passed (``--timeout``); the job keeps running on the cluster
5    the user declined a confirmation prompt
6    any other ganetiops error (an HTTP error from RAPI, a lab error...)
7    the named object (instance, node, job...) does not exist
8    RAPI answered something malformed (not JSON, or not the shape the operation expects)
9    a write was sent but its answer was lost: its outcome is unknown (a job may exist)
10   an unexpected internal error (a bug in ganetiops: please report it; -vv shows more)
130  interrupted (Ctrl-C); a submitted job keeps running
==== =============================================================================
"""

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
#: The named object does not exist (RAPI 404, unknown job id).
NOT_FOUND = 7
#: RAPI answered, but not what the operation expects (a protocol error).
PROTOCOL = 8
#: A write was sent and its answer lost: a job may exist (find it before re-running).
OUTCOME_UNKNOWN = 9
#: An unexpected internal error (a bug): one line, the traceback only with -vv.
INTERNAL = 10
#: Interrupted by the user.
INTERRUPTED = 130

#: (code, name, meaning) for the documentation and ``gnt-py --help`` epilog.
TABLE = (
    (OK, "OK", "success"),
    (JOB_FAILED, "JOB_FAILED", "a Ganeti job failed or was canceled, or a remote command failed"),
    (USAGE, "USAGE", "bad usage or input, rejected before anything was sent"),
    (CONNECTION, "CONNECTION", "cannot reach or authenticate to the cluster or a node"),
    (TIMEOUT, "TIMEOUT", "a deadline passed; the job keeps running on the cluster"),
    (ABORTED, "ABORTED", "a confirmation prompt was declined"),
    (ERROR, "ERROR", "any other error (an HTTP error from RAPI, a lab error...)"),
    (NOT_FOUND, "NOT_FOUND", "the named instance, node, group, job... does not exist"),
    (PROTOCOL, "PROTOCOL", "RAPI answered something malformed (not the expected shape)"),
    (OUTCOME_UNKNOWN, "OUTCOME_UNKNOWN", "a write was sent, its answer lost: a job may exist"),
    (INTERNAL, "INTERNAL", "an unexpected internal error (a bug; -vv shows the traceback)"),
    (INTERRUPTED, "INTERRUPTED", "interrupted (Ctrl-C); a submitted job keeps running"),
)
