/*
 * Register guest (real mode, 0:0x1000): reports EAX and EBX (set by the host) to the result
 * port, leaves ECX = 0x13579bdf, EDX = 0x2468ace0, ES = 0x1234 for the host to read back, and
 * powers off with the OUT at 0x1040.
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	out	%eax, $0xec
	mov	%ebx, %eax
	out	%eax, $0xec
	mov	$0x13579bdf, %ecx
	mov	$0x2468ace0, %edx
	mov	$0x1234, %ax
	mov	%ax, %es
	jmp	poweroff
	.org	0x40
poweroff:
	out	%al, $0xea
1:	jmp	1b
