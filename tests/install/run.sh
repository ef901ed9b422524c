#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Install the built tree into a temporary prefix, then build tests/install/consumer.c against it
# (1) with pkg-config and (2) with find_package(hvlib) (each shared and static), run each, and
# check the output names the expected version.
#
# Usage: tests/install/run.sh <build dir> <this dir> <version>
set -euo pipefail

build="$1" here="$2" version="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

for tool in cc pkg-config cmake; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool not found"
		exit 77
	fi
done

echo "== cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" || {
	cat "$work/install.log"
	exit 1
}

pcdir="$(dirname "$(find "$prefix" -name hvlib.pc | head -n 1)")"
libdir="$(dirname "$pcdir")"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

check() {
	local what="$1" exe="$2"
	local out
	echo "== run ($what): $exe"
	out="$("$exe")"
	printf '%s\n' "$out"
	if ! printf '%s\n' "$out" | grep -q "^hvlib $version "; then
		echo "FAIL ($what): expected 'hvlib $version' in the output"
		exit 1
	fi
	if ! printf '%s\n' "$out" | grep -q '^backends: [0-9]'; then
		echo "FAIL ($what): hv_backend_list output missing"
		exit 1
	fi
}

echo "== pkg-config (PKG_CONFIG_PATH=$pcdir)"
flags="$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs hvlib)"
echo "flags: $flags"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror -o "$work/consumer_pc" "$here/consumer.c" $flags
check pkg-config "$work/consumer_pc"

sflags="$(PKG_CONFIG_PATH="$pcdir" pkg-config --static --libs hvlib)"
echo "static flags: $sflags"
case " $sflags " in
*" -lpthread "*) ;;
*)
	echo "FAIL: pkg-config --static does not add -lpthread"
	exit 1
	;;
esac
# Linked against libhvlib.a with what pkg-config --static says (libfdt, when the library
# writes device trees with it: consumer.c calls hv_arm64_fdt_write()).
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror -o "$work/consumer_pc_static" "$here/consumer.c" \
	$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags hvlib) ${sflags//-lhvlib/-l:libhvlib.a}
check pkg-config-static "$work/consumer_pc_static"

echo "== find_package(hvlib)"
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
cmake -S "$here" -B "$work/consumer-build" "${gen[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
	>"$work/configure.log" 2>&1 || {
	cat "$work/configure.log"
	exit 1
}
cmake --build "$work/consumer-build" >"$work/build.log" 2>&1 || {
	cat "$work/build.log"
	exit 1
}
check find_package "$work/consumer-build/consumer"
check find_package-static "$work/consumer-build/consumer_static"
if ldd "$work/consumer-build/consumer_static" | grep -q libhvlib; then
	echo "FAIL: hvlib::hvlib_static consumer depends on libhvlib.so"
	exit 1
fi

echo "PASS"
