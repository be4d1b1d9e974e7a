"""Netboot on a running lab: publish, the create sequence, reimage, remove (wall times).

Runs the real ``gnt-py`` against a lab that is already up (never the default ``lab``
unless named), on an instance of its own (``inst16``); prints the figures and
asserts nothing.

Default: the ``fake`` hypervisor with the boot stand-in (the fast double), whole
commands timed::

    sudo .venv/bin/python benchmarks/netboot.py --lab net7 [--repeat 3]

``--kvm``: a real VM (kvm hypervisor, QEMU in software emulation) boots over iPXE;
create, reimage and rollback are split into phases from ``gnt-py``'s progress lines
(timed as they arrive) and the boot server's access log (1 s resolution): Ganeti's
create job, the start job, firmware and iPXE's DHCP (until the root script is
fetched), root script -> kernel+initrd (the iPXE chain: wrapper, class script,
kernel and initrd downloaded), initrd -> key fetch (kernel and early init: modules,
DHCP), key fetch -> report (keys, sshd, the report), and the first ssh command; the
VM's resident memory (QEMU's VmRSS) after create and after rollback::

    sudo .venv/bin/python benchmarks/netboot.py --lab net7 --kvm [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from ganetiops.lab import Lab, LabFacts
from ganetiops.netboot import accesslog
from ganetiops.netboot.labclass import build_lab_class
from ganetiops.netboot.standin import install_standin

GNT_PY = str(Path(sys.executable).with_name("gnt-py"))
INSTANCE = "inst16"
NODE = "gimel"
CLASS = "benchclass"


def _timed(lab: str, *args: str, check: bool = True) -> float:
    started = time.perf_counter()
    subprocess.run([GNT_PY, "--context", lab, *args], check=check, capture_output=True)
    return time.perf_counter() - started


def _streamed(lab: str, *args: str) -> list[tuple[float, str]]:
    """Run gnt-py, timestamping (wall clock) each progress line as it arrives."""
    proc = subprocess.Popen(
        [GNT_PY, "--context", lab, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    assert proc.stdout is not None
    lines = [(time.time(), "[begin]")]
    for line in proc.stderr:
        lines.append((time.time(), line.rstrip()))
    proc.stdout.read()
    if proc.wait() != 0:
        raise SystemExit("gnt-py " + " ".join(args) + " failed:\n" + "\n".join(x for _, x in lines))
    lines.append((time.time(), "[end]"))
    return lines


def _at(lines: list[tuple[float, str]], prefix: str) -> float:
    return next(t for t, line in lines if line.startswith(prefix))


def _log_time(facts: LabFacts, since: float, path_part: str, last: bool = False) -> float:
    found = [
        e.time.timestamp()
        for e in accesslog.parse(Path(facts.boot.access_log).read_text())
        if path_part in e.path and e.time.timestamp() >= int(since)
    ]
    if not found:
        raise SystemExit(f"no {path_part} in the access log")
    return found[-1] if last else found[0]


def _boot_phases(
    facts: LabFacts,
    lines: list[tuple[float, str]],
    powered: float,
    mac: str,
    first: str = "firmware + iPXE DHCP (to the root script)",
) -> dict[str, float]:
    """Phases from the power-on job's end to the report (access log times)."""
    root = _log_time(facts, powered, "/netboot.ipxe")
    initrd = _log_time(facts, powered, "/initrd")
    keys = _log_time(facts, powered, "/keys/")
    report = _log_time(facts, powered, f"/nixos/report/{mac}")
    seen = _at(lines, "[report] 10.")
    return {
        first: root - powered,
        "root script -> kernel+initrd (iPXE chain)": initrd - root,
        "initrd -> key fetch (kernel, modules, DHCP)": keys - initrd,
        "key fetch -> report (keys, sshd)": report - keys,
        "report logged -> gnt-py saw it": seen - report,
    }


def _rss_mb(lab: Lab, node: str) -> float:
    """The VM's QEMU resident memory (MB), from Ganeti's pidfile on ``node``."""
    pidfile = lab.machine(node).path(f"/run/ganeti/kvm-hypervisor/pid/{INSTANCE}")
    pid = int(pidfile.read_text().split()[0])
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmRSS for QEMU {pid}")


def _ssh_seconds(facts: LabFacts, key: Path, address: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["ssh", "-i", str(key), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
         "-o", f"UserKnownHostsFile={facts.known_hosts}", "-o", "StrictHostKeyChecking=yes",
         f"root@{address}", "true"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - started


def kvm(options: argparse.Namespace) -> None:
    """The real boot, phase by phase (see the module docstring)."""
    lab = Lab(options.lab)
    facts = lab.facts()
    name = options.lab
    v1 = build_lab_class(INSTANCE, generation=1)
    v2 = build_lab_class(INSTANCE, generation=2)
    figures: dict[str, list[float]] = {}

    def note(what: str, seconds: float) -> None:
        figures.setdefault(what, []).append(seconds)

    try:
        for _ in range(options.repeat):
            _timed(name, "instance", "remove", INSTANCE, "--yes", check=False)
            _timed(name, "netboot", "root-script")
            _timed(name, "netboot", "publish", str(v1))
            lines = _streamed(
                name, "instance", "create", INSTANCE, "--hypervisor", "kvm", "-t", "file",
                "-s", "3G", "--memory", "256", "--keys", "create", "--pnode",
                f"{NODE}.homelab.tel", "--yes",
            )  # fmt: skip
            mac = next(x for _, x in lines if x.startswith("[mac] MAC ")).split()[-1]
            mac = mac.replace(":", "-")
            powered = _at(lines, "[await] waiting")
            note("create: Ganeti's create job", _at(lines, "[mac]") - _at(lines, "[create]"))
            note("create: start job", powered - _at(lines, "[start]"))
            for what, seconds in _boot_phases(facts, lines, powered, mac).items():
                note(f"create: {what}", seconds)
            report = next(x for _, x in lines if x.startswith("[report] 10."))
            address = report.split()[1].rstrip(":")
            keys = Path(tempfile.mkdtemp())
            tarball = Path(facts.boot.web_root_path) / "keys" / f"{INSTANCE}.tar.gz"
            with tarfile.open(tarball) as tar:
                member = tar.extractfile("root_privkey")
                assert member is not None
                (keys / "id").write_bytes(member.read())
            (keys / "id").chmod(0o600)
            lab.check_route(address)
            note("create: first ssh command", _ssh_seconds(facts, keys / "id", address))
            note("create: whole command", lines[-1][0] - lines[0][0])
            note("VM RSS after create (MB)", _rss_mb(lab, NODE))
            lines = _streamed(name, "instance", "reimage", INSTANCE, "--publish", str(v2), "--yes")
            rebooted = _at(lines, "[reboot]")
            note("reimage: publish", rebooted - lines[0][0])
            phases = _boot_phases(
                facts, lines, rebooted, mac, first="reboot job + firmware + iPXE DHCP"
            )
            for what, seconds in phases.items():
                note(f"reimage: {what}", seconds)
            note("reimage: whole command", lines[-1][0] - lines[0][0])
            lines = _streamed(name, "instance", "reimage", INSTANCE, "--rollback", "--yes")
            rebooted = _at(lines, "[reboot]")
            note("rollback: pin the previous generation", rebooted - lines[0][0])
            phases = _boot_phases(
                facts, lines, rebooted, mac, first="reboot job + firmware + iPXE DHCP"
            )
            for what, seconds in phases.items():
                note(f"rollback: {what}", seconds)
            note("rollback: whole command", lines[-1][0] - lines[0][0])
            note("VM RSS after rollback (MB)", _rss_mb(lab, NODE))
            _timed(name, "instance", "remove", INSTANCE, "--yes", check=False)
    finally:
        _timed(name, "instance", "remove", INSTANCE, "--yes", check=False)
    print(f"{'phase (kvm/TCG real boot)':<60} {'runs':>4} {'min s':>7} {'median s':>9}")
    for what, seconds in figures.items():
        print(
            f"{what:<60} {len(seconds):>4} {min(seconds):>7.1f} {statistics.median(seconds):>9.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", required=True, help="a running lab (its context name)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kvm", action="store_true", help="a real VM, phase by phase")
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("the lab needs root")
    if options.kvm:
        kvm(options)
        return
    lab = Lab(options.lab)
    facts = lab.facts()
    install_standin([lab.machine(n.name) for n in facts.nodes], facts.boot.url)
    started = time.perf_counter()
    v1 = build_lab_class(CLASS, generation=1)
    v2 = build_lab_class(CLASS, generation=2)
    build = time.perf_counter() - started
    figures: dict[str, list[float]] = {}

    def note(what: str, seconds: float) -> None:
        figures.setdefault(what, []).append(seconds)

    name = options.lab
    try:
        for _ in range(options.repeat):
            _timed(name, "instance", "remove", INSTANCE, "--yes", check=False)
            note("netboot publish (new class)", _timed(name, "netboot", "publish", str(v1)))
            note("netboot publish (same sha256)", _timed(name, "netboot", "publish", str(v1)))
            # The stand-in boots fake instances only (the lab's default hypervisor is kvm).
            create: tuple[str, ...] = ("instance", "create", INSTANCE, "--class", CLASS)
            create += ("--keys", "create", "--hypervisor", "fake")
            note("instance create --plan", _timed(name, *create, "--plan"))
            note("instance create (whole sequence)", _timed(name, *create, "--yes"))
            note(
                "instance reimage --publish",
                _timed(name, "instance", "reimage", INSTANCE, "--publish", str(v2), "--yes"),
            )
            note("netboot rollback", _timed(name, "netboot", "rollback", CLASS, "--yes"))
            note("instance remove", _timed(name, "instance", "remove", INSTANCE, "--yes"))
            for path in Path(facts.boot.web_root_path, "nixos/by-class").glob(f"{CLASS}*"):
                subprocess.run(["rm", "-rf", str(path)], check=True)
    finally:
        _timed(name, "instance", "remove", INSTANCE, "--yes", check=False)
    print(f"lab class build (cached after the first run): {build:.2f} s")
    print(f"{'command':<40} {'runs':>4} {'min s':>7} {'median s':>9} {'max s':>7}")
    for what, seconds in figures.items():
        print(
            f"{'gnt-py ' + what:<40} {len(seconds):>4} {min(seconds):>7.2f} "
            f"{statistics.median(seconds):>9.2f} {max(seconds):>7.2f}"
        )


if __name__ == "__main__":
    main()
