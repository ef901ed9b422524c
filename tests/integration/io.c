/* SPDX-License-Identifier: MIT */
/*
 * Port I/O through the public API on a real guest: OUT and IN of widths 1, 2 and 4 reach the
 * device with base-relative offsets and exact values, string I/O (rep outsb/insb/outsw) is
 * split into one device access per element, and an unmapped port either faults (default
 * policy, with the port in the stop info) or reads as all ones (HV_UNMAPPED_IGNORE).
 */
#include "itest.h"

#include "guest_io.h"

#define DEV_PORT 0x300

struct access {
	uint64_t offset;
	uint32_t width;
	bool is_write;
	uint64_t value;
};

struct iodev {
	pthread_mutex_t lock;
	struct access log[64];
	size_t count;
	char in_next; /* next byte of the rep insb stream */
};

static void iodev_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	struct iodev *d = ctx;

	switch (offset) {
	case 0: *value = 0xa5; break;
	case 2: *value = 0x1234; break;
	case 4: *value = 0xcafef00d; break;
	case 9: *value = (uint64_t)(unsigned char)d->in_next++; break;
	default: *value = 0; break;
	}
	pthread_mutex_lock(&d->lock);
	if (d->count < 64)
		d->log[d->count++] = (struct access){ offset, width, false, *value };
	pthread_mutex_unlock(&d->lock);
}

static void iodev_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct iodev *d = ctx;

	pthread_mutex_lock(&d->lock);
	if (d->count < 64)
		d->log[d->count++] = (struct access){ offset, width, true, value };
	pthread_mutex_unlock(&d->lock);
}

static const hv_device_ops_t iodev_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = iodev_read,
	.write = iodev_write,
};

static void setup(struct itest_vm *t, const hv_vm_config_t *cfg, struct iodev *d, uint64_t entry)
{
	hv_device_config_t dev = HV_DEVICE_CONFIG_INIT;

	itest_vm_init(t, cfg, "io", 64 * 1024, 1);
	itest_load(t, guest_io_start, guest_io_end, GUEST_IO_ORG);
	if (d != NULL) {
		memset(d, 0, sizeof(*d));
		pthread_mutex_init(&d->lock, NULL);
		d->in_next = 'a';
		dev.name = "iodev";
		dev.bus = HV_BUS_PIO;
		dev.base = DEV_PORT;
		dev.size = 16;
		dev.ops = &iodev_ops;
		dev.ctx = d;
		assert_int_equal(hv_device_add(t->vm, &dev, NULL), HV_OK);
	}
	itest_setup_real(t->vcpu[0], GUEST_IO_ORG + entry, false);
}

static void expect(const struct access *a, uint64_t offset, uint32_t width, bool is_write,
		   uint64_t value)
{
	assert_int_equal(a->offset, offset);
	assert_int_equal(a->width, width);
	assert_int_equal(a->is_write, is_write);
	assert_int_equal(a->value, value);
}

static void test_io_widths_and_string_io(void **state)
{
	struct itest_vm t;
	struct iodev d;
	char inbuf[6] = { 0 };
	size_t i;

	(void)state;
	setup(&t, NULL, &d, 0);
	itest_run_to_poweroff(&t, ITEST_WATCHDOG_MS);

	/* 3 OUTs, 3 INs, 6 string OUTs, 5 string INs, 3 word string OUTs. */
	assert_int_equal(d.count, 3 + 3 + 6 + 5 + 3);
	expect(&d.log[0], 0, 1, true, 0x5a);
	expect(&d.log[1], 2, 2, true, 0xbeef);
	expect(&d.log[2], 4, 4, true, 0xdeadbeef);
	expect(&d.log[3], 0, 1, false, 0xa5);
	expect(&d.log[4], 2, 2, false, 0x1234);
	expect(&d.log[5], 4, 4, false, 0xcafef00d);
	for (i = 0; i < 6; i++)
		expect(&d.log[6 + i], 8, 1, true, (uint64_t)(unsigned char)"STRING"[i]);
	for (i = 0; i < 5; i++)
		expect(&d.log[12 + i], 9, 1, false, (uint64_t)('a' + i));
	for (i = 0; i < 3; i++)
		expect(&d.log[17 + i], 10, 2, true, 0x1111 * (i + 1));

	/* The guest saw the values the device returned. */
	assert_int_equal(t.con.result_count, 3);
	assert_int_equal(t.con.results[0], 0xa5);
	assert_int_equal(t.con.results[1], 0x1234);
	assert_int_equal(t.con.results[2], 0xcafef00d);
	assert_int_equal(t.con.result_width[2], 4);
	assert_int_equal(hv_vm_read(t.vm, 0x600, inbuf, 5), HV_OK);
	assert_string_equal(inbuf, "abcde");

	assert_int_equal(itest_stop_info(&t).cause, HV_EVENT_VM_STOPPED);
	pthread_mutex_destroy(&d.lock);
	itest_vm_fini(&t);
}

static void check_unmapped_fault(uint64_t entry, uint16_t port, bool is_write)
{
	struct itest_vm t;
	hv_vm_state_t state;
	hv_stop_info_t info;
	int i;

	setup(&t, NULL, NULL, entry);
	assert_int_equal(itest_run(&t, ITEST_WATCHDOG_MS, &state), HV_OK);
	assert_false(t.watchdog_fired);
	assert_int_equal(state, HV_VM_STOPPED);
	assert_int_equal(t.con.poweroffs, 0);
	assert_int_equal(t.con.result_count, 0); /* the guest did not go on */

	info = itest_stop_info(&t);
	assert_int_equal(info.cause, HV_EVENT_FAULT);
	assert_int_equal(info.vcpu_index, 0);
	assert_int_equal(info.exit.reason, HV_EXIT_FAULT);
	assert_int_equal(info.exit.u.fault.kind, HV_FAULT_UNMAPPED);
	assert_int_equal(info.exit.u.fault.gpa, port);
	assert_int_equal(info.exit.u.fault.detail, is_write);

	/* Events: FAULT (with its exit) then VM_STOPPED. */
	i = itest_event_find(&t, HV_EVENT_FAULT, 0);
	assert_true(i >= 0);
	assert_true(t.ev_has_exit[i]);
	assert_int_equal(t.ev_exit[i].u.fault.kind, HV_FAULT_UNMAPPED);
	assert_true(itest_event_find(&t, HV_EVENT_VM_STOPPED, (size_t)i) > i);
	assert_int_equal(itest_event_count(&t, HV_EVENT_FAULT), 1);
	itest_vm_fini(&t);
}

static void test_io_unmapped_write_faults(void **state)
{
	(void)state;
	check_unmapped_fault(0x200, 0x510, true);
}

static void test_io_unmapped_read_faults(void **state)
{
	(void)state;
	check_unmapped_fault(0x280, 0x512, false);
}

static void test_io_unmapped_ignore_reads_all_ones(void **state)
{
	hv_vm_config_t cfg = HV_VM_CONFIG_INIT;
	struct itest_vm t;

	(void)state;
	cfg.unmapped_pio = HV_UNMAPPED_IGNORE;
	setup(&t, &cfg, NULL, 0x300);
	itest_run_to_poweroff(&t, ITEST_WATCHDOG_MS);
	assert_int_equal(t.con.result_count, 4);
	assert_int_equal(t.con.results[0], 0xff);
	assert_int_equal(t.con.results[1], 0xffff);
	assert_int_equal(t.con.results[2], 0xffffffff);
	assert_int_equal(t.con.results[3], 0x600d); /* went on after the dropped OUT */
	assert_int_equal(itest_event_count(&t, HV_EVENT_FAULT), 0);
	itest_vm_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_widths_and_string_io),
		cmocka_unit_test(test_io_unmapped_write_faults),
		cmocka_unit_test(test_io_unmapped_read_faults),
		cmocka_unit_test(test_io_unmapped_ignore_reads_all_ones),
	};

	itest_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
