/* SPDX-License-Identifier: MIT */
/*
 * PSCI: vCPU 0 starts vCPU 1 with CPU_ON (entry point and context id) and checks CPU_ON to a
 * vCPU that does not exist; once vCPU 1 has raised its flag, CPU_ON to it must say ALREADY_ON
 * and AFFINITY_INFO ON; then vCPU 1 turns itself off with CPU_OFF and vCPU 0 polls
 * AFFINITY_INFO until it reads OFF. Also VERSION and FEATURES.
 */
#include "guest.h"

#define FLAG 0x40300000
#define CPU_ON 0xc4000003
#define AFFINITY_INFO 0xc4000004

	.text
	.global _start
_start:
	ldr	x0, =0x40100000
	mov	sp, x0
	ldr	x0, =FLAG
	str	xzr, [x0]
	mov	x0, #0x84000000		/* PSCI_VERSION */
	hvc	#0
	cmp	x0, #0x10000
	b.ne	fail
	ldr	x0, =0x8400000a		/* PSCI_FEATURES(CPU_ON) */
	ldr	x1, =CPU_ON
	hvc	#0
	cbnz	x0, fail
	ldr	x0, =0x8400000a		/* PSCI_FEATURES(something else) */
	ldr	x1, =0x8400ffff
	hvc	#0
	cmn	x0, #1
	b.ne	fail
	PUTS	"smp: cpu0 up, psci 1.0\n"
	ldr	x0, =CPU_ON
	mov	x1, #1
	adr	x2, secondary
	mov	x3, #0x1234
	hvc	#0
	cbnz	x0, fail
	ldr	x0, =CPU_ON		/* no vCPU 5: INVALID_PARAMETERS (-2) */
	mov	x1, #5
	adr	x2, secondary
	hvc	#0
	cmn	x0, #2
	b.ne	fail
1:	ldr	x4, =FLAG
	ldar	x5, [x4]
	cmp	x5, #1
	b.ne	1b
	ldr	x0, =CPU_ON		/* vCPU 1 is running: ALREADY_ON (-4) */
	mov	x1, #1
	adr	x2, secondary
	mov	x3, #0
	hvc	#0
	cmn	x0, #4
	b.ne	fail
	ldr	x0, =AFFINITY_INFO	/* and ON (0) */
	mov	x1, #1
	mov	x2, #0
	hvc	#0
	cbnz	x0, fail
	ldr	x4, =FLAG		/* let it turn itself off */
	mov	x5, #2
	stlr	x5, [x4]
2:	ldr	x0, =AFFINITY_INFO	/* until OFF (1) */
	mov	x1, #1
	mov	x2, #0
	hvc	#0
	cmp	x0, #1
	b.ne	2b
	PUTS	"smp: cpu1 is off again\n"
	SYSTEM_OFF
fail:
	mov	x19, x0
	mov	x20, x30
	PUTS	"smp: FAIL x0 0x"
	HEX	x19
	PUTS	" lr 0x"
	HEX	x20
	PUTS	"\n"
	SYSTEM_OFF

secondary:
	ldr	x1, =0x40200000
	mov	sp, x1
	mov	x6, #0x1234
	cmp	x0, x6
	b.ne	fail
	mrs	x5, mpidr_el1
	and	x5, x5, #0xff
	cmp	x5, #1
	b.ne	fail
	PUTS	"smp: cpu1 up, context ok\n"
	ldr	x4, =FLAG
	mov	x5, #1
	stlr	x5, [x4]
3:	ldar	x5, [x4]
	cmp	x5, #2
	b.ne	3b
	ldr	x0, =0x84000002		/* CPU_OFF: does not return */
	hvc	#0
	b	fail

#include "common.inc"
