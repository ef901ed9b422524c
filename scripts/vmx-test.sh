#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The x86 VMX tests (label x86-vmx, see cmake/HvlibX86Vmx.cmake).
#
#   vmx-test.sh boot  <source root> <out dir>   build the freestanding firmware and its ISO in
#                                               <out dir>, boot it in Bochs, keep the console
#                                               log (port 0xE9) in <out dir>/bochs.log
#   vmx-test.sh check <out dir> <scenario> <line>...
#                                               that boot's verdict for <scenario> is PASS and
#                                               every <line> appears in the log
#   vmx-test.sh refuse <out dir> <cpu model> <line>...
#                                               boot that ISO on a CPU model without what
#                                               the backend needs: refused, with <line>s
#   vmx-test.sh bochs <iso> <log> [cpu model]   just boot an ISO
#
# Exit: 0 pass, 1 fail, 77 skip (a tool is missing: the reason is printed).
# Environment: HVLIB_VMX_TIMEOUT (seconds for one Bochs run, default 300; a normal one takes
# 5-40 s).
set -uo pipefail

need() {
	local missing=""
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	if [ -n "$missing" ]; then
		echo "SKIP: missing$missing (scripts/setup-debian.sh installs bochs, xvfb, grub-pc-bin, xorriso, mtools)"
		exit 77
	fi
}

# bochs <iso> <log>: one simulation; the firmware ends it by writing "Shutdown" to port 0x8900.
run_bochs() {
	local iso="$1" log="$2" model="${3:-corei7_skylake_x}" dir
	need bochs xvfb-run timeout
	for f in /usr/share/bochs/BIOS-bochs-latest /usr/share/vgabios/vgabios.bin; do
		if [ ! -f "$f" ]; then
			echo "SKIP: $f is missing (packages bochsbios, vgabios)"
			exit 77
		fi
	done
	dir="$(mktemp -d)"
	cat >"$dir/bochsrc" <<RC
megs: 256
cpu: model=$model, count=1, ips=50000000
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=$iso, status=inserted
boot: cdrom
display_library: x
port_e9_hack: enabled=1
clock: sync=none
speaker: enabled=0
log: $dir/bochs-internal.log
panic: action=fatal
error: action=report
RC
	echo c >"$dir/cont.rc"
	echo "bochs: $iso on $model (timeout ${HVLIB_VMX_TIMEOUT:-300} s)"
	# Bochs's own debugger prompt would wait for input when the simulation ends: none given.
	nice timeout --kill-after=10 "${HVLIB_VMX_TIMEOUT:-300}" \
		xvfb-run -a bochs -q -f "$dir/bochsrc" -rc "$dir/cont.rc" </dev/null >"$log" 2>&1
	local rc=$?
	tail -n 5 "$dir/bochs-internal.log" >"$log.internal" 2>/dev/null
	rm -rf "$dir"
	return $rc
}

case "${1:-}" in
boot)
	root="$2" out="$3"
	need gcc ld cmake grub-mkrescue xorriso bochs xvfb-run
	if [ ! -d /usr/lib/grub/i386-pc ]; then
		echo "SKIP: /usr/lib/grub/i386-pc is missing (package grub-pc-bin)"
		exit 77
	fi
	rm -f "$out/bochs.log"
	gen=()
	command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
	cmake -S "$root/examples/06-vmx-firmware" -B "$out" "${gen[@]}" >"$out.configure.log" 2>&1 ||
		{ cat "$out.configure.log"; exit 1; }
	cmake --build "$out" || exit 1
	[ -f "$out/hvfw.iso" ] || { echo "FAIL: no ISO was made"; exit 1; }
	size -A "$out/hvfw.elf" | awk '$1 == ".text" { print "hypervisor image .text: " $2 " bytes" }'
	run_bochs "$out/hvfw.iso" "$out/bochs.log"
	rc=$?
	grep -a -E '^(RESULT|ALL DONE|HOST EXCEPTION|PANIC)' "$out/bochs.log"
	if ! grep -a -q '^ALL DONE' "$out/bochs.log"; then
		echo "FAIL: the firmware did not finish (bochs exit $rc); the end of its log:"
		tail -n 40 "$out/bochs.log"
		cat "$out/bochs.log.internal" 2>/dev/null
		exit 1
	fi
	exit 0
	;;
check)
	out="$2" scenario="$3"
	shift 3
	log="$out/bochs.log"
	if [ ! -f "$log" ]; then
		need bochs xvfb-run grub-mkrescue
		echo "FAIL: $log is missing: vmx_firmware_boot did not run"
		exit 1
	fi
	status=0
	if grep -a -q "^RESULT $scenario PASS" "$log"; then
		echo "firmware: RESULT $scenario PASS"
	else
		echo "FAIL: no 'RESULT $scenario PASS' in the log:"
		grep -a "^RESULT $scenario" "$log" || echo "  (no verdict for $scenario)"
		status=1
	fi
	for line in "$@"; do
		if grep -a -q -F -- "$line" "$log"; then
			echo "seen: $line"
		else
			echo "FAIL: not seen: $line"
			status=1
		fi
	done
	exit $status
	;;
refuse)
	# The same firmware on a CPU model that lacks what the backend needs: it must say what.
	out="$2" model="$3"
	shift 3
	[ -f "$out/hvfw.iso" ] || { need bochs xvfb-run grub-mkrescue; echo "FAIL: no ISO"; exit 1; }
	log="$out/bochs-$model.log"
	run_bochs "$out/hvfw.iso" "$log" "$model"
	status=0
	for line in "RESULT backend FAIL: x86-vmx: HV_ERR_NO_BACKEND" "$@"; do
		if grep -a -q -F -- "$line" "$log"; then
			echo "seen: $line"
		else
			echo "FAIL: not seen: $line"
			status=1
		fi
	done
	exit $status
	;;
bochs)
	run_bochs "$2" "$3" "${4:-}"
	;;
*)
	echo "usage: $0 boot <root> <out> | check <out> <scenario> <line>... | bochs <iso> <log>" >&2
	exit 2
	;;
esac
