#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Runs inside the L2 Linux guests that tests/linux/hvrun_linux.sh boots with hvrun (busybox sh,
# from the initramfs's /init, in /opt). The role comes from "hvtest=ROLE" on the kernel command
# line; every finding is a console line "HVT ..." the L1 driver (hvrun_l1.sh) checks.
#   main     CPUs online, virtio-blk read (checksum given as hvtest.rd=) and write (checksum
#            printed, checked by L1 on the image file), virtio-console input and output
#   net-a/b  virtio-net on hvrun's switch: 10.0.0.1 and 10.0.0.2 ping each other
#   reboot   first boot: mark the disk and reboot; second boot: see the mark and power off
role="$(sed -n 's/.*hvtest=\([^ ]*\).*/\1/p' /proc/cmdline)"
# Only emergency messages (the power-off and reboot lines among them) on the console from now
# on: a kernel line printed while a test line is still going out would split it (drop_caches
# logs one at KERN_INFO).
echo 1 >/proc/sys/kernel/printk
say() { echo "HVT $*"; }
sha() { sha256sum | cut -d' ' -f1; }

case "$role" in
main)
	say "cpus=$(nproc) online=$(cat /sys/devices/system/cpu/online)"
	want="$(sed -n 's/.*hvtest\.rd=\([0-9a-f]*\).*/\1/p' /proc/cmdline)"
	got="$(dd if=/dev/vda bs=65536 count=16 2>/dev/null | sha)"
	if [ -n "$want" ] && [ "$got" = "$want" ]; then say "disk-read ok"; else say "disk-read BAD got=$got want=$want"; fi
	# 1 MiB of fresh random data at offset 2 MiB; L1 checks the image file afterwards.
	dd if=/dev/urandom of=/tmp/w bs=65536 count=16 2>/dev/null
	dd if=/tmp/w of=/dev/vda bs=65536 seek=32 conv=fsync 2>/dev/null
	say "disk-write sha=$(sha </tmp/w)"
	echo 3 >/proc/sys/vm/drop_caches
	say "disk-readback sha=$(dd if=/dev/vda bs=65536 skip=32 count=16 2>/dev/null | sha)"
	say "disk-size sectors=$(cat /sys/block/vda/size)"
	if [ -c /dev/hvc0 ]; then
		exec 3<>/dev/hvc0
		stty -F /dev/hvc0 -echo 2>/dev/null
		echo "HVT-HVC-READY" >&3
		if read -r -t 60 line <&3; then say "hvc-in=$line"; else say "hvc-in TIMEOUT"; fi
		echo "HVT-HVC-OUT got=$line" >&3
		exec 3>&-
	else
		say "hvc0 missing"
	fi
	;;
net-a | net-b)
	me=1 peer=2
	[ "$role" = net-b ] && me=2 peer=1
	ip link set lo up
	ip link set eth0 up
	ip addr add "10.0.0.$me/24" dev eth0
	say "eth0 mac=$(cat /sys/class/net/eth0/address)"
	i=0
	until ping -c 1 -W 2 "10.0.0.$peer" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -ge 90 ] && break
	done
	if ping -c 3 -W 5 "10.0.0.$peer" >/tmp/ping 2>&1; then
		say "ping ok $(grep -o '[0-9]* packets received' /tmp/ping)"
	else
		say "ping FAIL"
		cat /tmp/ping
	fi
	sleep 20 # keep answering while the peer finishes
	;;
reboot)
	mark="$(dd if=/dev/vda bs=8 count=1 2>/dev/null)"
	if [ "$mark" = "REBOOTED" ]; then
		say "second boot"
	else
		printf REBOOTED | dd of=/dev/vda conv=fsync 2>/dev/null
		say "first boot: rebooting"
		reboot -f
		sleep 60
	fi
	;;
*)
	say "no role (hvtest=) on the command line"
	;;
esac
