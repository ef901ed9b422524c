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

/* A time slice, in TSC ticks: after it, run() returns HV_EXIT_KICK so others can run. */
#define HV_VMX_SLICE_TSC (1ull << 21)

/* Controls bits (Intel SDM vol. 3, chapter 25). */
#define PIN_EXT_INT (1u << 0)
#define PIN_NMI (1u << 3)
#define PIN_PREEMPT (1u << 6)
#define PROC_INT_WINDOW (1u << 2)
#define PROC_HLT (1u << 7)
#define PROC_CR3_LOAD (1u << 15)
#define PROC_CR3_STORE (1u << 16)
#define PROC_CR8_LOAD (1u << 19)
#define PROC_CR8_STORE (1u << 20)
#define PROC_UNCOND_IO (1u << 24)
#define PROC_SECONDARY (1u << 31)
#define PROC2_EPT (1u << 1)
#define PROC2_VPID (1u << 5)
#define PROC2_UNRESTRICTED (1u << 7)
#define EXIT_HOST_64 (1u << 9)
#define EXIT_ACK_INT (1u << 15)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define ENTRY_IA32E (1u << 9)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)

/* Basic exit reasons. */
#define EXIT_EXCEPTION 0
#define EXIT_EXTINT 1
#define EXIT_TRIPLE_FAULT 2
#define EXIT_INIT 3
#define EXIT_SIPI 4
#define EXIT_INT_WINDOW 7
#define EXIT_TASK_SWITCH 9
#define EXIT_CPUID 10
#define EXIT_GETSEC 11
#define EXIT_HLT 12
#define EXIT_INVD 13
#define EXIT_VMCALL 18
#define EXIT_VMCLEAR 19
#define EXIT_VMXON 27
#define EXIT_CR 28
#define EXIT_IO 30
#define EXIT_RDMSR 31
#define EXIT_WRMSR 32
#define EXIT_MWAIT 36
#define EXIT_MONITOR 39
#define EXIT_PAUSE 40
#define EXIT_EPT_VIOLATION 48
#define EXIT_EPT_MISCONFIG 49
#define EXIT_INVEPT 50
#define EXIT_PREEMPT 52
#define EXIT_INVVPID 53
#define EXIT_WBINVD 54
#define EXIT_XSETBV 55

#define VEC_UD 6
#define VEC_GP 13
#define INTR_VALID (1u << 31)
#define INTR_ERROR (1u << 11)
#define INTR_TYPE_EXT 0u
#define INTR_TYPE_HW_EXC (3u << 8)

enum { PEND_NONE, PEND_PIO, PEND_MMIO, PEND_HYPERCALL };

struct hv_vmx_caps hv_vmx_caps;
static hv_status_t hv_vmx_checked = HV_ERR_NOT_FOUND; /* not yet checked */
static uint32_t hv_vmx_users;                        /* VMs alive: VMX is on while > 0 */
static uint8_t *hv_vmx_region;
static struct hv_vmx_vcpu *hv_vmx_current;    /* whose VMCS is current on this CPU */
static struct hv_vmx_vcpu *hv_vmx_msr_owner;  /* whose SYSCALL MSRs are loaded */
static uint16_t hv_vmx_next_vpid = 1;

static const uint32_t hv_vmx_syscall_msr[5] = { MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK,
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
	c->entry &= ~ENTRY_IA32E; /* set while the guest is in IA-32e mode */
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
	caps->flags = HV_CAP_IRQCHIP | HV_CAP_MSI | HV_CAP_READONLY_MEM | HV_CAP_PIO |
		      HV_CAP_MULTI_VM;
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
static bool hv_vmx_load(struct hv_vmx_vcpu *xc)
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

static uint64_t hv_vmx_cr0_real(uint64_t guest)
{
	uint64_t fixed0 = hv_vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG);

	return (guest | fixed0) & hv_vmx_caps.cr0_fixed1 & ~(CR0_CD | CR0_NW);
}

/* CR0 and CR4 as the guest sees them: its own bits, and the read shadow where we own them. */
static uint64_t hv_vmx_cr0(void)
{
	uint64_t mask = hv_vmx_read(VMCS_CR0_MASK);

	return (hv_vmx_read(VMCS_GUEST_CR0) & ~mask) | (hv_vmx_read(VMCS_CR0_SHADOW) & mask);
}

static uint64_t hv_vmx_cr4(void)
{
	uint64_t mask = hv_vmx_read(VMCS_CR4_MASK);

	return (hv_vmx_read(VMCS_GUEST_CR4) & ~mask) | (hv_vmx_read(VMCS_CR4_SHADOW) & mask);
}

static uint64_t hv_vmx_cr4_real(uint64_t guest)
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
	__asm__ volatile("mov %%cs, %0; mov %%ss, %1; mov %%ds, %2; mov %%es, %3" : "=r"(cs),
			 "=r"(ss), "=r"(ds), "=r"(es));
	__asm__ volatile("mov %%fs, %0; mov %%gs, %1; str %2" : "=r"(fs), "=r"(gs), "=r"(tr));
	__asm__ volatile("mov %%cr0, %0; mov %%cr3, %1; mov %%cr4, %2" : "=r"(cr0), "=r"(cr3),
			 "=r"(cr4));
	if (tr == 0) {
		HV_LOGE("x86-vmx: the firmware has no task register loaded; VM exits need one");
		return false;
	}
	d = (const uint8_t *)(uintptr_t)(gdtr.base + (tr & ~7u));
	tr_base = (uint64_t)d[2] | (uint64_t)d[3] << 8 | (uint64_t)d[4] << 16 |
		  (uint64_t)d[7] << 24 | (uint64_t)*(const uint32_t *)(d + 8) << 32;
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
		ok &= hv_vmx_write(VMCS_GUEST_AR(s), s == VMX_SEG_CS ? 0x9b
						      : s == 6	       ? 0x82
						      : s == 7	       ? 0x8b
								       : 0x93);
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

static void hv_vmx_invvpid(struct hv_vmx_vcpu *xc)
{
	struct {
		uint64_t vpid, addr;
	} desc = { xc->vpid, 0 };
	uint64_t caps = hv_vmx_caps.ept_vpid, type = (caps & (1ull << 41)) ? 1 : 2;

	if (caps & (1ull << 32))
		__asm__ volatile("invvpid %0, %1" ::"m"(desc), "r"(type) : "cc", "memory");
}

static void hv_vmx_vcpu_state_reset(struct hv_vmx_vcpu *xc)
{
	hv__memset(&xc->pend, 0, sizeof(xc->pend));
	hv__memset(xc->syscall_msrs, 0, sizeof(xc->syscall_msrs));
	xc->misc_enable = 1; /* fast strings */
	xc->exception = -1;
	xc->halted = 0;
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

static void hv_vmx_set_efer(struct hv_vmx_vcpu *xc, uint64_t efer)
{
	uint32_t entry = (uint32_t)hv_vmx_read(VMCS_ENTRY_CTLS);

	(void)xc;
	hv_vmx_write(VMCS_GUEST_EFER, efer);
	hv_vmx_write(VMCS_ENTRY_CTLS, (efer & EFER_LMA) ? entry | ENTRY_IA32E : entry & ~ENTRY_IA32E);
}

/* PAE paging outside long mode walks four PDPTEs the VMCS holds when CR0/CR4 writes trap. */
static void hv_vmx_load_pdptes(struct hv_vmx_vcpu *xc)
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

static bool hv_vmx_rdmsr_guest(struct hv_vmx_vcpu *xc, uint32_t msr, uint64_t *v)
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

static bool hv_vmx_wrmsr_guest(struct hv_vmx_vcpu *xc, uint32_t msr, uint64_t v)
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

static void hv_vmx_fault(hv_exit_t *exit, hv_fault_kind_t kind, uint64_t gpa, uint64_t detail)
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
		switch (leaf) {
		case 1:
			/* No VMX, SMX, MONITOR, PDCM, x2APIC, TSC deadline, XSAVE; a hypervisor. */
			r[2] &= ~((1u << 3) | (1u << 5) | (1u << 6) | (1u << 15) | (1u << 21) |
				  (1u << 24) | (1u << 26) | (1u << 27));
			r[2] |= 1u << 31;
			r[1] = (r[1] & 0x00ffffffu) | xc->index << 24;
			break;
		case 5: case 6: case 0xa: case 0xd:
			r[0] = r[1] = r[2] = r[3] = 0; /* MONITOR, power, perfmon, XSAVE: hidden */
			break;
		case 7:
			if (sub == 0)
				r[1] &= ~(1u << 10); /* INVPCID is not enabled */
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
	if (n == 0 || hv__x86_decode_mmio(bytes, n, mode, &d) != HV_OK ||
	    d.is_write != ((q & 2) != 0)) {
		uint64_t raw = 0;

		hv__memcpy(&raw, bytes, n < 8 ? n : 8);
		HV_LOGD("vm %s: vcpu %u: cannot emulate the access to 0x%llx (bytes %llx)",
			hv_vm_name(xc->vm), xc->index, (unsigned long long)gpa,
			(unsigned long long)raw);
		hv_vmx_fault(exit, HV_FAULT_EMULATION, gpa, raw);
		return true;
	}
	if (d.is_write)
		data = hv__x86_mmio_store_value(&d, d.reg == HV__X86_NO_REG ? 0
								     : hv_vmx_gpr(xc, d.reg));
	if ((gpa & ~0xfffull) == HV_VMX_LAPIC_BASE || (gpa & ~0xfffull) == HV_VMX_IOAPIC_BASE) {
		if (d.width == 4 && (gpa & 3) == 0) {
			if ((gpa & ~0xfffull) == HV_VMX_LAPIC_BASE)
				hv_vmx_lapic_access(xc, gpa & 0xfff, d.is_write, &data);
			else
				hv_vmx_ioapic_access(xc->vmx, gpa & 0xfff, d.is_write, &data);
		} else if (!d.is_write) {
			data = 0;
		}
		if (!d.is_write)
			hv_vmx_set_gpr(xc, d.reg, hv__x86_mmio_load_result(&d, hv_vmx_gpr(xc, d.reg),
									  data));
		hv_vmx_skip(d.length);
		return false;
	}
	exit->reason = HV_EXIT_MMIO;
	exit->u.mmio.gpa = gpa;
	exit->u.mmio.width = d.width;
	exit->u.mmio.is_write = d.is_write;
	exit->u.mmio.data = data;
	xc->pend.kind = PEND_MMIO;
	xc->pend.insn_len = d.length;
	xc->pend.mmio_load = !d.is_write;
	xc->pend.mmio_reg = d.reg;
	xc->pend.mmio_high = d.high_byte;
	xc->pend.mmio_reg_width = d.reg_width;
	xc->pend.mmio_sign = d.sign_extend;
	xc->pend.mmio_width = d.width;
	return true;
}

static bool hv_vmx_io_exit(struct hv_vmx_vcpu *xc, hv_exit_t *exit)
{
	uint64_t q = hv_vmx_read(VMCS_EXIT_QUALIFICATION);
	uint8_t width = (uint8_t)((q & 7) + 1);

	if (q & 16) { /* INS/OUTS */
		HV_LOGD("vm %s: vcpu %u: string port I/O is not emulated", hv_vm_name(xc->vm),
			xc->index);
		hv_vmx_fault(exit, HV_FAULT_EMULATION, 0, q);
		return true;
	}
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

/* Finish the previous exit: hand over read data and step past the instruction. */
static void hv_vmx_complete(struct hv_vmx_vcpu *xc, const hv_exit_t *exit)
{
	struct hv_vmx_pending *p = &xc->pend;

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
	}
	if (p->kind != PEND_NONE)
		hv_vmx_skip(p->insn_len);
	p->kind = PEND_NONE;
}

/* Decide what the next entry delivers: a re-injected event, an exception, an interrupt. */
static void hv_vmx_prepare_events(struct hv_vmx_vcpu *xc)
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
static bool hv_vmx_handle(struct hv_vmx_vcpu *xc, uint32_t reason, hv_exit_t *exit)
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
			/* Nothing but an NMI or INIT wakes it: the guest is done. */
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
	hv_vmx_complete(xc, exit);
	exit->pc = 0;
	exit->hw_reason = 0;
	hv_vmx_load_msrs(xc);
	if (xc->slice_end == 0)
		xc->slice_end = hv_vmx_rdtsc() + HV_VMX_SLICE_TSC;
	for (;;) {
		uint64_t now = hv_vmx_rdtsc(), until, ticks;
		uint32_t reason;

		hv_vmx_lapic_tick(xc, now);
		if (xc->halted && hv_vmx_lapic_pending(xc) >= 0)
			xc->halted = 0;
		if (__atomic_exchange_n(&xc->kick, 0, __ATOMIC_ACQ_REL) || xc->halted ||
		    now >= xc->slice_end) {
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
		case REG_VMCS: hv_vmx_write(field, v); break;
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

static hv_status_t hv_vmx_get_regs(void *cs, const hv_reg_t *regs, uint64_t *values,
				   size_t count)
{
	return hv_vmx_regs(cs, regs, values, NULL, count);
}

static hv_status_t hv_vmx_set_regs(void *cs, const hv_reg_t *regs, const uint64_t *values,
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

struct hv_vmx_snapshot {
	struct hv_vmx_gprs g;
	uint64_t fields[HV__ARRAY_SIZE(hv_vmx_saved)];
};

static hv_status_t hv_vmx_save(void *cs, void *snapshot)
{
	struct hv_vmx_vcpu *xc = cs;
	struct hv_vmx_snapshot *s = snapshot;
	size_t i;

	if (!hv_vmx_load(xc))
		return HV_ERR_BACKEND;
	s->g = xc->g;
	for (i = 0; i < HV__ARRAY_SIZE(hv_vmx_saved); i++)
		s->fields[i] = hv_vmx_read(hv_vmx_saved[i]);
	return HV_OK;
}

static hv_status_t hv_vmx_restore(void *cs, const void *snapshot)
{
	struct hv_vmx_vcpu *xc = cs;
	const struct hv_vmx_snapshot *s = snapshot;
	size_t i;

	if (!hv_vmx_load(xc))
		return HV_ERR_BACKEND;
	xc->g = s->g;
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
