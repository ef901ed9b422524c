/* SPDX-License-Identifier: MIT */
/* The SP805 watchdog: counting, interrupt on the first time-out, the VM stopped on the second. */
#include "test_support.h"
#include "devtest.h"

#define BASE 0x09020000ull
#define IRQ 3
#define HZ 1000 /* 1 ms ticks */

#define LOAD 0x000
#define VALUE 0x004
#define CONTROL 0x008
#define INTCLR 0x00c
#define RIS 0x010
#define MIS 0x014
#define LOCK 0xc00
#define ITCR 0xf00
#define ITOP 0xf04
#define KEY 0x1acce551u

struct wdt_fixture {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	struct ts_events events;
};

static void fx_open_policy(struct wdt_fixture *f, hv_policy_t on_fault)
{
	hv_sp805_config_t c = HV_SP805_CONFIG_INIT;
	hv_vm_config_t vc = ts_vm_config();

	ts_events_init(&f->events);
	vc.flags = HV_VM_MANUAL_RUN;
	vc.on_event = ts_on_event;
	vc.event_user = &f->events;
	vc.on_fault = on_fault;
	assert_int_equal(hv_vm_create(&vc, &f->vm), HV_OK);
	assert_int_equal(hv_vcpu_create(f->vm, 0, &f->vcpu), HV_OK);
	c.name = "wdt";
	c.base = BASE;
	c.irq = IRQ;
	c.clock_hz = HZ;
	assert_int_equal(hv_sp805_add(f->vm, &c, NULL), HV_OK);
	dt_start(f->vm);
}

static void fx_open(struct wdt_fixture *f)
{
	fx_open_policy(f, HV_POLICY_STOP);
}

static void fx_close(struct wdt_fixture *f)
{
	hv_vm_destroy(f->vm);
	ts_events_fini(&f->events);
}

static uint32_t rd(struct wdt_fixture *f, uint32_t off)
{
	return dt_rd32(f->vcpu, BASE + off);
}

static void wr(struct wdt_fixture *f, uint32_t off, uint32_t v)
{
	dt_wr32(f->vcpu, BASE + off, v);
}

/* Linux's sp805_wdt: wdt_setload and wdt_config(start). */
static void linux_start(struct wdt_fixture *f, uint32_t load)
{
	wr(f, LOCK, KEY);
	wr(f, LOAD, load);
	wr(f, INTCLR, 0);
	wr(f, CONTROL, 0x3);
	wr(f, LOCK, 0);
	assert_int_equal(rd(f, LOCK), 1);
}

static bool wait_ris(struct wdt_fixture *f, uint32_t v, unsigned ms)
{
	uint64_t end = dt_mono_ns() + (uint64_t)ms * 1000000ull;

	while (rd(f, RIS) != v) {
		if (dt_mono_ns() > end)
			return false;
		usleep(500);
	}
	return true;
}

static void test_sp805_identifies_itself_with_reset_values(void **state)
{
	struct wdt_fixture f;
	uint32_t pid = 0, cid = 0;
	int i;

	(void)state;
	fx_open(&f);
	for (i = 0; i < 4; i++) {
		pid |= (rd(&f, 0xfe0 + 4 * i) & 0xff) << (i * 8);
		cid |= (rd(&f, 0xff0 + 4 * i) & 0xff) << (i * 8);
	}
	assert_int_equal(pid, 0x00141805);
	assert_int_equal(cid, 0xb105f00d);
	assert_int_equal(rd(&f, LOAD), 0xffffffffu);
	assert_int_equal(rd(&f, VALUE), 0xffffffffu);
	assert_int_equal(rd(&f, CONTROL), 0);
	assert_int_equal(rd(&f, RIS), 0);
	assert_int_equal(rd(&f, MIS), 0);
	assert_int_equal(rd(&f, LOCK), 0);
	fx_close(&f);
}

static void test_sp805_value_counts_down_at_the_clock_rate(void **state)
{
	struct wdt_fixture f;
	uint32_t v;

	(void)state;
	fx_open(&f);
	wr(&f, LOAD, 10000);                    /* 10 s */
	assert_int_equal(rd(&f, VALUE), 10000); /* stopped: INTEN is off */
	wr(&f, CONTROL, 1);
	usleep(50000);
	v = rd(&f, VALUE);
	assert_true(v < 9960 && v > 9000);
	/* Disabling stops it and Value reads the load again; enabling reloads. */
	wr(&f, CONTROL, 0);
	assert_int_equal(rd(&f, VALUE), 10000);
	wr(&f, CONTROL, 1);
	assert_true(rd(&f, VALUE) >= 9990);
	fx_close(&f);
}

static void test_sp805_second_timeout_stops_the_vm(void **state)
{
	static const hv_event_type_t want[] = { HV_EVENT_WATCHDOG, HV_EVENT_VM_STOPPED };
	hv_stop_info_t info = { .struct_size = sizeof(info) };
	struct wdt_fixture f;
	uint64_t t0;

	(void)state;
	fx_open(&f);
	t0 = dt_mono_ns();
	linux_start(&f, 19); /* 20 ms periods */
	/* First time-out: the interrupt. The guest is hung: it makes no exit from here on. */
	assert_true(wait_ris(&f, 1, 2000));
	assert_true(dt_mono_ns() - t0 >= 19000000ull);
	assert_int_equal(rd(&f, MIS), 1);
	assert_true(dt_irq(f.vm, IRQ));
	assert_true(dt_wait_stopped(f.vm, 2000));
	assert_true(dt_mono_ns() - t0 >= 39000000ull);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_STOPPED);
	assert_int_equal(hv_vm_get_stop_info(f.vm, &info), HV_OK);
	assert_int_equal(info.cause, HV_EVENT_WATCHDOG);
	assert_int_equal(info.vcpu_index, UINT32_MAX);
	assert_int_equal(hv_vm_wait(f.vm, NULL), HV_OK);
	ts_events_expect(&f.events, want, 2);
	fx_close(&f);
}

static void test_sp805_a_serviced_watchdog_does_not_bite(void **state)
{
	struct wdt_fixture f;
	uint64_t end;

	(void)state;
	fx_open(&f);
	linux_start(&f, 29);
	end = dt_mono_ns() + 150000000ull;
	while (dt_mono_ns() < end) {
		wr(&f, LOCK, KEY);
		wr(&f, LOAD, 29); /* wdt_ping */
		wr(&f, INTCLR, 0);
		wr(&f, LOCK, 0);
		usleep(5000);
	}
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
	/* Stopping it (wdt_stop) stops it for good. */
	wr(&f, LOCK, KEY);
	wr(&f, CONTROL, 0);
	wr(&f, LOCK, 0);
	usleep(100000);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
	assert_int_equal(rd(&f, RIS), 0);
	fx_close(&f);
}

static void test_sp805_without_resen_only_interrupts(void **state)
{
	struct wdt_fixture f;

	(void)state;
	fx_open(&f);
	wr(&f, LOAD, 9);
	wr(&f, CONTROL, 1);
	assert_true(wait_ris(&f, 1, 2000));
	assert_true(dt_irq(f.vm, IRQ));
	usleep(60000); /* several more time-outs */
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
	wr(&f, INTCLR, 0);
	assert_int_equal(rd(&f, RIS), 0);
	assert_false(dt_irq(f.vm, IRQ));
	assert_true(wait_ris(&f, 1, 2000));
	wr(&f, CONTROL, 0); /* INTEN masks the output too */
	assert_int_equal(rd(&f, MIS), 0);
	assert_false(dt_irq(f.vm, IRQ));
	fx_close(&f);
}

static void test_sp805_lock_ignores_writes(void **state)
{
	struct wdt_fixture f;

	(void)state;
	fx_open(&f);
	wr(&f, LOCK, 1);
	assert_int_equal(rd(&f, LOCK), 1);
	wr(&f, LOAD, 5);
	wr(&f, CONTROL, 3);
	wr(&f, ITCR, 1);
	assert_int_equal(rd(&f, LOAD), 0xffffffffu);
	assert_int_equal(rd(&f, CONTROL), 0);
	assert_int_equal(rd(&f, ITCR), 0);
	wr(&f, LOCK, KEY);
	assert_int_equal(rd(&f, LOCK), 0);
	wr(&f, LOAD, 5);
	assert_int_equal(rd(&f, LOAD), 5);
	wr(&f, CONTROL, 0xff);
	assert_int_equal(rd(&f, CONTROL), 3);
	wr(&f, CONTROL, 0);
	fx_close(&f);
}

static void test_sp805_restart_policy_restarts_the_vm(void **state)
{
	hv_stop_info_t info = { .struct_size = sizeof(info) };
	struct wdt_fixture f;
	hv_vm_state_t st;

	(void)state;
	fx_open_policy(&f, HV_POLICY_RESTART);
	linux_start(&f, 9);
	assert_true(dt_wait_stopped(f.vm, 2000));
	/* hv_vm_wait resets (the watchdog stops) and starts the VM again. */
	assert_int_equal(hv_vm_wait(f.vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_RUNNING);
	assert_int_equal(rd(&f, CONTROL), 0);
	assert_int_equal(rd(&f, LOCK), 0);
	assert_int_equal(rd(&f, RIS), 0);
	assert_false(dt_irq(f.vm, IRQ));
	usleep(50000);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
	hv_vm_stop(f.vm);
	assert_int_equal(hv_vm_get_stop_info(f.vm, &info), HV_OK);
	assert_int_equal(info.restarts, 1);
	fx_close(&f);
}

static void test_sp805_does_not_bite_a_paused_vm(void **state)
{
	struct wdt_fixture f;

	(void)state;
	fx_open(&f);
	wr(&f, LOAD, 9);
	wr(&f, CONTROL, 3);
	assert_int_equal(hv_vm_pause(f.vm), HV_OK);
	usleep(80000);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_PAUSED);
	assert_int_equal(rd(&f, RIS), 0);
	/* Running again, the hung guest is caught. */
	dt_start(f.vm);
	assert_true(dt_wait_stopped(f.vm, 2000));
	fx_close(&f);
}

static void test_sp805_integration_test_mode_drives_the_line(void **state)
{
	struct wdt_fixture f;

	(void)state;
	fx_open(&f);
	wr(&f, ITOP, 2);
	assert_false(dt_irq(f.vm, IRQ));
	wr(&f, ITCR, 1);
	assert_int_equal(rd(&f, ITCR), 1);
	assert_true(dt_irq(f.vm, IRQ));
	wr(&f, ITOP, 1); /* WDOGRES: stored, no reset */
	assert_false(dt_irq(f.vm, IRQ));
	wr(&f, ITCR, 0);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
	fx_close(&f);
}

static void test_sp805_ignores_odd_accesses(void **state)
{
	struct wdt_fixture f;

	(void)state;
	fx_open(&f);
	wr(&f, LOAD, 0x1234);
	assert_int_equal(dt_mmio(f.vcpu, BASE + LOAD, 1, false, 0), 0);
	assert_int_equal(dt_mmio(f.vcpu, BASE + LOAD, 2, false, 0), 0);
	assert_int_equal(dt_mmio(f.vcpu, BASE + LOAD, 8, false, 0), 0);
	assert_int_equal(dt_mmio(f.vcpu, BASE + LOAD + 2, 2, false, 0), 0);
	dt_mmio(f.vcpu, BASE + LOAD, 1, true, 1);
	dt_mmio(f.vcpu, BASE + LOAD, 8, true, 1);
	dt_mmio(f.vcpu, BASE + LOAD + 1, 1, true, 1);
	assert_int_equal(rd(&f, LOAD), 0x1234);
	wr(&f, VALUE, 1);
	wr(&f, RIS, 1);
	wr(&f, MIS, 1);
	wr(&f, 0x800, 1);
	wr(&f, 0xfe0, 1);
	assert_int_equal(rd(&f, RIS), 0);
	assert_int_equal(rd(&f, INTCLR), 0);
	assert_int_equal(rd(&f, ITOP), 0);
	assert_int_equal(rd(&f, 0x800), 0);
	assert_int_equal(rd(&f, 0xfe0), 0x05);
	assert_int_equal(rd(&f, VALUE), 0x1234);
	fx_close(&f);
}

static void test_sp805_reset_stops_the_counter(void **state)
{
	struct wdt_fixture f;

	(void)state;
	fx_open(&f);
	wr(&f, LOAD, 19);
	wr(&f, CONTROL, 3);
	wr(&f, LOCK, 7);
	hv_vm_stop(f.vm);
	assert_int_equal(hv_vm_wait(f.vm, NULL), HV_OK);
	assert_int_equal(hv_vm_reset(f.vm), HV_OK);
	dt_start(f.vm);
	usleep(100000);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
	assert_int_equal(rd(&f, RIS), 0);
	assert_int_equal(rd(&f, LOCK), 0);
	assert_int_equal(rd(&f, LOAD), 0xffffffffu);
	fx_close(&f);
}

static void test_sp805_destroy_while_counting(void **state)
{
	struct wdt_fixture f;

	(void)state;
	fx_open(&f);
	wr(&f, LOAD, 0);
	wr(&f, CONTROL, 3); /* a time-out every millisecond */
	usleep(1500);
	fx_close(&f);
}

static void test_sp805_add_rejects_bad_arguments(void **state)
{
	hv_sp805_config_t c = HV_SP805_CONFIG_INIT;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = dt_vm(&vcpu, NULL);
	unsigned long n;

	(void)state;
	c.base = BASE;
	c.irq = IRQ;
	assert_int_equal(hv_sp805_add(NULL, &c, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_sp805_add(vm, NULL, NULL), HV_ERR_INVALID_ARG);
	c.struct_size = 1;
	assert_int_equal(hv_sp805_add(vm, &c, NULL), HV_ERR_ABI);
	c.struct_size = sizeof(c);
	ts_map_ram(vm, BASE, 0x1000);
	assert_int_equal(hv_sp805_add(vm, &c, NULL), HV_ERR_OVERLAP);
	c.base = BASE + 0x2000;
	for (n = 1;; n++) {
		hv_status_t st;

		tp_fail_alloc_at(n);
		st = hv_sp805_add(vm, &c, NULL);
		if (st == HV_OK)
			break;
		assert_int_equal(st, HV_ERR_NO_MEMORY);
		assert_int_equal(dt_lines(vm), 0);
	}
	tp_fail_alloc_at(0);
	c.base = BASE + 0x3000;
	assert_int_equal(hv_sp805_add(vm, &c, NULL), HV_ERR_BUSY);
	dt_start(vm);
	c.irq = IRQ + 1;
	assert_int_equal(hv_sp805_add(vm, &c, NULL), HV_ERR_STATE);
	hv_vm_destroy(vm);
}

static void test_sp805_needs_platform_timers(void **state)
{
	hv_sp805_config_t c = HV_SP805_CONFIG_INIT;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = dt_vm(&vcpu, NULL);

	(void)state;
	c.base = BASE;
	c.irq = IRQ;
	assert_int_equal(hv_sp805_add(vm, &c, NULL), HV_ERR_UNSUPPORTED);
	hv_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		DT_TEST(test_sp805_identifies_itself_with_reset_values),
		DT_TEST(test_sp805_value_counts_down_at_the_clock_rate),
		DT_TEST(test_sp805_second_timeout_stops_the_vm),
		DT_TEST(test_sp805_a_serviced_watchdog_does_not_bite),
		DT_TEST(test_sp805_without_resen_only_interrupts),
		DT_TEST(test_sp805_lock_ignores_writes),
		DT_TEST(test_sp805_restart_policy_restarts_the_vm),
		DT_TEST(test_sp805_does_not_bite_a_paused_vm),
		DT_TEST(test_sp805_integration_test_mode_drives_the_line),
		DT_TEST(test_sp805_ignores_odd_accesses),
		DT_TEST(test_sp805_reset_stops_the_counter),
		DT_TEST(test_sp805_destroy_while_counting),
		DT_TEST(test_sp805_add_rejects_bad_arguments),
		TS_TEST(test_sp805_needs_platform_timers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
