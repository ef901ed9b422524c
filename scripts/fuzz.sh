#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Build and run the libFuzzer targets for a bounded time.
#
# Usage: scripts/fuzz.sh [seconds] [target...]
#   seconds   time budget per target (default 30): -max_total_time
#   target    names without the prefix: "virtqueue" runs tests/fuzz/fuzz_virtqueue.c;
#             none means every tests/fuzz/fuzz_*.c (fuzz_support.c is not a target).
# Environment: FUZZ_BUILD_DIR (default build/fuzz), CLANG (default clang), FUZZ_JOBS (parallel
#   compiles, default nproc), FUZZ_ARGS (extra libFuzzer arguments).
# Exit: 0 no crash, 1 a target crashed, leaked, timed out or failed to build, 2 bad usage,
#   77 skipped (clang or its libFuzzer runtime is missing; the reason is printed).
#
# Convention for targets (other device authors: follow it and your target is picked up by this
# script and by CTest, as test fuzz_<name>, label "fuzz"):
#   - One file tests/fuzz/fuzz_<name>.c defining LLVMFuzzerTestOneInput(); use fuzz_support.h
#     for a VM on a null backend (fuzz_vm_create/fuzz_vm_start), guest RAM (fuzz_ram) and
#     guest accesses through the real dispatch path (fuzz_mmio/fuzz_pio), and fuzz_u8.. to
#     read the input. Create and destroy everything per input: no state across inputs, no
#     leaks (LeakSanitizer runs), no output (it slows the fuzzer down).
#   - Seeds in tests/fuzz/corpus/<name>/ (small binary files; at least one). The run works on a
#     temporary copy: the repository is never modified. Crashes are written to
#     $FUZZ_BUILD_DIR/crashes/<name>/ for reproduction: $FUZZ_BUILD_DIR/fuzz_<name> <file>.
#   - Every library source is linked in (lib/*.c, lib/devices/*.c, lib/loader/*.c, lib/virtio/*.c,
#     lib/x86/*.c, lib/hosted/*.c, lib/platform_hosted.c, lib/arch/*/*.c and an empty backend table),
#     built once per run with -DHVLIB_HOSTED=1 and the sanitizers. Backend code is not: a target
#     for it includes the backend's source itself (fuzz_vmx_apic.c, fuzz_el2_vgic.c).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-30}"
if [ $# -gt 0 ]; then
	shift
fi
case "$seconds" in
'' | *[!0-9]*)
	echo "usage: $0 [seconds] [target...]" >&2
	exit 2
	;;
esac

build="${FUZZ_BUILD_DIR:-$root/build/fuzz}"
cc="${CLANG:-clang}"
jobs="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}"

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "SKIP: $cc not found (install clang)"
	exit 77
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	while IFS= read -r f; do
		n="$(basename "$f" .c)"
		targets+=("${n#fuzz_}")
	done < <(find "$root/tests/fuzz" -maxdepth 1 -name 'fuzz_*.c' ! -name 'fuzz_support.c' |
		sort)
fi
if [ ${#targets[@]} -eq 0 ]; then
	echo "no fuzz targets in tests/fuzz/"
	exit 0
fi
for t in "${targets[@]}"; do
	if [ ! -f "$root/tests/fuzz/fuzz_$t.c" ]; then
		echo "no such target: tests/fuzz/fuzz_$t.c" >&2
		exit 2
	fi
done

mkdir -p "$build"
# shellcheck disable=SC2054 # the commas belong to the flags
san=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
cflags=(-std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror -I"$root/include"
	-I"$root/lib" -I"$root/tests/fuzz" -I"$root/tests/support" -DHVLIB_HOSTED=1)

# Does this clang have libFuzzer at all?
probe="$build/probe"
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
	>"$probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" >"$probe.log" 2>&1; then
	echo "SKIP: $cc cannot build libFuzzer targets (no libclang_rt.fuzzer?):"
	sed 's/^/  /' "$probe.log"
	exit 77
fi

# Build the library once per run; concurrent runs (ctest -j) take turns on the build dir.
build_lib() {
	local obj="$build/obj"
	local sources=() src

	rm -rf "$obj"
	mkdir -p "$obj"
	shopt -s nullglob
	for src in "$root"/lib/*.c "$root"/lib/arch/*/*.c "$root"/lib/devices/*.c \
		"$root"/lib/loader/*.c "$root"/lib/virtio/*.c "$root"/lib/x86/*.c "$root"/lib/hosted/*.c; do
		sources+=("$src")
	done
	shopt -u nullglob
	sed -e 's/@HV_BACKEND_DECLS@//' -e 's/@HV_BACKEND_LIST@//' \
		"$root/cmake/hv_backends.c.in" >"$obj/hv_backends.c"
	sources+=("$obj/hv_backends.c" "$root/tests/fuzz/fuzz_support.c" "$root/tests/support/null_backend.c")
	# Objects are named <dir>_<file>.o: lib/devices/x.c and lib/hosted/x.c stay apart.
	# shellcheck disable=SC2016 # expanded by the inner sh
	printf '%s\n' "${sources[@]}" | xargs -P "$jobs" -I{} sh -c '
		src="$1"; shift; obj="$1"; shift
		name="$(basename "$(dirname "$src")")_$(basename "$src" .c)"
		exec "$@" -c "$src" -o "$obj/$name.o"' sh {} "$obj" \
		"$cc" "${cflags[@]}" "${san[@]}" -fsanitize=fuzzer-no-link || return 1
	rm -f "$build/libhvfuzz.a"
	ar rcs "$build/libhvfuzz.a" "$obj"/*.o
}

exec 9>"$build/.lock"
if command -v flock >/dev/null 2>&1; then
	flock 9
fi
echo "== building the library for fuzzing in $build"
if ! build_lib; then
	echo "FAIL: the library does not build for fuzzing"
	exit 1
fi
for t in "${targets[@]}"; do
	echo "== building fuzz_$t"
	if ! "$cc" "${cflags[@]}" "${san[@]}" -fsanitize=fuzzer "$root/tests/fuzz/fuzz_$t.c" \
		"$build/libhvfuzz.a" -lpthread -o "$build/fuzz_$t"; then
		echo "FAIL fuzz_$t does not build"
		exit 1
	fi
done
if command -v flock >/dev/null 2>&1; then
	flock -u 9
fi

status=0
for t in "${targets[@]}"; do
	work="$(mktemp -d)"
	mkdir -p "$work/corpus" "$build/crashes/$t"
	if [ -d "$root/tests/fuzz/corpus/$t" ]; then
		cp -R "$root/tests/fuzz/corpus/$t/." "$work/corpus/"
	else
		echo "warning: no seed corpus tests/fuzz/corpus/$t/"
	fi
	echo "== fuzz_$t for ${seconds}s"
	# shellcheck disable=SC2086
	if ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1" \
		UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
		"$build/fuzz_$t" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$build/crashes/$t/" ${FUZZ_ARGS:-} \
		"$work/corpus" >"$work/log" 2>&1; then
		grep -E '^#[0-9]+ +DONE|^stat::(number_of_executed_units|average_exec_per_sec)' \
			"$work/log" || true
		echo "PASS fuzz_$t"
	else
		tail -n 60 "$work/log"
		echo "FAIL fuzz_$t (artifacts in $build/crashes/$t/)"
		status=1
	fi
	rm -rf "$work"
done
exit $status
