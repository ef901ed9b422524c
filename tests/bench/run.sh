#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Run the benchmarks and print their figures:
#   bash tests/bench/run.sh [BUILD_DIR]
# - pio_roundtrip: port-I/O exit round trip, hvlib's run loop against a raw KVM ioctl loop
#   running the same guest in the same process (ratio; target <= 1.02).
# - dispatch: instructions per exit dispatch (normalised exit to device callback) with 64
#   devices per bus, counted by callgrind (target <= 100).
# - virtio_blk: 64 KiB virtio-blk requests through the real device code on a memory disk against
#   memcpy of the same bytes (ratio; target >= 0.7), and instructions per request (callgrind):
#   the device path, the memcpy alone, and their difference (what a request costs beyond the copy).
set -euo pipefail
build="${1:-build}"
[ -x "$build/bench_dispatch" ] || { echo "run.sh: build first ($build/bench_dispatch missing)" >&2; exit 1; }

echo "== port-I/O round trip =="
"$build/bench_pio_roundtrip" || { rc=$?; [ "$rc" = 77 ] || exit "$rc"; }

echo
echo "== port-I/O round trip, user-space instructions per exit (callgrind) =="
exits=2000
out0="$(mktemp -d)"
for fn in raw_loop hv_vcpu_run; do
	if valgrind --tool=callgrind --callgrind-out-file="$out0/cg.$fn" --collect-atstart=no \
		--toggle-collect="$fn" "$build/bench_pio_roundtrip" "$exits" once >/dev/null 2>&1; then
		total=$(grep -E '^(summary|totals):' "$out0/cg.$fn" | head -1 | awk '{print $2}')
		awk -v f="$fn" -v t="$total" -v n="$exits" \
			'BEGIN { printf "  %-12s %9d instructions / %d exits = %.1f per exit\n", f, t, n, t / n }'
	else
		echo "  $fn: not measured (no usable /dev/kvm under valgrind)"
	fi
done
rm -rf "$out0"

echo
echo "== exit dispatch, instructions per dispatch (callgrind) =="
iterations=$(grep -o 'define ITERATIONS [0-9]*' "$(dirname "$0")/dispatch.c" | awk '{print $3}')
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for pattern in mmio-same mmio-walk pio-walk; do
	valgrind --tool=callgrind --callgrind-out-file="$out/cg.$pattern" --collect-atstart=no \
		--toggle-collect=hv_vcpu_dispatch "$build/bench_dispatch" "$pattern" >/dev/null 2>"$out/log.$pattern"
	total=$(grep -E '^(summary|totals):' "$out/cg.$pattern" | head -1 | awk '{print $2}')
	awk -v p="$pattern" -v t="$total" -v n="$iterations" \
		'BEGIN { printf "  %-10s %10d instructions / %d dispatches = %.1f per dispatch\n", p, t, n, t / n }'
done

echo
echo "== virtio-blk 64 KiB requests against memcpy =="
"$build/bench_virtio_blk"

echo
echo "== virtio-blk, instructions per 64 KiB request (callgrind) =="
requests=1000
for mode in device memcpy; do
	valgrind --tool=callgrind --callgrind-out-file="$out/cg.blk.$mode" --collect-atstart=no \
		--toggle-collect="${mode}_request" "$build/bench_virtio_blk" "$mode" "$requests" \
		>/dev/null 2>"$out/log.blk.$mode"
done
dev=$(grep -E '^(summary|totals):' "$out/cg.blk.device" | head -1 | awk '{print $2}')
cpy=$(grep -E '^(summary|totals):' "$out/cg.blk.memcpy" | head -1 | awk '{print $2}')
awk -v d="$dev" -v c="$cpy" -v n="$requests" 'BEGIN {
	printf "  device path %10d instructions / %d requests = %.0f per request\n", d, n, d / n
	printf "  memcpy      %10d instructions / %d copies   = %.0f per copy\n", c, n, c / n
	printf "  beyond the copy (driver side, dispatch, virtqueue, device): %.0f per request\n", (d - c) / n
}'
