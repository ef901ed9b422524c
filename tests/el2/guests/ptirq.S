/* SPDX-License-Identifier: MIT */
/*
 * A physical device's interrupt delivered to a guest: the board's PL031 RTC is passed through
 * at its own address (0x09010000) and its SPI, INTID 34, routed to the guest's INTID 34 with
 * HV_IRQ_ROUTE_HOST. The guest enables SPI 34 in its (emulated) distributor, sets the RTC's
 * match register one second ahead and unmasks the alarm; its handler must see INTID 34 with
 * the RTC's masked interrupt status set, clears the alarm and ends the interrupt (EOImode 0:
 * priority drop and deactivation, which through the list register's HW bit deactivates the
 * physical SPI). Twice: the second alarm arrives only if the first was deactivated. Then it
 * powers off.
 */
#include "guest.h"

#define RTC 0x09010000
#define RTC_DR 0x00
#define RTC_MR 0x04
#define RTC_CR 0x0c
#define RTC_IMSC 0x10
#define RTC_MIS 0x18
#define RTC_ICR 0x1c
#define ALARMS 0x40300000

	.text
	.global _start
_start:
	ldr	x0, =0x40100000
	mov	sp, x0
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
	ldr	x0, =ALARMS
	str	xzr, [x0]
	ldr	x2, =0x08000000		/* GICD_CTLR: ARE, EnableGrp1 */
	mov	w3, #0x12
	str	w3, [x2]
	mov	w3, #0x80
	strb	w3, [x2, #(0x400 + 34)]	/* GICD_IPRIORITYR34 */
	mov	w3, #(1 << 2)
	str	w3, [x2, #0x104]	/* GICD_ISENABLER1: SPI 34 */
	ldr	w4, [x2, #0x104]
	tbz	w4, #2, fail
	ldr	x2, =0x080a0000		/* GICR_WAKER: wake up */
	str	wzr, [x2, #0x14]
1:	ldr	w3, [x2, #0x14]
	tbnz	w3, #2, 1b
	mov	x3, #0xff
	msr	S3_0_C4_C6_0, x3	/* ICC_PMR_EL1 */
	mov	x3, #1
	msr	S3_0_C12_C12_7, x3	/* ICC_IGRPEN1_EL1 */
	isb
	ldr	x2, =RTC
	mov	w3, #1
	str	w3, [x2, #RTC_CR]
	ldr	w19, [x2, #RTC_DR]
	PUTS	"ptirq: rtc at 0x"
	HEX	x19
	PUTS	" s, alarm in 1 s\n"
	bl	arm
	ldr	x2, =RTC
	mov	w3, #1
	str	w3, [x2, #RTC_IMSC]
	msr	daifclr, #2
2:	wfi
	ldr	x0, =ALARMS
	ldr	x1, [x0]
	cmp	x1, #2
	b.lo	2b
	msr	daifset, #2
	PUTS	"ptirq: 2 alarms from the passed-through RTC\n"
	SYSTEM_OFF
fail:
	PUTS	"ptirq: FAIL\n"
	SYSTEM_OFF

/* The alarm at the next second. Clobbers w3, w4. */
arm:
	ldr	x4, =RTC
	ldr	w3, [x4, #RTC_DR]
	add	w3, w3, #1
	str	w3, [x4, #RTC_MR]
	ret

irq:
	stp	x0, x1, [sp, #-64]!
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x30, [sp, #48]
	mrs	x0, S3_0_C12_C12_0	/* ICC_IAR1_EL1 */
	cmp	x0, #34
	b.ne	bad_irq
	ldr	x2, =RTC
	ldr	w1, [x2, #RTC_MIS]
	tbz	w1, #0, bad_irq		/* the RTC really asks */
	mov	w1, #1
	str	w1, [x2, #RTC_ICR]	/* lower the line */
	ldr	x2, =ALARMS
	ldr	x1, [x2]
	add	x1, x1, #1
	str	x1, [x2]
	PUTS	"ptirq: alarm "
	ldr	x2, =ALARMS
	ldr	x1, [x2]
	HEX	x1
	PUTS	", intid 34\n"
	bl	arm
	msr	S3_0_C12_C12_1, x0	/* ICC_EOIR1_EL1: drop and deactivate */
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x30, [sp, #48]
	ldp	x0, x1, [sp], #64
	eret
bad_irq:
	PUTS	"ptirq: FAIL unexpected interrupt 0x"
	HEX	x0
	PUTS	"\n"
	SYSTEM_OFF
unexpected:
	PUTS	"ptirq: FAIL unexpected exception\n"
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
