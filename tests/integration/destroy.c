/* SPDX-License-Identifier: MIT */
/*
 * Destroying VMs: hv_vm_destroy on a running VM (a guest spinning without exits) returns
 * promptly, joins the vCPU threads and calls each device's destroy callback exactly once; a
 * device removed earlier is destroyed then and not again. Creating, running and destroying 50
 * VMs leaves no file descriptor (KVM VM and vCPU fds), thread or mapping behind.
 */
#include "itest.h"

#include "guest_hello.h"
#include "guest_spin.h"

struct counted {
	unsigned destroys;
};

static void counted_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	(void)ctx;
	(void)offset;
	(void)width;
	*value = 0;
}

static void counted_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	(void)ctx;
	(void)offset;
	(void)width;
	(void)value;
}

static void counted_destroy(void *ctx)
{
	struct counted *c = ctx;

	c->destroys++;
}

static const hv_device_ops_t counted_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = counted_read,
	.write = counted_write,
	.destroy = counted_destroy,
};

static hv_device_t *add_counted(hv_vm_t *vm, struct counted *c, hv_bus_t bus, uint64_t base)
{
	hv_device_config_t dev = HV_DEVICE_CONFIG_INIT;
	hv_device_t *d = NULL;

	dev.bus = bus;
	dev.base = base;
	dev.size = bus == HV_BUS_PIO ? 4 : 0x1000;
	dev.ops = &counted_ops;
	dev.ctx = c;
	assert_int_equal(hv_device_add(vm, &dev, &d), HV_OK);
	assert_ptr_equal(hv_device_ctx(d), c);
	assert_ptr_equal(hv_device_vm(d), vm);
	return d;
}

/* Number of lines in /proc/self/maps. */
static int map_count(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, ch;

	if (f == NULL)
		return -1;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

static void test_destroy_running_vm(void **state)
{
	struct itest_vm t;
	struct counted mmio = { 0 }, pio = { 0 }, removed = { 0 };
	hv_device_t *d;
	int threads = itest_thread_count();
	double t0, dt;

	(void)state;
	hv_vm_destroy(NULL); /* no-op */
	itest_vm_init(&t, NULL, "doomed", 64 * 1024, 2);
	itest_load(&t, guest_spin_start, guest_spin_end, GUEST_SPIN_ORG);
	itest_setup_real(t.vcpu[0], GUEST_SPIN_ORG, false);
	add_counted(t.vm, &mmio, HV_BUS_MMIO, 0xd0000000);
	add_counted(t.vm, &pio, HV_BUS_PIO, 0x400);
	d = add_counted(t.vm, &removed, HV_BUS_PIO, 0x500);
	assert_int_equal(hv_device_remove(d), HV_OK);
	assert_int_equal(removed.destroys, 1);
	assert_int_equal(hv_device_remove(NULL), HV_OK);

	itest_watchdog_start(&t.wd, t.vm, ITEST_WATCHDOG_MS);
	assert_int_equal(hv_vm_start(t.vm), HV_OK);
	assert_true(itest_wait_mem32(t.vm, 0x504, 1000, 2000));
	assert_true(itest_thread_count() > threads + 1); /* watchdog + vCPU threads */
	assert_int_equal(hv_vm_get_state(t.vm), HV_VM_RUNNING);

	t0 = itest_now();
	hv_vm_destroy(t.vm);
	dt = itest_now() - t0;
	t.vm = NULL;
	assert_false(itest_watchdog_stop(&t.wd));
	printf("hv_vm_destroy of a running VM took %.1f ms\n", dt * 1000);
	assert_true(dt < 1.0);
	assert_int_equal(mmio.destroys, 1);
	assert_int_equal(pio.destroys, 1);
	assert_int_equal(removed.destroys, 1);
	assert_int_equal(t.con.destroys, 1);
	assert_int_equal(itest_thread_count_settle(threads, 1000), threads);
	pthread_mutex_destroy(&t.ev_lock);
	pthread_mutex_destroy(&t.con.lock);
}

static void one_vm(unsigned i, bool run)
{
	struct itest_vm t;
	struct counted c = { 0 };

	itest_vm_init(&t, NULL, "loop", 64 * 1024, i % 2 ? 2 : 1);
	add_counted(t.vm, &c, HV_BUS_MMIO, 0xd0000000);
	if (run) {
		itest_load(&t, guest_hello_start, guest_hello_end, GUEST_HELLO_ORG);
		itest_setup_real(t.vcpu[0], GUEST_HELLO_ORG, false);
		itest_run_to_poweroff(&t, ITEST_WATCHDOG_MS);
		assert_string_equal(t.con.text, "hi\n");
	}
	itest_vm_fini(&t);
	assert_int_equal(c.destroys, 1);
	assert_int_equal(t.con.destroys, 1);
}

static void test_destroy_50_vms_leak_nothing(void **state)
{
	int fds0, maps0, threads0;
	unsigned i;

	(void)state;
	one_vm(0, true); /* warm-up: anything opened once per process is opened now */
	fds0 = itest_fd_count();
	maps0 = map_count();
	threads0 = itest_thread_count();
	for (i = 0; i < 50; i++) {
		one_vm(i, i % 5 == 0 || i < 3);
		if (i == 0) /* one VM's descriptors are really closed, not just reused */
			assert_int_equal(itest_fd_count(), fds0);
	}
	assert_int_equal(itest_fd_count(), fds0);
	assert_int_equal(itest_thread_count_settle(threads0, 1000), threads0);
	printf("after 50 VMs: fds %d -> %d, maps %d -> %d\n", fds0, itest_fd_count(), maps0,
	       map_count());
	assert_true(map_count() <= maps0 + 2);
}

static void test_destroy_vm_fds_are_closed(void **state)
{
	hv_vm_config_t cfg = HV_VM_CONFIG_INIT;
	hv_vm_t *vm = NULL;
	hv_vcpu_t *vcpu;
	int fds0 = itest_fd_count();

	(void)state;
	assert_int_equal(hv_vm_create(&cfg, &vm), HV_OK);
	assert_int_equal(hv_vcpu_create(vm, 0, &vcpu), HV_OK);
	assert_int_equal(hv_vcpu_create(vm, 1, &vcpu), HV_OK);
	/* /dev/kvm, the VM and two vCPUs at least */
	assert_true(itest_fd_count() >= fds0 + 3);
	hv_vm_destroy(vm);
	assert_int_equal(itest_fd_count(), fds0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_destroy_running_vm),
		cmocka_unit_test(test_destroy_vm_fds_are_closed),
		cmocka_unit_test(test_destroy_50_vms_leak_nothing),
	};

	itest_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
