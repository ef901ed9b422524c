/* SPDX-License-Identifier: MIT */
/*
 * Shared by the EL2 test guests: flat AArch64 binaries linked at the guest RAM base
 * (0x40000000), entered at EL1 with the MMU off. Console: the PL011 hvlib emulates at
 * 0x09000000. Include first; common.inc
 * (the helpers' code) at the end.
 */
#define UART 0x09000000
#define PSCI_SYSTEM_OFF 0x84000008

.macro PUTS str
	adr	x1, 9997f
	bl	g_puts
	b	9998f
9997:	.asciz	"\str"
	.balign 4
9998:
.endm

.macro HEX reg
	mov	x1, \reg
	bl	g_puthex
.endm

.macro SYSTEM_OFF
	ldr	x0, =PSCI_SYSTEM_OFF
	hvc	#0
	b	.
.endm

