/* SPDX-License-Identifier: MIT */
/*
 * A guest that only computes: it counts loop iterations at 0x40300000 (the firmware reads the
 * count to see how much CPU time the guest got) until the firmware sets the word at
 * 0x40300008; then it prints its count and powers off. Where the CPU has pointer
 * authentication, it also checks that its own key stays its own while it shares a core.
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
	/*
	 * With pointer authentication, a key of its own (from the counter: two of these guests
	 * get different ones) in APIAKeyLo_EL1, checked on every iteration: a guest sharing the
	 * core must not change it.
	 */
	mov	x22, #0
	mrs	x0, id_aa64isar1_el1
	and	x0, x0, #0xff0			/* APA, API */
	mrs	x1, S3_0_C0_C6_2		/* ID_AA64ISAR2_EL1 */
	and	x1, x1, #0xf000			/* APA3 */
	orr	x0, x0, x1
	cbz	x0, 1f
	mrs	x22, cntvct_el0
	orr	x22, x22, #1
	msr	S3_0_C2_C1_0, x22		/* APIAKeyLo_EL1 */
	isb
1:	add	x21, x21, #1
	str	x21, [x19]
	cbz	x22, 2f
	mrs	x23, S3_0_C2_C1_0
	cmp	x23, x22
	b.ne	3f
2:	ldr	x24, [x19, #8]
	cbz	x24, 1b
	PUTS	"spin: told to stop after 0x"
	HEX	x21
	PUTS	" iterations\n"
	cbz	x22, 4f
	PUTS	"spin: pointer-authentication key kept\n"
4:	SYSTEM_OFF
3:	PUTS	"spin: FAIL another guest's pointer-authentication key: 0x"
	HEX	x23
	PUTS	"\n"
	SYSTEM_OFF

#include "common.inc"
