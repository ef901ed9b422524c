#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# THE test command: install dependencies, build, run every test; then do it again under
# AddressSanitizer and UBSan. Exits non-zero if anything fails.
#
#   bash scripts/test.sh
#
# Environment: JOBS (parallel build/test jobs, default: number of CPUs),
# HVLIB_TEST_SKIP_ASAN=1 to skip the sanitizer pass.
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
jobs="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

bash scripts/setup-debian.sh || exit 1

gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)

results=()
failed=0

# step <name> <command...>
step() {
	local name="$1"
	shift
	echo
	echo "=== $name: $*"
	if "$@"; then
		results+=("PASS  $name")
	else
		results+=("FAIL  $name")
		failed=1
		return 1
	fi
}

# pass <build dir> <label> <extra cmake args...>
pass() {
	local dir="$1" label="$2"
	shift 2
	# A build directory made by another generator cannot be reused.
	if [ -f "$dir/CMakeCache.txt" ] && [ ${#gen[@]} -gt 0 ] &&
		! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
		rm -rf "$dir"
	fi
	step "$label configure" cmake -S . -B "$dir" "${gen[@]}" "$@" || return 1
	step "$label build" cmake --build "$dir" --parallel "$jobs" || return 1
	step "$label ctest" ctest --test-dir "$dir" --output-on-failure --parallel "$jobs" \
		${CTEST_EXCLUDE:+-E "$CTEST_EXCLUDE"}
}

pass build "default" -DCMAKE_BUILD_TYPE=RelWithDebInfo

if [ "${HVLIB_TEST_SKIP_ASAN:-0}" != 1 ]; then
	# Docs do not depend on the build flags, the installed-consumer test cannot use a
	# sanitized library, and the fuzz targets are built with ASan+UBSan already: all three
	# run in the default pass only.
	CTEST_EXCLUDE='^(docs_warning_free|install_consumer|fuzz_.*)$' \
		pass build-asan "asan+ubsan" -DCMAKE_BUILD_TYPE=Debug -DHVLIB_SANITIZE=ON \
		-DHVLIB_BUILD_DOCS=OFF
fi

echo
echo "=== summary"
printf '%s\n' "${results[@]}"
if [ $failed -ne 0 ]; then
	echo "RESULT: FAIL"
	exit 1
fi
echo "RESULT: PASS"
