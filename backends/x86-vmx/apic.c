/* SPDX-License-Identifier: MIT */
/*
 * A virtual local APIC per vCPU (at 0xFEE00000, xAPIC MMIO) with its timer, and one IOAPIC
 * per VM (24 pins at 0xFEC00000) that routes the core's interrupt lines to them. The timer
 * counts TSC ticks through its divider, so the preemption timer can end guest execution at
 * its deadline. Everything the guest writes is taken as hostile: unknown registers read as
 * zero and ignore writes, widths other than 4 bytes are ignored.
 */
#include "vmx.h"

#define LAPIC_ID 0x20
#define LAPIC_VERSION 0x30
#define LAPIC_TPR 0x80
#define LAPIC_APR 0x90
#define LAPIC_PPR 0xa0
#define LAPIC_EOI 0xb0
#define LAPIC_LDR 0xd0
#define LAPIC_DFR 0xe0
#define LAPIC_SVR 0xf0
#define LAPIC_ISR 0x100
#define LAPIC_TMR 0x180
#define LAPIC_IRR 0x200
#define LAPIC_ESR 0x280
#define LAPIC_LVT_CMCI 0x2f0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0

#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define SVR_ENABLED (1u << 8)

static int hv_vmx_highest(const uint32_t v[8])
{
	int i;

	for (i = 7; i >= 0; i--)
		if (v[i] != 0)
			return i * 32 + 31 - __builtin_clz(v[i]);
	return -1;
}

void hv_vmx_lapic_reset(struct hv_vmx_vcpu *xc)
{
	struct hv_vmx_lapic *a = &xc->lapic;
	size_t i;

	hv__memset(a, 0, sizeof(*a));
	a->id = xc->index;
	a->dfr = 0xffffffffu;
	a->svr = 0xff;
	for (i = 0; i < HV__ARRAY_SIZE(a->lvt); i++)
		a->lvt[i] = LVT_MASKED;
}

static uint64_t hv_vmx_timer_divisor(const struct hv_vmx_lapic *a)
{
	uint32_t v = (a->timer_divide & 3) | ((a->timer_divide >> 1) & 4);

	return v == 7 ? 1 : 2ull << v;
}

static uint32_t hv_vmx_ppr(const struct hv_vmx_lapic *a)
{
	int isr = hv_vmx_highest(a->isr);
	uint32_t isrc = isr < 0 ? 0 : (uint32_t)isr & 0xf0;

	return (a->tpr & 0xf0) >= isrc ? a->tpr & 0xff : isrc;
}

void hv_vmx_lapic_set_irr(struct hv_vmx_vcpu *xc, int vector, bool level)
{
	struct hv_vmx_lapic *a = &xc->lapic;

	if (vector < 16 || !(a->svr & SVR_ENABLED))
		return; /* vectors 0-15 are illegal; a disabled APIC accepts nothing */
	__atomic_or_fetch(&a->irr[vector / 32], 1u << (vector % 32), __ATOMIC_RELAXED);
	if (level)
		a->tmr[vector / 32] |= 1u << (vector % 32);
	else
		a->tmr[vector / 32] &= ~(1u << (vector % 32));
	xc->halted = 0;
}

int hv_vmx_lapic_pending(const struct hv_vmx_vcpu *xc)
{
	const struct hv_vmx_lapic *a = &xc->lapic;
	int irr = hv_vmx_highest(a->irr);

	if (irr < 0 || (uint32_t)(irr & 0xf0) <= (hv_vmx_ppr(a) & 0xf0))
		return -1;
	return irr;
}

void hv_vmx_lapic_accept(struct hv_vmx_vcpu *xc, int vector)
{
	struct hv_vmx_lapic *a = &xc->lapic;

	__atomic_and_fetch(&a->irr[vector / 32], ~(1u << (vector % 32)), __ATOMIC_RELAXED);
	a->isr[vector / 32] |= 1u << (vector % 32);
}

void hv_vmx_lapic_tick(struct hv_vmx_vcpu *xc, uint64_t now)
{
	struct hv_vmx_lapic *a = &xc->lapic;
	uint32_t lvt = a->lvt[1];

	if (a->timer_deadline == 0 || now < a->timer_deadline)
		return;
	if ((lvt & LVT_PERIODIC) && a->timer_period != 0) {
		a->timer_deadline += a->timer_period;
		if (a->timer_deadline <= now) /* missed periods coalesce, as on hardware */
			a->timer_deadline = now + a->timer_period;
	} else {
		a->timer_deadline = 0;
	}
	if (!(lvt & LVT_MASKED))
		hv_vmx_lapic_set_irr(xc, (int)(lvt & 0xff), false);
}

static void hv_vmx_ioapic_eoi(struct hv_vmx_vm *xv, int vector);

static void hv_vmx_lapic_eoi(struct hv_vmx_vcpu *xc)
{
	struct hv_vmx_lapic *a = &xc->lapic;
	int v = hv_vmx_highest(a->isr);

	if (v < 0)
		return;
	a->isr[v / 32] &= ~(1u << (v % 32));
	if (a->tmr[v / 32] & (1u << (v % 32)))
		hv_vmx_ioapic_eoi(xc->vmx, v);
}

/*
 * Whether a local APIC is a destination: physical mode names its APIC ID (0xFF: all);
 * logical mode matches its LDR, flat (DFR model 0xF: a bit per APIC) or cluster (0x0: the
 * high nibble names the cluster, the low one APICs in it).
 */
static bool hv_vmx_lapic_is_dest(const struct hv_vmx_lapic *a, uint32_t dest, bool logical)
{
	uint32_t ldr = a->ldr >> 24;

	if (!logical)
		return dest == 0xff || a->id == dest;
	if ((a->dfr >> 28) == 0xf)
		return (dest & ldr) != 0;
	return ((dest >> 4) == 0xf || (dest >> 4) == (ldr >> 4)) && (dest & ldr & 0xf) != 0;
}

/* Fixed IPIs, INIT and STARTUP (the AP start-up protocol); other modes are not emulated. */
static void hv_vmx_lapic_ipi(struct hv_vmx_vcpu *xc)
{
	struct hv_vmx_lapic *a = &xc->lapic;
	uint32_t shorthand = (a->icr_lo >> 18) & 3, dest = a->icr_hi >> 24;
	uint32_t mode = (a->icr_lo >> 8) & 7;
	bool logical = (a->icr_lo & (1u << 11)) != 0;
	int vector = (int)(a->icr_lo & 0xff);
	size_t i;

	if (mode == 5 && (a->icr_lo & 0xc000) == 0x8000)
		return; /* INIT level de-assert: nothing to do */
	if (mode != 0 && mode != 5 && mode != 6)
		return;
	for (i = 0; i < HV_VMX_MAX_VCPUS; i++) {
		struct hv_vmx_vcpu *t = xc->vmx->vcpus[i];

		if (t == NULL ||
		    !((shorthand == 0 && hv_vmx_lapic_is_dest(&t->lapic, dest, logical)) ||
		      (shorthand == 1 && t == xc) || shorthand == 2 || (shorthand == 3 && t != xc)))
			continue;
		if (mode == 0) {
			hv_vmx_lapic_set_irr(t, vector, false);
		} else if (t != xc && mode == 5) {
			t->init_pending = 1;
			t->sipi_pending = 0;
		} else if (t != xc && mode == 6 && t->wait_sipi) {
			t->sipi_vector = (uint8_t)vector;
			t->sipi_pending = 1;
		}
	}
}

/*
 * A guest could ask for a period of a few TSC ticks and have the host do nothing but exits:
 * periods are at least this long (KVM has the same kind of floor).
 */
#define HV_VMX_MIN_TIMER_PERIOD 4096u

static void hv_vmx_timer_start(struct hv_vmx_lapic *a)
{
	a->timer_period = (uint64_t)a->timer_initial * hv_vmx_timer_divisor(a);
	if (a->timer_period < HV_VMX_MIN_TIMER_PERIOD)
		a->timer_period = HV_VMX_MIN_TIMER_PERIOD;
	a->timer_deadline = a->timer_initial != 0 ? hv_vmx_rdtsc() + a->timer_period : 0;
}

void hv_vmx_lapic_access(struct hv_vmx_vcpu *xc, uint32_t off, bool is_write, uint64_t *data)
{
	struct hv_vmx_lapic *a = &xc->lapic;
	uint32_t v = (uint32_t)*data;
	uint32_t r = 0;

	if ((off & 0xf) != 0) {
		if (!is_write)
			*data = 0;
		return;
	}
	if (is_write) {
		switch (off) {
		case LAPIC_ID: a->id = v >> 24; break;
		case LAPIC_TPR: a->tpr = v & 0xff; break;
		case LAPIC_EOI: hv_vmx_lapic_eoi(xc); break;
		case LAPIC_LDR: a->ldr = v & 0xff000000u; break;
		case LAPIC_DFR: a->dfr = v | 0x0fffffffu; break;
		case LAPIC_SVR:
			a->svr = v & 0x3ff;
			if (!(v & SVR_ENABLED)) {
				size_t i;

				for (i = 0; i < HV__ARRAY_SIZE(a->lvt); i++)
					a->lvt[i] |= LVT_MASKED;
			}
			break;
		case LAPIC_ESR: a->esr = 0; break;
		case LAPIC_ICR_LO: a->icr_lo = v & ~(1u << 12); hv_vmx_lapic_ipi(xc); break;
		case LAPIC_ICR_HI: a->icr_hi = v & 0xff000000u; break;
		case LAPIC_TIMER_INITIAL:
			a->timer_initial = v;
			hv_vmx_timer_start(a);
			break;
		case LAPIC_TIMER_DIVIDE: a->timer_divide = v & 0xb; break;
		default:
			if (off == LAPIC_LVT_CMCI || (off >= LAPIC_LVT_TIMER && off <= LAPIC_LVT_ERROR)) {
				uint32_t i = off == LAPIC_LVT_CMCI ? 0 : (off - LAPIC_LVT_TIMER) / 0x10 + 1;

				if (!(a->svr & SVR_ENABLED))
					v |= LVT_MASKED;
				a->lvt[i] = v & (i == 1 ? 0x300ff : 0x1e7ff);
			}
			break;
		}
		return;
	}
	switch (off) {
	case LAPIC_ID: r = a->id << 24; break;
	case LAPIC_VERSION: r = 0x00060014; break; /* integrated APIC, 7 LVT entries */
	case LAPIC_TPR: r = a->tpr; break;
	case LAPIC_PPR: r = hv_vmx_ppr(a); break;
	case LAPIC_LDR: r = a->ldr; break;
	case LAPIC_DFR: r = a->dfr; break;
	case LAPIC_SVR: r = a->svr; break;
	case LAPIC_ESR: r = a->esr; break;
	case LAPIC_ICR_LO: r = a->icr_lo; break;
	case LAPIC_ICR_HI: r = a->icr_hi; break;
	case LAPIC_TIMER_INITIAL: r = a->timer_initial; break;
	case LAPIC_TIMER_CURRENT: {
		uint64_t now = hv_vmx_rdtsc();

		hv_vmx_lapic_tick(xc, now);
		if (a->timer_deadline > now)
			r = (uint32_t)((a->timer_deadline - now) / hv_vmx_timer_divisor(a));
		break;
	}
	case LAPIC_TIMER_DIVIDE: r = a->timer_divide; break;
	default:
		if (off >= LAPIC_ISR && off < LAPIC_ISR + 0x80)
			r = a->isr[(off - LAPIC_ISR) / 0x10];
		else if (off >= LAPIC_TMR && off < LAPIC_TMR + 0x80)
			r = a->tmr[(off - LAPIC_TMR) / 0x10];
		else if (off >= LAPIC_IRR && off < LAPIC_IRR + 0x80)
			r = a->irr[(off - LAPIC_IRR) / 0x10];
		else if (off == LAPIC_LVT_CMCI)
			r = a->lvt[0];
		else if (off >= LAPIC_LVT_TIMER && off <= LAPIC_LVT_ERROR)
			r = a->lvt[(off - LAPIC_LVT_TIMER) / 0x10 + 1];
		break;
	}
	*data = r;
}

/* ---- IOAPIC ------------------------------------------------------------------------------ */

#define REDIR_MASKED (1ull << 16)
#define REDIR_LEVEL (1ull << 15)
#define REDIR_REMOTE_IRR (1ull << 14)
#define REDIR_ACTIVE_LOW (1ull << 13)

void hv_vmx_ioapic_reset(struct hv_vmx_vm *xv)
{
	size_t i;

	hv__memset(&xv->ioapic, 0, sizeof(xv->ioapic));
	for (i = 0; i < HV_VMX_IOAPIC_PINS; i++)
		xv->ioapic.redir[i] = REDIR_MASKED;
}

/* Deliver pin's interrupt if it is asserted, unmasked and (level) not already in service. */
static void hv_vmx_ioapic_service(struct hv_vmx_vm *xv, uint32_t pin, bool edge)
{
	uint64_t e = xv->ioapic.redir[pin];
	bool asserted = (((xv->ioapic.level >> pin) & 1) != 0) != ((e & REDIR_ACTIVE_LOW) != 0);
	uint32_t dest = (uint32_t)(e >> 56);
	struct hv_vmx_vcpu *t = NULL;
	size_t i;

	/* Only fixed and lowest-priority delivery: others are not sent, nor wait for an EOI. */
	if ((e & REDIR_MASKED) || !asserted || ((e >> 8) & 7) > 1)
		return;
	if (e & REDIR_LEVEL) {
		if (e & REDIR_REMOTE_IRR)
			return;
		xv->ioapic.redir[pin] |= REDIR_REMOTE_IRR;
	} else if (!edge) {
		return;
	}
	for (i = 0; i < HV_VMX_MAX_VCPUS && t == NULL; i++)
		if (xv->vcpus[i] != NULL &&
		    hv_vmx_lapic_is_dest(&xv->vcpus[i]->lapic, dest, (e & (1ull << 11)) != 0))
			t = xv->vcpus[i];
	if (t == NULL)
		t = xv->vcpus[0];
	if (t != NULL)
		hv_vmx_lapic_set_irr(t, (int)(e & 0xff), (e & REDIR_LEVEL) != 0);
}

hv_status_t hv_vmx_ioapic_set(struct hv_vmx_vm *xv, uint32_t pin, bool level)
{
	uint32_t bit;
	bool rising;

	/* Checked before the shift: pins past 31 would shift out of the word. */
	if (pin >= HV_VMX_IOAPIC_PINS)
		return HV_ERR_RANGE;
	bit = 1u << pin;
	rising = level && !(xv->ioapic.level & bit);
	if (level)
		xv->ioapic.level |= bit;
	else
		xv->ioapic.level &= ~bit;
	hv_vmx_ioapic_service(xv, pin, rising);
	return HV_OK;
}

static void hv_vmx_ioapic_eoi(struct hv_vmx_vm *xv, int vector)
{
	uint32_t pin;

	for (pin = 0; pin < HV_VMX_IOAPIC_PINS; pin++) {
		if ((xv->ioapic.redir[pin] & 0xff) != (uint64_t)vector ||
		    !(xv->ioapic.redir[pin] & REDIR_REMOTE_IRR))
			continue;
		xv->ioapic.redir[pin] &= ~REDIR_REMOTE_IRR;
		hv_vmx_ioapic_service(xv, pin, false);
	}
}

void hv_vmx_ioapic_access(struct hv_vmx_vm *xv, uint32_t off, bool is_write, uint64_t *data)
{
	struct hv_vmx_ioapic *io = &xv->ioapic;
	uint32_t v = (uint32_t)*data, r = 0;

	if (off == 0x00) {
		if (is_write)
			io->sel = v & 0xff;
		else
			r = io->sel;
	} else if (off == 0x10) {
		uint32_t sel = io->sel;

		if (sel == 0) {
			if (is_write)
				io->id = (v >> 24) & 0xf;
			r = io->id << 24;
		} else if (sel == 1) {
			r = ((HV_VMX_IOAPIC_PINS - 1) << 16) | 0x11;
		} else if (sel >= 0x10 && sel < 0x10 + 2 * HV_VMX_IOAPIC_PINS) {
			uint32_t pin = (sel - 0x10) / 2;
			uint64_t *e = &io->redir[pin];

			if (is_write && (sel & 1)) {
				*e = (*e & 0xffffffffull) | (uint64_t)(v & 0xff000000u) << 32;
			} else if (is_write) {
				/*
				 * Delivery status and remote IRR are read-only, but an edge-triggered
				 * pin has no remote IRR: Linux ends a level interrupt on IOAPICs
				 * without an EOI register by switching the pin to edge and back.
				 */
				*e = (*e & ~0x1afffull) | (v & 0x1afffu);
				if (!(*e & REDIR_LEVEL))
					*e &= ~REDIR_REMOTE_IRR;
				hv_vmx_ioapic_service(xv, pin, false);
			}
			r = (sel & 1) ? (uint32_t)(*e >> 32) : (uint32_t)*e;
		}
	}
	if (!is_write)
		*data = r;
}
