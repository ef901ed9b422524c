/* SPDX-License-Identifier: MIT */
/*
 * A hostile guest: it reads a register it may not (PMCR_EL0, trapped: it must get an
 * Undefined Instruction exception at its own EL1, not crash anything), checks the ID registers
 * hide what it does not get (SVE, the PMU) and that MDSCR_EL1 is its own, then loads from
 * 0x2_0000_0000, where its VM has neither memory nor a device: that must stop this VM, and
 * only this one.
 */
#include "guest.h"

	.text
	.global _start
_start:
	ldr	x0, =0x40100000
	mov	sp, x0
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
	PUTS	"wild: start\n"
	mov	x9, #0
	mrs	x0, pmcr_el0
	cmp	x9, #0xbad
	b.ne	fail
	PUTS	"wild: undefined instruction delivered to the guest\n"
	mrs	x20, id_aa64pfr0_el1	/* SVE hidden */
	ubfx	x21, x20, #32, #4
	cbnz	x21, fail
	mrs	x20, id_aa64dfr0_el1	/* the PMU hidden */
	ubfx	x21, x20, #8, #4
	cbnz	x21, fail
	mrs	x20, id_aa64pfr0_el1	/* AArch64 at EL1 is still there */
	ubfx	x21, x20, #4, #4
	cbz	x21, fail
	mov	x20, #0x1000		/* debug registers are the guest's own */
	msr	mdscr_el1, x20
	mrs	x21, mdscr_el1
	cmp	x20, x21
	b.ne	fail
	PUTS	"wild: id registers hide SVE and the PMU\n"
	PUTS	"wild: going rogue\n"
	ldr	x1, =0x200000000
	ldr	x0, [x1]
	PUTS	"wild: FAIL still running\n"
	b	.
fail:
	PUTS	"wild: FAIL\n"
	b	.

sync:	/* EC 0 (unknown): skip the instruction, mark it */
	mrs	x9, esr_el1
	lsr	x9, x9, #26
	cbnz	x9, fail
	mov	x9, #0xbad
	mrs	x10, elr_el1
	add	x10, x10, #4
	msr	elr_el1, x10
	eret

	.balign 2048
vectors:
	.rept 4
	.balign 0x80
	b	fail
	.endr
	.balign 0x80
	b	sync			/* synchronous, current EL with SP_ELx */
	.rept 11
	.balign 0x80
	b	fail
	.endr

#include "common.inc"
