/* SPDX-License-Identifier: MIT */
/*
 * A well-behaved guest that keeps working while another VM misbehaves: a tick about every
 * 16 ms, counted at 0x40300000 (the firmware reads it) and printed, until the firmware sets
 * the word at 0x40300008; then power off.
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
	mrs	x20, cntfrq_el0
	lsr	x20, x20, #6		/* ~16 ms */
	mov	x21, #0
1:	mrs	x22, cntvct_el0
2:	mrs	x23, cntvct_el0
	sub	x23, x23, x22
	cmp	x23, x20
	b.lo	2b
	add	x21, x21, #1
	str	x21, [x19]
	PUTS	"good: tick 0x"
	HEX	x21
	PUTS	"\n"
	ldr	x24, [x19, #8]
	cbz	x24, 1b
	PUTS	"good: told to stop\n"
	SYSTEM_OFF

#include "common.inc"
