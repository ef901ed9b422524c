/* SPDX-License-Identifier: MIT */
/*
 * Entry from GRUB (multiboot2): 32-bit protected mode, paging off. Build page tables that
 * identity-map the first 4 GiB with 2 MiB pages, enter long mode, load a GDT with a TSS (VMX
 * needs a task register to return to) and an IDT that reports host exceptions, then call
 * fw_main(multiboot info).
 */
#define MB2_MAGIC 0xe85250d6

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long 0
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + (mb2_header_end - mb2_header))
	.short 0, 0 /* end tag */
	.long 8
mb2_header_end:

	.section .text.boot, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	mov $boot_stack_top, %esp
	mov %ebx, %edi /* multiboot2 information, fw_main's argument */

	/* PML4[0] -> PDPT, PDPT[0..3] -> four page directories of 2 MiB pages. */
	mov $boot_pdpt, %eax
	or $3, %eax
	mov %eax, boot_pml4
	mov $boot_pd, %eax
	or $3, %eax
	mov $boot_pdpt, %ebx
	mov $4, %ecx
1:	mov %eax, (%ebx)
	add $0x1000, %eax
	add $8, %ebx
	loop 1b
	mov $boot_pd, %ebx
	mov $0x83, %eax /* present, writable, 2 MiB */
	mov $2048, %ecx
2:	mov %eax, (%ebx)
	movl $0, 4(%ebx)
	add $0x200000, %eax
	add $8, %ebx
	loop 2b

	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $0x20, %eax /* PAE */
	mov %eax, %cr4
	mov $0xc0000080, %ecx
	rdmsr
	or $0x100, %eax /* LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000021, %eax /* PG, NE, PE */
	mov %eax, %cr0
	lgdt boot_gdt_ptr
	ljmp $0x08, $long_entry

	.code64
long_entry:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %eax, %eax
	mov %ax, %fs
	mov %ax, %gs
	mov $boot_stack_top, %rsp

	/* The TSS descriptor's base, split over its fields. */
	lea boot_tss(%rip), %rax
	lea boot_gdt(%rip), %rbx
	mov %ax, 0x18 + 2(%rbx)
	shr $16, %rax
	mov %al, 0x18 + 4(%rbx)
	mov %ah, 0x18 + 7(%rbx)
	shr $16, %rax
	mov %eax, 0x18 + 8(%rbx)
	mov $0x18, %ax
	ltr %ax

	/* IDT: 32 interrupt gates to the exception stubs. */
	lea boot_idt(%rip), %rbx
	lea exc_stubs(%rip), %rdx
	xor %ecx, %ecx
3:	mov %rdx, %rax
	mov %ax, (%rbx)
	movw $0x08, 2(%rbx)
	movw $0x8e00, 4(%rbx)
	shr $16, %rax
	mov %ax, 6(%rbx)
	shr $16, %rax
	mov %eax, 8(%rbx)
	movl $0, 12(%rbx)
	add $16, %rbx
	add $16, %rdx
	inc %ecx
	cmp $32, %ecx
	jne 3b
	lidt boot_idt_ptr(%rip)

	mov %edi, %edi
	call fw_main
4:	cli
	hlt
	jmp 4b

	/* Exception stubs, 16 bytes each: push a dummy error code where the CPU has none. */
	.balign 16
exc_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign 16
	.if (\v == 8) || (\v == 10) || (\v == 11) || (\v == 12) || (\v == 13) || (\v == 14) || (\v == 17) || (\v == 21)
	nop
	nop
	.else
	pushq $0
	.endif
	pushq $\v
	jmp exc_common
	.endr

exc_common:
	mov %rsp, %rsi /* vector, error code, RIP, CS, RFLAGS, RSP, SS */
	mov (%rsi), %rdi
	and $~15, %rsp
	call fw_exception
5:	cli
	hlt
	jmp 5b

	.section .data
	.balign 16
boot_gdt:
	.quad 0
	.quad 0x00209a0000000000 /* 0x08: 64-bit code */
	.quad 0x0000920000000000 /* 0x10: data */
	.quad 0x0000890000000067 /* 0x18: 64-bit TSS (base filled in), 16 bytes */
	.quad 0
boot_gdt_end:
boot_gdt_ptr:
	.short boot_gdt_end - boot_gdt - 1
	.quad boot_gdt
boot_idt_ptr:
	.short 32 * 16 - 1
	.quad boot_idt

	.section .bss
	.balign 4096
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd: .skip 4 * 4096
boot_idt: .skip 32 * 16
	.balign 16
boot_tss: .skip 104
	.balign 16
boot_stack: .skip 65536
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
