/* SPDX-License-Identifier: MIT */
/*
 * GICv3 virtualisation: an emulated distributor and one redistributor per vCPU (the guest's
 * MMIO to them traps and is handled here, never reaching the core's bus), and the hardware's
 * virtual CPU interface fed through list registers. The guest acknowledges and ends its
 * interrupts through ICV_* registers without exits. Level-triggered SPIs carry the LR's EOI
 * bit, so ending one raises the maintenance interrupt and the line is looked at again; the
 * virtual timer's PPI is injected with the LR's HW bit, so the guest's deactivation also
 * deactivates the physical interrupt (acknowledged here with EOImode 1). Host interrupts
 * routed to a guest (HV_IRQ_ROUTE_HOST) are SPIs of the physical distributor, handled the
 * same way: acknowledged and priority-dropped by the backend on whatever core takes them,
 * latched as pending in their VM's distributor, injected with the HW bit and the physical
 * INTID, deactivated by the guest's own deactivation. While the physical interrupt is active
 * it cannot fire again, so a level line held high by its device is delivered once per
 * deactivation, as on bare metal.
 */
#include "el2.h"

#define ICH_HCR_EL2 S3_4_C12_C11_0
#define ICH_VTR_EL2 S3_4_C12_C11_1
#define ICH_EISR_EL2 S3_4_C12_C11_3
#define ICH_ELRSR_EL2 S3_4_C12_C11_5
#define ICH_VMCR_EL2 S3_4_C12_C11_7
#define ICH_AP0R0_EL2 S3_4_C12_C8_0
#define ICH_AP1R0_EL2 S3_4_C12_C9_0
#define ICC_DIR_EL1 S3_0_C12_C11_1

#define XMRS(r) HV_EL2_MRS(r)
#define XMSR(r, v) HV_EL2_MSR(r, v)
#define MRS_(r) XMRS(r)
#define MSR_(r, v) XMSR(r, v)

#define LR_PENDING (1ull << 62)
#define LR_ACTIVE (1ull << 63)
#define LR_STATE (3ull << 62)
#define LR_HW (1ull << 61)
#define LR_GROUP1 (1ull << 60)
#define LR_EOI (1ull << 41)

#define ICH_HCR_EN 1ull
#define ICH_HCR_UIE 2ull

static uint32_t hv_el2_nlrs;

uint32_t hv_el2_lr_count(void)
{
	if (hv_el2_nlrs == 0)
		hv_el2_nlrs = (uint32_t)(MRS_(ICH_VTR_EL2) & 0x1f) + 1;
	return hv_el2_nlrs;
}

static uint64_t hv_el2_lr_read(uint32_t i)
{
	switch (i) {
	case 0:
		return MRS_(S3_4_C12_C12_0);
	case 1:
		return MRS_(S3_4_C12_C12_1);
	case 2:
		return MRS_(S3_4_C12_C12_2);
	case 3:
		return MRS_(S3_4_C12_C12_3);
	case 4:
		return MRS_(S3_4_C12_C12_4);
	case 5:
		return MRS_(S3_4_C12_C12_5);
	case 6:
		return MRS_(S3_4_C12_C12_6);
	case 7:
		return MRS_(S3_4_C12_C12_7);
	case 8:
		return MRS_(S3_4_C12_C13_0);
	case 9:
		return MRS_(S3_4_C12_C13_1);
	case 10:
		return MRS_(S3_4_C12_C13_2);
	case 11:
		return MRS_(S3_4_C12_C13_3);
	case 12:
		return MRS_(S3_4_C12_C13_4);
	case 13:
		return MRS_(S3_4_C12_C13_5);
	case 14:
		return MRS_(S3_4_C12_C13_6);
	default:
		return MRS_(S3_4_C12_C13_7);
	}
}

static void hv_el2_lr_write(uint32_t i, uint64_t v)
{
	switch (i) {
	case 0:
		MSR_(S3_4_C12_C12_0, v);
		break;
	case 1:
		MSR_(S3_4_C12_C12_1, v);
		break;
	case 2:
		MSR_(S3_4_C12_C12_2, v);
		break;
	case 3:
		MSR_(S3_4_C12_C12_3, v);
		break;
	case 4:
		MSR_(S3_4_C12_C12_4, v);
		break;
	case 5:
		MSR_(S3_4_C12_C12_5, v);
		break;
	case 6:
		MSR_(S3_4_C12_C12_6, v);
		break;
	case 7:
		MSR_(S3_4_C12_C12_7, v);
		break;
	case 8:
		MSR_(S3_4_C12_C13_0, v);
		break;
	case 9:
		MSR_(S3_4_C12_C13_1, v);
		break;
	case 10:
		MSR_(S3_4_C12_C13_2, v);
		break;
	case 11:
		MSR_(S3_4_C12_C13_3, v);
		break;
	case 12:
		MSR_(S3_4_C12_C13_4, v);
		break;
	case 13:
		MSR_(S3_4_C12_C13_5, v);
		break;
	case 14:
		MSR_(S3_4_C12_C13_6, v);
		break;
	default:
		MSR_(S3_4_C12_C13_7, v);
		break;
	}
}

/* ---- the physical distributor, for host interrupts routed to guests ------------------- */

#define PGICD(off) (*(volatile uint32_t *)(uintptr_t)(HV_EL2_PHYS_GICD + (off)))
#define GICD_TYPER_ 0x0004
#define GICD_IGROUPR_ 0x0080
#define GICD_ISENABLER_ 0x0100
#define GICD_ICENABLER_ 0x0180
#define GICD_ICPENDR_ 0x0280
#define GICD_ICACTIVER_ 0x0380
#define GICD_IPRIORITYR_ 0x0400
#define GICD_ICFGR_ 0x0c00
#define GICD_IROUTER_ 0x6000

static struct hv_el2_vcpu *hv_el2_spi_target(struct hv_el2_vm *v, uint32_t spi);

/* Which VM each host interrupt is routed to, and to which of its inputs. */
static struct hv_el2_vm *hv_el2_host_owner[HV_EL2_HOST_IRQS];
static uint16_t hv_el2_host_input[HV_EL2_HOST_IRQS];
/* Cores inside hv_el2_vgic_host_fired() for each: an unbind waits for them to leave. */
static uint32_t hv_el2_host_busy[HV_EL2_HOST_IRQS];
static uint32_t hv_el2_pgicd_lock; /* read-modify-writes of shared physical registers */

static void hv_el2_pgicd_rmw(uint64_t off, uint32_t clear, uint32_t set)
{
	while (__atomic_exchange_n(&hv_el2_pgicd_lock, 1, __ATOMIC_ACQUIRE))
		;
	PGICD(off) = (PGICD(off) & ~clear) | set;
	__atomic_store_n(&hv_el2_pgicd_lock, 0, __ATOMIC_RELEASE);
}

/* Disabled, not pending, not active: as if it had never been routed. */
static void hv_el2_host_quiesce(uint32_t host)
{
	uint32_t bit = 1u << (host % 32);

	PGICD(GICD_ICENABLER_ + host / 32 * 4) = bit;
	PGICD(GICD_ICPENDR_ + host / 32 * 4) = bit;
	PGICD(GICD_ICACTIVER_ + host / 32 * 4) = bit;
	HV_EL2_DSB();
}

/* Follow the guest's enables of its SPIs [first, first + 32) on the physical ones behind. */
static void hv_el2_host_enables(struct hv_el2_vm *v, uint32_t first, uint32_t bits, bool set)
{
	uint32_t i;

	if (v->host_count == 0)
		return;
	for (i = 0; i < 32 && first + i < HV_EL2_NSPI; i++) {
		uint32_t h = v->spi_host[first + i];
		uint64_t reg = (set ? GICD_ISENABLER_ : GICD_ICENABLER_) + h / 32 * 4;

		if (h != 0 && (bits >> i & 1))
			PGICD(reg) = 1u << (h % 32);
	}
}

hv_status_t hv_el2_vgic_host_bind(struct hv_el2_vm *v, uint32_t input, uint32_t host,
				  hv_irq_trigger_t trigger, bool bind)
{
	uint32_t spis = ((PGICD(GICD_TYPER_) & 0x1f) + 1) * 32, s = input - 32;
	struct hv_el2_vm *none = NULL;

	if (!bind) {
		if (input < 32 || input >= HV_EL2_NIRQ || v->spi_host[s] != host)
			return HV_OK;
		hv_el2_host_quiesce(host);
		__atomic_store_n(&hv_el2_host_owner[host], NULL, __ATOMIC_SEQ_CST);
		/* A core that took it just before may still be latching it into this VM. */
		while (__atomic_load_n(&hv_el2_host_busy[host], __ATOMIC_SEQ_CST) != 0)
			;
		hv__lock(v->lock);
		v->spi_host[s] = 0;
		v->host_route[s] = 0;
		v->host_count--;
		hv__unlock(v->lock);
		return HV_OK;
	}
	if (input < 32 || input >= HV_EL2_NIRQ)
		return HV_ERR_RANGE;
	/* The backend's own: its kick SGI, the maintenance interrupt, the EL2 and virtual timers. */
	if (host == HV_EL2_KICK_SGI || host == HV_EL2_MAINT_PPI || host == HV_EL2_HTIMER_PPI ||
	    host == HV_EL2_VTIMER_PPI)
		return HV_ERR_BUSY;
	if (host < 32 || host >= spis || host >= HV_EL2_HOST_IRQS)
		return HV_ERR_RANGE; /* SGIs and PPIs are per core; past the distributor's SPIs */
	if (!__atomic_compare_exchange_n(&hv_el2_host_owner[host], &none, v, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return HV_ERR_BUSY;
	hv_el2_host_input[host] = (uint16_t)input;
	hv_el2_host_quiesce(host);
	hv_el2_pgicd_rmw(GICD_IGROUPR_ + host / 32 * 4, 0, 1u << (host % 32));
	hv_el2_pgicd_rmw(GICD_ICFGR_ + host / 16 * 4, 2u << (host % 16 * 2),
			 trigger == HV_IRQ_EDGE ? 2u << (host % 16 * 2) : 0);
	*(volatile uint8_t *)(uintptr_t)(HV_EL2_PHYS_GICD + GICD_IPRIORITYR_ + host) = 0x80;
	hv__lock(v->lock);
	v->spi_host[s] = (uint16_t)host;
	v->host_route[s] = 0;
	v->host_count++;
	/* The guest's edge/level view follows the device's. */
	if (trigger == HV_IRQ_EDGE)
		v->spi_edge[s / 64] |= 1ull << (s % 64);
	else
		v->spi_edge[s / 64] &= ~(1ull << (s % 64));
	hv__unlock(v->lock);
	return HV_OK;
}

/*
 * At run() entry, when the VM has host routes: the physical interrupts whose virtual SPI
 * targets this vCPU go to this core (they would be taken anywhere the backend runs, but a
 * core left to the firmware would not forward them).
 */
void hv_el2_vgic_host_route(struct hv_el2_vcpu *c, uint64_t mpidr)
{
	struct hv_el2_vm *v = c->vm;
	uint32_t s;

	hv__lock(v->lock);
	for (s = 0; s < HV_EL2_NSPI; s++) {
		uint32_t h = v->spi_host[s];

		if (h == 0 || v->host_route[s] == (mpidr | 1ull << 63) ||
		    hv_el2_spi_target(v, s) != c)
			continue;
		*(volatile uint64_t *)(uintptr_t)(HV_EL2_PHYS_GICD + GICD_IROUTER_ + 8ull * h) =
			mpidr;
		v->host_route[s] = mpidr | 1ull << 63;
	}
	hv__unlock(v->lock);
}

/*
 * A physical SPI this core acknowledged (and priority-dropped): if a VM owns it, it becomes
 * pending in that VM's distributor and stays active until the guest deactivates it.
 */
bool hv_el2_vgic_host_fired(uint32_t intid)
{
	struct hv_el2_vm *v;
	struct hv_el2_vcpu *t;
	uint32_t s;

	if (intid < 32 || intid >= HV_EL2_HOST_IRQS)
		return false;
	__atomic_add_fetch(&hv_el2_host_busy[intid], 1, __ATOMIC_SEQ_CST);
	v = __atomic_load_n(&hv_el2_host_owner[intid], __ATOMIC_SEQ_CST);
	if (v == NULL) {
		__atomic_sub_fetch(&hv_el2_host_busy[intid], 1, __ATOMIC_RELEASE);
		return false;
	}
	s = hv_el2_host_input[intid] - 32;
	hv__lock(v->lock);
	v->spi_pending[s / 64] |= 1ull << (s % 64);
	t = hv_el2_spi_target(v, s);
	if (t != NULL) { /* under the lock: the vCPU cannot go away meanwhile (vcpu_fini) */
		hv_el2_vgic_hint(t);
		hv_el2_wake(t);
	}
	hv__unlock(v->lock);
	__atomic_sub_fetch(&hv_el2_host_busy[intid], 1, __ATOMIC_RELEASE);
	return true;
}

void hv_el2_vgic_vm_init(struct hv_el2_vm *v)
{
	uint32_t i;

	for (i = 0; i < HV_EL2_NSPI; i++)
		v->spi_prio[i] = 0xa0;
}

/* Back to the distributor's reset state (lock held); device lines keep their levels. */
void hv_el2_vgic_vm_reset(struct hv_el2_vm *v)
{
	uint32_t i;

	v->gicd_ctlr = 0;
	for (i = 0; i < HV_EL2_SPI_WORDS; i++) {
		v->spi_enabled[i] = 0;
		v->spi_pending[i] = 0;
		v->spi_edge[i] = 0;
	}
	for (i = 0; i < HV_EL2_NSPI; i++) {
		v->spi_route[i] = 0;
		if (v->spi_host[i] != 0)
			hv_el2_host_quiesce(v->spi_host[i]);
	}
	hv_el2_vgic_vm_init(v);
}

void hv_el2_vgic_vcpu_init(struct hv_el2_vcpu *c)
{
	uint32_t i;

	for (i = 0; i < 32; i++)
		c->priv_prio[i] = 0xa0;
	c->priv_enabled = 0xffff; /* SGIs are always enabled on many GICs; Linux enables them */
	c->waker = 2;             /* ProcessorSleep until the guest wakes its redistributor */
}

static inline bool hv_el2_bit(const uint64_t *map, uint32_t n)
{
	return (__atomic_load_n(&map[n / 64], __ATOMIC_RELAXED) >> (n % 64)) & 1;
}

static struct hv_el2_vcpu *hv_el2_spi_target(struct hv_el2_vm *v, uint32_t spi)
{
	uint64_t r = v->spi_route[spi];
	uint32_t idx = (uint32_t)(r & 0xf) | (uint32_t)((r >> 8) & 0xff) << 4;

	if ((r >> 31) & 1 || idx >= v->vcpu_count || v->vcpus[idx] == NULL)
		idx = 0;
	return v->vcpus[idx];
}

static bool hv_el2_in_lr(const struct hv_el2_vcpu *c, uint32_t intid)
{
	uint32_t used = c->lr_used;

	while (used) {
		uint32_t i = (uint32_t)__builtin_ctz(used);

		if (c->lr_intid[i] == intid)
			return true;
		used &= used - 1;
	}
	return false;
}

/* Interrupts for this vCPU that wait for a list register, lock held. */
static uint32_t hv_el2_next_candidate(struct hv_el2_vcpu *c, uint32_t from)
{
	struct hv_el2_vm *v = c->vm;
	uint32_t n;

	for (n = from; n < 32; n++)
		if ((c->priv_pending & c->priv_enabled) >> n & 1 && !hv_el2_in_lr(c, n))
			return n;
	if (!(v->gicd_ctlr & 2))
		return UINT32_MAX;
	for (n = from < 32 ? 0 : from - 32; n < HV_EL2_NSPI; n++) {
		uint64_t w =
			(v->spi_pending[n / 64] | v->spi_level[n / 64]) & v->spi_enabled[n / 64];

		if (w == 0) {
			n |= 63;
			continue;
		}
		if ((w >> (n % 64)) & 1 && hv_el2_spi_target(v, n) == c && !hv_el2_in_lr(c, n + 32))
			return n + 32;
	}
	return UINT32_MAX;
}

/* Anything worth a look under the lock? Racy reads: a miss is caught by the next wake-up. */
static bool hv_el2_maybe_pending(const struct hv_el2_vcpu *c)
{
	const struct hv_el2_vm *v = c->vm;
	uint32_t i;

	if (__atomic_load_n(&c->priv_pending, __ATOMIC_RELAXED) & c->priv_enabled)
		return true;
	for (i = 0; i < HV_EL2_SPI_WORDS; i++)
		if ((__atomic_load_n(&v->spi_pending[i], __ATOMIC_RELAXED) |
		     __atomic_load_n(&v->spi_level[i], __ATOMIC_RELAXED)) &
		    v->spi_enabled[i])
			return true;
	return false;
}

/* Something may have become pending for c: its next entry looks at the distributor. */
void hv_el2_vgic_hint(struct hv_el2_vcpu *c)
{
	__atomic_or_fetch(&c->attn, HV_EL2_ATTN_IRQ, __ATOMIC_SEQ_CST);
}

static void hv_el2_vgic_hint_all(struct hv_el2_vm *v)
{
	uint32_t i;

	for (i = 0; i < v->vcpu_count; i++)
		if (v->vcpus[i] != NULL)
			hv_el2_vgic_hint(v->vcpus[i]);
}

/* Before entry, when HV_EL2_ATTN_IRQ is set (el2.c): fill free list registers. */
void hv_el2_vgic_flush(struct hv_el2_vcpu *c)
{
	struct hv_el2_vm *v = c->vm;
	uint32_t all = (1u << hv_el2_lr_count()) - 1, n = 0;
	uint64_t hcr = ICH_HCR_EN;

	__atomic_and_fetch(&c->attn, ~HV_EL2_ATTN_IRQ, __ATOMIC_SEQ_CST);
	c->uie = false;
	if (!hv_el2_maybe_pending(c)) {
		MSR_(ICH_HCR_EL2, hcr);
		return;
	}
	hv__lock(v->lock);
	while ((n = hv_el2_next_candidate(c, n)) != UINT32_MAX) {
		uint32_t free = ~c->lr_used & all, i;
		uint64_t lr;

		if (free == 0) {
			hcr |= ICH_HCR_UIE; /* tell us when the guest has made room */
			c->uie = true;
			__atomic_or_fetch(&c->attn, HV_EL2_ATTN_IRQ, __ATOMIC_RELAXED);
			break;
		}
		i = (uint32_t)__builtin_ctz(free);
		lr = LR_PENDING | LR_GROUP1 | (uint64_t)n;
		if (n < 32) {
			lr |= (uint64_t)c->priv_prio[n] << 48;
			c->priv_pending &= ~(1u << n);
			if (n == HV_EL2_VTIMER_PPI)
				lr |= LR_HW | ((uint64_t)HV_EL2_VTIMER_PPI << 32);
		} else {
			uint32_t s = n - 32;

			lr |= (uint64_t)v->spi_prio[s] << 48;
			v->spi_pending[s / 64] &= ~(1ull << (s % 64));
			if (v->spi_host[s] != 0)
				lr |= LR_HW | ((uint64_t)v->spi_host[s] << 32);
			else if (!((v->spi_edge[s / 64] >> (s % 64)) & 1))
				lr |= LR_EOI; /* a level line: look at it again after the EOI */
		}
		c->lr_intid[i] = n;
		c->lr_used |= 1u << i;
		hv_el2_lr_write(i, lr);
		n++;
	}
	hv__unlock(v->lock);
	MSR_(ICH_HCR_EL2, hcr);
}

/* After an exit, when list registers are in use (el2.c): take back those the guest ended. */
void hv_el2_vgic_sync(struct hv_el2_vcpu *c)
{
	uint32_t done;

	done = (uint32_t)(MRS_(ICH_ELRSR_EL2) | MRS_(ICH_EISR_EL2)) & c->lr_used;
	if (done)
		hv_el2_vgic_hint(c); /* a level line may still be high */
	while (done) {
		uint32_t i = (uint32_t)__builtin_ctz(done);

		done &= done - 1;
		c->lr_used &= ~(1u << i);
		hv_el2_lr_write(i, 0);
	}
}

bool hv_el2_vgic_pending(struct hv_el2_vcpu *c)
{
	uint32_t used = c->lr_used;
	bool any = false;

	while (used) {
		uint32_t i = (uint32_t)__builtin_ctz(used);

		if (hv_el2_lr_read(i) & LR_PENDING)
			return true;
		used &= used - 1;
	}
	if (hv_el2_maybe_pending(c)) {
		hv__lock(c->vm->lock);
		any = hv_el2_next_candidate(c, 0) != UINT32_MAX;
		hv__unlock(c->vm->lock);
	}
	return any;
}

void hv_el2_vgic_save(struct hv_el2_vcpu *c)
{
	uint32_t i, n = hv_el2_lr_count();

	c->vmcr = MRS_(ICH_VMCR_EL2);
	c->ap0r0 = MRS_(ICH_AP0R0_EL2);
	c->ap1r0 = MRS_(ICH_AP1R0_EL2);
	for (i = 0; i < n; i++)
		c->lr[i] = hv_el2_lr_read(i);
}

void hv_el2_vgic_load(struct hv_el2_vcpu *c, bool moved)
{
	uint32_t i, n = hv_el2_lr_count();

	/* A timer interrupt left active by a vCPU that ran here before belongs to nobody now. */
	MSR_(ICC_DIR_EL1, HV_EL2_VTIMER_PPI);
	for (i = 0; i < n; i++) {
		uint64_t lr = c->lr[i];

		/* The physical timer interrupt behind an HW entry was on another core (an SPI's
		 * active state is in the distributor: its HW link holds on any core). */
		if (moved && (lr & LR_HW) && ((lr >> 32) & 0x3ff) < 32)
			lr &= ~(LR_HW | (0x3ffull << 32));
		if (!(c->lr_used >> i & 1))
			lr = 0;
		hv_el2_lr_write(i, lr);
	}
	MSR_(ICH_VMCR_EL2, c->vmcr);
	MSR_(ICH_AP0R0_EL2, c->ap0r0);
	MSR_(ICH_AP1R0_EL2, c->ap1r0);
	MSR_(ICH_HCR_EL2, ICH_HCR_EN);
	hv_el2_vgic_hint(c); /* the next entry fills the list registers again */
}

void hv_el2_vgic_timer_fired(struct hv_el2_vcpu *c)
{
	hv__lock(c->vm->lock);
	c->priv_pending |= 1u << HV_EL2_VTIMER_PPI;
	hv__unlock(c->vm->lock);
	hv_el2_vgic_hint(c);
}

/* ICC_SGI1R_EL1 written by the guest: IRM, Aff3.Aff2.Aff1 and a target list of Aff0. */
void hv_el2_vgic_send_sgi(struct hv_el2_vcpu *c, uint64_t value)
{
	struct hv_el2_vm *v = c->vm;
	uint32_t intid = (uint32_t)(value >> 24) & 0xf, i;
	bool all = (value >> 40) & 1;
	uint32_t aff1 = (uint32_t)(value >> 16) & 0xff;
	uint32_t list = (uint32_t)value & 0xffff;

	if ((value >> 32 & 0xff) != 0 || (value >> 48 & 0xff) != 0)
		return; /* Aff2 and Aff3 are zero on every vCPU */
	hv__lock(v->lock);
	for (i = 0; i < v->vcpu_count; i++) {
		struct hv_el2_vcpu *t = v->vcpus[i];

		if (t == NULL)
			continue;
		if (all ? t == c : ((i >> 4) != aff1 || !((list >> (i & 0xf)) & 1)))
			continue;
		t->priv_pending |= 1u << intid;
		hv_el2_vgic_hint(t);
	}
	hv__unlock(v->lock);
	for (i = 0; i < v->vcpu_count; i++)
		if (v->vcpus[i] != NULL && v->vcpus[i] != c)
			hv_el2_wake(v->vcpus[i]);
}

hv_status_t hv_el2_vgic_irq_set(struct hv_el2_vm *v, uint32_t intid, bool level)
{
	uint32_t s = intid - 32;
	uint64_t bit = 1ull << (s % 64);
	bool rising;
	struct hv_el2_vcpu *t;

	if (intid < 32 || intid >= HV_EL2_NIRQ)
		return HV_ERR_INVALID_ARG;
	hv__lock(v->lock);
	rising = level && !(v->spi_level[s / 64] & bit);
	if (level)
		v->spi_level[s / 64] |= bit;
	else
		v->spi_level[s / 64] &= ~bit;
	if (rising)
		v->spi_pending[s / 64] |= bit; /* keeps a pulse shorter than an entry */
	t = hv_el2_spi_target(v, s);
	hv__unlock(v->lock);
	if (t != NULL)
		hv_el2_vgic_hint(t);
	if (rising && t != NULL)
		hv_el2_wake(t);
	return HV_OK;
}

/* ---- register interface --------------------------------------------------------------- */

#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IIDR 0x0008
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR 0x0200
#define GICD_ICPENDR 0x0280
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR 0x0c00
#define GICD_IROUTER 0x6000
#define GIC_PIDR2 0xffe8
#define GIC_IIDR_ARM 0x0100043bu

#define GICR_CTLR 0x0000
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_SGI 0x10000

/* Apply a 32-bit set/clear-style write to 32 bits of a bitmap starting at bit `first`. */
static void hv_el2_bits32(uint64_t *map, uint32_t first, uint32_t val, bool set)
{
	uint64_t m = (uint64_t)val << (first % 64);

	if (set)
		map[first / 64] |= m;
	else
		map[first / 64] &= ~m;
}

static uint32_t hv_el2_get32(const uint64_t *map, uint32_t first)
{
	return (uint32_t)(map[first / 64] >> (first % 64));
}

static void hv_el2_gicd(struct hv_el2_vm *v, uint64_t off, bool w, uint32_t width, uint64_t *d)
{
	uint64_t val = w ? *d : 0;
	uint32_t n, i;

	if (off & (width - 1))
		goto out; /* unaligned: RAZ/WI, as the GIC's registers are naturally aligned */
	if (off >= GICD_IROUTER + 8 * 32 && off < GICD_IROUTER + 8 * HV_EL2_NIRQ) {
		/* 64 bits, or 32 bits to either half (an AArch32 guest writes it so). */
		uint32_t shift = (uint32_t)(off & 4) * 8;
		uint64_t m = width == 8 ? ~0ull : 0xffffffffull << shift;

		n = (uint32_t)((off - GICD_IROUTER) / 8) - 32;
		if (width < 4)
			goto out; /* RAZ/WI */
		if (w)
			v->spi_route[n] =
				((v->spi_route[n] & ~m) | ((val << shift) & m)) & 0xff00ffffffull;
		else
			val = (v->spi_route[n] & m) >> shift;
		goto out;
	}
	if (off >= GICD_IPRIORITYR + 32 && off < GICD_IPRIORITYR + HV_EL2_NIRQ) {
		n = (uint32_t)(off - GICD_IPRIORITYR) - 32;
		for (i = 0; i < width && n + i < HV_EL2_NSPI; i++) {
			if (w)
				v->spi_prio[n + i] = (uint8_t)(val >> (8 * i));
			else
				val |= (uint64_t)v->spi_prio[n + i] << (8 * i);
		}
		goto out;
	}
	if (width != 4)
		goto out;                    /* everything else is a 32-bit register: RAZ/WI */
	n = (uint32_t)(off & 0x7f) / 4 * 32; /* first INTID of a bitmap register */
	if (off >= GICD_IGROUPR && off < GICD_IPRIORITYR && n >= HV_EL2_NIRQ)
		goto out;
	switch (off >= GICD_IGROUPR && off < GICD_IPRIORITYR ? off & ~0x7full : ~0ull) {
	case GICD_IGROUPR:
		val = n >= 32 ? 0xffffffffu : 0;
		goto out;
	case GICD_ISENABLER:
	case GICD_ICENABLER:
		if (n < 32)
			goto out; /* private interrupts live in the redistributors */
		if (w) {
			hv_el2_bits32(v->spi_enabled, n - 32, (uint32_t)val, off < GICD_ICENABLER);
			hv_el2_host_enables(v, n - 32, (uint32_t)val, off < GICD_ICENABLER);
		} else
			val = hv_el2_get32(v->spi_enabled, n - 32);
		goto out;
	case GICD_ISPENDR:
	case GICD_ICPENDR:
		if (n < 32)
			goto out;
		if (w)
			hv_el2_bits32(v->spi_pending, n - 32, (uint32_t)val, off < GICD_ICPENDR);
		else
			val = hv_el2_get32(v->spi_pending, n - 32) |
			      hv_el2_get32(v->spi_level, n - 32);
		goto out;
	default:
		break;
	}
	if (off >= GICD_ICFGR + 8 && off < GICD_ICFGR + HV_EL2_NIRQ / 4) {
		uint32_t first = (uint32_t)(off - GICD_ICFGR) * 4 - 32, edge = 0;

		if (w) {
			for (i = 0; i < 16; i++)
				edge |= (uint32_t)((val >> (2 * i + 1)) & 1) << i;
			v->spi_edge[first / 64] &= ~(0xffffull << (first % 64));
			v->spi_edge[first / 64] |= (uint64_t)edge << (first % 64);
		} else {
			edge = (uint32_t)(v->spi_edge[first / 64] >> (first % 64)) & 0xffff;
			for (i = 0; i < 16; i++)
				val |= (uint64_t)((edge >> i) & 1) << (2 * i + 1);
		}
		goto out;
	}
	switch (off) {
	case GICD_CTLR:
		if (w)
			v->gicd_ctlr = (uint32_t)val & 3;
		else
			val = v->gicd_ctlr | (1u << 4) | (1u << 6); /* ARE, DS */
		break;
	case GICD_TYPER:
		val = (HV_EL2_NIRQ / 32 - 1) | (9u << 19); /* ITLinesNumber, IDbits: 10 bits */
		break;
	case GICD_IIDR:
		val = GIC_IIDR_ARM;
		break;
	case GIC_PIDR2:
		val = 0x3b; /* GICv3 */
		break;
	default:
		break;
	}
out:
	if (!w)
		*d = val;
}

static void hv_el2_gicr(struct hv_el2_vm *v, struct hv_el2_vcpu *t, uint64_t off, bool w,
			uint32_t width, uint64_t *d)
{
	uint64_t val = w ? *d : 0;
	uint32_t i;

	if (off & (width - 1))
		goto out; /* unaligned: RAZ/WI */
	if (off >= GICR_SGI + GICD_IPRIORITYR && off < GICR_SGI + GICD_IPRIORITYR + 32) {
		uint32_t n = (uint32_t)(off - GICR_SGI - GICD_IPRIORITYR);

		for (i = 0; i < width && n + i < 32; i++) {
			if (w)
				t->priv_prio[n + i] = (uint8_t)(val >> (8 * i));
			else
				val |= (uint64_t)t->priv_prio[n + i] << (8 * i);
		}
		goto out;
	}
	switch (off) {
	case GICR_TYPER:
		if (width == 4 && w)
			break;
		val = ((t->vmpidr & 0xff) << 32) | (((t->vmpidr >> 8) & 0xff) << 40) |
		      ((uint64_t)t->index << 8) | (t->index + 1 == v->vcpu_count ? 1u << 4 : 0);
		break;
	case GICR_TYPER + 4:
		val = ((t->vmpidr & 0xff)) | (((t->vmpidr >> 8) & 0xff) << 8);
		break;
	case GICR_IIDR:
		val = GIC_IIDR_ARM;
		break;
	case GICR_WAKER:
		if (w)
			t->waker = (uint32_t)val & 2;
		else
			val = t->waker |
			      (t->waker << 1); /* ChildrenAsleep follows ProcessorSleep */
		break;
	case GIC_PIDR2:
		val = 0x3b;
		break;
	case GICR_SGI + GICD_IGROUPR:
		val = 0xffffffffu;
		break;
	case GICR_SGI + GICD_ISENABLER:
	case GICR_SGI + GICD_ICENABLER:
		if (!w)
			val = t->priv_enabled;
		else if (off == GICR_SGI + GICD_ISENABLER)
			t->priv_enabled |= (uint32_t)val;
		else
			t->priv_enabled &= ~(uint32_t)val;
		break;
	case GICR_SGI + GICD_ISPENDR:
	case GICR_SGI + GICD_ICPENDR:
		if (!w)
			val = t->priv_pending;
		else if (off == GICR_SGI + GICD_ISPENDR)
			t->priv_pending |= (uint32_t)val;
		else
			t->priv_pending &= ~(uint32_t)val;
		break;
	case GICR_SGI + GICD_ICFGR:
		val = w ? 0 : 0xaaaaaaaau; /* SGIs are edge-triggered */
		break;
	default:
		break;
	}
out:
	if (!w)
		*d = val;
}

bool hv_el2_vgic_mmio(struct hv_el2_vm *v, struct hv_el2_vcpu *c, uint64_t gpa, bool is_write,
		      uint32_t width, uint64_t *data)
{
	uint64_t gicr_end = HV_EL2_GICR_BASE + HV_EL2_GICR_STRIDE * HV_EL2_MAX_VCPUS;

	(void)c;
	if (gpa >= HV_EL2_GICD_BASE && gpa < HV_EL2_GICD_BASE + HV_EL2_GICD_SIZE) {
		hv__lock(v->lock);
		hv_el2_gicd(v, gpa - HV_EL2_GICD_BASE, is_write, width, data);
		hv__unlock(v->lock);
		if (is_write)
			hv_el2_vgic_hint_all(v); /* enables, pendings, routes may have changed */
		return true;
	}
	if (gpa >= HV_EL2_GICR_BASE && gpa < gicr_end) {
		uint64_t n = (gpa - HV_EL2_GICR_BASE) / HV_EL2_GICR_STRIDE;

		if (n < v->vcpu_count && v->vcpus[n] != NULL) {
			hv__lock(v->lock);
			hv_el2_gicr(v, v->vcpus[n], (gpa - HV_EL2_GICR_BASE) % HV_EL2_GICR_STRIDE,
				    is_write, width, data);
			hv__unlock(v->lock);
			if (is_write)
				hv_el2_vgic_hint(v->vcpus[n]);
		} else if (!is_write) {
			*data = 0;
		}
		return true;
	}
	return false;
}
