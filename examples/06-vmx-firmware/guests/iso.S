/* SPDX-License-Identifier: MIT */
/*
 * Isolation: fill 1 MiB of our RAM with a pattern, then for 30 rounds write to and read back
 * addresses our EPT does not map (the other VM's RAM as the host sees it, given in RSI by
 * the firmware, and holes of the PC map): writes must vanish, reads return all ones. Finally
 * the pattern must be intact. RDI holds our id (1 or 2). Exit code: the number of failures.
 */
#include "common.inc"

#define PATTERN_BASE 0x100000
#define PATTERN_END 0x200000
#define GOLDEN 0x9e3779b97f4a7c15

	.text
	REAL_START
	mov %edi, vm_id
	mov %esi, probe
	ENTER_LONG_MODE long_main
	LONG_MODE_DATA

	.code64
long_main:
	PUTS "iso"
	mov vm_id(%rip), %eax
	add $'0', %al
	call putc
	PUTS ": filling memory\n"
	movabs $GOLDEN, %r8
	mov vm_id(%rip), %r9d
	mov $PATTERN_BASE, %edi
1:	mov %rdi, %rax
	imul %r8, %rax
	add %r9, %rax
	mov %rax, (%rdi)
	add $8, %rdi
	cmp $PATTERN_END, %edi
	jne 1b

	xor %r12d, %r12d /* round */
2:	lea probes(%rip), %r13
	mov probe(%rip), %eax
	mov %rax, (%r13)
	add $0x800, %rax
	mov %rax, 8(%r13)
3:	mov (%r13), %rdi
	movq $0x0bad0bad, (%rdi)
	mov (%rdi), %rax
	cmp $-1, %rax
	CHECK_EQ "an unmapped address answered"
	add $8, %r13
	cmpq $0, (%r13)
	jne 3b
	mov $600000, %ecx /* spread the rounds over many time slices */
4:	loop 4b
	inc %r12d
	mov %r12d, %eax
	xor %edx, %edx
	mov $10, %ecx
	div %ecx
	test %edx, %edx
	jnz 5f
	PUTS "iso"
	mov vm_id(%rip), %eax
	add $'0', %al
	call putc
	PUTS ": round "
	mov %r12, %rax
	call puthex
	mov $'\n', %al
	call putc
5:	cmp $30, %r12d
	jne 2b

	mov $PATTERN_BASE, %edi
	xor %r10d, %r10d
6:	mov %rdi, %rax
	imul %r8, %rax
	add %r9, %rax
	cmp %rax, (%rdi)
	je 7f
	inc %r10d
7:	add $8, %rdi
	cmp $PATTERN_END, %edi
	jne 6b
	test %r10d, %r10d
	CHECK_EQ "our memory changed"
	mov failures(%rip), %eax
	test %eax, %eax
	jnz 8f
	PUTS "iso"
	mov vm_id(%rip), %eax
	add $'0', %al
	call putc
	PUTS ": memory intact, all checks passed\n"
8:	mov failures(%rip), %eax
	jmp guest_exit

	LONG_CONSOLE

	.data
	.balign 8
vm_id: .long 0
probe: .long 0
failures: .long 0
	.balign 8
probes: .quad 0, 0, 0x200000, 0x7ff00000, 0xfed00000, 0
