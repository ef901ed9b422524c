/* SPDX-License-Identifier: MIT */
/*
 * Costs in TSC ticks (Bochs: one per emulated instruction) of N round trips each: an empty
 * loop (the baseline), OUT to a port device (exit, core dispatch, device, re-entry), CPUID
 * (handled in the backend), a local APIC register read (an EPT violation decoded and served
 * in the backend), a read of the firmware's MMIO device (decoded, dispatched by the core),
 * and a self-IPI: ICR write, interrupt injected at the next entry, handler, EOI write.
 * Totals go to the scratch device at 0xD0000000 (qwords 0-5); the firmware prints them.
 */
#include "common.inc"

#define N 1000
#define LAPIC 0xfee00000
#define SCRATCH 0xd0000000

.macro TSC_START
	rdtsc
	shl $32, %rdx
	or %rax, %rdx
	mov %rdx, %r15
	mov $N, %r14d
.endm

/* Loop back to \label while iterations remain, then store the ticks at scratch qword \slot. */
.macro TSC_END label, slot
	dec %r14d
	jnz \label
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	sub %r15, %rax
	mov %rax, \slot * 8(%r13)
.endm

	.text
	REAL_START
	ENTER_LONG_MODE long_main
	LONG_MODE_DATA

	.code64
long_main:
	lea idt(%rip), %rdi
	lea ipi_isr(%rip), %rax
	mov %ax, 0x50 * 16(%rdi)
	movw $0x08, 0x50 * 16 + 2(%rdi)
	movw $0x8e00, 0x50 * 16 + 4(%rdi)
	shr $16, %rax
	mov %ax, 0x50 * 16 + 6(%rdi)
	shr $16, %rax
	mov %eax, 0x50 * 16 + 8(%rdi)
	lidt idt_ptr(%rip)
	mov $LAPIC, %ebx
	movl $0x1ff, 0xf0(%rbx)
	lea results(%rip), %r13

	TSC_START
1:	mov %eax, %eax
	TSC_END 1b, 0
	TSC_START
2:	out %al, $0x80
	TSC_END 2b, 1
	TSC_START
3:	mov $0x40000000, %eax
	cpuid
	TSC_END 3b, 2
	mov $LAPIC, %ebx /* CPUID wrote RBX */
	TSC_START
4:	mov 0x80(%rbx), %eax
	TSC_END 4b, 3
	mov $SCRATCH, %edi
	TSC_START
5:	mov 0x100(%rdi), %eax
	TSC_END 5b, 4
	sti
	TSC_START
6:	movl $0x40050, 0x300(%rbx) /* self, fixed, vector 0x50 */
	TSC_END 6b, 5
	cli
	cmpl $N, ipis(%rip)
	je 7f
	movl $0xffffffff, ipis(%rip)
7:	/* hand the totals to the host */
	mov $SCRATCH, %edi
	xor %ecx, %ecx
8:	mov (%r13, %rcx, 8), %rax
	mov %rax, (%rdi, %rcx, 8)
	inc %ecx
	cmp $6, %ecx
	jne 8b
	mov ipis(%rip), %eax
	mov %rax, 6 * 8(%rdi)
	xor %eax, %eax
	jmp guest_exit

ipi_isr:
	incl ipis(%rip)
	movl $0, 0xb0(%rbx)
	iretq

	LONG_CONSOLE

	.data
	.balign 8
idt_ptr:
	.short 256 * 16 - 1
	.quad idt
ipis: .long 0
	.bss
	.balign 16
results: .skip 8 * 8
idt: .skip 256 * 16
