/*
 * Interrupt guest (real mode, 0:0x1000). Programs the 8259 pair (vectors 0x20-0x2f, only IRQ 3
 * and IRQ 5 unmasked), installs handlers that count IRQ 5 in the word at 0x600 and IRQ 3 at
 * 0x602, reports 0x52454459 ("READY") to the result port, then sleeps (HLT) until the two
 * counts add up to CX (set by the host). Reports both counts and powers off.
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	$0xf000, %sp
	movw	$0, 0x600
	movw	$0, 0x602
	movw	$irq5, (0x25 * 4)
	movw	$0, (0x25 * 4 + 2)
	movw	$irq3, (0x23 * 4)
	movw	$0, (0x23 * 4 + 2)
	mov	$0x11, %al		/* ICW1: edge, cascade, ICW4 */
	out	%al, $0x20
	out	%al, $0xa0
	mov	$0x20, %al		/* ICW2: vector bases */
	out	%al, $0x21
	mov	$0x28, %al
	out	%al, $0xa1
	mov	$0x04, %al		/* ICW3 */
	out	%al, $0x21
	mov	$0x02, %al
	out	%al, $0xa1
	mov	$0x01, %al		/* ICW4: 8086 mode */
	out	%al, $0x21
	out	%al, $0xa1
	mov	$0xd7, %al		/* mask all but IRQ 3 and 5 */
	out	%al, $0x21
	mov	$0xff, %al
	out	%al, $0xa1
	mov	$0x52454459, %eax
	out	%eax, $0xec
1:	sti
	hlt
	cli
	mov	0x600, %ax
	add	0x602, %ax
	cmp	%cx, %ax
	jb	1b
	movzwl	0x600, %eax
	out	%eax, $0xec
	movzwl	0x602, %eax
	out	%eax, $0xec
	out	%al, $0xea
2:	jmp	2b

irq5:
	push	%ax
	incw	0x600
	mov	$0x20, %al		/* EOI */
	out	%al, $0x20
	pop	%ax
	iret
irq3:
	push	%ax
	incw	0x602
	mov	$0x20, %al
	out	%al, $0x20
	pop	%ax
	iret
