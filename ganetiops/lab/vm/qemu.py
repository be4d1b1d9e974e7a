"""One QEMU/TCG virtual machine of the DRBD tier: its disks, seed, taps and command line.

Every VM boots the cached image's kernel and initrd directly (``-kernel``/``-initrd``)
with a qcow2 overlay on the shared root image, so the image is never written. Its
kernel command line names it (``ganetiops.name=aleph ganetiops.ip=10.1.100.2/24
ganetiops.ip2=10.1.97.2/24``); the guest's ``ganetiops-seed`` unit (see the image's
build script) applies that, unpacks the seed disk (a plain tar on a read-only virtio
disk: host keys, root's keys, ``/etc/hosts``, ``/etc/default/ganeti``) and makes the
volume group on the data disk (a sparse qcow2). Both NICs are taps that exist only
in the lab's switch namespace, on its ``pri`` and ``sec`` bridges; QEMU runs in that
namespace, so it can open nothing else.

Each VM has a QMP monitor on a Unix socket in its directory (``monitor.sock``, lab
only, never a TCP port): :func:`monitor_command` sends it one command, e.g.
``system_reset``, the hard reset (a power cycle without stopping QEMU) that the tier's
fault tests use.

Software emulation only (``-accel tcg,tb-size=256``: about 0.8 GB of host memory per
VM); never KVM. Pure functions here, except :func:`create_disks` and
:func:`monitor_command`.
"""

from __future__ import annotations

import io
import json
import shlex
import socket
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from ganetiops.errors import LabError
from ganetiops.lab import configs, host, topology

#: The nodes of the DRBD lab, master first: a primary, a secondary, and a third to
#: replace or evacuate to.
NODE_NAMES: Final = ("aleph", "bet", "gimel")
#: Guest memory (MiB). Ganeti's daemons, DRBD and LVM fit; the fake hypervisor's
#: instances use none of it.
MEMORY_MIB: Final = 1024
#: The data disk holding the volume group: sparse, so it costs what DRBD writes.
DATA_DISK_GIB: Final = 24
VOLUME_GROUP: Final = "xenvg"
ACCEL: Final = "tcg,tb-size=256"
QEMU: Final = "qemu-system-x86_64"
#: Host memory one VM costs at most (guest RAM touched + TCG translation cache + QEMU).
HOST_MIB_PER_VM: Final = 1400


@attrs.frozen
class VmSpec:
    """One VM: the node it becomes and where its files and taps are."""

    name: str
    fqdn: str
    primary_ip: str
    secondary_ip: str
    prefix_len: int
    index: int
    slot: int
    directory: Path

    @property
    def taps(self) -> tuple[str, str]:
        """Tap names in the switch namespace (the namespace lab's port names)."""
        return (
            topology.switch_port(self.name, "primary"),
            topology.switch_port(self.name, "secondary"),
        )

    def mac(self, nic: int) -> str:
        """Locally administered, fixed per slot, VM and NIC."""
        return f"52:54:{self.slot:02x}:{self.index:02x}:00:{nic:02x}"

    @property
    def overlay(self) -> Path:
        return self.directory / "root.qcow2"

    @property
    def data_disk(self) -> Path:
        return self.directory / "data.qcow2"

    @property
    def seed(self) -> Path:
        return self.directory / "seed.tar"

    @property
    def console_log(self) -> Path:
        return self.directory / "console.log"

    @property
    def monitor(self) -> Path:
        """QEMU's QMP monitor (a Unix socket only root can open: the directory is 0700)."""
        return self.directory / "monitor.sock"

    def kernel_command_line(self) -> str:
        return " ".join(
            [
                "root=/dev/vda",
                "rw",
                "console=ttyS0",
                "net.ifnames=0",
                "quiet",
                "systemd.show_status=0",
                f"ganetiops.name={self.name}",
                f"ganetiops.ip={self.primary_ip}/{self.prefix_len}",
                f"ganetiops.ip2={self.secondary_ip}/{self.prefix_len}",
                f"ganetiops.vg={VOLUME_GROUP}",
            ]
        )


def qemu_argv(vm: VmSpec, *, kernel: Path, initrd: Path, switch_netns: str) -> list[str]:
    """The command line that runs ``vm`` inside the lab's switch namespace.

    ``ip netns exec`` execs QEMU, so the spawned PID is QEMU's own.
    """
    primary, secondary = vm.taps
    nics: list[str] = []
    for nic, tap in enumerate((primary, secondary)):
        nics += [
            "-netdev",
            f"tap,id=n{nic},ifname={tap},script=no,downscript=no",
            "-device",
            f"virtio-net-pci,netdev=n{nic},mac={vm.mac(nic)}",
        ]
    return [
        "ip",
        "netns",
        "exec",
        switch_netns,
        QEMU,
        "-name",
        f"ganetiops-{vm.name}",
        "-accel",
        ACCEL,
        "-smp",
        "1",
        "-m",
        str(MEMORY_MIB),
        "-nodefaults",
        "-no-user-config",
        "-display",
        "none",
        "-serial",
        f"file:{vm.console_log}",
        "-qmp",
        f"unix:{vm.monitor},server=on,wait=off",
        "-kernel",
        str(kernel),
        "-initrd",
        str(initrd),
        "-append",
        vm.kernel_command_line(),
        *_disk("root", vm.overlay, "qcow2"),
        *_disk("data", vm.data_disk, "qcow2"),
        *_disk("seed", vm.seed, "raw", read_only=True),
        *nics,
        "-device",
        "virtio-rng-pci",
    ]


def _disk(serial: str, path: Path, fmt: str, *, read_only: bool = False) -> list[str]:
    """One virtio disk; the guest finds it as /dev/disk/by-id/virtio-<serial>."""
    options = f"file={path},if=none,id={serial},format={fmt}"
    options += ",readonly=on" if read_only else ",cache=unsafe,discard=unmap"
    return ["-drive", options, "-device", f"virtio-blk-pci,drive={serial},serial={serial}"]


def seed_tar(files: Mapping[str, tuple[str, int]]) -> bytes:
    """A tar of ``{path inside the VM: (text, mode)}``, padded for a block device."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        directories = sorted({str(Path(p).parent) for p in files} - {"/"})
        for directory in directories:
            info = tarfile.TarInfo(directory.lstrip("/"))
            info.type = tarfile.DIRTYPE
            info.mode = 0o700 if directory.startswith("/root") else 0o755
            tar.addfile(info)
        for path, (text, mode) in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size = len(data)
            info.mode = mode
            tar.addfile(info, io.BytesIO(data))
    raw = buffer.getvalue()
    return raw + b"\0" * (-len(raw) % 512)


def write_seed(
    vm: VmSpec, plan: topology.AddressPlan, *, root_key: Path, workstation_key: Path
) -> None:
    """Host keys (made here, so the host knows them before the VM runs), root's keys,
    /etc/hosts and Ganeti's defaults, as a tar for the VM's seed disk."""
    keys = vm.directory / "ssh"
    keys.mkdir(mode=0o700)
    files: dict[str, tuple[str, int]] = {}
    for kind in configs.SSH_HOST_KEY_TYPES:
        private = keys / f"ssh_host_{kind}_key"
        host.keygen(private, kind, f"root@{vm.name}")
        files[f"/etc/ssh/ssh_host_{kind}_key"] = (private.read_text(), 0o600)
        files[f"/etc/ssh/ssh_host_{kind}_key.pub"] = (Path(f"{private}.pub").read_text(), 0o644)
    root_pub = Path(f"{root_key}.pub").read_text()
    workstation_pub = Path(f"{workstation_key}.pub").read_text()
    files["/root/.ssh/id_ed25519"] = (root_key.read_text(), 0o600)
    files["/root/.ssh/id_ed25519.pub"] = (root_pub, 0o644)
    files["/root/.ssh/authorized_keys"] = (root_pub + workstation_pub, 0o600)
    files["/etc/ssh/sshd_config.d/ganetiops.conf"] = (
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\nUseDNS no\n",
        0o644,
    )
    files["/etc/hosts"] = (configs.hosts_file(plan), 0o644)
    files["/etc/resolv.conf"] = (configs.resolv_conf(), 0o644)
    files["/etc/default/ganeti"] = (configs.ganeti_defaults("all"), 0o644)
    vm.seed.write_bytes(seed_tar(files))
    vm.seed.chmod(0o600)


def create_disks(vm: VmSpec, root_image: Path) -> None:
    """The VM's overlay on the shared root image and its sparse data disk."""
    vm.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    host.run(
        [
            "qemu-img",
            "create",
            "-q",
            "-f",
            "qcow2",
            "-F",
            "qcow2",
            "-b",
            str(root_image),
            str(vm.overlay),
        ]
    )
    host.run(["qemu-img", "create", "-q", "-f", "qcow2", str(vm.data_disk), f"{DATA_DISK_GIB}G"])


def tap_batch(vm: VmSpec, bridges: Sequence[str]) -> list[str]:
    """``ip -batch`` lines (switch namespace) for the VM's taps, each on its bridge."""
    lines = []
    for tap, bridge in zip(vm.taps, bridges, strict=True):
        lines += [f"tuntap add name {tap} mode tap", f"link set {tap} master {bridge} up"]
    return lines


#: QMP commands :func:`monitor_command` sends (a lab tool, not a general QMP client).
MONITOR_COMMANDS: Final = frozenset({"system_reset", "query-status"})


def monitor_command(path: Path, command: str, *, timeout: float = 10.0) -> Any:
    """Send one QMP ``command`` to the monitor socket at ``path``; QMP's ``return``.

    The QMP handshake (greeting, ``qmp_capabilities``) first; asynchronous events
    (``RESET``...) read in between are skipped. :class:`LabError` if the socket is
    absent (a VM started before the tier had monitors), QMP answers an error, or
    nothing answers within ``timeout`` seconds.
    """
    if command not in MONITOR_COMMANDS:
        raise LabError(f"QMP command {command!r} is not one the lab sends")
    if not path.exists():
        raise LabError(f"no QEMU monitor at {path} (the VM was started without one)")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            reader = sock.makefile("rb")
            greeting = _qmp_read(reader)
            if "QMP" not in greeting:
                raise LabError(f"{path}: not a QMP monitor ({greeting!r:.200})")
            for execute in ("qmp_capabilities", command):
                sock.sendall(json.dumps({"execute": execute}).encode() + b"\n")
                while True:
                    answer = _qmp_read(reader)
                    if "error" in answer:
                        error = answer["error"]
                        raise LabError(f"QMP {execute}: {error.get('desc', error)}")
                    if "return" in answer:
                        break
            return answer["return"]
    except (OSError, ValueError) as exc:
        raise LabError(f"QEMU monitor {path}: {exc}") from None


def _qmp_read(reader: Any) -> dict[str, Any]:
    line = reader.readline()
    if not line:
        raise LabError("the QEMU monitor closed the connection")
    data = json.loads(line)
    if not isinstance(data, dict):
        raise LabError(f"QMP answered {data!r:.200}")
    return data


def show(argv: Sequence[str]) -> str:
    return shlex.join(argv)
