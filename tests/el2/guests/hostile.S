/* SPDX-License-Identifier: MIT */
/*
 * Misbehaviours, one per run, chosen by x0 (set by the firmware): each must end this VM, or
 * be absorbed, and never reach the hypervisor's own exception level.
 *   0  ldp from the PL011: a trapped access with no syndrome (ISV clear): emulation fault
 *   1  jump into the PL011's window: instruction fetch from a device: unmapped fault
 *   2  exception vectors in unmapped memory, then an undefined instruction: unmapped fault
 *   3  stores across the whole distributor, a redistributor of a vCPU that does not exist,
 *      unknown HVC and SMC functions, bad CPU_ON calls; then SYSTEM_RESET: a guest reset
 *   4  store beyond the 39-bit guest-physical space: unmapped fault
 */
#include "guest.h"

	.text
	.global _start
_start:
	ldr	x1, =0x40100000
	mov	sp, x1
	mov	x19, x0
	PUTS	"hostile: mode 0x"
	HEX	x19
	PUTS	"\n"
	cmp	x19, #0
	b.eq	m0
	cmp	x19, #1
	b.eq	m1
	cmp	x19, #2
	b.eq	m2
	cmp	x19, #3
	b.eq	m3
	cmp	x19, #4
	b.eq	m4
	PUTS	"hostile: FAIL bad mode\n"
	SYSTEM_OFF

m0:	ldr	x2, =UART
	ldp	w0, w1, [x2]
	b	survived
m1:	ldr	x2, =UART
	br	x2
m2:	ldr	x2, =0x70000000
	msr	vbar_el1, x2
	isb
	udf	#0
	b	survived
m3:	ldr	x2, =0x08000000		/* every word of the distributor */
	ldr	x3, =0x08010000
	mvn	w4, wzr
1:	str	w4, [x2]
	add	x2, x2, #4
	cmp	x2, x3
	b.lo	1b
	ldr	x2, =0x08000000
	ldr	w5, [x2, #0xc]		/* reads back whatever it reads */
	ldr	x2, =0x080e0000		/* redistributor of vCPU 2: there is none */
	str	w4, [x2, #0x14]
	ldr	w5, [x2, #0x8]
	ldr	x0, =0x86001234		/* unknown SMCCC functions */
	hvc	#0
	cmn	x0, #1
	b.ne	fail
	ldr	x0, =0xc2000000
	smc	#0
	cmn	x0, #1
	b.ne	fail
	ldr	x0, =0xc4000003		/* CPU_ON of itself: ALREADY_ON */
	mov	x1, #0
	adr	x2, fail
	hvc	#0
	cmn	x0, #4
	b.ne	fail
	ldr	x0, =0xc4000003		/* a vCPU that does not exist: INVALID_PARAMETERS */
	mov	x1, #1
	adr	x2, fail
	hvc	#0
	cmn	x0, #2
	b.ne	fail
	ldr	x0, =0xc4000003		/* an entry point outside its RAM: INVALID_ADDRESS */
	mov	x1, #0
	ldr	x2, =0x09000000
	hvc	#0
	cmn	x0, #9
	b.ne	fail
	PUTS	"hostile: absorbed\n"
	ldr	x0, =0x84000009		/* SYSTEM_RESET */
	hvc	#0
	b	fail
m4:	ldr	x2, =0x8000000000
	str	x2, [x2]
	b	survived

survived:
	PUTS	"hostile: FAIL survived\n"
	SYSTEM_OFF
fail:
	mov	x19, x0
	PUTS	"hostile: FAIL x0 0x"
	HEX	x19
	PUTS	"\n"
	SYSTEM_OFF

#include "common.inc"
