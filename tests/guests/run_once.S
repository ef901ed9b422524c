/*
 * Guest driven exit by exit (real mode): OUT 0x55 to port 0x300 (1 byte), OUT 0x1234 to 0x302
 * (2 bytes), IN a dword from 0x304, add 1 and OUT it to 0x306; then, for the dispatching part,
 * the same value to the result port 0xEC, "ok" on the console and power off.
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	mov	$0x300, %dx
	mov	$0x55, %al
	out	%al, %dx
	mov	$0x302, %dx
	mov	$0x1234, %ax
	out	%ax, %dx
	mov	$0x304, %dx
	in	%dx, %eax
	inc	%eax
	mov	$0x306, %dx
	out	%eax, %dx
	out	%eax, $0xec
	mov	$'o', %al
	out	%al, $0xe9
	mov	$'k', %al
	out	%al, $0xe9
	out	%al, $0xea
1:	jmp	1b
