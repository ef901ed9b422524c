/*
 * Shared-memory guest (real mode). BX holds the real-mode segment of the shared mapping.
 *   +0x000  writer: copies "hello from A" (with its NUL) to BX:0, powers off
 *   +0x100  reader: prints the string at BX:0 on the console, tries to overwrite its first
 *           byte with 'X', prints "|" and the first byte again, powers off
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	cld
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%bx, %es
	mov	$msg, %si
	xor	%di, %di
	mov	$msg_end - msg, %cx
	rep movsb
	out	%al, $0xea
1:	jmp	1b
msg:	.asciz	"hello from A"
msg_end:

	.org	0x100
	cli
	mov	%bx, %ds
	xor	%si, %si
2:	lodsb
	test	%al, %al
	jz	3f
	out	%al, $0xe9
	jmp	2b
3:	movb	$'X', 0
	mov	$'|', %al
	out	%al, $0xe9
	mov	0, %al
	out	%al, $0xe9
	out	%al, $0xea
4:	jmp	4b
