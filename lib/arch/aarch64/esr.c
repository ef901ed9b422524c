/* SPDX-License-Identifier: MIT */
/* AArch64 syndrome decoding (Arm ARM D17.2.37, ESR_EL2): data aborts, MSR/MRS traps. */
#include "arch/aarch64/esr.h"

enum hv__a64_fsc_kind hv__a64_fsc_kind(uint32_t fsc)
{
	switch (fsc & 0x3c) {
	case 0x04:
		return HV__A64_FSC_TRANSLATION;
	case 0x08:
		return HV__A64_FSC_ACCESS_FLAG;
	case 0x0c:
		return HV__A64_FSC_PERMISSION;
	default:
		/* 0b0000LL is an address-size fault: the IPA lies beyond what stage 2 covers. */
		return (fsc & 0x3c) == 0 ? HV__A64_FSC_TRANSLATION : HV__A64_FSC_OTHER;
	}
}

bool hv__a64_decode_dabt(uint64_t esr, struct hv__a64_dabt *out)
{
	uint32_t iss = hv__a64_esr_iss(esr);

	if (hv__a64_esr_ec(esr) != HV__A64_EC_DABT_LOW)
		return false;
	out->valid = (iss >> 24) & 1;
	out->is_write = (iss >> 6) & 1;
	out->s1ptw = (iss >> 7) & 1;
	out->fsc = iss & 0x3f;
	out->kind = hv__a64_fsc_kind(out->fsc);
	if (out->valid) {
		out->width = (uint8_t)(1u << ((iss >> 22) & 3));
		out->sign_extend = (iss >> 21) & 1;
		out->reg = (iss >> 16) & 0x1f;
		out->sf = (iss >> 15) & 1;
		out->acq_rel = (iss >> 14) & 1;
	} else {
		out->width = 0;
		out->sign_extend = false;
		out->reg = 0;
		out->sf = false;
		out->acq_rel = false;
	}
	/* A stage-1 walk is a read of the guest's tables, whatever the instruction did. */
	if (out->s1ptw)
		out->is_write = false;
	return true;
}

bool hv__a64_decode_sysreg(uint64_t esr, struct hv__a64_sysreg *out)
{
	uint32_t iss = hv__a64_esr_iss(esr);

	if (hv__a64_esr_ec(esr) != HV__A64_EC_SYSREG)
		return false;
	out->op0 = (iss >> 20) & 3;
	out->op2 = (iss >> 17) & 7;
	out->op1 = (iss >> 14) & 7;
	out->crn = (iss >> 10) & 0xf;
	out->reg = (iss >> 5) & 0x1f;
	out->crm = (iss >> 1) & 0xf;
	out->is_read = iss & 1;
	return true;
}

uint32_t hv__a64_sysreg_key(const struct hv__a64_sysreg *s)
{
	return HV__A64_SYSREG_KEY(s->op0, s->op1, s->crn, s->crm, s->op2);
}

uint64_t hv__a64_fault_ipa(uint64_t hpfar, uint64_t far)
{
	/* HPFAR_EL2.FIPA, bits [43:4], holds IPA[51:12]. */
	return ((hpfar & 0x00000ffffffffff0ull) << 8) | (far & 0xfffull);
}

uint64_t hv__a64_load_value(const struct hv__a64_dabt *d, uint64_t data)
{
	unsigned bits = d->width * 8u;
	uint64_t v = bits >= 64 ? data : data & ((1ull << bits) - 1);

	if (d->sign_extend && bits < 64 && (v >> (bits - 1)) & 1)
		v |= ~0ull << bits;
	if (!d->sf)
		v &= 0xffffffffull;
	return v;
}
