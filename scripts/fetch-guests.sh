#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Fetch the guest material the Linux-guest and nested-KVM tests need, from Debian's own packages:
#
#   - host tools: qemu-system-x86 (the L1 "hardware"), cpio, kmod (modinfo), xz-utils, zstd
#     (installed with apt-get only when dpkg-query says they are missing);
#   - Debian's current amd64 kernel image package (the one linux-image-amd64 depends on) and
#     busybox-static, fetched with `apt-get download` and unpacked with `dpkg-deb -x` into a cache
#     outside the source tree: ${HVLIB_CACHE:-$HOME/.cache/hvlib}/guests.
#
# busybox-static is unpacked, not installed: installing it would remove the host's `busybox`
# package, which initramfs-tools needs.
#
# Idempotent and non-interactive; needs root (or sudo) only to install missing host packages.
# Quick when everything is cached (no apt-get update, no download).
#
# Usage: scripts/fetch-guests.sh [--print | --env]
#   (no option)  fetch what is missing, then print a human-readable summary
#   --env        fetch what is missing, then print only shell assignments, for
#                `eval "$(scripts/fetch-guests.sh --env)"`:
#                HVLIB_GUEST_DIR, HVLIB_KVER, HVLIB_VMLINUZ, HVLIB_MODULES, HVLIB_BUSYBOX
#   --offline    like the default, but fail instead of installing or downloading anything
set -euo pipefail

mode=summary
offline=0
for arg in "$@"; do
	case "$arg" in
	--env) mode='env' ;;
	--print) mode=summary ;;
	--offline) offline=1 ;;
	-h | --help)
		sed -n '3,24p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "fetch-guests: unknown option '$arg' (try --help)" >&2
		exit 2
		;;
	esac
done

cache="${HVLIB_CACHE:-$HOME/.cache/hvlib}/guests"
log() { echo "fetch-guests: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 && sudo=(sudo)
fi
apt_get=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

apt_updated=0
apt_update_once() {
	if [ "$apt_updated" -eq 0 ]; then
		[ "$offline" -eq 0 ] || die "--offline: would need 'apt-get update'"
		log "apt-get update"
		"${apt_get[@]}" update >&2
		apt_updated=1
	fi
}

# apt lists present? (a fresh container has none, and apt-cache then knows nothing)
apt_lists_empty() {
	! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

# 1. Host packages.
host_packages=(qemu-system-x86 cpio kmod xz-utils zstd gzip)
missing=()
for p in "${host_packages[@]}"; do
	installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$offline" -eq 0 ] || die "--offline: missing host packages ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || [ ${#sudo[@]} -gt 0 ] || die "need root to install ${missing[*]}"
	apt_lists_empty && apt_update_once
	log "installing ${missing[*]}"
	# Recommends would add a GUI, OVMF and block drivers the harness never uses.
	if ! "${apt_get[@]}" install --no-install-recommends "${missing[@]}" >&2; then
		apt_update_once
		"${apt_get[@]}" install --no-install-recommends "${missing[@]}" >&2
	fi
fi

# 2. Which kernel package is current. Resolved from the apt lists each time (cheap, no network);
#    the cache keeps every version it has unpacked, so an update of the lists only adds one.
kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1
}
mkdir -p "$cache"
kpkg=""
apt_lists_empty || kpkg="$(kernel_pkg)"
if [ -z "$kpkg" ]; then
	# No lists (or an old list without the meta package): fall back to what the cache holds.
	last="$(find "$cache" -maxdepth 1 -name 'linux-image-*-amd64' | sort -V | tail -n1)"
	if [ -n "$last" ] && [ -f "$last/.done" ]; then
		kpkg="$(basename "$last")"
	else
		apt_update_once
		kpkg="$(kernel_pkg)"
	fi
fi
[ -n "$kpkg" ] || die "cannot resolve linux-image-amd64 to a kernel package"

# fetch_pkg NAME DIR: apt-get download NAME (if DIR is not complete) and dpkg-deb -x it into DIR.
fetch_pkg() {
	local name="$1" dir="$2" deb tmp
	[ -f "$dir/.done" ] && return 0
	[ "$offline" -eq 0 ] || die "--offline: $name is not in the cache ($dir)"
	tmp="$(mktemp -d "$cache/.dl.XXXXXX")"
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" RETURN
	log "downloading $name"
	if ! (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$name" >&2); then
		apt_update_once
		(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$name" >&2)
	fi
	deb="$(find "$tmp" -maxdepth 1 -name '*.deb' | head -n1)"
	[ -n "$deb" ] || die "apt-get download $name produced no .deb"
	rm -rf "$dir"
	mkdir -p "$dir"
	dpkg-deb -x "$deb" "$dir"
	dpkg-deb -f "$deb" Version >"$dir/.version"
	basename "$deb" >"$dir/.deb-name"
	touch "$dir/.done"
}

kdir="$cache/$kpkg"
fetch_pkg "$kpkg" "$kdir"
fetch_pkg busybox-static "$cache/busybox-static"

kver="${kpkg#linux-image-}"
vmlinuz="$kdir/boot/vmlinuz-$kver"
modules="$kdir/lib/modules/$kver"
busybox="$cache/busybox-static/bin/busybox"
[ -f "$vmlinuz" ] || die "no kernel at $vmlinuz"
[ -d "$modules" ] || die "no modules at $modules"
[ -x "$busybox" ] || die "no busybox at $busybox"

# A stable name for the newest kernel, for humans and scripts that do not eval --env.
ln -sfn "$kpkg" "$cache/linux-current"

if [ "$mode" = env ]; then
	printf 'HVLIB_GUEST_DIR=%q\n' "$cache"
	printf 'HVLIB_KVER=%q\n' "$kver"
	printf 'HVLIB_VMLINUZ=%q\n' "$vmlinuz"
	printf 'HVLIB_MODULES=%q\n' "$modules"
	printf 'HVLIB_BUSYBOX=%q\n' "$busybox"
	exit 0
fi

nmod="$(find "$modules" -name '*.ko*' | wc -l)"
ext="$(find "$modules" -name 'kvm.ko*' | head -n1)"
cat <<EOF
guest cache:   $cache
kernel:        $kpkg ($(cat "$kdir/.version"))
vmlinuz:       $vmlinuz
modules:       $modules ($nmod modules, e.g. ${ext#"$modules"/})
busybox:       $busybox ($(cat "$cache/busybox-static/.version"))
qemu:          $(command -v qemu-system-x86_64) ($(qemu-system-x86_64 --version | head -n1))
EOF
