/* SPDX-License-Identifier: MIT */
/**
 * @file regs_x86.h
 * @brief x86-64 register identifiers for hv_vcpu_get_reg() and hv_vcpu_set_reg().
 *
 * @defgroup regs_x86 x86-64 registers
 * @brief General, control, segment, descriptor-table registers and MSRs.
 *
 * Segment registers are four registers each: selector, base, limit and attributes. The
 * attributes use the VMX access-rights layout: bits 0-3 type, 4 S, 5-6 DPL, 7 P, 12 AVL,
 * 13 L, 14 D/B, 15 G, 16 unusable.
 * @{
 */
#ifndef HVLIB_REGS_X86_H
#define HVLIB_REGS_X86_H

/** Class tag of x86 registers. */
#define HV_X86_REG_CLASS 0x100000000ull
/** Class tag of x86 model-specific registers. */
#define HV_X86_MSR_CLASS 0x200000000ull

/** An x86 register by number. */
#define HV_X86_REG(n) (HV_X86_REG_CLASS | (uint64_t)(n))
/** A model-specific register by its MSR index, e.g. `HV_X86_REG_MSR(0xC0000080)` for EFER. */
#define HV_X86_REG_MSR(index) (HV_X86_MSR_CLASS | (uint64_t)(uint32_t)(index))

/** x86 general-purpose registers, in encoding order. */
enum {
	HV_X86_RAX = HV_X86_REG(0), /**< RAX */
	HV_X86_RCX = HV_X86_REG(1), /**< RCX */
	HV_X86_RDX = HV_X86_REG(2), /**< RDX */
	HV_X86_RBX = HV_X86_REG(3), /**< RBX */
	HV_X86_RSP = HV_X86_REG(4), /**< RSP */
	HV_X86_RBP = HV_X86_REG(5), /**< RBP */
	HV_X86_RSI = HV_X86_REG(6), /**< RSI */
	HV_X86_RDI = HV_X86_REG(7), /**< RDI */
	HV_X86_R8 = HV_X86_REG(8),   /**< R8 */
	HV_X86_R9 = HV_X86_REG(9),   /**< R9 */
	HV_X86_R10 = HV_X86_REG(10), /**< R10 */
	HV_X86_R11 = HV_X86_REG(11), /**< R11 */
	HV_X86_R12 = HV_X86_REG(12), /**< R12 */
	HV_X86_R13 = HV_X86_REG(13), /**< R13 */
	HV_X86_R14 = HV_X86_REG(14), /**< R14 */
	HV_X86_R15 = HV_X86_REG(15), /**< R15 */
	HV_X86_RIP = HV_X86_REG(16),    /**< RIP */
	HV_X86_RFLAGS = HV_X86_REG(17), /**< RFLAGS */
	HV_X86_CR0 = HV_X86_REG(20),  /**< CR0 */
	HV_X86_CR2 = HV_X86_REG(21),  /**< CR2 */
	HV_X86_CR3 = HV_X86_REG(22),  /**< CR3 */
	HV_X86_CR4 = HV_X86_REG(23),  /**< CR4 */
	HV_X86_CR8 = HV_X86_REG(24),  /**< CR8 (TPR) */
	HV_X86_EFER = HV_X86_REG(25), /**< EFER (also reachable as MSR 0xC0000080) */
	HV_X86_GDTR_BASE = HV_X86_REG(30),  /**< GDTR base */
	HV_X86_GDTR_LIMIT = HV_X86_REG(31), /**< GDTR limit */
	HV_X86_IDTR_BASE = HV_X86_REG(32),  /**< IDTR base */
	HV_X86_IDTR_LIMIT = HV_X86_REG(33), /**< IDTR limit */
};

/** Segment registers, for @ref HV_X86_SEG. */
enum hv_x86_seg {
	HV_X86_ES = 0,   /**< ES */
	HV_X86_CS = 1,   /**< CS */
	HV_X86_SS = 2,   /**< SS */
	HV_X86_DS = 3,   /**< DS */
	HV_X86_FS = 4,   /**< FS */
	HV_X86_GS = 5,   /**< GS */
	HV_X86_LDTR = 6, /**< LDTR */
	HV_X86_TR = 7,   /**< TR */
};

/** Fields of a segment register, for @ref HV_X86_SEG. */
enum hv_x86_seg_field {
	HV_X86_SEG_SELECTOR = 0, /**< The 16-bit selector. */
	HV_X86_SEG_BASE = 1,     /**< The base address. */
	HV_X86_SEG_LIMIT = 2,    /**< The byte-granular limit. */
	HV_X86_SEG_ATTR = 3,     /**< Attributes in VMX access-rights layout. */
};

/** One field of one segment register, e.g. `HV_X86_SEG(HV_X86_CS, HV_X86_SEG_BASE)`. */
#define HV_X86_SEG(seg, field) HV_X86_REG(0x100 + (seg) * 4 + (field))

/** @} */
#endif /* HVLIB_REGS_X86_H */
