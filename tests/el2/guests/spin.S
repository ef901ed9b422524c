/* SPDX-License-Identifier: MIT */
/*
 * A guest that only computes: it counts loop iterations at 0x40300000 (the firmware reads the
 * count to see how much CPU time the guest got) until the firmware sets the word at
 * 0x40300008; then it prints its count and powers off.
 */
#include "guest.h"

#define COUNT 0x40300000
#define STOP 0x40300008

	.text
	.global _start
_start:
	ldr	x0, =0x40100000
	mov	sp, x0
	ldr	x19, =COUNT
	str	xzr, [x19]
	mov	x21, #0
1:	add	x21, x21, #1
	str	x21, [x19]
	ldr	x24, [x19, #8]
	cbz	x24, 1b
	PUTS	"spin: told to stop after 0x"
	HEX	x21
	PUTS	" iterations\n"
	SYSTEM_OFF

#include "common.inc"
