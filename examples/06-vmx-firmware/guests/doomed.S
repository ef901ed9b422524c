/* SPDX-License-Identifier: MIT */
/* A guest that triple-faults on purpose: an interrupt through an IVT with limit 0. */
#include "common.inc"

	.text
	REAL_START
	mov $msg, %si
	call rm_puts
	lidt idt_zero
	int $3
	mov $msg_after, %si /* never: the triple fault stops this VM */
	call rm_puts
1:	hlt
	jmp 1b

	REAL_CONSOLE

	.data
idt_zero: .short 0
	.long 0
msg: .asciz "doomed: triple fault now\n"
msg_after: .asciz "FAIL: doomed survived\n"
