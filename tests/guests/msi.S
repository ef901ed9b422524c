/*
 * MSI guest (64-bit long mode set up by the host, IDT at 0x3000 written by the host with gates
 * for vectors 0x30 -> +0x100 and 0x31 -> +0x180). Enables its local APIC (SVR at 0xfee000f0),
 * reports 0x52454459 ("READY"), then sleeps with interrupts on. Each handler reports its
 * vector and powers off: no IRET (a protected/long-mode IRET fails on this machine's KVM).
 */
	.code64
	.text
	.globl	_start
_start:
	mov	$0xfee000f0, %ecx
	movl	$0x1ff, (%rcx)
	mov	$0x52454459, %eax
	out	%eax, $0xec
1:	sti
	hlt
	jmp	1b

	.org	0x100
	mov	$0x30, %eax
	out	%eax, $0xec
	out	%al, $0xea
2:	jmp	2b

	.org	0x180
	mov	$0x31, %eax
	out	%eax, $0xec
	out	%al, $0xea
3:	jmp	3b
