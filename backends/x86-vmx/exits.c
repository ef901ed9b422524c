/* SPDX-License-Identifier: MIT */
/*
 * The x86 VMX backend's exit handlers: CPUID, MSRs (an allow-list), control registers, port
 * I/O and EPT violations (the instruction fetched through the guest's page tables and decoded
 * by lib/arch/x86), the completion of reads, and event injection.
 */
#include "arch/x86/insn.h"
#include "vmx.h"

/* ---- guest state helpers ----------------------------------------------------------------- */

static uint64_t hv_vmx_gpr(struct hv_vmx_vcpu *xc, unsigned n)
{
	return n == 4 ? hv_vmx_read(VMCS_GUEST_RSP) : xc->g.r[n];
}

static void hv_vmx_set_gpr(struct hv_vmx_vcpu *xc, unsigned n, uint64_t v)
{
	if (n == 4)
		hv_vmx_write(VMCS_GUEST_RSP, v);
	else
		xc->g.r[n] = v;
}

static void hv_vmx_skip(uint64_t len)
{
	uint64_t intr = hv_vmx_read(VMCS_GUEST_INTERRUPTIBILITY);

	hv_vmx_write(VMCS_GUEST_RIP, hv_vmx_read(VMCS_GUEST_RIP) + len);
	if (intr & 3) /* STI and MOV SS blocking end with the next instruction */
		hv_vmx_write(VMCS_GUEST_INTERRUPTIBILITY, intr & ~3ull);
}

static void hv_vmx_inject_exception(struct hv_vmx_vcpu *xc, int vector, uint32_t error)
{
	xc->exception = vector;
	xc->exception_error = error;
}

static bool hv_vmx_long_mode(void)
{
	return (hv_vmx_read(VMCS_GUEST_EFER) & EFER_LMA) != 0;
}

void hv_vmx_set_efer(struct hv_vmx_vcpu *xc, uint64_t efer)
{
	uint32_t entry = (uint32_t)hv_vmx_read(VMCS_ENTRY_CTLS);

	(void)xc;
	hv_vmx_write(VMCS_GUEST_EFER, efer);
	hv_vmx_write(VMCS_ENTRY_CTLS, (efer & EFER_LMA) ? entry | ENTRY_IA32E : entry & ~ENTRY_IA32E);
}

/* PAE paging outside long mode walks four PDPTEs the VMCS holds when CR0/CR4 writes trap. */
void hv_vmx_load_pdptes(struct hv_vmx_vcpu *xc)
{
	uint64_t pdpte[4] = { 0, 0, 0, 0 };
	int i;

	if ((hv_vmx_cr0() & CR0_PG) && (hv_vmx_cr4() & CR4_PAE) && !hv_vmx_long_mode())
		hv_vm_read(xc->vm, hv_vmx_read(VMCS_GUEST_CR3) & 0xffffffe0u, pdpte, sizeof(pdpte));
	for (i = 0; i < 4; i++)
		hv_vmx_write(VMCS_GUEST_PDPTE(i), pdpte[i]);
}

/* MOV to CR0 as the guest sees it: false (#GP) for an invalid value. */
static bool hv_vmx_set_cr0(struct hv_vmx_vcpu *xc, uint64_t v)
{
	uint64_t old = hv_vmx_cr0(), efer = hv_vmx_read(VMCS_GUEST_EFER);

	v |= CR0_ET;
	if ((v >> 32) != 0 || ((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
		return false;
	if ((v & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME)) {
		if (!(hv_vmx_cr4() & CR4_PAE))
			return false;
		hv_vmx_set_efer(xc, efer | EFER_LMA);
	} else if (!(v & CR0_PG) && (old & CR0_PG) && (efer & EFER_LMA)) {
		hv_vmx_set_efer(xc, efer & ~EFER_LMA);
	}
	hv_vmx_write(VMCS_CR0_SHADOW, v);
	hv_vmx_write(VMCS_GUEST_CR0, hv_vmx_cr0_real(v));
	hv_vmx_load_pdptes(xc);
	return true;
}

static bool hv_vmx_set_cr4(struct hv_vmx_vcpu *xc, uint64_t v)
{
	if ((v & CR4_VMXE) || (v & ~hv_vmx_caps.cr4_fixed1) ||
	    (hv_vmx_long_mode() && !(v & CR4_PAE)))
		return false;
	hv_vmx_write(VMCS_CR4_SHADOW, v);
	hv_vmx_write(VMCS_GUEST_CR4, hv_vmx_cr4_real(v));
	hv_vmx_load_pdptes(xc);
	return true;
}

/* ---- MSRs: an allow-list; everything else is #GP ----------------------------------------- */

bool hv_vmx_rdmsr_guest(struct hv_vmx_vcpu *xc, uint32_t msr, uint64_t *v)
{
	size_t i;

	switch (msr) {
	case MSR_EFER: *v = hv_vmx_read(VMCS_GUEST_EFER); return true;
	case MSR_IA32_TSC: *v = hv_vmx_rdtsc(); return true;
	case MSR_IA32_APIC_BASE:
		*v = HV_VMX_LAPIC_BASE | (1u << 11) | (xc->index == 0 ? 1u << 8 : 0);
		return true;
	case MSR_IA32_SYSENTER_CS: *v = hv_vmx_read(VMCS_GUEST_SYSENTER_CS); return true;
	case MSR_IA32_SYSENTER_ESP: *v = hv_vmx_read(VMCS_GUEST_SYSENTER_ESP); return true;
	case MSR_IA32_SYSENTER_EIP: *v = hv_vmx_read(VMCS_GUEST_SYSENTER_EIP); return true;
	case MSR_IA32_PAT: *v = hv_vmx_read(VMCS_GUEST_PAT); return true;
	case MSR_FS_BASE: *v = hv_vmx_read(VMCS_GUEST_BASE(4)); return true;
	case MSR_GS_BASE: *v = hv_vmx_read(VMCS_GUEST_BASE(5)); return true;
	case MSR_IA32_MISC_ENABLE: *v = xc->misc_enable; return true;
	case MSR_IA32_MTRR_CAP: *v = 0; return true;
	case MSR_IA32_MTRR_DEF_TYPE: *v = 6; return true;
	case MSR_IA32_BIOS_SIGN_ID: *v = 0; return true; /* no microcode update loaded */
	default:
		for (i = 0; i < HV__ARRAY_SIZE(hv_vmx_syscall_msr); i++) {
			if (msr == hv_vmx_syscall_msr[i]) {
				*v = xc->syscall_msrs[i];
				return true;
			}
		}
		return false;
	}
}

static bool hv_vmx_canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

bool hv_vmx_wrmsr_guest(struct hv_vmx_vcpu *xc, uint32_t msr, uint64_t v)
{
	size_t i;

	switch (msr) {
	case MSR_EFER: {
		uint64_t cur = hv_vmx_read(VMCS_GUEST_EFER);

		if ((v & ~(1ull | EFER_LME | EFER_LMA | EFER_NXE)) != 0 ||
		    ((hv_vmx_cr0() & CR0_PG) && ((v ^ cur) & EFER_LME)))
			return false;
		hv_vmx_set_efer(xc, (v & ~EFER_LMA) | (cur & EFER_LMA));
		return true;
	}
	case MSR_IA32_APIC_BASE:
		/* Moving or disabling the APIC is not emulated; writing its value back is. */
		return (v & ~(1ull << 8)) == (HV_VMX_LAPIC_BASE | (1u << 11));
	case MSR_IA32_SYSENTER_CS: hv_vmx_write(VMCS_GUEST_SYSENTER_CS, v); return true;
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		if (!hv_vmx_canonical(v))
			return false;
		hv_vmx_write(msr == MSR_IA32_SYSENTER_ESP ? VMCS_GUEST_SYSENTER_ESP
							  : VMCS_GUEST_SYSENTER_EIP,
			     v);
		return true;
	case MSR_IA32_PAT:
		for (i = 0; i < 8; i++) {
			uint8_t t = (uint8_t)(v >> (8 * i));

			if (t == 2 || t == 3 || t > 7)
				return false;
		}
		hv_vmx_write(VMCS_GUEST_PAT, v);
		return true;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		if (!hv_vmx_canonical(v))
			return false;
		hv_vmx_write(VMCS_GUEST_BASE(msr == MSR_FS_BASE ? 4 : 5), v);
		return true;
	case MSR_IA32_MISC_ENABLE: return v == xc->misc_enable;
	case MSR_IA32_MTRR_DEF_TYPE: return true; /* memory types come from EPT */
	case MSR_IA32_BIOS_SIGN_ID: return true;  /* written before CPUID latches it: ignored */
	default:
		for (i = 0; i < HV__ARRAY_SIZE(hv_vmx_syscall_msr); i++) {
			if (msr == hv_vmx_syscall_msr[i]) {
				if (i != 0 && i != 3 && !hv_vmx_canonical(v))
					return false;
				xc->syscall_msrs[i] = v;
				if (hv_vmx_msr_owner == xc)
					hv_vmx_wrmsr(msr, v);
				return true;
			}
		}
		return false;
	}
}

/* ---- guest memory for instruction fetch -------------------------------------------------- */

#define PTE_P 1ull
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull

static bool hv_vmx_read_pte(struct hv_vmx_vcpu *xc, uint64_t gpa, size_t size, uint64_t *e)
{
	*e = 0;
	return hv_vm_read(xc->vm, gpa, e, size) == HV_OK && (*e & PTE_P);
}

/* The guest's linear-to-physical translation, as its paging mode defines it. */
static bool hv_vmx_translate(struct hv_vmx_vcpu *xc, uint64_t la, uint64_t *gpa)
{
	uint64_t cr3 = hv_vmx_read(VMCS_GUEST_CR3), e;

	if (!(hv_vmx_cr0() & CR0_PG)) {
		*gpa = la & 0xffffffffull;
		return true;
	}
	if (hv_vmx_long_mode()) {
		if (!hv_vmx_read_pte(xc, (cr3 & PTE_ADDR) + ((la >> 39) & 511) * 8, 8, &e) ||
		    !hv_vmx_read_pte(xc, (e & PTE_ADDR) + ((la >> 30) & 511) * 8, 8, &e))
			return false;
		if (e & PTE_PS) {
			*gpa = (e & PTE_ADDR & ~0x3fffffffull) | (la & 0x3fffffff);
			return true;
		}
	} else if (hv_vmx_cr4() & CR4_PAE) {
		e = hv_vmx_read(VMCS_GUEST_PDPTE((la >> 30) & 3));
		if (!(e & PTE_P))
			return false;
	} else {
		if (!hv_vmx_read_pte(xc, (cr3 & 0xfffff000u) + ((la >> 22) & 1023) * 4, 4, &e))
			return false;
		if ((e & PTE_PS) && (hv_vmx_cr4() & CR4_PSE)) {
			*gpa = (e & 0xffc00000u) | ((e & 0x1fe000u) << 19) | (la & 0x3fffff);
			return true;
		}
		if (!hv_vmx_read_pte(xc, (e & 0xfffff000u) + ((la >> 12) & 1023) * 4, 4, &e))
			return false;
		*gpa = (e & 0xfffff000u) | (la & 0xfff);
		return true;
	}
	if (!hv_vmx_read_pte(xc, (e & PTE_ADDR) + ((la >> 21) & 511) * 8, 8, &e))
		return false;
	if (e & PTE_PS) {
		*gpa = (e & PTE_ADDR & ~0x1fffffull) | (la & 0x1fffff);
		return true;
	}
	if (!hv_vmx_read_pte(xc, (e & PTE_ADDR) + ((la >> 12) & 511) * 8, 8, &e))
		return false;
	*gpa = (e & PTE_ADDR) | (la & 0xfff);
	return true;
}

/* The code size: 64-bit code in IA-32e mode, else CS.D (real mode included: unreal code). */
static enum hv__x86_cpu_mode hv_vmx_cpu_mode(void)
{
	uint64_t ar = hv_vmx_read(VMCS_GUEST_AR(VMX_SEG_CS));

	if (hv_vmx_long_mode() && (ar & (1u << 13)))
		return HV__X86_MODE_64;
	return (ar & (1u << 14)) ? HV__X86_MODE_32 : HV__X86_MODE_16;
}

/* Up to 15 bytes at CS:RIP, page by page; how many could be read. */
static size_t hv_vmx_fetch(struct hv_vmx_vcpu *xc, enum hv__x86_cpu_mode mode, uint8_t *buf)
{
	uint64_t la = hv_vmx_read(VMCS_GUEST_BASE(VMX_SEG_CS)) + hv_vmx_read(VMCS_GUEST_RIP);
	size_t n = 0;

	if (mode != HV__X86_MODE_64)
		la &= 0xffffffffull;
	while (n < HV__X86_INSN_MAX) {
		uint64_t gpa, chunk = HV_PAGE_SIZE - ((la + n) & (HV_PAGE_SIZE - 1));

		if (chunk > HV__X86_INSN_MAX - n)
			chunk = HV__X86_INSN_MAX - n;
		if (!hv_vmx_translate(xc, la + n, &gpa) ||
		    hv_vm_read(xc->vm, gpa, buf + n, chunk) != HV_OK)
			break;
		n += chunk;
	}
	return n;
}

/* ---- exits ------------------------------------------------------------------------------- */

void hv_vmx_fault(hv_exit_t *exit, hv_fault_kind_t kind, uint64_t gpa, uint64_t detail)
{
	exit->reason = HV_EXIT_FAULT;
	exit->u.fault.kind = kind;
	exit->u.fault.gpa = gpa;
	exit->u.fault.detail = detail;
}

static void hv_vmx_cpuid_exit(struct hv_vmx_vcpu *xc)
{
	uint32_t leaf = (uint32_t)xc->g.r[0], sub = (uint32_t)xc->g.r[1], r[4];
	int i;

	if ((leaf & 0xffffff00u) == 0x40000000u) {
		/* The hypervisor's own leaves: the signature "hvlib x86vmx". */
		bool sig = leaf == 0x40000000u;

		r[0] = sig ? 0x40000000u : 0;
		r[1] = sig ? 0x696c7668u : 0; /* "hvli" */
		r[2] = sig ? 0x38782062u : 0; /* "b x8" */
		r[3] = sig ? 0x786d7636u : 0; /* "6vmx" */
	} else {
		hv_vmx_cpuid(leaf, sub, r);
		if (leaf > hv_vmx_caps.max_leaf && leaf <= 0x16u)
			r[0] = r[1] = r[2] = r[3] = 0; /* leaves raised to 0x16 below */
		switch (leaf) {
		case 0:
			/* Leaves 0x15 and 0x16 tell the TSC's rate, when it is known. */
			if (hv_vmx_caps.tsc_hz != 0 && r[0] < 0x16u)
				r[0] = 0x16u;
			break;
		case 1:
			/* No VMX, SMX, MONITOR, PDCM, x2APIC, TSC deadline, XSAVE; a hypervisor. */
			r[2] &= ~((1u << 3) | (1u << 5) | (1u << 6) | (1u << 15) | (1u << 21) |
				  (1u << 24) | (1u << 26) | (1u << 27));
			r[2] |= 1u << 31;
			r[3] &= ~((1u << 22) | (1u << 29)); /* no thermal monitor (its MSRs #GP) */
			r[1] = (r[1] & 0x00ffffffu) | xc->index << 24;
			break;
		case 5: case 0xa: case 0xd:
			r[0] = r[1] = r[2] = r[3] = 0; /* MONITOR, perfmon, XSAVE: hidden */
			break;
		case 6:
			/* Power management hidden, but the APIC timer always runs (ARAT). */
			r[0] = 1u << 2;
			r[1] = r[2] = r[3] = 0;
			break;
		case 0x15:
			/* TSC = crystal * 1 / 1, the crystal being the TSC (and the APIC timer's
			 * clock): Linux then needs neither a PIT nor a calibration loop. */
			if (hv_vmx_caps.tsc_hz != 0 && hv_vmx_caps.tsc_hz <= 0xffffffffu) {
				r[0] = 1;
				r[1] = 1;
				r[2] = (uint32_t)hv_vmx_caps.tsc_hz;
				r[3] = 0;
			}
			break;
		case 0x16:
			if (hv_vmx_caps.tsc_hz != 0) {
				uint32_t mhz =
					(uint32_t)((hv_vmx_caps.tsc_hz + 500000u) / 1000000u);

				r[0] = r[1] = mhz != 0 ? mhz : 1;
				r[2] = r[3] = 0;
			}
			break;
		case 7:
			/* INVPCID is not enabled; IA32_TSC_ADJUST is not emulated (#GP) */
			if (sub == 0)
				r[1] &= ~((1u << 10) | (1u << 1));
			break;
		case 0xb: case 0x1f:
			r[3] = xc->index;
			break;
		case 0x80000001u:
			r[3] &= ~(1u << 27); /* RDTSCP is not enabled */
			break;
		default:
			break;
		}
	}
	for (i = 0; i < 4; i++)
		xc->g.r[i == 0 ? 0 : i == 1 ? 3 : i == 2 ? 1 : 2] = r[i];
	hv_vmx_skip(hv_vmx_read(VMCS_EXIT_INSN_LEN));
}

static void hv_vmx_msr_exit(struct hv_vmx_vcpu *xc, bool write)
{
	uint32_t msr = (uint32_t)xc->g.r[1];
	uint64_t v = (xc->g.r[0] & 0xffffffffu) | xc->g.r[2] << 32;
	bool ok;

	if (write) {
		ok = hv_vmx_wrmsr_guest(xc, msr, v);
	} else {
		ok = hv_vmx_rdmsr_guest(xc, msr, &v);
		if (ok) {
			xc->g.r[0] = v & 0xffffffffu;
			xc->g.r[2] = v >> 32;
		}
	}
	if (!ok) {
		HV_LOGD("vm %s: vcpu %u: %s of MSR 0x%x refused (#GP)", hv_vm_name(xc->vm),
			xc->index, write ? "write" : "read", msr);
		hv_vmx_inject_exception(xc, VEC_GP, 0);
		return;
	}
	hv_vmx_skip(hv_vmx_read(VMCS_EXIT_INSN_LEN));
}

static void hv_vmx_cr_exit(struct hv_vmx_vcpu *xc)
{
	uint64_t q = hv_vmx_read(VMCS_EXIT_QUALIFICATION);
	unsigned cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
	bool ok = true;

	if (type == 0) { /* MOV to CR */
		uint64_t v = hv_vmx_gpr(xc, reg);

		if (!hv_vmx_long_mode())
			v &= 0xffffffffull;
		if (cr == 0) {
			ok = hv_vmx_set_cr0(xc, v);
		} else if (cr == 3) {
			hv_vmx_write(VMCS_GUEST_CR3, v);
			hv_vmx_load_pdptes(xc);
			hv_vmx_invvpid(xc);
		} else if (cr == 4) {
			ok = hv_vmx_set_cr4(xc, v);
		} else if (cr == 8) {
			ok = (v >> 4) == 0;
			xc->lapic.tpr = (uint32_t)(v & 15) << 4;
		}
	} else if (type == 1) { /* MOV from CR */
		hv_vmx_set_gpr(xc, reg, cr == 3 ? hv_vmx_read(VMCS_GUEST_CR3) : xc->lapic.tpr >> 4);
	} else if (type == 2) { /* CLTS */
		ok = hv_vmx_set_cr0(xc, hv_vmx_cr0() & ~8ull);
	} else { /* LMSW: sets PE, MP, EM, TS; cannot clear PE */
		uint64_t src = (q >> 16) & 15;

		ok = hv_vmx_set_cr0(xc, (hv_vmx_cr0() & ~0xeull) | src | (hv_vmx_cr0() & 1));
	}
	if (!ok) {
		hv_vmx_inject_exception(xc, VEC_GP, 0);
		return;
	}
	hv_vmx_skip(hv_vmx_read(VMCS_EXIT_INSN_LEN));
}

/* A 32-bit aligned access to the local APIC or IOAPIC page; others read 0, writes are dropped. */
static void hv_vmx_apic_window(struct hv_vmx_vcpu *xc, uint64_t gpa, unsigned width, bool write,
			       uint64_t *data)
{
	if (width == 4 && (gpa & 3) == 0) {
		if ((gpa & ~0xfffull) == HV_VMX_LAPIC_BASE)
			hv_vmx_lapic_access(xc, gpa & 0xfff, write, data);
		else
			hv_vmx_ioapic_access(xc->vmx, gpa & 0xfff, write, data);
	} else if (!write) {
		*data = 0;
	}
}

/*
 * Finish an instruction that read @p mem: registers and RFLAGS as it leaves them. Returns
 * true, with the value in *store, if it then writes memory.
 */
static bool hv_vmx_mmio_execute(struct hv_vmx_vcpu *xc, const struct hv__x86_mmio_insn *d,
				uint64_t mem, uint64_t *store)
{
	uint64_t reg = d->reg == HV__X86_NO_REG ? 0 : hv_vmx_gpr(xc, d->reg);
	uint64_t rflags = hv_vmx_read(VMCS_GUEST_RFLAGS);
	bool write = hv__x86_mmio_execute(d, mem, &reg, &rflags, store);

	if (d->reg != HV__X86_NO_REG)
		hv_vmx_set_gpr(xc, d->reg, reg);
	hv_vmx_write(VMCS_GUEST_RFLAGS, rflags);
	return write;
}

/* An EPT violation: the APIC windows here, a region or device window in the core. */
static bool hv_vmx_ept_exit(struct hv_vmx_vcpu *xc, hv_exit_t *exit)
{
	uint64_t gpa = hv_vmx_read(VMCS_GUEST_PHYS_ADDR);
	uint64_t q = hv_vmx_read(VMCS_EXIT_QUALIFICATION);
	enum hv__x86_cpu_mode mode = hv_vmx_cpu_mode();
	struct hv__x86_mmio_insn d;
	uint8_t bytes[HV__X86_INSN_MAX];
	size_t n;
	uint64_t data = 0;

	if (q & 4) { /* instruction fetch from something that is not memory */
		hv_vmx_fault(exit, HV_FAULT_UNMAPPED, gpa, q);
		return true;
	}
	n = hv_vmx_fetch(xc, mode, bytes);
	/* A write must be an instruction that writes memory, a read one that reads it (an
	 * instruction that does both may trap on either). */
	if (n == 0 || hv__x86_decode_mmio(bytes, n, mode, &d) != HV_OK ||
	    ((q & 2) ? !d.is_write : !d.is_read)) {
		uint64_t raw = 0;

		hv__memcpy(&raw, bytes, n < 8 ? n : 8);
		HV_LOGD("vm %s: vcpu %u: cannot emulate the access to 0x%llx (bytes %llx)",
			hv_vm_name(xc->vm), xc->index, (unsigned long long)gpa,
			(unsigned long long)raw);
		hv_vmx_fault(exit, HV_FAULT_EMULATION, gpa, raw);
		return true;
	}
	if (!d.is_read)
		data = hv__x86_mmio_store_value(&d, d.reg == HV__X86_NO_REG ? 0
								     : hv_vmx_gpr(xc, d.reg));
	if ((gpa & ~0xfffull) == HV_VMX_LAPIC_BASE || (gpa & ~0xfffull) == HV_VMX_IOAPIC_BASE) {
		/* Served here: read, compute, write back at once. */
		if (d.is_read) {
			hv_vmx_apic_window(xc, gpa, d.width, false, &data);
			if (hv_vmx_mmio_execute(xc, &d, data, &data))
				hv_vmx_apic_window(xc, gpa, d.width, true, &data);
		} else {
			hv_vmx_apic_window(xc, gpa, d.width, true, &data);
		}
		hv_vmx_skip(d.length);
		return false;
	}
	exit->reason = HV_EXIT_MMIO;
	exit->u.mmio.gpa = gpa;
	exit->u.mmio.width = d.width;
	exit->u.mmio.is_write = !d.is_read; /* an op that reads memory reads it first */
	exit->u.mmio.data = data;
	xc->pend.kind = PEND_MMIO;
	xc->pend.mmio_op = d.op;
	xc->pend.mmio_mem_dest = d.mem_dest;
	xc->pend.mmio_write = d.is_write;
	xc->pend.mmio_imm = d.imm;
	xc->pend.mmio_gpa = gpa;
	xc->pend.insn_len = d.length;
	xc->pend.mmio_load = d.is_read;
	xc->pend.mmio_reg = d.reg;
	xc->pend.mmio_high = d.high_byte;
	xc->pend.mmio_reg_width = d.reg_width;
	xc->pend.mmio_sign = d.sign_extend;
	xc->pend.mmio_width = d.width;
	return true;
}

/* Copy between guest linear memory and a buffer, page by page; false if any byte is not RAM. */
static bool hv_vmx_copy_linear(struct hv_vmx_vcpu *xc, uint64_t la, uint8_t *buf, size_t len,
			       bool to_guest)
{
	while (len > 0) {
		size_t chunk = HV_PAGE_SIZE - (la & (HV_PAGE_SIZE - 1));
		uint64_t gpa;
		hv_status_t st;

		if (chunk > len)
			chunk = len;
		if (!hv_vmx_translate(xc, la, &gpa))
			return false;
		st = to_guest ? hv_vm_write(xc->vm, gpa, buf, chunk)
			      : hv_vm_read(xc->vm, gpa, buf, chunk);
		if (st != HV_OK)
			return false;
		la += chunk;
		buf += chunk;
		len -= chunk;
	}
	return true;
}

/*
 * INS and OUTS: up to a buffer of elements per exit, forwards; backwards (DF set) one at a
 * time. A REP instruction whose count is not exhausted is not skipped: the guest executes it
 * again and exits for the next chunk, so interrupts can come in between, as on hardware.
 */
static bool hv_vmx_io_string(struct hv_vmx_vcpu *xc, hv_exit_t *exit, uint64_t q, uint8_t width)
{
	struct hv_vmx_pending *p = &xc->pend;
	uint32_t info = (uint32_t)hv_vmx_read(VMCS_EXIT_INSN_INFO);
	unsigned asz = (info >> 7) & 7;
	uint64_t mask = asz == 0 ? 0xffffull : asz == 1 ? 0xffffffffull : ~0ull;
	bool in = (q & 8) != 0, rep = (q & 32) != 0;
	uint64_t count = rep ? xc->g.r[1] & mask : 1;
	unsigned seg = in ? 0 /* ES */ : (info >> 15) & 7;
	uint64_t idx = in ? xc->g.r[7] : xc->g.r[6];
	bool back = (hv_vmx_read(VMCS_GUEST_RFLAGS) & (1u << 10)) != 0;
	uint64_t la;

	if (count == 0) { /* REP with a zero count does nothing */
		hv_vmx_skip(hv_vmx_read(VMCS_EXIT_INSN_LEN));
		return false;
	}
	if (asz > 2 || seg > 5) {
		hv_vmx_fault(exit, HV_FAULT_EMULATION, 0, q);
		return true;
	}
	if (back || count > HV_VMX_IO_BUF / width)
		count = back ? 1 : HV_VMX_IO_BUF / width;
	la = hv_vmx_read(VMCS_GUEST_BASE(seg)) + (idx & mask);
	if (hv_vmx_cpu_mode() != HV__X86_MODE_64)
		la &= 0xffffffffull;
	if (!in && !hv_vmx_copy_linear(xc, la, xc->io_buf, count * width, false)) {
		hv_vmx_fault(exit, HV_FAULT_EMULATION, la, q);
		return true;
	}
	exit->reason = HV_EXIT_IO;
	exit->u.io.port = (uint16_t)(q >> 16);
	exit->u.io.width = width;
	exit->u.io.is_write = !in;
	exit->u.io.count = (uint32_t)count;
	exit->u.io.buf = count > 1 ? xc->io_buf : NULL;
	exit->u.io.data = 0;
	if (count == 1 && !in)
		hv__memcpy(&exit->u.io.data, xc->io_buf, width);
	p->kind = PEND_PIO_STRING;
	p->io_width = width;
	p->insn_len = (uint8_t)hv_vmx_read(VMCS_EXIT_INSN_LEN);
	p->str_in = in;
	p->str_rep = rep;
	p->str_back = back;
	p->str_count = (uint32_t)count;
	p->str_la = la;
	p->str_mask = mask;
	return true;
}

/* The index or count register moved by delta within the address size. */
static uint64_t hv_vmx_addr_add(uint64_t reg, int64_t delta, uint64_t mask)
{
	if (mask == ~0ull)
		return reg + (uint64_t)delta;
	if (mask == 0xffffffffull) /* 32-bit writes zero bits 63:32 */
		return (reg + (uint64_t)delta) & mask;
	return (reg & ~mask) | ((reg + (uint64_t)delta) & mask);
}

/* Finish INS/OUTS: store what INS read, move RSI/RDI and RCX, skip the instruction if done. */
static void hv_vmx_complete_string(struct hv_vmx_vcpu *xc, const hv_exit_t *exit)
{
	struct hv_vmx_pending *p = &xc->pend;
	uint64_t bytes = (uint64_t)p->str_count * p->io_width;
	int64_t delta = p->str_back ? -(int64_t)bytes : (int64_t)bytes;
	unsigned idx = p->str_in ? 7 : 6;

	if (p->str_in) {
		if (p->str_count == 1)
			hv__memcpy(xc->io_buf, &exit->u.io.data, p->io_width);
		if (!hv_vmx_copy_linear(xc, p->str_la, xc->io_buf, bytes, true)) {
			/* The guest moved its buffer away meanwhile: its fault, not ours. */
			hv_vmx_inject_exception(xc, VEC_GP, 0);
			return;
		}
	}
	xc->g.r[idx] = hv_vmx_addr_add(xc->g.r[idx], delta, p->str_mask);
	if (p->str_rep) {
		xc->g.r[1] = hv_vmx_addr_add(xc->g.r[1], -(int64_t)p->str_count, p->str_mask);
		if ((xc->g.r[1] & p->str_mask) != 0)
			return; /* executed again for the rest */
	}
	hv_vmx_skip(p->insn_len);
}

static bool hv_vmx_io_exit(struct hv_vmx_vcpu *xc, hv_exit_t *exit)
{
	uint64_t q = hv_vmx_read(VMCS_EXIT_QUALIFICATION);
	uint8_t width = (uint8_t)((q & 7) + 1);

	if (q & 16)
		return hv_vmx_io_string(xc, exit, q, width);
	exit->reason = HV_EXIT_IO;
	exit->u.io.port = (uint16_t)(q >> 16);
	exit->u.io.width = width;
	exit->u.io.is_write = !(q & 8);
	exit->u.io.count = 1;
	exit->u.io.buf = NULL;
	exit->u.io.data = (q & 8) ? 0 : xc->g.r[0] & (width == 4 ? 0xffffffffull : (1ull << (width * 8)) - 1);
	xc->pend.kind = PEND_PIO;
	xc->pend.io_width = width;
	xc->pend.insn_len = (uint8_t)hv_vmx_read(VMCS_EXIT_INSN_LEN);
	return true;
}

/*
 * Finish the previous exit: hand over read data and step past the instruction. Returns true
 * if the instruction must still write memory: then *exit is that MMIO write.
 */
bool hv_vmx_complete(struct hv_vmx_vcpu *xc, hv_exit_t *exit)
{
	struct hv_vmx_pending *p = &xc->pend;

	if (p->kind == PEND_MMIO && p->mmio_load && p->mmio_op != HV__X86_OP_MOV &&
	    exit->reason == HV_EXIT_MMIO) {
		struct hv__x86_mmio_insn d = {
			.width = p->mmio_width, .op = p->mmio_op, .is_read = 1,
			.is_write = p->mmio_write, .mem_dest = p->mmio_mem_dest,
			.reg = p->mmio_reg, .high_byte = p->mmio_high,
			.reg_width = p->mmio_reg_width, .imm = p->mmio_imm,
		};
		uint64_t store = 0;

		if (hv_vmx_mmio_execute(xc, &d, exit->u.mmio.data, &store)) {
			exit->reason = HV_EXIT_MMIO;
			exit->u.mmio.gpa = p->mmio_gpa;
			exit->u.mmio.width = p->mmio_width;
			exit->u.mmio.is_write = 1;
			exit->u.mmio.data = store;
			p->kind = PEND_MMIO_WRITEBACK;
			return true;
		}
		hv_vmx_skip(p->insn_len);
		p->kind = PEND_NONE;
		return false;
	}

	if (p->kind == PEND_PIO && exit->reason == HV_EXIT_IO && !exit->u.io.is_write) {
		uint64_t v = exit->u.io.data;

		if (p->io_width == 4)
			xc->g.r[0] = v & 0xffffffffull;
		else if (p->io_width == 2)
			xc->g.r[0] = (xc->g.r[0] & ~0xffffull) | (v & 0xffff);
		else
			xc->g.r[0] = (xc->g.r[0] & ~0xffull) | (v & 0xff);
	} else if (p->kind == PEND_MMIO && p->mmio_load && exit->reason == HV_EXIT_MMIO) {
		struct hv__x86_mmio_insn d = {
			.width = p->mmio_width, .reg = p->mmio_reg, .high_byte = p->mmio_high,
			.reg_width = p->mmio_reg_width, .sign_extend = p->mmio_sign,
		};

		hv_vmx_set_gpr(xc, d.reg, hv__x86_mmio_load_result(&d, hv_vmx_gpr(xc, d.reg),
								  exit->u.mmio.data));
	} else if (p->kind == PEND_HYPERCALL && exit->reason == HV_EXIT_HYPERCALL) {
		xc->g.r[0] = exit->u.hypercall.ret;
	} else if (p->kind == PEND_PIO_STRING) {
		if (exit->reason == HV_EXIT_IO)
			hv_vmx_complete_string(xc, exit);
		p->kind = PEND_NONE;
		return false;
	}
	if (p->kind != PEND_NONE)
		hv_vmx_skip(p->insn_len);
	p->kind = PEND_NONE;
	return false;
}

/* Decide what the next entry delivers: a re-injected event, an exception, an interrupt. */
void hv_vmx_prepare_events(struct hv_vmx_vcpu *xc)
{
	uint32_t idt_info = xc->reinject;

	uint32_t proc = (uint32_t)hv_vmx_read(VMCS_PROC_CTLS) & ~PROC_INT_WINDOW;
	int vector = hv_vmx_lapic_pending(xc);

	if (idt_info & INTR_VALID) {
		uint32_t type = (idt_info >> 8) & 7;

		hv_vmx_write(VMCS_ENTRY_INTR_INFO, idt_info & 0x80000fffu);
		if (idt_info & INTR_ERROR)
			hv_vmx_write(VMCS_ENTRY_EXCEPTION_ERROR, xc->reinject_error);
		if (type >= 4)
			hv_vmx_write(VMCS_ENTRY_INSN_LEN, xc->reinject_len);
		xc->reinject = 0;
	} else if (xc->exception >= 0) {
		uint32_t info = INTR_VALID | INTR_TYPE_HW_EXC | (uint32_t)xc->exception;

		/* Real mode has no error codes (and VM entry refuses one there). */
		if (xc->exception == VEC_GP && (hv_vmx_cr0() & CR0_PE)) {
			info |= INTR_ERROR;
			hv_vmx_write(VMCS_ENTRY_EXCEPTION_ERROR, xc->exception_error);
		}
		hv_vmx_write(VMCS_ENTRY_INTR_INFO, info);
		xc->exception = -1;
	} else if (vector >= 0 && (hv_vmx_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
		   (hv_vmx_read(VMCS_GUEST_INTERRUPTIBILITY) & 3) == 0) {
		hv_vmx_write(VMCS_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_EXT | (uint32_t)vector);
		hv_vmx_lapic_accept(xc, vector);
		xc->injections++;
		vector = hv_vmx_lapic_pending(xc);
	}
	if (vector >= 0)
		proc |= PROC_INT_WINDOW;
	hv_vmx_write(VMCS_PROC_CTLS, proc);
}

/* Handle one exit: true if *exit is for the core, false to re-enter the guest. */
bool hv_vmx_handle(struct hv_vmx_vcpu *xc, uint32_t reason, hv_exit_t *exit)
{
	switch (reason) {
	case EXIT_EXTINT:
	case EXIT_INT_WINDOW:
	case EXIT_PREEMPT:
	case EXIT_EXCEPTION: /* only NMIs exit: nothing to do for them here */
	case EXIT_INIT:
	case EXIT_SIPI:
		return false;
	case EXIT_TRIPLE_FAULT:
		hv_vmx_fault(exit, HV_FAULT_TRIPLE, 0, 0);
		return true;
	case EXIT_CPUID:
		hv_vmx_cpuid_exit(xc);
		return false;
	case EXIT_HLT:
		hv_vmx_skip(1);
		if (!(hv_vmx_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF)) {
			/*
			 * Nothing but an NMI or INIT wakes it. With another vCPU of the VM still
			 * running (started and not parked) this one waits for an INIT, as a CPU
			 * an OS stops does; otherwise the guest is done.
			 */
			size_t i;

			for (i = 0; i < HV_VMX_MAX_VCPUS; i++) {
				const struct hv_vmx_vcpu *t = xc->vmx->vcpus[i];

				if (t != NULL && t != xc && !t->parked && !t->wait_sipi) {
					xc->parked = 1;
					return false;
				}
			}
			exit->reason = HV_EXIT_HALT;
			return true;
		}
		xc->halted = hv_vmx_lapic_pending(xc) < 0;
		return false;
	case EXIT_INVD:
	case EXIT_WBINVD:
	case EXIT_PAUSE:
		hv_vmx_skip(hv_vmx_read(VMCS_EXIT_INSN_LEN));
		return false;
	case EXIT_VMCALL:
		exit->reason = HV_EXIT_HYPERCALL;
		exit->u.hypercall.nr = xc->g.r[0];
		exit->u.hypercall.args[0] = xc->g.r[3];
		exit->u.hypercall.args[1] = xc->g.r[1];
		exit->u.hypercall.args[2] = xc->g.r[2];
		exit->u.hypercall.args[3] = xc->g.r[6];
		exit->u.hypercall.args[4] = xc->g.r[7];
		exit->u.hypercall.args[5] = xc->g.r[8];
		exit->u.hypercall.ret = 0;
		xc->pend.kind = PEND_HYPERCALL;
		xc->pend.insn_len = (uint8_t)hv_vmx_read(VMCS_EXIT_INSN_LEN);
		return true;
	case EXIT_CR:
		hv_vmx_cr_exit(xc);
		return false;
	case EXIT_IO:
		return hv_vmx_io_exit(xc, exit);
	case EXIT_RDMSR:
	case EXIT_WRMSR:
		hv_vmx_msr_exit(xc, reason == EXIT_WRMSR);
		return false;
	case EXIT_EPT_VIOLATION:
		return hv_vmx_ept_exit(xc, exit);
	case EXIT_EPT_MISCONFIG:
		hv_vmx_fault(exit, HV_FAULT_INTERNAL, hv_vmx_read(VMCS_GUEST_PHYS_ADDR), reason);
		return true;
	case EXIT_TASK_SWITCH:
		hv_vmx_fault(exit, HV_FAULT_EMULATION, 0, reason);
		return true;
	default:
		if (reason == EXIT_GETSEC || (reason >= EXIT_VMCLEAR && reason <= EXIT_VMXON) ||
		    reason == EXIT_INVEPT || reason == EXIT_INVVPID || reason == EXIT_XSETBV ||
		    reason == EXIT_MWAIT || reason == EXIT_MONITOR) {
			hv_vmx_inject_exception(xc, VEC_UD, 0);
			return false;
		}
		exit->reason = HV_EXIT_UNKNOWN;
		return true;
	}
}

