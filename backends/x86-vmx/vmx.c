/* SPDX-License-Identifier: MIT */
/*
 * The x86 VMX backend: VMXON with controls checked against the capability MSRs, one VMCS per
 * vCPU, unrestricted guests that start at the reset vector in real mode, EPT, VPID, and the
 * exits: port I/O and MMIO (EPT violations, decoded by lib/arch/x86) go to the core's buses;
 * CPUID, MSRs, control registers, the local APIC and IOAPIC, interrupt windows and HLT are
 * handled here; triple faults and entry failures become the core's faults. The VMX
 * preemption timer ends a vCPU's time slice (the run returns HV_EXIT_KICK) and fires the
 * virtual APIC timer.
 */
#include "arch/x86/insn.h"
#include "vmx.h"

struct hv_vmx_caps hv_vmx_caps;
static hv_status_t hv_vmx_checked = HV_ERR_NOT_FOUND; /* not yet checked */
static uint32_t hv_vmx_users;                         /* VMs alive: VMX is on while > 0 */
static uint8_t *hv_vmx_region;
static struct hv_vmx_vcpu *hv_vmx_current; /* whose VMCS is current on this CPU */
struct hv_vmx_vcpu *hv_vmx_msr_owner;      /* whose SYSCALL MSRs are loaded */
static uint16_t hv_vmx_next_vpid = 1;

const uint32_t hv_vmx_syscall_msr[5] = { MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK,
					 MSR_KERNEL_GS_BASE };

/* ---- capabilities and VMXON -------------------------------------------------------------- */

/* Controls we want, adjusted by a capability MSR: refused if the CPU cannot set them. */
static bool hv_vmx_adjust(uint32_t msr, uint32_t want, const char *what, uint32_t *out)
{
	uint64_t allowed = hv_vmx_rdmsr(msr);
	uint32_t must = (uint32_t)allowed, may = (uint32_t)(allowed >> 32);

	if (want & ~may) {
		HV_LOGE("x86-vmx: the CPU lacks %s controls 0x%x (MSR 0x%x allows 0x%x)", what,
			want & ~may, msr, may);
		return false;
	}
	*out = want | must;
	return true;
}

/*
 * The TSC's rate against the platform clock over 10 ms, rounded to kHz: guests learn it from
 * CPUID leaves 0x15 and 0x16 (the local APIC timer counts TSC ticks too), so that an OS needs
 * no PIT to calibrate either. 0 if the platform clock does not advance.
 */
static uint64_t hv_vmx_measure_tsc(void)
{
	uint64_t t0 = hv__time_ns(), c0 = hv_vmx_rdtsc(), t1, c1;
	uint64_t spins = 0;

	do {
		t1 = hv__time_ns();
		c1 = hv_vmx_rdtsc();
	} while (t1 - t0 < 10000000u && ++spins < (1u << 26));
	if (t1 - t0 < 10000000u)
		return 0;
	return (c1 - c0) * 1000000u / (t1 - t0) * 1000u;
}

static hv_status_t hv_vmx_probe(void)
{
	struct hv_vmx_caps *c = &hv_vmx_caps;
	uint32_t r[4];
	uint64_t basic, fc, misc;
	bool true_ctls;

	hv_vmx_cpuid(1, 0, r);
	if (!(r[2] & (1u << 5))) {
		HV_LOGE("x86-vmx: the CPU has no VMX (CPUID.1:ECX.VMX is 0)");
		return HV_ERR_NO_BACKEND;
	}
	fc = hv_vmx_rdmsr(MSR_IA32_FEATURE_CONTROL);
	if ((fc & 1) && !(fc & 4)) {
		HV_LOGE("x86-vmx: VMX is disabled and locked by firmware (IA32_FEATURE_CONTROL)");
		return HV_ERR_NO_BACKEND;
	}
	basic = hv_vmx_rdmsr(MSR_IA32_VMX_BASIC);
	if (((basic >> 32) & 0x1fff) > HV_PAGE_SIZE || ((basic >> 50) & 0xf) != 6) {
		HV_LOGE("x86-vmx: unsupported VMCS size or memory type (IA32_VMX_BASIC 0x%llx)",
			(unsigned long long)basic);
		return HV_ERR_NO_BACKEND;
	}
	c->revision = (uint32_t)basic & 0x7fffffffu;
	true_ctls = (basic >> 55) & 1;
	if (!hv_vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED : MSR_IA32_VMX_PINBASED,
			   PIN_EXT_INT | PIN_NMI | PIN_PREEMPT, "pin-based", &c->pin) ||
	    !hv_vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED : MSR_IA32_VMX_PROCBASED,
			   PROC_INT_WINDOW | PROC_HLT | PROC_CR8_LOAD | PROC_CR8_STORE |
				   PROC_UNCOND_IO | PROC_SECONDARY,
			   "processor-based", &c->proc) ||
	    !hv_vmx_adjust(MSR_IA32_VMX_PROCBASED2, PROC2_EPT | PROC2_VPID | PROC2_UNRESTRICTED,
			   "secondary (EPT, VPID, unrestricted guest)", &c->proc2) ||
	    !hv_vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_EXIT : MSR_IA32_VMX_EXIT,
			   EXIT_HOST_64 | EXIT_ACK_INT | EXIT_SAVE_PAT | EXIT_LOAD_PAT |
				   EXIT_SAVE_EFER | EXIT_LOAD_EFER,
			   "VM-exit", &c->exit) ||
	    !hv_vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY : MSR_IA32_VMX_ENTRY,
			   ENTRY_LOAD_PAT | ENTRY_LOAD_EFER | ENTRY_IA32E, "VM-entry", &c->entry))
		return HV_ERR_NO_BACKEND;
	c->entry &= ~ENTRY_IA32E;    /* set while the guest is in IA-32e mode */
	c->proc &= ~PROC_INT_WINDOW; /* set while an interrupt waits for the guest */
	c->ept_vpid = hv_vmx_rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	if (!(c->ept_vpid & (1ull << 6)) || !(c->ept_vpid & (1ull << 14))) {
		HV_LOGE("x86-vmx: EPT lacks 4-level walks or write-back tables (0x%llx)",
			(unsigned long long)c->ept_vpid);
		return HV_ERR_NO_BACKEND;
	}
	misc = hv_vmx_rdmsr(MSR_IA32_VMX_MISC);
	c->preempt_shift = (uint32_t)misc & 0x1f;
	c->cr0_fixed0 = hv_vmx_rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	c->cr0_fixed1 = hv_vmx_rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	c->cr4_fixed0 = hv_vmx_rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	c->cr4_fixed1 = hv_vmx_rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	c->phys_bits = 36;
	hv_vmx_cpuid(0x80000000u, 0, r);
	if (r[0] >= 0x80000008u) {
		hv_vmx_cpuid(0x80000008u, 0, r);
		c->phys_bits = r[0] & 0xff;
	}
	if (c->phys_bits > 48)
		c->phys_bits = 48; /* four-level EPT */
	hv_vmx_cpuid(0, 0, r);
	c->max_leaf = r[0];
	c->tsc_hz = hv_vmx_measure_tsc();
	return HV_OK;
}

static hv_status_t hv_vmx_check(void)
{
#if defined(HVLIB_HOSTED)
	/* VMX root operation needs ring 0: an operating system's process cannot have it. */
	return HV_ERR_NO_BACKEND;
#endif
	if (hv_vmx_checked == HV_ERR_NOT_FOUND)
		hv_vmx_checked = hv_vmx_probe();
	return hv_vmx_checked;
}

static hv_status_t hv_vmx_caps_fn(hv_backend_caps_t *caps)
{
	hv_status_t st = hv_vmx_check();

	if (st != HV_OK)
		return st;
	caps->flags =
		HV_CAP_IRQCHIP | HV_CAP_MSI | HV_CAP_READONLY_MEM | HV_CAP_PIO | HV_CAP_MULTI_VM |
		HV_CAP_TIME_SLICE;
	caps->max_vcpus = HV_VMX_MAX_VCPUS;
	caps->max_regions = 1024;
	caps->irq_inputs = HV_VMX_IOAPIC_PINS;
	caps->max_gpa = 1ull << hv_vmx_caps.phys_bits;
	return HV_OK;
}

static hv_status_t hv_vmx_on(void)
{
	uint64_t cr0, cr4, fc, pa;
	uint8_t fail;

	if (hv_vmx_users++ > 0)
		return HV_OK;
	hv_vmx_region = hv__ram_alloc(HV_PAGE_SIZE);
	if (hv_vmx_region == NULL) {
		hv_vmx_users--;
		return HV_ERR_NO_MEMORY;
	}
	*(uint32_t *)hv_vmx_region = hv_vmx_caps.revision;
	fc = hv_vmx_rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(fc & 1))
		hv_vmx_wrmsr(MSR_IA32_FEATURE_CONTROL, fc | 1 | 4);
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr0 = (cr0 | hv_vmx_caps.cr0_fixed0) & hv_vmx_caps.cr0_fixed1;
	cr4 = (cr4 | hv_vmx_caps.cr4_fixed0 | CR4_VMXE) & hv_vmx_caps.cr4_fixed1;
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
	pa = (uint64_t)(uintptr_t)hv_vmx_region;
	__asm__ volatile("vmxon %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	if (fail) {
		HV_LOGE("x86-vmx: VMXON failed");
		hv__ram_free(hv_vmx_region, HV_PAGE_SIZE);
		hv_vmx_users--;
		return HV_ERR_BACKEND;
	}
	HV_LOGI("x86-vmx: VMX on (VMCS revision %u, preemption timer TSC>>%u)",
		hv_vmx_caps.revision, hv_vmx_caps.preempt_shift);
	return HV_OK;
}

static void hv_vmx_off(void)
{
	uint64_t cr4;

	if (--hv_vmx_users > 0)
		return;
	__asm__ volatile("vmxoff" ::: "cc", "memory");
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 & ~CR4_VMXE));
	hv__ram_free(hv_vmx_region, HV_PAGE_SIZE);
	hv_vmx_current = NULL;
	hv_vmx_msr_owner = NULL;
}

/* Make the vCPU's VMCS current. */
bool hv_vmx_load(struct hv_vmx_vcpu *xc)
{
	uint64_t pa = (uint64_t)(uintptr_t)xc->vmcs;
	uint8_t fail;

	if (hv_vmx_current == xc)
		return true;
	__asm__ volatile("vmptrld %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	if (fail)
		return false;
	hv_vmx_current = xc;
	return true;
}

/* ---- VMs --------------------------------------------------------------------------------- */

static hv_status_t hv_vmx_vm_init(hv_vm_t *vm, void *vs)
{
	struct hv_vmx_vm *xv = vs;
	hv_status_t st;

	xv->vm = vm;
	xv->slice_tsc = HV_VMX_SLICE_TSC;
	if (vm->cfg.time_slice_us != 0) {
		/* Without a measured TSC rate (no platform clock), assume 1 GHz. */
		uint64_t hz = hv_vmx_caps.tsc_hz != 0 ? hv_vmx_caps.tsc_hz : 1000000000u;

		xv->slice_tsc = (uint64_t)vm->cfg.time_slice_us * (hz / 1000u) / 1000u;
		if (xv->slice_tsc < HV_VMX_SLICE_MIN_TSC)
			xv->slice_tsc = HV_VMX_SLICE_MIN_TSC;
	}
	st = hv_vmx_on();
	if (st != HV_OK)
		return st;
	st = hv_vmx_ept_init(xv);
	if (st == HV_OK)
		st = hv__vm_reserve(vm, HV_BUS_MMIO, HV_VMX_LAPIC_BASE, HV_PAGE_SIZE);
	if (st == HV_OK)
		st = hv__vm_reserve(vm, HV_BUS_MMIO, HV_VMX_IOAPIC_BASE, HV_PAGE_SIZE);
	if (st != HV_OK) {
		hv_vmx_ept_fini(xv);
		hv_vmx_off();
		return st == HV_ERR_NO_MEMORY ? st : HV_ERR_BACKEND;
	}
	hv_vmx_ioapic_reset(xv);
	return HV_OK;
}

static void hv_vmx_vm_fini(hv_vm_t *vm, void *vs)
{
	struct hv_vmx_vm *xv = vs;

	(void)vm;
	hv_vmx_ept_fini(xv);
	hv_vmx_off();
}

static hv_status_t hv_vmx_map(void *vs, hv_region_t *r)
{
	struct hv_vmx_vm *xv = vs;
	hv_status_t st;

	st = hv_vmx_ept_map(xv, r->gpa, (uint64_t)(uintptr_t)r->hva, r->size,
			    !(r->flags & HV_REGION_READONLY));
	if (st == HV_OK)
		hv_vmx_invept(xv);
	return st;
}

static hv_status_t hv_vmx_unmap(void *vs, hv_region_t *r)
{
	hv_vmx_ept_unmap(vs, r->gpa, r->size);
	return HV_OK;
}

/* ---- vCPUs ------------------------------------------------------------------------------- */

uint64_t hv_vmx_cr0_real(uint64_t guest)
{
	uint64_t fixed0 = hv_vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG);

	return (guest | fixed0) & hv_vmx_caps.cr0_fixed1 & ~(CR0_CD | CR0_NW);
}

/* CR0 and CR4 as the guest sees them: its own bits, and the read shadow where we own them. */
uint64_t hv_vmx_cr0(void)
{
	uint64_t mask = hv_vmx_read(VMCS_CR0_MASK);

	return (hv_vmx_read(VMCS_GUEST_CR0) & ~mask) | (hv_vmx_read(VMCS_CR0_SHADOW) & mask);
}

uint64_t hv_vmx_cr4(void)
{
	uint64_t mask = hv_vmx_read(VMCS_CR4_MASK);

	return (hv_vmx_read(VMCS_GUEST_CR4) & ~mask) | (hv_vmx_read(VMCS_CR4_SHADOW) & mask);
}

uint64_t hv_vmx_cr4_real(uint64_t guest)
{
	return (guest | hv_vmx_caps.cr4_fixed0) & hv_vmx_caps.cr4_fixed1;
}

/* Host state: what this firmware runs with now. */
static bool hv_vmx_host_state(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} gdtr, idtr;
	uint16_t cs, ss, ds, es, fs, gs, tr;
	uint64_t cr0, cr3, cr4;
	const uint8_t *d;
	uint64_t tr_base;
	bool ok = true;

	__asm__ volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
	__asm__ volatile("mov %%cs, %0; mov %%ss, %1; mov %%ds, %2; mov %%es, %3"
			 : "=r"(cs), "=r"(ss), "=r"(ds), "=r"(es));
	__asm__ volatile("mov %%fs, %0; mov %%gs, %1; str %2" : "=r"(fs), "=r"(gs), "=r"(tr));
	__asm__ volatile("mov %%cr0, %0; mov %%cr3, %1; mov %%cr4, %2"
			 : "=r"(cr0), "=r"(cr3), "=r"(cr4));
	if (tr == 0) {
		HV_LOGE("x86-vmx: the firmware has no task register loaded; VM exits need one");
		return false;
	}
	d = (const uint8_t *)(uintptr_t)(gdtr.base + (tr & ~7u));
	tr_base = (uint64_t)d[2] | (uint64_t)d[3] << 8 | (uint64_t)d[4] << 16 |
		  (uint64_t)d[7] << 24 | (uint64_t) * (const uint32_t *)(d + 8) << 32;
	ok &= hv_vmx_write(VMCS_HOST_CS_SEL, cs & 0xf8);
	ok &= hv_vmx_write(VMCS_HOST_SS_SEL, ss & 0xf8);
	ok &= hv_vmx_write(VMCS_HOST_DS_SEL, ds & 0xf8);
	ok &= hv_vmx_write(VMCS_HOST_ES_SEL, es & 0xf8);
	ok &= hv_vmx_write(VMCS_HOST_FS_SEL, fs & 0xf8);
	ok &= hv_vmx_write(VMCS_HOST_GS_SEL, gs & 0xf8);
	ok &= hv_vmx_write(VMCS_HOST_TR_SEL, tr & 0xf8);
	ok &= hv_vmx_write(VMCS_HOST_CR0, cr0);
	ok &= hv_vmx_write(VMCS_HOST_CR3, cr3);
	ok &= hv_vmx_write(VMCS_HOST_CR4, cr4);
	ok &= hv_vmx_write(VMCS_HOST_FS_BASE, hv_vmx_rdmsr(MSR_FS_BASE));
	ok &= hv_vmx_write(VMCS_HOST_GS_BASE, hv_vmx_rdmsr(MSR_GS_BASE));
	ok &= hv_vmx_write(VMCS_HOST_TR_BASE, tr_base);
	ok &= hv_vmx_write(VMCS_HOST_GDTR_BASE, gdtr.base);
	ok &= hv_vmx_write(VMCS_HOST_IDTR_BASE, idtr.base);
	ok &= hv_vmx_write(VMCS_HOST_SYSENTER_CS, 0);
	ok &= hv_vmx_write(VMCS_HOST_SYSENTER_ESP, 0);
	ok &= hv_vmx_write(VMCS_HOST_SYSENTER_EIP, 0);
	ok &= hv_vmx_write(VMCS_HOST_PAT, hv_vmx_rdmsr(MSR_IA32_PAT));
	ok &= hv_vmx_write(VMCS_HOST_EFER, hv_vmx_rdmsr(MSR_EFER));
	ok &= hv_vmx_write(VMCS_HOST_RIP, (uint64_t)(uintptr_t)hv_vmx_exit_stub);
	return ok;
}

/* The architectural reset state (SDM vol. 3, 10.1.1), in real mode at F000:FFF0. */
static bool hv_vmx_guest_reset(struct hv_vmx_vcpu *xc)
{
	uint32_t r[4];
	bool ok = true;
	int s;

	for (s = 0; s < VMX_SEG_COUNT; s++) {
		ok &= hv_vmx_write(VMCS_GUEST_SEL(s), s == VMX_SEG_CS ? 0xf000 : 0);
		ok &= hv_vmx_write(VMCS_GUEST_BASE(s), s == VMX_SEG_CS ? 0xffff0000ull : 0);
		ok &= hv_vmx_write(VMCS_GUEST_LIMIT(s), 0xffff);
		ok &= hv_vmx_write(VMCS_GUEST_AR(s), s == VMX_SEG_CS ? 0x9b :
						     s == 6          ? 0x82 :
						     s == 7          ? 0x8b :
								       0x93);
	}
	ok &= hv_vmx_write(VMCS_GUEST_GDTR_BASE, 0);
	ok &= hv_vmx_write(VMCS_GUEST_GDTR_LIMIT, 0xffff);
	ok &= hv_vmx_write(VMCS_GUEST_IDTR_BASE, 0);
	ok &= hv_vmx_write(VMCS_GUEST_IDTR_LIMIT, 0xffff);
	ok &= hv_vmx_write(VMCS_GUEST_CR0, hv_vmx_cr0_real(0x60000010ull));
	ok &= hv_vmx_write(VMCS_CR0_SHADOW, 0x60000010ull);
	ok &= hv_vmx_write(VMCS_GUEST_CR3, 0);
	ok &= hv_vmx_write(VMCS_GUEST_CR4, hv_vmx_cr4_real(0));
	ok &= hv_vmx_write(VMCS_CR4_SHADOW, 0);
	ok &= hv_vmx_write(VMCS_GUEST_DR7, 0x400);
	ok &= hv_vmx_write(VMCS_GUEST_RSP, 0);
	ok &= hv_vmx_write(VMCS_GUEST_RIP, 0xfff0);
	ok &= hv_vmx_write(VMCS_GUEST_RFLAGS, 2);
	ok &= hv_vmx_write(VMCS_GUEST_PENDING_DBG, 0);
	ok &= hv_vmx_write(VMCS_GUEST_SYSENTER_CS, 0);
	ok &= hv_vmx_write(VMCS_GUEST_SYSENTER_ESP, 0);
	ok &= hv_vmx_write(VMCS_GUEST_SYSENTER_EIP, 0);
	ok &= hv_vmx_write(VMCS_GUEST_DEBUGCTL, 0);
	ok &= hv_vmx_write(VMCS_GUEST_PAT, 0x0007040600070406ull);
	ok &= hv_vmx_write(VMCS_GUEST_EFER, 0);
	ok &= hv_vmx_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	ok &= hv_vmx_write(VMCS_GUEST_ACTIVITY, 0);
	ok &= hv_vmx_write(VMCS_LINK_POINTER, ~0ull);
	ok &= hv_vmx_write(VMCS_ENTRY_CTLS, hv_vmx_caps.entry);
	ok &= hv_vmx_write(VMCS_ENTRY_INTR_INFO, 0);
	hv__memset(&xc->g, 0, sizeof(xc->g));
	hv_vmx_cpuid(1, 0, r);
	xc->g.r[2] = r[0]; /* EDX holds the processor signature after reset */
	return ok;
}

static bool hv_vmx_controls(struct hv_vmx_vcpu *xc)
{
	const struct hv_vmx_caps *c = &hv_vmx_caps;
	uint64_t cr0_mask = CR0_PG | CR0_CD | CR0_NW |
			    ((c->cr0_fixed0 | ~c->cr0_fixed1) & ~(CR0_PE | CR0_PG) & 0xffffffffu);
	uint64_t cr4_mask = (c->cr4_fixed0 | ~c->cr4_fixed1) & 0xffffffffu;
	bool ok = true;

	ok &= hv_vmx_write(VMCS_PIN_CTLS, c->pin);
	ok &= hv_vmx_write(VMCS_PROC_CTLS, c->proc);
	ok &= hv_vmx_write(VMCS_PROC_CTLS2, c->proc2);
	ok &= hv_vmx_write(VMCS_EXIT_CTLS, c->exit);
	ok &= hv_vmx_write(VMCS_EXCEPTION_BITMAP, 0);
	ok &= hv_vmx_write(VMCS_CR3_TARGET_COUNT, 0);
	ok &= hv_vmx_write(VMCS_EXIT_MSR_STORE_COUNT, 0);
	ok &= hv_vmx_write(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	ok &= hv_vmx_write(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	ok &= hv_vmx_write(VMCS_CR0_MASK, cr0_mask);
	ok &= hv_vmx_write(VMCS_CR4_MASK, cr4_mask);
	ok &= hv_vmx_write(VMCS_VPID, xc->vpid);
	ok &= hv_vmx_write(VMCS_EPTP, xc->vmx->eptp);
	return ok;
}

void hv_vmx_invvpid(struct hv_vmx_vcpu *xc)
{
	struct {
		uint64_t vpid, addr;
	} desc = { xc->vpid, 0 };
	uint64_t caps = hv_vmx_caps.ept_vpid, type = (caps & (1ull << 41)) ? 1 : 2;

	if (caps & (1ull << 32))
		__asm__ volatile("invvpid %0, %1" ::"m"(desc), "r"(type) : "cc", "memory");
}

void hv_vmx_vcpu_state_reset(struct hv_vmx_vcpu *xc)
{
	hv__memset(&xc->pend, 0, sizeof(xc->pend));
	hv__memset(xc->syscall_msrs, 0, sizeof(xc->syscall_msrs));
	xc->misc_enable = 1; /* fast strings */
	xc->exception = -1;
	xc->halted = 0;
	xc->parked = 0;
	xc->slice_end = 0;
	xc->reinject = 0;
	hv_vmx_lapic_reset(xc);
}

static hv_status_t hv_vmx_vcpu_init(hv_vcpu_t *vcpu, void *vs, void *cs)
{
	struct hv_vmx_vm *xv = vs;
	struct hv_vmx_vcpu *xc = cs;
	uint64_t pa;
	uint8_t fail;

	xc->index = hv_vcpu_index(vcpu);
	if (xc->index >= HV_VMX_MAX_VCPUS)
		return HV_ERR_LIMIT;
	xc->vm = hv_vcpu_vm(vcpu);
	xc->vmx = xv;
	xc->vmcs = hv__ram_alloc(HV_PAGE_SIZE);
	if (xc->vmcs == NULL)
		return HV_ERR_NO_MEMORY;
	*(uint32_t *)xc->vmcs = hv_vmx_caps.revision;
	pa = (uint64_t)(uintptr_t)xc->vmcs;
	__asm__ volatile("vmclear %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	xc->vpid = hv_vmx_next_vpid++;
	if (hv_vmx_next_vpid == 0)
		hv_vmx_next_vpid = 1; /* VPID 0 is the host's */
	hv_vmx_vcpu_state_reset(xc);
	if (fail || !hv_vmx_load(xc) || !hv_vmx_controls(xc) || !hv_vmx_host_state() ||
	    !hv_vmx_guest_reset(xc)) {
		HV_LOGE("x86-vmx: cannot set up the VMCS of vcpu %u", xc->index);
		if (hv_vmx_current == xc)
			hv_vmx_current = NULL;
		hv__ram_free(xc->vmcs, HV_PAGE_SIZE);
		return HV_ERR_BACKEND;
	}
	xc->wait_sipi = xc->index != 0; /* APs wait for INIT and STARTUP, as on a PC */
	xv->vcpus[xc->index] = xc;
	return HV_OK;
}

static void hv_vmx_vcpu_fini(hv_vcpu_t *vcpu, void *vs, void *cs)
{
	struct hv_vmx_vm *xv = vs;
	struct hv_vmx_vcpu *xc = cs;
	uint64_t pa = (uint64_t)(uintptr_t)xc->vmcs;

	(void)vcpu;
	__asm__ volatile("vmclear %0" ::"m"(pa) : "cc", "memory");
	if (hv_vmx_current == xc)
		hv_vmx_current = NULL;
	if (hv_vmx_msr_owner == xc)
		hv_vmx_msr_owner = NULL;
	xv->vcpus[xc->index] = NULL;
	hv__ram_free(xc->vmcs, HV_PAGE_SIZE);
}

static void hv_vmx_load_msrs(struct hv_vmx_vcpu *xc)
{
	size_t i;

	if (hv_vmx_msr_owner == xc)
		return;
	for (i = 0; i < HV__ARRAY_SIZE(hv_vmx_syscall_msr); i++)
		hv_vmx_wrmsr(hv_vmx_syscall_msr[i], xc->syscall_msrs[i]);
	hv_vmx_msr_owner = xc;
}

static hv_status_t hv_vmx_run(hv_vcpu_t *vcpu, void *cs, hv_exit_t *exit)
{
	struct hv_vmx_vcpu *xc = cs;

	(void)vcpu;
	if (!hv_vmx_load(xc))
		return HV_ERR_BACKEND;
	if (hv_vmx_complete(xc, exit)) {
		/* The write of a read-modify-write instruction: an exit before any entry. */
		exit->pc = hv_vmx_read(VMCS_GUEST_RIP);
		exit->hw_reason = 0;
		return HV_OK;
	}
	exit->pc = 0;
	exit->hw_reason = 0;
	if (xc->init_pending) {
		xc->init_pending = 0;
		hv_vmx_vcpu_state_reset(xc);
		if (!hv_vmx_guest_reset(xc))
			return HV_ERR_BACKEND;
		xc->wait_sipi = 1;
	}
	if (xc->wait_sipi) {
		if (!xc->sipi_pending) {
			exit->reason = HV_EXIT_KICK; /* nothing to run yet: let others run */
			return HV_OK;
		}
		/* STARTUP: real mode at vector:0000. */
		hv_vmx_write(VMCS_GUEST_SEL(VMX_SEG_CS), (uint64_t)xc->sipi_vector << 8);
		hv_vmx_write(VMCS_GUEST_BASE(VMX_SEG_CS), (uint64_t)xc->sipi_vector << 12);
		hv_vmx_write(VMCS_GUEST_RIP, 0);
		xc->wait_sipi = 0;
		xc->sipi_pending = 0;
	}
	hv_vmx_load_msrs(xc);
	if (xc->slice_end == 0)
		xc->slice_end = hv_vmx_rdtsc() + xc->vmx->slice_tsc;
	for (;;) {
		uint64_t now = hv_vmx_rdtsc(), until, ticks;
		uint32_t reason;

		hv_vmx_lapic_tick(xc, now);
		if (xc->halted && hv_vmx_lapic_pending(xc) >= 0)
			xc->halted = 0;
		if (__atomic_exchange_n(&xc->kick, 0, __ATOMIC_ACQ_REL) || xc->halted ||
		    xc->parked || now >= xc->slice_end) {
			/* A kick, a halted vCPU or the end of the slice: let the caller run others. */
			xc->slice_end = 0;
			exit->reason = HV_EXIT_KICK;
			return HV_OK;
		}
		hv_vmx_prepare_events(xc);
		until = xc->slice_end;
		if (xc->lapic.timer_deadline != 0 && xc->lapic.timer_deadline < until)
			until = xc->lapic.timer_deadline;
		ticks = until > now ? (until - now) >> hv_vmx_caps.preempt_shift : 0;
		hv_vmx_write(VMCS_PREEMPTION_TIMER, ticks > 0xffffffffu ? 0xffffffffu : ticks);
		if (hv_vmx_enter(&xc->g, xc->launched) != 0) {
			uint64_t err = hv_vmx_read(VMCS_INSN_ERROR);

			HV_LOGD("vm %s: vcpu %u: VM entry failed, instruction error %llu",
				hv_vm_name(xc->vm), xc->index, (unsigned long long)err);
			hv_vmx_fault(exit, HV_FAULT_ENTRY, 0, err);
			exit->pc = hv_vmx_read(VMCS_GUEST_RIP);
			return HV_OK;
		}
		xc->launched = 1;
		xc->exits++;
		reason = (uint32_t)hv_vmx_read(VMCS_EXIT_REASON);
		exit->hw_reason = reason;
		exit->pc = hv_vmx_read(VMCS_GUEST_RIP);
		HV_LOGT("vm %s: vcpu %u: exit %u at 0x%llx", hv_vm_name(xc->vm), xc->index,
			reason & 0xffff, (unsigned long long)exit->pc);
		if (reason & (1u << 31)) { /* the guest state did not pass the entry checks */
			hv_vmx_fault(exit, HV_FAULT_ENTRY, 0, reason & 0xffff);
			return HV_OK;
		}
		/* An event whose delivery the exit interrupted is delivered again. */
		xc->reinject = (uint32_t)hv_vmx_read(VMCS_IDT_VECTORING_INFO);
		if (xc->reinject & INTR_VALID) {
			xc->reinject_error = (uint32_t)hv_vmx_read(VMCS_IDT_VECTORING_ERROR);
			xc->reinject_len = (uint32_t)hv_vmx_read(VMCS_EXIT_INSN_LEN);
		}
		if (hv_vmx_handle(xc, reason & 0xffff, exit))
			return HV_OK;
	}
}

static void hv_vmx_kick(void *cs)
{
	struct hv_vmx_vcpu *xc = cs;

	__atomic_store_n(&xc->kick, 1, __ATOMIC_RELEASE);
}

static hv_status_t hv_vmx_irq_set(void *vs, uint32_t input, bool level)
{
	return hv_vmx_ioapic_set(vs, input, level);
}

/* An MSI to the local APIC its address names (fixed and lowest-priority delivery). */
static hv_status_t hv_vmx_msi(void *vs, uint64_t address, uint32_t data)
{
	struct hv_vmx_vm *xv = vs;
	uint32_t dest = (uint32_t)(address >> 12) & 0xff;
	size_t i;

	if ((address & 0xfff00000ull) != HV_VMX_LAPIC_BASE || ((data >> 8) & 7) > 1)
		return HV_ERR_BACKEND;
	for (i = 0; i < HV_VMX_MAX_VCPUS; i++) {
		if (xv->vcpus[i] != NULL && xv->vcpus[i]->lapic.id == dest) {
			hv_vmx_lapic_set_irr(xv->vcpus[i], (int)(data & 0xff), false);
			return HV_OK;
		}
	}
	return HV_ERR_BACKEND;
}

const struct hv_backend hv__backend_x86_vmx = {
	.version = HV__BACKEND_VERSION,
	.name = "x86-vmx",
	.arch = HV_ARCH_X86_64,
	.vm_size = sizeof(struct hv_vmx_vm),
	.vcpu_size = sizeof(struct hv_vmx_vcpu),
	.snapshot_size = sizeof(struct hv_vmx_snapshot),
	.check = hv_vmx_check,
	.caps = hv_vmx_caps_fn,
	.vm_init = hv_vmx_vm_init,
	.vm_fini = hv_vmx_vm_fini,
	.vcpu_init = hv_vmx_vcpu_init,
	.vcpu_fini = hv_vmx_vcpu_fini,
	.map = hv_vmx_map,
	.unmap = hv_vmx_unmap,
	.run = hv_vmx_run,
	.kick = hv_vmx_kick,
	.get_regs = hv_vmx_get_regs,
	.set_regs = hv_vmx_set_regs,
	.save = hv_vmx_save,
	.restore = hv_vmx_restore,
	.irq_set = hv_vmx_irq_set,
	.msi = hv_vmx_msi,
};
