#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# hvlib's KVM integration tests (tests/integration/*.c, built as DIR/itest_<name>) on a KVM with
# hardware semantics: the nested KVM inside L1 (Debian's kernel under QEMU's emulator with
# kvm-amd; see scripts/kvm-harness/run-l1.sh and docs/harness.md). They otherwise only run on this
# machine's software /dev/kvm.
#
# The itests are dynamically linked (libcmocka has no static library on Debian), so the script
# carries into L1 every DIR/itest_* together with the shared libraries `ldd` names for them
# (libhvlib.so.0, libcmocka.so.0, libc.so.6, the dynamic loader ...), each at the absolute path
# the loader will look for it at, plus a runner that runs each itest in turn under a time limit.
# Paths under /tmp (L1 mounts a tmpfs there) are staged in the initramfs and copied into place
# by the runner. One line per test, then a summary:
#   ITEST name=faults status=0 result=pass ms=1234
#   ITESTS passed=11 skipped=0 failed=1
#
# Usage: tests/linux/itests_in_l1.sh [--build DIR] [--only NAME]... [--verbose] [--icount]
#                                    [--test-timeout S] [--timeout S] [--keep-work]
#   --build DIR         hvlib build tree holding itest_* and libhvlib.so.0 (default:
#                       $HVLIB_BUILD or ./build of the source tree). Only read, never rebuilt.
#   --only NAME         run only itest_NAME (repeatable)
#   --verbose           print every test's output (default: only the output of failed tests)
#   --test-timeout S    limit of each itest inside L1 (default 120; exit 124 there = failure)
#   --timeout S         limit of the whole L1 run (default 600)
#   --icount            run L1 under -icount (see run-l1.sh)
#   --keep-work         keep the work directory (console log, runner)
# Exit: 0 all passed or skipped (77 inside L1 is a skip); 1 a test failed; 77 skipped (no itests
#   in DIR, or all of them skipped in L1); 124-126 harness failures (see run-l1.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${HVLIB_BUILD:-$root/build}"
harness_args=(--smp 1) # see docs/harness.md: nested SVM soft lockups with 2 L1 CPUs
only=()
verbose=0
keep_work=0
timeout_s=600
test_timeout=120
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build="$2"; shift 2 ;;
	--only) only+=("$2"); shift 2 ;;
	--verbose) verbose=1; shift ;;
	--icount) harness_args+=(--icount); shift ;;
	--timeout) timeout_s="$2"; shift 2 ;;
	--test-timeout) test_timeout="$2"; shift 2 ;;
	--keep-work) keep_work=1; shift ;;
	-h | --help) sed -n '3,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "itests_in_l1: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
log() { echo "itests_in_l1: $*" >&2; }
skip() {
	log "SKIP: $*"
	exit 77
}
[[ "$test_timeout" =~ ^[0-9]+$ ]] || { log "--test-timeout wants whole seconds"; exit 2; }

build_arg="$build"
build="$(cd "$build" 2>/dev/null && pwd)" || skip "no build tree at $build_arg"
command -v ldd >/dev/null || skip "ldd missing"

tests=()
if [ "${#only[@]}" -gt 0 ]; then
	for n in "${only[@]}"; do
		[ -x "$build/itest_$n" ] || { log "no $build/itest_$n"; exit 2; }
		tests+=("$build/itest_$n")
	done
else
	for f in "$build"/itest_*; do
		[ -f "$f" ] && [ -x "$f" ] && tests+=("$f")
	done
fi
[ "${#tests[@]}" -gt 0 ] || skip "no itest_* executables in $build (cmocka missing?)"

work="$(mktemp -d "${TMPDIR:-/tmp}/hvlib-itests-l1.XXXXXX")"
if [ "$keep_work" -eq 1 ]; then trap 'log "kept $work"' EXIT; else trap 'rm -rf "$work"' EXIT; fi

# ---- What goes into L1 ------------------------------------------------------------------------
# dests[DST]=SRC: the absolute path in L1 and the (symlink-resolved) host file behind it.
declare -A dests=()
add() { # add SRC DST
	local src dst="$2"
	src="$(readlink -f "$1")"
	[ -f "$src" ] || { log "missing file $1"; exit 1; }
	dests["$dst"]="$src"
}
for t in "${tests[@]}"; do
	add "$t" "$t"
	# ldd lines: "libx.so.N => /path/libx.so.N (0x...)", "/lib64/ld-linux-x86-64.so.2 (0x...)",
	# "linux-vdso.so.1 (0x...)" (in the kernel, nothing to carry).
	while read -r a b c _; do
		if [ "$b" = "=>" ]; then
			[[ "$c" == /* ]] || { log "$(basename "$t"): $a not found by ldd"; exit 1; }
			add "$c" "$c"
		elif [[ "$a" == /* ]]; then
			add "$a" "$a"
		fi
	done < <(ldd "$t")
done

# Files under /tmp (a build tree there, for example) would be hidden by L1's tmpfs: stage them
# under /opt/hvlib/tmproot; the runner copies that into /tmp first.
staged=0
files=()
cc="${CC:-gcc}"
if command -v "$cc" >/dev/null &&
	"$cc" -O2 -static -o "$work/timeit" "$root/scripts/kvm-harness/timeit.c" 2>/dev/null; then
	files+=(--file "$work/timeit")
else
	log "no static timeit (cannot link statically): times from /proc/uptime (10 ms)"
fi
# Shared libraries (the loader among them) before the programs: run-l1.sh warns about a dynamic
# program whose loader is not in L1 yet.
is_test() { local t; for t in "${tests[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }
ordered=()
for dst in $(printf '%s\n' "${!dests[@]}" | LC_ALL=C sort); do is_test "$dst" || ordered+=("$dst"); done
ordered+=("${tests[@]}")
for dst in "${ordered[@]}"; do
	case "$dst" in
	/tmp/*) files+=(--file "${dests[$dst]}:/opt/hvlib/tmproot${dst#/tmp}"); staged=1 ;;
	*) files+=(--file "${dests[$dst]}:$dst") ;;
	esac
done
log "carrying ${#tests[@]} itests and $((${#dests[@]} - ${#tests[@]})) shared libraries into L1" \
	"($(du -chL "${dests[@]}" | tail -n1 | cut -f1))"

# ---- The runner, run by L1's /init in /opt/hvlib -----------------------------------------------
{
	echo '#!/bin/sh'
	echo '# Generated by tests/linux/itests_in_l1.sh; runs inside L1.'
	echo "verbose=$verbose"
	echo "limit=$test_timeout"
	echo "staged=$staged"
	printf 'tests="'
	printf '%s ' "${tests[@]}"
	echo '"'
	cat <<'EOF'
[ "$staged" -eq 0 ] || cp -a /opt/hvlib/tmproot/. /tmp/
up() { cut -d' ' -f1 /proc/uptime; }
passed=0 skipped=0 failed=0
for t in $tests; do
	name="${t##*/itest_}"
	out="/tmp/itest-out.$name"
	if command -v timeit >/dev/null; then
		timeit "$name" timeout -s KILL "$limit" "$t" >"$out" 2>&1
		rc=$?
		ms="$(sed -n 's/^TIMEIT label=.* ns=\([0-9]*\) .*/\1/p' "$out" | tail -n1)"
		ms=$(( ${ms:-0} / 1000000 ))
		sed -i '/^TIMEIT label=/d' "$out"
	else
		t0="$(up)"
		timeout -s KILL "$limit" "$t" >"$out" 2>&1
		rc=$?
		ms="$(awk -v a="$t0" -v b="$(up)" 'BEGIN { printf "%d", (b - a) * 1000 }')"
	fi
	case "$rc" in
	0) result=pass; passed=$((passed + 1)) ;;
	77) result=skip; skipped=$((skipped + 1)) ;;
	137) result=timeout; failed=$((failed + 1)) ;;
	*) result=fail; failed=$((failed + 1)) ;;
	esac
	if [ "$verbose" -eq 1 ] || [ "$result" != pass ]; then
		sed "s/^/[$name] /" "$out"
	fi
	echo "ITEST name=$name status=$rc result=$result ms=$ms"
done
echo "ITESTS passed=$passed skipped=$skipped failed=$failed"
[ "$failed" -eq 0 ] || exit 1
[ "$passed" -gt 0 ] || exit 77
exit 0
EOF
} >"$work/itests-run.sh"
chmod +x "$work/itests-run.sh"
files+=(--file "$work/itests-run.sh")

console="$work/console.log"
log "running in L1 (each test limited to ${test_timeout}s)"
set +e
"$root/scripts/kvm-harness/run-l1.sh" "${harness_args[@]}" --timeout "$timeout_s" --log "$console" \
	--quiet "${files[@]}" --run "sh ./itests-run.sh"
rc=$?
set -e
[ -f "$console" ] || { log "no console log (run-l1 status $rc)"; exit "$rc"; }
case "$rc" in
124 | 125 | 126)
	log "harness failure (run-l1 status $rc)"
	exit "$rc"
	;;
esac

# The results, as L1 printed them (the failed tests' output first).
grep -E '^\[[A-Za-z0-9_]+\] ' "$console" || true
summary="$(grep -E '^ITESTS ' "$console" | tail -n1)"
grep -E '^ITEST ' "$console" | awk '{
	for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	printf "%-12s %-7s status=%-3s %8.3f s\n", f["name"], f["result"], f["status"], f["ms"] / 1000
}'
[ -n "$summary" ] || { log "runner printed no summary (run-l1 status $rc)"; tail -n 40 "$console" >&2; exit 1; }
echo "$summary"
case "$rc" in
0 | 1 | 77) exit "$rc" ;;
*) log "runner exited with status $rc"; exit 1 ;;
esac
