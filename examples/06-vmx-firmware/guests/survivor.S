/* SPDX-License-Identifier: MIT */
/* A guest that keeps working while another VM on the same core dies: prints, spins, exits 0. */
#include "common.inc"

	.text
	REAL_START
	mov $msg_start, %si
	call rm_puts
	mov $'1', %bl
1:	mov $0x300000, %ecx /* a few time slices of work */
2:	addr32 loop 2b
	mov $msg_tick, %si
	call rm_puts
	mov %bl, %al
	call rm_putc
	mov $'\n', %al
	call rm_putc
	inc %bl
	cmp $'4', %bl
	jne 1b
	mov $msg_done, %si
	call rm_puts
	xor %al, %al
	out %al, $EXIT_PORT
3:	hlt
	jmp 3b

	REAL_CONSOLE

	.data
msg_start: .asciz "survivor: start\n"
msg_tick: .asciz "survivor: tick "
msg_done: .asciz "survivor: done\n"
