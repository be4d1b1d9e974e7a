#!/bin/sh
# Build the DRBD tier's base image (ganetiops.lab.vm.image runs this as root).
#
#   build-image.sh RELEASE MIRROR WORKDIR OUTDIR PACKAGES...
#
# debootstrap --variant=minbase RELEASE into WORKDIR/root with the first-stage packages,
# then the kernel and Ganeti with apt-get inside the chroot (in a private mount namespace:
# its /proc vanishes with it), an initrd with MODULES=list, no SSH host keys (each VM gets
# its own from its seed disk), and the guest's boot-time unit that takes name and
# addresses from the kernel command line. Writes OUTDIR/vmlinuz, OUTDIR/initrd.img and
# OUTDIR/root.qcow2 (an ext4 file system made by mkfs.ext4 -d: no loop device, no mount).
set -eu
RELEASE=$1 MIRROR=$2 WORK=$3 OUT=$4
shift 4
ROOT=$WORK/root
FIRST="systemd-sysv,udev,kmod,iproute2,openssh-server,drbd-utils,lvm2"
say() { echo "build-image: $*" >&2; }

say "debootstrap $RELEASE (minbase + $FIRST)"
debootstrap --variant=minbase --include="$FIRST" "$RELEASE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
  || { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }

# No service may start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
mkdir -p "$ROOT/etc/initramfs-tools/conf.d"
echo "MODULES=list" >"$ROOT/etc/initramfs-tools/conf.d/ganetiops"
printf '%s\n' virtio_pci virtio_blk ext4 >"$ROOT/etc/initramfs-tools/modules"
echo 'Acquire::Retries "3";' >"$ROOT/etc/apt/apt.conf.d/80ganetiops-retries"

say "apt-get install $* (in the chroot)"
unshare --mount --propagation private chroot "$ROOT" /bin/sh -c '
  set -e
  mount -t proc proc /proc
  export DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin
  apt-get -q update
  apt-get -q install -y --no-install-recommends -o Dpkg::Options::=--force-confold "$@"
  apt-get clean
  # Byte-compile everything: Ganeti starts a Python process per job, as a user that
  # cannot write __pycache__, and compiling Ganeti under TCG takes longer than luxid
  # waits for a job process to start (30 s). The release decides the version (bookworm
  # 3.11, trixie 3.13): python3 in the chroot names its own standard library.
  PYLIB=$(python3 -c "import sysconfig; print(sysconfig.get_paths()[\"stdlib\"])")
  python3 -m compileall -q -j0 /usr/lib/python3 "$PYLIB" /usr/share/ganeti >/dev/null || true
  umount /proc
' sh "$@" >"$WORK/apt.log" 2>&1 || { tail -n 30 "$WORK/apt.log" >&2; exit 1; }

rm -f "$ROOT/usr/sbin/policy-rc.d" "$ROOT"/etc/ssh/ssh_host_*
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin
: >"$ROOT/etc/machine-id"

# DRBD 8.4 with the helper Ganeti is told about; the modules Ganeti needs, at boot.
echo "options drbd minor_count=128 usermode_helper=/bin/true" >"$ROOT/etc/modprobe.d/drbd.conf"
printf '%s\n' drbd dm_mod >"$ROOT/etc/modules-load.d/ganetiops.conf"
# Ganeti's daemons and job processes close every descriptor up to the hard limit when
# they start: under TCG, a limit of 2^20 makes a job miss luxid's 30 s start window.
mkdir -p "$ROOT/etc/systemd/system.conf.d"
printf '[Manager]\nDefaultLimitNOFILE=1024:1024\n' >"$ROOT/etc/systemd/system.conf.d/ganetiops.conf"
printf 'root soft nofile 1024\nroot hard nofile 1024\n* soft nofile 1024\n* hard nofile 1024\n' \
  >"$ROOT/etc/security/limits.d/ganetiops.conf"
# Quiet, quick boots: no getty on a display nobody looks at, no waiting for networks.
ln -sf /dev/null "$ROOT/etc/systemd/system/getty@tty1.service"
ln -sf /dev/null "$ROOT/etc/systemd/system/systemd-networkd-wait-online.service"

cat >"$ROOT/usr/local/sbin/ganetiops-seed" <<'SEED'
#!/bin/sh
# Make this VM the node the kernel command line names (ganetiops.name=, .ip=, .ip2=),
# with the files of its seed disk (a tar on the disk with serial "seed"), then the volume
# group on the data disk (serial "data").
set -eu
NAME="" IP="" IP2="" VG=xenvg
for word in $(cat /proc/cmdline); do
  case $word in
    ganetiops.name=*) NAME=${word#*=} ;;
    ganetiops.ip=*) IP=${word#*=} ;;
    ganetiops.ip2=*) IP2=${word#*=} ;;
    ganetiops.vg=*) VG=${word#*=} ;;
  esac
done
[ -n "$NAME" ] || { echo "ganetiops-seed: no ganetiops.name= on the command line" >&2; exit 1; }
udevadm settle || true
tar -x -f /dev/disk/by-id/virtio-seed -C / --no-same-owner --no-overwrite-dir
chown -R root:root /root/.ssh /etc/ssh
chmod 700 /root/.ssh; chmod 600 /root/.ssh/* /etc/ssh/ssh_host_*_key
hostname "$NAME"; echo "$NAME" >/etc/hostname
ip link set lo up
ip addr add "$IP" dev eth0; ip link set eth0 up
if [ -n "$IP2" ]; then ip addr add "$IP2" dev eth1; ip link set eth1 up; fi
ip link add br0 type bridge 2>/dev/null || true
ip link set br0 up
sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
DATA=/dev/disk/by-id/virtio-data
if ! vgs "$VG" >/dev/null 2>&1; then pvcreate -q "$DATA" && vgcreate -q "$VG" "$DATA"; fi
SEED
chmod 755 "$ROOT/usr/local/sbin/ganetiops-seed"
cat >"$ROOT/etc/systemd/system/ganetiops-seed.service" <<'UNIT'
[Unit]
Description=ganetiops: node name, addresses, keys and volume group from the seed
DefaultDependencies=no
After=systemd-udevd.service local-fs.target systemd-modules-load.service
Wants=systemd-udevd.service
Before=network-pre.target ssh.service ganeti.target sysinit.target
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/ganetiops-seed
[Install]
WantedBy=sysinit.target
UNIT
mkdir -p "$ROOT/etc/systemd/system/sysinit.target.wants"
ln -sf /etc/systemd/system/ganetiops-seed.service "$ROOT/etc/systemd/system/sysinit.target.wants/ganetiops-seed.service"

KERNEL=$(ls "$ROOT"/boot/vmlinuz-* | sort -V | tail -n 1)
INITRD=$(ls "$ROOT"/boot/initrd.img-* | sort -V | tail -n 1)
cp "$KERNEL" "$OUT/vmlinuz"
cp "$INITRD" "$OUT/initrd.img"
say "root file system (mkfs.ext4 -d, $(du -sh "$ROOT" | cut -f1) of files)"
mkfs.ext4 -q -F -L ganetiops-root -d "$ROOT" "$WORK/root.raw" 4G
qemu-img convert -O qcow2 "$WORK/root.raw" "$OUT/root.qcow2"
rm -f "$WORK/root.raw"
say "done"
