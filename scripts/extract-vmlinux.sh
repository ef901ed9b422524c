#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Take the ELF vmlinux out of an x86 bzImage (Debian's vmlinuz): after the setup sectors
# (setup_sects at 0x1f1, 4 when 0), the payload at payload_offset (0x248) holds payload_length
# (0x24c) bytes of xz. The ELF carries the PVH entry note, so hvlib boots it directly and the
# guest does not spend billions of instructions decompressing itself.
#
# Usage: scripts/extract-vmlinux.sh VMLINUZ OUT
# Exit: 0 OUT is an ELF; 1 it could not be extracted (said on stderr).
set -uo pipefail

in="${1:?usage: $0 VMLINUZ OUT}"
out="${2:?usage: $0 VMLINUZ OUT}"
u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
sects="$(u8 "$in" $((0x1f1)))"
[ "${sects:-0}" -eq 0 ] && sects=4
poff="$(u32 "$in" $((0x248)))"
plen="$(u32 "$in" $((0x24c)))"
# xz complains about the padding after the stream: its status says nothing, the ELF check does.
tail -c +$(((sects + 1) * 512 + ${poff:-0} + 1)) "$in" | head -c "${plen:-0}" |
	xz -dc 2>/dev/null >"$out"
if ! head -c 4 "$out" | grep -q ELF; then
	echo "extract-vmlinux: cannot extract vmlinux from $in" >&2
	exit 1
fi
