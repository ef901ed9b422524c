/*
 * Restart guest (32-bit protected mode set up by the host, no IDT). Memory survives resets, so
 * it counts its boots at 0x500: each boot reports the count to the result port and prints "B".
 * When the count reaches EBX (set by the host; boot registers come back on every reset) it
 * powers off; before that it triple-faults with ud2.
 */
	.code32
	.text
	.globl	_start
_start:
	incl	0x500
	mov	0x500, %eax
	out	%eax, $0xec
	mov	%eax, %ecx
	mov	$'B', %al
	out	%al, $0xe9
	cmp	%ebx, %ecx
	jae	1f
	ud2
1:	out	%al, $0xea
2:	jmp	2b
