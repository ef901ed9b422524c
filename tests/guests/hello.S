/*
 * Smallest test guest (real mode, entered at 0:0x1000): prints "hi\n" on the itest console
 * (port 0xE9), reports 0x600d to the result port (0xEC) and powers off (port 0xEA).
 */
	.code16
	.text
	.globl	_start
_start:
	mov	$'h', %al
	out	%al, $0xe9
	mov	$'i', %al
	out	%al, $0xe9
	mov	$'\n', %al
	out	%al, $0xe9
	mov	$0x600d, %eax
	out	%eax, $0xec
	out	%al, $0xea
1:	jmp	1b
