/* SPDX-License-Identifier: MIT */
/**
 * @file regs_arm64.h
 * @brief AArch64 register identifiers for hv_vcpu_get_reg() and hv_vcpu_set_reg().
 *
 * @defgroup regs_arm64 AArch64 registers
 * @brief General registers, PC, PSTATE, EL1 banked registers and system registers.
 * @{
 */
#ifndef HVLIB_REGS_ARM64_H
#define HVLIB_REGS_ARM64_H

/** Class tag of AArch64 core registers. */
#define HV_ARM64_REG_CLASS 0x300000000ull
/** Class tag of AArch64 system registers. */
#define HV_ARM64_SYSREG_CLASS 0x400000000ull

/** An AArch64 core register by number. */
#define HV_ARM64_REG(n) (HV_ARM64_REG_CLASS | (uint64_t)(n))
/** General register Xn, n from 0 to 30. */
#define HV_ARM64_X(n) HV_ARM64_REG(n)

/** AArch64 core registers beyond X0-X30. */
enum {
	HV_ARM64_PC = HV_ARM64_REG(32),       /**< PC */
	HV_ARM64_PSTATE = HV_ARM64_REG(33),   /**< PSTATE, in SPSR layout */
	HV_ARM64_SP_EL0 = HV_ARM64_REG(34),   /**< SP_EL0 */
	HV_ARM64_SP_EL1 = HV_ARM64_REG(35),   /**< SP_EL1 */
	HV_ARM64_ELR_EL1 = HV_ARM64_REG(36),  /**< ELR_EL1 */
	HV_ARM64_SPSR_EL1 = HV_ARM64_REG(37), /**< SPSR_EL1 */
};

/** A system register by its MRS/MSR encoding. */
#define HV_ARM64_SYSREG(op0, op1, crn, crm, op2)                                                  \
	(HV_ARM64_SYSREG_CLASS | ((uint64_t)(op0) << 14) | ((uint64_t)(op1) << 11) |              \
	 ((uint64_t)(crn) << 7) | ((uint64_t)(crm) << 3) | (uint64_t)(op2))

/** @} */
#endif /* HVLIB_REGS_ARM64_H */
