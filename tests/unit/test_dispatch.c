/* SPDX-License-Identifier: MIT */
/* Exit dispatch: MMIO and port I/O to devices, unmapped policies, and exits that stop the VM. */
#include "test_support.h"

#define PG HV_PAGE_SIZE

struct fixture {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	struct ts_events ev;
};

/* A running VM (manual run) whose vCPU 1 the test feeds exits to, by hand. */
static void fixture_init(struct fixture *f, hv_unmapped_t mmio, hv_unmapped_t pio)
{
	hv_vm_config_t c = ts_vm_config();

	memset(f, 0, sizeof(*f));
	ts_events_init(&f->ev);
	c.flags = HV_VM_MANUAL_RUN;
	c.on_event = ts_on_event;
	c.event_user = &f->ev;
	c.unmapped_mmio = mmio;
	c.unmapped_pio = pio;
	mock_knobs.max_gpa = 0;
	assert_int_equal(hv_vm_create(&c, &f->vm), HV_OK);
	f->vcpu = ts_vcpu_new(f->vm, 1);
}

static void fixture_start(struct fixture *f)
{
	assert_int_equal(hv_vm_start(f->vm), HV_OK);
}

static void fixture_fini(struct fixture *f)
{
	hv_vm_destroy(f->vm);
	ts_events_fini(&f->ev);
}

static hv_exit_t mmio(hv_gpa_t gpa, uint8_t width, bool is_write, uint64_t data)
{
	hv_exit_t e;

	memset(&e, 0, sizeof(e));
	e.reason = HV_EXIT_MMIO;
	e.vcpu_index = 1;
	e.u.mmio.gpa = gpa;
	e.u.mmio.width = width;
	e.u.mmio.is_write = is_write;
	e.u.mmio.data = data;
	return e;
}

static hv_exit_t pio(uint16_t port, uint8_t width, bool is_write, uint64_t data)
{
	hv_exit_t e;

	memset(&e, 0, sizeof(e));
	e.reason = HV_EXIT_IO;
	e.vcpu_index = 1;
	e.u.io.port = port;
	e.u.io.width = width;
	e.u.io.is_write = is_write;
	e.u.io.count = 1;
	e.u.io.data = data;
	return e;
}

static void expect_unmapped_fault(struct fixture *f, hv_gpa_t addr, bool is_write)
{
	static const hv_event_type_t expect[] = { HV_EVENT_FAULT, HV_EVENT_VM_STOPPED };
	hv_stop_info_t info = HV_STOP_INFO_INIT;

	assert_int_equal(hv_vm_get_state(f->vm), HV_VM_STOPPED);
	assert_int_equal(hv_vm_get_stop_info(f->vm, &info), HV_OK);
	assert_int_equal(info.cause, HV_EVENT_FAULT);
	assert_int_equal(info.vcpu_index, 1);
	assert_int_equal(info.exit.reason, HV_EXIT_FAULT);
	assert_int_equal(info.exit.u.fault.kind, HV_FAULT_UNMAPPED);
	assert_int_equal(info.exit.u.fault.gpa, addr);
	assert_int_equal(info.exit.u.fault.detail, is_write ? 1 : 0);
	ts_events_expect(&f->ev, expect, 2);
	assert_int_equal(f->ev.ev[0].exit.u.fault.gpa, addr);
}

/* ---- MMIO ------------------------------------------------------------------------------------- */

static void test_dispatch_mmio_write_reaches_the_device_with_offset_and_width(void **state)
{
	static const uint8_t widths[] = { 1, 2, 4, 8 };
	struct fixture f;
	struct ts_dev dev;
	size_t i;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_FAULT);
	memset(&dev, 0, sizeof(dev));
	ts_dev_add(f.vm, &dev, HV_BUS_MMIO, 0xd0000000, 0x1000);
	fixture_start(&f);
	for (i = 0; i < 4; i++) {
		hv_exit_t e = mmio(0xd0000000 + 0x10 * i, widths[i], true, 0x11 * (i + 1));

		assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
		assert_int_equal(dev.log[i].is_write, true);
		assert_int_equal(dev.log[i].offset, 0x10 * i);
		assert_int_equal(dev.log[i].width, widths[i]);
		assert_int_equal(dev.log[i].value, 0x11 * (i + 1));
	}
	/* The last byte of the window is the device's too. */
	{
		hv_exit_t e = mmio(0xd0000fff, 1, true, 0xee);

		assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
		assert_int_equal(dev.log[4].offset, 0xfff);
	}
	assert_int_equal(dev.writes, 5);
	assert_int_equal(f.ev.count, 0);
	fixture_fini(&f);
}

static void test_dispatch_mmio_read_returns_the_device_value(void **state)
{
	struct fixture f;
	struct ts_dev dev;
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_FAULT);
	memset(&dev, 0, sizeof(dev));
	dev.read_value = 0xcafe;
	ts_dev_add(f.vm, &dev, HV_BUS_MMIO, 0x9000000, 0x100);
	fixture_start(&f);
	e = mmio(0x9000018, 2, false, 0xdeaddeaddeaddeadull);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(e.u.mmio.data, 0xcafe);
	assert_int_equal(dev.log[0].offset, 0x18);
	assert_int_equal(dev.log[0].width, 2);
	fixture_fini(&f);
}

static void test_dispatch_mmio_read_is_masked_to_width(void **state)
{
	static const struct {
		uint8_t width;
		uint64_t expect;
	} cases[] = {
		{ 1, 0x88 },
		{ 2, 0x7788 },
		{ 4, 0x55667788 },
		{ 8, 0x1122334455667788ull },
	};
	struct fixture f;
	struct ts_dev dev;
	uint64_t got[4];
	size_t i;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_FAULT);
	memset(&dev, 0, sizeof(dev));
	/* A sloppy device that answers 64 bits whatever the width. */
	dev.read_value = 0x1122334455667788ull;
	ts_dev_add(f.vm, &dev, HV_BUS_MMIO, 0x9000000, 0x100);
	fixture_start(&f);
	for (i = 0; i < 4; i++) {
		hv_exit_t e = mmio(0x9000000, cases[i].width, false, 0);

		assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
		got[i] = e.u.mmio.data;
	}
	fixture_fini(&f);
	for (i = 0; i < 4; i++)
		if (got[i] != cases[i].expect)
			fail_msg("width %u: read 0x%llx, expected 0x%llx", cases[i].width,
				 (unsigned long long)got[i], (unsigned long long)cases[i].expect);
}

static void test_dispatch_mmio_goes_to_the_right_device_among_several(void **state)
{
	struct fixture f;
	struct ts_dev a, b;
	hv_exit_t e;
	int i;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_FAULT);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ts_dev_add(f.vm, &a, HV_BUS_MMIO, 0x1000, 0x100);
	ts_dev_add(f.vm, &b, HV_BUS_MMIO, 0x1100, 0x100); /* adjacent */
	fixture_start(&f);
	for (i = 0; i < 6; i++) {
		e = mmio(i % 2 ? 0x1100 + (uint64_t)i : 0x10ff, 1, true, (uint64_t)i);
		assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	}
	assert_int_equal(a.writes, 3);
	assert_int_equal(b.writes, 3);
	assert_int_equal(a.log[0].offset, 0xff);
	assert_int_equal(b.log[0].offset, 1);
	fixture_fini(&f);
}

static void test_dispatch_mmio_cache_follows_remove_and_add(void **state)
{
	struct fixture f;
	struct ts_dev a, b;
	hv_device_t *da;
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_IGNORE, HV_UNMAPPED_FAULT);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.read_value = 0xa;
	b.read_value = 0xb;
	da = ts_dev_add(f.vm, &a, HV_BUS_MMIO, 0x2000, 0x100);
	fixture_start(&f);
	e = mmio(0x2000, 4, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK); /* primes the vCPU's cache */
	assert_int_equal(e.u.mmio.data, 0xa);
	/* Swap the device while the VM is paused. */
	assert_int_equal(hv_vm_pause(f.vm), HV_OK);
	assert_int_equal(hv_device_remove(da), HV_OK);
	assert_int_equal(a.destroys, 1);
	assert_int_equal(hv_vm_start(f.vm), HV_OK);
	e = mmio(0x2000, 4, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(e.u.mmio.data, 0xffffffff); /* nothing there now */
	assert_int_equal(a.reads, 1);
	assert_int_equal(hv_vm_pause(f.vm), HV_OK);
	ts_dev_add(f.vm, &b, HV_BUS_MMIO, 0x2000, 0x100);
	assert_int_equal(hv_vm_start(f.vm), HV_OK);
	e = mmio(0x2004, 4, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(e.u.mmio.data, 0xb);
	assert_int_equal(b.log[0].offset, 4);
	fixture_fini(&f);
}

static void test_dispatch_mmio_cache_follows_a_region_mapped_over_a_removed_device(void **state)
{
	struct fixture f;
	struct ts_dev a;
	hv_device_t *da;
	hv_region_t *r;
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_FAULT);
	memset(&a, 0, sizeof(a));
	da = ts_dev_add(f.vm, &a, HV_BUS_MMIO, 0x3000, PG);
	fixture_start(&f);
	e = mmio(0x3000, 4, true, 1);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(hv_vm_pause(f.vm), HV_OK);
	assert_int_equal(hv_device_remove(da), HV_OK);
	r = ts_map_ram(f.vm, 0x3000, PG);
	assert_int_equal(hv_vm_start(f.vm), HV_OK);
	/* A backend without ROM traps may still send it here: it lands in the RAM. */
	e = mmio(0x3010, 4, true, 0x01020304);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(a.writes, 1);
	assert_memory_equal((uint8_t *)hv_region_hva(r) + 0x10, "\x04\x03\x02\x01", 4);
	e = mmio(0x3010, 2, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(e.u.mmio.data, 0x0304);
	fixture_fini(&f);
}

static void test_dispatch_mmio_access_straddling_a_device_end_is_unmapped(void **state)
{
	struct fixture f;
	struct ts_dev dev;
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_FAULT);
	memset(&dev, 0, sizeof(dev));
	ts_dev_add(f.vm, &dev, HV_BUS_MMIO, 0x4000, 0x10);
	fixture_start(&f);
	/* Prime the cache first, so both the cached and the uncached path are checked. */
	e = mmio(0x4000, 4, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	e = mmio(0x400e, 4, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_ERR_STATE);
	assert_int_equal(dev.reads, 1);
	expect_unmapped_fault(&f, 0x400e, false);
	fixture_fini(&f);
}

static void test_dispatch_mmio_straddling_uncached_is_unmapped(void **state)
{
	struct fixture f;
	struct ts_dev dev;
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_IGNORE, HV_UNMAPPED_FAULT);
	memset(&dev, 0, sizeof(dev));
	ts_dev_add(f.vm, &dev, HV_BUS_MMIO, 0x4000, 0x10);
	fixture_start(&f);
	e = mmio(0x400c, 8, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(e.u.mmio.data, ~0ull);
	/* Starting just below the device and running into it. */
	e = mmio(0x3ffe, 4, true, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(dev.reads + dev.writes, 0);
	fixture_fini(&f);
}

static void test_dispatch_mmio_access_wrapping_past_the_top_is_unmapped(void **state)
{
	struct fixture f;
	struct ts_dev dev;
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_IGNORE, HV_UNMAPPED_FAULT);
	memset(&dev, 0, sizeof(dev));
	ts_dev_add(f.vm, &dev, HV_BUS_MMIO, UINT64_MAX - 0xfff, 0x1000);
	fixture_start(&f);
	/* The last byte alone is the device's... */
	e = mmio(UINT64_MAX, 1, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(dev.reads, 1);
	/* ...but four bytes from there run past the top of the address space. */
	e = mmio(UINT64_MAX, 4, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	fixture_fini(&f);
	if (dev.reads != 1)
		fail_msg("the device saw a %u-byte access at offset 0x%llx", dev.log[1].width,
			 (unsigned long long)dev.log[1].offset);
	assert_int_equal(e.u.mmio.data, 0xffffffff);
}

static void test_dispatch_mmio_bad_widths_are_unmapped(void **state)
{
	static const uint8_t bad[] = { 0, 3, 5, 16, 255 };
	struct fixture f;
	struct ts_dev dev;
	size_t i;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_IGNORE, HV_UNMAPPED_FAULT);
	memset(&dev, 0, sizeof(dev));
	ts_dev_add(f.vm, &dev, HV_BUS_MMIO, 0x5000, 0x100);
	fixture_start(&f);
	for (i = 0; i < sizeof(bad); i++) {
		hv_exit_t prime = mmio(0x5000, 1, true, 0);
		hv_exit_t e = mmio(0x5010, bad[i], true, 0);

		assert_int_equal(hv_vcpu_dispatch(f.vcpu, &prime), HV_OK); /* cached or not */
		assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	}
	assert_int_equal(dev.writes, sizeof(bad));
	for (i = 0; i < dev.log_count && i < TS_DEV_LOG_MAX; i++)
		assert_int_equal(dev.log[i].width, 1);
	fixture_fini(&f);
}

static void test_dispatch_unmapped_mmio_faults_by_default(void **state)
{
	struct fixture f;
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_FAULT);
	ts_map_ram(f.vm, 0, PG);
	fixture_start(&f);
	hv_log_set_level(HV_LOG_WARN);
	e = mmio(0xabc000, 4, true, 0x1234);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_ERR_STATE);
	expect_unmapped_fault(&f, 0xabc000, true);
	/* The exit itself now says why. */
	assert_int_equal(e.reason, HV_EXIT_FAULT);
	assert_int_equal(e.u.fault.kind, HV_FAULT_UNMAPPED);
	/* A guest can trigger this: nothing at WARN or above. */
	assert_int_equal(tp_log_count(), 0);
	fixture_fini(&f);
}

static void test_dispatch_unmapped_access_logs_at_debug(void **state)
{
	struct fixture f;
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_IGNORE, HV_UNMAPPED_IGNORE);
	fixture_start(&f);
	hv_log_set_level(HV_LOG_DEBUG);
	e = mmio(0xabc000, 4, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_true(tp_log_contains("unmapped 0xabc000"));
	assert_int_equal(tp_log_last_level(), HV_LOG_DEBUG);
	fixture_fini(&f);
}

static void test_dispatch_unmapped_mmio_ignored_reads_all_ones(void **state)
{
	struct fixture f;
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_IGNORE, HV_UNMAPPED_FAULT);
	fixture_start(&f);
	e = mmio(0x100000, 1, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(e.u.mmio.data, 0xff);
	e = mmio(0x100000, 2, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(e.u.mmio.data, 0xffff);
	e = mmio(0x100000, 4, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(e.u.mmio.data, 0xffffffff);
	e = mmio(0x100000, 8, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(e.u.mmio.data, ~0ull);
	e = mmio(0x100000, 4, true, 5);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(e.reason, HV_EXIT_MMIO);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
	assert_int_equal(f.ev.count, 0);
	fixture_fini(&f);
}

static void test_dispatch_backend_reserved_window_is_unmapped(void **state)
{
	struct fixture f;
	hv_exit_t e;

	(void)state;
	mock_knobs.reserve_mmio_base = 0xfec00000;
	mock_knobs.reserve_mmio_size = PG;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_FAULT);
	fixture_start(&f);
	e = mmio(0xfec00000, 4, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_ERR_STATE);
	expect_unmapped_fault(&f, 0xfec00000, false);
	fixture_fini(&f);
}

static void test_dispatch_writes_to_rom_are_dropped(void **state)
{
	struct fixture f;
	hv_region_config_t c = HV_REGION_CONFIG_INIT;
	hv_region_t *rom = NULL;
	uint32_t v = 0x11223344;
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_FAULT);
	c.type = HV_REGION_ROM;
	c.gpa = 0xfffe0000;
	c.size = 2 * PG;
	assert_int_equal(hv_vm_map_region(f.vm, &c, &rom), HV_OK);
	assert_int_equal(hv_vm_write(f.vm, 0xfffe0100, &v, 4), HV_OK); /* the host may */
	fixture_start(&f);
	e = mmio(0xfffe0100, 4, true, 0xdeadbeef);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_memory_equal((uint8_t *)hv_region_hva(rom) + 0x100, &v, 4);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
	/* Reads see the ROM's contents. */
	e = mmio(0xfffe0100, 4, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(e.u.mmio.data, 0x11223344);
	/* An access running off the end of the ROM is unmapped. */
	e = mmio(0xfffe0000 + 2 * PG - 2, 4, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_ERR_STATE);
	expect_unmapped_fault(&f, 0xfffe0000 + 2 * PG - 2, false);
	fixture_fini(&f);
}

static void stop_on_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	(void)offset;
	(void)width;
	(void)value;
	assert_int_equal(hv_vm_stop(ctx), HV_OK);
}

static void zero_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	(void)ctx;
	(void)offset;
	(void)width;
	*value = 0;
}

static void test_dispatch_device_may_stop_the_vm(void **state)
{
	static const hv_device_ops_t ops = {
		.struct_size = sizeof(hv_device_ops_t),
		.version = HV_DEVICE_OPS_VERSION,
		.read = zero_read,
		.write = stop_on_write,
	};
	struct fixture f;
	hv_device_config_t c = HV_DEVICE_CONFIG_INIT;
	hv_stop_info_t info = HV_STOP_INFO_INIT;
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_FAULT);
	c.bus = HV_BUS_PIO;
	c.base = 0x501;
	c.size = 1;
	c.ops = &ops;
	c.ctx = f.vm;
	assert_int_equal(hv_device_add(f.vm, &c, NULL), HV_OK);
	fixture_start(&f);
	e = pio(0x501, 1, true, 0x31);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_ERR_STATE);
	assert_int_equal(hv_vm_get_stop_info(f.vm, &info), HV_OK);
	assert_int_equal(info.cause, HV_EVENT_VM_STOPPED);
	fixture_fini(&f);
}

/* ---- port I/O --------------------------------------------------------------------------------- */

static void test_dispatch_pio_single_reaches_the_device(void **state)
{
	struct fixture f;
	struct ts_dev dev;
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_FAULT);
	memset(&dev, 0, sizeof(dev));
	dev.read_value = 0x60;
	ts_dev_add(f.vm, &dev, HV_BUS_PIO, 0x3f8, 8);
	fixture_start(&f);
	e = pio(0x3f8, 1, true, 'A');
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	e = pio(0x3fd, 1, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(e.u.io.data, 0x60);
	e = pio(0x3fc, 4, true, 0x01020304);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(dev.log_count, 3);
	assert_int_equal(dev.log[0].offset, 0);
	assert_int_equal(dev.log[0].value, 'A');
	assert_int_equal(dev.log[1].offset, 5);
	assert_int_equal(dev.log[1].width, 1);
	assert_int_equal(dev.log[2].offset, 4);
	assert_int_equal(dev.log[2].width, 4);
	assert_int_equal(dev.log[2].value, 0x01020304);
	fixture_fini(&f);
}

static void test_dispatch_pio_read_is_masked_to_width(void **state)
{
	struct fixture f;
	struct ts_dev dev;
	hv_exit_t e, f2;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_FAULT);
	memset(&dev, 0, sizeof(dev));
	dev.read_value = 0x1122334455667788ull;
	ts_dev_add(f.vm, &dev, HV_BUS_PIO, 0x70, 2);
	memset(&f2, 0, sizeof(f2));
	fixture_start(&f);
	e = pio(0x71, 1, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	f2 = pio(0x70, 2, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &f2), HV_OK);
	fixture_fini(&f);
	assert_int_equal(e.u.io.data, 0x88);
	assert_int_equal(f2.u.io.data, 0x7788);
}

static void test_dispatch_pio_string_goes_element_by_element(void **state)
{
	struct fixture f;
	struct ts_dev dev;
	uint8_t out[6] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };
	uint8_t in[8];
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_FAULT);
	memset(&dev, 0, sizeof(dev));
	dev.read_value = 0xbeef;
	ts_dev_add(f.vm, &dev, HV_BUS_PIO, 0x1f0, 8);
	fixture_start(&f);
	/* rep outsw: three 2-byte writes from the buffer. */
	e = pio(0x1f0, 2, true, 0);
	e.u.io.count = 3;
	e.u.io.buf = out;
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(dev.writes, 3);
	assert_int_equal(dev.log[0].value, 0x2211);
	assert_int_equal(dev.log[1].value, 0x4433);
	assert_int_equal(dev.log[2].value, 0x6655);
	assert_int_equal(dev.log[2].offset, 0);
	assert_int_equal(dev.log[2].width, 2);
	/* rep insw: four 2-byte reads into the buffer. */
	memset(in, 0, sizeof(in));
	e = pio(0x1f0, 2, false, 0);
	e.u.io.count = 4;
	e.u.io.buf = in;
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(dev.reads, 4);
	assert_memory_equal(in, "\xef\xbe\xef\xbe\xef\xbe\xef\xbe", 8);
	fixture_fini(&f);
}

static void test_dispatch_unmapped_pio_faults_by_default(void **state)
{
	struct fixture f;
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_IGNORE, HV_UNMAPPED_FAULT);
	fixture_start(&f);
	e = pio(0x80, 1, true, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_ERR_STATE);
	expect_unmapped_fault(&f, 0x80, true);
	fixture_fini(&f);
}

static void test_dispatch_unmapped_pio_ignored_reads_all_ones(void **state)
{
	struct fixture f;
	uint8_t in[6];
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_IGNORE);
	fixture_start(&f);
	e = pio(0x80, 1, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(e.u.io.data, 0xff);
	e = pio(0xcf8, 4, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(e.u.io.data, 0xffffffff);
	memset(in, 0, sizeof(in));
	e = pio(0x1f0, 2, false, 0);
	e.u.io.count = 3;
	e.u.io.buf = in;
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_memory_equal(in, "\xff\xff\xff\xff\xff\xff", 6);
	e = pio(0x80, 1, true, 0x12);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
	fixture_fini(&f);
}

static void test_dispatch_pio_straddling_or_bad_width_is_unmapped(void **state)
{
	struct fixture f;
	struct ts_dev dev;
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_IGNORE);
	memset(&dev, 0, sizeof(dev));
	ts_dev_add(f.vm, &dev, HV_BUS_PIO, 0x60, 4);
	fixture_start(&f);
	e = pio(0x60, 1, false, 0); /* primes the cache */
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	e = pio(0x62, 4, false, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(e.u.io.data, 0xffffffff);
	e = pio(0x60, 3, true, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	e = pio(0x60, 8, true, 0);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(dev.reads, 1);
	assert_int_equal(dev.writes, 0);
	fixture_fini(&f);
}

static void test_dispatch_pio_cache_follows_remove(void **state)
{
	struct fixture f;
	struct ts_dev a;
	hv_device_t *d;
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_IGNORE);
	memset(&a, 0, sizeof(a));
	d = ts_dev_add(f.vm, &a, HV_BUS_PIO, 0x60, 1);
	fixture_start(&f);
	e = pio(0x60, 1, true, 1);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(hv_vm_pause(f.vm), HV_OK);
	assert_int_equal(hv_device_remove(d), HV_OK);
	assert_int_equal(hv_vm_start(f.vm), HV_OK);
	e = pio(0x60, 1, true, 2);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(a.writes, 1);
	fixture_fini(&f);
}

/* ---- exits that end the run ------------------------------------------------------------------- */

static void test_dispatch_guest_exits_stop_the_vm_with_their_cause(void **state)
{
	static const struct {
		hv_exit_reason_t reason;
		hv_event_type_t cause;
	} cases[] = {
		{ HV_EXIT_SHUTDOWN, HV_EVENT_GUEST_SHUTDOWN },
		{ HV_EXIT_RESET, HV_EVENT_GUEST_RESET },
		{ HV_EXIT_FAULT, HV_EVENT_FAULT },
		{ HV_EXIT_HALT, HV_EVENT_UNHANDLED_EXIT },
		{ HV_EXIT_HYPERCALL, HV_EVENT_UNHANDLED_EXIT },
		{ HV_EXIT_UNKNOWN, HV_EVENT_UNHANDLED_EXIT },
		{ (hv_exit_reason_t)77, HV_EVENT_UNHANDLED_EXIT },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hv_event_type_t expect[2] = { cases[i].cause, HV_EVENT_VM_STOPPED };
		hv_stop_info_t info = HV_STOP_INFO_INIT;
		struct fixture f;
		hv_exit_t e;

		fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_FAULT);
		fixture_start(&f);
		memset(&e, 0, sizeof(e));
		e.reason = cases[i].reason;
		e.vcpu_index = 1;
		e.hw_reason = 0x77;
		e.pc = 0xfff0;
		if (e.reason == HV_EXIT_FAULT)
			e.u.fault.kind = HV_FAULT_TRIPLE;
		assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_ERR_STATE);
		assert_int_equal(hv_vm_get_state(f.vm), HV_VM_STOPPED);
		ts_events_expect(&f.ev, expect, 2);
		assert_int_equal(f.ev.ev[0].vcpu_index, 1);
		assert_int_equal(f.ev.ev[0].exit.reason, cases[i].reason);
		assert_int_equal(hv_vm_get_stop_info(f.vm, &info), HV_OK);
		assert_int_equal(info.cause, cases[i].cause);
		assert_int_equal(info.vcpu_index, 1);
		assert_int_equal(info.exit.reason, cases[i].reason);
		assert_int_equal(info.exit.hw_reason, 0x77);
		assert_int_equal(info.exit.pc, 0xfff0);
		fixture_fini(&f);
	}
}

static void test_dispatch_kick_and_none_keep_running(void **state)
{
	struct fixture f;
	hv_exit_t e;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_FAULT);
	fixture_start(&f);
	memset(&e, 0, sizeof(e));
	e.reason = HV_EXIT_KICK;
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	e.reason = HV_EXIT_NONE;
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_OK);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
	assert_int_equal(f.ev.count, 0);
	/* The same exits on a paused VM say it should not run on. */
	assert_int_equal(hv_vm_pause(f.vm), HV_OK);
	assert_int_equal(hv_vcpu_dispatch(f.vcpu, &e), HV_ERR_STATE);
	fixture_fini(&f);
}

static void test_dispatch_through_the_run_loop_delivers_read_data(void **state)
{
	struct fixture f;
	struct ts_dev dev;
	hv_region_t *ram;

	(void)state;
	fixture_init(&f, HV_UNMAPPED_FAULT, HV_UNMAPPED_FAULT);
	memset(&dev, 0, sizeof(dev));
	dev.read_echo_offset = true;
	ts_dev_add(f.vm, &dev, HV_BUS_MMIO, 0xe0000000, 0x100);
	ram = ts_map_ram(f.vm, 0, PG);
	((uint8_t *)hv_region_hva(ram))[0x20] = 0x5c;
	mock_push_mmio(f.vcpu, 0xe0000040, 4, false, 0);
	mock_push_mmio(f.vcpu, 0xe0000044, 4, true, 7);
	mock_push_mmio(f.vcpu, 0x20, 1, false, 0);
	mock_push_reason(f.vcpu, HV_EXIT_SHUTDOWN);
	fixture_start(&f);
	assert_int_equal(hv_vcpu_run(f.vcpu), HV_OK);
	assert_int_equal(mock_vcpu(f.vcpu)->completed_count, 2);
	assert_int_equal(mock_vcpu(f.vcpu)->completed[0], 0x40);
	assert_int_equal(mock_vcpu(f.vcpu)->completed[1] & 0xff, 0x5c);
	assert_int_equal(dev.log[1].value, 7);
	fixture_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_dispatch_mmio_write_reaches_the_device_with_offset_and_width),
		TS_TEST(test_dispatch_mmio_read_returns_the_device_value),
		TS_TEST(test_dispatch_mmio_read_is_masked_to_width),
		TS_TEST(test_dispatch_mmio_goes_to_the_right_device_among_several),
		TS_TEST(test_dispatch_mmio_cache_follows_remove_and_add),
		TS_TEST(test_dispatch_mmio_cache_follows_a_region_mapped_over_a_removed_device),
		TS_TEST(test_dispatch_mmio_access_straddling_a_device_end_is_unmapped),
		TS_TEST(test_dispatch_mmio_straddling_uncached_is_unmapped),
		TS_TEST(test_dispatch_mmio_access_wrapping_past_the_top_is_unmapped),
		TS_TEST(test_dispatch_mmio_bad_widths_are_unmapped),
		TS_TEST(test_dispatch_unmapped_mmio_faults_by_default),
		TS_TEST(test_dispatch_unmapped_access_logs_at_debug),
		TS_TEST(test_dispatch_unmapped_mmio_ignored_reads_all_ones),
		TS_TEST(test_dispatch_backend_reserved_window_is_unmapped),
		TS_TEST(test_dispatch_writes_to_rom_are_dropped),
		TS_TEST(test_dispatch_device_may_stop_the_vm),
		TS_TEST(test_dispatch_pio_single_reaches_the_device),
		TS_TEST(test_dispatch_pio_read_is_masked_to_width),
		TS_TEST(test_dispatch_pio_string_goes_element_by_element),
		TS_TEST(test_dispatch_unmapped_pio_faults_by_default),
		TS_TEST(test_dispatch_unmapped_pio_ignored_reads_all_ones),
		TS_TEST(test_dispatch_pio_straddling_or_bad_width_is_unmapped),
		TS_TEST(test_dispatch_pio_cache_follows_remove),
		TS_TEST(test_dispatch_guest_exits_stop_the_vm_with_their_cause),
		TS_TEST(test_dispatch_kick_and_none_keep_running),
		TS_TEST(test_dispatch_through_the_run_loop_delivers_read_data),
	};

	return cmocka_run_group_tests_name("dispatch", tests, NULL, NULL);
}
