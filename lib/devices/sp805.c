/* SPDX-License-Identifier: MIT */
/*
 * An Arm SP805 watchdog after its Technical Reference Manual (DDI 0270): a 32-bit down-counter
 * clocked at WDOGCLK, load, value, control (INTEN, RESEN), interrupt clear, raw and masked
 * interrupt status, lock, integration test registers and the PrimeCell ID registers.
 *
 * The counter is computed from the platform's monotonic clock; a platform timer fires at each
 * time-out, so the watchdog bites even when the guest is hung without exits (the device needs
 * timers). A period is WdogLoad + 1 ticks (the counter counts WdogLoad..0), as Linux's driver
 * assumes. On a time-out: without a pending interrupt, the interrupt is raised and the counter
 * reloads; with one still pending and RESEN set, the VM stops with HV_EVENT_WATCHDOG. While the
 * VM is paused by the host a time-out only restarts the count (the guest cannot service a
 * watchdog while it does not run); once the VM is stopped the counter halts until a reset.
 * Integration test mode drives the interrupt line from ITOP's WDOGINT bit; its WDOGRES bit is
 * stored but resets nothing. Accesses: 4 bytes at
 * word-aligned offsets; anything else reads 0 and is ignored on write.
 */
#include "hv_internal.h"

#define SP805_WINDOW 0x1000u
#define NS_PER_S 1000000000ull

#define REG_LOAD 0x000
#define REG_VALUE 0x004
#define REG_CONTROL 0x008
#define REG_INTCLR 0x00c
#define REG_RIS 0x010
#define REG_MIS 0x014
#define REG_LOCK 0xc00
#define REG_ITCR 0xf00
#define REG_ITOP 0xf04
#define REG_ID 0xfe0

#define CTRL_INTEN 0x1u
#define CTRL_RESEN 0x2u
#define UNLOCK_KEY 0x1acce551u
#define ITOP_WDOGINT 0x2u

static const uint8_t sp805_id[8] = { 0x05, 0x18, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

struct sp805 {
	hv_vm_t *vm;
	void *lock;
	void *timer;
	hv_irq_line_t *line;
	uint64_t hz;
	uint32_t load, control, ris, itcr, itop;
	bool locked;
	bool fired;        /* the reset output was asserted: the VM was stopped */
	bool dying;        /* destroy has begun: the timer is not armed again */
	uint64_t start;    /* time_ns when the counter last held WdogLoad */
	uint64_t deadline; /* time_ns of the next time-out, while counting */
	bool level;
};

/* ticks * 1e9 / hz and back, without 128-bit arithmetic (freestanding: no libgcc). */
static uint64_t ticks_to_ns(uint64_t ticks, uint64_t hz)
{
	return ticks / hz * NS_PER_S + ticks % hz * NS_PER_S / hz;
}

static uint64_t ns_to_ticks(uint64_t ns, uint64_t hz)
{
	return ns / NS_PER_S * hz + ns % NS_PER_S * hz / NS_PER_S;
}

static bool sp805_counting(const struct sp805 *w)
{
	return (w->control & CTRL_INTEN) != 0 && !w->fired;
}

static void sp805_update_irq(struct sp805 *w)
{
	bool level = (w->itcr & 1) ? (w->itop & ITOP_WDOGINT) != 0 :
				     (w->ris != 0 && (w->control & CTRL_INTEN) != 0);

	if (level == w->level)
		return;
	w->level = level;
	if (level)
		hv_irq_line_raise(w->line);
	else
		hv_irq_line_lower(w->line);
}

/* Restart the count from WdogLoad at @p now and arm the timer for its time-out. */
static void sp805_reload(struct sp805 *w, uint64_t now)
{
	w->start = now;
	if (!sp805_counting(w))
		return;
	w->deadline = now + ticks_to_ns((uint64_t)w->load + 1, w->hz);
	if (!w->dying)
		hv__timer_arm(w->timer, w->deadline);
}

static uint32_t sp805_value(const struct sp805 *w)
{
	uint64_t ticks;

	if (!sp805_counting(w))
		return w->load;
	ticks = ns_to_ticks(hv__time_ns() - w->start, w->hz);
	return ticks >= w->load ? 0 : w->load - (uint32_t)ticks;
}

static void sp805_timer(void *arg)
{
	struct sp805 *w = arg;
	uint64_t now = hv__time_ns();
	bool bite = false;

	hv__lock(w->lock);
	if (!sp805_counting(w)) {
		hv__unlock(w->lock);
		return;
	}
	if (now < w->deadline) {
		/* Reloaded since this expiry was armed: the timer is armed for the new one. */
		hv__unlock(w->lock);
		return;
	}
	if (hv__vm_state(w->vm) == HV_VM_STOPPED) {
		/* Only a reset (which stops the counter) brings the VM back. */
	} else if (hv__vm_state(w->vm) != HV_VM_RUNNING) {
		sp805_reload(w, now);
	} else if (w->ris != 0 && (w->control & CTRL_RESEN)) {
		w->fired = true;
		bite = true;
	} else {
		w->ris = 1;
		sp805_reload(w, w->deadline);
	}
	sp805_update_irq(w);
	hv__unlock(w->lock);
	/* Last: the VM's event handlers run here, and may do anything but destroy the VM. */
	if (bite) {
		HV_LOGI("vm %s: watchdog expired", w->vm->name);
		hv__vm_stop(w->vm, HV_EVENT_WATCHDOG, NULL, NULL);
	}
}

static uint32_t sp805_reg_read(struct sp805 *w, uint64_t off)
{
	switch (off) {
	case REG_LOAD:
		return w->load;
	case REG_VALUE:
		return sp805_value(w);
	case REG_CONTROL:
		return w->control;
	case REG_RIS:
		return w->ris;
	case REG_MIS:
		return (w->control & CTRL_INTEN) ? w->ris : 0;
	case REG_LOCK:
		return w->locked ? 1 : 0;
	case REG_ITCR:
		return w->itcr;
	default:
		HV_LOGD("sp805: read of unknown or write-only register 0x%llx",
			(unsigned long long)off);
		return 0;
	}
}

static void sp805_reg_write(struct sp805 *w, uint64_t off, uint32_t v)
{
	uint64_t now = hv__time_ns();

	if (off == REG_LOCK) {
		w->locked = v != UNLOCK_KEY;
		return;
	}
	if (w->locked) {
		HV_LOGD("sp805: write to 0x%llx while locked ignored", (unsigned long long)off);
		return;
	}
	switch (off) {
	case REG_LOAD:
		w->load = v;
		sp805_reload(w, now);
		break;
	case REG_CONTROL:
		v &= CTRL_INTEN | CTRL_RESEN;
		if ((v & CTRL_INTEN) && !(w->control & CTRL_INTEN)) {
			w->control = v;
			sp805_reload(w, now);
		} else {
			if (!(v & CTRL_INTEN) && (w->control & CTRL_INTEN))
				w->start = now; /* stopped: Value reads back WdogLoad */
			w->control = v;
		}
		break;
	case REG_INTCLR:
		w->ris = 0;
		sp805_reload(w, now);
		break;
	case REG_ITCR:
		w->itcr = v & 1;
		break;
	case REG_ITOP:
		w->itop = v & 3;
		break;
	default:
		HV_LOGD("sp805: write 0x%x to unknown or read-only register 0x%llx ignored", v,
			(unsigned long long)off);
		break;
	}
}

static bool sp805_valid(uint64_t offset, uint32_t width)
{
	return width == 4 && (offset & 3) == 0 && offset < SP805_WINDOW;
}

static void sp805_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	struct sp805 *w = ctx;

	*value = 0;
	if (!sp805_valid(offset, width)) {
		HV_LOGD("sp805: read of %u bytes at 0x%llx ignored", width,
			(unsigned long long)offset);
		return;
	}
	if (offset >= REG_ID) {
		*value = sp805_id[(offset - REG_ID) / 4];
		return;
	}
	hv__lock(w->lock);
	*value = sp805_reg_read(w, offset);
	hv__unlock(w->lock);
}

static void sp805_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct sp805 *w = ctx;

	if (!sp805_valid(offset, width)) {
		HV_LOGD("sp805: write of %u bytes at 0x%llx ignored", width,
			(unsigned long long)offset);
		return;
	}
	hv__lock(w->lock);
	sp805_reg_write(w, offset, (uint32_t)value);
	sp805_update_irq(w);
	hv__unlock(w->lock);
}

static void sp805_power_on(struct sp805 *w)
{
	w->load = 0xffffffffu;
	w->control = 0;
	w->ris = 0;
	w->itcr = 0;
	w->itop = 0;
	w->locked = false;
	w->fired = false;
	w->start = 0;
	w->deadline = 0;
	w->level = false;
}

/* Reset stops the counter: disable first (an expiry already running sees it), then cancel. */
static void sp805_reset(void *ctx)
{
	struct sp805 *w = ctx;

	hv__lock(w->lock);
	sp805_power_on(w);
	hv__unlock(w->lock);
	hv__timer_cancel(w->timer);
}

static void sp805_free(struct sp805 *w)
{
	hv__timer_destroy(w->timer);
	hv__lock_destroy(w->lock);
	hv__free(w, sizeof(*w));
}

static void sp805_destroy(void *ctx)
{
	struct sp805 *w = ctx;

	/* A running callback may re-arm the timer until it sees this; then cancelling is final. */
	hv__lock(w->lock);
	w->dying = true;
	hv__unlock(w->lock);
	sp805_free(w);
}

static const hv_device_ops_t sp805_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = sp805_read,
	.write = sp805_write,
	.reset = sp805_reset,
	.destroy = sp805_destroy,
};

static const struct hv__devclass sp805_class = {
	.kind = HV__DEV_OTHER,
};

hv_status_t hv_sp805_add(hv_vm_t *vm, const hv_sp805_config_t *config, hv_device_t **device)
{
	hv_device_config_t dc = HV_DEVICE_CONFIG_INIT;
	struct sp805 *w;
	hv_status_t st;

	if (vm == NULL || config == NULL)
		return HV_ERR_INVALID_ARG;
	if (HV__CHECK_STRUCT(config, hv_sp805_config_t) != HV_OK)
		return HV_ERR_ABI;
	if (!hv__have_timers())
		return HV_ERR_UNSUPPORTED;

	w = hv__alloc(sizeof(*w));
	if (w == NULL)
		return HV_ERR_NO_MEMORY;
	w->vm = vm;
	w->hz = config->clock_hz != 0 ? config->clock_hz : 1000000u;
	w->lock = hv__lock_create();
	w->timer = hv__timer_create(sp805_timer, w);
	st = HV_ERR_NO_MEMORY;
	if (w->lock == NULL || w->timer == NULL)
		goto err;
	sp805_power_on(w);

	dc.name = config->name != NULL ? config->name : "sp805";
	dc.bus = HV_BUS_MMIO;
	dc.base = config->base;
	dc.size = SP805_WINDOW;
	dc.ops = &sp805_ops;
	dc.ctx = w;
	st = hv__libdev_add(vm, &dc, &sp805_class, config->irq, &w->line, device);
	if (st != HV_OK)
		goto err;
	return HV_OK;
err:
	sp805_free(w);
	return st;
}
