/* SPDX-License-Identifier: MIT */
/*
 * Interrupts: the local APIC timer in periodic mode (vector 0x40) wakes the guest from HLT
 * five times, never early; then the 16550's THRE interrupt reaches the guest through the
 * IOAPIC (pin 4, level-triggered, vector 0x41) and the guest's EOI.
 */
#include "common.inc"

#define LAPIC 0xfee00000
#define IOAPIC 0xfec00000
#define PERIOD 50000 /* timer counts, divided by 16: 800000 TSC ticks */
#define DIVIDE16 3

	.text
	REAL_START
	mov $msg_hello, %si
	call rm_puts
	ENTER_LONG_MODE long_main
	REAL_CONSOLE
	LONG_MODE_DATA

	.code64
/* set_gate: vector in %ecx, handler in %rax */
set_gate:
	push %rdi
	lea idt(%rip), %rdi
	shl $4, %ecx
	add %rcx, %rdi
	mov %ax, (%rdi)
	movw $0x08, 2(%rdi)
	movw $0x8e00, 4(%rdi)
	shr $16, %rax
	mov %ax, 6(%rdi)
	shr $16, %rax
	mov %eax, 8(%rdi)
	movl $0, 12(%rdi)
	pop %rdi
	ret

long_main:
	PUTS "timer: long mode\n"
	lea unexpected_isr(%rip), %rax
	xor %ebx, %ebx
1:	mov %ebx, %ecx
	push %rax
	call set_gate
	pop %rax
	inc %ebx
	cmp $256, %ebx
	jne 1b
	mov $0x40, %ecx
	lea timer_isr(%rip), %rax
	call set_gate
	mov $0x41, %ecx
	lea uart_isr(%rip), %rax
	call set_gate
	lidt idt_ptr(%rip)

	mov $LAPIC, %ebx
	movl $0x1ff, 0xf0(%rbx)     /* software-enable, spurious vector 0xFF */
	movl $DIVIDE16, 0x3e0(%rbx)
	movl $0x20040, 0x320(%rbx)  /* periodic, vector 0x40 */
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	mov %rax, start_tsc(%rip)
	movl $PERIOD, 0x380(%rbx)
	mov 0x390(%rbx), %eax       /* the current count runs down from the initial count */
	cmp $PERIOD, %eax
	setbe %al
	cmp $1, %al
	CHECK_EQ "current count"
2:	sti
	hlt
	cli
	cmpl $5, ticks(%rip)
	jb 2b
	movl $0x10040, 0x320(%rbx)  /* masked */
	movl $0, 0x380(%rbx)
	cmpl $5, ticks(%rip)
	CHECK_EQ "exactly five ticks"
	/* No tick may come before its time: tick i at least (i + 1) periods after the start
	 * (a late tick does not move the next one: the timer keeps its phase). */
	lea tick_tsc(%rip), %rsi
	xor %ecx, %ecx
	mov $PERIOD * 16, %r8d
3:	mov (%rsi, %rcx, 8), %rax
	sub start_tsc(%rip), %rax
	inc %ecx
	mov %r8, %rdx
	imul %rcx, %rdx
	cmp %rdx, %rax
	setae %al
	cmp $1, %al
	CHECK_EQ "tick too early"
	cmp $5, %ecx
	jne 3b
	PUTS "timer: 5 periodic ticks, none early\n"

	/* The UART's interrupt: IOAPIC pin 4 -> vector 0x41, level, unmasked, to APIC 0. */
	mov $IOAPIC, %edi
	movl $0x18, (%rdi)
	movl $0x8041, 0x10(%rdi)
	movl $0x19, (%rdi)
	movl $0, 0x10(%rdi)
	mov $COM1 + 4, %dx
	mov $0x0b, %al              /* DTR, RTS, OUT2 */
	out %al, %dx
	mov $COM1 + 1, %dx
	mov $0x02, %al              /* THRE interrupt */
	out %al, %dx
	mov $100000, %ecx
4:	sti
	nop
	cli
	cmpl $0, uart_irqs(%rip)
	jne 5f
	loop 4b
5:	cmpl $1, uart_irqs(%rip)
	CHECK_EQ "one UART interrupt through the IOAPIC"
	mov failures(%rip), %eax
	test %eax, %eax
	jnz 6f
	PUTS "timer: uart interrupt via ioapic\n"
	PUTS "timer: all checks passed\n"
6:	mov failures(%rip), %eax
	jmp guest_exit

timer_isr:
	push %rax
	push %rdx
	push %rcx
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	mov ticks(%rip), %ecx
	cmp $5, %ecx
	jae 1f
	lea tick_tsc(%rip), %rdx
	mov %rax, (%rdx, %rcx, 8)
1:	incl ticks(%rip)
	mov $LAPIC + 0xb0, %eax
	movl $0, (%rax)
	pop %rcx
	pop %rdx
	pop %rax
	iretq

uart_isr:
	push %rax
	push %rdx
	mov $COM1 + 2, %dx
	in %dx, %al                 /* reading IIR acknowledges THRE */
	mov $COM1 + 1, %dx
	xor %al, %al
	out %al, %dx                /* and no more of them */
	incl uart_irqs(%rip)
	mov $LAPIC + 0xb0, %eax
	movl $0, (%rax)
	pop %rdx
	pop %rax
	iretq

unexpected_isr:
	PUTS "FAIL: unexpected interrupt or exception\n"
	mov $0x7f, %al
	jmp guest_exit

	LONG_CONSOLE

	.data
	.balign 8
idt_ptr:
	.short 256 * 16 - 1
	.quad idt
failures: .long 0
ticks: .long 0
uart_irqs: .long 0
start_tsc: .quad 0
tick_tsc: .quad 0, 0, 0, 0, 0
msg_hello: .asciz "timer: hello\n"
	.bss
	.balign 16
idt: .skip 256 * 16
