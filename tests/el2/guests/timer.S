/* SPDX-License-Identifier: MIT */
/*
 * The virtual timer's interrupt through the vGIC: the guest programs its distributor and
 * redistributor, unmasks PPI 27, arms CNTV and sleeps in WFI. Each interrupt must arrive as
 * INTID 27 with the timer's ISTATUS set; the handler re-arms the timer and ends the interrupt
 * (which deactivates the physical one through the list register's HW bit). Three ticks, then
 * power off.
 */
#include "guest.h"

#define TICKS 0x40300000

	.text
	.global _start
_start:
	ldr	x0, =0x40100000
	mov	sp, x0
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
	ldr	x0, =TICKS
	str	xzr, [x0]
	PUTS	"timer: start\n"
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
	ldr	w4, [x2, #0x100]
	tbz	w4, #27, fail
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
	ldr	x0, =TICKS
	ldr	x1, [x0]
	cmp	x1, #3
	b.lo	2b
	msr	daifset, #2
	PUTS	"timer: 3 ticks through the vGIC\n"
	SYSTEM_OFF
fail:
	PUTS	"timer: FAIL\n"
	SYSTEM_OFF

/* About 4 ms from now. */
arm:
	mrs	x3, cntfrq_el0
	lsr	x3, x3, #8
	msr	cntv_tval_el0, x3
	isb
	ret

irq:
	stp	x0, x1, [sp, #-64]!
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x30, [sp, #48]
	mrs	x0, S3_0_C12_C12_0	/* ICC_IAR1_EL1 */
	cmp	x0, #27
	b.ne	bad_irq
	mrs	x1, cntv_ctl_el0
	tbz	x1, #2, bad_irq		/* ISTATUS: the timer really fired */
	ldr	x2, =TICKS
	ldr	x1, [x2]
	add	x1, x1, #1
	str	x1, [x2]
	PUTS	"timer: tick\n"
	bl	arm
	msr	S3_0_C12_C12_1, x0	/* ICC_EOIR1_EL1 */
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x30, [sp, #48]
	ldp	x0, x1, [sp], #64
	eret
bad_irq:
	PUTS	"timer: FAIL unexpected interrupt 0x"
	HEX	x0
	PUTS	"\n"
	SYSTEM_OFF
unexpected:
	PUTS	"timer: FAIL unexpected exception\n"
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
