#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Figures of the EL2 hypervisor, measured the way the peer figures in issue 5 were:
# QEMU 7.2 virt, -cpu max, -icount shift=0,sleep=off, so the guest's virtual counter counts
# instructions (one tick is 1e9 / CNTFRQ of them).
#   - instructions per iteration of a guest loop of `hvc #0` calling PSCI_VERSION
#     (peers: bare EL2 stub 5.0, Bao 193.6; goal <= 100), and of the same loop without the call;
#   - instructions per MMIO load from an emulated device (the PL011's flag register);
#   - interrupt injection: instructions from the guest's store that raises the PL011's line
#     (a device MMIO exit) to the first instruction of its interrupt handler;
#   - text size of the EL2 image without guests (peers: Bao 81,710 bytes; goal <= 64 KiB), and
#     of the test image, which adds Linux support and the test scenarios;
#   - with "linux": Debian's arm64 kernel to init's marker, bare board against hvlib
#     (tests/el2/linux.sh bench; about a minute, Debian packages fetched once).
#
# Usage: tests/el2/bench.sh BUILD/el2 [linux]  (the directory scripts/build-el2-firmware.sh filled)
# Exit: 0 printed, 1 failed, 77 skip.
set -uo pipefail

dir="${1:?usage: $0 EL2_BUILD_DIR}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$(HVLIB_EL2_TIMEOUT=150 HVLIB_EL2_QEMU_ARGS="-icount shift=0,sleep=off" \
	bash "$root/tests/el2/run.sh" "$dir/el2-test.elf" bench "bench: irq 0x")"
rc=$?
echo "$out"
[ $rc -eq 0 ] || exit $rc

hex() { printf '%d' "0x$1"; }
freq="$(hex "$(sed -n 's/.*bench: cntfrq 0x\([0-9a-f]*\).*/\1/p' <<<"$out")")"
read -r hvc loop n < <(sed -n 's/.*bench: hvc 0x\([0-9a-f]*\) loop 0x\([0-9a-f]*\) n 0x\([0-9a-f]*\).*/\1 \2 \3/p' <<<"$out")
irq="$(sed -n 's/.*bench: irq 0x\([0-9a-f]*\).*/\1/p' <<<"$out")"
mmio="$(sed -n 's/.*bench: mmio 0x\([0-9a-f]*\) n.*/\1/p' <<<"$out")"
if [ -z "$freq" ] || [ -z "${n:-}" ] || [ -z "$irq" ] || [ -z "$mmio" ]; then
	echo "FAIL: cannot read the figures"
	exit 1
fi
python3 - "$freq" "$(hex "$hvc")" "$(hex "$loop")" "$(hex "$n")" "$(hex "$irq")" "$(hex "$mmio")" <<'PY'
import sys
freq, hvc, loop, n, irq, mmio = map(int, sys.argv[1:])
per_tick = 1e9 / freq
print(f"figure: hvc #0 PSCI_VERSION loop: {hvc * per_tick / n:.1f} instructions per iteration "
      f"(loop without the call: {loop * per_tick / n:.1f}; goal <= 100, Bao 193.6, bare stub 5.0)")
print(f"figure: MMIO load from an emulated device (PL011 flag register) through the core's bus: "
      f"{mmio * per_tick / 2000:.0f} instructions per round trip")
print(f"figure: interrupt injection, device line raised by an MMIO store to the guest's handler: "
      f"{irq * per_tick:.0f} instructions")
PY
size="${CROSS_COMPILE:-aarch64-linux-gnu-}size"
if command -v "$size" >/dev/null 2>&1; then
	"$size" -A "$dir/el2-demo.elf" | awk '
		$1 == ".text" { text = $2 } $1 == ".rodata" { ro = $2 } $1 == ".guests" { g = $2 }
		END { printf "figure: EL2 image without guests: .text %d bytes, .text+.rodata %d bytes " \
			"(goal <= 65536; Bao 81,710), guest images %d bytes\n", text, text + ro, g }'
	# The test firmware also carries what Linux guests need (the Image loader, device trees
	# with libfdt, virtio-blk and virtio-console) and every test scenario.
	"$size" -A "$dir/el2-test.elf" | awk '
		$1 == ".text" { text = $2 } $1 == ".rodata" { ro = $2 }
		END { printf "figure: EL2 test image (Linux support with libfdt, every test scenario): " 			".text %d bytes, .text+.rodata %d bytes\n", text, text + ro }'
fi
if [ "${2:-}" = linux ]; then
	bash "$root/tests/el2/linux.sh" "$dir" bench | grep -a "^figure:"
fi
