/* SPDX-License-Identifier: MIT */
/*
 * AArch64 exception syndromes (ESR_ELx) as a hypervisor at EL2 sees them, decoded into plain
 * structs. Shared by every backend that takes guest exits on AArch64: the bare-metal EL2
 * backend decodes the hardware's ESR_EL2, KVM on arm64 would decode the syndrome KVM reports.
 * Pure functions, freestanding, no system-register access: unit-tested on any host.
 */
#ifndef HV_ARCH_AARCH64_ESR_H
#define HV_ARCH_AARCH64_ESR_H

#include <stdbool.h>
#include <stdint.h>

/* Exception classes (ESR_ELx.EC) a hypervisor handles. */
enum {
	HV__A64_EC_UNKNOWN = 0x00,
	HV__A64_EC_WFX = 0x01,
	HV__A64_EC_FP = 0x07,
	HV__A64_EC_HVC64 = 0x16,
	HV__A64_EC_SMC64 = 0x17,
	HV__A64_EC_SYSREG = 0x18,
	HV__A64_EC_IABT_LOW = 0x20,
	HV__A64_EC_IABT_CUR = 0x21,
	HV__A64_EC_DABT_LOW = 0x24,
	HV__A64_EC_DABT_CUR = 0x25,
};

static inline uint32_t hv__a64_esr_ec(uint64_t esr)
{
	return (uint32_t)(esr >> 26) & 0x3f;
}

static inline uint32_t hv__a64_esr_iss(uint64_t esr)
{
	return (uint32_t)esr & 0x1ffffff;
}

/* What kind of abort a fault status code (DFSC/IFSC) reports. */
enum hv__a64_fsc_kind {
	HV__A64_FSC_TRANSLATION = 1, /* nothing mapped at this stage */
	HV__A64_FSC_ACCESS_FLAG = 2,
	HV__A64_FSC_PERMISSION = 3, /* mapped, but not for this access (a ROM write) */
	HV__A64_FSC_OTHER = 4,      /* external aborts, alignment, TLB conflicts, ... */
};

/* A data abort taken to EL2. */
struct hv__a64_dabt {
	bool valid;       /* ISV: the syndrome describes the access (else: emulate or fail) */
	bool is_write;    /* WnR */
	bool sign_extend; /* SSE: a sign-extending load */
	bool sf;          /* the target register is 64 bits wide (else 32) */
	bool acq_rel;     /* AR: load-acquire or store-release */
	bool s1ptw;       /* the fault hit the guest's own stage-1 page-table walk */
	uint8_t width;    /* 1, 2, 4 or 8 bytes */
	uint8_t reg;      /* SRT: the transfer register, 31 is XZR */
	uint8_t fsc;      /* DFSC, raw */
	enum hv__a64_fsc_kind kind;
};

/* A trapped MSR/MRS (EC 0x18). */
struct hv__a64_sysreg {
	uint8_t op0, op1, crn, crm, op2;
	uint8_t reg;  /* Rt, 31 is XZR */
	bool is_read; /* MRS */
};

/* The system-register encoding of a trapped access, as HV_ARM64_SYSREG() packs it. */
#define HV__A64_SYSREG_KEY(op0, op1, crn, crm, op2)                                   \
	(((uint32_t)(op0) << 14) | ((uint32_t)(op1) << 11) | ((uint32_t)(crn) << 7) | \
	 ((uint32_t)(crm) << 3) | (uint32_t)(op2))

enum hv__a64_fsc_kind hv__a64_fsc_kind(uint32_t fsc);
/* False if esr is not a data abort from a lower EL. */
bool hv__a64_decode_dabt(uint64_t esr, struct hv__a64_dabt *out);
/* False if esr is not a trapped MSR/MRS. */
bool hv__a64_decode_sysreg(uint64_t esr, struct hv__a64_sysreg *out);
uint32_t hv__a64_sysreg_key(const struct hv__a64_sysreg *s);
/* The faulting guest-physical address from HPFAR_EL2 (page) and FAR_EL2 (offset). */
uint64_t hv__a64_fault_ipa(uint64_t hpfar, uint64_t far);
/* What a load of `width` bytes puts into its register, per the abort's SSE and SF bits. */
uint64_t hv__a64_load_value(const struct hv__a64_dabt *d, uint64_t data);

#endif /* HV_ARCH_AARCH64_ESR_H */
