/* SPDX-License-Identifier: MIT */
/*
 * The x86 VMX backend's registers (hv_reg_t identifiers onto the VMCS, the saved GPRs and the
 * local APIC) and snapshots (what a reset returns a vCPU to).
 */
#include "arch/x86/insn.h"
#include "vmx.h"

/* ---- registers and snapshots ------------------------------------------------------------- */

enum hv_vmx_reg_kind { REG_NONE, REG_GPR, REG_VMCS, REG_CR0, REG_CR2, REG_CR4, REG_CR8,
		       REG_EFER, REG_RFLAGS, REG_MSR };

/* Where a register lives; *field is its VMCS field (or GPR / MSR number). */
static enum hv_vmx_reg_kind hv_vmx_reg(hv_reg_t reg, uint32_t *field)
{
	uint32_t n = (uint32_t)reg;

	if ((reg & ~0xffffffffull) == HV_X86_MSR_CLASS) {
		*field = n;
		return REG_MSR;
	}
	if ((reg & ~0xffffffffull) != HV_X86_REG_CLASS)
		return REG_NONE;
	if (n < 16) {
		*field = n;
		return n == 4 ? (*field = VMCS_GUEST_RSP, REG_VMCS) : REG_GPR;
	}
	if (n >= 0x100 && n < 0x100 + 4 * VMX_SEG_COUNT) {
		uint32_t s = (n - 0x100) / 4;
		static const uint32_t base[4] = { 0x0800, 0x6806, 0x4800, 0x4814 };

		*field = base[(n - 0x100) % 4] + 2 * s;
		return REG_VMCS;
	}
	switch (n) {
	case 16: *field = VMCS_GUEST_RIP; return REG_VMCS;
	case 17: return REG_RFLAGS;
	case 20: return REG_CR0;
	case 21: return REG_CR2;
	case 22: *field = VMCS_GUEST_CR3; return REG_VMCS;
	case 23: return REG_CR4;
	case 24: return REG_CR8;
	case 25: return REG_EFER;
	case 30: *field = VMCS_GUEST_GDTR_BASE; return REG_VMCS;
	case 31: *field = VMCS_GUEST_GDTR_LIMIT; return REG_VMCS;
	case 32: *field = VMCS_GUEST_IDTR_BASE; return REG_VMCS;
	case 33: *field = VMCS_GUEST_IDTR_LIMIT; return REG_VMCS;
	default: return REG_NONE;
	}
}

static hv_status_t hv_vmx_regs(struct hv_vmx_vcpu *xc, const hv_reg_t *regs, uint64_t *out,
			       const uint64_t *in, size_t count)
{
	uint32_t field;
	uint64_t v;
	size_t i;

	if (!hv_vmx_load(xc))
		return HV_ERR_BACKEND;
	/* Check every identifier (and MSR readability) first: all or nothing. */
	for (i = 0; i < count; i++) {
		enum hv_vmx_reg_kind k = hv_vmx_reg(regs[i], &field);

		if (k == REG_NONE || (k == REG_MSR && !hv_vmx_rdmsr_guest(xc, field, &v)))
			return HV_ERR_UNKNOWN_REG;
	}
	for (i = 0; i < count; i++) {
		enum hv_vmx_reg_kind k = hv_vmx_reg(regs[i], &field);

		if (in == NULL) {
			switch (k) {
			case REG_GPR: v = xc->g.r[field]; break;
			case REG_VMCS: v = hv_vmx_read(field); break;
			case REG_RFLAGS: v = hv_vmx_read(VMCS_GUEST_RFLAGS); break;
			case REG_CR0: v = hv_vmx_cr0(); break;
			case REG_CR2: v = xc->g.cr2; break;
			case REG_CR4: v = hv_vmx_cr4(); break;
			case REG_CR8: v = xc->lapic.tpr >> 4; break;
			case REG_EFER: v = hv_vmx_read(VMCS_GUEST_EFER); break;
			default: hv_vmx_rdmsr_guest(xc, field, &v); break;
			}
			out[i] = v;
			continue;
		}
		v = in[i];
		switch (k) {
		case REG_GPR: xc->g.r[field] = v; break;
		case REG_VMCS:
			hv_vmx_write(field, v);
			/* An AP the host places at an entry point runs from there, no SIPI. */
			if (field == VMCS_GUEST_RIP)
				xc->wait_sipi = 0;
			break;
		case REG_RFLAGS: hv_vmx_write(VMCS_GUEST_RFLAGS, (v | 2) & 0x3f7fd7ull); break;
		case REG_CR0:
			hv_vmx_write(VMCS_CR0_SHADOW, v | CR0_ET);
			hv_vmx_write(VMCS_GUEST_CR0, hv_vmx_cr0_real(v | CR0_ET));
			break;
		case REG_CR2: xc->g.cr2 = v; break;
		case REG_CR4:
			hv_vmx_write(VMCS_CR4_SHADOW, v & ~CR4_VMXE);
			hv_vmx_write(VMCS_GUEST_CR4, hv_vmx_cr4_real(v & ~CR4_VMXE));
			break;
		case REG_CR8: xc->lapic.tpr = (uint32_t)(v & 15) << 4; break;
		case REG_EFER: hv_vmx_set_efer(xc, v); break;
		default:
			if (!hv_vmx_wrmsr_guest(xc, field, v))
				return HV_ERR_BACKEND;
			break;
		}
	}
	if (in != NULL)
		hv_vmx_load_pdptes(xc);
	return HV_OK;
}

hv_status_t hv_vmx_get_regs(void *cs, const hv_reg_t *regs, uint64_t *values,
				   size_t count)
{
	return hv_vmx_regs(cs, regs, values, NULL, count);
}

hv_status_t hv_vmx_set_regs(void *cs, const hv_reg_t *regs, const uint64_t *values,
				   size_t count)
{
	return hv_vmx_regs(cs, regs, NULL, values, count);
}

/* The guest-state fields a reset returns to, beside the GPRs and shadows. */
static const uint16_t hv_vmx_saved[] = {
	0x0800, 0x0802, 0x0804, 0x0806, 0x0808, 0x080a, 0x080c, 0x080e,
	0x4800, 0x4802, 0x4804, 0x4806, 0x4808, 0x480a, 0x480c, 0x480e, 0x4810, 0x4812,
	0x4814, 0x4816, 0x4818, 0x481a, 0x481c, 0x481e, 0x4820, 0x4822,
	0x6806, 0x6808, 0x680a, 0x680c, 0x680e, 0x6810, 0x6812, 0x6814, 0x6816, 0x6818,
	VMCS_GUEST_CR0, VMCS_GUEST_CR3, VMCS_GUEST_CR4, VMCS_CR0_SHADOW, VMCS_CR4_SHADOW,
	VMCS_GUEST_DR7, VMCS_GUEST_RSP, VMCS_GUEST_RIP, VMCS_GUEST_RFLAGS, VMCS_GUEST_EFER,
	VMCS_GUEST_PAT, VMCS_GUEST_DEBUGCTL, VMCS_GUEST_SYSENTER_CS, VMCS_GUEST_SYSENTER_ESP,
	VMCS_GUEST_SYSENTER_EIP, VMCS_GUEST_INTERRUPTIBILITY, VMCS_GUEST_ACTIVITY,
	VMCS_GUEST_PENDING_DBG, 0x280a, 0x280c, 0x280e, 0x2810, VMCS_ENTRY_CTLS,
};

_Static_assert(HV__ARRAY_SIZE(hv_vmx_saved) <= HV__ARRAY_SIZE(((struct hv_vmx_snapshot *)0)->fields),
	       "struct hv_vmx_snapshot is too small");


hv_status_t hv_vmx_save(void *cs, void *snapshot)
{
	struct hv_vmx_vcpu *xc = cs;
	struct hv_vmx_snapshot *s = snapshot;
	size_t i;

	if (!hv_vmx_load(xc))
		return HV_ERR_BACKEND;
	s->g = xc->g;
	s->wait_sipi = xc->wait_sipi;
	for (i = 0; i < HV__ARRAY_SIZE(hv_vmx_saved); i++)
		s->fields[i] = hv_vmx_read(hv_vmx_saved[i]);
	return HV_OK;
}

hv_status_t hv_vmx_restore(void *cs, const void *snapshot)
{
	struct hv_vmx_vcpu *xc = cs;
	const struct hv_vmx_snapshot *s = snapshot;
	size_t i;

	if (!hv_vmx_load(xc))
		return HV_ERR_BACKEND;
	xc->g = s->g;
	xc->wait_sipi = s->wait_sipi;
	xc->init_pending = 0;
	xc->sipi_pending = 0;
	for (i = 0; i < HV__ARRAY_SIZE(hv_vmx_saved); i++)
		if (!hv_vmx_write(hv_vmx_saved[i], s->fields[i]))
			return HV_ERR_BACKEND;
	hv_vmx_write(VMCS_ENTRY_INTR_INFO, 0);
	hv_vmx_vcpu_state_reset(xc);
	if (hv_vmx_msr_owner == xc)
		hv_vmx_msr_owner = NULL;
	hv_vmx_invvpid(xc);
	return HV_OK;
}

