/* SPDX-License-Identifier: MIT */
/*
 * Entry from QEMU's -kernel at EL2 (core 0), and from PSCI CPU_ON (secondary cores, with
 * their index as context). Each core gets a stack, turns on the EL2 MMU with the tables
 * core 0 built (board.c) and enters C with interrupts masked.
 */
#define STACK_SIZE 0x4000

	.section .text.boot, "ax"
	.global _start
_start:
	msr	daifset, #0xf
	mov	x19, #0
	b	1f

	.global fw_secondary_entry
fw_secondary_entry:
	msr	daifset, #0xf
	mov	x19, x0
1:	adrp	x1, fw_stacks
	add	x1, x1, :lo12:fw_stacks
	add	x2, x19, #1
	mov	x3, #STACK_SIZE
	madd	x1, x2, x3, x1
	mov	sp, x1
	cbnz	x19, 2f
	/* Core 0: clear .bss, build the page tables. */
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
3:	cmp	x1, x2
	b.hs	4f
	str	xzr, [x1], #8
	b	3b
4:	bl	fw_mmu_tables
2:	bl	fw_mmu_enable
	mov	x0, x19
	bl	fw_cstart
5:	wfi
	b	5b

	.bss
	.balign 16
	.global fw_stacks
fw_stacks:
	.space STACK_SIZE * 8
