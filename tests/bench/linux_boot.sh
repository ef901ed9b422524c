#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Boot figures of hvrun, taken the way the peer figures of issue 4 were (so they compare): in the
# KVM-in-QEMU harness with the outer QEMU run as `-icount shift=0,sleep=off`, so that L1's clock
# counts emulated instructions and repeats agree regardless of the host's load. In L1,
# scripts/kvm-harness/bootclock forks hvrun and stops the clock at the L2 guest's first init
# line: Debian's 6.1 kernel, 256 MiB, 1 vCPU, a busybox initramfs whose /init prints its marker
# first. At that moment it also reads hvrun's resident memory beyond guest RAM.
#
# Peers on the same harness: kvmtool 6.88 G, QEMU -M pc 6.85 G, QEMU -M microvm 8.07 G
# instructions; memory beyond guest RAM: kvmtool 1.2 MiB, QEMU 46-48 MiB.
# Goals: <= 0.8 x the fastest peer (5.48 G), <= 1 MiB beyond guest RAM.
#
# The same boot with the kernel uncompressed is printed too: Debian's vmlinuz holds an
# xz-compressed ELF vmlinux (with a PVH entry note), which the script extracts on the host
# (payload_offset/payload_length of the bzImage header) and hvrun boots through PVH. That
# figure shows what the guest's own decompression costs, which any VMM booting the bzImage pays.
#
# Usage: tests/bench/linux_boot.sh [BUILD_DIR] [--runs N] [--cpus N] [--only vmlinuz|vmlinux]
#                                   [--maps] [--plain]
#   --maps   also print, for the last run of each kernel, the resident memory of each mapping
#            outside guest RAM (what the "beyond guest RAM" figure is made of)
#   --plain  L1 without -icount (faster; the time is then wall-clock nanoseconds, not a figure)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$root/build"
runs=3
cpus=1
kernels="vmlinuz vmlinux"
maps=0
icount=--icount
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs="$2"; shift 2 ;;
	--cpus) cpus="$2"; shift 2 ;;
	--only) kernels="$2"; shift 2 ;;
	--maps) maps=1; shift ;;
	--plain) icount=; shift ;;
	-h | --help) sed -n '3,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) build="$1"; shift ;;
	esac
done
build="$(cd "$build" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/hvlib-bootbench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/b/l2"
eval "$("$root/scripts/fetch-guests.sh" --env)"
"$root/scripts/kvm-harness/build-hvrun.sh" --build "$build" --out "$work/b/hvrun"
"${CC:-gcc}" -O2 -static -o "$work/b/bootclock" "$root/scripts/kvm-harness/bootclock.c"
cp "$HVLIB_VMLINUZ" "$work/b/l2/vmlinuz"
"$root/scripts/extract-vmlinux.sh" "$HVLIB_VMLINUZ" "$work/b/l2/vmlinux"
"$root/scripts/kvm-harness/mk-initramfs.sh" --out "$work/b/l2/initramfs.cpio.gz" 2>/dev/null
cat >"$work/b/bench.sh" <<EOF
#!/bin/sh
[ $maps = 1 ] && export BOOTCLOCK_MAPS=1
for k in $kernels; do
	i=0
	while [ \$i -lt $runs ]; do
		i=\$((i + 1))
		timeout 300 ./bootclock --ram 256 HVLIB-L2-INIT ./hvrun --kernel l2/\$k --initrd l2/initramfs.cpio.gz \\
			--mem 256M --cpus $cpus --no-rng --console stdio >out 2>&1
		echo "run \$k \$i status \$?: \$(grep '^BOOTCLOCK ns' out)"
	done
	grep '^BOOTCLOCK map' out | sed "s/^BOOTCLOCK map/map \$k/"
done
EOF
log="$work/l1.log"
"$root/scripts/kvm-harness/run-l1.sh" $icount --mem 3072 --timeout 1200 --log "$log" \
	--file "$work/b:/opt/hvlib/b" --run "cd b && sh ./bench.sh" >/dev/null || true
tr -d '\r' <"$log" | grep '^run [a-z]* [0-9]* status\|^map ' || { echo "no results; L1 console:"; tail -30 "$log"; exit 1; }
[ -n "$icount" ] || echo "(--plain: L1 without -icount, the times below are wall-clock nanoseconds, not figures)"
for k in $kernels; do
	tr -d '\r' <"$log" | grep "^run $k [0-9]* status 0" | awk -v cpus="$cpus" -v k="$k" 'BEGIN { n = 0 }
	match($0, /ns=[0-9]+/) { ns[n] = substr($0, RSTART + 3, RLENGTH - 3) + 0
		match($0, /beyond_kib=[-0-9]+/); kib[n] = substr($0, RSTART + 11, RLENGTH - 11) + 0; n++ }
	END {
		if (n == 0) { print "no boot of " k " reached the marker"; exit 1 }
		min = max = ns[0]; s = 0; k2 = 0
		for (i = 0; i < n; i++) { s += ns[i]; k2 += kib[i]; if (ns[i] < min) min = ns[i]; if (ns[i] > max) max = ns[i] }
		mean = s / n
		if (k == "vmlinuz") what = "Debian'"'"'s vmlinuz (bzImage, decompressed by the guest)"
		else what = "the same kernel uncompressed (vmlinux, PVH entry)"
		printf "\nhvrun booting %s, fork to the L2 init marker (%d vCPU, 256 MiB), %d runs:\n", what, cpus, n
		printf "  %.3f G instructions (min %.3f, max %.3f; spread %.2f %%)\n", mean / 1e9, min / 1e9, max / 1e9, (max - min) * 100 / mean
		printf "  against QEMU -M pc 6.85 G: %.3f; kvmtool 6.88 G: %.3f; microvm 8.07 G: %.3f (goal <= 0.8)\n", mean / 6.85e9, mean / 6.88e9, mean / 8.07e9
		printf "  host memory beyond guest RAM at the marker: %.0f KiB (kvmtool 1.2 MiB, QEMU 46-48 MiB; goal <= 1024 KiB)\n", k2 / n
	}'
done
