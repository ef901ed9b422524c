/* SPDX-License-Identifier: MIT */
/*
 * Figures, meant for QEMU's -icount shift=0 where the virtual counter counts instructions
 * (one tick is 1e9 / CNTFRQ instructions): a loop of N `hvc #0` calls of PSCI_VERSION, the
 * same loop without the call, N loads from an emulated device's register (an MMIO exit each,
 * handled by the core's bus and the PL011 model), and interrupt injection: from the store that enables the
 * PL011's transmit interrupt (a device MMIO exit whose line rises) to the guest's handler.
 * Prints the raw counter deltas; tests/el2/bench.sh turns them into instructions.
 */
#include "guest.h"

#define N 20000

	.text
	.global _start
_start:
	ldr	x0, =0x40100000
	mov	sp, x0
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
	mrs	x25, cntfrq_el0
	PUTS	"bench: cntfrq 0x"
	HEX	x25
	PUTS	"\n"
	ldr	x19, =N
	isb
	mrs	x20, cntvct_el0
1:	mov	x0, #0x84000000
	hvc	#0
	subs	x19, x19, #1
	b.ne	1b
	isb
	mrs	x21, cntvct_el0
	sub	x25, x21, x20
	PUTS	"bench: hvc 0x"
	HEX	x25
	ldr	x19, =N
	isb
	mrs	x20, cntvct_el0
2:	mov	x0, #0x84000000
	nop
	subs	x19, x19, #1
	b.ne	2b
	isb
	mrs	x21, cntvct_el0
	sub	x25, x21, x20
	PUTS	" loop 0x"
	HEX	x25
	ldr	x25, =N
	PUTS	" n 0x"
	HEX	x25
	PUTS	"\n"

	/* MMIO round trip: loads from the PL011's flag register, through the core's bus. */
	ldr	x19, =2000
	ldr	x2, =UART
	isb
	mrs	x20, cntvct_el0
4:	ldr	w3, [x2, #0x18]
	subs	x19, x19, #1
	b.ne	4b
	isb
	mrs	x21, cntvct_el0
	sub	x25, x21, x20
	PUTS	"bench: mmio 0x"
	HEX	x25
	PUTS	" n 0x7d0\n"

	/* Interrupt injection: SPI 33, the PL011's line. */
	ldr	x2, =0x08000000
	mov	w3, #0x12
	str	w3, [x2]		/* GICD_CTLR */
	mov	w3, #2
	str	w3, [x2, #0x104]	/* GICD_ISENABLER1: INTID 33 */
	ldr	x2, =0x080a0000
	str	wzr, [x2, #0x14]
	mov	x3, #0xff
	msr	S3_0_C4_C6_0, x3
	mov	x3, #1
	msr	S3_0_C12_C12_7, x3
	isb
	msr	daifclr, #2
	ldr	x2, =UART
	mov	x24, #0
	isb
	mrs	x20, cntvct_el0
	mov	w3, #0x20		/* UARTIMSC.TXIM: the TX FIFO is empty, the line rises */
	str	w3, [x2, #0x38]
3:	cbz	x24, 3b
	sub	x25, x24, x20
	PUTS	"bench: irq 0x"
	HEX	x25
	PUTS	"\n"
	SYSTEM_OFF

irq:
	mrs	x24, cntvct_el0
	mrs	x0, S3_0_C12_C12_0	/* ICC_IAR1_EL1 */
	ldr	x2, =UART
	str	wzr, [x2, #0x38]	/* mask TXIM: the line falls */
	msr	S3_0_C12_C12_1, x0
	eret
bad:
	PUTS	"bench: FAIL\n"
	SYSTEM_OFF

	.balign 2048
vectors:
	.rept 5
	.balign 0x80
	b	bad
	.endr
	.balign 0x80
	b	irq
	.rept 10
	.balign 0x80
	b	bad
	.endr

#include "common.inc"
