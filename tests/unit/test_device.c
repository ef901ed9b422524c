/* SPDX-License-Identifier: MIT */
/* Devices on the MMIO and port-I/O buses: adding, checking windows, removing, destroying. */
#include "test_support.h"

#define PG HV_PAGE_SIZE

static hv_device_config_t dev_config(struct ts_dev *dev, hv_bus_t bus, uint64_t base, uint64_t size)
{
	hv_device_config_t c = HV_DEVICE_CONFIG_INIT;

	memset(dev, 0, sizeof(*dev));
	c.name = "dev";
	c.bus = bus;
	c.base = base;
	c.size = size;
	c.ops = &ts_dev_ops;
	c.ctx = dev;
	return c;
}

static void test_device_add_puts_a_device_on_the_mmio_bus(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	struct ts_dev dev;
	hv_device_config_t c = dev_config(&dev, HV_BUS_MMIO, 0x10000000, 0x1000);
	hv_device_t *d = NULL;
	hv_region_t *r = NULL;

	(void)state;
	assert_int_equal(hv_device_add(vm, &c, &d), HV_OK);
	assert_non_null(d);
	assert_ptr_equal(hv_device_ctx(d), &dev);
	assert_ptr_equal(hv_device_vm(d), vm);
	/* A device window is not memory, and the backend is not asked to map it. */
	assert_int_equal(hv_vm_find_region(vm, 0x10000000, &r), HV_ERR_NOT_MAPPED);
	assert_int_equal(mock_vm(vm)->map_calls, 0);
	assert_int_equal(dev.destroys, 0);
	hv_vm_destroy(vm);
	assert_int_equal(dev.destroys, 1);
}

static void test_device_add_puts_a_device_on_the_port_bus(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	struct ts_dev dev;
	hv_device_config_t c = dev_config(&dev, HV_BUS_PIO, 0x3f8, 8);
	hv_device_t *d = NULL;

	(void)state;
	assert_int_equal(hv_device_add(vm, &c, &d), HV_OK);
	/* Port and memory spaces are separate: the same numbers on the other bus are free. */
	{
		struct ts_dev other;
		hv_device_config_t m = dev_config(&other, HV_BUS_MMIO, 0x3f8, 8);

		assert_int_equal(hv_device_add(vm, &m, NULL), HV_OK);
		hv_vm_destroy(vm);
		assert_int_equal(other.destroys, 1);
	}
	assert_int_equal(dev.destroys, 1);
}

static void test_device_accessors_accept_null(void **state)
{
	(void)state;
	assert_null(hv_device_ctx(NULL));
	assert_null(hv_device_vm(NULL));
	assert_int_equal(hv_device_remove(NULL), HV_OK);
}

static void test_device_add_rejects_null_and_unknown_arguments(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	struct ts_dev dev;
	hv_device_config_t c = dev_config(&dev, HV_BUS_MMIO, 0x1000, 0x10);
	hv_device_ops_t ops = ts_dev_ops;
	hv_device_t *d = NULL;

	(void)state;
	assert_int_equal(hv_device_add(NULL, &c, &d), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_device_add(vm, NULL, &d), HV_ERR_INVALID_ARG);
	c.bus = (hv_bus_t)2;
	assert_int_equal(hv_device_add(vm, &c, &d), HV_ERR_INVALID_ARG);
	c.bus = HV_BUS_MMIO;
	c.ops = NULL;
	assert_int_equal(hv_device_add(vm, &c, &d), HV_ERR_INVALID_ARG);
	c.ops = &ops;
	ops.read = NULL;
	assert_int_equal(hv_device_add(vm, &c, &d), HV_ERR_INVALID_ARG);
	ops = ts_dev_ops;
	ops.write = NULL;
	assert_int_equal(hv_device_add(vm, &c, &d), HV_ERR_INVALID_ARG);
	assert_null(d);
	hv_vm_destroy(vm);
	assert_int_equal(dev.destroys, 0);
}

static void test_device_add_rejects_unknown_config_size_or_ops_version(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	struct ts_dev dev;
	hv_device_config_t c = dev_config(&dev, HV_BUS_MMIO, 0x1000, 0x10);
	hv_device_ops_t ops = ts_dev_ops;

	(void)state;
	c.struct_size = sizeof(c) - 4;
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_ABI);
	c.struct_size = sizeof(c);
	c.ops = &ops;
	ops.version = HV_DEVICE_OPS_VERSION + 1;
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_ABI);
	ops.version = 0;
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_ABI);
	ops.version = HV_DEVICE_OPS_VERSION;
	ops.struct_size = sizeof(ops) + 8;
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_ABI);
	hv_vm_destroy(vm);
	assert_int_equal(dev.destroys, 0);
}

static void test_device_port_window_unsupported_without_port_io(void **state)
{
	hv_vm_t *vm;
	struct ts_dev dev;
	hv_device_config_t c = dev_config(&dev, HV_BUS_PIO, 0x60, 1);

	(void)state;
	mock_knobs.caps_flags &= ~HV_CAP_PIO;
	vm = ts_vm_new(0);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_UNSUPPORTED);
	/* MMIO still works. */
	c.bus = HV_BUS_MMIO;
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_OK);
	hv_vm_destroy(vm);
	assert_int_equal(dev.destroys, 1);
}

static void test_device_add_refused_while_running(void **state)
{
	hv_vm_t *vm = ts_vm_new(HV_VM_MANUAL_RUN);
	struct ts_dev dev;
	hv_device_config_t c = dev_config(&dev, HV_BUS_MMIO, 0x1000, 0x10);
	hv_device_t *d = NULL;

	(void)state;
	assert_int_equal(hv_device_add(vm, &c, &d), HV_OK);
	ts_vcpu_new(vm, 0);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	c.base = 0x2000;
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_STATE);
	assert_int_equal(hv_device_remove(d), HV_ERR_STATE);
	assert_int_equal(dev.destroys, 0);
	assert_int_equal(hv_vm_stop(vm), HV_OK);
	assert_int_equal(hv_device_remove(d), HV_OK);
	assert_int_equal(dev.destroys, 1);
	hv_vm_destroy(vm);
	assert_int_equal(dev.destroys, 1);
}

static void test_device_add_refused_until_threads_are_waited_for(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	struct ts_dev dev, other;
	hv_device_config_t c = dev_config(&dev, HV_BUS_MMIO, 0x1000, 0x10);
	hv_device_t *d = NULL;

	(void)state;
	assert_int_equal(hv_device_add(vm, &c, &d), HV_OK);
	mock_knobs.idle = MOCK_IDLE_BLOCK;
	mock_gate_close();
	assert_int_equal(hv_vm_start(vm), HV_OK);
	mock_wait_runs(vcpu, 1);
	assert_int_equal(hv_vm_stop(vm), HV_OK);
	c = dev_config(&other, HV_BUS_PIO, 0x60, 1);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_STATE);
	assert_int_equal(hv_device_remove(d), HV_ERR_STATE);
	mock_gate_open();
	assert_int_equal(hv_vm_wait(vm, NULL), HV_OK);
	assert_int_equal(hv_device_remove(d), HV_OK);
	assert_int_equal(dev.destroys, 1);
	hv_vm_destroy(vm);
	assert_int_equal(other.destroys, 0);
}

static void test_device_add_rejects_zero_size_and_wrap(void **state)
{
	hv_vm_t *vm;
	struct ts_dev dev;
	hv_device_config_t c;

	(void)state;
	mock_knobs.max_gpa = 0;
	vm = ts_vm_new(0);
	c = dev_config(&dev, HV_BUS_MMIO, 0x1000, 0);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_ZERO_SIZE);
	c = dev_config(&dev, HV_BUS_PIO, 0x60, 0);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_ZERO_SIZE);
	c = dev_config(&dev, HV_BUS_MMIO, UINT64_MAX - 0xf, 0x20);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_WRAP);
	c = dev_config(&dev, HV_BUS_PIO, UINT64_MAX, 2);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_WRAP);
	/* Ending exactly at the top is fine. */
	c = dev_config(&dev, HV_BUS_MMIO, UINT64_MAX - 0xf, 0x10);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_OK);
	hv_vm_destroy(vm);
	assert_int_equal(dev.destroys, 1);
}

static void test_device_port_window_past_0xffff_is_out_of_range(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	struct ts_dev dev;
	hv_device_config_t c;

	(void)state;
	c = dev_config(&dev, HV_BUS_PIO, 0xfffe, 4);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_RANGE);
	c = dev_config(&dev, HV_BUS_PIO, 0x10000, 1);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_RANGE);
	c = dev_config(&dev, HV_BUS_PIO, 0, 0x10001);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_RANGE);
	c = dev_config(&dev, HV_BUS_PIO, 0xfffc, 4);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_OK);
	hv_vm_destroy(vm);
	assert_int_equal(dev.destroys, 1);
}

static void test_device_mmio_window_past_max_gpa_is_out_of_range(void **state)
{
	hv_vm_t *vm;
	struct ts_dev dev;
	hv_device_config_t c;

	(void)state;
	mock_knobs.max_gpa = 1ull << 36;
	vm = ts_vm_new(0);
	c = dev_config(&dev, HV_BUS_MMIO, (1ull << 36) - 8, 16);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_RANGE);
	c = dev_config(&dev, HV_BUS_MMIO, (1ull << 36) - 16, 16);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_OK);
	hv_vm_destroy(vm);
}

static void test_device_rejects_overlap_with_a_region(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	struct ts_dev dev;
	hv_device_config_t c;

	(void)state;
	ts_map_ram(vm, 0x10000, 2 * PG);
	c = dev_config(&dev, HV_BUS_MMIO, 0x11000, 0x10); /* inside */
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_OVERLAP);
	c = dev_config(&dev, HV_BUS_MMIO, 0xfff8, 0x10); /* straddling the start */
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_OVERLAP);
	c = dev_config(&dev, HV_BUS_MMIO, 0x11ff8, 0x10); /* straddling the end */
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_OVERLAP);
	c = dev_config(&dev, HV_BUS_MMIO, 0x0, 0x100000); /* covering */
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_OVERLAP);
	c = dev_config(&dev, HV_BUS_MMIO, 0xfff0, 0x10); /* touching the start */
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_OK);
	hv_vm_destroy(vm);
	assert_int_equal(dev.destroys, 1);
}

static void test_device_rejects_overlap_with_another_device(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	struct ts_dev a, b;
	hv_device_config_t c;

	(void)state;
	c = dev_config(&a, HV_BUS_MMIO, 0x9000000, 0x1000);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_OK);
	c = dev_config(&b, HV_BUS_MMIO, 0x9000800, 0x1000);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_OVERLAP);
	c = dev_config(&b, HV_BUS_MMIO, 0x8fff000, 0x1001);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_OVERLAP);
	c = dev_config(&b, HV_BUS_PIO, 0x60, 4);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_OK);
	c.base = 0x63;
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_OVERLAP);
	c.base = 0x5d;
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_OVERLAP);
	c.base = 0x64; /* touching */
	{
		struct ts_dev d3;

		c.ctx = &d3;
		memset(&d3, 0, sizeof(d3));
		assert_int_equal(hv_device_add(vm, &c, NULL), HV_OK);
		hv_vm_destroy(vm);
		assert_int_equal(d3.destroys, 1);
	}
	assert_int_equal(a.destroys, 1);
	assert_int_equal(b.destroys, 1);
}

static void test_device_rejects_overlap_with_backend_reserved_windows(void **state)
{
	hv_vm_t *vm;
	struct ts_dev dev;
	hv_device_config_t c;

	(void)state;
	mock_knobs.reserve_mmio_base = 0xfee00000;
	mock_knobs.reserve_mmio_size = 0x1000;
	mock_knobs.reserve_pio_base = 0x20;
	mock_knobs.reserve_pio_size = 2;
	vm = ts_vm_new(0);
	c = dev_config(&dev, HV_BUS_MMIO, 0xfee00000, 0x10);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_OVERLAP);
	c = dev_config(&dev, HV_BUS_PIO, 0x21, 1);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_OVERLAP);
	hv_vm_destroy(vm);
}

static void test_device_add_reports_no_memory_and_keeps_ctx_with_the_caller(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	struct ts_dev dev;
	hv_device_config_t c = dev_config(&dev, HV_BUS_MMIO, 0x1000, 0x10);
	hv_device_t *d = NULL;
	size_t live = tp_live_allocs();
	unsigned long n;
	hv_status_t st = HV_ERR_NO_MEMORY;

	(void)state;
	for (n = 1; n < 50; n++) {
		tp_fail_alloc_at(n);
		st = hv_device_add(vm, &c, &d);
		if (st == HV_OK)
			break;
		assert_int_equal(st, HV_ERR_NO_MEMORY);
		assert_null(d);
		assert_int_equal(tp_live_allocs(), live);
		assert_int_equal(dev.destroys, 0);
	}
	assert_int_equal(st, HV_OK);
	assert_true(n >= 3); /* device, name, bus array */
	tp_fail_alloc_at(0);
	hv_vm_destroy(vm);
	assert_int_equal(dev.destroys, 1);
}

static void test_device_failed_add_does_not_call_destroy(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	struct ts_dev a, b;
	hv_device_config_t c = dev_config(&a, HV_BUS_MMIO, 0x1000, 0x10);

	(void)state;
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_OK);
	c = dev_config(&b, HV_BUS_MMIO, 0x1008, 0x10);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_OVERLAP);
	c.size = 0;
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_ERR_ZERO_SIZE);
	hv_vm_destroy(vm);
	assert_int_equal(a.destroys, 1);
	assert_int_equal(b.destroys, 0);
}

static void test_device_remove_calls_destroy_exactly_once(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	struct ts_dev dev, other;
	hv_device_config_t c = dev_config(&dev, HV_BUS_PIO, 0x70, 2);
	hv_device_t *d = NULL;

	(void)state;
	assert_int_equal(hv_device_add(vm, &c, &d), HV_OK);
	c = dev_config(&other, HV_BUS_MMIO, 0x70, 2);
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_OK);
	assert_int_equal(hv_device_remove(d), HV_OK);
	assert_int_equal(dev.destroys, 1);
	assert_int_equal(other.destroys, 0);
	/* The window is free again. */
	c = dev_config(&dev, HV_BUS_PIO, 0x70, 2);
	assert_int_equal(hv_device_add(vm, &c, &d), HV_OK);
	hv_vm_destroy(vm);
	assert_int_equal(dev.destroys, 1); /* reset by dev_config: the new device's destroy */
	assert_int_equal(other.destroys, 1);
}

static void test_device_destroy_callback_is_optional(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	struct ts_dev dev;
	hv_device_ops_t ops = ts_dev_ops;
	hv_device_config_t c = dev_config(&dev, HV_BUS_MMIO, 0x1000, 0x10);
	hv_device_t *d = NULL;

	(void)state;
	ops.destroy = NULL;
	ops.reset = NULL;
	c.ops = &ops;
	c.name = NULL; /* a default name is used */
	assert_int_equal(hv_device_add(vm, &c, &d), HV_OK);
	assert_int_equal(hv_device_remove(d), HV_OK);
	c.base = 0x2000;
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_OK);
	hv_vm_destroy(vm);
	assert_int_equal(dev.destroys, 0);
}

static void test_device_vm_destroy_calls_every_destroy_once(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	struct ts_dev devs[20];
	int i;

	(void)state;
	for (i = 0; i < 20; i++) {
		hv_device_config_t c = dev_config(&devs[i], i % 2 ? HV_BUS_PIO : HV_BUS_MMIO,
						  0x100 + (uint64_t)i * 0x10, 0x10);

		assert_int_equal(hv_device_add(vm, &c, NULL), HV_OK);
	}
	ts_map_ram(vm, 0x10000, PG);
	hv_vm_destroy(vm);
	for (i = 0; i < 20; i++)
		assert_int_equal(devs[i].destroys, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_device_add_puts_a_device_on_the_mmio_bus),
		TS_TEST(test_device_add_puts_a_device_on_the_port_bus),
		TS_TEST(test_device_accessors_accept_null),
		TS_TEST(test_device_add_rejects_null_and_unknown_arguments),
		TS_TEST(test_device_add_rejects_unknown_config_size_or_ops_version),
		TS_TEST(test_device_port_window_unsupported_without_port_io),
		TS_TEST(test_device_add_refused_while_running),
		TS_TEST(test_device_add_refused_until_threads_are_waited_for),
		TS_TEST(test_device_add_rejects_zero_size_and_wrap),
		TS_TEST(test_device_port_window_past_0xffff_is_out_of_range),
		TS_TEST(test_device_mmio_window_past_max_gpa_is_out_of_range),
		TS_TEST(test_device_rejects_overlap_with_a_region),
		TS_TEST(test_device_rejects_overlap_with_another_device),
		TS_TEST(test_device_rejects_overlap_with_backend_reserved_windows),
		TS_TEST(test_device_add_reports_no_memory_and_keeps_ctx_with_the_caller),
		TS_TEST(test_device_failed_add_does_not_call_destroy),
		TS_TEST(test_device_remove_calls_destroy_exactly_once),
		TS_TEST(test_device_destroy_callback_is_optional),
		TS_TEST(test_device_vm_destroy_calls_every_destroy_once),
	};

	return cmocka_run_group_tests_name("device", tests, NULL, NULL);
}
