#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Install the Debian 12 packages hvlib's build, tests and demo need. Idempotent and quick when
# everything is present (checked with dpkg-query first). Needs root (or sudo) only to install.
set -euo pipefail

packages=(
	build-essential cmake ninja-build pkg-config
	libfdt-dev libcapstone-dev libcmocka-dev
	doxygen
	gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-system-arm
	clang llvm libclang-rt-dev valgrind python3 acpica-tools
	cpio
	bochs bochsbios vgabios bochs-x xvfb xauth grub-pc-bin grub-common xorriso mtools
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done

# The EL2 firmware's Linux guests need arm64 packages, fetched with `apt-get download` and
# never installed: libfdt-dev (its libfdt.a, by scripts/build-el2-firmware.sh; installing
# libfdt-dev:arm64 would remove the host's libfdt-dev), the kernel and busybox (by the tests).
# apt knows them once dpkg has the arm64 architecture.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "setup-debian: adding dpkg's arm64 architecture (for apt-get download of arm64 packages)"
	as_root=()
	[ "$(id -u)" -eq 0 ] || as_root=(sudo)
	{ "${as_root[@]}" dpkg --add-architecture arm64 && "${as_root[@]}" apt-get update -q; } ||
		echo "setup-debian: no arm64 packages: the EL2 Linux guest test will be skipped" >&2
fi

if [ ${#missing[@]} -eq 0 ]; then
	echo "setup-debian: all ${#packages[@]} packages already installed"
	exit 0
fi

echo "setup-debian: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo=(sudo)
	else
		echo "setup-debian: need root to install ${missing[*]}" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
apt_get=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

# Refresh the package lists only when they are missing or the install cannot find a package.
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
	"${apt_get[@]}" update
fi
if ! "${apt_get[@]}" install --no-install-recommends "${missing[@]}"; then
	"${apt_get[@]}" update
	"${apt_get[@]}" install --no-install-recommends "${missing[@]}"
fi
