/* SPDX-License-Identifier: MIT */
/* The PC platform pieces: CMOS RTC, i8042, port 0x92, port 0x80, PCI configuration ports. */
#include "test_support.h"
#include "devtest.h"

#define CMOS_IRQ 8

struct pc_fixture {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	struct ts_events events;
};

static void fx_open_cfg(struct pc_fixture *f, uint32_t pieces, hv_policy_t on_reset)
{
	hv_x86_platform_config_t c = HV_X86_PLATFORM_CONFIG_INIT;
	hv_vm_config_t vc = ts_vm_config();

	ts_events_init(&f->events);
	vc.flags = HV_VM_MANUAL_RUN;
	vc.on_event = ts_on_event;
	vc.event_user = &f->events;
	vc.on_guest_reset = on_reset;
	assert_int_equal(hv_vm_create(&vc, &f->vm), HV_OK);
	assert_int_equal(hv_vcpu_create(f->vm, 0, &f->vcpu), HV_OK);
	c.pieces = pieces;
	assert_int_equal(hv_x86_platform_add(f->vm, &c), HV_OK);
	dt_start(f->vm);
}

static void fx_open(struct pc_fixture *f)
{
	fx_open_cfg(f, 0, HV_POLICY_STOP);
}

static void fx_close(struct pc_fixture *f)
{
	hv_vm_destroy(f->vm);
	ts_events_fini(&f->events);
}

static uint8_t cmos_rd(struct pc_fixture *f, uint8_t reg)
{
	dt_outb(f->vcpu, 0x70, reg);
	return dt_inb(f->vcpu, 0x71);
}

static void cmos_wr(struct pc_fixture *f, uint8_t reg, uint8_t v)
{
	dt_outb(f->vcpu, 0x70, reg);
	dt_outb(f->vcpu, 0x71, v);
}

static int bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

struct cmos_time {
	int sec, min, hour, wday, mday, mon, year, century;
};

/* Linux's mc146818_get_time: wait for UIP to clear, read, and read again if a second passed. */
static void cmos_time(struct pc_fixture *f, struct cmos_time *t)
{
	uint8_t sec;

	do {
		while (cmos_rd(f, 0x0a) & 0x80)
			;
		sec = cmos_rd(f, 0x00);
		t->min = cmos_rd(f, 0x02);
		t->hour = cmos_rd(f, 0x04);
		t->wday = cmos_rd(f, 0x06);
		t->mday = cmos_rd(f, 0x07);
		t->mon = cmos_rd(f, 0x08);
		t->year = cmos_rd(f, 0x09);
		t->century = cmos_rd(f, 0x32);
	} while (sec != cmos_rd(f, 0x00));
	t->sec = sec;
}

static void test_cmos_time_is_the_host_time_in_bcd_24h(void **state)
{
	struct pc_fixture f;
	struct cmos_time t;
	struct tm host;
	time_t before, after, guest;

	(void)state;
	fx_open(&f);
	assert_int_equal(cmos_rd(&f, 0x0b), 0x02);
	assert_int_equal(cmos_rd(&f, 0x0a) & 0x7f, 0x26);
	assert_int_equal(cmos_rd(&f, 0x0d), 0x80);
	before = time(NULL);
	cmos_time(&f, &t);
	after = time(NULL);
	memset(&host, 0, sizeof(host));
	host.tm_sec = bcd((uint8_t)t.sec);
	host.tm_min = bcd((uint8_t)t.min);
	host.tm_hour = bcd((uint8_t)t.hour);
	host.tm_mday = bcd((uint8_t)t.mday);
	host.tm_mon = bcd((uint8_t)t.mon) - 1;
	host.tm_year = bcd((uint8_t)t.century) * 100 + bcd((uint8_t)t.year) - 1900;
	guest = timegm(&host);
	assert_true(guest >= before && guest <= after);
	gmtime_r(&guest, &host);
	assert_int_equal(bcd((uint8_t)t.wday), host.tm_wday + 1);
	fx_close(&f);
}

static void test_cmos_binary_and_12_hour_modes(void **state)
{
	struct pc_fixture f;
	struct cmos_time b, d;
	int h24;

	(void)state;
	fx_open(&f);
	cmos_time(&f, &b);
	cmos_wr(&f, 0x0b, 0x04); /* binary, 12 hours */
	cmos_time(&f, &d);
	assert_int_equal(d.century, 20);
	assert_int_equal(d.mday, bcd((uint8_t)b.mday));
	h24 = (d.hour & 0x7f) % 12 + ((d.hour & 0x80) ? 12 : 0);
	assert_true(h24 == bcd((uint8_t)b.hour) || h24 == (bcd((uint8_t)b.hour) + 1) % 24);
	assert_true((d.hour & 0x7f) >= 1 && (d.hour & 0x7f) <= 12);
	fx_close(&f);
}

static void test_cmos_guest_sets_the_time(void **state)
{
	struct pc_fixture f;
	struct cmos_time t;

	(void)state;
	fx_open(&f);
	/* Linux's mc146818_set_time: SET, the fields, then SET off. */
	cmos_wr(&f, 0x0b, 0x82);
	cmos_wr(&f, 0x09, 0x01);
	cmos_wr(&f, 0x32, 0x20);
	cmos_wr(&f, 0x08, 0x02);
	cmos_wr(&f, 0x07, 0x03);
	cmos_wr(&f, 0x04, 0x04);
	cmos_wr(&f, 0x02, 0x05);
	cmos_wr(&f, 0x00, 0x06);
	assert_int_equal(cmos_rd(&f, 0x00), 0x06); /* frozen while SET */
	cmos_wr(&f, 0x0b, 0x02);
	cmos_time(&f, &t);
	assert_int_equal(t.century, 0x20);
	assert_int_equal(t.year, 0x01);
	assert_int_equal(t.mon, 0x02);
	assert_int_equal(t.mday, 0x03);
	assert_int_equal(t.wday, 0x07); /* a Saturday */
	assert_int_equal(t.hour, 0x04);
	assert_int_equal(t.min, 0x05);
	assert_true(t.sec == 0x06 || t.sec == 0x07);
	/* One field at a time, without SET, in 12-hour binary: 7 PM. */
	cmos_wr(&f, 0x0b, 0x04);
	cmos_wr(&f, 0x04, 0x87);
	assert_int_equal(cmos_rd(&f, 0x04), 0x87);
	cmos_wr(&f, 0x0b, 0x06);
	assert_int_equal(cmos_rd(&f, 0x04), 19);
	assert_int_equal(cmos_rd(&f, 0x07), 3);
	/* Day of week follows the date. */
	cmos_wr(&f, 0x06, 1);
	assert_int_equal(cmos_rd(&f, 0x06), 7);
	/* Garbage is clamped to a real date. */
	cmos_wr(&f, 0x08, 0x77);
	assert_int_equal(cmos_rd(&f, 0x08), 12);
	fx_close(&f);
}

static void test_cmos_uip_warns_before_the_second_changes(void **state)
{
	const uint64_t s = 1700000000ull * 1000000000ull; /* 2023-11-14 22:13:20 UTC */
	struct pc_fixture f;

	(void)state;
	fx_open(&f);
	dt_fake_realtime = s + 500000000ull;
	assert_int_equal(cmos_rd(&f, 0x0a), 0x26);
	assert_int_equal(cmos_rd(&f, 0x00), 0x20);
	/* The chip's 244 us warning before the update. */
	dt_fake_realtime = s + 999756000ull - 1;
	assert_int_equal(cmos_rd(&f, 0x0a), 0x26);
	dt_fake_realtime = s + 999756000ull;
	assert_int_equal(cmos_rd(&f, 0x0a), 0xa6);
	assert_int_equal(cmos_rd(&f, 0x00), 0x20);
	dt_fake_realtime = s + 1000000000ull;
	assert_int_equal(cmos_rd(&f, 0x0a), 0x26);
	assert_int_equal(cmos_rd(&f, 0x00), 0x21);
	/* No warning while SET stops the updates, or with the divider held in reset. */
	dt_fake_realtime = s + 999900000ull;
	cmos_wr(&f, 0x0b, 0x82);
	assert_int_equal(cmos_rd(&f, 0x0a), 0x26);
	cmos_wr(&f, 0x0b, 0x02);
	cmos_wr(&f, 0x0a, 0x76);
	assert_int_equal(cmos_rd(&f, 0x0a), 0x76);
	fx_close(&f);
}

static void test_cmos_memory_and_index_port(void **state)
{
	struct pc_fixture f;
	int i;

	(void)state;
	fx_open(&f);
	for (i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			cmos_wr(&f, (uint8_t)i, (uint8_t)(i ^ 0x5a));
	for (i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			assert_int_equal(cmos_rd(&f, (uint8_t)i), i ^ 0x5a);
	/* Bit 7 of the index is the NMI mask, not part of the index. */
	dt_outb(f.vcpu, 0x70, 0x80 | 0x10);
	assert_int_equal(dt_inb(f.vcpu, 0x71), 0x10 ^ 0x5a);
	assert_int_equal(dt_inb(f.vcpu, 0x70), 0xff);
	/* Read-only registers C and D; wide accesses. */
	cmos_wr(&f, 0x0d, 0);
	assert_int_equal(cmos_rd(&f, 0x0d), 0x80);
	cmos_wr(&f, 0x0c, 0xff);
	assert_int_equal(cmos_rd(&f, 0x0c) & 0x80, 0);
	dt_outb(f.vcpu, 0x70, 0x20);
	assert_int_equal(dt_pio(f.vcpu, 0x70, 2, false, 0), 0xffff);
	dt_pio(f.vcpu, 0x70, 2, true, 0x3030);
	assert_int_equal(dt_inb(f.vcpu, 0x71), 0x20 ^ 0x5a);
	fx_close(&f);
}

static bool wait_irq(hv_vm_t *vm, bool level, unsigned ms)
{
	uint64_t end = dt_mono_ns() + (uint64_t)ms * 1000000ull;

	while (dt_irq(vm, CMOS_IRQ) != level) {
		if (dt_mono_ns() > end)
			return false;
		usleep(500);
	}
	return true;
}

static void test_cmos_update_ended_interrupt(void **state)
{
	struct pc_fixture f;

	(void)state;
	fx_open(&f);
	cmos_rd(&f, 0x0c);
	cmos_wr(&f, 0x0b, 0x12); /* UIE */
	assert_true(wait_irq(f.vm, true, 1500));
	assert_int_equal(cmos_rd(&f, 0x0c) & 0x90, 0x90);
	assert_false(dt_irq(f.vm, CMOS_IRQ));
	assert_true(wait_irq(f.vm, true, 1500)); /* and again the next second */
	cmos_wr(&f, 0x0b, 0x02);
	assert_int_equal(cmos_rd(&f, 0x0c) & 0x80, 0);
	assert_false(dt_irq(f.vm, CMOS_IRQ));
	fx_close(&f);
}

static void test_cmos_alarm_interrupt(void **state)
{
	struct pc_fixture f;

	(void)state;
	fx_open(&f);
	cmos_wr(&f, 0x01, 0xc0); /* don't care: every second matches */
	cmos_wr(&f, 0x03, 0xff);
	cmos_wr(&f, 0x05, 0xc0);
	cmos_rd(&f, 0x0c);
	cmos_wr(&f, 0x0b, 0x22); /* AIE */
	assert_true(wait_irq(f.vm, true, 1500));
	assert_int_equal(cmos_rd(&f, 0x0c) & 0xa0, 0xa0);
	assert_false(dt_irq(f.vm, CMOS_IRQ));
	/* An alarm that cannot match (hour 0x99) raises nothing. */
	cmos_wr(&f, 0x05, 0x99);
	cmos_rd(&f, 0x0c);
	usleep(1200000);
	assert_false(dt_irq(f.vm, CMOS_IRQ));
	assert_int_equal(cmos_rd(&f, 0x0c) & 0xa0, 0);
	fx_close(&f);
}

static void test_cmos_periodic_interrupt(void **state)
{
	struct pc_fixture f;
	int i;

	(void)state;
	fx_open(&f);
	cmos_rd(&f, 0x0c);
	cmos_wr(&f, 0x0b, 0x42); /* PIE at 1024 Hz */
	for (i = 0; i < 5; i++) {
		assert_true(wait_irq(f.vm, true, 500));
		assert_int_equal(cmos_rd(&f, 0x0c) & 0xc0, 0xc0);
	}
	cmos_wr(&f, 0x0a, 0x20); /* rate 0: none */
	cmos_rd(&f, 0x0c);
	usleep(20000);
	assert_false(dt_irq(f.vm, CMOS_IRQ));
	fx_close(&f);
}

static void test_cmos_flags_without_enables_raise_nothing(void **state)
{
	struct pc_fixture f;

	(void)state;
	fx_open(&f);
	cmos_rd(&f, 0x0c);
	usleep(1100000);
	assert_false(dt_irq(f.vm, CMOS_IRQ));
	/* The flags are there to be polled; IRQF is not. */
	assert_int_equal(cmos_rd(&f, 0x0c) & 0xd0, 0x50);
	fx_close(&f);
}

static void test_cmos_works_without_platform_timers(void **state)
{
	struct pc_fixture f;

	(void)state;
	fx_open_cfg(&f, HV_X86_CMOS, HV_POLICY_STOP);
	cmos_wr(&f, 0x0b, 0x72);
	assert_int_equal(cmos_rd(&f, 0x0b), 0x72);
	usleep(5000);
	assert_false(dt_irq(f.vm, CMOS_IRQ));
	fx_close(&f);
}

static void test_i8042_answers_linux_probe_without_devices(void **state)
{
	struct pc_fixture f;

	(void)state;
	fx_open(&f);
	assert_int_equal(dt_inb(f.vcpu, 0x64), 0x14); /* empty, system flag, not inhibited */
	dt_outb(f.vcpu, 0x64, 0xaa);
	assert_int_equal(dt_inb(f.vcpu, 0x64) & 0x09, 0x09);
	assert_int_equal(dt_inb(f.vcpu, 0x60), 0x55);
	assert_int_equal(dt_inb(f.vcpu, 0x64) & 0x01, 0);
	/* Command byte: read, write, read. */
	dt_outb(f.vcpu, 0x64, 0x20);
	assert_int_equal(dt_inb(f.vcpu, 0x60), 0x45);
	dt_outb(f.vcpu, 0x64, 0x60);
	dt_outb(f.vcpu, 0x60, 0x74);
	assert_int_equal(dt_inb(f.vcpu, 0x64) & 0x08, 0);
	dt_outb(f.vcpu, 0x64, 0xad);
	dt_outb(f.vcpu, 0x64, 0xa7);
	dt_outb(f.vcpu, 0x64, 0x20);
	assert_int_equal(dt_inb(f.vcpu, 0x60), 0x74 | 0x30);
	dt_outb(f.vcpu, 0x64, 0xae);
	dt_outb(f.vcpu, 0x64, 0xa8);
	dt_outb(f.vcpu, 0x64, 0x20);
	assert_int_equal(dt_inb(f.vcpu, 0x60), 0x44);
	/* Port tests pass; echo commands answer; nothing answers the keyboard. */
	dt_outb(f.vcpu, 0x64, 0xab);
	assert_int_equal(dt_inb(f.vcpu, 0x60), 0x00);
	dt_outb(f.vcpu, 0x64, 0xd3);
	dt_outb(f.vcpu, 0x60, 0x5a);
	assert_int_equal(dt_inb(f.vcpu, 0x64) & 0x21, 0x21);
	assert_int_equal(dt_inb(f.vcpu, 0x60), 0x5a);
	dt_outb(f.vcpu, 0x64, 0xd2);
	dt_outb(f.vcpu, 0x60, 0xa5);
	assert_int_equal(dt_inb(f.vcpu, 0x64) & 0x21, 0x01);
	assert_int_equal(dt_inb(f.vcpu, 0x60), 0xa5);
	dt_outb(f.vcpu, 0x60, 0xf2); /* keyboard: identify */
	assert_int_equal(dt_inb(f.vcpu, 0x64) & 0x01, 0);
	dt_outb(f.vcpu, 0x64, 0x42); /* unknown command */
	assert_int_equal(dt_inb(f.vcpu, 0x64) & 0x01, 0);
	/* Output port and A20. */
	dt_outb(f.vcpu, 0x64, 0xd0);
	assert_int_equal(dt_inb(f.vcpu, 0x60), 0x03);
	dt_outb(f.vcpu, 0x64, 0xdd);
	dt_outb(f.vcpu, 0x64, 0xd0);
	assert_int_equal(dt_inb(f.vcpu, 0x60), 0x01);
	dt_outb(f.vcpu, 0x64, 0xd1);
	dt_outb(f.vcpu, 0x60, 0x03); /* reset line high: no reset */
	dt_outb(f.vcpu, 0x64, 0xff); /* pulse nothing */
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
	fx_close(&f);
}

static void expect_reset(struct pc_fixture *f)
{
	static const hv_event_type_t want[] = { HV_EVENT_GUEST_RESET, HV_EVENT_VM_STOPPED };
	hv_stop_info_t info = { .struct_size = sizeof(info) };

	assert_int_equal(hv_vm_get_state(f->vm), HV_VM_STOPPED);
	assert_int_equal(hv_vm_get_stop_info(f->vm, &info), HV_OK);
	assert_int_equal(info.cause, HV_EVENT_GUEST_RESET);
	ts_events_expect(&f->events, want, 2);
}

static void test_i8042_pulse_resets_the_guest(void **state)
{
	struct pc_fixture f;

	(void)state;
	fx_open(&f);
	dt_outb(f.vcpu, 0x64, 0xfe);
	expect_reset(&f);
	fx_close(&f);
}

static void test_i8042_output_port_write_resets_the_guest(void **state)
{
	struct pc_fixture f;

	(void)state;
	fx_open(&f);
	dt_outb(f.vcpu, 0x64, 0xd1);
	dt_outb(f.vcpu, 0x60, 0xfe);
	expect_reset(&f);
	fx_close(&f);
}

static void test_port92_fast_reset_and_a20(void **state)
{
	struct pc_fixture f;

	(void)state;
	fx_open(&f);
	assert_int_equal(dt_inb(f.vcpu, 0x92), 0);
	dt_outb(f.vcpu, 0x92, 0x02);
	assert_int_equal(dt_inb(f.vcpu, 0x92), 0x02);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
	dt_outb(f.vcpu, 0x92, 0x03);
	expect_reset(&f);
	fx_close(&f);
}

static void test_pci_reset_control_register_resets_the_guest(void **state)
{
	struct pc_fixture f;

	(void)state;
	fx_open(&f);
	dt_outb(f.vcpu, 0xcf9, 0x02);
	assert_int_equal(dt_inb(f.vcpu, 0xcf9), 0x02);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
	dt_outb(f.vcpu, 0xcf9, 0x06);
	expect_reset(&f);
	fx_close(&f);
}

static void test_guest_reset_restarts_by_policy_and_resets_the_pieces(void **state)
{
	struct pc_fixture f;
	hv_vm_state_t st;

	(void)state;
	fx_open_cfg(&f, 0, HV_POLICY_RESTART);
	cmos_wr(&f, 0x40, 0x99);
	cmos_wr(&f, 0x0b, 0x72);
	dt_outb(f.vcpu, 0x64, 0x60);
	dt_outb(f.vcpu, 0x60, 0x00);
	dt_outb(f.vcpu, 0x92, 0x02);
	dt_pio(f.vcpu, 0xcf8, 4, true, 0x80001000);
	dt_outb(f.vcpu, 0x64, 0xfe);
	assert_int_equal(hv_vm_wait(f.vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_RUNNING);
	/* Battery-backed memory survives; the chip's RESET clears the interrupt enables. */
	assert_int_equal(cmos_rd(&f, 0x40), 0x99);
	assert_int_equal(cmos_rd(&f, 0x0b), 0x02);
	dt_outb(f.vcpu, 0x64, 0x20);
	assert_int_equal(dt_inb(f.vcpu, 0x60), 0x45);
	assert_int_equal(dt_inb(f.vcpu, 0x92), 0);
	assert_int_equal(dt_pio(f.vcpu, 0xcf8, 4, false, 0), 0);
	fx_close(&f);
}

static void test_post_port_ignores_writes(void **state)
{
	struct pc_fixture f;

	(void)state;
	fx_open(&f);
	dt_outb(f.vcpu, 0x80, 0x12);
	assert_int_equal(dt_inb(f.vcpu, 0x80), 0xff);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
	fx_close(&f);
}

static void test_no_pci_fails_linux_type1_and_type2_probes(void **state)
{
	struct pc_fixture f;
	int dev;

	(void)state;
	fx_open(&f);
	/* pci_check_type1: the address latch works... */
	dt_outb(f.vcpu, 0xcfb, 0x01);
	dt_pio(f.vcpu, 0xcf8, 4, true, 0x80000000);
	assert_int_equal(dt_pio(f.vcpu, 0xcf8, 4, false, 0), 0x80000000);
	/* ...but pci_sanity_check finds nothing on bus 0. */
	for (dev = 0; dev < 32; dev++) {
		dt_pio(f.vcpu, 0xcf8, 4, true, 0x80000000u | (uint32_t)dev << 11 | 0x08);
		assert_int_equal(dt_pio(f.vcpu, 0xcfc, 4, false, 0), 0xffffffffu);
		dt_pio(f.vcpu, 0xcf8, 4, true, 0x80000000u | (uint32_t)dev << 11);
		assert_int_equal(dt_pio(f.vcpu, 0xcfc, 2, false, 0), 0xffff);
		assert_int_equal(dt_pio(f.vcpu, 0xcfe, 1, false, 0), 0xff);
	}
	dt_pio(f.vcpu, 0xcfc, 4, true, 0x12345678);
	assert_int_equal(dt_pio(f.vcpu, 0xcfc, 4, false, 0), 0xffffffffu);
	/* Reserved bits read 0; byte accesses to the latch are not the latch. */
	dt_pio(f.vcpu, 0xcf8, 4, true, 0xffffffff);
	assert_int_equal(dt_pio(f.vcpu, 0xcf8, 4, false, 0), 0x80fffffc);
	assert_int_equal(dt_inb(f.vcpu, 0xcf8), 0xff);
	assert_int_equal(dt_pio(f.vcpu, 0xcfa, 2, false, 0), 0xffff);
	assert_int_equal(hv_vm_get_state(f.vm), HV_VM_RUNNING);
	fx_close(&f);
}

static void test_x86_platform_add_checks_and_is_atomic(void **state)
{
	hv_x86_platform_config_t c = HV_X86_PLATFORM_CONFIG_INIT;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = dt_vm(&vcpu, NULL);
	struct ts_dev blocker;
	hv_irq_route_config_t rc = HV_IRQ_ROUTE_CONFIG_INIT;
	hv_irq_line_t *line;
	unsigned long n;

	(void)state;
	assert_int_equal(hv_x86_platform_add(NULL, &c), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_x86_platform_add(vm, NULL), HV_ERR_INVALID_ARG);
	c.struct_size = 2;
	assert_int_equal(hv_x86_platform_add(vm, &c), HV_ERR_ABI);
	c.struct_size = sizeof(c);
	c.pieces = 1u << 7;
	assert_int_equal(hv_x86_platform_add(vm, &c), HV_ERR_INVALID_ARG);
	c.pieces = 0;
	c.cmos_irq = 40;
	assert_int_equal(hv_x86_platform_add(vm, &c), HV_ERR_RANGE);
	c.cmos_irq = 0;
	/* A later piece's port is taken: the earlier pieces are taken back. */
	memset(&blocker, 0, sizeof(blocker));
	ts_dev_add(vm, &blocker, HV_BUS_PIO, 0xcfc, 1);
	assert_int_equal(hv_x86_platform_add(vm, &c), HV_ERR_OVERLAP);
	assert_int_equal(dt_lines(vm), 0);
	assert_int_equal(vm->pio.count, 1);
	/* The RTC's input is taken. */
	rc.input = 8;
	assert_int_equal(hv_irq_route_add(vm, &rc, &line), HV_OK);
	c.pieces = HV_X86_CMOS | HV_X86_POST;
	assert_int_equal(hv_x86_platform_add(vm, &c), HV_ERR_BUSY);
	assert_int_equal(vm->pio.count, 1);
	/* Out of memory at each allocation in turn. */
	c.pieces = 0;
	c.cmos_irq = 9;
	for (n = 1;; n++) {
		hv_status_t st;

		tp_fail_alloc_at(n);
		st = hv_x86_platform_add(vm, &c);
		if (st != HV_ERR_OVERLAP)
			assert_int_equal(st, HV_ERR_NO_MEMORY);
		assert_int_equal(dt_lines(vm), 1);
		assert_int_equal(vm->pio.count, 1);
		if (tp_alloc_calls() < n)
			break;
	}
	tp_fail_alloc_at(0);
	c.pieces = HV_X86_CMOS | HV_X86_I8042 | HV_X86_PORT92 | HV_X86_POST;
	assert_int_equal(hv_x86_platform_add(vm, &c), HV_OK);
	assert_int_equal(dt_lines(vm), 2);
	assert_int_equal(vm->pio.count, 1 + 5);
	dt_start(vm);
	c.pieces = HV_X86_POST;
	assert_int_equal(hv_x86_platform_add(vm, &c), HV_ERR_STATE);
	hv_vm_destroy(vm);
}

static void test_x86_platform_needs_port_io(void **state)
{
	hv_x86_platform_config_t c = HV_X86_PLATFORM_CONFIG_INIT;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm;

	(void)state;
	mock_knobs.caps_flags &= ~(uint32_t)HV_CAP_PIO;
	vm = dt_vm(&vcpu, NULL);
	assert_int_equal(hv_x86_platform_add(vm, &c), HV_ERR_UNSUPPORTED);
	hv_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		DT_TEST(test_cmos_time_is_the_host_time_in_bcd_24h),
		DT_TEST(test_cmos_binary_and_12_hour_modes),
		DT_TEST(test_cmos_guest_sets_the_time),
		DT_TEST(test_cmos_uip_warns_before_the_second_changes),
		DT_TEST(test_cmos_memory_and_index_port),
		DT_TEST(test_cmos_update_ended_interrupt),
		DT_TEST(test_cmos_alarm_interrupt),
		DT_TEST(test_cmos_periodic_interrupt),
		DT_TEST(test_cmos_flags_without_enables_raise_nothing),
		TS_TEST(test_cmos_works_without_platform_timers),
		DT_TEST(test_i8042_answers_linux_probe_without_devices),
		DT_TEST(test_i8042_pulse_resets_the_guest),
		DT_TEST(test_i8042_output_port_write_resets_the_guest),
		DT_TEST(test_port92_fast_reset_and_a20),
		DT_TEST(test_pci_reset_control_register_resets_the_guest),
		DT_TEST(test_guest_reset_restarts_by_policy_and_resets_the_pieces),
		DT_TEST(test_post_port_ignores_writes),
		DT_TEST(test_no_pci_fails_linux_type1_and_type2_probes),
		DT_TEST(test_x86_platform_add_checks_and_is_atomic),
		TS_TEST(test_x86_platform_needs_port_io),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
