/* SPDX-License-Identifier: MIT */
/*
 * The ACPI fixed-hardware PM registers of a PC (ACPI 6.3, 4.8.3), one port device of
 * HV_PC_PM_SIZE bytes:
 *
 *   +0  PM1_STS  write 1 to clear. TMR_STS (bit 0) is set whenever bit 31 of the timer
 *                changed since it was last cleared (computed when read); nothing else is ever
 *                set: no buttons, no wake events.
 *   +2  PM1_EN   stored (TMR_EN, GBL_EN, PWRBTN_EN, ...) but no event raises the SCI, so
 *                the device has no interrupt line.
 *   +4  PM1_CNT  SCI_EN (bit 0) reads 1: ACPI mode is always on (the FADT has no SMI_CMD).
 *                SLP_TYP (bits 10-12) is stored; SLP_EN (bit 13) is write-only: writing it
 *                with SLP_TYP 5 (the \_S5_ of the DSDT) powers off, i.e. the run ends with
 *                HV_EVENT_GUEST_SHUTDOWN; other sleep types are logged at debug level and
 *                ignored (the guest goes on running, as if it woke up at once).
 *   +6  reserved, reads ones
 *   +8  PM_TMR   3.579545 MHz, 32 bits (TMR_VAL_EXT), counting from the device's power-on;
 *                read-only.
 *
 * Accesses of 1, 2 and 4 bytes at any offset are split into bytes, so a guest can read the
 * status and enable registers as one dword, as ACPICA reads PM1 blocks.
 */
#include "pc.h"

#define PM1_STS_TMR (1u << 0)
#define PM1_EN_MASK 0x4721u /* TMR, GBL, PWRBTN, SLPBTN, RTC, PCIEXP_WAKE_DIS */
#define PM1_CNT_SCI_EN (1u << 0)
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP (7u << PM1_CNT_SLP_TYP_SHIFT)
#define PM1_CNT_SLP_EN (1u << 13)
#define PM1_CNT_MASK 0x1c02u /* BM_RLD, SLP_TYP; GBL_RLS and SLP_EN are write-only */
#define PM_TMR_HZ 3579545ull
#define NS_PER_S 1000000000ull

struct pm {
	hv_vm_t *vm;
	void *lock;
	uint64_t epoch_ns; /* power-on time of the timer */
	uint32_t tmr_half; /* bit 31 of the timer when TMR_STS was last cleared */
	uint16_t sts, en, cnt;
};

/* Timer ticks since power-on, without 128-bit arithmetic (no libgcc in firmware). */
static uint32_t pm_timer(const struct pm *p)
{
	uint64_t ns = hv__time_ns() - p->epoch_ns;

	return (uint32_t)((ns / NS_PER_S) * PM_TMR_HZ + (ns % NS_PER_S) * PM_TMR_HZ / NS_PER_S);
}

static uint8_t pm_read_byte(struct pm *p, uint64_t offset, uint32_t tmr)
{
	uint16_t sts = p->sts;

	if ((tmr >> 31) != p->tmr_half)
		sts |= PM1_STS_TMR;
	switch (offset) {
	case 0:
	case 1:
		return (uint8_t)(sts >> (8 * offset));
	case 2:
	case 3:
		return (uint8_t)(p->en >> (8 * (offset - 2)));
	case 4:
	case 5:
		return (uint8_t)((p->cnt | PM1_CNT_SCI_EN) >> (8 * (offset - 4)));
	case 8:
	case 9:
	case 10:
	case 11:
		return (uint8_t)(tmr >> (8 * (offset - 8)));
	default:
		return 0xff;
	}
}

/* Returns true when the byte asks for soft-off. */
static bool pm_write_byte(struct pm *p, uint64_t offset, uint8_t v, uint32_t tmr)
{
	unsigned shift = 8 * (unsigned)(offset & 1);
	uint16_t bits = (uint16_t)(v << shift);
	uint16_t keep = (uint16_t) ~(0xffu << shift);
	uint32_t typ;

	switch (offset) {
	case 0:
	case 1:
		if (bits & PM1_STS_TMR)
			p->tmr_half = tmr >> 31;
		p->sts &= (uint16_t)~bits;
		return false;
	case 2:
	case 3:
		p->en = (uint16_t)((p->en & keep) | (bits & PM1_EN_MASK));
		return false;
	case 4:
	case 5:
		p->cnt = (uint16_t)((p->cnt & keep) | (bits & PM1_CNT_MASK));
		if (!(bits & PM1_CNT_SLP_EN))
			return false;
		typ = (p->cnt & PM1_CNT_SLP_TYP) >> PM1_CNT_SLP_TYP_SHIFT;
		if (typ == HV__PM_SLP_TYP_S5)
			return true;
		HV_LOGD("vm %s: sleep type %u ignored", p->vm->name, typ);
		return false;
	default:
		return false; /* the timer is read-only; the rest is reserved */
	}
}

static void pm_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	struct pm *p = ctx;
	uint64_t v = 0;
	uint32_t i, tmr;

	hv__lock(p->lock);
	tmr = pm_timer(p);
	for (i = 0; i < width && i < 8; i++)
		v |= (uint64_t)pm_read_byte(p, offset + i, tmr) << (8 * i);
	hv__unlock(p->lock);
	*value = v;
}

static void pm_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct pm *p = ctx;
	bool off = false;
	uint32_t i, tmr;

	hv__lock(p->lock);
	tmr = pm_timer(p);
	for (i = 0; i < width && i < 8; i++)
		off |= pm_write_byte(p, offset + i, (uint8_t)(value >> (8 * i)), tmr);
	hv__unlock(p->lock);
	if (off) {
		HV_LOGD("vm %s: powered off through PM1_CNT", p->vm->name);
		hv__vm_stop(p->vm, HV_EVENT_GUEST_SHUTDOWN, NULL, NULL);
	}
}

static void pm_power_on(struct pm *p)
{
	p->epoch_ns = hv__time_ns();
	p->tmr_half = 0;
	p->sts = 0;
	p->en = 0;
	p->cnt = 0;
}

static void pm_reset(void *ctx)
{
	struct pm *p = ctx;

	hv__lock(p->lock);
	pm_power_on(p);
	hv__unlock(p->lock);
}

static void pm_destroy(void *ctx)
{
	struct pm *p = ctx;

	hv__lock_destroy(p->lock);
	hv__free(p, sizeof(*p));
}

static const hv_device_ops_t pm_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = pm_read,
	.write = pm_write,
	.reset = pm_reset,
	.destroy = pm_destroy,
};

hv_status_t hv__pm_add(hv_vm_t *vm, uint16_t port, hv_device_t **device)
{
	hv_device_config_t dc = HV_DEVICE_CONFIG_INIT;
	struct pm *p = hv__alloc(sizeof(*p));
	hv_status_t st;

	if (p == NULL)
		return HV_ERR_NO_MEMORY;
	p->vm = vm;
	p->lock = hv__lock_create();
	if (p->lock == NULL) {
		hv__free(p, sizeof(*p));
		return HV_ERR_NO_MEMORY;
	}
	pm_power_on(p);
	dc.name = "acpi-pm";
	dc.bus = HV_BUS_PIO;
	dc.base = port;
	dc.size = HV_PC_PM_SIZE;
	dc.ops = &pm_ops;
	dc.ctx = p;
	st = hv__libdev_add(vm, &dc, NULL, HV__NO_IRQ, NULL, device);
	if (st != HV_OK)
		pm_destroy(p);
	return st;
}
