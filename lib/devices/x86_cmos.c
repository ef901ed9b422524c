/* SPDX-License-Identifier: MIT */
/*
 * The PC's real-time clock, one of the pieces hv_x86_platform_add() puts on the port bus
 * (x86_platform.c):
 *
 * - CMOS (0x70-0x71): a Motorola MC146818A real-time clock and 128 bytes of CMOS memory.
 *   The time is the platform's wall clock plus an offset the guest sets by writing the time
 *   registers (with SET in register B: frozen while set, as the chip inhibits updates).
 *   BCD or binary per DM, 24 or 12 hours per register B. Day of week is computed from the date
 *   (writes to it are ignored). UIP reads 1 in the last 244 us before each second boundary,
 *   the chip's warning time, so a guest that waits for UIP to clear reads a consistent time.
 *   Register C reports UF (a second passed since it was last read), AF (the alarm matches the
 *   current time) and PF (a period of the rate in register A passed); on platforms with timers
 *   a timer also raises them at their time while their interrupt is enabled, and the line is
 *   IRQF (an enabled flag pending) until register C is read. Without timers the flags are
 *   only seen when register C is read, and there are no interrupts. Square wave and daylight
 *   saving are not modelled. The NMI mask bit of port 0x70 is stored (there is no NMI source).
 *   Port 0x70 reads 0xff. CMOS memory and the time survive a VM reset (battery-backed); the
 *   reset clears PIE, AIE, UIE, SQWE and the flags, as the chip's RESET pin does.
 */
#include "x86_platform.h"

#define NS_PER_S 1000000000ll

/* ---- MC146818 RTC and CMOS memory ------------------------------------------------------------ */

#define RTC_SEC 0x00
#define RTC_SEC_ALARM 0x01
#define RTC_MIN 0x02
#define RTC_MIN_ALARM 0x03
#define RTC_HOUR 0x04
#define RTC_HOUR_ALARM 0x05
#define RTC_WDAY 0x06
#define RTC_MDAY 0x07
#define RTC_MON 0x08
#define RTC_YEAR 0x09
#define RTC_A 0x0a
#define RTC_B 0x0b
#define RTC_C 0x0c
#define RTC_D 0x0d
#define RTC_CENTURY 0x32

#define A_UIP 0x80u
#define B_SET 0x80u
#define B_PIE 0x40u
#define B_AIE 0x20u
#define B_UIE 0x10u
#define B_SQWE 0x08u
#define B_DM_BINARY 0x04u
#define B_24H 0x02u
#define C_IRQF 0x80u
#define C_PF 0x40u
#define C_AF 0x20u
#define C_UF 0x10u
#define D_VRT 0x80u

#define RTC_UIP_NS 244000ll

struct rtc_tm {
	int64_t year;
	int mon, mday, hour, min, sec, wday;
};

struct hv__cmos {
	void *lock;
	void *timer; /* NULL on platforms without timers */
	hv_irq_line_t *line;
	uint8_t index;
	bool nmi_masked;
	uint8_t mem[128]; /* registers A, B, the alarms and the memory; time comes from the clock */
	int64_t offset;   /* guest seconds = wall-clock seconds + offset */
	struct rtc_tm frozen; /* the time while SET is on */
	uint8_t flags;        /* PF, AF, UF */
	int64_t last_c_s;     /* guest second when register C was last read */
	uint64_t last_c_ns;   /* time_ns likewise, for PF */
	int64_t timer_s;      /* the last second the timer handled */
	uint64_t next_pf;     /* time_ns of the next periodic tick the timer handles */
	bool dying;           /* destroy has begun: the timer is not armed again */
	bool level;
};

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, struct rtc_tm *tm)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	tm->year = yoe + era * 400 + (tm->mon <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void tm_from_secs(int64_t s, struct rtc_tm *tm)
{
	int64_t days = floor_div(s, 86400), sod = s - days * 86400;

	civil_from_days(days, tm);
	tm->hour = (int)(sod / 3600);
	tm->min = (int)(sod / 60 % 60);
	tm->sec = (int)(sod % 60);
	tm->wday = (int)(days - floor_div(days + 4, 7) * 7 + 4); /* 1970-01-01 was a Thursday */
}

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Garbage from the guest is clamped into a real date; a day past the month's end rolls on. */
static int64_t tm_to_secs(const struct rtc_tm *tm)
{
	int64_t days = days_from_civil(tm->year, clamp(tm->mon, 1, 12), clamp(tm->mday, 1, 31));

	return days * 86400 + clamp(tm->hour, 0, 23) * 3600 + clamp(tm->min, 0, 59) * 60 +
	       clamp(tm->sec, 0, 59);
}

static int64_t cmos_wall_s(uint64_t *frac_ns)
{
	uint64_t ns = hv__realtime_ns();

	if (frac_ns != NULL)
		*frac_ns = ns % NS_PER_S;
	return (int64_t)(ns / NS_PER_S);
}

static void cmos_now(const struct hv__cmos *c, struct rtc_tm *tm)
{
	if (c->mem[RTC_B] & B_SET)
		*tm = c->frozen;
	else
		tm_from_secs(cmos_wall_s(NULL) + c->offset, tm);
}

static uint8_t cmos_enc(const struct hv__cmos *c, int v)
{
	if (c->mem[RTC_B] & B_DM_BINARY)
		return (uint8_t)v;
	return (uint8_t)((v / 10 % 10) << 4 | v % 10);
}

static int cmos_dec(const struct hv__cmos *c, uint8_t v)
{
	if (c->mem[RTC_B] & B_DM_BINARY)
		return v;
	return (v >> 4) * 10 + (v & 0xf);
}

static uint8_t cmos_enc_hour(const struct hv__cmos *c, int hour)
{
	int h12;

	if (c->mem[RTC_B] & B_24H)
		return cmos_enc(c, hour);
	h12 = hour % 12 == 0 ? 12 : hour % 12;
	return (uint8_t)(cmos_enc(c, h12) | (hour >= 12 ? 0x80 : 0));
}

static int cmos_dec_hour(const struct hv__cmos *c, uint8_t v)
{
	int h;

	if (c->mem[RTC_B] & B_24H)
		return cmos_dec(c, v);
	h = cmos_dec(c, v & 0x7f) % 12;
	return h + ((v & 0x80) ? 12 : 0);
}

static uint8_t cmos_time_reg(const struct hv__cmos *c, const struct rtc_tm *tm, unsigned int reg)
{
	switch (reg) {
	case RTC_SEC:
		return cmos_enc(c, tm->sec);
	case RTC_MIN:
		return cmos_enc(c, tm->min);
	case RTC_HOUR:
		return cmos_enc_hour(c, tm->hour);
	case RTC_WDAY:
		return cmos_enc(c, tm->wday + 1);
	case RTC_MDAY:
		return cmos_enc(c, tm->mday);
	case RTC_MON:
		return cmos_enc(c, tm->mon);
	case RTC_YEAR:
		return cmos_enc(c, (int)(tm->year % 100));
	default:
		return cmos_enc(c, (int)(tm->year / 100 % 100));
	}
}

static bool cmos_is_time_reg(unsigned int reg)
{
	return reg == RTC_SEC || reg == RTC_MIN || reg == RTC_HOUR || reg == RTC_WDAY ||
	       reg == RTC_MDAY || reg == RTC_MON || reg == RTC_YEAR || reg == RTC_CENTURY;
}

static void cmos_write_time(struct hv__cmos *c, unsigned int reg, uint8_t v)
{
	struct rtc_tm tm;

	cmos_now(c, &tm);
	switch (reg) {
	case RTC_SEC:
		tm.sec = cmos_dec(c, v);
		break;
	case RTC_MIN:
		tm.min = cmos_dec(c, v);
		break;
	case RTC_HOUR:
		tm.hour = cmos_dec_hour(c, v);
		break;
	case RTC_MDAY:
		tm.mday = cmos_dec(c, v);
		break;
	case RTC_MON:
		tm.mon = cmos_dec(c, v);
		break;
	case RTC_YEAR:
		tm.year = tm.year / 100 * 100 + cmos_dec(c, v) % 100;
		break;
	case RTC_CENTURY:
		tm.year = (int64_t)(cmos_dec(c, v) % 100) * 100 + tm.year % 100;
		break;
	default:
		return; /* day of week follows the date */
	}
	if (c->mem[RTC_B] & B_SET)
		c->frozen = tm; /* raw: converted when SET clears */
	else
		c->offset = tm_to_secs(&tm) - cmos_wall_s(NULL);
}

static bool cmos_alarm_matches(const struct hv__cmos *c, const struct rtc_tm *tm)
{
	static const uint8_t regs[3][2] = { { RTC_SEC_ALARM, RTC_SEC },
					    { RTC_MIN_ALARM, RTC_MIN },
					    { RTC_HOUR_ALARM, RTC_HOUR } };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		uint8_t a = c->mem[regs[i][0]];

		if ((a & 0xc0) != 0xc0 && a != cmos_time_reg(c, tm, regs[i][1]))
			return false;
	}
	return true;
}

/* The periodic interrupt's period from RS (0: none); rates 1 and 2 equal 8 and 9. */
static uint64_t cmos_period_ns(const struct hv__cmos *c)
{
	unsigned int rs = c->mem[RTC_A] & 0xf;

	if (rs == 0)
		return 0;
	if (rs < 3)
		rs += 7;
	return (1000000000ull << rs) / 65536;
}

/* Periodic ticks: a rate selected and the divider not held in reset. */
static bool cmos_ticking(const struct hv__cmos *c)
{
	return cmos_period_ns(c) != 0 && (c->mem[RTC_A] & 0x70) != 0x70;
}

static bool cmos_updating(const struct hv__cmos *c)
{
	/* Divider in normal operation (DV = 010) and SET off: the clock ticks. */
	return (c->mem[RTC_A] & 0x70) == 0x20 && !(c->mem[RTC_B] & B_SET);
}

static void cmos_update_irq(struct hv__cmos *c)
{
	bool level = (c->flags & c->mem[RTC_B] & (C_PF | C_AF | C_UF)) != 0;

	if (level == c->level)
		return;
	c->level = level;
	if (level)
		hv_irq_line_raise(c->line);
	else
		hv_irq_line_lower(c->line);
}

/* Arm the timer for the next event whose interrupt is enabled. */
static void cmos_schedule(struct hv__cmos *c)
{
	uint64_t now = hv__time_ns(), deadline = UINT64_MAX, period;
	uint8_t b = c->mem[RTC_B];

	if (c->timer == NULL || c->dying)
		return;
	if ((b & (B_UIE | B_AIE)) && cmos_updating(c)) {
		uint64_t frac;

		c->timer_s = cmos_wall_s(&frac) + c->offset;
		deadline = now + (uint64_t)NS_PER_S - frac;
	}
	period = cmos_period_ns(c);
	if ((b & B_PIE) && cmos_ticking(c)) {
		if (c->next_pf <= now || c->next_pf > now + period)
			c->next_pf = now + period;
		if (c->next_pf < deadline)
			deadline = c->next_pf;
	}
	if (deadline != UINT64_MAX)
		hv__timer_arm(c->timer, deadline);
}

static void cmos_timer(void *arg)
{
	struct hv__cmos *c = arg;
	uint64_t now = hv__time_ns();
	uint8_t b;

	hv__lock(c->lock);
	b = c->mem[RTC_B];
	if ((b & (B_UIE | B_AIE)) && cmos_updating(c)) {
		int64_t s = cmos_wall_s(NULL) + c->offset;

		if (s != c->timer_s) {
			struct rtc_tm tm;

			tm_from_secs(s, &tm);
			c->flags |= C_UF;
			if (cmos_alarm_matches(c, &tm))
				c->flags |= C_AF;
		}
	}
	if ((b & B_PIE) && cmos_ticking(c) && c->next_pf != 0 && now >= c->next_pf) {
		c->flags |= C_PF;
		c->next_pf += cmos_period_ns(c);
	}
	cmos_update_irq(c);
	cmos_schedule(c);
	hv__unlock(c->lock);
}

static uint8_t cmos_read_c(struct hv__cmos *c)
{
	int64_t s = cmos_wall_s(NULL) + c->offset;
	uint64_t now = hv__time_ns(), period = cmos_period_ns(c);
	uint8_t v;

	if (cmos_updating(c)) {
		struct rtc_tm tm;

		if (s != c->last_c_s)
			c->flags |= C_UF;
		tm_from_secs(s, &tm);
		if (cmos_alarm_matches(c, &tm))
			c->flags |= C_AF;
	}
	if (cmos_ticking(c) && now - c->last_c_ns >= period)
		c->flags |= C_PF;
	v = c->flags;
	if (v & c->mem[RTC_B] & (C_PF | C_AF | C_UF))
		v |= C_IRQF;
	c->flags = 0;
	c->last_c_s = s;
	c->last_c_ns = now;
	return v;
}

static uint8_t cmos_reg_read(struct hv__cmos *c, unsigned int reg)
{
	struct rtc_tm tm;
	uint64_t frac;

	if (cmos_is_time_reg(reg)) {
		cmos_now(c, &tm);
		return cmos_time_reg(c, &tm, reg);
	}
	switch (reg) {
	case RTC_A:
		cmos_wall_s(&frac);
		return (uint8_t)((c->mem[RTC_A] & 0x7f) |
				 (cmos_updating(c) && frac >= (uint64_t)(NS_PER_S - RTC_UIP_NS) ?
					  A_UIP :
					  0));
	case RTC_C:
		return cmos_read_c(c);
	case RTC_D:
		return D_VRT;
	default:
		return c->mem[reg];
	}
}

static void cmos_write_b(struct hv__cmos *c, uint8_t v)
{
	uint8_t old = c->mem[RTC_B];

	if ((v & B_SET) && !(old & B_SET)) {
		cmos_now(c, &c->frozen);
		v &= (uint8_t)~B_UIE; /* setting SET clears UIE */
	}
	c->mem[RTC_B] = v;
	if (!(v & B_SET) && (old & B_SET))
		c->offset = tm_to_secs(&c->frozen) - cmos_wall_s(NULL);
}

static void cmos_reg_write(struct hv__cmos *c, unsigned int reg, uint8_t v)
{
	if (cmos_is_time_reg(reg)) {
		cmos_write_time(c, reg, v);
		return;
	}
	switch (reg) {
	case RTC_A:
		c->mem[RTC_A] = v & 0x7f;
		break;
	case RTC_B:
		cmos_write_b(c, v);
		break;
	case RTC_C:
	case RTC_D:
		HV_LOGD("cmos: write 0x%x to read-only register 0x%x ignored", v, reg);
		return;
	default:
		c->mem[reg] = v;
		return;
	}
	cmos_schedule(c);
}

static void cmos_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	struct hv__cmos *c = ctx;

	if (width != 1 || offset != 1) {
		*value = ~0ull; /* port 0x70 is write-only */
		return;
	}
	hv__lock(c->lock);
	*value = cmos_reg_read(c, c->index);
	cmos_update_irq(c);
	hv__unlock(c->lock);
}

static void cmos_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct hv__cmos *c = ctx;

	if (width != 1) {
		HV_LOGD("cmos: write of %u bytes ignored", width);
		return;
	}
	hv__lock(c->lock);
	if (offset == 0) {
		c->index = value & 0x7f;
		c->nmi_masked = (value & 0x80) != 0;
	} else {
		cmos_reg_write(c, c->index, (uint8_t)value);
		cmos_update_irq(c);
	}
	hv__unlock(c->lock);
}

static void cmos_reset(void *ctx)
{
	struct hv__cmos *c = ctx;

	if (c->timer != NULL)
		hv__timer_cancel(c->timer);
	hv__lock(c->lock);
	c->mem[RTC_B] &= (uint8_t) ~(B_PIE | B_AIE | B_UIE | B_SQWE);
	c->flags = 0;
	c->index = 0;
	c->nmi_masked = false;
	c->next_pf = 0;
	c->level = false;
	hv__unlock(c->lock);
}

void hv__cmos_destroy(void *ctx)
{
	struct hv__cmos *c = ctx;

	/* A running callback may re-arm the timer until it sees this; then cancelling is final. */
	if (c->lock != NULL) {
		hv__lock(c->lock);
		c->dying = true;
		hv__unlock(c->lock);
	}
	hv__timer_destroy(c->timer);
	hv__lock_destroy(c->lock);
	hv__free(c, sizeof(*c));
}

const hv_device_ops_t hv__cmos_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = cmos_read,
	.write = cmos_write,
	.reset = cmos_reset,
	.destroy = hv__cmos_destroy,
};

struct hv__cmos *hv__cmos_create(void)
{
	struct hv__cmos *c = hv__alloc(sizeof(*c));

	if (c == NULL)
		return NULL;
	c->lock = hv__lock_create();
	if (hv__have_timers())
		c->timer = hv__timer_create(cmos_timer, c);
	if (c->lock == NULL || (hv__have_timers() && c->timer == NULL)) {
		hv__cmos_destroy(c);
		return NULL;
	}
	c->mem[RTC_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate: what a BIOS programs */
	c->mem[RTC_B] = B_24H;
	c->last_c_s = cmos_wall_s(NULL);
	c->last_c_ns = hv__time_ns();
	return c;
}

hv_irq_line_t **hv__cmos_line(struct hv__cmos *c)
{
	return &c->line;
}
