#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Check what libhvlib exports: the shared library's dynamic symbols must all be public API
# names (hv_ followed by a letter), tagged with the HVLIB_0 version node, with the expected
# SONAME; no internal hv__* name may be exported. Every function the public headers declare
# with HV_API must be exported, and the static library must define the same API.
#
# Usage: scripts/check-exports.sh <libhvlib.so> <libhvlib.a> <major> <include/hvlib dir>
set -euo pipefail

so="$1" a="$2" major="$3" incdir="$4"
status=0

soname="$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
echo "SONAME: $soname"
if [ "$soname" != "libhvlib.so.$major" ]; then
	echo "FAIL: SONAME is '$soname', expected libhvlib.so.$major"
	status=1
fi

exports="$(nm -D --defined-only "$so" | awk '{print $NF}' | grep -v -x HVLIB_0 | sort -u)"
count="$(printf '%s\n' "$exports" | grep -c . || true)"
echo "exported symbols: $count"
printf '  %s\n' $exports
bad="$(printf '%s\n' "$exports" | grep -v -E '^hv_[a-z][A-Za-z0-9_]*(@@?HVLIB_0)?$' | grep -v -E '^HVLIB_0$' || true)"
if [ -n "$bad" ]; then
	echo "FAIL: exported names outside the public API:"
	printf '  %s\n' $bad
	status=1
fi
if [ "$count" -eq 0 ]; then
	echo "FAIL: nothing exported"
	status=1
fi
unversioned="$(nm -D --defined-only --with-symbol-versions "$so" 2>/dev/null |
	awk '$NF ~ /^hv_/ && $NF !~ /@HVLIB_0$/ {print $NF}' || true)"
if [ -n "$unversioned" ]; then
	echo "FAIL: symbols without the HVLIB_0 version:"
	printf '  %s\n' $unversioned
	status=1
fi

# Every HV_API function of the headers must be exported (else users get link errors).
declared="$(grep -h '^HV_API' "$incdir"/*.h | sed -E 's/^([^(]*[ *])([A-Za-z_0-9]+)\(.*/\2/' | sort -u)"
echo "declared HV_API functions: $(printf '%s\n' "$declared" | grep -c . || true)"
plain="$(printf '%s\n' "$exports" | sed 's/@.*//' | sort -u)"
missing="$(comm -23 <(printf '%s\n' "$declared") <(printf '%s\n' "$plain"))"
if [ -n "$missing" ]; then
	echo "FAIL: declared with HV_API but not exported (not implemented, or not HV_API):"
	printf '  %s\n' $missing
	status=1
fi
undeclared="$(comm -13 <(printf '%s\n' "$declared") <(printf '%s\n' "$plain"))"
if [ -n "$undeclared" ]; then
	echo "FAIL: exported but declared in no public header:"
	printf '  %s\n' $undeclared
	status=1
fi

# Every exported name must also be defined by the static library.
static_defs="$(nm --defined-only "$a" 2>/dev/null | awk 'NF == 3 && $2 ~ /[TDRB]/ {print $3}' | sort -u)"
for sym in $exports; do
	sym="${sym%%@*}"
	if ! grep -qx -- "$sym" <<<"$static_defs"; then
		echo "FAIL: $sym is exported by $so but not defined in $a"
		status=1
	fi
done

[ $status -eq 0 ] && echo "PASS"
exit $status
