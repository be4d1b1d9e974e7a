"""gnt-cluster verify --error-codes output (real, from a 4-node lab cluster) as findings."""

from __future__ import annotations

from ganetiops.bootstrap.verify import Expected, VerifyReport, parse_verify

# Captured on the lab (Ganeti 3.0.2, 4 namespace nodes); dalet's RAPI users file had been
# edited by hand to produce a real ECLUSTERFILECHECK finding.
OUTPUT = """\
Submitted jobs 10, 11
Waiting for job 10 ...
Fri Nov 27 18:40:41 2026 * Verifying cluster config
Fri Nov 27 18:40:41 2026 * Verifying cluster certificate files
Waiting for job 11 ...
Fri Nov 27 18:40:41 2026 * Verifying group 'default'
Fri Nov 27 18:40:41 2026 * Verifying configuration file consistency
Fri Nov 27 18:40:41 2026   - ERROR:ECLUSTERFILECHECK:cluster:None:File /var/lib/ganeti/rapi/users found with 2 different checksums (variant 1 on dalet.homelab.tel; variant 2 on aleph.homelab.tel, bet.homelab.tel, gimel.homelab.tel)
Fri Nov 27 18:40:41 2026 * Verifying node status
Fri Nov 27 18:40:41 2026   - ERROR:ENODESETUP:node:bet.homelab.tel:node setup error: The procfs filesystem doesn't seem to be mounted under /proc, missing required directory /proc/sys and the file /proc/sysrq-trigger
Fri Nov 27 18:40:41 2026   - ERROR:ENODESETUP:node:aleph.homelab.tel:node setup error: The procfs filesystem doesn't seem to be mounted under /proc, missing required directory /proc/sys and the file /proc/sysrq-trigger
Fri Nov 27 18:40:41 2026 * Verifying instance status
Fri Nov 27 18:40:41 2026 * Hooks Results
"""  # noqa: E501


def test_findings_are_parsed_and_the_environmental_ones_labelled() -> None:
    issues = parse_verify(OUTPUT)
    assert [(i.severity, i.code, i.item) for i in issues] == [
        ("ERROR", "ECLUSTERFILECHECK", "None"),
        ("ERROR", "ENODESETUP", "bet.homelab.tel"),
        ("ERROR", "ENODESETUP", "aleph.homelab.tel"),
    ]
    assert issues[0].expected is None
    assert "2 different checksums" in issues[0].message
    assert issues[1].expected is not None
    assert issues[1].expected.startswith("expected in this environment")
    report = VerifyReport(exit_status=1, issues=issues)
    assert not report.ok
    assert [i.code for i in report.unexpected] == ["ECLUSTERFILECHECK"]
    rows = report.rows()
    assert rows[1][3].endswith(
        "[expected in this environment (the kernel offers no /proc/sysrq-trigger)]"
    )


def test_only_environmental_findings_is_ok() -> None:
    lines = [line for line in OUTPUT.splitlines() if "ECLUSTERFILECHECK" not in line]
    report = VerifyReport(exit_status=1, issues=parse_verify("\n".join(lines)))
    assert report.ok


def test_custom_expectations() -> None:
    issues = parse_verify(OUTPUT, [Expected("ECLUSTERFILECHECK", "rapi/users", "known drift")])
    assert issues[0].expected == "known drift"
    assert issues[1].expected is None


def test_clean_verify() -> None:
    assert parse_verify("Submitted jobs 1, 2\nWaiting for job 1 ...\n") == ()
