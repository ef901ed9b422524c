/* SPDX-License-Identifier: MIT */
/* The PL031 RTC: the wall clock in seconds, load, match interrupt from a platform timer. */
#include "test_support.h"
#include "devtest.h"

#define BASE 0x09010000ull
#define IRQ 2

#define DR 0x00
#define MR 0x04
#define LR 0x08
#define CR 0x0c
#define IMSC 0x10
#define RIS 0x14
#define MIS 0x18
#define ICR 0x1c

struct rtc_fixture {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
};

static void fx_open(struct rtc_fixture *f)
{
	hv_pl031_config_t c = HV_PL031_CONFIG_INIT;

	f->vm = dt_vm(&f->vcpu, NULL);
	c.name = "rtc";
	c.base = BASE;
	c.irq = IRQ;
	assert_int_equal(hv_pl031_add(f->vm, &c, NULL), HV_OK);
	dt_start(f->vm);
}

static uint32_t rd(struct rtc_fixture *f, uint32_t off)
{
	return dt_rd32(f->vcpu, BASE + off);
}

static void wr(struct rtc_fixture *f, uint32_t off, uint32_t v)
{
	dt_wr32(f->vcpu, BASE + off, v);
}

/* Wait up to @p ms for RIS to become @p v. */
static bool wait_ris(struct rtc_fixture *f, uint32_t v, unsigned ms)
{
	uint64_t end = dt_mono_ns() + (uint64_t)ms * 1000000ull;

	while (rd(f, RIS) != v) {
		if (dt_mono_ns() > end)
			return false;
		usleep(1000);
	}
	return true;
}

static void test_pl031_identifies_itself_and_counts_wall_clock_seconds(void **state)
{
	struct rtc_fixture f;
	uint32_t pid = 0, cid = 0, dr;
	time_t now;
	int i;

	(void)state;
	fx_open(&f);
	for (i = 0; i < 4; i++) {
		pid |= (rd(&f, 0xfe0 + 4 * i) & 0xff) << (i * 8);
		cid |= (rd(&f, 0xff0 + 4 * i) & 0xff) << (i * 8);
	}
	assert_int_equal(pid, 0x00041031);
	assert_int_equal(cid, 0xb105f00d);
	now = time(NULL);
	dr = rd(&f, DR);
	assert_true(dr >= (uint32_t)now - 1 && dr <= (uint32_t)now + 1);
	/* Linux's probe sets the start bit; it reads back set. */
	assert_int_equal(rd(&f, CR), 1);
	wr(&f, CR, 1);
	wr(&f, CR, 0);
	assert_int_equal(rd(&f, CR), 1);
	assert_int_equal(rd(&f, MR), 0);
	assert_int_equal(rd(&f, IMSC), 0);
	assert_int_equal(rd(&f, RIS), 0);
	hv_vm_destroy(f.vm);
}

static void test_pl031_load_sets_the_counter(void **state)
{
	struct rtc_fixture f;
	uint32_t dr;

	(void)state;
	fx_open(&f);
	wr(&f, LR, 1000000);
	assert_int_equal(rd(&f, LR), 1000000);
	dr = rd(&f, DR);
	assert_true(dr == 1000000 || dr == 1000001);
	/* The counter wraps like the 32-bit register it is. */
	wr(&f, LR, 0xffffffffu);
	dr = rd(&f, DR);
	assert_true(dr == 0xffffffffu || dr == 0);
	hv_vm_destroy(f.vm);
}

static void test_pl031_match_raises_the_interrupt(void **state)
{
	struct rtc_fixture f;

	(void)state;
	fx_open(&f);
	wr(&f, IMSC, 1);
	/* A match value equal to the counter matches at once. */
	wr(&f, MR, rd(&f, DR));
	assert_int_equal(rd(&f, RIS), 1);
	assert_int_equal(rd(&f, MIS), 1);
	assert_true(dt_irq(f.vm, IRQ));
	wr(&f, ICR, 1);
	assert_int_equal(rd(&f, RIS), 0);
	assert_false(dt_irq(f.vm, IRQ));
	/* The next second: the timer fires with no guest access needed. */
	wr(&f, MR, rd(&f, DR) + 1);
	assert_int_equal(rd(&f, RIS), 0);
	assert_true(wait_ris(&f, 1, 2500));
	assert_true(dt_irq(f.vm, IRQ));
	wr(&f, ICR, 1);
	assert_false(dt_irq(f.vm, IRQ));
	hv_vm_destroy(f.vm);
}

static void test_pl031_mask_gates_the_line_not_the_status(void **state)
{
	struct rtc_fixture f;

	(void)state;
	fx_open(&f);
	wr(&f, LR, 5000);
	wr(&f, MR, 5001);
	assert_true(wait_ris(&f, 1, 2500));
	assert_int_equal(rd(&f, MIS), 0);
	assert_false(dt_irq(f.vm, IRQ));
	wr(&f, IMSC, 1);
	assert_true(dt_irq(f.vm, IRQ));
	wr(&f, IMSC, 0);
	assert_false(dt_irq(f.vm, IRQ));
	hv_vm_destroy(f.vm);
}

static void test_pl031_ignores_odd_accesses(void **state)
{
	struct rtc_fixture f;

	(void)state;
	fx_open(&f);
	wr(&f, MR, 0x12345678);
	assert_int_equal(dt_mmio(f.vcpu, BASE + MR, 1, false, 0), 0);
	assert_int_equal(dt_mmio(f.vcpu, BASE + MR, 2, false, 0), 0);
	assert_int_equal(dt_mmio(f.vcpu, BASE + MR, 8, false, 0), 0);
	assert_int_equal(dt_mmio(f.vcpu, BASE + MR + 1, 1, false, 0), 0);
	dt_mmio(f.vcpu, BASE + MR, 2, true, 0);
	dt_mmio(f.vcpu, BASE + MR, 8, true, 0);
	dt_mmio(f.vcpu, BASE + MR + 2, 1, true, 0);
	assert_int_equal(rd(&f, MR), 0x12345678);
	/* Read-only and write-only registers, unknown offsets. */
	wr(&f, DR, 7);
	assert_true(rd(&f, DR) > 7);
	wr(&f, RIS, 1);
	wr(&f, MIS, 1);
	wr(&f, 0x400, 1);
	wr(&f, 0xfe0, 0);
	assert_int_equal(rd(&f, RIS), 0);
	assert_int_equal(rd(&f, ICR), 0);
	assert_int_equal(rd(&f, 0x400), 0);
	assert_int_equal(rd(&f, 0xfe0), 0x31);
	wr(&f, IMSC, 0xff);
	assert_int_equal(rd(&f, IMSC), 1);
	hv_vm_destroy(f.vm);
}

static void test_pl031_reset_clears_the_alarm_but_keeps_the_time(void **state)
{
	struct rtc_fixture f;
	uint32_t dr;

	(void)state;
	fx_open(&f);
	wr(&f, LR, 7000);
	wr(&f, IMSC, 1);
	wr(&f, MR, rd(&f, DR));
	assert_true(dt_irq(f.vm, IRQ));
	wr(&f, MR, rd(&f, DR) + 1);
	hv_vm_stop(f.vm);
	assert_int_equal(hv_vm_wait(f.vm, NULL), HV_OK);
	assert_int_equal(hv_vm_reset(f.vm), HV_OK);
	assert_false(dt_irq(f.vm, IRQ));
	dt_start(f.vm);
	assert_int_equal(rd(&f, MR), 0);
	assert_int_equal(rd(&f, IMSC), 0);
	assert_int_equal(rd(&f, RIS), 0);
	dr = rd(&f, DR);
	assert_true(dr >= 7000 && dr <= 7001);
	/* The pending match died with the reset. */
	usleep(1300000);
	assert_int_equal(rd(&f, RIS), 0);
	hv_vm_destroy(f.vm);
}

static void test_pl031_add_rejects_bad_arguments(void **state)
{
	hv_pl031_config_t c = HV_PL031_CONFIG_INIT;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = dt_vm(&vcpu, NULL);
	struct ts_dev other;
	unsigned long n;

	(void)state;
	c.base = BASE;
	c.irq = IRQ;
	assert_int_equal(hv_pl031_add(NULL, &c, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_pl031_add(vm, NULL, NULL), HV_ERR_INVALID_ARG);
	c.struct_size = 1;
	assert_int_equal(hv_pl031_add(vm, &c, NULL), HV_ERR_ABI);
	c.struct_size = sizeof(c);
	memset(&other, 0, sizeof(other));
	ts_dev_add(vm, &other, HV_BUS_MMIO, BASE + 0xff0, 4);
	assert_int_equal(hv_pl031_add(vm, &c, NULL), HV_ERR_OVERLAP);
	c.base = BASE + 0x1000;
	c.irq = 24;
	assert_int_equal(hv_pl031_add(vm, &c, NULL), HV_ERR_RANGE);
	c.irq = IRQ;
	for (n = 1;; n++) {
		hv_status_t st;

		tp_fail_alloc_at(n);
		st = hv_pl031_add(vm, &c, NULL);
		if (st == HV_OK)
			break;
		assert_int_equal(st, HV_ERR_NO_MEMORY);
		assert_int_equal(dt_lines(vm), 0);
	}
	tp_fail_alloc_at(0);
	c.base = BASE + 0x2000;
	assert_int_equal(hv_pl031_add(vm, &c, NULL), HV_ERR_BUSY);
	dt_start(vm);
	c.irq = IRQ + 1;
	assert_int_equal(hv_pl031_add(vm, &c, NULL), HV_ERR_STATE);
	hv_vm_destroy(vm);
}

static void test_pl031_needs_platform_timers(void **state)
{
	hv_pl031_config_t c = HV_PL031_CONFIG_INIT;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = dt_vm(&vcpu, NULL);

	(void)state;
	c.base = BASE;
	c.irq = IRQ;
	assert_int_equal(hv_pl031_add(vm, &c, NULL), HV_ERR_UNSUPPORTED);
	assert_int_equal(dt_lines(vm), 0);
	hv_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		DT_TEST(test_pl031_identifies_itself_and_counts_wall_clock_seconds),
		DT_TEST(test_pl031_load_sets_the_counter),
		DT_TEST(test_pl031_match_raises_the_interrupt),
		DT_TEST(test_pl031_mask_gates_the_line_not_the_status),
		DT_TEST(test_pl031_ignores_odd_accesses),
		DT_TEST(test_pl031_reset_clears_the_alarm_but_keeps_the_time),
		DT_TEST(test_pl031_add_rejects_bad_arguments),
		TS_TEST(test_pl031_needs_platform_timers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
