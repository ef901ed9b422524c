/* SPDX-License-Identifier: MIT */
/*
 * Guest of tests/linux/kvm_iret.c, loaded at guest-physical 0x1000 and entered in real mode with
 * CS=0, IP=0x1000. It switches to 32-bit protected mode with its own GDT and IDT, then takes a
 * software interrupt (INT 0x30) and an exception (#DE), both returning with a protected-mode
 * IRET: the instruction this machine's software /dev/kvm does not emulate. Then it measures:
 * a loop of port-I/O exits, and a spin loop without exits, with counts the host gives it.
 *
 * Ports: 0xE9 out = console byte; 0xEA out = done; 0xEB out = one measured exit;
 *        0xEC in (32-bit) = number of exits to do; 0xED in (32-bit) = spin iterations.
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	$0x1000, %sp
	lgdtl	gdt_desc
	lidtl	idt_desc
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	$0x08, $pm32

	.code32
pm32:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$0x9000, %esp

	int	$0x30			/* handler prints 'I' and IRETs */
	mov	$'1', %al
	outb	%al, $0xe9

	xor	%ecx, %ecx
	mov	$5, %eax
	xor	%edx, %edx
de_insn:
	div	%ecx			/* #DE: handler prints 'D' and IRETs past this instruction */
de_next:
	mov	$'2', %al
	outb	%al, $0xe9
	mov	$'\n', %al
	outb	%al, $0xe9

	inl	$0xec, %eax		/* port-I/O exits to do */
	mov	%eax, %ecx
	test	%ecx, %ecx
	jz	2f
1:	outb	%al, $0xeb
	dec	%ecx
	jnz	1b
2:	inl	$0xed, %eax		/* spin iterations */
	mov	%eax, %ecx
	test	%ecx, %ecx
	jz	4f
3:	dec	%ecx
	jnz	3b
4:	outb	%al, $0xea
5:	hlt
	jmp	5b

int30_handler:
	push	%eax
	mov	$'I', %al
	outb	%al, $0xe9
	pop	%eax
	iret

de_handler:
	push	%eax
	mov	$'D', %al
	outb	%al, $0xe9
	/* The saved EIP points at the faulting DIV: resume after it. */
	addl	$(de_next - de_insn), 4(%esp)
	pop	%eax
	iret

bad_handler:
	mov	$'!', %al
	outb	%al, $0xe9
	outb	%al, $0xea
6:	hlt
	jmp	6b

	.balign	8
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: code, flat, 32-bit */
	.quad	0x00cf92000000ffff	/* 0x10: data, flat */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

/* 32-bit interrupt gates: offset 15..0, selector, type 0x8E (present, DPL 0), offset 31..16. */
	.macro	gate handler
	.word	\handler, 0x08, 0x8e00, 0
	.endm
	.balign	8
idt:
	gate	de_handler		/* vector 0: #DE */
	.rept	0x30 - 1
	gate	bad_handler
	.endr
	gate	int30_handler		/* vector 0x30 */
idt_end:
idt_desc:
	.word	idt_end - idt - 1
	.long	idt
