#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Run a payload inside "L1": Debian's own amd64 kernel booted by QEMU's emulator (TCG, -cpu max,
# which emulates AMD SVM with nested paging), with kvm-amd loaded so that /dev/kvm inside L1 is a
# KVM with hardware semantics. Programs run there (hvlib's KVM backend, its tests, a VMM booting
# an L2 Linux) get a real KVM at the emulator's speed, which this machine's own /dev/kvm cannot
# give. See docs/harness.md.
#
# Usage: scripts/kvm-harness/run-l1.sh [options]
#   --run "CMDLINE"    shell command line run by L1's /init in /opt/hvlib (PATH includes it);
#                      default: only check that /dev/kvm works
#   --file SRC[:DST]   copy SRC (a file or a directory) into L1 at DST (an absolute path);
#                      default DST: /opt/hvlib/<basename of SRC>. Repeatable. Programs must be
#                      statically linked (L1 has no libc, only busybox).
#   --module NAME      load this kernel module too (after its dependencies). Repeatable.
#   --timeout SECONDS  wall-clock limit for the whole QEMU run (default 600)
#   --mem MIB          L1 memory (default 2048)
#   --smp N            L1 vCPUs (default 2; 1 with --icount)
#   --icount           add -icount shift=0,sleep=off: time in L1 then counts instructions
#                      (1 ns of L1 time = 1 emulated instruction), independent of host load.
#                      Implies --smp 1: with icount, SMP bring-up in L1 stalls (see docs/harness.md)
#   --append "ARGS"    extra kernel command-line arguments for L1
#   --kernel VMLINUZ   L1 kernel (default: the one scripts/fetch-guests.sh fetched)
#   --log FILE         also keep L1's serial console in FILE
#   --quiet            do not stream the console to stdout (it is still printed on failure)
#   --initrd-out FILE  only build the L1 initramfs into FILE, do not run QEMU
#   --keep             keep the temporary directory (printed) for inspection
#
# Exit status: the payload's exit status (as printed by L1's /init in its final marker line),
#   or 124 timeout, 125 /dev/kvm unusable in L1, 126 L1 ended without a final marker (boot failure,
#   panic, payload killed L1), 2 usage error, 1 host-side error (missing tools, build failure).
#   A payload whose own status is 124-126 is therefore ambiguous: keep payload statuses small.
#
# Markers L1 prints on its serial console, each on a line of its own:
#   HVLIB-L1-INIT uptime=S              /init started (S: L1 seconds since boot)
#   HVLIB-L1-KVM ok|failed ...          result of loading the modules and opening /dev/kvm
#   HVLIB-L1-RUN uptime=S               payload starts
#   HVLIB-L1-EXIT status=N uptime=S     payload ended with status N; L1 powers off next
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
me="run-l1"

log() { echo "$me: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}
usage() {
	echo "$me: $*" >&2
	echo "usage: $0 [--run CMD] [--file SRC[:DST]]... [--module M]... [--timeout S] [--mem MIB]" \
		"[--smp N] [--icount] [--append ARGS] [--kernel VMLINUZ] [--log FILE] [--quiet]" \
		"[--initrd-out FILE] [--keep]" >&2
	exit 2
}

run_cmd=""
files=()
extra_modules=()
timeout_s=600
mem=2048
smp=""
icount=0
append=""
kernel=""
keep_log=""
quiet=0
initrd_out=""
keep=0

need_arg() { [ $# -ge 2 ] || usage "$1 needs an argument"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--run) need_arg "$@"; run_cmd="$2"; shift 2 ;;
	--file) need_arg "$@"; files+=("$2"); shift 2 ;;
	--module) need_arg "$@"; extra_modules+=("$2"); shift 2 ;;
	--timeout) need_arg "$@"; timeout_s="$2"; shift 2 ;;
	--mem) need_arg "$@"; mem="$2"; shift 2 ;;
	--smp) need_arg "$@"; smp="$2"; shift 2 ;;
	--icount) icount=1; shift ;;
	--append) need_arg "$@"; append="$2"; shift 2 ;;
	--kernel) need_arg "$@"; kernel="$2"; shift 2 ;;
	--log) need_arg "$@"; keep_log="$2"; shift 2 ;;
	--quiet) quiet=1; shift ;;
	--initrd-out) need_arg "$@"; initrd_out="$2"; shift 2 ;;
	--keep) keep=1; shift ;;
	-h | --help) sed -n '3,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) usage "unknown argument '$1'" ;;
	esac
done
[[ "$timeout_s" =~ ^[0-9]+$ ]] || usage "--timeout wants whole seconds"
[[ "$mem" =~ ^[0-9]+$ ]] || usage "--mem wants MiB"
# icount runs all vCPUs round-robin on one host thread, switching only every 100 ms of (instruction-
# counted) virtual time: Linux's secondary-CPU bring-up then practically hangs. One vCPU by default.
if [ -z "$smp" ]; then
	if [ "$icount" -eq 1 ]; then smp=1; else smp=2; fi
elif [ "$icount" -eq 1 ] && [ "$smp" != 1 ]; then
	log "warning: --icount with --smp $smp: L1's secondary-CPU bring-up may stall for minutes"
fi
[[ "$smp" =~ ^[0-9]+$ ]] || usage "--smp wants a count"

# Guest material (quick when cached; installs/downloads on a fresh machine).
eval "$("$root/scripts/fetch-guests.sh" --env)"
# shellcheck source-path=SCRIPTDIR
. "$here/lib.sh"
[ -n "$kernel" ] || kernel="$HVLIB_VMLINUZ"
[ -f "$kernel" ] || die "no kernel at $kernel"
command -v cpio >/dev/null || die "cpio is missing (run scripts/fetch-guests.sh)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/hvlib-l1.XXXXXX")"
# shellcheck disable=SC2317 # called through the trap
cleanup() {
	# On an interrupted run, end our QEMU (through its timeout(1) parent, which forwards TERM).
	if [ -s "$tmp/qemu.pid" ]; then
		kill "$(cat "$tmp/qemu.pid")" 2>/dev/null || true
		wait 2>/dev/null || true # the console reader still writes into $tmp
	fi
	if [ "$keep" -eq 1 ]; then
		log "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- The L1 initramfs ------------------------------------------------------------------------
rootfs="$tmp/rootfs"
hv_rootfs_init "$rootfs"
mkdir -p "$rootfs/opt/hvlib"
for m in irqbypass kvm ccp kvm-amd "${extra_modules[@]}"; do
	hv_add_module "$rootfs" "$m"
done
for spec in "${files[@]}"; do
	hv_add_file "$rootfs" "$spec" /opt/hvlib
done
printf '%s\n' "$run_cmd" >"$rootfs/etc/hvlib-run"

cat >"$rootfs/init" <<'EOF'
#!/bin/sh
# L1's init, generated by scripts/kvm-harness/run-l1.sh.
export PATH=/opt/hvlib:/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
up() { cut -d' ' -f1 /proc/uptime; }
say() { printf '\n%s\n' "$*"; }
finish() {
	say "HVLIB-L1-EXIT status=$1 uptime=$(up)"
	sync
	poweroff -f
	sleep 5
	exit 1
}
say "HVLIB-L1-INIT uptime=$(up) kernel=$(uname -r) cpus=$(nproc) mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)"

failed=""
while read -r m; do
	out="$(insmod "/lib/modules/$m.ko" 2>&1)" || failed="$failed $m(${out})"
done </etc/hvlib-modules
if [ -n "$failed" ]; then
	say "HVLIB-L1-KVM failed insmod:$failed"
	finish kvm-unavailable
fi
if [ ! -c /dev/kvm ] || ! : </dev/kvm; then
	say "HVLIB-L1-KVM failed /dev/kvm missing or unopenable"
	finish kvm-unavailable
fi
nested="$(cat /sys/module/kvm_amd/parameters/nested 2>/dev/null || echo '?')"
npt="$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null || echo '?')"
say "HVLIB-L1-KVM ok modules=$(tr '\n' ',' </etc/hvlib-modules) npt=$npt nested=$nested"

cd /opt/hvlib
say "HVLIB-L1-RUN uptime=$(up)"
status=0
sh /etc/hvlib-run || status=$?
finish "$status"
EOF
chmod +x "$rootfs/init"

initrd="$tmp/l1.cpio.gz"
hv_pack "$rootfs" "$initrd"
if [ -n "$initrd_out" ]; then
	cp "$initrd" "$initrd_out"
	log "wrote $initrd_out ($(du -h "$initrd" | cut -f1))"
	exit 0
fi

# ---- Run L1 ----------------------------------------------------------------------------------
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (run scripts/fetch-guests.sh)"
qemu=(qemu-system-x86_64 -M pc -cpu max -m "$mem" -smp "$smp" -nographic -no-reboot
	-nic none -vga none
	-kernel "$kernel" -initrd "$initrd"
	-append "console=ttyS0 quiet panic=-1${append:+ $append}")
# shellcheck disable=SC2054 # a QEMU option value, not array elements
[ "$icount" -eq 0 ] || qemu+=(-icount shift=0,sleep=off)

console="$tmp/console.log"
: >"$console"
log "L1: $(basename "$kernel"), ${mem} MiB, ${smp} vCPUs$([ "$icount" -eq 1 ] && echo ', icount'), initramfs $(du -h "$initrd" | cut -f1), timeout ${timeout_s}s"

t0="$EPOCHREALTIME"
t_init="" t_run="" t_exit=""
# -k: should QEMU ignore TERM, KILL it 5 s later. The pipeline runs in the background so that a
# signal to this script runs its traps at once (bash defers them while a foreground job runs).
{
	timeout -k 5 "$timeout_s" "${qemu[@]}" </dev/null 2>&1 &
	echo "$!" >"$tmp/qemu.pid"
	rc=0
	wait "$!" || rc=$?
	echo "$rc" >"$tmp/qemu.rc"
} | while IFS= read -r line || [ -n "$line" ]; do
	line="${line%$'\r'}"
	printf '%s\n' "$line" >>"$console"
	case "$line" in
	HVLIB-L1-INIT*) echo "init $EPOCHREALTIME" >>"$tmp/times" ;;
	HVLIB-L1-RUN*) echo "run $EPOCHREALTIME" >>"$tmp/times" ;;
	HVLIB-L1-EXIT*) echo "exit $EPOCHREALTIME" >>"$tmp/times" ;;
	esac
	[ "$quiet" -eq 1 ] || printf '%s\n' "$line"
done &
wait "$!" || true
qemu_rc="$(cat "$tmp/qemu.rc" 2>/dev/null || echo 1)"
rm -f "$tmp/qemu.pid"
t_end="$EPOCHREALTIME"
[ -z "$keep_log" ] || cp "$console" "$keep_log"

if [ -f "$tmp/times" ]; then
	while read -r what when; do
		case "$what" in
		init) t_init="$when" ;;
		run) t_run="$when" ;;
		exit) t_exit="$when" ;;
		esac
	done <"$tmp/times"
fi
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
marker_field() { # marker_field MARKER FIELD
	sed -n "s/^$1 .*\\b$2=\\([^ ]*\\).*/\\1/p" "$console" | tail -n1
}

status="$(marker_field HVLIB-L1-EXIT status)"
summary="wall: total $(secs "$t0" "$t_end")s"
[ -z "$t_init" ] || summary="$summary, to init $(secs "$t0" "$t_init")s"
[ -z "$t_run" ] || [ -z "$t_exit" ] || summary="$summary, payload $(secs "$t_run" "$t_exit")s"
g_init="$(marker_field HVLIB-L1-INIT uptime)"
g_run="$(marker_field HVLIB-L1-RUN uptime)"
g_exit="$(marker_field HVLIB-L1-EXIT uptime)"
[ -z "$g_init" ] || summary="$summary; L1 clock: init at ${g_init}s"
[ -z "$g_run" ] || [ -z "$g_exit" ] || summary="$summary, payload $(secs "$g_run" "$g_exit")s"
log "$summary"

fail_tail() {
	if [ "$quiet" -eq 1 ]; then
		log "last console lines:"
		tail -n 40 "$console" >&2
	fi
}
if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
	log "timeout after ${timeout_s}s (QEMU killed)"
	fail_tail
	exit 124
fi
case "$status" in
kvm-unavailable)
	log "/dev/kvm unusable in L1: $(grep '^HVLIB-L1-KVM' "$console" | tail -n1)"
	fail_tail
	exit 125
	;;
'')
	log "L1 ended without a final marker (QEMU status $qemu_rc): boot failure or panic"
	fail_tail
	exit 126
	;;
esac
[[ "$status" =~ ^[0-9]+$ ]] || die "bad status '$status' in marker"
[ "$status" -eq 0 ] || { log "payload exited with status $status"; fail_tail; }
exit "$status"
