#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Run one scenario of the EL2 test firmware under QEMU's virt board at EL2 and check it:
# the firmware's exit status (semihosting) must be 0 and the console must show every
# pattern given.
#
# Usage: tests/el2/run.sh FIRMWARE.elf SCENARIO [PATTERN]...
# Environment: HVLIB_EL2_TIMEOUT (seconds, default 60), HVLIB_EL2_QEMU_ARGS (extra arguments).
# Exit: 0 pass, 1 fail, 77 skip (qemu-system-aarch64 or the firmware is missing).
set -uo pipefail

fw="$1" scenario="$2"
shift 2
if ! command -v qemu-system-aarch64 >/dev/null 2>&1; then
	echo "SKIP: qemu-system-aarch64 not found (install qemu-system-arm)"
	exit 77
fi
if [ ! -f "$fw" ]; then
	echo "SKIP: $fw was not built (the AArch64 cross compiler is missing?)"
	exit 77
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# shellcheck disable=SC2086
nice timeout --foreground -k 5 "${HVLIB_EL2_TIMEOUT:-60}" qemu-system-aarch64 \
	-M virt,virtualization=on,gic-version=3 -cpu max -smp 4 -m 1024 -nographic \
	-semihosting-config enable=on,target=native -kernel "$fw" -append "$scenario" \
	${HVLIB_EL2_QEMU_ARGS:-} </dev/null >"$log" 2>&1
rc=$?
cat "$log"
if [ $rc -eq 124 ]; then
	echo "FAIL: timed out"
	exit 1
fi
if [ $rc -ne 0 ]; then
	echo "FAIL: firmware exit status $rc"
	exit 1
fi
if grep -q "FAIL" "$log"; then
	echo "FAIL: the console reports a failure"
	exit 1
fi
for p in "$@"; do
	if ! grep -Eq -- "$p" "$log"; then
		echo "FAIL: console does not show: $p"
		exit 1
	fi
done
echo "PASS"
