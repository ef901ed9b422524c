/*
 * Faulting guests. Entry points (PC = 0x1000 + offset); the host sets up the mode and gives
 * no IDT (limit 0), so any exception is a triple fault.
 *   +0x000  32-bit protected mode: prints "F", then ud2                 -> triple fault
 *   +0x100  64-bit long mode: prints "L", then ud2                      -> triple fault
 *   +0x200  32-bit protected mode: jumps to unmapped 0x20000000         -> emulation failure
 *   +0x300  32-bit protected mode: executes 0xff bytes (invalid opcode) -> triple fault
 */
	.text
	.globl	_start
_start:
	.code32
	mov	$'F', %al
	out	%al, $0xe9
	ud2
	out	%al, $0xea		/* not reached */
1:	jmp	1b

	.org	0x100
	.code64
	mov	$'L', %al
	out	%al, $0xe9
	ud2
	out	%al, $0xea
2:	jmp	2b

	.org	0x200
	.code32
	mov	$0x20000000, %eax
	jmp	*%eax

	.org	0x300
	.byte	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
	.byte	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
