"""What the lab class is made of besides Debian's files: the kernel modules its init
loads, the host programs it copies, and the texts it writes (``/init``, the DHCP
script, sshd's configuration, the class ``ipxe`` script). Built by
:mod:`ganetiops.netboot.labclass`; a change here changes the build tag.
"""

from __future__ import annotations

from typing import Final

#: Kernel modules the init loads, in dependency order (the cloud kernel has virtio as
#: modules; no modules.dep in the package, so the order is written here).
MODULES: Final = (
    "drivers/virtio/virtio_ring.ko",
    "drivers/virtio/virtio.ko",
    "drivers/virtio/virtio_pci_legacy_dev.ko",
    "drivers/virtio/virtio_pci_modern_dev.ko",
    "drivers/virtio/virtio_pci.ko",
    "net/core/failover.ko",
    "drivers/net/net_failover.ko",
    "drivers/net/virtio_net.ko",
    "drivers/block/virtio_blk.ko",
    "drivers/input/evdev.ko",
    "drivers/acpi/button.ko",
)
#: Programs copied from the host's Debian packages (openssh-server, openssh-client)
#: with the libraries ``ldd`` names: the class's sshd.
HOST_PROGRAMS: Final = ("/usr/sbin/sshd", "/usr/bin/ssh-keygen")
#: Where a provisioned disk carries the class's marker (sector 2048, 1 MiB in).
MARKER_SECTOR: Final = 2048

INIT_SCRIPT: Final = """\
#!/bin/busybox sh
# ganetiops lab class {name}, generation {generation}: a stand-in for NixOS's stages.
# It gets its address by DHCP, provisions disk 0 when the wrapper says so, installs
# the host identity keys/<hostname>.tar.gz, starts sshd and reports its boot over
# HTTP to the boot server (GET /nixos/report/<mac>?...). Lab only.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /run/sshd /tmp /var/empty /root/.ssh
mount -t devpts devpts /dev/pts
say() {{ echo "ganetiops-lab: $*"; }}
host=
flag=no
for word in $(cat /proc/cmdline); do
  case "$word" in
    hostname=*|systemd.hostname=*) host="${{word#*=}}" ;;
    homelab.provision_disks=true) flag=yes ;;
  esac
done
say "class {name} generation {generation}: hostname=$host provision=$flag"
[ -n "$host" ] && hostname "$host"
for module in {modules}; do
  insmod "/lib/modules/$module" || say "insmod $module failed"
done
# The ACPI power button (Ganeti's shutdown) powers off; the serial console gets a shell.
acpid -c /etc/acpi -a /etc/acpid.conf -l /run/acpid.log
(while :; do setsid -c sh -l </dev/ttyS0 >/dev/ttyS0 2>&1; done) &
ip link set lo up
iface=eth0
tries=0
while [ ! -e /sys/class/net/$iface ] && [ $tries -lt 50 ]; do sleep 0.1; tries=$((tries + 1)); done
mac=$(cat /sys/class/net/$iface/address)
say "DHCP on $iface ($mac)"
udhcpc -i $iface -s /etc/udhcpc.script -x hostname:"$host" -t 10 -T 3 -n -q -f \\
  || say "no DHCP lease"
. /run/dhcp.env 2>/dev/null
boot="${{siaddr:-$router}}"
say "address $ip, boot server $boot"
provisioned=no
disk=none
if [ -b /dev/vda ]; then
  if [ "$flag" = yes ]; then
    dd if=/dev/zero of=/dev/vda bs=1M count=4 conv=notrunc 2>/dev/null
    printf 'ganetiops-lab-disk class={name} generation={generation}\n' \
      | dd of=/dev/vda bs=512 seek={marker} conv=notrunc 2>/dev/null
    provisioned=yes
  fi
  disk=$(dd if=/dev/vda bs=512 skip={marker} count=1 2>/dev/null | head -n 1 | tr -cd 'a-z0-9=. -')
  case "$disk" in ganetiops-lab-disk*) disk="${{disk#ganetiops-lab-disk }}" ;; *) disk=none ;; esac
fi
keys=no
sshd=no
if [ -n "$host" ] && wget -q -O /tmp/keys.tar.gz "http://$boot/keys/$host.tar.gz"; then
  mkdir -p /tmp/keys && tar -xzf /tmp/keys.tar.gz -C /tmp/keys
  (umask 077
   cp /tmp/keys/host_privkey /etc/ssh/ssh_host_rsa_key
   cp /tmp/keys/root_privkey /root/.ssh/id_ed25519)
  ssh-keygen -yf /etc/ssh/ssh_host_rsa_key > /etc/ssh/ssh_host_rsa_key.pub
  ssh-keygen -yf /root/.ssh/id_ed25519 > /root/.ssh/authorized_keys
  rm -rf /tmp/keys /tmp/keys.tar.gz
  keys=yes
  if /usr/sbin/sshd -f /etc/ssh/sshd_config -E /run/sshd.log; then
    sshd=yes
  else
    say "sshd did not start:"; cat /run/sshd.log
  fi
fi
query="class={name}&generation={generation}&store={store}&hostname=$host&mac=$mac&ip=$ip"
query="$query&provisioned=$provisioned&disk=$(echo "$disk" | tr ' =' '+:')&keys=$keys&sshd=$sshd"
mac_path=$(echo "$mac" | tr ':' '-')
if [ {report} != yes ]; then
  say "built not to report its boot: $query"
elif wget -q -O /dev/null "http://$boot/nixos/report/$mac_path?$query"; then
  say "boot reported: $query"
else
  say "boot report failed: $query"
fi
while :; do sleep 3600; done
"""

UDHCPC_SCRIPT: Final = """\
#!/bin/sh
# udhcpc's event script: configure the interface, remember the lease.
case "$1" in
  deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
    printf 'ip=%s\nsiaddr=%s\nrouter=%s\n' "$ip" "$siaddr" "${router%% *}" > /run/dhcp.env
    ;;
esac
exit 0
"""

SSHD_CONFIG: Final = """\
HostKey /etc/ssh/ssh_host_rsa_key
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AuthorizedKeysFile /root/.ssh/authorized_keys
StrictModes no
"""

IPXE_SCRIPT: Final = """\
#!ipxe
kernel bzImage init=/nix/store/{store_hash}-ganetiops-lab-{name}/init initrd=initrd \
console=tty0 console=ttyS0,115200 quiet ${{cmdline}}
initrd initrd
boot
"""
