"""A booted machine's own report of its boot, and the root script iPXE starts from.

**Boot reports.** A class that reports its boot makes one HTTP request to the boot
server once it is up (address by DHCP, disks provisioned or kept, sshd running)::

    GET /nixos/report/aa-00-00-12-ab-cd?class=navidrome&generation=2&store=<sha256>
        &hostname=navidrome&mac=aa:00:00:12:ab:cd&ip=10.1.100.16&provisioned=yes
        &disk=class:navidrome+generation:2&keys=yes&sshd=yes

The request *is* the report: the boot server's access log keeps it, whatever the
answer (the lab's nginx answers 204; a stock nginx a 404, which is logged just the
same). ganetiops reads it back with the rest of the log (:func:`reports`,
:meth:`ReportWaiter.wait`): that is how ``instance create`` sees the first boot
from inside the machine, the wrapper fetch being the second witness. The lab's class
(:mod:`ganetiops.netboot.labclass`) reports so; the homelab's NixOS classes do not
(yet): a context opts in with ``reports = true`` in its ``boot`` table.

**The root script.** The homelab's router hands iPXE the root script ``netboot.ipxe``
by DHCP (next-server and boot file), which chains the per-MAC wrapper; the homelab's
repository never deploys it (homelab.md §3.3). :func:`root_script` is that script and
:func:`publish_root_script` puts it at the web root.
"""

from __future__ import annotations

import datetime
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs

from ganetiops.errors import BootTimeout, ValidationError
from ganetiops.netboot.accesslog import AccessEntry
from ganetiops.netboot.layout import mac_hyphens

if TYPE_CHECKING:
    from ganetiops.netboot.server import BootServerClient

REPORT_PREFIX: Final = "/nixos/report/"
ROOT_SCRIPT: Final = "netboot.ipxe"
_YES: Final = ("yes", "true", "1")


@attrs.frozen
class BootReport:
    """What a booted machine said about itself (``None``: it did not say)."""

    mac: str
    client: str
    time: datetime.datetime
    class_name: str | None = None
    generation: int | None = None
    #: sha256 of the store the running system was built with.
    store: str | None = None
    hostname: str | None = None
    ip: str | None = None
    #: Whether this boot wiped and provisioned the disks (the flag was set).
    provisioned: bool = False
    #: What the disk says it holds (the lab class's marker), ``none`` if nothing.
    disk: str | None = None
    keys: bool = False
    sshd: bool = False

    @classmethod
    def from_entry(cls, entry: AccessEntry) -> BootReport | None:
        """The report in one access log entry, or ``None`` if it is not one."""
        if entry.method != "GET" or not entry.path.startswith(REPORT_PREFIX):
            return None
        try:
            mac = mac_hyphens(entry.path[len(REPORT_PREFIX) :].strip("/"))
        except ValidationError:
            return None
        fields = dict(urllib.parse.parse_qsl(entry.query, keep_blank_values=True))

        def text(key: str) -> str | None:
            value = fields.get(key, "").strip()
            return value or None

        generation = text("generation")
        return cls(
            mac=mac,
            client=entry.client,
            time=entry.time,
            class_name=text("class"),
            generation=int(generation) if generation and generation.isdigit() else None,
            store=text("store"),
            hostname=text("hostname"),
            ip=text("ip"),
            provisioned=(text("provisioned") or "").lower() in _YES,
            disk=text("disk"),
            keys=(text("keys") or "").lower() in _YES,
            sshd=(text("sshd") or "").lower() in _YES,
        )

    def describe(self) -> str:
        parts = [
            f"class {self.class_name or '?'}",
            f"generation {self.generation if self.generation is not None else '?'}",
            f"hostname {self.hostname or '?'}",
            f"address {self.ip or self.client}",
            "disks provisioned" if self.provisioned else "disks kept",
            f"sshd {'running' if self.sshd else 'not running'}",
        ]
        return ", ".join(parts)


def reports(entries: Iterable[AccessEntry], mac: str | None = None) -> list[BootReport]:
    """The boot reports among ``entries`` (of ``mac`` only, if given), oldest first."""
    wanted = mac_hyphens(mac) if mac is not None else None
    out = []
    for entry in entries:
        report = BootReport.from_entry(entry)
        if report is not None and (wanted is None or report.mac == wanted):
            out.append(report)
    return out


#: ``diagnose()`` -> extra lines for a timeout error (e.g. the VM's serial console).
Diagnose = Callable[[], Sequence[str]]


def wait_report(
    boot: BootServerClient,
    mac: str,
    *,
    position: int,
    timeout: float,
    poll: float = 1.0,
    diagnose: Diagnose | None = None,
) -> BootReport:
    """Wait for a boot report of ``mac`` logged after ``position`` (a log position).

    On timeout, :class:`BootTimeout` says what the access log shows of that machine
    since ``position`` and, with ``diagnose``, the lines it returns (the VM's console).
    """
    start = position
    deadline = boot._clock() + timeout
    seen: list[AccessEntry] = []
    while True:
        entries, position = boot.log_since(position)
        seen += entries
        found = reports(entries, mac)
        if found:
            return found[0]
        remaining = deadline - boot._clock()
        if remaining <= 0:
            break
        boot._sleep(min(poll, remaining))
    raise boot_timeout(
        f"no boot report from {mac_hyphens(mac)} within {timeout:g} s "
        f"(GET {REPORT_PREFIX}{mac_hyphens(mac)} in the access log)",
        seen,
        start,
        diagnose,
    )


def boot_timeout(
    message: str, seen: Sequence[AccessEntry], start: int, diagnose: Diagnose | None
) -> BootTimeout:
    """A :class:`BootTimeout` carrying the access log since ``start`` and diagnostics."""
    lines = [message]
    tail = [_entry_line(e) for e in seen][-15:]
    lines.append(
        "access log since the boot began:"
        + ("\n  " + "\n  ".join(tail) if tail else f" nothing (after byte {start})")
    )
    if diagnose is not None:
        try:
            extra = list(diagnose())
        except Exception as exc:  # diagnostics must never hide the timeout itself
            extra = [f"(could not read: {exc})"]
        extra = extra or ["(nothing yet)"]
        lines.append("last lines of the serial console:" + "".join(f"\n  {x}" for x in extra))
    return BootTimeout("\n".join(lines))


def _entry_line(entry: AccessEntry) -> str:
    query = f"?{entry.query}" if entry.query else ""
    return (
        f"{entry.time.isoformat()} {entry.client} {entry.method} {entry.path}{query} {entry.status}"
    )


# -- the root script ----------------------------------------------------------------------


def root_script() -> str:
    """The root script (``netboot.ipxe``), as the homelab's ``ipxe/netboot.ipxe`` does it:
    the boot server is DHCP's next-server; chain this machine's MAC wrapper."""
    return (
        "#!ipxe\n"
        "# written by ganetiops: the root script DHCP hands to iPXE (boot file)\n"
        "set boot-url http://${next-server}\n"
        "chain --replace --autofree ${boot-url}/nixos/by-mac/${mac:hexhyp}/ipxe || goto failed\n"
        ":failed\n"
        "echo ganetiops: no wrapper for ${mac:hexhyp} at ${boot-url}; retrying in 10 s\n"
        "sleep 10\n"
        "chain --replace --autofree ${boot-url}/" + ROOT_SCRIPT + "\n"
    )


def publish_root_script(boot: BootServerClient) -> bool:
    """Put :func:`root_script` at the web root; ``False`` if it was there already."""
    path = boot.layout.path(ROOT_SCRIPT)
    wanted = root_script().encode()
    if boot.store.read(path) == wanted:
        return False
    boot.store.write(path, wanted, mode=0o644)
    return True


def report_summary(report: BootReport) -> dict[str, Any]:
    """A report as plain data (for ``--format json``)."""
    return {
        "mac": report.mac,
        "client": report.client,
        "time": report.time.isoformat(),
        "class": report.class_name,
        "generation": report.generation,
        "store": report.store,
        "hostname": report.hostname,
        "ip": report.ip,
        "provisioned": report.provisioned,
        "disk": report.disk,
        "sshd": report.sshd,
    }
