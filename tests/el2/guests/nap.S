/* SPDX-License-Identifier: MIT */
/*
 * A guest that mostly sleeps: its virtual timer every ~4 ms (through the vGIC), WFI in
 * between; ticks counted at 0x40300000 until the firmware sets the word at 0x40300008. With
 * time slices, each WFI gives the rest of its slice to the other vCPUs of its core.
 */
#include "guest.h"

#define COUNT 0x40300000
#define STOP 0x40300008

	.text
	.global _start
_start:
	ldr	x0, =0x40100000
	mov	sp, x0
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
	ldr	x19, =COUNT
	str	xzr, [x19]
	ldr	x2, =0x08000000		/* GICD_CTLR: ARE, EnableGrp1 */
	mov	w3, #0x12
	str	w3, [x2]
	ldr	x2, =0x080a0000		/* GICR_WAKER: wake up */
	str	wzr, [x2, #0x14]
1:	ldr	w3, [x2, #0x14]
	tbnz	w3, #2, 1b
	ldr	x2, =0x080b0000		/* SGI frame */
	mov	w3, #0x80
	strb	w3, [x2, #0x41b]	/* GICR_IPRIORITYR27 */
	mov	w3, #(1 << 27)
	str	w3, [x2, #0x100]	/* GICR_ISENABLER0 */
	mov	x3, #0xff
	msr	S3_0_C4_C6_0, x3	/* ICC_PMR_EL1 */
	mov	x3, #1
	msr	S3_0_C12_C12_7, x3	/* ICC_IGRPEN1_EL1 */
	isb
	bl	arm
	mov	x3, #1
	msr	cntv_ctl_el0, x3
	msr	daifclr, #2
2:	wfi
	ldr	x24, [x19, #8]
	cbz	x24, 2b
	msr	daifset, #2
	PUTS	"nap: told to stop after 0x"
	ldr	x1, [x19]
	HEX	x1
	PUTS	" ticks\n"
	SYSTEM_OFF

/* About 4 ms from now. */
arm:
	mrs	x3, cntfrq_el0
	lsr	x3, x3, #8
	msr	cntv_tval_el0, x3
	isb
	ret

irq:
	stp	x0, x1, [sp, #-32]!
	stp	x3, x30, [sp, #16]
	mrs	x0, S3_0_C12_C12_0	/* ICC_IAR1_EL1 */
	cmp	x0, #27
	b.ne	unexpected
	ldr	x1, [x19]
	add	x1, x1, #1
	str	x1, [x19]
	bl	arm
	msr	S3_0_C12_C12_1, x0	/* ICC_EOIR1_EL1 */
	ldp	x3, x30, [sp, #16]
	ldp	x0, x1, [sp], #32
	eret
unexpected:
	PUTS	"nap: FAIL unexpected exception\n"
	SYSTEM_OFF

	.balign 2048
vectors:
	.rept 5
	.balign 0x80
	b	unexpected
	.endr
	.balign 0x80
	b	irq			/* IRQ, current EL with SP_ELx */
	.rept 10
	.balign 0x80
	b	unexpected
	.endr

#include "common.inc"
