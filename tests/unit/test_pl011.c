/* SPDX-License-Identifier: MIT */
/* The PL011 UART, driven through its registers the way Linux's amba-pl011 driver does. */
#include "test_support.h"
#include "devtest.h"

#define BASE 0x09000000ull
#define IRQ 1 /* the mock's inputs are 0-23 */

#define DR 0x000
#define RSR 0x004
#define FR 0x018
#define ILPR 0x020
#define IBRD 0x024
#define FBRD 0x028
#define LCR_H 0x02c
#define CR 0x030
#define IFLS 0x034
#define IMSC 0x038
#define RIS 0x03c
#define MIS 0x040
#define ICR 0x044
#define DMACR 0x048

#define FR_BUSY 0x08
#define FR_RXFE 0x10
#define FR_TXFF 0x20
#define FR_RXFF 0x40
#define FR_TXFE 0x80
#define RXIM 0x10
#define TXIM 0x20
#define RTIM 0x40
#define OEIM 0x400

struct pl011_fixture {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	hv_device_t *dev;
	struct dt_sink sink;
};

static void fx_open(struct pl011_fixture *f)
{
	hv_pl011_config_t c = HV_PL011_CONFIG_INIT;

	memset(f, 0, sizeof(*f));
	f->vm = dt_vm(&f->vcpu, NULL);
	c.name = "ttyAMA0";
	c.base = BASE;
	c.irq = IRQ;
	c.out = dt_sink_init(&f->sink);
	assert_int_equal(hv_pl011_add(f->vm, &c, &f->dev), HV_OK);
	dt_start(f->vm);
}

static void fx_close(struct pl011_fixture *f)
{
	hv_vm_destroy(f->vm);
	assert_int_equal(f->sink.destroys, 1);
	pthread_mutex_destroy(&f->sink.mu);
}

/* Linux's Arm variant uses 16-bit accessors. */
static uint32_t rd(struct pl011_fixture *f, uint32_t off)
{
	return (uint32_t)dt_mmio(f->vcpu, BASE + off, 2, false, 0);
}

static void wr(struct pl011_fixture *f, uint32_t off, uint32_t v)
{
	dt_mmio(f->vcpu, BASE + off, 2, true, v);
}

static size_t input(struct pl011_fixture *f, const void *buf, size_t len)
{
	size_t n = 12345;

	assert_int_equal(hv_serial_input(f->dev, buf, len, &n), HV_OK);
	return n;
}

/* pl011_hwinit, pl011_startup and set_termios for 115200 8N1 with FIFOs. */
static void linux_startup(struct pl011_fixture *f)
{
	int i;

	wr(f, RSR, 0);
	wr(f, ICR, 0x7ff);
	wr(f, IMSC, RTIM | RXIM);
	wr(f, IFLS, 0x12);
	wr(f, CR, 0x0301);
	wr(f, IBRD, 13);
	wr(f, FBRD, 1);
	wr(f, LCR_H, 0x70);
	wr(f, ICR, RTIM | RXIM);
	for (i = 0; i < 64; i++) {
		if (rd(f, FR) & FR_RXFE)
			break;
		rd(f, DR);
	}
	wr(f, IMSC, RTIM | RXIM);
}

static void test_pl011_identifies_itself_to_the_amba_bus(void **state)
{
	struct pl011_fixture f;
	uint32_t pid = 0, cid = 0;
	int i;

	(void)state;
	fx_open(&f);
	for (i = 0; i < 4; i++) {
		pid |= (dt_rd32(f.vcpu, BASE + 0xfe0 + 4 * i) & 0xff) << (i * 8);
		cid |= (dt_rd32(f.vcpu, BASE + 0xff0 + 4 * i) & 0xff) << (i * 8);
	}
	assert_int_equal(pid, 0x00341011);
	assert_int_equal(cid, 0xb105f00d);
	/* Reset values. */
	assert_int_equal(rd(&f, FR), FR_TXFE | FR_RXFE | 0x7);
	assert_int_equal(rd(&f, CR), 0x0300);
	assert_int_equal(rd(&f, IFLS), 0x12);
	assert_int_equal(rd(&f, IMSC), 0);
	assert_int_equal(rd(&f, RIS), 0);
	fx_close(&f);
}

static void test_pl011_transmits_after_linux_startup(void **state)
{
	struct pl011_fixture f;
	const char *msg = "Booting Linux\n";
	size_t i;

	(void)state;
	fx_open(&f);
	/* earlycon: byte writes to DR before anyone enabled the UART. */
	dt_mmio(f.vcpu, BASE + DR, 1, true, '[');
	assert_false(dt_rd32(f.vcpu, BASE + FR) & FR_BUSY);
	linux_startup(&f);
	assert_int_equal(rd(&f, LCR_H), 0x70);
	assert_int_equal(rd(&f, IBRD), 13);
	assert_int_equal(rd(&f, FBRD), 1);
	for (i = 0; i < strlen(msg); i++) {
		assert_false(rd(&f, FR) & FR_TXFF);
		wr(&f, DR, (uint8_t)msg[i]);
	}
	assert_int_equal(f.sink.len, 1 + strlen(msg));
	assert_int_equal(f.sink.buf[0], '[');
	assert_memory_equal(f.sink.buf + 1, msg, strlen(msg));
	assert_false(dt_irq(f.vm, IRQ)); /* TX is masked */
	fx_close(&f);
}

static void test_pl011_receives_with_rx_and_timeout_interrupts(void **state)
{
	struct pl011_fixture f;
	uint8_t buf[40];
	int i;

	(void)state;
	fx_open(&f);
	linux_startup(&f);
	for (i = 0; i < 40; i++)
		buf[i] = (uint8_t)i;
	/* Below the RX level (half of 32): only the receive timeout. */
	assert_int_equal(input(&f, buf, 3), 3);
	assert_int_equal(rd(&f, RIS) & (RXIM | RTIM), RTIM);
	assert_int_equal(rd(&f, MIS), RTIM);
	assert_true(dt_irq(f.vm, IRQ));
	for (i = 0; i < 3; i++)
		assert_int_equal(rd(&f, DR), i);
	assert_true(rd(&f, FR) & FR_RXFE);
	assert_false(dt_irq(f.vm, IRQ)); /* empty: timeout cleared */
	/* Up to the level: RX; a full FIFO takes no more. */
	assert_int_equal(input(&f, buf, 40), 32);
	assert_int_equal(rd(&f, RIS) & (RXIM | RTIM), RXIM | RTIM);
	assert_true(rd(&f, FR) & FR_RXFF);
	for (i = 0; i < 17; i++)
		assert_int_equal(rd(&f, DR) & 0xff, i);
	assert_int_equal(rd(&f, RIS) & RXIM, 0); /* 15 left: below the level */
	assert_true(dt_irq(f.vm, IRQ));
	wr(&f, ICR, RTIM);
	assert_false(dt_irq(f.vm, IRQ));
	assert_int_equal(rd(&f, RSR), 0); /* the host's excess is no overrun */
	/* Without FIFOs: a one-byte holding register. */
	wr(&f, LCR_H, 0x60);
	while (!(rd(&f, FR) & FR_RXFE))
		rd(&f, DR);
	assert_int_equal(input(&f, "xy", 2), 1);
	assert_true(rd(&f, FR) & FR_RXFF);
	assert_int_equal(rd(&f, RIS) & RXIM, RXIM);
	assert_int_equal(rd(&f, DR), 'x');
	assert_int_equal(rd(&f, DR), 0); /* empty */
	fx_close(&f);
}

static void test_pl011_rx_levels_follow_ifls(void **state)
{
	static const unsigned levels[5] = { 4, 8, 16, 24, 28 };
	struct pl011_fixture f;
	uint8_t buf[32] = { 0 };
	unsigned sel;

	(void)state;
	fx_open(&f);
	linux_startup(&f);
	for (sel = 0; sel < 5; sel++) {
		wr(&f, IFLS, sel << 3);
		assert_int_equal(input(&f, buf, levels[sel] - 1), levels[sel] - 1);
		assert_int_equal(rd(&f, RIS) & RXIM, 0);
		assert_int_equal(input(&f, buf, 1), 1);
		assert_int_equal(rd(&f, RIS) & RXIM, RXIM);
		while (!(rd(&f, FR) & FR_RXFE))
			rd(&f, DR);
		wr(&f, ICR, 0x7ff);
	}
	fx_close(&f);
}

static void test_pl011_back_pressure_and_the_tx_interrupt(void **state)
{
	struct pl011_fixture f;
	int i;

	(void)state;
	fx_open(&f);
	linux_startup(&f);
	dt_sink_set_appetite(&f.sink, 0);
	/* pl011_tx_chars: fill until TXFF, then wait for the TX interrupt. */
	for (i = 0; i < 40 && !(rd(&f, FR) & FR_TXFF); i++)
		wr(&f, DR, (uint8_t)('a' + i % 26));
	assert_int_equal(i, 32);
	assert_int_equal(rd(&f, FR) & (FR_BUSY | FR_TXFE), FR_BUSY);
	wr(&f, DR, '!'); /* full: lost, as on the wire */
	wr(&f, IMSC, RTIM | RXIM | TXIM);
	assert_false(dt_irq(f.vm, IRQ));
	/* The stream takes 20: 12 left, at or below the level of 16: TX interrupt. */
	dt_sink_set_appetite(&f.sink, 20);
	rd(&f, RIS);
	dt_sink_set_appetite(&f.sink, 0);
	assert_int_equal(f.sink.len, 20);
	assert_true(dt_irq(f.vm, IRQ));
	assert_int_equal(rd(&f, MIS), TXIM);
	/* The interrupt handler writes half a FIFO: above the level again, TX clears. */
	for (i = 0; i < 16; i++)
		wr(&f, DR, 'z');
	assert_int_equal(rd(&f, RIS) & TXIM, 0);
	assert_false(dt_irq(f.vm, IRQ));
	dt_sink_set_appetite(&f.sink, -1);
	assert_int_equal(rd(&f, FR) & (FR_BUSY | FR_TXFE), FR_TXFE);
	assert_int_equal(f.sink.len, 48);
	assert_true(dt_irq(f.vm, IRQ));
	wr(&f, IMSC, RTIM | RXIM); /* stop_tx */
	assert_false(dt_irq(f.vm, IRQ));
	fx_close(&f);
}

static void test_pl011_retries_a_stalled_stream_on_a_timer(void **state)
{
	struct pl011_fixture f;
	uint64_t end;

	(void)state;
	fx_open(&f);
	linux_startup(&f);
	dt_sink_set_appetite(&f.sink, 0);
	wr(&f, DR, 'a');
	wr(&f, DR, 'b');
	wr(&f, IMSC, TXIM);
	dt_sink_set_appetite(&f.sink, -1);
	end = dt_mono_ns() + 2000000000ull;
	while (!dt_irq(f.vm, IRQ) && dt_mono_ns() < end)
		usleep(1000);
	assert_true(dt_irq(f.vm, IRQ));
	assert_int_equal(dt_sink_len(&f.sink), 2);
	fx_close(&f);
}

static void test_pl011_loopback_and_overrun(void **state)
{
	struct pl011_fixture f;
	int i;

	(void)state;
	fx_open(&f);
	linux_startup(&f);
	wr(&f, CR, 0x0381 | 0x0c00);                /* LBE, DTR, RTS */
	assert_int_equal(rd(&f, FR) & 0x10f, 0x03); /* CTS, DSR; no DCD, RI */
	wr(&f, CR, 0x0381 | 0x3000);                /* Out1, Out2 */
	assert_int_equal(rd(&f, FR) & 0x10f, 0x104);
	assert_int_equal(input(&f, "h", 1), 0); /* the line is not heard */
	wr(&f, IMSC, OEIM | RXIM | RTIM);
	for (i = 0; i < 33; i++)
		wr(&f, DR, (uint8_t)i);
	assert_int_equal(f.sink.len, 0);
	assert_int_equal(rd(&f, RIS) & (OEIM | RXIM | RTIM), OEIM | RXIM | RTIM);
	assert_int_equal(rd(&f, RSR), 0x8);
	wr(&f, RSR, 0x1234); /* UARTECR: clears */
	assert_int_equal(rd(&f, RSR), 0);
	for (i = 0; i < 32; i++)
		assert_int_equal(rd(&f, DR), i);
	wr(&f, ICR, OEIM);
	assert_false(dt_irq(f.vm, IRQ));
	wr(&f, CR, 0x0301);
	wr(&f, DR, 'o');
	assert_int_equal(f.sink.len, 1);
	fx_close(&f);
}

static void test_pl011_ignores_odd_accesses(void **state)
{
	struct pl011_fixture f;

	(void)state;
	fx_open(&f);
	wr(&f, IBRD, 0x1234);
	/* 32-bit and byte accesses work; 64-bit and misaligned ones do not. */
	assert_int_equal(dt_rd32(f.vcpu, BASE + IBRD), 0x1234);
	assert_int_equal(dt_mmio(f.vcpu, BASE + IBRD, 1, false, 0), 0x34);
	assert_int_equal(dt_mmio(f.vcpu, BASE + IBRD, 8, false, 0), 0);
	assert_int_equal(dt_mmio(f.vcpu, BASE + IBRD + 1, 1, false, 0), 0);
	assert_int_equal(dt_mmio(f.vcpu, BASE + IBRD + 2, 2, false, 0), 0);
	dt_mmio(f.vcpu, BASE + IBRD, 8, true, 1);
	dt_mmio(f.vcpu, BASE + IBRD + 1, 1, true, 1);
	assert_int_equal(rd(&f, IBRD), 0x1234);
	dt_mmio(f.vcpu, BASE + DR + 2, 2, true, 'x');
	assert_int_equal(f.sink.len, 0);
	/* Read-only, write-only and unknown registers. */
	wr(&f, FR, 0);
	wr(&f, RIS, 0xffff);
	wr(&f, MIS, 0xffff);
	wr(&f, 0x800, 0xffff);
	wr(&f, 0xfe0, 0xff);
	assert_int_equal(rd(&f, RIS), 0);
	assert_int_equal(rd(&f, ICR), 0);
	assert_int_equal(rd(&f, 0x800), 0);
	assert_int_equal(rd(&f, 0xfe0), 0x11);
	/* Writable bits only. */
	wr(&f, ILPR, 0xffff);
	wr(&f, FBRD, 0xffff);
	wr(&f, IFLS, 0xffff);
	wr(&f, DMACR, 0xffff);
	wr(&f, IMSC, 0xffff);
	assert_int_equal(rd(&f, ILPR), 0xff);
	assert_int_equal(rd(&f, FBRD), 0x3f);
	assert_int_equal(rd(&f, IFLS), 0x3f);
	assert_int_equal(rd(&f, DMACR), 0x7);
	assert_int_equal(rd(&f, IMSC), 0x7ff);
	fx_close(&f);
}

static void test_pl011_reset_restores_power_on_state(void **state)
{
	struct pl011_fixture f;

	(void)state;
	fx_open(&f);
	linux_startup(&f);
	assert_int_equal(input(&f, "abc", 3), 3);
	assert_true(dt_irq(f.vm, IRQ));
	dt_sink_set_appetite(&f.sink, 0);
	wr(&f, DR, 'q');
	hv_vm_stop(f.vm);
	assert_int_equal(hv_vm_wait(f.vm, NULL), HV_OK);
	assert_int_equal(hv_vm_reset(f.vm), HV_OK);
	assert_false(dt_irq(f.vm, IRQ));
	dt_start(f.vm);
	dt_sink_set_appetite(&f.sink, -1);
	assert_int_equal(rd(&f, FR), FR_TXFE | FR_RXFE | 0x7);
	assert_int_equal(rd(&f, CR), 0x0300);
	assert_int_equal(rd(&f, LCR_H), 0);
	assert_int_equal(rd(&f, IMSC), 0);
	assert_int_equal(rd(&f, RIS), 0);
	assert_int_equal(rd(&f, IBRD), 0);
	assert_int_equal(f.sink.len, 0);
	fx_close(&f);
}

static void test_pl011_add_rejects_bad_arguments(void **state)
{
	hv_pl011_config_t c = HV_PL011_CONFIG_INIT;
	hv_chardev_ops_t bad = dt_sink_ops;
	struct dt_sink sink;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = dt_vm(&vcpu, NULL);
	unsigned long n;

	(void)state;
	c.base = BASE;
	c.irq = IRQ;
	c.out = dt_sink_init(&sink);
	assert_int_equal(hv_pl011_add(NULL, &c, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_pl011_add(vm, NULL, NULL), HV_ERR_INVALID_ARG);
	c.struct_size = 0;
	assert_int_equal(hv_pl011_add(vm, &c, NULL), HV_ERR_ABI);
	c.struct_size = sizeof(c);
	c.out.ops = &bad;
	bad.struct_size = 8;
	assert_int_equal(hv_pl011_add(vm, &c, NULL), HV_ERR_ABI);
	bad.struct_size = sizeof(bad);
	bad.write = NULL;
	assert_int_equal(hv_pl011_add(vm, &c, NULL), HV_ERR_INVALID_ARG);
	c.out.ops = &dt_sink_ops;
	/* The window may not overlap RAM, nor wrap. */
	ts_map_ram(vm, BASE - 0x1000, 0x2000);
	assert_int_equal(hv_pl011_add(vm, &c, NULL), HV_ERR_OVERLAP);
	c.base = UINT64_MAX - 0x800;
	assert_int_equal(hv_pl011_add(vm, &c, NULL), HV_ERR_WRAP);
	c.base = BASE + 0x1000;
	c.irq = 99;
	assert_int_equal(hv_pl011_add(vm, &c, NULL), HV_ERR_RANGE);
	c.irq = IRQ;
	assert_int_equal(hv_pl011_add(vm, &c, NULL), HV_OK);
	c.base = BASE + 0x2000;
	assert_int_equal(hv_pl011_add(vm, &c, NULL), HV_ERR_BUSY);
	c.irq = IRQ + 1;
	c.out.ops = NULL;
	for (n = 1;; n++) {
		hv_status_t st;

		tp_fail_alloc_at(n);
		st = hv_pl011_add(vm, &c, NULL);
		if (st == HV_OK)
			break;
		assert_int_equal(st, HV_ERR_NO_MEMORY);
		assert_int_equal(dt_lines(vm), 1);
	}
	tp_fail_alloc_at(0);
	assert_int_equal(dt_lines(vm), 2);
	dt_start(vm);
	c.base = BASE + 0x3000;
	c.irq = IRQ + 2;
	assert_int_equal(hv_pl011_add(vm, &c, NULL), HV_ERR_STATE);
	assert_int_equal(sink.destroys, 0);
	hv_vm_destroy(vm);
	assert_int_equal(sink.destroys, 1);
	pthread_mutex_destroy(&sink.mu);
}

static void test_pl011_needs_an_interrupt_controller(void **state)
{
	hv_pl011_config_t c = HV_PL011_CONFIG_INIT;
	hv_vm_config_t vc = ts_vm_config();
	hv_vm_t *vm;

	(void)state;
	vc.backend = &mock_backend_no_irq;
	assert_int_equal(hv_vm_create(&vc, &vm), HV_OK);
	c.base = BASE;
	c.irq = IRQ;
	assert_int_equal(hv_pl011_add(vm, &c, NULL), HV_ERR_UNSUPPORTED);
	hv_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_pl011_identifies_itself_to_the_amba_bus),
		TS_TEST(test_pl011_transmits_after_linux_startup),
		TS_TEST(test_pl011_receives_with_rx_and_timeout_interrupts),
		TS_TEST(test_pl011_rx_levels_follow_ifls),
		TS_TEST(test_pl011_back_pressure_and_the_tx_interrupt),
		DT_TEST(test_pl011_retries_a_stalled_stream_on_a_timer),
		TS_TEST(test_pl011_loopback_and_overrun),
		TS_TEST(test_pl011_ignores_odd_accesses),
		TS_TEST(test_pl011_reset_restores_power_on_state),
		TS_TEST(test_pl011_add_rejects_bad_arguments),
		TS_TEST(test_pl011_needs_an_interrupt_controller),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
