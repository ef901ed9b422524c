#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# THE demo command: install dependencies, build, run every tutorial in order
# (examples/01-hello, examples/02-devices, ...) and show its output; run the bare-metal
# firmware examples (AArch64 EL2 in QEMU, x86 VMX in Bochs), then boot Debian's Linux kernel
# under hvrun (examples/03-hvrun) to a shell prompt: scripts/demo-linux.sh, which runs it here
# when this host's /dev/kvm can, else inside the KVM-in-QEMU harness, and says which.
#
#   bash scripts/demo.sh
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jobs="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

bash scripts/setup-debian.sh

gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
if [ -f build/CMakeCache.txt ] && [ ${#gen[@]} -gt 0 ] &&
	! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' build/CMakeCache.txt; then
	rm -rf build
fi
cmake -S . -B build "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --parallel "$jobs"

ran=0
failed=0
for dir in examples/*/; do
	name="$(basename "$dir")"
	exe="build/examples/$name/$name"
	[ -f "$dir/CMakeLists.txt" ] || continue
	# Tutorials build a program named after their directory; others (hvrun) are run below.
	grep -q "add_executable($name " "$dir/CMakeLists.txt" || continue
	echo
	echo "=================== $name ==================="
	if [ ! -x "$exe" ]; then
		echo "(not built: $exe missing)"
		failed=1
		continue
	fi
	ran=$((ran + 1))
	set +e
	"$exe"
	rc=$?
	set -e
	if [ $rc -eq 0 ]; then
		echo "--- $name: exit 0"
	else
		echo "--- $name: exit $rc"
		failed=1
	fi
done

echo
if [ $ran -eq 0 ]; then
	echo "No examples found in examples/*/ yet."
	exit 1
fi
echo "Ran $ran tutorial(s)."
[ $failed -eq 0 ] || exit 1

echo
echo "=================== The same API on bare metal ==================="
echo "--- AArch64 EL2: examples/05-el2-firmware on QEMU's virt board, hvlib as its hypervisor"
echo "    (two guests on their own cores: timer interrupts through the vGIC, PSCI CPU_ON)"
if [ -f build/el2/el2-demo.elf ]; then
	timeout 120 qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max -smp 4 \
		-m 512 -nographic -semihosting-config enable=on,target=native \
		-kernel build/el2/el2-demo.elf </dev/null
else
	echo "(not built: build/el2/el2-demo.elf needs aarch64-linux-gnu-gcc)"
	exit 1
fi
echo
echo "--- x86 VMX: examples/06-vmx-firmware, booted by GRUB in Bochs, runs its test guests"
echo "    (real mode to long mode, MMIO decoding, APIC timer, a triple fault, two isolated"
echo "    time-sliced VMs...): one line per scenario, about half a minute"
set +e
bash scripts/vmx-test.sh boot "$root" "$root/build/vmx-firmware" | grep -a -v '^ninja\|^\['
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || { echo "--- x86 VMX firmware: exit $rc"; exit 1; }

echo
echo "=================== Linux under hvrun ==================="
bash scripts/demo-linux.sh --build build
