#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Build a statically linked hvrun (examples/03-hvrun) from a build tree's libhvlib.a, for L1 of
# the KVM-in-QEMU harness, whose initramfs has no shared libraries.
#
# Usage: scripts/kvm-harness/build-hvrun.sh --build DIR --out FILE
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build=""
out=""
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build="$2"; shift 2 ;;
	--out) out="$2"; shift 2 ;;
	-h | --help) sed -n '3,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "build-hvrun: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[ -n "$build" ] && [ -n "$out" ] || { echo "usage: $0 --build DIR --out FILE" >&2; exit 2; }
[ -f "$build/libhvlib.a" ] || { echo "build-hvrun: $build/libhvlib.a missing" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
# glibc warns that a static program calling getpwnam & co. needs the shared libc at run time;
# hvrun calls none of them (the warnings come from libc's own objects): filter them out.
"${CC:-gcc}" -O2 -static -Wall -Wextra -I"$root/include" -I"$build/include" -o "$out" \
	"$root/examples/03-hvrun/hvrun.c" "$build/libhvlib.a" -lpthread 2>&1 |
	{ grep -v -e 'statically linked applications requires at runtime' -e 'in function' || true; } >&2
[ -x "$out" ] || { echo "build-hvrun: no $out" >&2; exit 1; }
