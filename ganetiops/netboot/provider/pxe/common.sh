# shellcheck shell=bash
# Shared by the pxe OS provider's scripts (create, export, import, rename).
#
# Ganeti runs them as root with a reset environment (PATH=/sbin:/bin:/usr/sbin:/usr/bin),
# the working directory set to the provider's directory and, for OS API 10, the variables
# INSTANCE_NAME, HYPERVISOR, DISK_COUNT, DISK_0_PATH, EXPORT_DEVICE or IMPORT_DEVICE.

set -euo pipefail

readonly OS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# How much of disk 0 create zeroes before it writes the image (or the whole disk if smaller).
readonly ZERO_BYTES=$((128 * 1024 * 1024))

die() {
  echo "pxe: $*" >&2
  exit 1
}

require_env() {
  local name
  for name in "$@"; do
    [[ -n "${!name:-}" ]] || die "$name is not set (is Ganeti running this script?)"
  done
}

# The iPXE image create writes: an image placed beside the scripts wins (a node's
# packaging may drop e.g. nixpkgs' ipxe.usb there), then Debian's ipxe package files.
boot_image() {
  local candidate
  for candidate in "$OS_DIR/ipxe.img" /usr/lib/ipxe/ipxe.usb /usr/lib/ipxe/ipxe.iso; do
    if [[ -f "$candidate" ]]; then
      echo "$candidate"
      return 0
    fi
  done
  die "no iPXE image: install Debian's ipxe package or put one at $OS_DIR/ipxe.img"
}

# Size in bytes of a block device or a regular file (Ganeti's file disks are files).
device_size() {
  if [[ -b "$1" ]]; then
    blockdev --getsize64 "$1"
  else
    stat -L -c %s "$1"
  fi
}
