#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Check that the core (lib/*.c, lib/arch/*/*.c without lib/platform_hosted.c, plus a backend
# table with no backends) builds freestanding and needs nothing from outside but the four
# functions the platform provides: memcpy, memset, memmove, memcmp.
#
# One exception, by design: the product links libfdt (issue 5: the core, the device models and
# libfdt are compiled into the firmware), and lib/devtree_write.c writes guest device trees
# with it. When the compiler finds <libfdt.h>, that file is built with HVLIB_HAVE_LIBFDT as the
# library is, and libfdt's own fdt_* functions are allowed too, from that file alone: every
# other object is checked without the exception. (What libfdt itself needs from a libc is the
# platform's business: the EL2 firmware provides it, see examples/05-el2-firmware/platform.c.)
#
# Usage: scripts/check-freestanding.sh [aarch64|x86_64]...   (default: both)
# Exit: 0 pass, 1 fail, 77 skip (a required compiler is missing; the reason is printed).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
allowed=(memcpy memset memmove memcmp)
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(aarch64 x86_64)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

sources=()
while IFS= read -r f; do
	[ "$f" = "$root/lib/platform_hosted.c" ] || sources+=("$f")
done < <(find "$root/lib" -maxdepth 1 -name '*.c' | sort
	find "$root/lib/arch" -mindepth 2 -maxdepth 2 -name '*.c' 2>/dev/null | sort
	find "$root/lib/devices" "$root/lib/loader" "$root/lib/virtio" "$root/lib/x86" -maxdepth 1 \
		-name '*.c' 2>/dev/null | sort)

# The generated backend table, with no backend.
sed -e 's/@HV_BACKEND_DECLS@//' -e 's/@HV_BACKEND_LIST@//' \
	"$root/cmake/hv_backends.c.in" >"$work/hv_backends.c"
sources+=("$work/hv_backends.c")

common=(-std=c11 -ffreestanding -nostdlib -fno-stack-protector -O2 -Wall -Wextra -Werror
	-I"$root/include" -I"$root/lib")

status=0
skipped=0
for arch in "${archs[@]}"; do
	case "$arch" in
	aarch64)
		cc=aarch64-linux-gnu-gcc ld=aarch64-linux-gnu-ld nm=aarch64-linux-gnu-nm
		# Outline atomics would call libgcc helpers (__aarch64_cas*); firmware has no libgcc.
		flags=(-mno-outline-atomics)
		;;
	x86_64)
		cc=gcc ld=ld nm=nm
		flags=(-m64 -mno-red-zone)
		;;
	*)
		echo "unknown architecture: $arch" >&2
		exit 2
		;;
	esac
	missing=""
	for tool in "$cc" "$ld" "$nm"; do
		command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
	done
	if [ -n "$missing" ]; then
		echo "SKIP $arch: missing$missing (scripts/setup-debian.sh installs them)"
		skipped=$((skipped + 1))
		continue
	fi

	fdt=()
	if echo '#include <libfdt.h>' | "$cc" -ffreestanding -E - >/dev/null 2>&1; then
		fdt=(-DHVLIB_HAVE_LIBFDT=1)
	fi
	echo "== $arch: $cc ${common[*]} ${flags[*]} (lib/devtree_write.c: ${fdt[*]:-no libfdt})"
	objs=()
	others=()
	failed=0
	for src in "${sources[@]}"; do
		obj="$work/$arch-$(basename "$(dirname "$src")")-$(basename "${src%.c}").o"
		extra=()
		[ "$src" != "$root/lib/devtree_write.c" ] || extra=("${fdt[@]}")
		if ! "$cc" "${common[@]}" "${flags[@]}" "${extra[@]}" -c "$src" -o "$obj"; then
			echo "FAIL $arch: ${src#"$root/"} does not compile freestanding"
			failed=1
		fi
		objs+=("$obj")
		[ "$src" = "$root/lib/devtree_write.c" ] || others+=("$obj")
	done
	if [ $failed -ne 0 ]; then
		status=1
		continue
	fi
	"$ld" -r -o "$work/core-$arch.o" "${objs[@]}"
	undefined="$("$nm" -u "$work/core-$arch.o" | awk '{print $NF}' | sort -u)"
	echo "undefined symbols ($arch, ${#sources[@]} sources):"
	if [ -n "$undefined" ]; then
		printf '  %s\n' $undefined
	else
		echo "  (none)"
	fi
	# libfdt's functions: only lib/devtree_write.c may call them.
	"$ld" -r -o "$work/others-$arch.o" "${others[@]}"
	others_undefined="$("$nm" -u "$work/others-$arch.o" | awk '{print $NF}' | sort -u)"
	bad=""
	for sym in $undefined; do
		ok=0
		for a in "${allowed[@]}"; do
			[ "$sym" = "$a" ] && ok=1
		done
		case "$sym" in
		fdt_*)
			if [ ${#fdt[@]} -ne 0 ] && ! printf '%s\n' "$others_undefined" | grep -qx "$sym"; then
				ok=1
			fi
			;;
		esac
		[ $ok -eq 1 ] || bad="$bad $sym"
	done
	if [ -n "$bad" ]; then
		echo "FAIL $arch: undefined symbols outside {${allowed[*]}}" \
			"(and libfdt's fdt_* from lib/devtree_write.c):$bad"
		status=1
	else
		echo "PASS $arch"
	fi
done

if [ $status -eq 0 ] && [ $skipped -eq ${#archs[@]} ]; then
	exit 77
fi
exit $status
