/* SPDX-License-Identifier: MIT */
/*
 * Guest entry and exit at EL2, and the EL2 vector table. A vCPU's state (struct hv_el2_vcpu,
 * el2.h) starts with the host's SP, x19, x20, x29 and x30 (offset 0), then the guest's x0-x30,
 * PC and PSTATE (offset 112). TPIDR_EL2 points at the vCPU running on this core. The caller
 * (hv_el2_enter) declares every other general register clobbered, so the compiler keeps only
 * what it needs across a guest entry instead of this code saving x21-x28 every time.
 */
#define HOST_SP 0
#define G_X 112
#define G_PC_OFF 248 /* from G_X */

	.text
	.balign 4
	.global hv_el2_enter_asm
	.type hv_el2_enter_asm, %function
/* x0 = struct hv_el2_vcpu *; returns the exit kind in x0. Only for hv_el2_enter() (el2.h). */
hv_el2_enter_asm:
	mov	x1, sp
	stp	x1, x19, [x0, #HOST_SP]
	str	x20, [x0, #16]
	stp	x29, x30, [x0, #88]
	ldp	x1, x2, [x0, #G_X + G_PC_OFF]
	msr	elr_el2, x1
	msr	spsr_el2, x2
	ldp	x2, x3, [x0, #G_X + 16]
	ldp	x4, x5, [x0, #G_X + 32]
	ldp	x6, x7, [x0, #G_X + 48]
	ldp	x8, x9, [x0, #G_X + 64]
	ldp	x10, x11, [x0, #G_X + 80]
	ldp	x12, x13, [x0, #G_X + 96]
	ldp	x14, x15, [x0, #G_X + 112]
	ldp	x16, x17, [x0, #G_X + 128]
	ldp	x18, x19, [x0, #G_X + 144]
	ldp	x20, x21, [x0, #G_X + 160]
	ldp	x22, x23, [x0, #G_X + 176]
	ldp	x24, x25, [x0, #G_X + 192]
	ldp	x26, x27, [x0, #G_X + 208]
	ldp	x28, x29, [x0, #G_X + 224]
	ldr	x30, [x0, #G_X + 240]
	ldp	x0, x1, [x0, #G_X]
	eret
	dsb	nsh
	isb
	.size hv_el2_enter_asm, . - hv_el2_enter_asm

/* x0 = exit kind; the guest's x0 and x1 are on the stack. */
hv_el2_exit:
	mrs	x1, tpidr_el2
	stp	x2, x3, [x1, #G_X + 16]
	stp	x4, x5, [x1, #G_X + 32]
	stp	x6, x7, [x1, #G_X + 48]
	stp	x8, x9, [x1, #G_X + 64]
	stp	x10, x11, [x1, #G_X + 80]
	stp	x12, x13, [x1, #G_X + 96]
	stp	x14, x15, [x1, #G_X + 112]
	stp	x16, x17, [x1, #G_X + 128]
	stp	x18, x19, [x1, #G_X + 144]
	stp	x20, x21, [x1, #G_X + 160]
	stp	x22, x23, [x1, #G_X + 176]
	stp	x24, x25, [x1, #G_X + 192]
	stp	x26, x27, [x1, #G_X + 208]
	stp	x28, x29, [x1, #G_X + 224]
	str	x30, [x1, #G_X + 240]
	ldp	x2, x3, [sp], #16
	stp	x2, x3, [x1, #G_X]
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	stp	x2, x3, [x1, #G_X + G_PC_OFF]
	ldp	x2, x19, [x1, #HOST_SP]
	mov	sp, x2
	ldr	x20, [x1, #16]
	ldp	x29, x30, [x1, #88]
	ret

.macro guest_exit kind
	.balign 0x80
	stp	x0, x1, [sp, #-16]!
	mov	x0, #\kind
	b	hv_el2_exit
.endm

.macro host_exception kind
	.balign 0x80
	mov	x0, #\kind
	mrs	x1, esr_el2
	mrs	x2, elr_el2
	mrs	x3, far_el2
	b	hv_el2_host_exception
.endm

	.balign 2048
	.global hv_el2_vectors
hv_el2_vectors:
	/* Current EL with SP_EL0, then with SP_ELx: the hypervisor itself faulted. */
	host_exception 0
	host_exception 1
	host_exception 2
	host_exception 3
	host_exception 0
	host_exception 1
	host_exception 2
	host_exception 3
	/* Lower EL, AArch64: the guest. */
	guest_exit 0
	guest_exit 1
	guest_exit 2
	guest_exit 3
	/* Lower EL, AArch32: guests are AArch64 only (HCR_EL2.RW). */
	host_exception 4
	host_exception 5
	host_exception 6
	host_exception 7
