/* SPDX-License-Identifier: MIT */
/*
 * A static Linux/arm64 program for the initramfs of tests/el2/linux.sh: prints
 * "HVLIB-MARKER cntvct 0x<CNTVCT_EL0> cntfrq 0x<CNTFRQ_EL0>" and exits. Under QEMU's
 * -icount shift=0 the virtual counter counts the instructions executed since power-on.
 */
	.text
	.global _start
_start:
	isb
	mrs	x19, cntvct_el0
	mrs	x20, cntfrq_el0
	adr	x21, buf
	adr	x1, s_head
	bl	append
	mov	x1, x19
	bl	hex
	adr	x1, s_freq
	bl	append
	mov	x1, x20
	bl	hex
	mov	w2, #'\n'
	strb	w2, [x21], #1
	mov	x0, #1			/* write(1, buf, len) */
	adr	x1, buf
	sub	x2, x21, x1
	mov	x8, #64
	svc	#0
	mov	x0, #0			/* exit(0) */
	mov	x8, #93
	svc	#0

/* Copy the string at x1 to x21. */
append:
	ldrb	w2, [x1], #1
	cbz	w2, 1f
	strb	w2, [x21], #1
	b	append
1:	ret

/* x1 in hex, 16 digits, at x21. */
hex:
	mov	x3, #60
1:	lsr	x2, x1, x3
	and	x2, x2, #0xf
	cmp	x2, #10
	add	x4, x2, #'0'
	add	x2, x2, #('a' - 10)
	csel	x2, x4, x2, lo
	strb	w2, [x21], #1
	subs	x3, x3, #4
	b.ge	1b
	ret

s_head:	.asciz	"HVLIB-MARKER cntvct 0x"
s_freq:	.asciz	" cntfrq 0x"

	.data
buf:	.space	96
