#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The material for L2 Linux guests, checked before any VMM can boot it:
#   1. scripts/kvm-harness/mk-initramfs.sh builds an L2 busybox initramfs;
#   2. reference boot: that initramfs with Debian's kernel directly under QEMU's emulator
#      (-smp 2), which must print HVLIB-L2-INIT, HVLIB-L2-NPROC n=2 and HVLIB-L2-EXIT status=0:
#      the console a VMM test will expect from hvlib booting the same files in L1;
#   3. the kernel and initramfs are carried into L1 (scripts/kvm-harness/run-l1.sh) and arrive
#      intact (sha256) and readable (the cpio lists /init), next to a working /dev/kvm.
#
# Usage: tests/linux/l2_material.sh [--timeout S]
# Exit: 0 passed, 1 failed, 124-126 harness failures. Output ends with "N passed, N failed".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
timeout_s=300
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) timeout_s="$2"; shift 2 ;;
	-h | --help) sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "l2_material: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
log() { echo "l2_material: $*" >&2; }

eval "$("$root/scripts/fetch-guests.sh" --env)"
work="$(mktemp -d "${TMPDIR:-/tmp}/hvlib-l2.XXXXXX")"
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
result() { # result NAME OK?
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		log "PASS $1"
	else
		failed=$((failed + 1))
		log "FAIL $1"
	fi
}

# 1. Build.
rc=0
"$root/scripts/kvm-harness/mk-initramfs.sh" --out "$work/l2.cpio.gz" || rc=$?
result build-initramfs "$rc"
[ "$rc" -eq 0 ] || { echo "$passed passed, $failed failed"; exit 1; }

# 2. Reference boot under QEMU's emulator.
t0="$EPOCHREALTIME"
rc=0
timeout -k 5 "$timeout_s" qemu-system-x86_64 -M pc -cpu max -m 512 -smp 2 -nographic -no-reboot \
	-nic none -vga none -kernel "$HVLIB_VMLINUZ" -initrd "$work/l2.cpio.gz" \
	-append "console=ttyS0 quiet panic=-1" </dev/null >"$work/ref.log" 2>&1 || rc=$?
tr -d '\r' <"$work/ref.log" >"$work/ref.txt"
secs="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')"
ok=1
if [ "$rc" -eq 0 ] && grep -q 'HVLIB-L2-INIT$' "$work/ref.txt" &&
	grep -q '^HVLIB-L2-NPROC n=2 ' "$work/ref.txt" && grep -qx 'HVLIB-L2-EXIT status=0' "$work/ref.txt"; then
	ok=0
	log "reference boot: $(grep '^HVLIB-L2-NPROC' "$work/ref.txt") in ${secs}s wall"
else
	log "reference boot failed (QEMU status $rc, ${secs}s); console:"
	tail -n 30 "$work/ref.txt" >&2
fi
result reference-boot "$ok"

# 3. Carried into L1.
mkdir -p "$work/l2"
cp "$HVLIB_VMLINUZ" "$work/l2/vmlinuz"
cp "$work/l2.cpio.gz" "$work/l2/initramfs.cpio.gz"
(cd "$work/l2" && sha256sum vmlinuz initramfs.cpio.gz >SHA256SUMS)
rc=0
"$root/scripts/kvm-harness/run-l1.sh" --quiet --timeout "$timeout_s" --log "$work/l1.log" \
	--file "$work/l2:/opt/hvlib/l2" \
	--run 'cd l2 && sha256sum -c SHA256SUMS && gunzip -c initramfs.cpio.gz | cpio -t 2>/dev/null | grep -qx init && echo L2-MATERIAL-OK' ||
	rc=$?
if [ "$rc" -eq 0 ] && grep -q '^L2-MATERIAL-OK' "$work/l1.log"; then
	result carried-into-l1 0
else
	log "run-l1 status $rc; console:"
	tr -d '\r' <"$work/l1.log" | tail -n 20 >&2
	result carried-into-l1 1
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
