/* SPDX-License-Identifier: MIT */
/*
 * A small guest next to Linux that tries to read Linux's memory: x0 (set by the firmware)
 * holds the host-physical address of the Linux VM's RAM, taken as a guest-physical one. Its
 * VM has nothing there: the load must stop this VM, and Linux must not notice.
 */
#include "guest.h"

	.text
	.global _start
_start:
	ldr	x1, =0x40100000
	mov	sp, x1
	mov	x19, x0
	PUTS	"spy: reading 0x"
	HEX	x19
	PUTS	"\n"
	ldr	x20, [x19]
	PUTS	"spy: FAIL read another VM's memory\n"
	SYSTEM_OFF

#include "common.inc"
