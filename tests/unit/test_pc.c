/* SPDX-License-Identifier: MIT */
/*
 * hv_pc_setup(): the ACPI PM registers as a guest drives them (soft-off, other sleep types,
 * status bits, the PM timer), every status the call documents with nothing left behind on
 * failure, and hv_pc_virtio_cmdline().
 */
#include "test_support.h"
#include "devtest.h"

#define PM 0x600u
#define PM1_STS PM
#define PM1_EN (PM + 2)
#define PM1_CNT (PM + 4)
#define PM_TMR (PM + 8)
#define SLP_EN (1u << 13)
#define SLP_TYP(n) ((unsigned)(n) << 10)
#define TABLES 0xe0000u

/* A clock the test moves: hv__time_ns() of the library. */
static uint64_t fake_ns;
static hv_platform_ops_t fake_table;

static uint64_t fake_time_ns(void *ctx)
{
	(void)ctx;
	return __atomic_load_n(&fake_ns, __ATOMIC_RELAXED);
}

static int setup_fake_clock(void **state)
{
	ts_setup(state);
	fake_ns = 1000;
	fake_table = *tp_ops();
	fake_table.time_ns = fake_time_ns;
	return hv_platform_set(&fake_table) == HV_OK ? 0 : -1;
}

#define FAKE_CLOCK_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup_fake_clock, ts_teardown)

struct fx {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	struct ts_events events;
};

static void fx_open(struct fx *f)
{
	hv_pc_config_t c = HV_PC_CONFIG_INIT;

	ts_events_init(&f->events);
	f->vm = dt_vm(&f->vcpu, &f->events);
	assert_int_equal(hv_pc_setup(f->vm, &c), HV_OK);
	dt_start(f->vm);
}

static void fx_close(struct fx *f)
{
	hv_vm_destroy(f->vm);
	ts_events_fini(&f->events);
}

static uint32_t in(struct fx *f, uint16_t port, uint32_t width)
{
	return (uint32_t)dt_pio(f->vcpu, port, width, false, 0);
}

static void out(struct fx *f, uint16_t port, uint32_t width, uint32_t v)
{
	dt_pio(f->vcpu, port, width, true, v);
}

/* ---- PM registers ------------------------------------------------------------------------ */

static void test_pm_s5_powers_the_guest_off(void **state)
{
	static const hv_event_type_t want[] = { HV_EVENT_GUEST_SHUTDOWN, HV_EVENT_VM_STOPPED };
	hv_stop_info_t info = { .struct_size = sizeof(info) };
	struct fx f;

	(void)state;
	fx_open(&f);
	/* What ACPICA does: SLP_TYP first, then SLP_TYP with SLP_EN. */
	out(&f, PM1_CNT, 2, SLP_TYP(5) | 1);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
	out(&f, PM1_CNT, 2, SLP_TYP(5) | SLP_EN | 1);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_STOPPED);
	assert_int_equal(hv_vm_get_stop_info(f.vm, &info), HV_OK);
	assert_int_equal(info.cause, HV_EVENT_GUEST_SHUTDOWN);
	ts_events_expect(&f.events, want, 2);
	fx_close(&f);
}

static void test_pm_s5_by_bytes(void **state)
{
	hv_stop_info_t info = { .struct_size = sizeof(info) };
	struct fx f;

	(void)state;
	fx_open(&f);
	out(&f, PM1_CNT + 1, 1, (SLP_TYP(5) | SLP_EN) >> 8);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_STOPPED);
	assert_int_equal(hv_vm_get_stop_info(f.vm, &info), HV_OK);
	assert_int_equal(info.cause, HV_EVENT_GUEST_SHUTDOWN);
	fx_close(&f);
}

static void test_pm_other_sleep_types_are_ignored(void **state)
{
	struct fx f;
	unsigned typ;

	(void)state;
	fx_open(&f);
	hv_log_set_level(HV_LOG_DEBUG);
	tp_log_clear();
	for (typ = 0; typ < 8; typ++) {
		if (typ == 5)
			continue;
		out(&f, PM1_CNT, 2, SLP_TYP(typ) | SLP_EN);
		assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
		/* SLP_EN is write-only, SLP_TYP is kept, SCI_EN reads 1. */
		assert_int_equal(in(&f, PM1_CNT, 2), SLP_TYP(typ) | 1);
	}
	assert_true(tp_log_contains("sleep type 3 ignored"));
	assert_int_equal(tp_log_last_level(), HV_LOG_DEBUG);
	hv_log_set_level(HV_LOG_WARN);
	assert_int_equal(f.events.count, 0);
	fx_close(&f);
}

static void test_pm_sci_en_reads_one_and_enable_is_stored(void **state)
{
	struct fx f;

	(void)state;
	fx_open(&f);
	assert_int_equal(in(&f, PM1_CNT, 2), 1);
	out(&f, PM1_CNT, 2, 0);
	assert_int_equal(in(&f, PM1_CNT, 1), 1);
	out(&f, PM1_EN, 2, 0xffff);
	assert_int_equal(in(&f, PM1_EN, 2), 0x4721);
	assert_int_equal(in(&f, PM1_STS, 4) >> 16, 0x4721); /* STS and EN as one dword */
	assert_int_equal(in(&f, PM + 6, 2), 0xffff);        /* reserved */
	out(&f, PM_TMR, 4, 0);                              /* read-only: ignored */
	fx_close(&f);
}

static void test_pm_reset_clears_the_registers(void **state)
{
	struct fx f;

	(void)state;
	fx_open(&f);
	out(&f, PM1_EN, 2, 0x0100);
	out(&f, PM1_CNT, 2, SLP_TYP(3));
	hv_vm_stop(f.vm);
	assert_int_equal(hv_vm_wait(f.vm, NULL), HV_OK);
	assert_int_equal(hv_vm_reset(f.vm), HV_OK);
	dt_start(f.vm);
	assert_int_equal(in(&f, PM1_EN, 2), 0);
	assert_int_equal(in(&f, PM1_CNT, 2), 1);
	fx_close(&f);
}

static void test_pm_timer_counts_at_3_579545_mhz(void **state)
{
	struct fx f;
	uint32_t t0;

	(void)state;
	fx_open(&f);
	t0 = in(&f, PM_TMR, 4);
	assert_int_equal(t0, 0);
	fake_ns += 1000000000ull;
	assert_int_equal(in(&f, PM_TMR, 4), 3579545u);
	fake_ns += 500000000ull;
	assert_int_equal(in(&f, PM_TMR, 4), 3579545u + 1789772u);
	assert_int_equal(in(&f, PM_TMR + 2, 2), (3579545u + 1789772u) >> 16);
	fake_ns += 3600ull * 1000000000ull; /* an hour: the 32-bit counter wraps every 1200 s */
	assert_int_equal(in(&f, PM_TMR, 4), (uint32_t)(5369317ull + 3600ull * 3579545ull));
	fx_close(&f);
}

static void test_pm_tmr_sts_is_set_by_bit_31_and_write_1_clears_it(void **state)
{
	struct fx f;

	(void)state;
	fx_open(&f);
	assert_int_equal(in(&f, PM1_STS, 2), 0);
	fake_ns += 601ull * 1000000000ull; /* past 2^31 ticks */
	assert_int_equal(in(&f, PM1_STS, 2), 1);
	out(&f, PM1_STS, 2, 0xfffe); /* writing 0 to it keeps it */
	assert_int_equal(in(&f, PM1_STS, 2), 1);
	out(&f, PM1_STS, 2, 1);
	assert_int_equal(in(&f, PM1_STS, 2), 0);
	fake_ns += 100ull * 1000000000ull;
	assert_int_equal(in(&f, PM1_STS, 1), 0);
	fake_ns += 600ull * 1000000000ull; /* bit 31 falls back to 0 */
	assert_int_equal(in(&f, PM1_STS, 1), 1);
	out(&f, PM1_STS, 1, 1);
	assert_int_equal(in(&f, PM1_STS, 1), 0);
	fx_close(&f);
}

static void test_pm_timer_is_monotonic_on_the_real_clock(void **state)
{
	struct fx f;
	uint32_t prev, now;
	int i;

	(void)state;
	fx_open(&f);
	prev = in(&f, PM_TMR, 4);
	for (i = 0; i < 1000; i++) {
		now = in(&f, PM_TMR, 4);
		assert_true(now >= prev);
		prev = now;
	}
	usleep(2000);
	assert_true(in(&f, PM_TMR, 4) > prev);
	fx_close(&f);
}

/* ---- hv_pc_setup statuses ---------------------------------------------------------------- */

static void expect_nothing_left(hv_vm_t *vm, size_t pio_before, size_t mem_before)
{
	hv_region_t *r;

	assert_int_equal(vm->pio.count, pio_before);
	assert_int_equal(vm->mem.count, mem_before);
	assert_int_equal(hv_vm_find_region(vm, TABLES, &r), HV_ERR_NOT_MAPPED);
}

static hv_status_t setup_with(hv_vm_t *vm, void (*edit)(hv_pc_config_t *c))
{
	hv_pc_config_t c = HV_PC_CONFIG_INIT;
	size_t pio = vm->pio.count, mem = vm->mem.count;
	hv_status_t st;

	edit(&c);
	st = hv_pc_setup(vm, &c);
	assert_int_not_equal(st, HV_OK);
	expect_nothing_left(vm, pio, mem);
	return st;
}

static hv_pc_virtio_t far_virtio = { 0xfffffff0ull, 5 };
static hv_pc_virtio_t ok_virtio[HV_PC_VIRTIO_MAX + 1];

static void edit_abi(hv_pc_config_t *c)
{
	c->struct_size = 4;
}
static void edit_too_many_vcpus(hv_pc_config_t *c)
{
	c->vcpu_count = HV_PC_VCPU_MAX + 1;
}
static void edit_virtio_null(hv_pc_config_t *c)
{
	c->virtio_count = 1;
}
static void edit_sci_2(hv_pc_config_t *c)
{
	c->sci_irq = 2;
}
static void edit_sci_24(hv_pc_config_t *c)
{
	c->sci_irq = 24;
}
static void edit_pm_port(hv_pc_config_t *c)
{
	c->pm_port = 0xfff8;
}
static void edit_tables_high(hv_pc_config_t *c)
{
	c->tables_gpa = 0xfffe1000ull;
}
static void edit_tables_4g(hv_pc_config_t *c)
{
	c->tables_gpa = 0x100000000ull;
}
static void edit_tables_unaligned(hv_pc_config_t *c)
{
	c->tables_gpa = 0xe0800;
}

static void edit_virtio_far(hv_pc_config_t *c)
{
	c->virtio = &far_virtio;
	c->virtio_count = 1;
}

static void edit_virtio_too_many(hv_pc_config_t *c)
{
	c->virtio = ok_virtio;
	c->virtio_count = HV_PC_VIRTIO_MAX + 1;
}

static void edit_none(hv_pc_config_t *c)
{
	(void)c;
}

static void test_pc_setup_rejects_bad_arguments(void **state)
{
	hv_pc_config_t c = HV_PC_CONFIG_INIT;
	hv_vm_t *vm = ts_vm_new(HV_VM_MANUAL_RUN);

	(void)state;
	assert_int_equal(hv_pc_setup(NULL, &c), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_pc_setup(vm, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(setup_with(vm, edit_none), HV_ERR_INVALID_ARG); /* no vCPU yet */
	ts_vcpu_new(vm, 0);
	assert_int_equal(setup_with(vm, edit_abi), HV_ERR_ABI);
	assert_int_equal(setup_with(vm, edit_too_many_vcpus), HV_ERR_INVALID_ARG);
	assert_int_equal(setup_with(vm, edit_virtio_null), HV_ERR_INVALID_ARG);
	assert_int_equal(setup_with(vm, edit_virtio_too_many), HV_ERR_INVALID_ARG);
	assert_int_equal(setup_with(vm, edit_sci_2), HV_ERR_INVALID_ARG);
	assert_int_equal(setup_with(vm, edit_sci_24), HV_ERR_INVALID_ARG);
	assert_int_equal(setup_with(vm, edit_pm_port), HV_ERR_INVALID_ARG);
	assert_int_equal(setup_with(vm, edit_tables_high), HV_ERR_RANGE);
	assert_int_equal(setup_with(vm, edit_tables_4g), HV_ERR_RANGE);
	assert_int_equal(setup_with(vm, edit_virtio_far), HV_ERR_RANGE);
	assert_int_equal(setup_with(vm, edit_tables_unaligned), HV_ERR_ALIGNMENT);
	hv_vm_destroy(vm);
}

static void test_pc_setup_needs_port_io(void **state)
{
	hv_vm_t *vm;

	(void)state;
	mock_knobs.caps_flags &= ~HV_CAP_PIO;
	vm = ts_vm_new(HV_VM_MANUAL_RUN);
	ts_vcpu_new(vm, 0);
	assert_int_equal(setup_with(vm, edit_none), HV_ERR_UNSUPPORTED);
	hv_vm_destroy(vm);
}

static void test_pc_setup_refuses_a_taken_bios_area(void **state)
{
	hv_vm_t *vm = ts_vm_new(HV_VM_MANUAL_RUN);

	(void)state;
	ts_vcpu_new(vm, 0);
	ts_map_ram(vm, 0xf0000, 0x1000);
	assert_int_equal(setup_with(vm, edit_none), HV_ERR_OVERLAP);
	hv_vm_destroy(vm);
}

/* The PM ports are taken after the region is mapped: the region must go again. */
static void test_pc_setup_rolls_back_the_region_when_the_pm_ports_are_taken(void **state)
{
	struct ts_dev dev;
	hv_vm_t *vm = ts_vm_new(HV_VM_MANUAL_RUN);
	struct mock_vm *m;

	(void)state;
	memset(&dev, 0, sizeof(dev));
	ts_vcpu_new(vm, 0);
	ts_dev_add(vm, &dev, HV_BUS_PIO, PM + 8, 1);
	m = mock_vm(vm);
	assert_int_equal(setup_with(vm, edit_none), HV_ERR_OVERLAP);
	assert_int_equal(m->map_calls, 1);
	assert_int_equal(m->unmap_calls, 1);
	assert_int_equal(m->regions_live, 0);
	hv_vm_destroy(vm);
}

static void test_pc_setup_refused_while_running(void **state)
{
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = dt_vm(&vcpu, NULL);

	(void)state;
	dt_start(vm);
	assert_int_equal(setup_with(vm, edit_none), HV_ERR_STATE);
	hv_vm_destroy(vm);
}

static void test_pc_setup_survives_every_allocation_failure(void **state)
{
	hv_pc_config_t c = HV_PC_CONFIG_INIT;
	hv_vm_t *vm = ts_vm_new(HV_VM_MANUAL_RUN);
	size_t pio, mem;
	unsigned long n;
	hv_status_t st = HV_ERR_NO_MEMORY;

	(void)state;
	ts_vcpu_new(vm, 0);
	pio = vm->pio.count;
	mem = vm->mem.count;
	for (n = 1; n < 100 && st != HV_OK; n++) {
		tp_fail_alloc_at(n);
		st = hv_pc_setup(vm, &c);
		if (st != HV_OK) {
			assert_int_equal(st, HV_ERR_NO_MEMORY);
			expect_nothing_left(vm, pio, mem);
		}
	}
	tp_fail_alloc_at(0);
	assert_int_equal(st, HV_OK);
	assert_true(n > 3);
	hv_vm_destroy(vm);
}

static void test_pc_setup_twice_overlaps(void **state)
{
	hv_pc_config_t c = HV_PC_CONFIG_INIT;
	hv_vm_t *vm = ts_vm_new(HV_VM_MANUAL_RUN);
	size_t pio, mem;

	(void)state;
	ts_vcpu_new(vm, 0);
	assert_int_equal(hv_pc_setup(vm, &c), HV_OK);
	pio = vm->pio.count;
	mem = vm->mem.count;
	c.tables_gpa = 0x80000000u; /* a free place for the tables: the PM ports collide */
	assert_int_equal(hv_pc_setup(vm, &c), HV_ERR_OVERLAP);
	assert_int_equal(vm->pio.count, pio);
	assert_int_equal(vm->mem.count, mem);
	hv_vm_destroy(vm);
}

/* ---- hv_pc_virtio_cmdline ---------------------------------------------------------------- */

static void test_pc_virtio_cmdline_formats_every_device(void **state)
{
	static const hv_pc_virtio_t v[2] = { { 0xd0000000u, 5 }, { 0x1d0000200ull, 17 } };
	static const char want[] =
		"virtio_mmio.device=512@0xd0000000:5 virtio_mmio.device=512@0x1d0000200:17";
	char buf[128];
	size_t len = 0;

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(hv_pc_virtio_cmdline(v, 2, buf, sizeof(buf), &len), HV_OK);
	assert_string_equal(buf, want);
	assert_int_equal(len, strlen(want));
	assert_int_equal(hv_pc_virtio_cmdline(v, 2, buf, strlen(want) + 1, &len), HV_OK);
	assert_string_equal(buf, want);
	assert_int_equal(hv_pc_virtio_cmdline(NULL, 0, buf, 1, &len), HV_OK);
	assert_string_equal(buf, "");
	assert_int_equal(len, 0);
}

static void test_pc_virtio_cmdline_reports_the_size_needed(void **state)
{
	static const hv_pc_virtio_t v[1] = { { 0xd0000000u, 5 } };
	char buf[16], exact[35];
	size_t len = 0;

	(void)state;
	assert_int_equal(hv_pc_virtio_cmdline(v, 1, NULL, 0, &len), HV_ERR_RANGE);
	assert_int_equal(len, strlen("virtio_mmio.device=512@0xd0000000:5"));
	len = 0;
	assert_int_equal(hv_pc_virtio_cmdline(v, 1, buf, sizeof(buf), &len), HV_ERR_RANGE);
	assert_int_equal(len, 35);
	assert_int_equal(hv_pc_virtio_cmdline(v, 1, exact, sizeof(exact), &len), HV_ERR_RANGE);
	assert_int_equal(hv_pc_virtio_cmdline(NULL, 0, NULL, 0, &len), HV_ERR_RANGE);
	assert_int_equal(len, 0);
}

static void test_pc_virtio_cmdline_rejects_bad_arguments(void **state)
{
	static const hv_pc_virtio_t v[1] = { { 0xd0000000u, 5 } };
	char buf[64];
	size_t len;

	(void)state;
	assert_int_equal(hv_pc_virtio_cmdline(v, 1, buf, sizeof(buf), NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_pc_virtio_cmdline(NULL, 1, buf, sizeof(buf), &len), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_pc_virtio_cmdline(v, 1, NULL, 8, &len), HV_ERR_INVALID_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_pm_s5_powers_the_guest_off),
		TS_TEST(test_pm_s5_by_bytes),
		TS_TEST(test_pm_other_sleep_types_are_ignored),
		TS_TEST(test_pm_sci_en_reads_one_and_enable_is_stored),
		TS_TEST(test_pm_reset_clears_the_registers),
		FAKE_CLOCK_TEST(test_pm_timer_counts_at_3_579545_mhz),
		FAKE_CLOCK_TEST(test_pm_tmr_sts_is_set_by_bit_31_and_write_1_clears_it),
		TS_TEST(test_pm_timer_is_monotonic_on_the_real_clock),
		TS_TEST(test_pc_setup_rejects_bad_arguments),
		TS_TEST(test_pc_setup_needs_port_io),
		TS_TEST(test_pc_setup_refuses_a_taken_bios_area),
		TS_TEST(test_pc_setup_rolls_back_the_region_when_the_pm_ports_are_taken),
		TS_TEST(test_pc_setup_refused_while_running),
		TS_TEST(test_pc_setup_survives_every_allocation_failure),
		TS_TEST(test_pc_setup_twice_overlaps),
		TS_TEST(test_pc_virtio_cmdline_formats_every_device),
		TS_TEST(test_pc_virtio_cmdline_reports_the_size_needed),
		TS_TEST(test_pc_virtio_cmdline_rejects_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
