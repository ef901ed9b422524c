/* SPDX-License-Identifier: MIT */
/*
 * The bare-metal AArch64 EL2 backend: private state shared by its files.
 *
 * Contract with the firmware that links it (see README.md in this directory):
 *  - hvlib runs at EL2 with its own stage-1 MMU on and host virtual addresses equal to
 *    physical addresses (an identity map), so guest RAM's hva is what stage 2 points at;
 *  - the physical GICv3 is initialised with system-register access (ICC_SRE_EL2.SRE and
 *    .Enable), affinity routing, group 1 enabled, EOImode 1 (priority drop and deactivation
 *    split) and, on every core, the PPIs 25 (maintenance), 27 (virtual timer) and the SGI
 *    HV_EL2_KICK_SGI enabled in group 1;
 *  - the backend owns VBAR_EL2 and TPIDR_EL2 while a vCPU runs on a core; code at EL2 runs
 *    with interrupts masked and without FP/SIMD (-mgeneral-regs-only), so FP state is the
 *    guest's.
 */
#ifndef HV_EL2_H
#define HV_EL2_H

#include "hv_internal.h"
#include "arch/aarch64/esr.h"

#define HV_EL2_KICK_SGI 8u
#define HV_EL2_MAINT_PPI 25u
#define HV_EL2_HTIMER_PPI 26u /* the EL2 physical timer (CNTHP): time slices */
#define HV_EL2_VTIMER_PPI 27u

/*
 * The physical distributor, identity-mapped as device memory, for host interrupts routed to
 * guests (HV_IRQ_ROUTE_HOST). QEMU virt's by default; define it when building for a board
 * with the distributor elsewhere.
 */
#ifndef HV_EL2_PHYS_GICD
#define HV_EL2_PHYS_GICD 0x08000000ull
#endif
#define HV_EL2_HOST_IRQS 1020u /* INTIDs 0-1019; SPIs from 32 */

#define HV_EL2_MAX_VCPUS 8u
#define HV_EL2_MAX_CPUS 64u /* physical cores: Aff0 + 16 * Aff1 */
#define HV_EL2_NSPI 96u     /* SPIs 32..127 */
#define HV_EL2_NIRQ (32u + HV_EL2_NSPI)
#define HV_EL2_SPI_WORDS ((HV_EL2_NSPI + 63) / 64) /* 64-bit words of an SPI bitmap */
#define HV_EL2_MAX_LRS 16u

/* The guest's view of QEMU virt's interrupt controller. */
#define HV_EL2_GICD_BASE 0x08000000ull
#define HV_EL2_GICD_SIZE 0x10000ull
#define HV_EL2_GICR_BASE 0x080a0000ull
#define HV_EL2_GICR_STRIDE 0x20000ull

#define HV_EL2_IPA_BITS 39u /* level 1 then covers it with one 512-entry table */

/* EL1 system registers switched with a vCPU. */
enum hv_el2_sysreg {
	HV_EL2_SCTLR,
	HV_EL2_TTBR0,
	HV_EL2_TTBR1,
	HV_EL2_TCR,
	HV_EL2_MAIR,
	HV_EL2_AMAIR,
	HV_EL2_VBAR,
	HV_EL2_CONTEXTIDR,
	HV_EL2_TPIDR_EL1,
	HV_EL2_TPIDR_EL0,
	HV_EL2_TPIDRRO_EL0,
	HV_EL2_SP_EL0,
	HV_EL2_SP_EL1,
	HV_EL2_ELR_EL1,
	HV_EL2_SPSR_EL1,
	HV_EL2_ESR_EL1,
	HV_EL2_FAR_EL1,
	HV_EL2_AFSR0,
	HV_EL2_AFSR1,
	HV_EL2_PAR,
	HV_EL2_CPACR,
	HV_EL2_CNTKCTL,
	HV_EL2_CSSELR,
	HV_EL2_MDSCR,
	HV_EL2_CNTV_CTL,
	HV_EL2_CNTV_CVAL,
	HV_EL2_NSYSREGS
};

enum hv_el2_power {
	HV_EL2_OFF = 0,
	HV_EL2_ON = 1,
	HV_EL2_ON_PENDING = 2,
};

/* What a reset or a snapshot covers: the architectural state of one vCPU. */
struct hv_el2_regs {
	uint64_t x[31];
	uint64_t pc;
	uint64_t pstate;
	uint64_t sys[HV_EL2_NSYSREGS];
	uint64_t fpsr, fpcr;
	uint64_t v[64];       /* q0-q31 */
	uint64_t pauth[10];   /* APIA, APIB, APDA, APDB, APGA keys, Lo then Hi (when implemented) */
	uint32_t power;
	uint32_t pad;
};

/* Host state kept while the guest runs (el2_entry.S): SP, x19, x20, and x29/x30 at 88. */
struct hv_el2_host {
	uint64_t sp;
	uint64_t x19, x20;
	uint64_t unused[8];
	uint64_t x29, x30;
	uint64_t pad;
};

struct hv_el2_vm;

#define HV_EL2_ATTN_KICK 1u  /* leave run() with HV_EXIT_KICK */
#define HV_EL2_ATTN_IRQ 2u   /* something may be pending: fill list registers before entry */
#define HV_EL2_ATTN_POWER 4u /* the vCPU is not powered on */
#define HV_EL2_ATTN_SLICE 8u /* the EL2 timer fired: the time slice may be over */

struct hv_el2_vcpu {
	struct hv_el2_host host; /* offset 0: el2_entry.S */
	struct hv_el2_regs regs; /* offset 112: x0 first, then pc and pstate */
	struct hv_el2_vm *vm;
	hv_vcpu_t *vcpu;
	uint32_t index;
	uint64_t vmpidr;
	bool dirty;         /* regs changed by the host: reload them into the hardware */
	int32_t last_core;  /* core whose hardware last held this vCPU, or -1 */
	uint32_t attn;      /* atomic HV_EL2_ATTN_* bits: the run loop's slow path has work */
	int64_t running_on; /* atomic: MPIDR of the core inside run(), or -1 */
	uint64_t on_entry, on_ctx; /* PSCI CPU_ON arguments, published with power */
	uint64_t slice_ticks;      /* time slice in counter ticks; 0: no slices */
	uint64_t slice_end;        /* counter value ending the current slice; 0: none begun */

	/* A trapped load the core is completing, and its syndrome. */
	bool mmio_pending;
	struct hv__a64_dabt dabt;

	/* Virtual CPU interface. */
	bool uie; /* underflow maintenance asked for: more pending than list registers */
	uint64_t lr[HV_EL2_MAX_LRS];
	uint32_t lr_intid[HV_EL2_MAX_LRS];
	uint32_t lr_used; /* bit per LR holding an interrupt we track */
	uint64_t vmcr, ap0r0, ap1r0;

	/* Redistributor state of the private interrupts (SGIs, PPIs). */
	uint32_t priv_enabled;
	uint32_t priv_pending; /* latched; the virtual timer is level and hardware-backed */
	uint32_t waker;
	uint8_t priv_prio[32];
};

struct hv_el2_vm {
	hv_vm_t *vm;
	uint64_t *s2_root; /* level-1 table, 512 entries, 1 GiB each */
	uint16_t vmid;
	void *lock; /* the distributor's state */
	uint32_t vcpu_count;
	struct hv_el2_vcpu *vcpus[HV_EL2_MAX_VCPUS];

	uint32_t gicd_ctlr;
	uint64_t spi_enabled[HV_EL2_SPI_WORDS];
	uint64_t spi_pending[HV_EL2_SPI_WORDS]; /* latched (edge, or ISPENDR) */
	uint64_t spi_level[HV_EL2_SPI_WORDS];   /* the device line */
	uint64_t spi_edge[HV_EL2_SPI_WORDS];
	uint8_t spi_prio[HV_EL2_NSPI];
	uint64_t spi_route[HV_EL2_NSPI]; /* GICD_IROUTER */

	/* Host interrupts routed to SPIs (HV_IRQ_ROUTE_HOST): 0 or the physical INTID. */
	uint16_t spi_host[HV_EL2_NSPI];
	uint64_t host_route[HV_EL2_NSPI]; /* physical GICD_IROUTER written, bit 63: valid */
	uint32_t host_count;
};

/* el2_entry.S */
extern char hv_el2_vectors[];
#ifndef HV_EL2_HOSTED
/* Enter the guest of c; returns how it left: 0 synchronous, 1 IRQ, 2 FIQ, 3 SError. */
static inline uint64_t hv_el2_enter(struct hv_el2_vcpu *c)
{
	register uint64_t x0 __asm__("x0") = (uint64_t)(uintptr_t)c;

	/* The guest's registers pass through every general register: the asm keeps SP, x19, x20,
	 * x29 and x30, the compiler whatever else it needs. */
	__asm__ volatile("bl hv_el2_enter_asm"
			 : "+r"(x0)
			 :
			 : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
			   "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x21", "x22", "x23",
			   "x24", "x25", "x26", "x27", "x28", "x30", "memory", "cc");
	return x0;
}
#endif
#define HV_EL2_EXIT_SYNC 0u
#define HV_EL2_EXIT_IRQ 1u
#define HV_EL2_EXIT_FIQ 2u
#define HV_EL2_EXIT_SERROR 3u

/* stage2.c */
hv_status_t hv_el2_s2_init(struct hv_el2_vm *v);
void hv_el2_s2_fini(struct hv_el2_vm *v);
hv_status_t hv_el2_s2_map(struct hv_el2_vm *v, uint64_t gpa, uint64_t pa, uint64_t size,
			  uint64_t attrs);
void hv_el2_s2_unmap(struct hv_el2_vm *v, uint64_t gpa, uint64_t size);
uint64_t hv_el2_vttbr(const struct hv_el2_vm *v);
#define HV_EL2_S2_RAM ((0xfull << 2) | (3ull << 6) | (3ull << 8) | (1ull << 10))
#define HV_EL2_S2_ROM ((0xfull << 2) | (1ull << 6) | (3ull << 8) | (1ull << 10))
#define HV_EL2_S2_DEVICE ((0x1ull << 2) | (3ull << 6) | (1ull << 10) | (2ull << 53))

/* vgic.c */
void hv_el2_vgic_vm_init(struct hv_el2_vm *v);
void hv_el2_vgic_vm_reset(struct hv_el2_vm *v);
void hv_el2_vgic_vcpu_init(struct hv_el2_vcpu *c);
bool hv_el2_vgic_mmio(struct hv_el2_vm *v, struct hv_el2_vcpu *c, uint64_t gpa, bool is_write,
		      uint32_t width, uint64_t *data);
void hv_el2_vgic_flush(struct hv_el2_vcpu *c);
void hv_el2_vgic_hint(struct hv_el2_vcpu *c);
void hv_el2_vgic_sync(struct hv_el2_vcpu *c);
bool hv_el2_vgic_pending(struct hv_el2_vcpu *c);
void hv_el2_vgic_load(struct hv_el2_vcpu *c, bool moved);
void hv_el2_vgic_save(struct hv_el2_vcpu *c);
void hv_el2_vgic_send_sgi(struct hv_el2_vcpu *c, uint64_t value);
hv_status_t hv_el2_vgic_irq_set(struct hv_el2_vm *v, uint32_t intid, bool level);
hv_status_t hv_el2_vgic_host_bind(struct hv_el2_vm *v, uint32_t input, uint32_t host,
				  hv_irq_trigger_t trigger, bool bind);
bool hv_el2_vgic_host_fired(uint32_t intid);
void hv_el2_vgic_host_route(struct hv_el2_vcpu *c, uint64_t mpidr);
void hv_el2_vgic_timer_fired(struct hv_el2_vcpu *c);
uint32_t hv_el2_lr_count(void);

/* el2.c */
void hv_el2_wake(struct hv_el2_vcpu *c);

#ifdef HV_EL2_HOSTED
/*
 * A hosted build of the model code (vgic.c under a fuzzer or a unit test): system registers,
 * named by their encoding as the asm would name them, go to functions the program provides;
 * barriers are no-ops. HV_EL2_PHYS_GICD then names memory the program owns.
 */
uint64_t hv_el2_hosted_mrs(const char *reg);
void hv_el2_hosted_msr(const char *reg, uint64_t val);
#define HV_EL2_MRS(reg) hv_el2_hosted_mrs(#reg)
#define HV_EL2_MSR(reg, val) hv_el2_hosted_msr(#reg, (uint64_t)(val))
#define HV_EL2_ISB() ((void)0)
#define HV_EL2_DSB() ((void)0)

static inline uint64_t hv_el2_mpidr(void)
{
	return HV_EL2_MRS(mpidr_el1) & 0xff00ffffffull;
}
#else
static inline uint64_t hv_el2_mpidr(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(v));
	return v & 0xff00ffffffull;
}

#define HV_EL2_MRS(reg)                                       \
	({                                                    \
		uint64_t _v;                                  \
		__asm__ volatile("mrs %0, " #reg : "=r"(_v)); \
		_v;                                           \
	})
#define HV_EL2_MSR(reg, val) __asm__ volatile("msr " #reg ", %0" ::"r"((uint64_t)(val)))
#define HV_EL2_ISB() __asm__ volatile("isb" ::: "memory")
#define HV_EL2_DSB() __asm__ volatile("dsb sy" ::: "memory")
#endif

#endif /* HV_EL2_H */
