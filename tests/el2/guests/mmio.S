/* SPDX-License-Identifier: MIT */
/*
 * MMIO to emulated devices: stores to the PL011's data register, loads of its PrimeCell ID
 * registers with 32-bit, 8-bit and sign-extending 16-bit accesses (each completes a trapped
 * load into the right register), a store to a read-only region that must be dropped, and the
 * emulated distributor's enable and pending bitmaps for the highest INTIDs.
 */
#include "guest.h"

	.text
	.global _start
_start:
	ldr	x0, =0x40100000
	mov	sp, x0
	PUTS	"mmio: hello from the guest\n"
	ldr	x20, =UART
	ldr	w21, [x20, #0xfe0]	/* UARTPeriphID0: 0x11 */
	ldrb	w22, [x20, #0xfe8]	/* UARTPeriphID2: 0x?4 (revision, designer 4) */
	ldrsh	x23, [x20, #0xfe0]
	ldr	x24, =0x40200000	/* prefill the registers with garbage to catch no-ops */
	mov	x25, x24
	ldr	w25, [x20, #0xff0]	/* UARTPCellID0: 0x0d */
	cmp	w21, #0x11
	b.ne	fail
	and	w22, w22, #0xf
	cmp	w22, #4
	b.ne	fail
	cmp	x23, #0x11
	b.ne	fail
	cmp	x25, #0x0d
	b.ne	fail
	PUTS	"mmio: id 0x"
	HEX	x21
	PUTS	" loads ok\n"
	/* The ROM at 0x50000000 holds a magic the firmware put there; writes do not stick. */
	ldr	x20, =0x50000000
	ldr	w21, [x20]
	ldr	w22, =0xdeadbeef
	str	w22, [x20]
	ldr	w23, [x20]
	cmp	w21, w23
	b.ne	fail
	PUTS	"mmio: rom 0x"
	HEX	x23
	PUTS	" kept\n"
	/* The distributor keeps its bitmaps apart: enabling INTIDs 96-127 pends nothing. */
	ldr	x20, =0x08000000
	mvn	w21, wzr
	str	w21, [x20, #0x10c]	/* GICD_ISENABLER3 */
	ldr	w22, [x20, #0x10c]
	cmp	w22, w21
	b.ne	fail
	ldr	w22, [x20, #0x204]	/* GICD_ISPENDR1..3: INTIDs 32-127 */
	cbnz	w22, fail
	ldr	w22, [x20, #0x208]
	cbnz	w22, fail
	ldr	w22, [x20, #0x20c]
	cbnz	w22, fail
	add	x23, x20, #0x101	/* unaligned: reads as zero */
	ldr	w22, [x23]
	cbnz	w22, fail
	PUTS	"mmio: distributor ok\n"
	SYSTEM_OFF
fail:
	PUTS	"mmio: FAIL\n"
	SYSTEM_OFF

#include "common.inc"
