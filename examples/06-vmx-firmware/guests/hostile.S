/* SPDX-License-Identifier: MIT */
/*
 * A guest that tries what it must not: set CR4.VMXE, write a reserved EFER bit, read the
 * host's IA32_FEATURE_CONTROL, execute VMXON (each must raise an exception in the guest and
 * nothing else), poke the APIC windows with odd widths and registers (ignored), and finally
 * an MMIO instruction the hypervisor does not emulate, which stops this VM only.
 */
#include "common.inc"

#define LAPIC 0xfee00000
#define IOAPIC 0xfec00000

	.text
	REAL_START
	ENTER_LONG_MODE long_main
	LONG_MODE_DATA

	.code64
set_gate: /* vector %ecx, handler %rax */
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
	pop %rdi
	ret

long_main:
	PUTS "hostile: long mode\n"
	mov $13, %ecx
	lea gp_isr(%rip), %rax
	call set_gate
	mov $6, %ecx
	lea ud_isr(%rip), %rax
	call set_gate
	lidt idt_ptr(%rip)

	/* CR4.VMXE: #GP (3-byte MOV to CR4) */
	movl $3, skip_len(%rip)
	mov %cr4, %rax
	or $0x2000, %rax
	mov %rax, %cr4
	cmpl $13, last_vector(%rip)
	CHECK_EQ "CR4.VMXE was not refused"
	mov %cr4, %rax
	test $0x2000, %eax
	CHECK_EQ "CR4.VMXE reads as set"

	/* EFER with a reserved bit: #GP */
	movl $-1, last_vector(%rip)
	movl $2, skip_len(%rip)
	mov $0xc0000080, %ecx
	rdmsr
	or $4, %eax
	wrmsr
	cmpl $13, last_vector(%rip)
	CHECK_EQ "EFER reserved bit was not refused"

	/* The host's IA32_FEATURE_CONTROL is not for guests: #GP */
	movl $-1, last_vector(%rip)
	mov $0x3a, %ecx
	rdmsr
	cmpl $13, last_vector(%rip)
	CHECK_EQ "IA32_FEATURE_CONTROL was readable"

	/* VMXON: #UD (4 bytes: F3 0F C7 30) */
	movl $-1, last_vector(%rip)
	movl $4, skip_len(%rip)
	lea vmxon_region(%rip), %rax
	vmxon (%rax)
	cmpl $6, last_vector(%rip)
	CHECK_EQ "VMXON did not raise #UD"

	/* Odd accesses to the APIC windows: ignored, reads give zero. */
	mov $LAPIC, %ebx
	movq $-1, 0x80(%rbx)
	movb 0x20(%rbx), %al
	movzbl %al, %eax
	test %eax, %eax
	CHECK_EQ "1-byte LAPIC read"
	movl $0x12345, 0x84(%rbx)
	mov $IOAPIC, %ebx
	movl $0xff, (%rbx)
	movl $0xffffffff, 0x10(%rbx)
	mov 0x10(%rbx), %eax
	test %eax, %eax
	CHECK_EQ "IOAPIC register 0xff"

	mov failures(%rip), %eax
	test %eax, %eax
	jnz 1f
	PUTS "hostile: every attempt refused\n"
	/* An instruction on MMIO the hypervisor does not emulate: this VM stops here. */
	mov $0xd0000000, %ebx
	shll (%rbx) /* shifts are not decoded */
	PUTS "FAIL: still running after an unemulated MMIO instruction\n"
1:	mov $1, %al
	jmp guest_exit

gp_isr: /* error code, RIP, ... */
	movl $13, last_vector(%rip)
	push %rax
	mov skip_len(%rip), %eax
	add %rax, 16(%rsp)
	pop %rax
	add $8, %rsp
	iretq

ud_isr:
	movl $6, last_vector(%rip)
	push %rax
	mov skip_len(%rip), %eax
	add %rax, 8(%rsp)
	pop %rax
	iretq

	LONG_CONSOLE

	.data
	.balign 8
idt_ptr:
	.short 256 * 16 - 1
	.quad idt
failures: .long 0
skip_len: .long 0
last_vector: .long -1
	.bss
	.balign 4096
vmxon_region: .skip 4096
idt: .skip 256 * 16
