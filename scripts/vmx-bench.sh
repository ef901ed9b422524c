#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Figures of the x86 VMX backend, measured in Bochs: exit round trips and interrupt injection
# in Bochs TSC ticks (Bochs advances its TSC by one per emulated instruction, so a tick is an
# instruction of the guest or of the hypervisor), and the size of the hypervisor image.
#
#   scripts/vmx-bench.sh [out dir]     (default: build/vmx-firmware; built and booted here)
#
# The benchmark guest (examples/06-vmx-firmware/guests/bench.S) times 1000 round trips of
# each kind with RDTSC and subtracts an empty loop; the firmware prints BENCH lines.
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/build/vmx-firmware}"
out="$(mkdir -p "$out" && cd "$out" && pwd)"

bash "$root/scripts/vmx-test.sh" boot "$root" "$out" >"$out/bench-boot.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
	cat "$out/bench-boot.log"
	exit $rc
fi
echo "== exit and injection costs (Bochs TSC ticks per round trip, 1000 each)"
grep -a '^BENCH' "$out/bochs.log" | sed 's/^BENCH /  /'
grep -a -q '^RESULT bench PASS' "$out/bochs.log" || { echo "FAIL: the benchmark did not run"; exit 1; }
echo "== image size (bytes)"
size -A "$out/hvfw.elf" | awk '$1 ~ /^\.(text|rodata|data|bss)$/ { printf "  hvfw.elf %-8s %8d\n", $1, $2 }'
text() {
	local sum=0 f
	for f in "$@"; do
		[ -f "$f" ] && sum=$((sum + $(size -A "$f" | awk '$1 == ".text" { print $2 }')))
	done
	echo "$sum"
}
objs="$out/CMakeFiles/hvfw.elf.dir"
printf '  %-40s %8d\n' "x86-vmx backend .text (backends/x86-vmx)" \
	"$(text $(find "$objs" -path '*backends/x86-vmx/*.o'))"
printf '  %-40s %8d\n' "x86 decoder .text (lib/arch/x86)" \
	"$(text $(find "$objs" -path '*lib/arch/x86/*.o'))"
printf '  %-40s %8d\n' "core+devices .text (lib/)" \
	"$(text $(find "$objs" -path '*/lib/*.o' ! -path '*/arch/*'))"
