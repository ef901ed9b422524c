#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Boot Debian's arm64 kernel with a busybox initramfs as a guest of the EL2 test firmware
# (scenario "linux": 256 MiB, PL011 console, a device tree hvlib makes from the VM with
# libfdt). Init prints a marker with the number of CPUs online and powers off (PSCI SYSTEM_OFF).
#   boot   (default) 2 vCPUs; the marker must say CPUs 0-1 are online; with a virtio-blk disk
#          (in the firmware's memory: init reads its first sector and writes the second, which
#          the firmware checks) and a virtio-console (init writes to /dev/hvc0); meanwhile a
#          small guest on core 3 tries to read Linux's RAM and must stop alone.
#   peek   1 vCPU; the other direction: init reads, through /dev/mem, the memory of a small
#          guest on core 3 at its host address (which the firmware writes into the disk's
#          third sector; "hvpeek" on the command line asks for it): Linux must stop
#          with an unmapped-access fault at that address, the small guest must count on and
#          power off when told.
#   bench  the figure of issue 5: instructions from power-on to init's marker, under QEMU
#          -icount shift=0,sleep=off, for the same kernel, initramfs, command line and device
#          tree (tests/el2/mkdtb.c) on the bare board (QEMU's virt at EL1, 256 MiB) and as a
#          1-vCPU hvlib guest;
#          the marker program (tests/el2/marker.S) prints the virtual counter.
#
# Guest material comes from Debian's packages, fetched once into a cache outside the tree
# (${HVLIB_CACHE:-$HOME/.cache/hvlib}/el2): linux-image-<version>-arm64 and busybox-static,
# both :arm64 (dpkg --add-architecture arm64 and apt-get update must have been done).
#
# Usage: tests/el2/linux.sh BUILD/el2 [boot|peek|bench]
# Exit: 0 pass, 1 fail, 77 skip (no firmware, a firmware without libfdt, no QEMU, no arm64
# packages, or for bench no host libfdt-dev).
set -uo pipefail

dir="${1:?usage: $0 EL2_BUILD_DIR [boot|bench]}"
mode="${2:-boot}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${HVLIB_CACHE:-$HOME/.cache/hvlib}/el2"
fw="$dir/el2-test.elf"

if [ ! -f "$fw" ]; then
	echo "SKIP: $fw was not built (the AArch64 cross compiler is missing?)"
	exit 77
fi
# The device tree's strings are in the firmware only when it was linked with libfdt.
if ! grep -aq "linux,dummy-virt" "$fw"; then
	echo "SKIP: $fw was built without an arm64 libfdt (scripts/build-el2-firmware.sh said why:" \
		"apt-get download libfdt-dev:arm64 needs dpkg's arm64 architecture), so it cannot" \
		"make a Linux guest's device tree"
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
if [ "$(dd if="$kernel" bs=1 skip=56 count=4 2>/dev/null)" != "ARMd" ]; then
	echo "FAIL: $kernel is not an uncompressed arm64 Image"
	exit 1
fi

# The initramfs: busybox and an init that prints the marker and powers off.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin" "$work/root/proc" "$work/root/sys" "$work/root/dev"
cp "$cache/x/bin/busybox" "$work/root/bin/busybox"
ln -s busybox "$work/root/bin/sh"
${CROSS_COMPILE:-aarch64-linux-gnu-}gcc -nostdlib -static -no-pie -Wl,--build-id=none \
	"$root/tests/el2/marker.S" -o "$work/root/bin/marker" || exit 1
mods="$(ls -d "$cache"/x/lib/modules/*/kernel | head -1)"
for m in drivers/virtio/virtio_mmio.ko drivers/block/virtio_blk.ko drivers/char/virtio_console.ko; do
	cp "$mods/$m" "$work/root/" || exit 1
done
cat >"$work/root/init" <<'INIT'
#!/bin/sh
/bin/marker
b=/bin/busybox
$b mount -t proc proc /proc
$b mount -t sysfs sys /sys
$b mount -t devtmpfs dev /dev
echo "HVLIB-INIT-OK cpus online: $($b cat /sys/devices/system/cpu/online)"
if [ -n "$($b grep -o virtio /proc/cmdline)" ]; then
	$b insmod /virtio_mmio.ko && $b insmod /virtio_blk.ko && $b insmod /virtio_console.ko
	echo "disk: $($b head -c 18 /dev/vda)"
	echo HVLIB-WRITTEN | $b dd of=/dev/vda bs=512 seek=1 conv=sync 2>/dev/null
	$b sync
	echo "HVLIB-HVC-OK" >/dev/hvc0
fi
if [ -n "$($b grep -o hvpeek /proc/cmdline)" ]; then
	peek="$($b dd if=/dev/vda bs=512 skip=2 count=1 2>/dev/null | $b head -c 18)"
	# Another VM's memory, by its host address: the load must stop this VM.
	echo "HVLIB-PEEK reading $peek"
	echo "HVLIB-PEEK-FAIL read $($b devmem "$peek" 64)"
fi
$b poweroff -f
INIT
chmod +x "$work/root/init"
(cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -9) >"$work/initrd.gz"
size="$(stat -c %s "$work/initrd.gz")"

loaders="-device loader,file=$kernel,addr=0x70000000,force-raw=on -device loader,file=$work/initrd.gz,addr=0x78000000,force-raw=on"
if [ "$mode" = boot ]; then
	HVLIB_EL2_TIMEOUT="${HVLIB_EL2_TIMEOUT:-240}" HVLIB_EL2_QEMU_ARGS="$loaders" \
		bash "$root/tests/el2/run.sh" "$fw" "spy virtio rd=$(printf '%x' "$size") linux" \
		"HVLIB-MARKER cntvct" "HVLIB-INIT-OK cpus online: 0-1" \
		"disk: HVLIB-DISK-SECTOR0" "\[linux-hvc\] HVLIB-HVC-OK" \
		"vm linux stopped: guest shutdown" "fw: disk sector 1 holds what the guest wrote" \
		"vm spy stopped: fault \\(access to unmapped address"
	exit $?
fi
if [ "$mode" = peek ]; then
	HVLIB_EL2_TIMEOUT="${HVLIB_EL2_TIMEOUT:-240}" HVLIB_EL2_QEMU_ARGS="$loaders" \
		bash "$root/tests/el2/run.sh" "$fw" "peek virtio cpus=1 rd=$(printf '%x' "$size") linux" \
		"HVLIB-PEEK reading 0x" "vm linux stopped: fault \\(access to unmapped address" \
		"fw: good counted" "vm secret stopped: guest shutdown" \
		"\\[secret\\] spin: told to stop"
	exit $?
fi

# bench: the same boot on the bare board with the guest's device tree, then under hvlib with
# one vCPU.
if [ ! -f /usr/include/libfdt.h ]; then
	echo "SKIP: no host libfdt-dev to make the bare board's device tree (tests/el2/mkdtb.c)"
	exit 77
fi
if ! cc -O2 -DHVLIB_HAVE_LIBFDT=1 -I"$root/include" "$root/tests/el2/mkdtb.c" \
	"$root/lib/devtree_write.c" -lfdt -o "$work/mkdtb" || ! "$work/mkdtb" "$work/guest.dtb" 256 1; then
	echo "FAIL: cannot make the device tree on the host (tests/el2/mkdtb.c)"
	exit 1
fi
icount=(-icount shift=0,sleep=off)
nice timeout -k 5 600 qemu-system-aarch64 -M virt,gic-version=3 -cpu max -smp 1 -m 256 \
	-nographic "${icount[@]}" -dtb "$work/guest.dtb" -kernel "$kernel" -initrd "$work/initrd.gz" \
	-append "console=ttyAMA0 earlycon=pl011,0x9000000 rdinit=/init panic=-1" -no-reboot \
	</dev/null >"$work/bare.log" 2>&1
grep -a "HVLIB-MARKER" "$work/bare.log" || { cat "$work/bare.log"; echo "FAIL: bare boot"; exit 1; }
for uart in emulated pt; do
	HVLIB_EL2_TIMEOUT=600 HVLIB_EL2_QEMU_ARGS="$loaders ${icount[*]}" \
		bash "$root/tests/el2/run.sh" "$fw" "uart=$uart cpus=1 rd=$(printf '%x' "$size") linux" \
		"HVLIB-MARKER cntvct" >"$work/hvlib-$uart.log" 2>&1
	rc=$?
	grep -a "HVLIB-MARKER\|fw: linux starts" "$work/hvlib-$uart.log" || true
	[ $rc -eq 0 ] || { cat "$work/hvlib-$uart.log"; exit $rc; }
done
for uart in emulated pt; do
python3 - "$work/bare.log" "$work/hvlib-$uart.log" "$uart" <<'PY'
import re, sys
def marker(path):
    m = re.search(r"HVLIB-MARKER cntvct 0x([0-9a-f]+) cntfrq 0x([0-9a-f]+)", open(path, errors="replace").read())
    cnt, freq = int(m.group(1), 16), int(m.group(2), 16)
    return cnt * 1e9 / freq
bare, hv = marker(sys.argv[1]), marker(sys.argv[2])
uart = "emulated PL011" if sys.argv[3] == "emulated" else "the board's PL011 passed through"
print(f"figure: Debian arm64 Linux to init's marker, 1 vCPU, {uart}: bare board {bare / 1e6:.1f} M "
      f"instructions, under hvlib {hv / 1e6:.1f} M, ratio {hv / bare:.3f} (goal <= 1.02; Bao 1.043)")
text = open(sys.argv[2], errors="replace").read()
m = re.search(r"fw: linux starts at counter 0x([0-9a-f]+)", text)
f = re.search(r"cntfrq 0x([0-9a-f]+)", text)
if m and f:
    fw = int(m.group(1), 16) * 1e9 / int(f.group(1), 16)
    print(f"figure: of which firmware boot and guest set-up (RAM, kernel placement, device tree): {fw / 1e6:.1f} M")
PY
done
