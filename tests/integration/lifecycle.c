/* SPDX-License-Identifier: MIT */
/*
 * VM life cycle on a spinning guest (tests/guests/spin.S: boots counter at 0x500, loop counter
 * at 0x504): pause stops the guest (its counter freezes), start resumes it, stop ends it, a
 * stopped VM only starts again after a reset, and a reset reruns the guest from its boot
 * registers. Events arrive in order. Assembling a running VM is refused with HV_ERR_STATE.
 */
#include "itest.h"

#include "guest_spin.h"

#define BOOTS 0x500
#define COUNTER 0x504

static void spin_vm(struct itest_vm *t)
{
	itest_vm_init(t, NULL, "spin", 64 * 1024, 1);
	itest_load(t, guest_spin_start, guest_spin_end, GUEST_SPIN_ORG);
	itest_setup_real(t->vcpu[0], GUEST_SPIN_ORG, false);
}

/* The counter advances within a second. */
static bool advances(hv_vm_t *vm)
{
	uint32_t c0 = itest_read32(vm, COUNTER);

	return itest_wait_mem32(vm, COUNTER, c0 + 100, 1000);
}

static void test_lifecycle_pause_resume_stop_reset(void **state)
{
	struct itest_vm t;
	hv_vm_state_t st = HV_VM_CREATED;
	uint32_t c1, c2;

	(void)state;
	spin_vm(&t);
	assert_int_equal(hv_vm_get_state(t.vm), HV_VM_CREATED);
	assert_int_equal(hv_vm_wait(t.vm, &st), HV_ERR_STATE); /* never started */
	assert_int_equal(hv_vm_pause(t.vm), HV_ERR_STATE);
	assert_int_equal(hv_vm_get_stop_info(t.vm, &(hv_stop_info_t)HV_STOP_INFO_INIT),
			 HV_ERR_STATE);

	itest_watchdog_start(&t.wd, t.vm, 4 * ITEST_WATCHDOG_MS);
	assert_int_equal(hv_vm_start(t.vm), HV_OK);
	assert_int_equal(hv_vm_get_state(t.vm), HV_VM_RUNNING);
	assert_int_equal(hv_vm_start(t.vm), HV_ERR_STATE); /* already running */
	assert_true(itest_wait_mem32(t.vm, BOOTS, 1, 2000));
	assert_true(advances(t.vm));

	/* Pause: the call returns at once, wait reports PAUSED, the guest is frozen. */
	assert_int_equal(hv_vm_pause(t.vm), HV_OK);
	assert_int_equal(hv_vm_wait(t.vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_PAUSED);
	assert_int_equal(hv_vm_get_state(t.vm), HV_VM_PAUSED);
	assert_int_equal(hv_vm_pause(t.vm), HV_ERR_STATE);
	c1 = itest_read32(t.vm, COUNTER);
	itest_sleep_ms(100);
	c2 = itest_read32(t.vm, COUNTER);
	assert_int_equal(c1, c2);

	/* Resume: the guest goes on where it was (no new boot). */
	assert_int_equal(hv_vm_start(t.vm), HV_OK);
	assert_true(advances(t.vm));
	assert_int_equal(itest_read32(t.vm, BOOTS), 1);
	assert_true(itest_read32(t.vm, COUNTER) > c2);

	/* Stop: STOPPED, and start is refused until a reset. */
	assert_int_equal(hv_vm_stop(t.vm), HV_OK);
	assert_int_equal(hv_vm_wait(t.vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_STOPPED);
	assert_int_equal(hv_vm_stop(t.vm), HV_OK); /* stopping a stopped VM is fine */
	assert_int_equal(hv_vm_start(t.vm), HV_ERR_STATE);
	assert_int_equal(hv_vm_pause(t.vm), HV_ERR_STATE);
	assert_int_equal(itest_stop_info(&t).cause, HV_EVENT_VM_STOPPED);
	assert_int_equal(itest_stop_info(&t).vcpu_index, UINT32_MAX);

	/* Reset: back to the boot registers, memory kept; the guest boots a second time. */
	assert_int_equal(hv_vm_reset(t.vm), HV_OK);
	assert_int_equal(hv_vm_get_state(t.vm), HV_VM_PAUSED);
	assert_int_equal(t.con.resets, 1);      /* device reset callback */
	assert_int_equal(t.host_resets, 1);     /* config on_reset callback */
	assert_int_equal(hv_vm_get_stop_info(t.vm, &(hv_stop_info_t)HV_STOP_INFO_INIT),
			 HV_ERR_STATE);
	assert_int_equal(hv_vm_start(t.vm), HV_OK);
	assert_true(itest_wait_mem32(t.vm, BOOTS, 2, 2000));
	assert_true(advances(t.vm));
	assert_int_equal(hv_vm_reset(t.vm), HV_ERR_STATE); /* running */
	assert_int_equal(hv_vm_stop(t.vm), HV_OK);
	assert_int_equal(hv_vm_wait(t.vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_STOPPED);
	assert_false(itest_watchdog_stop(&t.wd));
	assert_int_equal(itest_read32(t.vm, BOOTS), 2);

	/* Events, in order: paused, stopped, stopped. */
	if (t.ev_count != 3)
		itest_events_print(&t);
	assert_int_equal(t.ev_count, 3);
	assert_int_equal(t.ev_type[0], HV_EVENT_VM_PAUSED);
	assert_int_equal(t.ev_type[1], HV_EVENT_VM_STOPPED);
	assert_int_equal(t.ev_type[2], HV_EVENT_VM_STOPPED);
	assert_int_equal(t.ev_vcpu[0], UINT32_MAX);
	itest_vm_fini(&t);
}

static void nop_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	(void)ctx;
	(void)offset;
	(void)width;
	*value = 0;
}

static void nop_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	(void)ctx;
	(void)offset;
	(void)width;
	(void)value;
}

static const hv_device_ops_t nop_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = nop_read,
	.write = nop_write,
};

static void test_lifecycle_assembly_refused_while_running(void **state)
{
	struct itest_vm t;
	hv_region_config_t ram = HV_REGION_CONFIG_INIT;
	hv_device_config_t dev = HV_DEVICE_CONFIG_INIT;
	hv_irq_route_config_t route = HV_IRQ_ROUTE_CONFIG_INIT;
	hv_irq_line_t *line = NULL;
	hv_region_t *region = NULL;
	hv_vcpu_t *vcpu = NULL;
	hv_vm_state_t st;

	(void)state;
	spin_vm(&t);
	ram.type = HV_REGION_RAM;
	ram.gpa = 0x100000;
	ram.size = 0x10000;
	dev.bus = HV_BUS_MMIO;
	dev.base = 0xd0000000;
	dev.size = 0x1000;
	dev.ops = &nop_ops;
	route.input = 5;

	itest_watchdog_start(&t.wd, t.vm, 2 * ITEST_WATCHDOG_MS);
	assert_int_equal(hv_vm_start(t.vm), HV_OK);
	assert_true(itest_wait_mem32(t.vm, BOOTS, 1, 2000));
	assert_int_equal(hv_vm_map_region(t.vm, &ram, &region), HV_ERR_STATE);
	assert_int_equal(hv_device_add(t.vm, &dev, NULL), HV_ERR_STATE);
	assert_int_equal(hv_vcpu_create(t.vm, 1, &vcpu), HV_ERR_STATE);
	assert_int_equal(hv_irq_route_add(t.vm, &route, &line), HV_ERR_STATE);
	assert_int_equal(hv_vm_reset(t.vm), HV_ERR_STATE);
	assert_null(region);
	assert_null(vcpu);
	assert_null(line);

	/* Paused: the map and buses may change again; vCPUs only before the first start. */
	assert_int_equal(hv_vm_pause(t.vm), HV_OK);
	assert_int_equal(hv_vm_wait(t.vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_PAUSED);
	assert_int_equal(hv_vcpu_create(t.vm, 1, &vcpu), HV_ERR_STATE);
	assert_int_equal(hv_vm_map_region(t.vm, &ram, &region), HV_OK);
	assert_int_equal(hv_device_add(t.vm, &dev, NULL), HV_OK);
	assert_int_equal(hv_irq_route_add(t.vm, &route, &line), HV_OK);
	assert_int_equal(hv_vm_unmap_region(region), HV_OK);
	assert_int_equal(hv_vm_stop(t.vm), HV_OK);
	assert_int_equal(hv_vm_wait(t.vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_STOPPED);
	assert_false(itest_watchdog_stop(&t.wd));
	itest_vm_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle_pause_resume_stop_reset),
		cmocka_unit_test(test_lifecycle_assembly_refused_while_running),
	};

	itest_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
