"""Ganeti's ``kvm`` hypervisor in the lab: where a VM's traces are on its node.

The lab's cluster enables ``kvm`` beside ``fake`` (:data:`ganetiops.lab.cluster.KVM_PARAMS`).
Its ``kvm_path`` is the wrapper ``ganetiops/lab/data/qemu-tcg`` (a lab adaptation:
software emulation, and the serial console copied to a file). A kvm instance is a
real ``qemu-system-x86_64`` process inside its primary node's namespaces, its tap on
that node's ``br0``, which the lab bridges onto the primary network.

Each node's ``/var/log/ganeti`` is ``machines/<node>/var-log-ganeti`` on the host, so
the serial console log of instance ``I`` on node ``N`` is
``machines/N/var-log-ganeti/kvm/I.serial`` and QEMU's own log ``.../kvm/I.log``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

from ganetiops.lab import topology

#: Terminal control sequences in the console log: SeaBIOS's serial console (sercon)
#: paints the VGA screen with them (ESC c, ESC [ ... letter, ESC ( B).
_ESCAPES: Final = re.compile(r"\x1b(?:\[[0-9;?]*[A-Za-z]|[()][0-9A-Za-z]|[A-Za-z])")


def serial_log(facts: Any, node: str, instance: str) -> Path:
    """The host path of the serial console log of ``instance`` on ``node``."""
    short = node.removesuffix(f".{topology.DOMAIN}")
    log_dir = Path(facts.state_dir) / "machines" / short / "var-log-ganeti" / "kvm"
    return log_dir / f"{instance}.serial"


def serial_tail(facts: Any, node: str, instance: str, lines: int = 20) -> list[str]:
    """The last ``lines`` lines of the instance's serial console (control sequences
    and bytes removed): firmware (SeaBIOS, iPXE), kernel and init."""
    path = serial_log(facts, node, instance)
    try:
        data = path.read_bytes()[-64 * 1024 :]
    except FileNotFoundError:
        return [f"(no serial log at {path})"]
    text = _ESCAPES.sub("", data.decode("utf-8", "replace"))
    out = []
    for raw in text.split("\n"):
        # A carriage return starts the line over (iPXE's progress, SeaBIOS's CRLF).
        line = next((part for part in reversed(raw.split("\r")) if part.strip()), "")
        line = "".join(c for c in line if c == "\t" or c.isprintable()).rstrip()
        if line.strip():
            out.append(line)
    return out[-lines:]
