#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Unmodified Debian Linux under hvrun, on KVM with hardware semantics: the nested KVM inside L1
# (QEMU's emulator with kvm-amd, scripts/kvm-harness/run-l1.sh; docs/harness.md).
#
# Builds hvrun statically from the build tree's libhvlib.a, an L2 busybox initramfs with the
# virtio modules and tests/linux/hvrun_guest.sh, carries them with Debian's kernel into L1 and
# runs tests/linux/hvrun_l1.sh there, which boots the L2 guests:
#   main    2 vCPUs online; virtio-blk read (checksum) and write (checksum checked on the image
#           in L1); virtio-console input and output; ACPI power-off -> hvrun exit 0
#   net     two VMs from one configuration file ping each other over hvrun's switch
#   reboot  the guest reboots: with --on-reboot restart it boots twice and exits 0; with stop,
#           hvrun ends with status 3
#
# Usage: tests/linux/hvrun_linux.sh [--build DIR] [--timeout S] [--keep-work]
# Exit: 0 all passed; 1 a check failed; 77 skipped (no build tree, no static libc);
#       124-126 harness failures (see run-l1.sh). Output ends with "N passed, N failed".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${HVLIB_BUILD:-$root/build}"
keep_work=0
timeout_s=900
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build="$2"; shift 2 ;;
	--timeout) timeout_s="$2"; shift 2 ;;
	--keep-work) keep_work=1; shift ;;
	-h | --help) sed -n '3,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "hvrun_linux: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
log() { echo "hvrun_linux: $*" >&2; }
skip() {
	log "SKIP: $*"
	exit 77
}

build_arg="$build"
build="$(cd "$build" 2>/dev/null && pwd)" || skip "no build tree at $build_arg"
[ -f "$build/libhvlib.a" ] || skip "$build/libhvlib.a missing (configure with the static library)"
cc="${CC:-gcc}"
command -v "$cc" >/dev/null || skip "no C compiler ($cc)"

work="$(mktemp -d "${TMPDIR:-/tmp}/hvlib-hvrun.XXXXXX")"
if [ "$keep_work" -eq 1 ]; then trap 'log "kept $work"' EXIT; else trap 'rm -rf "$work"' EXIT; fi
echo 'int main(void){return 0;}' >"$work/probe.c"
"$cc" -static -o "$work/probe" "$work/probe.c" 2>/dev/null || skip "cannot link statically (libc6-dev?)"

"$root/scripts/kvm-harness/build-hvrun.sh" --build "$build" --out "$work/bin/hvrun"
eval "$("$root/scripts/fetch-guests.sh" --env)"
mkdir -p "$work/bin/l2"
cp "$HVLIB_VMLINUZ" "$work/bin/l2/vmlinuz"
"$root/scripts/kvm-harness/mk-initramfs.sh" --out "$work/bin/l2/initramfs.cpio.gz" \
	--module virtio_mmio --module virtio_blk --module virtio_console --module virtio_net \
	--file "$here/hvrun_guest.sh" --run "sh /opt/hvrun_guest.sh"
cp "$here/hvrun_l1.sh" "$work/bin/"

console="$work/console.log"
log "running in L1"
set +e
# One L1 CPU: see docs/harness.md (nested SVM soft lockups with two).
"$root/scripts/kvm-harness/run-l1.sh" --smp 1 --timeout "$timeout_s" --log "$console" \
	--file "$work/bin/hvrun" --file "$work/bin/hvrun_l1.sh" --file "$work/bin/l2:/opt/hvlib/l2" \
	--run "sh ./hvrun_l1.sh"
rc=$?
set -e
passed="$(tr -d '\r' <"$console" | grep -c '^HVT-RESULT .* PASS$' || true)"
failed="$(tr -d '\r' <"$console" | grep -c '^HVT-RESULT .* FAIL' || true)"
if [ "$rc" -ge 124 ] && [ "$rc" -le 126 ]; then
	log "harness failure (run-l1 status $rc)"
	echo "$passed passed, $failed failed"
	exit "$rc"
fi
tr -d '\r' <"$console" | grep '^HVT-RESULT' >&2 || true
# 20 checks: a missing one (a scenario that hung or crashed) is a failure too.
expected=20
if [ "$failed" -eq 0 ] && [ "$passed" -ne "$expected" ]; then
	log "expected $expected results, got $passed"
	failed=$((failed + expected - passed))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]
