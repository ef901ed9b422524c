/* SPDX-License-Identifier: MIT */
/*
 * An Arm PrimeCell real-time clock (PL031) after its Technical Reference Manual (DDI 0224):
 * a 32-bit seconds counter (RTCDR), match (RTCMR), load (RTCLR), control (RTCCR), interrupt
 * mask/raw/masked/clear and the PrimeCell ID registers.
 *
 * The counter is the platform's wall clock in seconds plus an offset that RTCLR writes set, so
 * it keeps counting while the VM is paused, as a battery-backed clock would. It runs from
 * power-on (RTCCR reads 1, as on QEMU's model; a guest's start write is harmless): there is no
 * clock a guest could need to start. The match interrupt comes from a platform timer armed for
 * the second at which RTCDR reaches RTCMR, so it fires without guest exits; hence the device
 * needs timers. The timer is re-armed at least daily, which also follows host clock steps.
 * Accesses: 4 bytes at word-aligned offsets; anything else reads 0 and is ignored on write.
 */
#include "hv_internal.h"

#define PL031_WINDOW 0x1000u
#define NS_PER_S 1000000000ull
#define PL031_MAX_WAIT_S 86400u
#define PL031_LATE_S 16u /* a match seen this late by the timer still counts */

#define REG_DR 0x00
#define REG_MR 0x04
#define REG_LR 0x08
#define REG_CR 0x0c
#define REG_IMSC 0x10
#define REG_RIS 0x14
#define REG_MIS 0x18
#define REG_ICR 0x1c
#define REG_ID 0xfe0

static const uint8_t pl031_id[8] = { 0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

struct pl031 {
	void *lock;
	void *timer;
	hv_irq_line_t *line;
	int64_t offset; /* RTCDR = wall-clock seconds + offset (mod 2^32) */
	uint32_t mr, lr, imsc, ris;
	bool expect; /* a match is awaited (the timer is armed for it) */
	bool dying;  /* destroy has begun: the timer is not armed again */
	bool level;
};

static uint32_t pl031_now(const struct pl031 *r, uint64_t *frac_ns)
{
	uint64_t ns = hv__realtime_ns();

	if (frac_ns != NULL)
		*frac_ns = ns % NS_PER_S;
	return (uint32_t)((int64_t)(ns / NS_PER_S) + r->offset);
}

static void pl031_update_irq(struct pl031 *r)
{
	bool level = (r->ris & r->imsc) != 0;

	if (level == r->level)
		return;
	r->level = level;
	if (level)
		hv_irq_line_raise(r->line);
	else
		hv_irq_line_lower(r->line);
}

/* Match now, or arm the timer for the second RTCDR reaches RTCMR. */
static void pl031_schedule(struct pl031 *r)
{
	uint64_t frac;
	uint32_t wait = r->mr - pl031_now(r, &frac);

	if (wait == 0) {
		r->ris |= 1;
		r->expect = false;
		return;
	}
	r->expect = true;
	if (r->dying)
		return;
	if (wait > PL031_MAX_WAIT_S)
		wait = PL031_MAX_WAIT_S;
	hv__timer_arm(r->timer, hv__time_ns() + (uint64_t)wait * NS_PER_S - frac);
}

static void pl031_timer(void *arg)
{
	struct pl031 *r = arg;

	hv__lock(r->lock);
	if (r->expect) {
		uint32_t past = pl031_now(r, NULL) - r->mr;

		if (past < PL031_LATE_S) {
			r->ris |= 1;
			r->expect = false;
		} else {
			pl031_schedule(r);
		}
		pl031_update_irq(r);
	}
	hv__unlock(r->lock);
}

static void pl031_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	struct pl031 *r = ctx;
	uint32_t v = 0;

	*value = 0;
	if (width != 4 || (offset & 3) != 0 || offset >= PL031_WINDOW) {
		HV_LOGD("pl031: read of %u bytes at 0x%llx ignored", width,
			(unsigned long long)offset);
		return;
	}
	if (offset >= REG_ID) {
		*value = pl031_id[(offset - REG_ID) / 4];
		return;
	}
	hv__lock(r->lock);
	switch (offset) {
	case REG_DR:
		v = pl031_now(r, NULL);
		break;
	case REG_MR:
		v = r->mr;
		break;
	case REG_LR:
		v = r->lr;
		break;
	case REG_CR:
		v = 1;
		break;
	case REG_IMSC:
		v = r->imsc;
		break;
	case REG_RIS:
		v = r->ris;
		break;
	case REG_MIS:
		v = r->ris & r->imsc;
		break;
	default:
		HV_LOGD("pl031: read of unknown or write-only register 0x%llx",
			(unsigned long long)offset);
		break;
	}
	hv__unlock(r->lock);
	*value = v;
}

static void pl031_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct pl031 *r = ctx;
	uint32_t v = (uint32_t)value;

	if (width != 4 || (offset & 3) != 0 || offset >= PL031_WINDOW) {
		HV_LOGD("pl031: write of %u bytes at 0x%llx ignored", width,
			(unsigned long long)offset);
		return;
	}
	hv__lock(r->lock);
	switch (offset) {
	case REG_MR:
		r->mr = v;
		pl031_schedule(r);
		break;
	case REG_LR:
		r->lr = v;
		r->offset = (int64_t)v - (int64_t)(hv__realtime_ns() / NS_PER_S);
		pl031_schedule(r);
		break;
	case REG_CR:
		break;
	case REG_IMSC:
		r->imsc = v & 1;
		break;
	case REG_ICR:
		r->ris &= ~(v & 1);
		break;
	default:
		HV_LOGD("pl031: write 0x%x to unknown or read-only register 0x%llx ignored", v,
			(unsigned long long)offset);
		break;
	}
	pl031_update_irq(r);
	hv__unlock(r->lock);
}

/*
 * A VM reset is a system reset of the chip but not of the time it keeps (the counter is
 * battery-backed in the machines that have one): offset and load value survive.
 */
static void pl031_reset(void *ctx)
{
	struct pl031 *r = ctx;

	hv__timer_cancel(r->timer);
	hv__lock(r->lock);
	r->mr = 0;
	r->imsc = 0;
	r->ris = 0;
	r->expect = false;
	r->level = false;
	hv__unlock(r->lock);
}

static void pl031_free(struct pl031 *r)
{
	hv__timer_destroy(r->timer);
	hv__lock_destroy(r->lock);
	hv__free(r, sizeof(*r));
}

static void pl031_destroy(void *ctx)
{
	struct pl031 *r = ctx;

	/* A running callback may re-arm the timer until it sees this; then cancelling is final. */
	hv__lock(r->lock);
	r->dying = true;
	hv__unlock(r->lock);
	pl031_free(r);
}

static const hv_device_ops_t pl031_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = pl031_read,
	.write = pl031_write,
	.reset = pl031_reset,
	.destroy = pl031_destroy,
};

static const struct hv__devclass pl031_class = {
	.kind = HV__DEV_OTHER,
	.fdt_kind = HV_FDT_DEV_PL031,
};

hv_status_t hv_pl031_add(hv_vm_t *vm, const hv_pl031_config_t *config, hv_device_t **device)
{
	hv_device_config_t dc = HV_DEVICE_CONFIG_INIT;
	struct pl031 *r;
	hv_status_t st;

	if (vm == NULL || config == NULL)
		return HV_ERR_INVALID_ARG;
	if (HV__CHECK_STRUCT(config, hv_pl031_config_t) != HV_OK)
		return HV_ERR_ABI;
	if (!hv__have_timers())
		return HV_ERR_UNSUPPORTED;

	r = hv__alloc(sizeof(*r));
	if (r == NULL)
		return HV_ERR_NO_MEMORY;
	r->lock = hv__lock_create();
	r->timer = hv__timer_create(pl031_timer, r);
	st = HV_ERR_NO_MEMORY;
	if (r->lock == NULL || r->timer == NULL)
		goto err;

	dc.name = config->name != NULL ? config->name : "pl031";
	dc.bus = HV_BUS_MMIO;
	dc.base = config->base;
	dc.size = PL031_WINDOW;
	dc.ops = &pl031_ops;
	dc.ctx = r;
	st = hv__libdev_add(vm, &dc, &pl031_class, config->irq, &r->line, device);
	if (st != HV_OK)
		goto err;
	return HV_OK;
err:
	pl031_free(r);
	return st;
}
