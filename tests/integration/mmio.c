/* SPDX-License-Identifier: MIT */
/*
 * MMIO from a 64-bit long-mode guest: stores and loads of 1, 2, 4 and 8 bytes reach a device at
 * 4 GiB with base-relative offsets and exact values; an access straddling the device's end and
 * an access to unmapped space fault with the address in the stop info; HV_UNMAPPED_IGNORE makes
 * unmapped loads read all ones; a ROM region is readable, drops guest stores, and is writable
 * by the host.
 */
#include "itest.h"

#include "guest_mmio.h"

#define DEV_BASE 0x100000000ull
#define DEV_SIZE 0x800
#define NOWHERE 0x180000000ull
#define ROM_GPA 0x200000ull
#define RAM_SIZE (1024 * 1024)

struct access {
	uint64_t offset;
	uint32_t width;
	bool is_write;
	uint64_t value;
};

struct mdev {
	struct access log[32];
	size_t count;
};

static void mdev_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	struct mdev *d = ctx;

	switch (offset) {
	case 0x10: *value = 0xa1; break;
	case 0x20: *value = 0xb2c3; break;
	case 0x30: *value = 0xd4e5f607; break;
	case 0x40: *value = 0x0123456789abcdefull; break;
	default: *value = 0; break;
	}
	if (d->count < 32)
		d->log[d->count++] = (struct access){ offset, width, false, *value };
}

static void mdev_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct mdev *d = ctx;

	if (d->count < 32)
		d->log[d->count++] = (struct access){ offset, width, true, value };
}

static const hv_device_ops_t mdev_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = mdev_read,
	.write = mdev_write,
};

static void setup(struct itest_vm *t, const hv_vm_config_t *cfg, struct mdev *d, uint64_t entry)
{
	hv_device_config_t dev = HV_DEVICE_CONFIG_INIT;

	itest_vm_init(t, cfg, "mmio", RAM_SIZE, 1);
	itest_load(t, guest_mmio_start, guest_mmio_end, GUEST_MMIO_ORG);
	memset(d, 0, sizeof(*d));
	dev.name = "mdev";
	dev.bus = HV_BUS_MMIO;
	dev.base = DEV_BASE;
	dev.size = DEV_SIZE;
	dev.ops = &mdev_ops;
	dev.ctx = d;
	assert_int_equal(hv_device_add(t->vm, &dev, NULL), HV_OK);
	itest_setup_long(t->vm, t->vcpu[0], GUEST_MMIO_ORG + entry, 0x8000);
}

static void expect(const struct access *a, uint64_t offset, uint32_t width, bool is_write,
		   uint64_t value)
{
	assert_int_equal(a->offset, offset);
	assert_int_equal(a->width, width);
	assert_int_equal(a->is_write, is_write);
	assert_int_equal(a->value, value);
}

static void test_mmio_widths_offsets_values(void **state)
{
	struct itest_vm t;
	struct mdev d;

	(void)state;
	setup(&t, NULL, &d, 0);
	itest_run_to_poweroff(&t, ITEST_WATCHDOG_MS);
	assert_int_equal(d.count, 8);
	expect(&d.log[0], 0x08, 1, true, 0x11);
	expect(&d.log[1], 0x0a, 2, true, 0x2222);
	expect(&d.log[2], 0x0c, 4, true, 0x33333333);
	expect(&d.log[3], 0x18, 8, true, 0x4444444455555555ull);
	expect(&d.log[4], 0x10, 1, false, 0xa1);
	expect(&d.log[5], 0x20, 2, false, 0xb2c3);
	expect(&d.log[6], 0x30, 4, false, 0xd4e5f607);
	expect(&d.log[7], 0x40, 8, false, 0x0123456789abcdefull);
	assert_int_equal(t.con.result_count, 5);
	assert_int_equal(t.con.results[0], 0xa1);
	assert_int_equal(t.con.results[1], 0xb2c3);
	assert_int_equal(t.con.results[2], 0xd4e5f607);
	assert_int_equal(t.con.results[3], 0x89abcdef);
	assert_int_equal(t.con.results[4], 0x01234567);
	itest_vm_fini(&t);
}

static void check_fault(uint64_t entry, uint64_t gpa, bool is_write, size_t device_accesses)
{
	struct itest_vm t;
	struct mdev d;
	hv_vm_state_t st;
	hv_stop_info_t info;

	setup(&t, NULL, &d, entry);
	assert_int_equal(itest_run(&t, ITEST_WATCHDOG_MS, &st), HV_OK);
	assert_false(t.watchdog_fired);
	assert_int_equal(st, HV_VM_STOPPED);
	assert_int_equal(t.con.result_count, 0);
	assert_int_equal(d.count, device_accesses);
	info = itest_stop_info(&t);
	assert_int_equal(info.cause, HV_EVENT_FAULT);
	assert_int_equal(info.exit.reason, HV_EXIT_FAULT);
	assert_int_equal(info.exit.u.fault.kind, HV_FAULT_UNMAPPED);
	assert_int_equal(info.exit.u.fault.gpa, gpa);
	assert_int_equal(info.exit.u.fault.detail, is_write);
	assert_int_equal(itest_event_count(&t, HV_EVENT_FAULT), 1);
	itest_vm_fini(&t);
}

static void test_mmio_straddling_device_end_faults(void **state)
{
	(void)state;
	check_fault(0x100, DEV_BASE + DEV_SIZE - 2, true, 0);
}

static void test_mmio_unmapped_faults_with_gpa(void **state)
{
	(void)state;
	check_fault(0x180, NOWHERE, false, 0);
}

static void test_mmio_unmapped_ignore_reads_all_ones(void **state)
{
	hv_vm_config_t cfg = HV_VM_CONFIG_INIT;
	struct itest_vm t;
	struct mdev d;

	(void)state;
	cfg.unmapped_mmio = HV_UNMAPPED_IGNORE;
	setup(&t, &cfg, &d, 0x200);
	itest_run_to_poweroff(&t, ITEST_WATCHDOG_MS);
	assert_int_equal(t.con.result_count, 6);
	assert_int_equal(t.con.results[0], 0xff);
	assert_int_equal(t.con.results[1], 0xffff);
	assert_int_equal(t.con.results[2], 0xffffffff);
	assert_int_equal(t.con.results[3], 0xffffffff);
	assert_int_equal(t.con.results[4], 0xffffffff);
	assert_int_equal(t.con.results[5], 0x600d);
	assert_int_equal(d.count, 0);
	assert_int_equal(itest_event_count(&t, HV_EVENT_FAULT), 0);
	itest_vm_fini(&t);
}

static void test_mmio_rom_read_only_to_guest_writable_by_host(void **state)
{
	hv_region_config_t rom = HV_REGION_CONFIG_INIT;
	const uint64_t content = 0xfeedface12345678ull, update = 0x0badc0de87654321ull;
	struct itest_vm t;
	struct mdev d;
	hv_vm_state_t st;
	uint64_t v = 0;

	(void)state;
	setup(&t, NULL, &d, 0x300);
	rom.type = HV_REGION_ROM;
	rom.name = "rom";
	rom.gpa = ROM_GPA;
	rom.size = HV_PAGE_SIZE;
	assert_int_equal(hv_vm_map_region(t.vm, &rom, NULL), HV_OK);
	assert_int_equal(hv_vm_write(t.vm, ROM_GPA, &content, 8), HV_OK);

	itest_run_to_poweroff(&t, ITEST_WATCHDOG_MS);
	assert_int_equal(t.con.result_count, 4);
	assert_int_equal(t.con.results[0], (uint32_t)content);
	assert_int_equal(t.con.results[1], (uint32_t)(content >> 32));
	assert_int_equal(t.con.results[2], (uint32_t)content); /* the store was dropped */
	assert_int_equal(t.con.results[3], (uint32_t)(content >> 32));
	assert_int_equal(hv_vm_read(t.vm, ROM_GPA, &v, 8), HV_OK);
	assert_int_equal(v, content);
	assert_int_equal(itest_event_count(&t, HV_EVENT_FAULT), 0);

	/* The host may write ROM; the guest sees the new content after a reset. */
	assert_int_equal(hv_vm_write(t.vm, ROM_GPA, &update, 8), HV_OK);
	assert_int_equal(hv_vm_read(t.vm, ROM_GPA, &v, 8), HV_OK);
	assert_int_equal(v, update);
	assert_int_equal(hv_vm_reset(t.vm), HV_OK);
	t.con.poweroffs = 0;
	t.con.result_count = 0;
	itest_run_to_poweroff(&t, ITEST_WATCHDOG_MS);
	assert_int_equal(t.con.result_count, 4);
	assert_int_equal(t.con.results[0], (uint32_t)update);
	assert_int_equal(t.con.results[3], (uint32_t)(update >> 32));
	(void)st;
	itest_vm_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmio_widths_offsets_values),
		cmocka_unit_test(test_mmio_straddling_device_end_faults),
		cmocka_unit_test(test_mmio_unmapped_faults_with_gpa),
		cmocka_unit_test(test_mmio_unmapped_ignore_reads_all_ones),
		cmocka_unit_test(test_mmio_rom_read_only_to_guest_writable_by_host),
	};

	itest_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
