#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The Linux part of the demo: Debian's own amd64 kernel and busybox, from Debian's packages,
# booted by hvrun (examples/03-hvrun) to a shell prompt on the guest's serial console, with
# 2 vCPUs, a virtio disk and a virtio-rng.
#
# Where it runs:
#   - on a host whose /dev/kvm boots Linux at usable speed (`hvrun --check` says so): right
#     here. On a terminal the shell is yours (Ctrl-A x quits); otherwise a short scripted
#     session is typed into it.
#   - otherwise (a software KVM, like this project's build machines): inside the KVM-in-QEMU
#     harness (docs/harness.md), where L1 has a KVM with hardware semantics; the scripted
#     session is typed into the guest's shell there. The script says which.
#
# Usage: scripts/demo-linux.sh [--build DIR] [--harness]   (--harness: use it in any case)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"
force_harness=0
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build="$2"; shift 2 ;;
	--harness) force_harness=1; shift ;;
	-h | --help) sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "demo-linux: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
hvrun="$build/examples/03-hvrun/hvrun"
[ -x "$hvrun" ] || { echo "demo-linux: $hvrun not built" >&2; exit 1; }

say "Fetching Debian's kernel and busybox (cached in ${HVLIB_CACHE:-$HOME/.cache/hvlib})"
"$root/scripts/fetch-guests.sh"
eval "$("$root/scripts/fetch-guests.sh" --env)"

work="$(mktemp -d "${TMPDIR:-/tmp}/hvlib-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/demo/l2"
cp "$HVLIB_VMLINUZ" "$work/demo/l2/vmlinuz"
# The guest: busybox, the virtio modules, and an interactive shell on the console.
cat >"$work/motd" <<'EOF'
echo
echo "Welcome to Debian's Linux $(uname -r) on hvlib: $(nproc) CPUs,"
echo "disks: $(ls /sys/block | grep vd | tr '\n' ' ')  virtio devices: $(ls /sys/bus/virtio/devices | wc -l)"
echo "poweroff -f ends the VM."
EOF
"$root/scripts/kvm-harness/mk-initramfs.sh" --out "$work/demo/l2/initramfs.cpio.gz" \
	--module virtio_mmio --module virtio_blk --module virtio_rng --module virtio_net \
	--file "$work/motd:/etc/motd.sh" --run 'sh /etc/motd.sh; PS1="hvlib-guest:\w# " sh -i' 2>/dev/null
# A small disk for the guest to look at.
dd if=/dev/zero of="$work/demo/disk.img" bs=1M count=16 2>/dev/null
printf 'hello from the host\n' | dd of="$work/demo/disk.img" conv=notrunc 2>/dev/null

# The scripted session: each line typed once the shell's prompt is there.
cat >"$work/demo/session.sh" <<'EOF'
#!/bin/sh
# typist OUTFILE: waits for the guest's prompt in OUTFILE before typing each command.
out="$1"
prompts() {
	c="$(grep -c 'hvlib-guest:' "$out" 2>/dev/null)"
	echo "${c:-0}"
}
n=0
for cmd in 'uname -a' 'grep -c ^processor /proc/cpuinfo' 'cat /proc/interrupts | grep -e virtio -e ttyS0' \
	'head -c 20 /dev/vda' 'ls /sys/bus/virtio/drivers' 'poweroff -f'; do
	n=$((n + 1))
	i=0
	while [ "$(prompts)" -lt "$n" ]; do
		i=$((i + 1))
		[ "$i" -gt 3000 ] && exit 1
		sleep 0.1
	done
	printf '%s\n' "$cmd"
done
EOF
chmod +x "$work/demo/session.sh"

args=(--kernel l2/vmlinuz --initrd l2/initramfs.cpio.gz --cpus 2 --mem 256M --disk disk.img
	--console stdio --timing --timing-marker HVLIB-L2-INIT)

use_harness="$force_harness"
if [ "$use_harness" -eq 0 ]; then
	say "Can this host's /dev/kvm boot Linux? (hvrun --check)"
	if ! "$hvrun" --check; then
		use_harness=1
	fi
fi

if [ "$use_harness" -eq 0 ]; then
	cd "$work/demo"
	if [ -t 0 ] && [ -t 1 ]; then
		say "Booting Linux under hvrun here; the shell is yours (poweroff -f, or Ctrl-A x)"
		exec "$hvrun" "${args[@]}"
	fi
	say "Booting Linux under hvrun here, with a scripted shell session"
	mkfifo in
	./session.sh out.log >in &
	"$hvrun" "${args[@]}" <in | tee out.log
	exit "${PIPESTATUS[0]}"
fi

say "This host's /dev/kvm cannot boot Linux at usable speed, so the demo runs hvrun inside the
KVM-in-QEMU harness: QEMU's emulator runs Debian's kernel with kvm-amd (L1), whose /dev/kvm has
hardware semantics; hvrun runs there and boots the same Debian kernel as its guest (L2).
Expect about a minute: both levels run in an emulator. Lines from L1 are QEMU's console."
"$root/scripts/kvm-harness/build-hvrun.sh" --build "$build" --out "$work/demo/hvrun"
cat >"$work/demo/run.sh" <<EOF
#!/bin/sh
set -o pipefail
mkfifo in
./session.sh out.log >in &
./hvrun ${args[*]} <in | tee out.log
EOF
# run-l1.sh streams L1's console; its last lines say how hvrun ended.
status=0
"$root/scripts/kvm-harness/run-l1.sh" --smp 1 --timeout 600 --file "$work/demo:/opt/hvlib/demo" \
	--run "cd demo && sh ./run.sh" || status=$?
exit "$status"
