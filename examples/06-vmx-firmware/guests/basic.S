/* SPDX-License-Identifier: MIT */
/*
 * The basic guest: real mode from the reset vector, port I/O to the 16550, CPUID and MSRs
 * (an allowed one and a refused one, whose #GP lands in the guest's IVT), then long mode,
 * MMIO to the firmware's scratch device through every MOV form the decoder knows and its
 * read-modify-write, compare, test, exchange and one-operand instructions, a write to
 * ROM that must not stick, and finally CLI; HLT, which ends the VM.
 */
#include "common.inc"

#define SCRATCH 0xd0000000

	.text
	REAL_START
	mov $msg_hello, %si
	call rm_puts

	/* CPUID: the hypervisor's leaf names hvlib, leaf 1 hides VMX and sets the hypervisor bit. */
	mov $0x40000000, %eax
	cpuid
	cmp $0x696c7668, %ebx
	jne cpuid_bad
	cmp $0x38782062, %ecx
	jne cpuid_bad
	cmp $0x786d7636, %edx
	jne cpuid_bad
	mov $1, %eax
	cpuid
	test $(1 << 5), %ecx
	jnz cpuid_bad
	test $(1 << 31), %ecx
	jz cpuid_bad
	mov $msg_cpuid_ok, %si
	call rm_puts
	jmp msrs
cpuid_bad:
	incl failures
	mov $msg_cpuid_bad, %si
	call rm_puts

msrs:
	/* IA32_APIC_BASE reads as the xAPIC at 0xFEE00000, enabled, boot CPU. */
	mov $0x1b, %ecx
	rdmsr
	cmp $0xfee00900, %eax
	je 1f
	incl failures
	mov $msg_apicbase_bad, %si
	call rm_puts
1:	/* An MSR outside the allow-list: #GP, through IVT vector 13. */
	movw $gp_handler, 13 * 4
	movw $0, 13 * 4 + 2
	mov $0x12345, %ecx
	xor %eax, %eax
	xor %edx, %edx
	wrmsr
	cmpw $1, gp_count
	je 2f
	incl failures
	mov $msg_gp_bad, %si
	call rm_puts
	jmp 3f
2:	mov $msg_gp_ok, %si
	call rm_puts
3:	/* String port I/O: REP OUTSB to COM1, REP INSB from the counting port 0x510. */
	mov $msg_rep, %si
	mov $msg_rep_end - msg_rep, %cx
	mov $COM1, %dx
	rep outsb
	mov $inbuf, %di
	mov $16, %cx
	mov $0x510, %dx
	rep insb
	cmp $inbuf + 16, %di
	jne 5f
	test %cx, %cx
	jnz 5f
	xor %bx, %bx
4:	cmp %bl, inbuf(%bx)
	jne 5f
	inc %bx
	cmp $16, %bx
	jne 4b
	mov $msg_insb_ok, %si
	call rm_puts
	jmp 6f
5:	incl failures
	mov $msg_insb_bad, %si
	call rm_puts
6:	ENTER_LONG_MODE long_main

gp_handler: /* step over the 2-byte WRMSR */
	push %bp
	mov %sp, %bp
	addw $2, 2(%bp)
	incw gp_count
	pop %bp
	iret

	REAL_CONSOLE
	LONG_MODE_DATA

	.code64
long_main:
	PUTS "basic: long mode\n"
	mov $0xc0000080, %ecx
	rdmsr
	test $(1 << 10), %eax /* EFER.LMA */
	setnz %al
	cmp $1, %al
	CHECK_EQ "EFER.LMA"

	mov $SCRATCH, %rbx
	/* C7: store imm32; 8B: load 32 */
	movl $0x11223344, (%rbx)
	mov (%rbx), %eax
	cmp $0x11223344, %eax
	CHECK_EQ "movl imm / mov load"
	/* C6: store imm8; 0F B6: movzx */
	movb $0x85, 8(%rbx)
	mov $-1, %rcx
	movzbl 8(%rbx), %ecx
	cmp $0x85, %rcx
	CHECK_EQ "movb imm / movzbl"
	/* REX.W 89 / 8B with a SIB and disp8 */
	movabs $0x0123456789abcdef, %rdx
	xor %ecx, %ecx
	mov %rdx, 16(%rbx, %rcx, 1)
	mov 16(%rbx), %rsi
	cmp %rdx, %rsi
	CHECK_EQ "movq store / load"
	/* 66 89 store 16; REX.W 0F BF movsx */
	mov %dx, 24(%rbx)
	movswq 24(%rbx), %rdi
	movabs $0xffffffffffffcdef, %rax
	cmp %rax, %rdi
	CHECK_EQ "movw / movswq"
	/* 88 with AH; 8A into BH keeps the rest of RBX */
	mov $0x7788, %eax
	mov %ah, 32(%rbx)
	mov $SCRATCH, %esi
	mov 32(%rsi), %bh
	mov %rbx, %rax
	movabs $SCRATCH + 0x7700, %rcx
	cmp %rcx, %rax
	CHECK_EQ "mov %ah / mov %bh"
	mov $SCRATCH, %rbx
	/* A3 / A1: moffs with a 64-bit address */
	mov $0x5a5aa5a5, %eax
	movabs %eax, SCRATCH + 0x40
	xor %eax, %eax
	movabs SCRATCH + 0x40, %eax
	cmp $0x5a5aa5a5, %eax
	CHECK_EQ "movabs moffs"
	/* REX.R: R9D stored, R14 loaded; RIP-relative is not reachable here, SIB with index is */
	mov $0xcafef00d, %r9d
	mov $6, %r10
	mov %r9d, 0x30(%rbx, %r10, 8)
	mov 0x30(%rbx, %r10, 8), %r14d
	cmp %r9, %r14
	CHECK_EQ "r9d / r14d"

	/* Read-modify-write, compare, test and exchange on MMIO: the device sees a read, then a
	 * write for those that store; results and flags as the CPU would leave them. */
	movl $0x0f0f00ff, 0x80(%rbx)
	orl $0x30000000, 0x80(%rbx)
	andw $0xff0f, 0x80(%rbx)
	addb $1, 0x80(%rbx)
	lahf
	test $0x10, %ah /* AF: 0x0f + 1 carries out of bit 3 */
	setnz %al
	cmp $1, %al
	CHECK_EQ "addb: AF"
	mov $0x10, %ecx
	subl %ecx, 0x80(%rbx)
	cmpl $0x3f0f0000, 0x80(%rbx)
	CHECK_EQ "orl / andw / addb / subl / cmpl"
	testb $0x0f, 0x81(%rbx)
	CHECK_EQ "testb"
	mov $5, %eax
	xchg %eax, 0x80(%rbx)
	cmp $0x3f0f0000, %eax
	CHECK_EQ "xchg"
	mov $7, %ecx
	add 0x80(%rbx), %ecx
	cmp $12, %ecx
	CHECK_EQ "add into a register"
	stc
	adcl $0, 0x80(%rbx)
	subl $7, 0x80(%rbx) /* 6 - 7: borrow */
	setc %al
	cmp $1, %al
	CHECK_EQ "adcl / subl: CF"
	stc
	incl 0x80(%rbx) /* 0xffffffff + 1: zero, CF kept */
	setc %al
	setz %ah
	cmp $0x0101, %ax
	CHECK_EQ "incl: ZF, CF kept"
	negl 0x80(%rbx) /* 0: CF clear */
	setnc %al
	cmp $1, %al
	CHECK_EQ "negl: CF"
	notw 0x80(%rbx)
	decb 0x80(%rbx) /* 0xff - 1 */
	sets %al
	cmp $1, %al
	CHECK_EQ "decb: SF"
	cmpl $0x0000fffe, 0x80(%rbx)
	CHECK_EQ "notw / decb"

	/* ROM: a write traps and is dropped; the signature stays. */
	mov $0xfffff000, %edi
	movl $0xdeadbeef, (%rdi)
	mov (%rdi), %eax
	cmp $0x696c7668, %eax
	CHECK_EQ "ROM write dropped"

	/* A refused MSR in long mode is a #GP with an error code: check through RDMSR of a
	 * valid one instead (the long-mode IDT is not set up in this guest). */
	mov $0x277, %ecx
	rdmsr
	cmp $0x00070406, %eax
	CHECK_EQ "IA32_PAT"

	mov failures(%rip), %eax
	test %eax, %eax
	jnz 9f
	PUTS "basic: all checks passed\n"
9:	cli
	hlt
	PUTS "FAIL: ran past HLT\n"
	jmp 9b

	LONG_CONSOLE

	.data
failures: .long 0
gp_count: .word 0
msg_hello: .asciz "basic: hello from real mode\n"
msg_cpuid_ok: .asciz "basic: cpuid ok\n"
msg_cpuid_bad: .asciz "FAIL: cpuid\n"
msg_apicbase_bad: .asciz "FAIL: IA32_APIC_BASE\n"
msg_gp_ok: .asciz "basic: wrmsr 0x12345 gave #GP\n"
msg_gp_bad: .asciz "FAIL: no #GP for wrmsr 0x12345\n"
msg_rep: .ascii "basic: rep outsb\n"
msg_rep_end:
msg_insb_ok: .asciz "basic: rep insb read 16 bytes\n"
msg_insb_bad: .asciz "FAIL: rep insb\n"
inbuf: .skip 16
