/* SPDX-License-Identifier: MIT */
/* Interrupt routes and lines, and message-signalled interrupts. */
#include "test_support.h"

static hv_irq_line_t *route(hv_vm_t *vm, uint32_t input, hv_irq_trigger_t trigger)
{
	hv_irq_route_config_t c = HV_IRQ_ROUTE_CONFIG_INIT;
	hv_irq_line_t *line = NULL;

	c.input = input;
	c.trigger = trigger;
	c.name = "line";
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_OK);
	assert_non_null(line);
	return line;
}

static void test_irq_route_add_creates_a_line(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_irq_line_t *line = route(vm, 4, HV_IRQ_EDGE);

	(void)state;
	assert_int_equal(hv_irq_line_input(line), 4);
	assert_false(hv_irq_line_level(line));
	/* Creating a route does not touch the interrupt controller. */
	assert_int_equal(mock_vm(vm)->irq_calls, 0);
	hv_vm_destroy(vm);
}

static void test_irq_line_accessors_accept_null(void **state)
{
	(void)state;
	assert_false(hv_irq_line_level(NULL));
	assert_int_equal(hv_irq_line_input(NULL), UINT32_MAX);
	assert_int_equal(hv_irq_line_raise(NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_irq_line_lower(NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_irq_line_pulse(NULL), HV_ERR_INVALID_ARG);
}

static void test_irq_route_add_rejects_bad_arguments(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_irq_route_config_t c = HV_IRQ_ROUTE_CONFIG_INIT;
	hv_irq_line_t *line = NULL;

	(void)state;
	assert_int_equal(hv_irq_route_add(NULL, &c, &line), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_irq_route_add(vm, NULL, &line), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_irq_route_add(vm, &c, NULL), HV_ERR_INVALID_ARG);
	c.trigger = (hv_irq_trigger_t)2;
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_ERR_INVALID_ARG);
	c.trigger = HV_IRQ_LEVEL;
	c.struct_size = sizeof(c) + 4;
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_ERR_ABI);
	assert_null(line);
	hv_vm_destroy(vm);
}

static void test_irq_second_route_to_an_input_is_busy(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_irq_route_config_t c = HV_IRQ_ROUTE_CONFIG_INIT;
	hv_irq_line_t *line = NULL;

	(void)state;
	route(vm, 5, HV_IRQ_LEVEL);
	route(vm, 6, HV_IRQ_LEVEL);
	c.input = 5;
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_ERR_BUSY);
	c.trigger = HV_IRQ_EDGE; /* whatever the trigger */
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_ERR_BUSY);
	assert_null(line);
	hv_vm_destroy(vm);
}

static void test_irq_routes_are_per_vm(void **state)
{
	hv_vm_t *a = ts_vm_new(0), *b = ts_vm_new(0);
	hv_irq_line_t *la = route(a, 9, HV_IRQ_LEVEL), *lb = route(b, 9, HV_IRQ_LEVEL);

	(void)state;
	assert_int_equal(hv_irq_line_raise(la), HV_OK);
	assert_int_equal(mock_vm(a)->irq_calls, 1);
	assert_int_equal(mock_vm(b)->irq_calls, 0);
	assert_false(hv_irq_line_level(lb));
	hv_vm_destroy(a);
	hv_vm_destroy(b);
}

static void test_irq_input_outside_the_controller_is_out_of_range(void **state)
{
	hv_vm_t *vm;
	hv_irq_route_config_t c = HV_IRQ_ROUTE_CONFIG_INIT;
	hv_irq_line_t *line = NULL;

	(void)state;
	mock_knobs.irq_inputs = 24;
	vm = ts_vm_new(0);
	c.input = 24;
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_ERR_RANGE);
	c.input = UINT32_MAX;
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_ERR_RANGE);
	c.input = 23;
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_OK);
	c.input = 0;
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_OK);
	hv_vm_destroy(vm);
}

static void test_irq_routes_unsupported_without_irqchip(void **state)
{
	hv_vm_t *vm;
	hv_irq_route_config_t c = HV_IRQ_ROUTE_CONFIG_INIT;
	hv_irq_line_t *line = NULL;
	hv_vm_config_t vc = ts_vm_config();

	(void)state;
	mock_knobs.caps_flags &= ~HV_CAP_IRQCHIP;
	vm = ts_vm_new(0);
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_ERR_UNSUPPORTED);
	hv_vm_destroy(vm);
	/* A backend that claims an irqchip but has no irq_set callback is treated the same. */
	mock_knobs.caps_flags |= HV_CAP_IRQCHIP;
	vc.backend = &mock_backend_no_irq;
	assert_int_equal(hv_vm_create(&vc, &vm), HV_OK);
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_ERR_UNSUPPORTED);
	hv_vm_destroy(vm);
}

static void test_irq_route_add_refused_while_running(void **state)
{
	hv_vm_t *vm = ts_vm_new(HV_VM_MANUAL_RUN);
	hv_irq_route_config_t c = HV_IRQ_ROUTE_CONFIG_INIT;
	hv_irq_line_t *line = NULL;

	(void)state;
	ts_vcpu_new(vm, 0);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_ERR_STATE);
	assert_int_equal(hv_vm_pause(vm), HV_OK);
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_OK);
	hv_vm_destroy(vm);
}

static void test_irq_route_add_refused_until_threads_are_waited_for(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	hv_irq_route_config_t c = HV_IRQ_ROUTE_CONFIG_INIT;
	hv_irq_line_t *line = NULL;

	(void)state;
	mock_knobs.idle = MOCK_IDLE_BLOCK;
	mock_gate_close();
	assert_int_equal(hv_vm_start(vm), HV_OK);
	mock_wait_runs(vcpu, 1);
	assert_int_equal(hv_vm_pause(vm), HV_OK);
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_ERR_STATE);
	mock_gate_open();
	assert_int_equal(hv_vm_wait(vm, NULL), HV_OK);
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_OK);
	hv_vm_destroy(vm);
}

static void test_irq_route_add_reports_no_memory(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_irq_route_config_t c = HV_IRQ_ROUTE_CONFIG_INIT;
	hv_irq_line_t *line = NULL;
	size_t live = tp_live_allocs();

	(void)state;
	c.input = 3;
	tp_fail_alloc_at(1);
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_ERR_NO_MEMORY);
	tp_fail_alloc_at(2);
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_ERR_NO_MEMORY);
	assert_null(line);
	assert_int_equal(tp_live_allocs(), live);
	tp_fail_alloc_at(0);
	/* The failed attempts did not claim the input. */
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_OK);
	hv_vm_destroy(vm);
}

static void test_irq_raise_lower_pulse_reach_the_backend_with_the_right_levels(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_irq_line_t *level = route(vm, 10, HV_IRQ_LEVEL), *edge = route(vm, 11, HV_IRQ_EDGE);
	struct mock_vm *mv = mock_vm(vm);

	(void)state;
	assert_int_equal(hv_irq_line_raise(level), HV_OK);
	assert_true(hv_irq_line_level(level));
	assert_int_equal(hv_irq_line_lower(level), HV_OK);
	assert_false(hv_irq_line_level(level));
	assert_int_equal(hv_irq_line_pulse(edge), HV_OK);
	assert_false(hv_irq_line_level(edge));
	assert_int_equal(mv->irq_calls, 4);
	assert_int_equal(mv->irq[0].input, 10);
	assert_true(mv->irq[0].level);
	assert_int_equal(mv->irq[1].input, 10);
	assert_false(mv->irq[1].level);
	assert_int_equal(mv->irq[2].input, 11);
	assert_true(mv->irq[2].level);
	assert_int_equal(mv->irq[3].input, 11);
	assert_false(mv->irq[3].level);
	hv_vm_destroy(vm);
}

static void test_irq_refused_by_the_backend_is_reported(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_irq_line_t *line = route(vm, 1, HV_IRQ_LEVEL);

	(void)state;
	mock_knobs.irq_set_status = HV_ERR_BACKEND;
	assert_int_equal(hv_irq_line_raise(line), HV_ERR_BACKEND);
	assert_int_equal(hv_irq_line_lower(line), HV_ERR_BACKEND);
	/* A pulse whose raise fails does not go on to lower. */
	assert_int_equal(hv_irq_line_pulse(line), HV_ERR_BACKEND);
	assert_int_equal(mock_vm(vm)->irq_calls, 3);
	mock_knobs.irq_set_status = HV_OK;
	hv_vm_destroy(vm);
}

static void test_irq_lines_work_from_a_running_vm(void **state)
{
	hv_vm_t *vm = ts_vm_new(HV_VM_MANUAL_RUN);
	hv_irq_line_t *line = route(vm, 2, HV_IRQ_LEVEL);

	(void)state;
	ts_vcpu_new(vm, 0);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_irq_line_raise(line), HV_OK);
	assert_int_equal(mock_vm(vm)->irq_calls, 1);
	hv_vm_destroy(vm);
}

static void test_irq_reset_lowers_every_line(void **state)
{
	hv_vm_t *vm = ts_vm_new(HV_VM_MANUAL_RUN);
	hv_irq_line_t *a = route(vm, 3, HV_IRQ_LEVEL), *b = route(vm, 4, HV_IRQ_LEVEL);
	struct mock_vm *mv = mock_vm(vm);
	unsigned i, lowered_a = 0, lowered_b = 0;

	(void)state;
	ts_vcpu_new(vm, 0);
	assert_int_equal(hv_irq_line_raise(a), HV_OK);
	assert_int_equal(hv_irq_line_raise(b), HV_OK);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vm_stop(vm), HV_OK);
	assert_int_equal(hv_vm_reset(vm), HV_OK);
	assert_false(hv_irq_line_level(a));
	assert_false(hv_irq_line_level(b));
	for (i = 2; i < mv->irq_calls; i++) {
		assert_false(mv->irq[i].level);
		lowered_a += mv->irq[i].input == 3;
		lowered_b += mv->irq[i].input == 4;
	}
	assert_int_equal(lowered_a, 1);
	assert_int_equal(lowered_b, 1);
	hv_vm_destroy(vm);
}

static void test_irq_msi_reaches_the_backend(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	struct mock_vm *mv = mock_vm(vm);

	(void)state;
	assert_int_equal(hv_vm_signal_msi(vm, 0xfee00000, 0x4041), HV_OK);
	assert_int_equal(mv->msi_calls, 1);
	assert_int_equal(mv->msi[0].address, 0xfee00000);
	assert_int_equal(mv->msi[0].data, 0x4041);
	mock_knobs.msi_status = HV_ERR_INVALID_ARG; /* whatever the backend says: BACKEND */
	assert_int_equal(hv_vm_signal_msi(vm, 0xfee00000, 1), HV_ERR_BACKEND);
	mock_knobs.msi_status = HV_OK;
	assert_int_equal(hv_vm_signal_msi(NULL, 0xfee00000, 1), HV_ERR_INVALID_ARG);
	hv_vm_destroy(vm);
}

static void test_irq_msi_unsupported_without_the_capability(void **state)
{
	hv_vm_t *vm;
	hv_vm_config_t vc = ts_vm_config();

	(void)state;
	mock_knobs.caps_flags &= ~HV_CAP_MSI;
	vm = ts_vm_new(0);
	assert_int_equal(hv_vm_signal_msi(vm, 0xfee00000, 1), HV_ERR_UNSUPPORTED);
	assert_int_equal(mock_vm(vm)->msi_calls, 0);
	hv_vm_destroy(vm);
	mock_knobs.caps_flags |= HV_CAP_MSI;
	vc.backend = &mock_backend_no_irq;
	assert_int_equal(hv_vm_create(&vc, &vm), HV_OK);
	assert_int_equal(hv_vm_signal_msi(vm, 0xfee00000, 1), HV_ERR_UNSUPPORTED);
	hv_vm_destroy(vm);
}

struct irq_from_device {
	hv_irq_line_t *line;
	unsigned writes;
};

static void irq_dev_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	(void)ctx;
	(void)offset;
	(void)width;
	*value = 0;
}

static void irq_dev_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct irq_from_device *d = ctx;

	(void)offset;
	(void)width;
	d->writes++;
	if (value)
		assert_int_equal(hv_irq_line_raise(d->line), HV_OK);
	else
		assert_int_equal(hv_irq_line_lower(d->line), HV_OK);
}

static void test_irq_device_callbacks_can_drive_lines(void **state)
{
	static const hv_device_ops_t ops = {
		.struct_size = sizeof(hv_device_ops_t),
		.version = HV_DEVICE_OPS_VERSION,
		.read = irq_dev_read,
		.write = irq_dev_write,
	};
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	hv_device_config_t c = HV_DEVICE_CONFIG_INIT;
	struct irq_from_device d = { 0 };
	struct mock_vm *mv = mock_vm(vm);
	hv_vm_state_t st;

	(void)state;
	d.line = route(vm, 7, HV_IRQ_LEVEL);
	c.bus = HV_BUS_MMIO;
	c.base = 0x9000000;
	c.size = 0x100;
	c.ops = &ops;
	c.ctx = &d;
	assert_int_equal(hv_device_add(vm, &c, NULL), HV_OK);
	mock_push_mmio(vcpu, 0x9000000, 4, true, 1);
	mock_push_mmio(vcpu, 0x9000000, 4, true, 0);
	/* Library threads run the vCPU; the script ends with a stop. */
	assert_int_equal(hv_vm_run(vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_STOPPED);
	assert_int_equal(d.writes, 2);
	assert_int_equal(mv->irq_calls, 2);
	assert_true(mv->irq[0].level);
	assert_false(mv->irq[1].level);
	hv_vm_destroy(vm);
}

static hv_status_t host_route(hv_vm_t *vm, uint32_t input, uint32_t host_irq, hv_irq_line_t **line)
{
	hv_irq_route_config_t c = HV_IRQ_ROUTE_CONFIG_INIT;

	c.input = input;
	c.trigger = HV_IRQ_LEVEL;
	c.flags = HV_IRQ_ROUTE_HOST;
	c.host_irq = host_irq;
	return hv_irq_route_add(vm, &c, line);
}

static void test_irq_host_route_needs_the_capability(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_irq_line_t *line = NULL;

	(void)state;
	assert_int_equal(host_route(vm, 5, 40, &line), HV_ERR_UNSUPPORTED);
	assert_null(line);
	assert_int_equal(mock_knobs.host_binds, 0);
	hv_vm_destroy(vm);
}

static void test_irq_route_add_rejects_unknown_flags(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_irq_route_config_t c = HV_IRQ_ROUTE_CONFIG_INIT;
	hv_irq_line_t *line = NULL;

	(void)state;
	c.input = 3;
	c.flags = 2;
	assert_int_equal(hv_irq_route_add(vm, &c, &line), HV_ERR_INVALID_ARG);
	assert_null(line);
	hv_vm_destroy(vm);
}

static void test_irq_host_route_binds_and_is_released_with_the_vm(void **state)
{
	hv_vm_t *vm;
	hv_irq_line_t *line = NULL;

	(void)state;
	mock_knobs.caps_flags |= HV_CAP_IRQ_PASSTHROUGH;
	vm = ts_vm_new(0);
	assert_int_equal(host_route(vm, 5, 40, &line), HV_OK);
	assert_non_null(line);
	assert_int_equal(mock_knobs.host_binds, 1);
	assert_int_equal(mock_knobs.host_input, 5);
	assert_int_equal(mock_knobs.host_irq, 40);
	assert_int_equal(mock_knobs.host_trigger, HV_IRQ_LEVEL);
	assert_int_equal(hv_irq_line_input(line), 5);
	/* The device drives it: the host cannot. */
	assert_int_equal(hv_irq_line_raise(line), HV_ERR_UNSUPPORTED);
	assert_int_equal(hv_irq_line_pulse(line), HV_ERR_UNSUPPORTED);
	assert_int_equal(mock_vm(vm)->irq_calls, 0);
	assert_false(hv_irq_line_level(line));
	/* The input is taken, by a host route as by any other. */
	assert_int_equal(host_route(vm, 5, 41, &line), HV_ERR_BUSY);
	assert_int_equal(mock_knobs.host_binds, 1);
	assert_int_equal(mock_knobs.host_unbinds, 0);
	hv_vm_destroy(vm);
	assert_int_equal(mock_knobs.host_unbinds, 1);
	assert_int_equal(mock_knobs.host_irq, 40);
}

static void test_irq_host_route_refused_by_the_backend_leaves_no_line(void **state)
{
	hv_vm_t *vm;
	hv_irq_line_t *line = NULL;

	(void)state;
	mock_knobs.caps_flags |= HV_CAP_IRQ_PASSTHROUGH;
	vm = ts_vm_new(0);
	mock_knobs.irq_host_status = HV_ERR_BUSY;
	assert_int_equal(host_route(vm, 6, 33, &line), HV_ERR_BUSY);
	assert_null(line);
	mock_knobs.irq_host_status = HV_ERR_RANGE;
	assert_int_equal(host_route(vm, 6, 2000, &line), HV_ERR_RANGE);
	/* The input is still free. */
	line = route(vm, 6, HV_IRQ_LEVEL);
	assert_int_equal(hv_irq_line_raise(line), HV_OK);
	hv_vm_destroy(vm);
	assert_int_equal(mock_knobs.host_unbinds, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_irq_route_add_creates_a_line),
		TS_TEST(test_irq_line_accessors_accept_null),
		TS_TEST(test_irq_route_add_rejects_bad_arguments),
		TS_TEST(test_irq_second_route_to_an_input_is_busy),
		TS_TEST(test_irq_routes_are_per_vm),
		TS_TEST(test_irq_input_outside_the_controller_is_out_of_range),
		TS_TEST(test_irq_routes_unsupported_without_irqchip),
		TS_TEST(test_irq_route_add_refused_while_running),
		TS_TEST(test_irq_route_add_refused_until_threads_are_waited_for),
		TS_TEST(test_irq_route_add_reports_no_memory),
		TS_TEST(test_irq_raise_lower_pulse_reach_the_backend_with_the_right_levels),
		TS_TEST(test_irq_refused_by_the_backend_is_reported),
		TS_TEST(test_irq_lines_work_from_a_running_vm),
		TS_TEST(test_irq_reset_lowers_every_line),
		TS_TEST(test_irq_msi_reaches_the_backend),
		TS_TEST(test_irq_msi_unsupported_without_the_capability),
		TS_TEST(test_irq_device_callbacks_can_drive_lines),
		TS_TEST(test_irq_host_route_needs_the_capability),
		TS_TEST(test_irq_route_add_rejects_unknown_flags),
		TS_TEST(test_irq_host_route_binds_and_is_released_with_the_vm),
		TS_TEST(test_irq_host_route_refused_by_the_backend_leaves_no_line),
	};

	return cmocka_run_group_tests_name("irq", tests, NULL, NULL);
}
