#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Boot Debian's arm64 kernel with a busybox initramfs as a guest of the EL2 test firmware
# (scenario "linux": 2 vCPUs, 256 MiB, PL011 console, a device tree made with libfdt). Init
# prints a marker with the number of CPUs online and powers off (PSCI SYSTEM_OFF).
#
# Guest material comes from Debian's packages, fetched once into a cache outside the tree
# (${HVLIB_CACHE:-$HOME/.cache/hvlib}/el2): linux-image-<version>-arm64 and busybox-static,
# both :arm64 (dpkg --add-architecture arm64 and apt-get update must have been done).
#
# Usage: tests/el2/linux.sh BUILD/el2
# Exit: 0 pass, 1 fail, 77 skip (no firmware with libfdt, no QEMU, no arm64 packages).
set -uo pipefail

dir="${1:?usage: $0 EL2_BUILD_DIR}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${HVLIB_CACHE:-$HOME/.cache/hvlib}/el2"
fw="$dir/el2-test.elf"

if [ ! -f "$fw" ] || ! grep -aq "linux,dummy-virt" "$fw"; then
	echo "SKIP: $fw has no Linux support (needs libfdt-dev:arm64 at build time)"
	exit 77
fi
mkdir -p "$cache"
kernel="$(ls "$cache"/x/boot/vmlinuz-*-arm64 2>/dev/null | head -1)"
if [ -z "$kernel" ] || [ ! -x "$cache/x/bin/busybox" ]; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		echo "SKIP: dpkg has no arm64 architecture (dpkg --add-architecture arm64; apt-get update)"
		exit 77
	fi
	pkg="$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
		sed -n 's/.*Depends: \(linux-image-[0-9].*-arm64\).*/\1/p' | head -1)"
	if [ -z "$pkg" ]; then
		echo "SKIP: apt knows no linux-image-arm64:arm64 (apt-get update?)"
		exit 77
	fi
	(cd "$cache" && apt-get download "$pkg:arm64" busybox-static:arm64) || {
		echo "SKIP: cannot download $pkg:arm64 busybox-static:arm64"
		exit 77
	}
	for deb in "$cache"/*.deb; do dpkg-deb -x "$deb" "$cache/x"; done
	kernel="$(ls "$cache"/x/boot/vmlinuz-*-arm64 | head -1)"
fi
if ! file -b "$kernel" | grep -q "ARM64 boot executable Image"; then
	echo "FAIL: $kernel is not an uncompressed arm64 Image"
	exit 1
fi

# The initramfs: busybox and an init that prints the marker and powers off.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin" "$work/root/proc" "$work/root/sys" "$work/root/dev"
cp "$cache/x/bin/busybox" "$work/root/bin/busybox"
ln -s busybox "$work/root/bin/sh"
cat >"$work/root/init" <<'INIT'
#!/bin/sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
echo "HVLIB-INIT-OK cpus online: $(/bin/busybox cat /sys/devices/system/cpu/online)"
/bin/busybox poweroff -f
INIT
chmod +x "$work/root/init"
(cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -9) >"$work/initrd.gz"
size="$(stat -c %s "$work/initrd.gz")"

HVLIB_EL2_TIMEOUT="${HVLIB_EL2_TIMEOUT:-240}" HVLIB_EL2_QEMU_ARGS="-device loader,file=$kernel,addr=0x70000000,force-raw=on -device loader,file=$work/initrd.gz,addr=0x78000000,force-raw=on" \
	bash "$root/tests/el2/run.sh" "$fw" "rd=$(printf '%x' "$size") linux" \
	"HVLIB-INIT-OK cpus online: 0-1" "vm linux stopped: guest shutdown"
