/* SPDX-License-Identifier: MIT */
/*
 * The bare-metal AArch64 EL2 backend: guests at EL1 under stage-2 translation, one vCPU per
 * physical core at a time. run() loops in here for everything the backend answers itself
 * (PSCI, WFI, the vGIC's registers, SGIs, physical interrupts) and returns to the core only
 * for device MMIO, power-off, reset, faults and kicks. A guest can stop only its own VM: every
 * exception it causes ends as an exit of its vCPU, never at the hypervisor's level.
 */
#include "el2.h"

#define HCR_VM (1ull << 0)
#define HCR_SWIO (1ull << 1)
#define HCR_FMO (1ull << 3)
#define HCR_IMO (1ull << 4)
#define HCR_AMO (1ull << 5)
#define HCR_FB (1ull << 9)
#define HCR_BSU_IS (1ull << 10)
#define HCR_TWI (1ull << 13)
#define HCR_TID3 (1ull << 18)
#define HCR_TSC (1ull << 19)
#define HCR_TIDCP (1ull << 20)
#define HCR_TACR (1ull << 21)
#define HCR_TSW (1ull << 22)
#define HCR_RW (1ull << 31)
#define HCR_APK (1ull << 40)
#define HCR_API (1ull << 41)
#define HV_EL2_HCR                                                                         \
	(HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS | HCR_TWI | \
	 HCR_TID3 | HCR_TSC | HCR_TIDCP | HCR_TACR | HCR_TSW | HCR_RW | HCR_APK | HCR_API)

/* 39-bit IPA (512 GiB), 4 KiB granule, walk from level 1, inner shareable write-back tables. */
#define HV_EL2_VTCR                                                                            \
	((64ull - HV_EL2_IPA_BITS) | (1ull << 6) | (1ull << 8) | (1ull << 10) | (3ull << 12) | \
	 (2ull << 16) | (1ull << 31))
#define HV_EL2_CPTR 0x33ffull /* FP/SIMD for the guest; SVE and SME trapped */
/* The PMU traps (and is hidden from the ID registers); debug registers belong to the guest. */
#define HV_EL2_MDCR_TRAPS ((1ull << 5) | (1ull << 6))
#define HV_EL2_PSTATE_RESET 0x3c5ull /* EL1h, DAIF masked */
#define HV_EL2_SCTLR_RESET 0x30d00800ull

#define ICC_IAR1_EL1 S3_0_C12_C12_0
#define ICC_EOIR1_EL1 S3_0_C12_C12_1
#define ICC_DIR_EL1 S3_0_C12_C11_1
#define ICC_SGI1R_EL1 S3_0_C12_C11_5
#define MRS_(r) HV_EL2_MRS(r)
#define MSR_(r, v) HV_EL2_MSR(r, v)

/* PSCI 1.0 (Arm DEN 0022). */
#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_SUSPEND 0x84000001u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON 0x84000003u
#define PSCI_AFFINITY_INFO 0x84000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000au
#define PSCI_64 0x40000000u
#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED (-1)
#define PSCI_INVALID_PARAMS (-2)
#define PSCI_ALREADY_ON (-4)
#define PSCI_ON_PENDING (-5)
#define PSCI_INVALID_ADDRESS (-9)

/* The vCPU whose state each physical core's registers hold. */
static struct hv_el2_vcpu *hv_el2_loaded[HV_EL2_MAX_CPUS];

static int hv_el2_core(uint64_t mpidr)
{
	uint64_t aff0 = mpidr & 0xff, aff1 = (mpidr >> 8) & 0xff;

	if (aff0 >= 16 || (mpidr >> 16) != 0 || aff0 + 16 * aff1 >= HV_EL2_MAX_CPUS)
		return -1;
	return (int)(aff0 + 16 * aff1);
}

/* The hypervisor itself took an exception: a bug in the firmware or the library. */
void hv_el2_host_exception(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t far)
	__attribute__((noreturn));
void hv_el2_host_exception(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t far)
{
	char msg[112];

	hv__snprintf(msg, sizeof(msg), "EL2 exception %llu: esr 0x%llx elr 0x%llx far 0x%llx",
		     (unsigned long long)kind, (unsigned long long)esr, (unsigned long long)elr,
		     (unsigned long long)far);
	hv__platform_get()->panic(hv__platform_get()->ctx, msg);
	for (;;)
		__asm__ volatile("wfi");
}

/* ---- ops: probe, VM, vCPU --------------------------------------------------------------- */

static inline uint64_t hv_el2_slice_us(const hv_vm_t *vm)
{
	return vm->cfg.time_slice_us;
}

/* Pointer authentication keys exist (ID_AA64ISAR1_EL1.APA/API, ID_AA64ISAR2_EL1.APA3). */
static bool hv_el2_pauth;

static hv_status_t hv_el2_check(void)
{
	if ((MRS_(CurrentEL) >> 2 & 3) != 2)
		return HV_ERR_NO_BACKEND;
	hv_el2_pauth = (MRS_(id_aa64isar1_el1) & 0xff0) != 0 ||
		       (MRS_(S3_0_C0_C6_2) & 0xf000) != 0;
	return HV_OK;
}

static hv_status_t hv_el2_caps(hv_backend_caps_t *caps)
{
	hv_status_t st = hv_el2_check();

	if (st != HV_OK)
		return st;
	caps->arch = HV_ARCH_AARCH64;
	caps->flags = HV_CAP_IRQCHIP | HV_CAP_READONLY_MEM | HV_CAP_MULTI_VM |
		      HV_CAP_IRQ_PASSTHROUGH | HV_CAP_TIME_SLICE;
	caps->max_vcpus = HV_EL2_MAX_VCPUS;
	caps->max_regions = 256;
	caps->irq_inputs = HV_EL2_NIRQ;
	caps->max_gpa = 1ull << HV_EL2_IPA_BITS;
	return HV_OK;
}

static hv_status_t hv_el2_vm_init(hv_vm_t *vm, void *vs)
{
	struct hv_el2_vm *v = vs;
	hv_status_t st;

	v->vm = vm;
	v->lock = hv__lock_create();
	if (v->lock == NULL)
		return HV_ERR_NO_MEMORY;
	st = hv_el2_s2_init(v);
	if (st != HV_OK)
		goto err;
	hv_el2_vgic_vm_init(v);
	st = hv__vm_reserve(vm, HV_BUS_MMIO, HV_EL2_GICD_BASE, HV_EL2_GICD_SIZE);
	if (st == HV_OK)
		st = hv__vm_reserve(vm, HV_BUS_MMIO, HV_EL2_GICR_BASE,
				    HV_EL2_GICR_STRIDE * HV_EL2_MAX_VCPUS);
	if (st != HV_OK)
		goto err_s2;
	return HV_OK;
err_s2:
	hv_el2_s2_fini(v);
err:
	hv__lock_destroy(v->lock);
	return st;
}

static void hv_el2_vm_fini(hv_vm_t *vm, void *vs)
{
	struct hv_el2_vm *v = vs;

	(void)vm;
	hv_el2_s2_fini(v);
	hv__lock_destroy(v->lock);
}

static void hv_el2_regs_reset(struct hv_el2_vcpu *c)
{
	hv__memset(&c->regs, 0, sizeof(c->regs));
	c->regs.pstate = HV_EL2_PSTATE_RESET;
	c->regs.sys[HV_EL2_SCTLR] = HV_EL2_SCTLR_RESET;
	c->regs.sys[HV_EL2_CPACR] = 3ull << 20; /* FP/SIMD usable at EL1 and EL0 */
	c->regs.power = c->index == 0 ? HV_EL2_ON : HV_EL2_OFF;
}

static hv_status_t hv_el2_vcpu_init(hv_vcpu_t *vcpu, void *vs, void *cs)
{
	struct hv_el2_vm *v = vs;
	struct hv_el2_vcpu *c = cs;
	uint32_t index = hv_vcpu_index(vcpu);

	if (index >= HV_EL2_MAX_VCPUS)
		return HV_ERR_LIMIT;
	c->vm = v;
	c->vcpu = vcpu;
	c->index = index;
	c->vmpidr = (1ull << 31) | (index & 0xf) | ((uint64_t)(index >> 4) << 8);
	c->last_core = -1;
	c->running_on = -1;
	c->dirty = true;
	c->slice_ticks = MRS_(cntfrq_el0) * hv_el2_slice_us(v->vm) / 1000000u;
	if (hv_el2_slice_us(v->vm) != 0 && c->slice_ticks == 0)
		c->slice_ticks = 1;
	hv_el2_regs_reset(c);
	hv_el2_vgic_vcpu_init(c);
	hv__lock(v->lock);
	v->vcpus[index] = c;
	if (index + 1 > v->vcpu_count)
		v->vcpu_count = index + 1;
	hv__unlock(v->lock);
	return HV_OK;
}

static void hv_el2_vcpu_fini(hv_vcpu_t *vcpu, void *vs, void *cs)
{
	struct hv_el2_vm *v = vs;
	struct hv_el2_vcpu *c = cs;
	uint32_t i;

	(void)vcpu;
	for (i = 0; i < HV_EL2_MAX_CPUS; i++) {
		struct hv_el2_vcpu *expected = c;

		__atomic_compare_exchange_n(&hv_el2_loaded[i], &expected, NULL, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	}
	hv__lock(v->lock);
	v->vcpus[c->index] = NULL;
	hv__unlock(v->lock);
}

static hv_status_t hv_el2_map(void *vs, hv_region_t *r)
{
	struct hv_el2_vm *v = vs;
	bool ro = (r->flags & HV_REGION_READONLY) || r->type == HV_REGION_ROM;
	uint64_t attrs;

	if (r->type == HV_REGION_PASSTHROUGH)
		attrs = HV_EL2_S2_DEVICE & ~(ro ? 2ull << 6 : 0);
	else
		attrs = ro ? HV_EL2_S2_ROM : HV_EL2_S2_RAM;
	/* Firmware runs identity-mapped: a host address is the physical address. */
	return hv_el2_s2_map(v, r->gpa, (uint64_t)(uintptr_t)r->hva, r->size, attrs);
}

static hv_status_t hv_el2_unmap(void *vs, hv_region_t *r)
{
	hv_el2_s2_unmap(vs, r->gpa, r->size);
	return HV_OK;
}

/* ---- state switching -------------------------------------------------------------------- */

#define HV_EL2_SYSREGS(X)                    \
	X(HV_EL2_SCTLR, sctlr_el1)           \
	X(HV_EL2_TTBR0, ttbr0_el1)           \
	X(HV_EL2_TTBR1, ttbr1_el1)           \
	X(HV_EL2_TCR, tcr_el1)               \
	X(HV_EL2_MAIR, mair_el1)             \
	X(HV_EL2_AMAIR, amair_el1)           \
	X(HV_EL2_VBAR, vbar_el1)             \
	X(HV_EL2_CONTEXTIDR, contextidr_el1) \
	X(HV_EL2_TPIDR_EL1, tpidr_el1)       \
	X(HV_EL2_TPIDR_EL0, tpidr_el0)       \
	X(HV_EL2_TPIDRRO_EL0, tpidrro_el0)   \
	X(HV_EL2_SP_EL0, sp_el0)             \
	X(HV_EL2_SP_EL1, sp_el1)             \
	X(HV_EL2_ELR_EL1, elr_el1)           \
	X(HV_EL2_SPSR_EL1, spsr_el1)         \
	X(HV_EL2_ESR_EL1, esr_el1)           \
	X(HV_EL2_FAR_EL1, far_el1)           \
	X(HV_EL2_AFSR0, afsr0_el1)           \
	X(HV_EL2_AFSR1, afsr1_el1)           \
	X(HV_EL2_PAR, par_el1)               \
	X(HV_EL2_CPACR, cpacr_el1)           \
	X(HV_EL2_CNTKCTL, cntkctl_el1)       \
	X(HV_EL2_CSSELR, csselr_el1)         \
	X(HV_EL2_MDSCR, mdscr_el1)           \
	X(HV_EL2_CNTV_CVAL, cntv_cval_el0)   \
	X(HV_EL2_CNTV_CTL, cntv_ctl_el0)

/*
 * The pointer-authentication keys (APIAKeyLo_EL1 ... APGAKeyHi_EL1, by encoding: older
 * assemblers do not know their names). They are the guest's (HCR_EL2.APK), so they go with the
 * vCPU: a guest sharing a core must neither read nor inherit another's keys.
 */
#define HV_EL2_PAUTH_KEYS(X)                                                                      \
	X(0, S3_0_C2_C1_0) X(1, S3_0_C2_C1_1) X(2, S3_0_C2_C1_2) X(3, S3_0_C2_C1_3)             \
	X(4, S3_0_C2_C2_0) X(5, S3_0_C2_C2_1) X(6, S3_0_C2_C2_2) X(7, S3_0_C2_C2_3)             \
	X(8, S3_0_C2_C3_0) X(9, S3_0_C2_C3_1)

static void hv_el2_save(struct hv_el2_vcpu *c)
{
	uint64_t *s = c->regs.sys;

#define SAVE(i, r) s[i] = MRS_(r);
	HV_EL2_SYSREGS(SAVE)
#undef SAVE
	if (hv_el2_pauth) {
#define SAVE(i, r) c->regs.pauth[i] = MRS_(r);
		HV_EL2_PAUTH_KEYS(SAVE)
#undef SAVE
	}
	__asm__ volatile("mrs %0, fpsr\n\tmrs %1, fpcr\n\t"
			 "stp q0, q1, [%2, #0]\n\tstp q2, q3, [%2, #32]\n\t"
			 "stp q4, q5, [%2, #64]\n\tstp q6, q7, [%2, #96]\n\t"
			 "stp q8, q9, [%2, #128]\n\tstp q10, q11, [%2, #160]\n\t"
			 "stp q12, q13, [%2, #192]\n\tstp q14, q15, [%2, #224]\n\t"
			 "stp q16, q17, [%2, #256]\n\tstp q18, q19, [%2, #288]\n\t"
			 "stp q20, q21, [%2, #320]\n\tstp q22, q23, [%2, #352]\n\t"
			 "stp q24, q25, [%2, #384]\n\tstp q26, q27, [%2, #416]\n\t"
			 "stp q28, q29, [%2, #448]\n\tstp q30, q31, [%2, #480]"
			 : "=&r"(c->regs.fpsr), "=&r"(c->regs.fpcr)
			 : "r"(c->regs.v)
			 : "memory");
	hv_el2_vgic_save(c);
}

static void hv_el2_load(struct hv_el2_vcpu *c, int core)
{
	const uint64_t *s = c->regs.sys;

	/* The timer of the vCPU that was here must not fire into this one. */
	MSR_(cntv_ctl_el0, 0);
#define LOAD(i, r) MSR_(r, s[i]);
	HV_EL2_SYSREGS(LOAD)
#undef LOAD
	if (hv_el2_pauth) {
#define LOAD(i, r) MSR_(r, c->regs.pauth[i]);
		HV_EL2_PAUTH_KEYS(LOAD)
#undef LOAD
	}
	__asm__ volatile("msr fpsr, %0\n\tmsr fpcr, %1\n\t"
			 "ldp q0, q1, [%2, #0]\n\tldp q2, q3, [%2, #32]\n\t"
			 "ldp q4, q5, [%2, #64]\n\tldp q6, q7, [%2, #96]\n\t"
			 "ldp q8, q9, [%2, #128]\n\tldp q10, q11, [%2, #160]\n\t"
			 "ldp q12, q13, [%2, #192]\n\tldp q14, q15, [%2, #224]\n\t"
			 "ldp q16, q17, [%2, #256]\n\tldp q18, q19, [%2, #288]\n\t"
			 "ldp q20, q21, [%2, #320]\n\tldp q22, q23, [%2, #352]\n\t"
			 "ldp q24, q25, [%2, #384]\n\tldp q26, q27, [%2, #416]\n\t"
			 "ldp q28, q29, [%2, #448]\n\tldp q30, q31, [%2, #480]"
			 :
			 : "r"(c->regs.fpsr), "r"(c->regs.fpcr), "r"(c->regs.v)
			 : "memory");
	hv_el2_vgic_load(c, c->last_core != core);
	c->last_core = core;
	c->dirty = false;
}

static void hv_el2_configure(struct hv_el2_vcpu *c)
{
	if (MRS_(vbar_el2) != (uint64_t)(uintptr_t)hv_el2_vectors)
		MSR_(vbar_el2, (uint64_t)(uintptr_t)hv_el2_vectors);
	MSR_(hcr_el2, HV_EL2_HCR);
	MSR_(vtcr_el2, HV_EL2_VTCR);
	MSR_(vttbr_el2, hv_el2_vttbr(c->vm));
	MSR_(cptr_el2, HV_EL2_CPTR);
	MSR_(cnthctl_el2, 1); /* EL1PCTEN: the physical counter reads; the physical timer traps */
	MSR_(cntvoff_el2, 0);
	MSR_(mdcr_el2, HV_EL2_MDCR_TRAPS | (MRS_(pmcr_el0) >> 11 & 0x1f));
	MSR_(vpidr_el2, MRS_(midr_el1));
	MSR_(vmpidr_el2, c->vmpidr);
	HV_EL2_ISB();
}

/* ---- waking and kicking ----------------------------------------------------------------- */

void hv_el2_wake(struct hv_el2_vcpu *c)
{
	int64_t target = __atomic_load_n(&c->running_on, __ATOMIC_SEQ_CST);
	uint64_t t;

	if (target < 0 || (uint64_t)target == hv_el2_mpidr())
		return; /* not in run(), or this core: the loop looks at its state before entry */
	t = (uint64_t)target;
	MSR_(ICC_SGI1R_EL1, ((t >> 32 & 0xff) << 48) | ((t >> 16 & 0xff) << 32) |
				    ((t >> 8 & 0xff) << 16) | ((uint64_t)HV_EL2_KICK_SGI << 24) |
				    (1ull << (t & 0xf)));
	HV_EL2_ISB();
}

static void hv_el2_kick(void *cs)
{
	struct hv_el2_vcpu *c = cs;

	__atomic_or_fetch(&c->attn, HV_EL2_ATTN_KICK, __ATOMIC_SEQ_CST);
	hv_el2_wake(c);
}

/* Acknowledge what the physical GIC has for this core. */
static void hv_el2_phys_irqs(struct hv_el2_vcpu *c)
{
	for (;;) {
		uint64_t iar = MRS_(ICC_IAR1_EL1);
		uint32_t intid = (uint32_t)iar & 0xffffff;

		if (intid >= 1020)
			break;
		MSR_(ICC_EOIR1_EL1, iar);
		if (intid == HV_EL2_VTIMER_PPI) {
			/* Left active: the guest deactivates it through the LR's HW bit. */
			hv_el2_vgic_timer_fired(c);
			continue;
		}
		if (intid >= 32 && hv_el2_vgic_host_fired(intid))
			continue; /* left active for its guest, likewise */
		if (intid == HV_EL2_HTIMER_PPI) {
			MSR_(cnthp_ctl_el2, 0); /* the line goes low */
			__atomic_or_fetch(&c->attn, HV_EL2_ATTN_SLICE, __ATOMIC_RELAXED);
		}
		MSR_(ICC_DIR_EL1, iar);
	}
}

/* With time slices, a vCPU with nothing to do gives the rest of its slice away. */
static bool hv_el2_yield(struct hv_el2_vcpu *c, hv_exit_t *exit)
{
	if (c->slice_ticks == 0)
		return false;
	c->slice_end = 0;
	exit->reason = HV_EXIT_KICK;
	exit->pc = c->regs.pc;
	return true;
}

static inline bool hv_el2_kick_pending(struct hv_el2_vcpu *c)
{
	return __atomic_load_n(&c->attn, __ATOMIC_RELAXED) & HV_EL2_ATTN_KICK;
}

/* Sleep until a physical interrupt reaches this core (a guest timer, a kick, a wake-up). */
static void hv_el2_idle(struct hv_el2_vcpu *c)
{
	__asm__ volatile("dsb sy\n\twfi" ::: "memory");
	hv_el2_phys_irqs(c);
}

/* ---- exits ---------------------------------------------------------------------------- */

static bool hv_el2_fault(struct hv_el2_vcpu *c, hv_exit_t *exit, hv_fault_kind_t kind, uint64_t gpa,
			 uint64_t esr)
{
	exit->hw_reason = esr;
	exit->reason = HV_EXIT_FAULT;
	exit->u.fault.kind = kind;
	exit->u.fault.gpa = gpa;
	exit->u.fault.detail = esr;
	exit->pc = c->regs.pc;
	return true;
}

/* The guest did something its EL1 cannot: an Undefined Instruction exception at its EL1. */
static void hv_el2_inject_undef(struct hv_el2_vcpu *c)
{
	uint64_t mode = c->regs.pstate & 0xf, off;

	off = mode == 0x4 ? 0x000 : mode == 0x5 ? 0x200 : 0x400;
	MSR_(elr_el1, c->regs.pc);
	MSR_(spsr_el1, c->regs.pstate);
	MSR_(esr_el1, 1ull << 25); /* EC 0 (unknown), IL */
	c->regs.pc = MRS_(vbar_el1) + off;
	c->regs.pstate = HV_EL2_PSTATE_RESET;
}

static struct hv_el2_vcpu *hv_el2_by_mpidr(struct hv_el2_vm *v, uint64_t mpidr)
{
	uint64_t aff0 = mpidr & 0xff, aff1 = mpidr >> 8 & 0xff;
	uint64_t idx = aff0 + 16 * aff1;

	if (aff0 >= 16 || (mpidr & 0xff00ff0000ull) != 0 || idx >= v->vcpu_count)
		return NULL;
	return v->vcpus[idx];
}

static bool hv_el2_in_ram(struct hv_el2_vm *v, uint64_t gpa)
{
	const struct hv__range *r = hv__rangemap_find(&v->vm->mem, gpa);

	return r != NULL && r->kind == HV__RANGE_REGION;
}

static int64_t hv_el2_cpu_on(struct hv_el2_vcpu *c, uint64_t mpidr, uint64_t entry, uint64_t ctx)
{
	struct hv_el2_vcpu *t = hv_el2_by_mpidr(c->vm, mpidr);
	uint32_t expected = HV_EL2_OFF;

	if (t == NULL)
		return PSCI_INVALID_PARAMS;
	if (!hv_el2_in_ram(c->vm, entry))
		return PSCI_INVALID_ADDRESS;
	hv__lock(c->vm->lock);
	if (__atomic_load_n(&t->regs.power, __ATOMIC_ACQUIRE) != HV_EL2_OFF) {
		expected = t->regs.power;
		hv__unlock(c->vm->lock);
		return expected == HV_EL2_ON ? PSCI_ALREADY_ON : PSCI_ON_PENDING;
	}
	t->on_entry = entry;
	t->on_ctx = ctx;
	__atomic_store_n(&t->regs.power, HV_EL2_ON_PENDING, __ATOMIC_SEQ_CST);
	hv__unlock(c->vm->lock);
	hv_el2_wake(t);
	return PSCI_SUCCESS;
}

/* A powered-off vCPU that was sent CPU_ON starts at its entry point (PSCI 1.0, 5.6). */
static bool hv_el2_power_up(struct hv_el2_vcpu *c)
{
	if (__atomic_load_n(&c->regs.power, __ATOMIC_ACQUIRE) != HV_EL2_ON_PENDING)
		return false;
	c->regs.pc = c->on_entry;
	c->regs.x[0] = c->on_ctx;
	c->regs.pstate = HV_EL2_PSTATE_RESET;
	c->regs.sys[HV_EL2_SCTLR] = HV_EL2_SCTLR_RESET;
	MSR_(sctlr_el1, HV_EL2_SCTLR_RESET);
	HV_EL2_ISB();
	__atomic_store_n(&c->regs.power, HV_EL2_ON, __ATOMIC_RELEASE);
	return true;
}

static int64_t hv_el2_psci_features(uint32_t fn)
{
	switch (fn & ~PSCI_64) {
	case PSCI_VERSION:
	case PSCI_CPU_SUSPEND:
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON:
	case PSCI_AFFINITY_INFO:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
	case PSCI_FEATURES:
		return PSCI_SUCCESS;
	default:
		return PSCI_NOT_SUPPORTED;
	}
}

/*
 * HVC or SMC: PSCI, or NOT_SUPPORTED as SMCCC asks for unknown functions. PSCI's function
 * numbers are dense from 0x84000000 (SMC32) and 0xC4000000 (SMC64): one table switch.
 */
static inline __attribute__((always_inline)) bool hv_el2_psci(struct hv_el2_vcpu *c,
							      hv_exit_t *exit)
{
	uint64_t *x = c->regs.x;
	uint32_t fn = (uint32_t)x[0];
	bool is64 = fn & PSCI_64;
	int64_t ret = PSCI_NOT_SUPPORTED;

	if (HV__UNLIKELY((fn & ~PSCI_64 & ~0x1fu) != PSCI_VERSION))
		goto out;
	switch (fn & 0x1f) {
	case PSCI_VERSION & 0x1f:
		ret = is64 ? PSCI_NOT_SUPPORTED : 0x10000; /* 1.0 */
		break;
	case PSCI_FEATURES & 0x1f:
		ret = is64 ? PSCI_NOT_SUPPORTED : hv_el2_psci_features((uint32_t)x[1]);
		break;
	case PSCI_CPU_SUSPEND & 0x1f:
		/* A power-down state may return as a standby one: wait for an interrupt. */
		if (!hv_el2_vgic_pending(c) && hv_el2_yield(c, exit)) {
			x[0] = PSCI_SUCCESS;
			return true;
		}
		while (!hv_el2_vgic_pending(c) && !hv_el2_kick_pending(c))
			hv_el2_idle(c);
		ret = PSCI_SUCCESS;
		break;
	case PSCI_CPU_OFF & 0x1f:
		if (is64)
			break;
		__atomic_store_n(&c->regs.power, HV_EL2_OFF, __ATOMIC_RELEASE);
		__atomic_or_fetch(&c->attn, HV_EL2_ATTN_POWER, __ATOMIC_RELAXED);
		return false;
	case PSCI_CPU_ON & 0x1f:
		ret = hv_el2_cpu_on(c, is64 ? x[1] : (uint32_t)x[1], is64 ? x[2] : (uint32_t)x[2],
				    is64 ? x[3] : (uint32_t)x[3]);
		break;
	case PSCI_AFFINITY_INFO & 0x1f: {
		struct hv_el2_vcpu *t = hv_el2_by_mpidr(c->vm, is64 ? x[1] : (uint32_t)x[1]);

		if (t == NULL || x[2] != 0)
			ret = PSCI_INVALID_PARAMS;
		else
			ret = (int64_t[]){ 1, 0,
					   2 }[__atomic_load_n(&t->regs.power, __ATOMIC_ACQUIRE)];
		break;
	}
	case PSCI_MIGRATE_INFO_TYPE & 0x1f:
		ret = is64 ? PSCI_NOT_SUPPORTED : 2; /* no trusted OS */
		break;
	case PSCI_SYSTEM_OFF & 0x1f:
	case PSCI_SYSTEM_RESET & 0x1f:
		if (is64)
			break;
		exit->reason = fn == PSCI_SYSTEM_OFF ? HV_EXIT_SHUTDOWN : HV_EXIT_RESET;
		exit->hw_reason = fn;
		exit->pc = c->regs.pc;
		return true;
	default:
		break;
	}
out:
	x[0] = (uint64_t)ret;
	return false;
}

#define ID_CASE(m, n)     \
	case (m)*8 + (n): \
		return MRS_(S3_0_C0_C##m##_##n);
#define ID_ROW(m)                                                                           \
	ID_CASE(m, 0)                                                                       \
	ID_CASE(m, 1) ID_CASE(m, 2) ID_CASE(m, 3) ID_CASE(m, 4) ID_CASE(m, 5) ID_CASE(m, 6) \
		ID_CASE(m, 7)

static uint64_t hv_el2_id_raw(uint32_t crm, uint32_t op2)
{
	switch (crm * 8 + op2) {
		ID_ROW(1)
		ID_ROW(2) ID_ROW(3) ID_ROW(4) ID_ROW(5) ID_ROW(6) ID_ROW(7) default : return 0;
	}
}

/*
 * An ID register as a guest sees it (HCR_EL2.TID3): the hardware's, without what the backend
 * does not give guests: SVE, SME, MTE, AMU, MPAM, the PMU, SPE and trace.
 */
static uint64_t hv_el2_id_reg(uint32_t crm, uint32_t op2)
{
	uint64_t v = hv_el2_id_raw(crm, op2);

	switch (crm * 8 + op2) {
	case 1 * 8 + 2: /* ID_DFR0_EL1: PerfMon, the AArch32 view */
		return v & ~(0xfull << 24);
	case 4 * 8 + 0: /* ID_AA64PFR0_EL1: SVE, MPAM, AMU */
		return v & ~((0xfull << 32) | (0xfull << 40) | (0xfull << 44));
	case 4 * 8 + 1: /* ID_AA64PFR1_EL1: MTE, SME */
		return v & ~((0xfull << 8) | (0xfull << 24));
	case 4 * 8 + 4: /* ID_AA64ZFR0_EL1 */
	case 4 * 8 + 5: /* ID_AA64SMFR0_EL1 */
		return 0;
	case 5 * 8 + 0: /* ID_AA64DFR0_EL1: TraceVer, PMUVer, PMSVer, TraceFilt */
		return v & ~((0xfull << 4) | (0xfull << 8) | (0xfull << 32) | (0xfull << 40));
	default:
		return v;
	}
}

static bool hv_el2_sysreg(struct hv_el2_vcpu *c, uint64_t esr)
{
	struct hv__a64_sysreg s;
	uint32_t key;

	hv__a64_decode_sysreg(esr, &s);
	key = hv__a64_sysreg_key(&s);
	if (s.op0 == 1) {
		/* Cache maintenance by set/way (HCR_EL2.TSW): stage 2 keeps memory coherent. */
	} else if (s.op0 == 3 && s.op1 == 0 && s.crn == 0 && s.crm >= 1 && s.crm <= 7) {
		if (s.is_read && s.reg != 31)
			c->regs.x[s.reg] = hv_el2_id_reg(s.crm, s.op2);
	} else if (key == HV__A64_SYSREG_KEY(3, 0, 12, 11, 5) && !s.is_read) {
		hv_el2_vgic_send_sgi(c, s.reg == 31 ? 0 : c->regs.x[s.reg]);
	} else if (key == HV__A64_SYSREG_KEY(3, 0, 12, 11, 6) ||
		   key == HV__A64_SYSREG_KEY(3, 0, 12, 11, 7)) {
		/* ICC_ASGI1R_EL1, ICC_SGI0R_EL1: no group 0 or secure SGIs here. */
	} else {
		HV_LOGD("vm %s: vcpu %u: system register %u:%u:c%u:c%u:%u trapped", c->vm->vm->name,
			c->index, s.op0, s.op1, s.crn, s.crm, s.op2);
		hv_el2_inject_undef(c);
		return false;
	}
	c->regs.pc += 4;
	return false;
}

static void hv_el2_complete(struct hv_el2_vcpu *c, const hv_exit_t *exit);

static bool hv_el2_dabt(struct hv_el2_vcpu *c, hv_exit_t *exit, uint64_t esr)
{
	struct hv__a64_dabt *d = &c->dabt;
	uint64_t gpa = hv__a64_fault_ipa(MRS_(hpfar_el2), MRS_(far_el2));
	uint64_t data;

	hv__a64_decode_dabt(esr, d);
	if (d->s1ptw || !d->valid || d->kind == HV__A64_FSC_OTHER) {
		const struct hv__range *r = hv__rangemap_find(&c->vm->vm->mem, gpa);

		return hv_el2_fault(c, exit, r == NULL ? HV_FAULT_UNMAPPED : HV_FAULT_EMULATION,
				    gpa, esr);
	}
	data = d->reg == 31 ? 0 : c->regs.x[d->reg];
	if (d->width < 8)
		data &= (1ull << (d->width * 8)) - 1;
	if (hv_el2_vgic_mmio(c->vm, c, gpa, d->is_write, d->width, &data)) {
		if (!d->is_write && d->reg != 31)
			c->regs.x[d->reg] = hv__a64_load_value(d, data);
		c->regs.pc += 4;
		return false;
	}
	exit->reason = HV_EXIT_MMIO;
	exit->hw_reason = esr;
	exit->pc = c->regs.pc;
	exit->u.mmio.gpa = gpa;
	exit->u.mmio.width = d->width;
	exit->u.mmio.is_write = d->is_write;
	exit->u.mmio.data = d->is_write ? data : 0;
	c->mmio_pending = true;
	if (c->vcpu->loop) {
		/* In hv_vcpu_run(): the device answers now, and the guest goes on (hv_internal.h). */
		hv__dispatch(c->vcpu, exit);
		hv_el2_complete(c, exit);
		if (HV__LIKELY(hv__vm_state(c->vm->vm) == HV_VM_RUNNING))
			return false;
		exit->reason = HV_EXIT_KICK;
	}
	return true;
}

/* A synchronous exit: true when it goes to the core. */
static inline bool hv_el2_sync(struct hv_el2_vcpu *c, hv_exit_t *exit)
{
	uint64_t esr = MRS_(esr_el2);

	if (HV__LIKELY(hv__a64_esr_ec(esr) == HV__A64_EC_HVC64))
		return hv_el2_psci(c, exit);
	switch (hv__a64_esr_ec(esr)) {
	case HV__A64_EC_SMC64:
		c->regs.pc += 4; /* a trapped SMC has not executed */
		return hv_el2_psci(c, exit);
	case HV__A64_EC_DABT_LOW:
		return hv_el2_dabt(c, exit, esr);
	case HV__A64_EC_WFX:
		c->regs.pc += 4;
		if (!(esr & 1)) {
			if (!hv_el2_vgic_pending(c) && hv_el2_yield(c, exit))
				return true;
			while (!hv_el2_vgic_pending(c) && !hv_el2_kick_pending(c))
				hv_el2_idle(c);
		}
		return false;
	case HV__A64_EC_SYSREG:
		return hv_el2_sysreg(c, esr);
	case HV__A64_EC_IABT_LOW:
		return hv_el2_fault(c, exit, HV_FAULT_UNMAPPED,
				    hv__a64_fault_ipa(MRS_(hpfar_el2), MRS_(far_el2)), esr);
	case HV__A64_EC_UNKNOWN:
	case HV__A64_EC_FP:
	default:
		/* Trapped SVE/SME, debug, AArch32...: instructions this VM may not use. */
		HV_LOGD("vm %s: vcpu %u: exception class 0x%x at 0x%llx", c->vm->vm->name, c->index,
			hv__a64_esr_ec(esr), (unsigned long long)c->regs.pc);
		hv_el2_inject_undef(c);
		return false;
	}
}

static void hv_el2_complete(struct hv_el2_vcpu *c, const hv_exit_t *exit)
{
	if (exit->reason == HV_EXIT_MMIO && !c->dabt.is_write && c->dabt.reg != 31)
		c->regs.x[c->dabt.reg] = hv__a64_load_value(&c->dabt, exit->u.mmio.data);
	c->regs.pc += 4;
	c->mmio_pending = false;
}

static hv_status_t hv_el2_run(hv_vcpu_t *vcpu, void *cs, hv_exit_t *exit)
{
	struct hv_el2_vcpu *c = cs;
	uint64_t mpidr = hv_el2_mpidr();
	int core = hv_el2_core(mpidr);

	(void)vcpu;
	if (core < 0)
		return HV_ERR_UNSUPPORTED;
	if (c->mmio_pending)
		hv_el2_complete(c, exit);
	hv_el2_configure(c);
	if (hv_el2_loaded[core] != c || c->dirty) {
		hv_el2_load(c, core);
		hv_el2_loaded[core] = c;
	} else {
		MSR_(cntv_ctl_el0, c->regs.sys[HV_EL2_CNTV_CTL]); /* off since the last exit */
	}
	if (c->vm->host_count != 0)
		hv_el2_vgic_host_route(c, mpidr);
	if (c->slice_ticks != 0) {
		/* The EL2 physical timer ends the slice (PPI 26, taken as an IRQ exit). */
		if (c->slice_end == 0)
			c->slice_end = MRS_(cntpct_el0) + c->slice_ticks;
		MSR_(cnthp_cval_el2, c->slice_end);
		MSR_(cnthp_ctl_el2, 1);
	}
	__atomic_store_n(&c->running_on, (int64_t)mpidr, __ATOMIC_SEQ_CST);
	__atomic_or_fetch(&c->attn, HV_EL2_ATTN_POWER, __ATOMIC_SEQ_CST); /* look once */
	MSR_(tpidr_el2, (uint64_t)(uintptr_t)c);
	exit->reason = HV_EXIT_NONE;
	for (;;) {
		uint64_t kind;
		uint32_t attn = __atomic_load_n(&c->attn, __ATOMIC_RELAXED);

		if (HV__UNLIKELY(attn != 0)) {
			if ((attn & HV_EL2_ATTN_KICK) &&
			    (__atomic_fetch_and(&c->attn, ~HV_EL2_ATTN_KICK, __ATOMIC_ACQ_REL) &
			     HV_EL2_ATTN_KICK)) {
				exit->reason = HV_EXIT_KICK;
				exit->pc = c->regs.pc;
				c->slice_end = 0;
				break;
			}
			if (attn & HV_EL2_ATTN_SLICE) {
				__atomic_and_fetch(&c->attn, ~HV_EL2_ATTN_SLICE, __ATOMIC_RELAXED);
				if (c->slice_ticks != 0 && MRS_(cntpct_el0) >= c->slice_end &&
				    hv_el2_yield(c, exit))
					break;
			}
			if (attn & HV_EL2_ATTN_POWER) {
				if (__atomic_load_n(&c->regs.power, __ATOMIC_ACQUIRE) !=
					    HV_EL2_ON &&
				    !hv_el2_power_up(c)) {
					if (hv_el2_yield(c, exit))
						break;
					hv_el2_idle(c);
					continue;
				}
				__atomic_and_fetch(&c->attn, ~HV_EL2_ATTN_POWER, __ATOMIC_RELAXED);
			}
			if (attn & HV_EL2_ATTN_IRQ)
				hv_el2_vgic_flush(c);
		}
		kind = hv_el2_enter(c);
		if (c->lr_used)
			hv_el2_vgic_sync(c);
		if (HV__LIKELY(kind == HV_EL2_EXIT_SYNC)) {
			if (hv_el2_sync(c, exit))
				break;
		} else if (kind == HV_EL2_EXIT_IRQ) {
			hv_el2_phys_irqs(c);
		} else {
			hv_el2_fault(c, exit, HV_FAULT_INTERNAL, 0, MRS_(esr_el2));
			break;
		}
	}
	__atomic_store_n(&c->running_on, -1, __ATOMIC_SEQ_CST);
	if (c->slice_ticks != 0)
		MSR_(cnthp_ctl_el2, 0);
	hv_el2_save(c);
	/*
	 * The guest's timer stays off while no vCPU runs here: its level interrupt, taken by
	 * the firmware meanwhile (a guest that armed it and powered off), would fire again and
	 * again. The next run of this vCPU turns it back on.
	 */
	MSR_(cntv_ctl_el0, 0);
	HV_EL2_ISB();
	return HV_OK;
}

/* ---- registers ------------------------------------------------------------------------ */

static const struct {
	uint32_t key;
	uint8_t index;
} hv_el2_sysreg_ids[] = {
	{ HV__A64_SYSREG_KEY(3, 0, 1, 0, 0), HV_EL2_SCTLR },
	{ HV__A64_SYSREG_KEY(3, 0, 2, 0, 0), HV_EL2_TTBR0 },
	{ HV__A64_SYSREG_KEY(3, 0, 2, 0, 1), HV_EL2_TTBR1 },
	{ HV__A64_SYSREG_KEY(3, 0, 2, 0, 2), HV_EL2_TCR },
	{ HV__A64_SYSREG_KEY(3, 0, 10, 2, 0), HV_EL2_MAIR },
	{ HV__A64_SYSREG_KEY(3, 0, 10, 3, 0), HV_EL2_AMAIR },
	{ HV__A64_SYSREG_KEY(3, 0, 12, 0, 0), HV_EL2_VBAR },
	{ HV__A64_SYSREG_KEY(3, 0, 13, 0, 1), HV_EL2_CONTEXTIDR },
	{ HV__A64_SYSREG_KEY(3, 0, 13, 0, 4), HV_EL2_TPIDR_EL1 },
	{ HV__A64_SYSREG_KEY(3, 3, 13, 0, 2), HV_EL2_TPIDR_EL0 },
	{ HV__A64_SYSREG_KEY(3, 3, 13, 0, 3), HV_EL2_TPIDRRO_EL0 },
	{ HV__A64_SYSREG_KEY(3, 0, 5, 2, 0), HV_EL2_ESR_EL1 },
	{ HV__A64_SYSREG_KEY(3, 0, 6, 0, 0), HV_EL2_FAR_EL1 },
	{ HV__A64_SYSREG_KEY(3, 0, 5, 1, 0), HV_EL2_AFSR0 },
	{ HV__A64_SYSREG_KEY(3, 0, 5, 1, 1), HV_EL2_AFSR1 },
	{ HV__A64_SYSREG_KEY(3, 0, 7, 4, 0), HV_EL2_PAR },
	{ HV__A64_SYSREG_KEY(3, 0, 1, 0, 2), HV_EL2_CPACR },
	{ HV__A64_SYSREG_KEY(3, 0, 14, 1, 0), HV_EL2_CNTKCTL },
	{ HV__A64_SYSREG_KEY(3, 2, 0, 0, 0), HV_EL2_CSSELR },
	{ HV__A64_SYSREG_KEY(2, 0, 0, 2, 2), HV_EL2_MDSCR },
	{ HV__A64_SYSREG_KEY(3, 3, 14, 3, 1), HV_EL2_CNTV_CTL },
	{ HV__A64_SYSREG_KEY(3, 3, 14, 3, 2), HV_EL2_CNTV_CVAL },
};

/* Where register `reg` lives in the saved state, or NULL. */
static uint64_t *hv_el2_reg_slot(struct hv_el2_vcpu *c, hv_reg_t reg)
{
	uint32_t i;

	if (reg == HV_REG_PC || reg == HV_ARM64_PC)
		return &c->regs.pc;
	if (reg == HV_REG_FLAGS || reg == HV_ARM64_PSTATE)
		return &c->regs.pstate;
	if (reg == HV_REG_SP || reg == HV_ARM64_SP_EL1)
		return &c->regs.sys[HV_EL2_SP_EL1];
	if (reg == HV_ARM64_SP_EL0)
		return &c->regs.sys[HV_EL2_SP_EL0];
	if (reg == HV_ARM64_ELR_EL1)
		return &c->regs.sys[HV_EL2_ELR_EL1];
	if (reg == HV_ARM64_SPSR_EL1)
		return &c->regs.sys[HV_EL2_SPSR_EL1];
	if (reg >= HV_ARM64_X(0) && reg <= HV_ARM64_X(30))
		return &c->regs.x[reg - HV_ARM64_X(0)];
	if ((reg & ~0xffffull) == HV_ARM64_SYSREG_CLASS)
		for (i = 0; i < HV__ARRAY_SIZE(hv_el2_sysreg_ids); i++)
			if (hv_el2_sysreg_ids[i].key == (uint32_t)reg)
				return &c->regs.sys[hv_el2_sysreg_ids[i].index];
	return NULL;
}

static hv_status_t hv_el2_get_regs(void *cs, const hv_reg_t *regs, uint64_t *values, size_t count)
{
	struct hv_el2_vcpu *c = cs;
	size_t i;

	for (i = 0; i < count; i++) {
		uint64_t *p = hv_el2_reg_slot(c, regs[i]);

		if (regs[i] == HV_ARM64_SYSREG(3, 0, 0, 0, 5)) {
			values[i] = c->vmpidr;
			continue;
		}
		if (p == NULL)
			return HV_ERR_UNKNOWN_REG;
		values[i] = *p;
	}
	return HV_OK;
}

static hv_status_t hv_el2_set_regs(void *cs, const hv_reg_t *regs, const uint64_t *values,
				   size_t count)
{
	struct hv_el2_vcpu *c = cs;
	size_t i;

	/* All or nothing: check every register first. */
	for (i = 0; i < count; i++)
		if (hv_el2_reg_slot(c, regs[i]) == NULL)
			return HV_ERR_UNKNOWN_REG;
	for (i = 0; i < count; i++) {
		*hv_el2_reg_slot(c, regs[i]) = values[i];
		/* As on KVM: a secondary vCPU the host gives a PC starts powered on. */
		if (regs[i] == HV_REG_PC || regs[i] == HV_ARM64_PC)
			c->regs.power = HV_EL2_ON;
	}
	c->dirty = true;
	return HV_OK;
}

static hv_status_t hv_el2_snapshot(void *cs, void *snapshot)
{
	struct hv_el2_vcpu *c = cs;

	hv__memcpy(snapshot, &c->regs, sizeof(c->regs));
	return HV_OK;
}

static hv_status_t hv_el2_restore(void *cs, const void *snapshot)
{
	struct hv_el2_vcpu *c = cs;

	/* A VM reset: the vCPU, its redistributor, and with vCPU 0 the distributor, as at boot. */
	hv__memcpy(&c->regs, snapshot, sizeof(c->regs));
	c->mmio_pending = false;
	c->lr_used = 0;
	c->uie = false;
	c->vmcr = c->ap0r0 = c->ap1r0 = 0;
	hv__lock(c->vm->lock);
	c->priv_pending = 0;
	hv_el2_vgic_vcpu_init(c);
	if (c->index == 0)
		hv_el2_vgic_vm_reset(c->vm);
	hv__unlock(c->vm->lock);
	c->dirty = true;
	return HV_OK;
}

static hv_status_t hv_el2_irq_set(void *vs, uint32_t input, bool level)
{
	return hv_el2_vgic_irq_set(vs, input, level);
}

static hv_status_t hv_el2_irq_host(void *vs, uint32_t input, uint32_t host_irq,
				   hv_irq_trigger_t trigger, bool bind)
{
	return hv_el2_vgic_host_bind(vs, input, host_irq, trigger, bind);
}

const struct hv_backend hv__backend_aarch64_el2 = {
	.version = HV__BACKEND_VERSION,
	.name = "aarch64-el2",
	.arch = HV_ARCH_AARCH64,
	.vm_size = sizeof(struct hv_el2_vm),
	.vcpu_size = sizeof(struct hv_el2_vcpu),
	.snapshot_size = sizeof(struct hv_el2_regs),
	.check = hv_el2_check,
	.caps = hv_el2_caps,
	.vm_init = hv_el2_vm_init,
	.vm_fini = hv_el2_vm_fini,
	.vcpu_init = hv_el2_vcpu_init,
	.vcpu_fini = hv_el2_vcpu_fini,
	.map = hv_el2_map,
	.unmap = hv_el2_unmap,
	.run = hv_el2_run,
	.kick = hv_el2_kick,
	.get_regs = hv_el2_get_regs,
	.set_regs = hv_el2_set_regs,
	.save = hv_el2_snapshot,
	.restore = hv_el2_restore,
	.irq_set = hv_el2_irq_set,
	.msi = NULL,
	.irq_host = hv_el2_irq_host,
};

_Static_assert(__builtin_offsetof(struct hv_el2_vcpu, regs) == 112, "el2_entry.S: G_X");
_Static_assert(__builtin_offsetof(struct hv_el2_regs, pc) == 248, "el2_entry.S: G_PC_OFF");
_Static_assert(__builtin_offsetof(struct hv_el2_regs, pstate) == 256, "el2_entry.S: PSTATE");
