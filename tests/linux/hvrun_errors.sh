#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# hvrun's refusals, on this host's own /dev/kvm (no guest runs: each case fails while the VM is
# built, before its first instruction). Each case checks the exit status and that the message
# names the problem:
#   truncated kernel, garbage kernel, garbage initrd, memory too small for the kernel, overlapping
#   devices (two disks at one address, a disk over RAM, a device on a used interrupt input),
#   missing disk image, bad options and configuration files (status 2), and that --help names
#   every option hvrun accepts.
#
# Usage: tests/linux/hvrun_errors.sh --hvrun PATH
# Exit: 0 passed, 1 failed, 77 skipped (no usable /dev/kvm, no kernel fetched).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
hvrun=""
while [ $# -gt 0 ]; do
	case "$1" in
	--hvrun) hvrun="$2"; shift 2 ;;
	*) echo "hvrun_errors: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[ -x "$hvrun" ] || { echo "hvrun_errors: no hvrun at '$hvrun'" >&2; exit 2; }
[ -r /dev/kvm ] || { echo "SKIP: no /dev/kvm here"; exit 77; }
eval "$("$root/scripts/fetch-guests.sh" --env --offline 2>/dev/null)" ||
	{ echo "SKIP: no guest kernel fetched (scripts/fetch-guests.sh)"; exit 77; }
kernel="$HVLIB_VMLINUZ"

work="$(mktemp -d "${TMPDIR:-/tmp}/hvlib-hvrun-err.XXXXXX")"
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
# expect NAME STATUS PATTERN -- ARGS...: hvrun ARGS exits with STATUS, stderr matches PATTERN.
expect() {
	local name="$1" want="$2" pattern="$3" rc
	shift 4
	timeout 60 "$hvrun" "$@" >"$work/out" 2>"$work/err" </dev/null
	rc=$?
	if [ "$rc" -eq "$want" ] && grep -Eq "$pattern" "$work/err"; then
		passed=$((passed + 1))
		echo "PASS $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name: status $rc (want $want), stderr:"
		sed 's/^/    /' "$work/err"
	fi
}

head -c 300000 "$kernel" >"$work/truncated"
head -c 65536 /dev/urandom >"$work/garbage"
printf 'this is not an initramfs\n' >"$work/not-initrd"
truncate -s 1M "$work/disk.img"
truncate -s 1000 "$work/odd.img"
gzip -c </dev/null >"$work/empty.gz"

expect truncated-kernel 1 "cannot load kernel .*truncated" -- --kernel "$work/truncated"
expect garbage-kernel 1 "cannot load kernel .*HV_ERR_BAD_IMAGE" -- --kernel "$work/garbage"
expect missing-kernel 1 "cannot read kernel .*HV_ERR_NOT_FOUND" -- --kernel "$work/none"
expect garbage-initrd 1 "initrd .* is neither a cpio archive" -- --kernel "$kernel" --initrd "$work/not-initrd"
expect memory-too-small 1 "does not fit in guest RAM: give more --mem" -- --kernel "$kernel" --mem 16M
expect memory-below-minimum 2 "give at least 16M" -- --kernel "$kernel" --mem 8M
expect overlapping-disks 1 "cannot add disk .* at 0xd0000000.*HV_ERR_OVERLAP" -- \
	--kernel "$kernel" --disk "$work/disk.img,addr=0xd0000000" --disk "$work/disk.img,addr=0xd0000000"
expect disk-over-ram 1 "cannot add disk .* at 0x200000.*HV_ERR_OVERLAP" -- \
	--kernel "$kernel" --disk "$work/disk.img,addr=0x200000"
expect device-on-busy-irq 1 "irq 4: HV_ERR_BUSY: its interrupt input is already in use" -- \
	--kernel "$kernel" --disk "$work/disk.img,irq=4"
expect device-over-ioapic 1 "HV_ERR_OVERLAP" -- --kernel "$kernel" --net "switch,addr=0xfec00000"
expect missing-disk 1 "disk .*none.img': cannot open it" -- --kernel "$kernel" --disk "$work/none.img"
expect odd-disk 1 "not a multiple of 512" -- --kernel "$kernel" --disk "$work/odd.img"
expect unknown-option 2 "unknown option '--frobnicate'" -- --frobnicate
expect missing-value 2 "option '--mem' needs a value" -- --kernel "$kernel" --mem
expect bad-cpus 2 "cpus takes 1 to 254" -- --kernel "$kernel" --cpus 0
expect bad-size 2 "invalid value '12Q' for mem" -- --kernel "$kernel" --mem 12Q
expect no-kernel 2 "nothing to run" --
expect two-stdio 2 "more than one console on stdio" -- --kernel "$kernel" --vconsole stdio
printf '[vm a]\nkernel = %s\nmem = 64M\nfrobs = 3\n' "$kernel" >"$work/bad.cfg"
expect config-unknown-key 2 "bad.cfg:4: unknown key 'frobs'" -- --config "$work/bad.cfg"
printf '[vm a]\nkernel = %s\n[vm a]\nkernel = %s\n' "$kernel" "$kernel" >"$work/dup.cfg"
expect config-duplicate-name 2 "two VMs are named 'a'" -- --config "$work/dup.cfg"
expect config-with-vm-options 2 "cannot be combined with --config" -- --config "$work/dup.cfg" --mem 64M

# --help names every option the parser knows (the keys in hvrun.c's tables and flags).
help="$("$hvrun" --help)"
src="$root/examples/03-hvrun/hvrun.c"
keys="$(sed -n '/^static const char \*const value_keys/,/^};/p' "$src" | grep -o '"[a-z-]*"' | tr -d '"')"
keys="$keys $(sed -n '/^static bool is_flag/,/^}/p' "$src" | grep -o '"[a-z-]*"' | tr -d '"')"
missing=""
for k in $keys help version; do
	grep -q -- "--$k\b" <<<"$help" || missing="$missing --$k"
done
if [ -z "$missing" ] && [ "$(wc -w <<<"$keys")" -ge 20 ]; then
	passed=$((passed + 1))
	echo "PASS help-documents-every-option ($(wc -w <<<"$keys") options)"
else
	failed=$((failed + 1))
	echo "FAIL help-documents-every-option: missing$missing"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
