#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Runs inside L1 (busybox sh, in /opt/hvlib, next to a static hvrun and l2/{vmlinuz,
# initramfs.cpio.gz}); started by tests/linux/hvrun_linux.sh. Boots the L2 guests with hvrun,
# each scenario checked from the guests' own console lines (hvrun_guest.sh) and from what hvrun
# reports: its exit status and the disk image it served. One line per check:
#   HVT-RESULT NAME PASS|FAIL [why]
# Exit: the number of failed checks.
K=l2/vmlinuz
I=l2/initramfs.cpio.gz
fails=0
pass() { echo "HVT-RESULT $1 PASS"; }
fail() {
	echo "HVT-RESULT $1 FAIL $2"
	fails=$((fails + 1))
}
check() { # check NAME FILE PATTERN: PATTERN (grep -E) is a line of FILE
	if tr -d '\r' <"$2" | grep -Eq "$3"; then pass "$1"; else fail "$1" "no line /$3/ in $2"; fi
}
show() { # show LABEL FILE...: the outputs, for the log
	for f in "$@"; do
		[ -f "$f" ] && tr -d '\r' <"$f" | sed "s/^/[$1] /"
	done
}
sha() { sha256sum | cut -d' ' -f1; }
# Each hvrun run is bounded (SIGTERM: hvrun stops its VMs and exits 5), so a scenario that
# hangs fails its own checks, with the guests' consoles shown, and the others still run. The
# bounds are several times what a run takes here (about 20-60 s), within run-l1's time-out.
bound() { # bound SECONDS COMMAND...
	timeout "$@"
	r=$?
	[ "$r" -eq 5 ] || [ "$r" -eq 143 ] && echo "HVT-NOTE: stopped after $1 s (hung?)" >&2
	return "$r"
}

# ---- main: 2 vCPUs, virtio-blk, virtio-console, power-off ----------------------------------
echo "== main"
dd if=/dev/urandom of=disk.img bs=1M count=8 2>/dev/null
rd="$(dd if=disk.img bs=65536 count=16 2>/dev/null | sha)"
before="$(dd if=disk.img bs=65536 skip=48 count=80 2>/dev/null | sha)"
rm -f hvc.in hvc.out
mkfifo hvc.in
# The virtio-console input: once the guest says it listens, one line, then end of input.
(
	i=0
	while ! grep -q HVT-HVC-READY hvc.out 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -ge 1500 ] && break
		sleep 0.2
	done
	echo "HVT-HVC-IN 4242"
) >hvc.in &
bound 200 hvrun --kernel "$K" --initrd "$I" --cpus 2 --mem 256M --disk disk.img --vconsole stdio \
	--console file:main.serial --cmdline "hvtest=main hvtest.rd=$rd" --timing \
	--timing-marker HVLIB-L2-INIT <hvc.in >hvc.out 2>main.err
rc=$?
wait
show main main.serial
show main-hvc hvc.out
show main-err main.err
[ "$rc" -eq 0 ] && pass main.poweroff-exit-0 || fail main.poweroff-exit-0 "hvrun status $rc"
check main.marker main.serial '^HVLIB-L2-INIT$'
check main.cpus-online main.serial '^HVT cpus=2 online=0-1$'
check main.acpi-poweroff main.serial 'reboot: Power down'
check main.disk-read main.serial '^HVT disk-read ok$'
check main.disk-size main.serial '^HVT disk-size sectors=16384$'
wsha="$(tr -d '\r' <main.serial | sed -n 's/^HVT disk-write sha=//p')"
bsha="$(tr -d '\r' <main.serial | sed -n 's/^HVT disk-readback sha=//p')"
hsha="$(dd if=disk.img bs=65536 skip=32 count=16 2>/dev/null | sha)"
if [ -n "$wsha" ] && [ "$wsha" = "$hsha" ] && [ "$bsha" = "$hsha" ]; then
	pass main.disk-write-on-image
else
	fail main.disk-write-on-image "guest wrote $wsha, read back $bsha, image has $hsha"
fi
after="$(dd if=disk.img bs=65536 skip=48 count=80 2>/dev/null | sha)"
[ "$before" = "$after" ] && pass main.disk-rest-untouched || fail main.disk-rest-untouched "bytes past the write changed"
check main.hvc-input main.serial '^HVT hvc-in=HVT-HVC-IN 4242$'
check main.hvc-output hvc.out '^HVT-HVC-OUT got=HVT-HVC-IN 4242$'
check main.timing main.err 'timing: .*marker "HVLIB-L2-INIT"'

# ---- net: two VMs on hvrun's switch ping each other ------------------------------------------
echo "== net"
cat >net.cfg <<CFG
# two VMs on the switch inside hvrun
[vm a]
kernel = $K
initrd = $I
mem = 192M
cmdline = hvtest=net-a
net = switch
console = file:net-a.serial
rng = no

[vm b]
kernel = $K
initrd = $I
mem = 192M
cmdline = hvtest=net-b
net = switch
console = file:net-b.serial
rng = no
CFG
bound 200 hvrun --config net.cfg >net.out 2>&1
rc=$?
show net-a net-a.serial
show net-b net-b.serial
show net net.out
[ "$rc" -eq 0 ] && pass net.both-poweroff || fail net.both-poweroff "hvrun status $rc"
check net.a-pings-b net-a.serial '^HVT ping ok 3 packets received'
check net.b-pings-a net-b.serial '^HVT ping ok 3 packets received'

# ---- reboot, policy restart: the guest reboots once, comes back, powers off ------------------
echo "== reboot-restart"
dd if=/dev/zero of=r1.img bs=1M count=1 2>/dev/null
bound 150 hvrun --kernel "$K" --initrd "$I" --disk r1.img --no-rng --on-reboot restart --restart-limit 3 \
	--cmdline hvtest=reboot --console file:r1.serial >r1.out 2>&1
rc=$?
show reboot-restart r1.serial r1.out
[ "$rc" -eq 0 ] && pass reboot-restart.exit-0 || fail reboot-restart.exit-0 "hvrun status $rc"
n="$(tr -d '\r' <r1.serial | grep -c '^HVLIB-L2-INIT$')"
[ "$n" -eq 2 ] && pass reboot-restart.two-boots || fail reboot-restart.two-boots "$n boots"
check reboot-restart.first r1.serial '^HVT first boot: rebooting$'
check reboot-restart.second r1.serial '^HVT second boot$'

# ---- reboot, policy stop: hvrun ends with status 3 -------------------------------------------
echo "== reboot-stop"
dd if=/dev/zero of=r2.img bs=1M count=1 2>/dev/null
bound 120 hvrun --kernel "$K" --initrd "$I" --disk r2.img --no-rng --on-reboot stop \
	--cmdline hvtest=reboot --console file:r2.serial >r2.out 2>&1
rc=$?
show reboot-stop r2.serial r2.out
[ "$rc" -eq 3 ] && pass reboot-stop.exit-3 || fail reboot-stop.exit-3 "hvrun status $rc"
n="$(tr -d '\r' <r2.serial | grep -c '^HVLIB-L2-INIT$')"
[ "$n" -eq 1 ] && pass reboot-stop.one-boot || fail reboot-stop.one-boot "$n boots"

echo "== $fails failed"
exit "$fails"
