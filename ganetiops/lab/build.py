"""Building a lab: host network, the four nodes, the boot server, OVN on dalet.

Everything a node sees as its own is a directory under ``machines/<node>/`` in the
lab's state, bind-mounted inside the node's private mount namespace:

=================================  ================================================
inside the node                    host directory ``machines/<node>/...``
=================================  ================================================
``/run`` (so ``/var/run``,         a tmpfs of the node (pidfiles, sockets, locks)
``/var/lock``)
``/etc/hosts``, resolv.conf        ``hosts``, ``resolv.conf``
``/etc/ganeti``                    ``etc-ganeti`` (Debian's, plus file-storage-paths)
``/etc/default/ganeti``            ``default-ganeti`` (RAPI_ARGS per ``rapi_bind``)
``/etc/ssh``                       ``etc-ssh`` (own ed25519 and RSA host keys)
``/root``                          ``home-root`` (``.ssh``: the lab root key pair)
``/var/lib/ganeti``                ``var-lib-ganeti``
``/var/log/ganeti``                ``var-log-ganeti``
``/srv``                           ``srv`` (``ganeti/os/pxe``, ``ganeti/file-storage``)
``/srv/ganeti/shared-file-storage``  the lab's ``shared-file-storage`` (all nodes)
``/var/lib/ovn``, ``/var/log/ovn``   ``var-lib-ovn``, ``var-log-ovn`` (dalet only)
=================================  ================================================

The boot server's root is a tmpfs (``machines/boot/fs``) holding read-only binds of
the host's ``/usr`` and ``/etc``, private ``passwd``/``group``/``shadow`` (user
``admin``; the host's user database is untouched), ``/etc/ssh``, ``/etc/nginx``, and
``/usb1-part1/http`` (``machines/boot/http``) with the nginx logs in ``machines/boot/log``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Final

import attrs

from ganetiops.errors import LabError
from ganetiops.lab import configs, host, ovn_chassis, procs, topology
from ganetiops.lab.boot_fs import NO_IPV6, boot_files, boot_steps, regular_file
from ganetiops.lab.configs import Bind, Command, Mkdir, Step, Tmpfs
from ganetiops.lab.facts import (
    BootFacts,
    LabFacts,
    host_keys,
    known_hosts_lines,
    node_facts,
    shared_fields,
)
from ganetiops.lab.layout import Layout
from ganetiops.lab.machine import Machine, spawn_recorded
from ganetiops.lab.record import LabRecord, RouteEntry

HOLDER: Final = "holder"


def pxe_provider() -> Path:
    """The ``pxe`` OS definition shipped in the package (``ganetiops/netboot/provider/pxe``)."""
    path = Path(str(resources.files("ganetiops.netboot").joinpath("provider/pxe")))
    if not (path / "create").is_file():
        raise LabError(f"the pxe OS provider is missing from the package ({path})")
    return path


@attrs.define
class Builder:
    """Creates one lab's pieces, noting each in the lab's record first."""

    plan: topology.AddressPlan
    names: topology.LabNames
    layout: Layout
    record: LabRecord
    rapi_bind: str

    # -- host side ------------------------------------------------------------------------

    def fail_closed_routes(self) -> None:
        """``unreachable`` routes for both lab prefixes, before anything else exists."""
        for prefix in self.plan.prefixes:
            route = RouteEntry(str(prefix), "unreachable", host.FALLBACK_METRIC)
            self.record.add_route(route)
            host.add_unreachable(route)

    def host_network(self) -> None:
        """The switch namespace with both bridges, and the workstation veth into it."""
        switch = self.names.switch_netns
        self._add_netns(switch)
        host.run(["ip", "netns", "exec", switch, *NO_IPV6])
        host.ip_batch(
            [
                "link set lo up",
                *(f"link add {b} type bridge" for b in _BRIDGES),
                *(f"link set {b} up" for b in _BRIDGES),
            ],
            netns=switch,
        )
        link = self.names.workstation_link
        self.record.add_link(link)
        peer = [topology.WORKSTATION_PORT, "netns", switch]
        host.run(["ip", "link", "add", "name", link, "type", "veth", "peer", "name", *peer])
        _interface_sysctls(link)
        host.ip_batch([f"addr add {self.plan.workstation_ip}/24 dev {link}", f"link set {link} up"])
        host.ip_batch(
            [f"link set {topology.WORKSTATION_PORT} master {topology.PRIMARY_BRIDGE} up"],
            netns=switch,
        )
        host.check_route(self.plan.primary_ip(topology.MASTER), link)

    def lab_files(self) -> None:
        """Lab-wide files: the nodes' root key pair, the workstation's, shared storage."""
        self.layout.shared_file_storage.mkdir(mode=0o755)
        self.layout.keys.mkdir(mode=0o700)
        host.keygen(self.layout.root_key, "ed25519", f"root@{self.names.lab}-lab")
        host.keygen(self.layout.workstation_key, "ed25519", f"workstation@{self.names.lab}-lab")

    def machines(self) -> None:
        """Prepare the boot server and the nodes in parallel (at most eight at a time)."""
        jobs: list[Callable[[], None]] = [self.boot]
        jobs += [functools.partial(self.node, n) for n in self.plan.nodes]
        with ThreadPoolExecutor(max_workers=min(len(jobs), 8)) as pool:
            futures = [pool.submit(job) for job in jobs]
        for future in futures:
            error = future.exception()
            if error is not None:
                raise error

    # -- a machine's namespaces -----------------------------------------------------------

    def _add_netns(self, name: str) -> None:
        self.record.add_netns(name)
        host.add_netns(name)

    def _holder(self, machine: str) -> Machine:
        netns = self.names.netns(machine)
        self._add_netns(netns)
        argv = ["ip", "netns", "exec", netns, "unshare", "--mount", "--uts"]
        entry = spawn_recorded(
            [*argv, "--propagation", "private", "sleep", "infinity"],
            machine=machine,
            role=HOLDER,
            log=None,
            record=self.record,
            what=f"the namespace holder of {machine}",
        )
        pid = entry.pid
        sleep = os.path.realpath(shutil.which("sleep") or "/usr/bin/sleep")

        def holding() -> bool:
            if not procs.is_running(pid):
                procs.reap(pid)
                raise LabError(f"the namespace holder of {machine} exited")
            try:
                return os.readlink(f"/proc/{pid}/exe") == sleep
            except FileNotFoundError:
                return False

        procs.wait_for(holding, timeout=10, what=f"the namespaces of {machine}")
        return Machine(machine, entry)

    def _wire(
        self, machine: str, nics: list[tuple[str, str, str, str]], bridge: str | None
    ) -> None:
        inside, switch = configs.network_batch(
            switch_netns=self.names.switch_netns, nics=nics, bridge=bridge
        )
        host.ip_batch(inside, netns=self.names.netns(machine))
        host.ip_batch(switch, netns=self.names.switch_netns)

    def _furnish(self, machine: Machine, hostname: str, steps: list[Step]) -> None:
        self.record.set_mounts(machine.name, configs.mount_targets(steps))
        machine.run(["sh", "-c", configs.namespace_script(hostname, steps)], timeout=60)

    def _start(
        self, machine: Machine, role: str, command: list[str], ready: str, timeout: float = 30
    ) -> None:
        """Start a daemon and wait until ``ready`` (a path inside the machine) exists."""
        log = self.layout.log(machine.name, role)
        pid = machine.spawn(command, role=role, log=log, record=self.record)

        def started() -> bool:
            if not procs.is_running(pid):
                procs.reap(pid)
                raise LabError(f"{role} on {machine.name} exited at start; see {log}")
            return machine.path(ready).exists()

        procs.wait_for(started, timeout=timeout, what=f"{role} on {machine.name}")

    # -- nodes ----------------------------------------------------------------------------

    def node(self, name: str) -> None:
        """One Ganeti node: files, namespaces, NICs, mounts, sshd, its OVN chassis (and OVN
        central on dalet)."""
        directory = self.layout.machine(name)
        self._node_files(name, directory)
        machine = self._holder(name)
        self._wire(
            name,
            [
                ("eth0", f"{self.plan.primary_ip(name)}/24", *_port(name, "primary")),
                ("eth1", f"{self.plan.secondary_ip(name)}/24", *_port(name, "secondary")),
            ],
            bridge="br0",
        )
        self._uplink(name)
        self._furnish(machine, name, self._node_steps(name, directory))
        self._start(
            machine,
            "sshd",
            ["/usr/sbin/sshd", "-D", "-e", "-f", "/etc/ssh/sshd_config"],
            ready="/run/sshd.pid",
        )
        if name == topology.OVN_NODE:
            self._ovn(machine)
        ovn_chassis.start(self, machine)

    def _uplink(self, name: str) -> None:
        """Put the node's ``br0`` on the primary network (a veth into the switch), so
        that an instance's tap on br0 reaches the boot server, as in the homelab."""
        port = topology.switch_port(name, "bridge")
        host.ip_batch(
            [
                f"link add name {topology.UPLINK} type veth peer name {port} "
                f"netns {self.names.switch_netns}",
                f"link set {topology.UPLINK} master br0 up",
            ],
            netns=self.names.netns(name),
        )
        host.ip_batch(
            [f"link set {port} master {topology.PRIMARY_BRIDGE} up"], netns=self.names.switch_netns
        )

    def _node_files(self, name: str, d: Path) -> None:
        d.mkdir(parents=True, mode=0o700)
        host.copy_tree(Path("/etc/ganeti"), d / "etc-ganeti")
        host.write_file(d / "etc-ganeti" / "file-storage-paths", configs.file_storage_paths())
        host.write_file(d / "default-ganeti", configs.ganeti_defaults(self.rapi_bind))
        host.write_file(d / "hosts", configs.hosts_file(self.plan))
        host.write_file(d / "resolv.conf", configs.resolv_conf())
        host.ssh_dir(d / "etc-ssh", f"root@{name}")
        host.write_file(
            d / "etc-ssh" / "sshd_config",
            configs.node_sshd_config([self.plan.primary_ip(name), self.plan.secondary_ip(name)]),
        )
        dot_ssh = d / "home-root" / ".ssh"
        dot_ssh.mkdir(parents=True, mode=0o700)
        (d / "home-root").chmod(0o700)
        shutil.copyfile(self.layout.root_key, dot_ssh / "id_ed25519")
        (dot_ssh / "id_ed25519").chmod(0o600)
        root_pub = host.read_pub(self.layout.root_key)
        host.write_file(dot_ssh / "id_ed25519.pub", root_pub + "\n")
        workstation_pub = host.read_pub(self.layout.workstation_key)
        host.write_file(dot_ssh / "authorized_keys", f"{root_pub}\n{workstation_pub}\n", 0o600)
        for sub in ("var-lib-ganeti", "var-log-ganeti"):
            (d / sub).mkdir(mode=0o755)
        ganeti_srv = d / "srv" / "ganeti"
        for sub in ("os", "file-storage", "shared-file-storage"):
            (ganeti_srv / sub).mkdir(parents=True, mode=0o755)
        (d / "srv").chmod(0o755)
        shutil.copytree(pxe_provider(), ganeti_srv / "os" / "pxe")
        wrapper = d / "srv" / topology.KVM_PATH.removeprefix("/srv/")
        wrapper.parent.mkdir(mode=0o755)
        shutil.copyfile(_data_file("qemu-tcg"), wrapper)
        wrapper.chmod(0o755)
        for script in ("create", "export", "import", "rename"):
            (ganeti_srv / "os" / "pxe" / script).chmod(0o755)
        ovn_chassis.prepare(d)
        if name == topology.OVN_NODE:
            for sub in ("var-lib-ovn", "var-log-ovn"):
                (d / sub).mkdir(mode=0o755)
            for db in ("nb", "sb"):
                schema = f"/usr/share/ovn/ovn-{db}.ovsschema"
                host.run(
                    ["ovsdb-tool", "create", str(d / "var-lib-ovn" / f"ovn{db}_db.db"), schema]
                )

    def _node_steps(self, name: str, d: Path) -> list[Step]:
        binds = [
            Bind(str(d / "hosts"), "/etc/hosts"),
            Bind(str(d / "etc-ganeti"), "/etc/ganeti"),
            Bind(str(d / "default-ganeti"), "/etc/default/ganeti"),
            Bind(str(d / "etc-ssh"), "/etc/ssh"),
            Bind(str(d / "home-root"), "/root"),
            Bind(str(d / "var-lib-ganeti"), "/var/lib/ganeti"),
            Bind(str(d / "var-log-ganeti"), "/var/log/ganeti"),
            Bind(str(d / "srv"), "/srv"),
            Bind(str(self.layout.shared_file_storage), configs.SHARED_FILE_STORAGE_DIR),
        ]
        if regular_file("/etc/resolv.conf"):
            binds.append(Bind(str(d / "resolv.conf"), "/etc/resolv.conf"))
        if name == topology.OVN_NODE:
            binds += [
                Bind(str(d / "var-lib-ovn"), "/var/lib/ovn"),
                Bind(str(d / "var-log-ovn"), "/var/log/ovn"),
            ]
        run_dir = os.path.realpath("/var/run")
        return [
            Tmpfs(run_dir),
            *(Mkdir(f"{run_dir}/{sub}") for sub in ("lock", "sshd", "ovn")),
            Command(("chmod", "1777", f"{run_dir}/lock")),
            *binds,
            Command(NO_IPV6),
            Command(("/usr/lib/ganeti/ensure-dirs",)),
        ]

    def _ovn(self, machine: Machine) -> None:
        """The NB and SB ovsdb-servers on tcp <dalet>:6641/6642, then ovn-northd."""
        address = self.plan.primary_ip(topology.OVN_NODE)
        for db, port in (("nb", topology.OVN_NB_PORT), ("sb", topology.OVN_SB_PORT)):
            self._start(
                machine,
                f"ovsdb-server-{db}",
                [
                    "ovsdb-server",
                    f"/var/lib/ovn/ovn{db}_db.db",
                    f"--remote=punix:/run/ovn/ovn{db}_db.sock",
                    f"--remote=ptcp:{port}:{address}",
                    f"--unixctl=/run/ovn/ovn{db}_db.ctl",
                    f"--pidfile=/run/ovn/ovn{db}_db.pid",
                    f"--log-file=/var/log/ovn/ovsdb-server-{db}.log",
                ],
                ready=f"/run/ovn/ovn{db}_db.sock",
            )
        self._start(
            machine,
            "ovn-northd",
            [
                "ovn-northd",
                "--ovnnb-db=unix:/run/ovn/ovnnb_db.sock",
                "--ovnsb-db=unix:/run/ovn/ovnsb_db.sock",
                "--unixctl=/run/ovn/ovn-northd.ctl",
                "--pidfile=/run/ovn/ovn-northd.pid",
                "--log-file=/var/log/ovn/ovn-northd.log",
            ],
            ready="/run/ovn/ovn-northd.pid",
        )

    # -- the boot server ------------------------------------------------------------------

    def boot(self) -> None:
        """The boot server: nginx on :80 and sshd (user ``admin``, SFTP only)."""
        d = self.layout.machine(topology.BOOT)
        fs = d / "fs"
        boot_files(d, self.plan, self.layout.workstation_key)
        outside = self._holder(topology.BOOT)
        self._wire(
            topology.BOOT,
            [("eth0", f"{self.plan.boot_ip}/24", *_port(topology.BOOT, "primary"))],
            bridge=None,
        )
        self._furnish(outside, topology.BOOT, boot_steps(d, fs))
        machine = attrs.evolve(outside, chroot=str(fs))
        self._start(
            machine,
            "nginx",
            ["/usr/sbin/nginx", "-c", "/etc/nginx/nginx.conf"],
            ready="/run/nginx.pid",
        )
        self._start(
            machine,
            "sshd",
            ["/usr/sbin/sshd", "-D", "-e", "-f", "/etc/ssh/sshd_config"],
            ready="/run/sshd.pid",
        )
        hosts = list(self.plan.instance_ips().items())
        self._start(
            machine,
            "dnsmasq",
            configs.dnsmasq_argv(
                listen=self.plan.boot_ip,
                dhcp_range=self.plan.dhcp_range(),
                root_script_url=f"http://{self.plan.boot_ip}/{topology.ROOT_SCRIPT}",
                hosts=hosts,
            ),
            ready="/run/dnsmasq.pid",
        )

    # -- shared helpers -------------------------------------------------------------------

    def facts(self) -> LabFacts:
        """The lab's facts as built (no cluster yet)."""
        nodes = tuple(
            node_facts(self.plan, name, keys=self._host_keys(name), netns=self.names.netns(name))
            for name in self.plan.nodes
        )
        boot_dir = self.layout.machine(topology.BOOT)
        boot = BootFacts(
            name=topology.BOOT,
            fqdn=topology.fqdn(topology.BOOT),
            ip=self.plan.boot_ip,
            url=f"http://{self.plan.boot_ip}",
            web_root=topology.BOOT_WEB_ROOT,
            web_root_path=str(boot_dir / "http"),
            access_log=str(boot_dir / "log" / "access.log"),
            admin_user=topology.BOOT_ADMIN,
            admin_key=str(self.layout.workstation_key),
            host_keys=self._host_keys(topology.BOOT),
            netns=self.names.netns(topology.BOOT),
        )
        dalet = self.plan.primary_ip(topology.OVN_NODE)
        shared = shared_fields(
            self.plan,
            self.layout,
            name=self.names.lab,
            workstation_link=self.names.workstation_link,
            nodes=nodes,
        )
        return LabFacts(
            **shared,
            boot=boot,
            ovn_nb=f"tcp:{dalet}:{topology.OVN_NB_PORT}",
            ovn_sb=f"tcp:{dalet}:{topology.OVN_SB_PORT}",
        )

    def _host_keys(self, machine: str) -> dict[str, str]:
        return host_keys(self.layout.machine(machine) / "etc-ssh")

    def write_known_hosts(self, facts: LabFacts) -> None:
        """The host-side known_hosts: every machine under its FQDN, name and addresses."""
        lines = known_hosts_lines(facts.nodes)
        boot = facts.boot
        lines += [
            configs.known_hosts_line([boot.fqdn, boot.name, boot.ip], key)
            for key in boot.host_keys.values()
        ]
        host.write_file(self.layout.known_hosts, "\n".join(lines) + "\n")


_BRIDGES: Final = (topology.PRIMARY_BRIDGE, topology.SECONDARY_BRIDGE)


def _port(machine: str, network: str) -> tuple[str, str]:
    bridge = topology.PRIMARY_BRIDGE if network == "primary" else topology.SECONDARY_BRIDGE
    return topology.switch_port(machine, network), bridge


def _interface_sysctls(link: str) -> None:
    """No IPv6 chatter and no forwarding of packets that arrive from the lab."""
    with contextlib.suppress(FileNotFoundError):  # a kernel without IPv6
        host.write_sysctl(f"net/ipv6/conf/{link}/disable_ipv6", "1")
    host.write_sysctl(f"net/ipv4/conf/{link}/forwarding", "0")


def _data_file(name: str) -> Path:
    """A file shipped in ``ganetiops/lab/data``."""
    return Path(str(resources.files("ganetiops.lab").joinpath(f"data/{name}")))
