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
#   vmx-test.sh linux <source root> <out dir>   Debian's amd64 kernel (the vmlinux inside its
#                                               vmlinuz) and a busybox initramfs, given by GRUB
#                                               as modules to the firmware built in <out dir>:
#                                               its scenario "linux" boots them; the guest's
#                                               own init line must appear on its console
#   vmx-test.sh bochs <iso> <log> [cpu model]   just boot an ISO
#
# Exit: 0 pass, 1 fail, 77 skip (a tool is missing: the reason is printed).
# Environment: HVLIB_VMX_TIMEOUT (seconds for one Bochs run, default 300; a normal one takes
# 5-40 s), HVLIB_VMX_MEGS (Bochs's memory, default 256 MiB).
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

# expect LOG FLAGS LINE...: each LINE must appear in LOG (grep -F, plus FLAGS: "" or -x for
# whole lines); says which were seen, sets status=1 for each one that was not.
expect() {
	local log="$1" flags="$2" line
	shift 2
	for line in "$@"; do
		# shellcheck disable=SC2086 # FLAGS is empty or one option
		if grep -a -q -F $flags -- "$line" "$log"; then
			echo "seen: $line"
		else
			echo "FAIL: not seen: $line"
			status=1
		fi
	done
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
megs: ${HVLIB_VMX_MEGS:-256}
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
	expect "$log" "" "$@"
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
	expect "$log" "" "RESULT backend FAIL: x86-vmx: HV_ERR_NO_BACKEND" "$@"
	exit $status
	;;
linux)
	# Only the kernel's absence is a skip; a kernel that does not boot is a failure.
	root="$2" out="$3"
	need bochs xvfb-run grub-mkrescue xorriso xz od cpio
	[ -f "$out/hvfw.elf" ] || { echo "FAIL: $out/hvfw.elf is missing: vmx_firmware_boot did not run"; exit 1; }
	if ! env="$("$root/scripts/fetch-guests.sh" --env 2>"$out/linux-fetch.log")"; then
		echo "SKIP: Debian's kernel cannot be fetched (scripts/fetch-guests.sh):"
		tail -n 3 "$out/linux-fetch.log"
		exit 77
	fi
	eval "$env"
	work="$out/linux"
	rm -rf "$work"
	mkdir -p "$work/iso/boot/grub"
	# The ELF inside the bzImage, booted through PVH: the guest does not spend billions of
	# emulated instructions decompressing.
	"$root/scripts/extract-vmlinux.sh" "$HVLIB_VMLINUZ" "$work/iso/boot/vmlinux" ||
		{ echo "FAIL: cannot extract vmlinux from $HVLIB_VMLINUZ"; exit 1; }
	# The firmware gives the guest a virtio-blk disk whose first line the guest prints.
	"$root/scripts/kvm-harness/mk-initramfs.sh" --marker HVLIB-VMX \
		--module virtio_mmio --module virtio_blk --run 'head -n 1 /dev/vda' \
		--out "$work/iso/boot/initrd.cpio.gz" >"$work/initramfs.log" 2>&1 ||
		{ cat "$work/initramfs.log"; exit 1; }
	cp "$out/hvfw.elf" "$work/iso/boot/hvfw.elf"
	printf '%s\n' 'set timeout=0' 'set default=0' 'menuentry "hvlib VMX firmware: Linux" {' \
		'	multiboot2 /boot/hvfw.elf' '	module2 /boot/vmlinux vmlinux' \
		'	module2 --nounzip /boot/initrd.cpio.gz initrd' '	boot' '}' \
		>"$work/iso/boot/grub/grub.cfg"
	grub-mkrescue -o "$work/linux.iso" "$work/iso" 2>"$work/grub-mkrescue.log" ||
		{ cat "$work/grub-mkrescue.log"; exit 1; }
	echo "kernel $HVLIB_KVER: vmlinux $(stat -c %s "$work/iso/boot/vmlinux") bytes," \
		"initramfs $(stat -c %s "$work/iso/boot/initrd.cpio.gz") bytes"
	rm -rf "$work/iso" # in the ISO now: HVLIB_VMX_MEGS=512 vmx-test.sh bochs <iso> <log> reruns it
	log="$out/bochs-linux.log"
	start=$(date +%s)
	HVLIB_VMX_MEGS=512 run_bochs "$work/linux.iso" "$log"
	rc=$?
	echo "Bochs ran $(($(date +%s) - start)) s (exit $rc)"
	grep -a -E '^(linux:|RESULT|ALL DONE|HOST EXCEPTION|PANIC)' "$log"
	status=0
	expect "$log" -x "RESULT linux PASS" "[linux] HVLIB-VMX-INIT" "[linux] HVLIB-VMX-DISK-OK" \
		"[linux] HVLIB-VMX-EXIT status=0"
	# Both vCPUs came up (the firmware gives the guest two, time-sliced on one core).
	if grep -a -q -E '^\[linux\] HVLIB-VMX-NPROC n=2( |$)' "$log"; then
		echo "seen: [linux] HVLIB-VMX-NPROC n=2"
	else
		echo "FAIL: the guest did not report 2 CPUs (HVLIB-VMX-NPROC n=2)"
		status=1
	fi
	# The guest's clock must be the machine's: the TSC rate Linux detected (from the backend's
	# CPUID leaves 0x15/0x16) within 1% of the one the firmware measured against the PIT.
	# Linux prints "MHz TSC" only when it differs from the processor's rate ("MHz processor").
	host_khz="$(grep -a -o -m1 'TSC [0-9]* kHz' "$log" | tr -dc 0-9)"
	guest_mhz="$(grep -a -o -m1 'tsc: Detected [0-9.]* MHz TSC' "$log" | grep -o '[0-9.]*' | head -n1)"
	[ -n "$guest_mhz" ] ||
		guest_mhz="$(grep -a -o -m1 'tsc: Detected [0-9.]* MHz processor' "$log" | grep -o '[0-9.]*' | head -n1)"
	if [ -n "$host_khz" ] && [ -n "$guest_mhz" ] &&
		awk -v h="$host_khz" -v g="$guest_mhz" 'BEGIN { d = g * 1000 - h; if (d < 0) d = -d; exit !(d * 100 <= h) }'; then
		echo "seen: the guest's TSC rate $guest_mhz MHz, the firmware's $host_khz kHz"
	else
		echo "FAIL: the guest's TSC rate (${guest_mhz:-not reported} MHz) is not the firmware's (${host_khz:-?} kHz)"
		status=1
	fi
	if [ $status -ne 0 ]; then
		echo "the end of the log ($log):"
		tail -n 40 "$log"
		cat "$log.internal" 2>/dev/null
	fi
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
