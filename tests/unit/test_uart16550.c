/* SPDX-License-Identifier: MIT */
/* The 16550A UART, driven through its registers the way Linux's 8250 driver does. */
#include "test_support.h"
#include "devtest.h"

#define COM1 0x3f8
#define IRQ 4
#define MBASE 0x10000000ull

enum { RBR = 0, IER, IIR, LCR, MCR, LSR, MSR, SCR };

struct uart_fixture {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	hv_device_t *dev;
	struct dt_sink sink;
	bool mmio;
	uint32_t shift;
};

static void fx_open(struct uart_fixture *f, hv_bus_t bus, uint32_t shift)
{
	hv_uart16550_config_t c = HV_UART16550_CONFIG_INIT;

	memset(f, 0, sizeof(*f));
	f->vm = dt_vm(&f->vcpu, NULL);
	f->mmio = bus == HV_BUS_MMIO;
	f->shift = shift;
	c.name = "ttyS0";
	c.bus = bus;
	c.base = f->mmio ? MBASE : COM1;
	c.reg_shift = shift;
	c.irq = IRQ;
	c.out = dt_sink_init(&f->sink);
	assert_int_equal(hv_uart16550_add(f->vm, &c, &f->dev), HV_OK);
	dt_start(f->vm);
}

static void fx_close(struct uart_fixture *f)
{
	hv_vm_destroy(f->vm);
	assert_int_equal(f->sink.destroys, 1);
	pthread_mutex_destroy(&f->sink.mu);
}

static uint8_t rd(struct uart_fixture *f, unsigned reg)
{
	if (f->mmio)
		return (uint8_t)dt_mmio(f->vcpu, MBASE + ((uint64_t)reg << f->shift), 1, false, 0);
	return dt_inb(f->vcpu, (uint16_t)(COM1 + reg));
}

static void wr(struct uart_fixture *f, unsigned reg, uint8_t v)
{
	if (f->mmio)
		dt_mmio(f->vcpu, MBASE + ((uint64_t)reg << f->shift), 1, true, v);
	else
		dt_outb(f->vcpu, (uint16_t)(COM1 + reg), v);
}

static size_t input(struct uart_fixture *f, const char *s, size_t len)
{
	size_t n = 12345;

	assert_int_equal(hv_serial_input(f->dev, s, len, &n), HV_OK);
	return n;
}

/* Removing a library device gives its interrupt input back: a new route may use it. */
static void test_uart16550_remove_frees_its_interrupt_input(void **state)
{
	hv_uart16550_config_t cfg = HV_UART16550_CONFIG_INIT;
	hv_irq_route_config_t route = HV_IRQ_ROUTE_CONFIG_INIT;
	hv_irq_line_t *line;
	hv_device_t *dev;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm;

	(void)state;
	vm = dt_vm(&vcpu, NULL);
	cfg.bus = HV_BUS_PIO;
	cfg.base = 0x3f8;
	cfg.irq = 4;
	assert_int_equal(hv_uart16550_add(vm, &cfg, &dev), HV_OK);
	route.input = 4;
	assert_int_equal(hv_irq_route_add(vm, &route, &line), HV_ERR_BUSY);
	assert_int_equal(hv_device_remove(dev), HV_OK);
	assert_int_equal(hv_irq_route_add(vm, &route, &line), HV_OK);
	assert_int_equal(hv_irq_line_input(line), 4);
	hv_vm_destroy(vm);
}

static void test_uart16550_passes_linux_8250_autoconfig_as_a_16550a(void **state)
{
	struct uart_fixture f;
	uint8_t scratch, scratch2, scratch3, save_mcr, save_lcr, status1;

	(void)state;
	fx_open(&f, HV_BUS_PIO, 0);
	/* IER: the low four bits only. */
	scratch = rd(&f, IER);
	wr(&f, IER, 0);
	scratch2 = rd(&f, IER) & 0x0f;
	wr(&f, IER, 0x0f);
	scratch3 = rd(&f, IER) & 0x0f;
	wr(&f, IER, scratch);
	assert_int_equal(scratch2, 0);
	assert_int_equal(scratch3, 0x0f);
	/* Loopback: RTS and OUT2 come back as CTS and DCD. */
	save_mcr = rd(&f, MCR);
	save_lcr = rd(&f, LCR);
	wr(&f, MCR, 0x10 | 0x0a);
	status1 = rd(&f, MSR) & 0xf0;
	wr(&f, MCR, save_mcr);
	assert_int_equal(status1, 0x90);
	/* No EFR: offset 2 is FCR; with the FIFO enabled IIR bits 7:6 are 11. */
	wr(&f, LCR, 0xbf);
	wr(&f, IIR, 0);
	wr(&f, LCR, 0);
	wr(&f, IIR, 0x01);
	assert_int_equal(rd(&f, IIR) >> 6, 3);
	wr(&f, LCR, 0x80);
	assert_int_not_equal(rd(&f, IIR), 0); /* not an ST16C650V1 */
	wr(&f, LCR, 0xbf);
	assert_int_not_equal(rd(&f, IIR), 0); /* no EFR under 0xBF either */
	/* Not a 16750: IIR bit 5 stays clear. */
	wr(&f, LCR, 0);
	wr(&f, IIR, 0x21);
	assert_int_equal(rd(&f, IIR) & 0xe0, 0xc0);
	/* Not an XScale: IER bit 6 does not stick. */
	wr(&f, IER, 0x40);
	assert_int_equal(rd(&f, IER) & 0x40, 0);
	wr(&f, IER, 0);
	wr(&f, LCR, save_lcr);
	/* LSR must not read 0xff (the driver's "LSR safety check"). */
	assert_int_equal(rd(&f, LSR), 0x60);
	/* Scratch register. */
	wr(&f, SCR, 0xa5);
	assert_int_equal(rd(&f, SCR), 0xa5);
	fx_close(&f);
}

static void test_uart16550_transmits_to_the_stream(void **state)
{
	struct uart_fixture f;
	const char *msg = "hello, world\n";
	size_t i;

	(void)state;
	fx_open(&f, HV_BUS_PIO, 0);
	wr(&f, LCR, 0x03);
	for (i = 0; i < strlen(msg); i++) {
		assert_true(rd(&f, LSR) & 0x20);
		wr(&f, RBR, (uint8_t)msg[i]);
	}
	assert_int_equal(f.sink.len, strlen(msg));
	assert_memory_equal(f.sink.buf, msg, strlen(msg));
	assert_int_equal(rd(&f, LSR) & 0x60, 0x60);
	fx_close(&f);
}

static void test_uart16550_without_a_stream_discards_output(void **state)
{
	hv_uart16550_config_t c = HV_UART16550_CONFIG_INIT;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = dt_vm(&vcpu, NULL);

	(void)state;
	c.bus = HV_BUS_PIO;
	c.base = COM1;
	c.irq = IRQ;
	assert_int_equal(hv_uart16550_add(vm, &c, NULL), HV_OK);
	dt_start(vm);
	dt_outb(vcpu, COM1, 'x');
	assert_int_equal(dt_inb(vcpu, COM1 + LSR), 0x60);
	hv_vm_destroy(vm);
}

static void test_uart16550_takes_input_up_to_its_fifo(void **state)
{
	struct uart_fixture f;
	char buf[20];
	int i;

	(void)state;
	fx_open(&f, HV_BUS_PIO, 0);
	/* FIFOs off (power-on): a one-byte holding register. */
	assert_int_equal(input(&f, "ab", 2), 1);
	assert_int_equal(rd(&f, LSR) & 1, 1);
	assert_int_equal(rd(&f, RBR), 'a');
	assert_int_equal(rd(&f, LSR) & 1, 0);
	/* FIFOs on: sixteen. */
	wr(&f, IIR, 0x07);
	for (i = 0; i < 20; i++)
		buf[i] = (char)('A' + i);
	assert_int_equal(input(&f, buf, 20), 16);
	assert_int_equal(input(&f, buf, 20), 0);
	for (i = 0; i < 16; i++) {
		assert_true(rd(&f, LSR) & 1);
		assert_int_equal(rd(&f, RBR), 'A' + i);
	}
	assert_int_equal(rd(&f, LSR) & 1, 0);
	assert_int_equal(rd(&f, LSR) & 2, 0); /* the host's excess is not an overrun */
	assert_int_equal(input(&f, buf, 0), 0);
	/* FCR bit 1 clears the RX FIFO. */
	assert_int_equal(input(&f, buf, 3), 3);
	wr(&f, IIR, 0x03);
	assert_int_equal(rd(&f, LSR) & 1, 0);
	fx_close(&f);
}

static void test_uart16550_rx_trigger_levels_select_data_or_timeout(void **state)
{
	static const uint8_t trig[4] = { 1, 4, 8, 14 };
	struct uart_fixture f;
	char buf[16] = { 0 };
	unsigned t;

	(void)state;
	fx_open(&f, HV_BUS_PIO, 0);
	wr(&f, MCR, 0x0b);
	wr(&f, IER, 0x01);
	for (t = 0; t < 4; t++) {
		wr(&f, IIR, (uint8_t)(t << 6 | 0x07));
		assert_int_equal(rd(&f, IIR), 0xc1);
		assert_false(dt_irq(f.vm, IRQ));
		if (trig[t] > 1) {
			assert_int_equal(input(&f, buf, trig[t] - 1u), trig[t] - 1u);
			/* Below the level: the (immediate) character timeout. */
			assert_int_equal(rd(&f, IIR), 0xcc);
			assert_true(dt_irq(f.vm, IRQ));
			assert_int_equal(input(&f, buf, 1), 1);
		} else {
			assert_int_equal(input(&f, buf, 1), 1);
		}
		assert_int_equal(rd(&f, IIR), 0xc4);
		assert_true(dt_irq(f.vm, IRQ));
		while (rd(&f, LSR) & 1)
			rd(&f, RBR);
		assert_int_equal(rd(&f, IIR), 0xc1);
		assert_false(dt_irq(f.vm, IRQ));
	}
	fx_close(&f);
}

static void test_uart16550_thre_interrupt_follows_the_datasheet(void **state)
{
	struct uart_fixture f;

	(void)state;
	fx_open(&f, HV_BUS_PIO, 0);
	wr(&f, MCR, 0x08); /* OUT2 */
	wr(&f, IIR, 0x01);
	/* Enabling it while THR is empty raises it (Linux's UART_BUG_THRE probe). */
	wr(&f, IER, 0x02);
	assert_true(dt_irq(f.vm, IRQ));
	assert_int_equal(rd(&f, IIR), 0xc2);
	/* Reading IIR with THRI as its source clears it. */
	assert_false(dt_irq(f.vm, IRQ));
	assert_int_equal(rd(&f, IIR), 0xc1);
	/* Off and on again: raised again. */
	wr(&f, IER, 0);
	wr(&f, IER, 0x02);
	assert_int_equal(rd(&f, IIR), 0xc2);
	/* A byte written and sent: THR empty again, interrupt again. */
	wr(&f, RBR, 'z');
	assert_true(dt_irq(f.vm, IRQ));
	assert_int_equal(rd(&f, IIR), 0xc2);
	assert_int_equal(f.sink.len, 1);
	wr(&f, IER, 0);
	assert_false(dt_irq(f.vm, IRQ));
	fx_close(&f);
}

static void test_uart16550_interrupt_priorities(void **state)
{
	struct uart_fixture f;
	int i;

	(void)state;
	fx_open(&f, HV_BUS_PIO, 0);
	wr(&f, IIR, 0x01); /* FIFO, trigger 1 */
	wr(&f, MCR, 0x10); /* loopback */
	for (i = 0; i < 17; i++)
		wr(&f, RBR, (uint8_t)i); /* the 17th overruns */
	rd(&f, MSR);
	wr(&f, MCR, 0x12); /* RTS: a CTS change, in loopback */
	wr(&f, IER, 0x0f);
	assert_int_equal(rd(&f, IIR), 0xc6);        /* line status first */
	assert_int_equal(rd(&f, LSR) & 0x63, 0x63); /* DR, OE, THRE, TEMT */
	assert_int_equal(rd(&f, LSR) & 0x02, 0);    /* OE cleared by the read */
	assert_int_equal(rd(&f, IIR), 0xc4);        /* then data */
	for (i = 0; i < 16; i++)
		assert_int_equal(rd(&f, RBR), i);
	assert_int_equal(rd(&f, IIR), 0xc2); /* then THR empty (cleared by this read) */
	assert_int_equal(rd(&f, IIR), 0xc0); /* then modem status */
	assert_int_equal(rd(&f, MSR), 0x11); /* DCTS | CTS */
	assert_int_equal(rd(&f, IIR), 0xc1);
	fx_close(&f);
}

static void test_uart16550_out2_gates_the_pc_line_only(void **state)
{
	struct uart_fixture f;

	(void)state;
	fx_open(&f, HV_BUS_PIO, 0);
	wr(&f, IER, 0x02);
	assert_int_equal(rd(&f, IIR) & 0x0f, 0x02);
	wr(&f, IER, 0);
	wr(&f, IER, 0x02);
	assert_false(dt_irq(f.vm, IRQ)); /* pending, but OUT2 is off */
	wr(&f, MCR, 0x08);
	assert_true(dt_irq(f.vm, IRQ));
	wr(&f, MCR, 0x18); /* loopback forces OUT2 inactive */
	assert_false(dt_irq(f.vm, IRQ));
	wr(&f, MCR, 0x00);
	assert_false(dt_irq(f.vm, IRQ));
	fx_close(&f);

	/* Memory-mapped (a SoC's 16550): the line is the pending interrupt alone. */
	fx_open(&f, HV_BUS_MMIO, 2);
	wr(&f, IER, 0x02);
	assert_true(dt_irq(f.vm, IRQ));
	assert_int_equal(rd(&f, IIR) & 0x0f, 0x02);
	assert_false(dt_irq(f.vm, IRQ));
	fx_close(&f);
}

static void test_uart16550_loopback_routes_tx_and_modem_lines(void **state)
{
	struct uart_fixture f;

	(void)state;
	fx_open(&f, HV_BUS_PIO, 0);
	assert_int_equal(rd(&f, MSR), 0xb0); /* a connected terminal: DCD, DSR, CTS */
	wr(&f, MCR, 0x10);
	assert_int_equal(rd(&f, MSR), 0x0b); /* all inputs dropped: deltas DCD, DSR, CTS */
	assert_int_equal(rd(&f, MSR), 0x00);
	wr(&f, MCR, 0x1f);
	assert_int_equal(rd(&f, MSR), 0xfb);
	wr(&f, MCR, 0x1b); /* OUT1 off: RI's trailing edge */
	assert_int_equal(rd(&f, MSR) & 0x4f, 0x04);
	/* Transmitted bytes come back; none reach the host; host input is not heard. */
	wr(&f, RBR, 'L');
	assert_int_equal(f.sink.len, 0);
	assert_int_equal(input(&f, "x", 1), 0);
	assert_int_equal(rd(&f, LSR) & 0x61, 0x61);
	assert_int_equal(rd(&f, RBR), 'L');
	wr(&f, MCR, 0x03);
	wr(&f, RBR, 'N');
	assert_int_equal(f.sink.len, 1);
	assert_int_equal(f.sink.buf[0], 'N');
	fx_close(&f);
}

static void test_uart16550_back_pressure_keeps_bytes_in_the_fifo(void **state)
{
	struct uart_fixture f;
	int i;

	(void)state;
	fx_open(&f, HV_BUS_PIO, 0);
	wr(&f, IIR, 0x01);
	dt_sink_set_appetite(&f.sink, 0);
	for (i = 0; i < 20; i++)
		wr(&f, RBR, (uint8_t)('a' + i)); /* 16 fit, 4 are lost like on a wire */
	assert_int_equal(f.sink.len, 0);
	assert_int_equal(rd(&f, LSR) & 0x60, 0);
	/* The stream takes 5 at a time: each access offers the rest again, no busy loop. */
	dt_sink_set_appetite(&f.sink, 5);
	rd(&f, SCR);
	assert_int_equal(f.sink.len, 5);
	assert_int_equal(rd(&f, LSR) & 0x60, 0);
	dt_sink_set_appetite(&f.sink, -1);
	assert_int_equal(rd(&f, LSR) & 0x60, 0x60);
	assert_int_equal(f.sink.len, 16);
	for (i = 0; i < 16; i++)
		assert_int_equal(f.sink.buf[i], 'a' + i);
	/* FCR bit 2 drops what is waiting. */
	dt_sink_set_appetite(&f.sink, 0);
	wr(&f, RBR, '!');
	assert_int_equal(rd(&f, LSR) & 0x60, 0);
	wr(&f, IIR, 0x05);
	assert_int_equal(rd(&f, LSR) & 0x60, 0x60);
	dt_sink_set_appetite(&f.sink, -1);
	rd(&f, LSR);
	assert_int_equal(f.sink.len, 16);
	fx_close(&f);
}

static void test_uart16550_retries_a_stalled_stream_on_a_timer(void **state)
{
	struct uart_fixture f;
	uint64_t end;

	(void)state;
	fx_open(&f, HV_BUS_PIO, 0);
	wr(&f, MCR, 0x08);
	wr(&f, IIR, 0x01);
	dt_sink_set_appetite(&f.sink, 0);
	wr(&f, RBR, 'r');
	wr(&f, RBR, 's');
	wr(&f, IER, 0x02);
	assert_false(dt_irq(f.vm, IRQ));
	/* The guest now waits for THRE without touching the UART. */
	dt_sink_set_appetite(&f.sink, -1);
	end = dt_mono_ns() + 2000000000ull;
	while (dt_sink_len(&f.sink) < 2 && dt_mono_ns() < end)
		usleep(1000);
	assert_int_equal(dt_sink_len(&f.sink), 2);
	while (!dt_irq(f.vm, IRQ) && dt_mono_ns() < end)
		usleep(1000);
	assert_true(dt_irq(f.vm, IRQ));
	assert_int_equal(rd(&f, IIR), 0xc2);
	fx_close(&f);
}

struct echo_ctx {
	hv_device_t *dev;
	size_t echoed;
};

static size_t echo_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct echo_ctx *e = ctx;
	size_t n = 0;

	/* A stream that answers at once: back into the same device, from inside its write. */
	assert_int_equal(hv_serial_input(e->dev, buf, len, &n), HV_OK);
	e->echoed += n;
	return len;
}

static const hv_chardev_ops_t echo_ops = {
	.struct_size = sizeof(hv_chardev_ops_t),
	.version = HV_CHARDEV_OPS_VERSION,
	.write = echo_write,
};

static void test_uart16550_stream_may_answer_from_its_write(void **state)
{
	hv_uart16550_config_t c = HV_UART16550_CONFIG_INIT;
	struct echo_ctx e = { 0 };
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = dt_vm(&vcpu, NULL);

	(void)state;
	c.bus = HV_BUS_PIO;
	c.base = COM1;
	c.irq = IRQ;
	c.out.ops = &echo_ops;
	c.out.ctx = &e;
	assert_int_equal(hv_uart16550_add(vm, &c, &e.dev), HV_OK);
	dt_start(vm);
	dt_outb(vcpu, COM1 + IIR, 0x01);
	dt_outb(vcpu, COM1, 'e');
	assert_int_equal(e.echoed, 1);
	assert_int_equal(dt_inb(vcpu, COM1), 'e');
	hv_vm_destroy(vm);
}

static void test_uart16550_divisor_latch_shares_offsets_0_and_1(void **state)
{
	struct uart_fixture f;

	(void)state;
	fx_open(&f, HV_BUS_PIO, 0);
	wr(&f, IER, 0x05);
	wr(&f, LCR, 0x83);
	wr(&f, RBR, 0x01); /* 115200 baud */
	wr(&f, IER, 0x00);
	assert_int_equal(rd(&f, RBR), 0x01);
	assert_int_equal(rd(&f, IER), 0x00);
	wr(&f, LCR, 0x03);
	assert_int_equal(rd(&f, IER), 0x05);
	assert_int_equal(rd(&f, LCR), 0x03);
	assert_int_equal(f.sink.len, 0); /* the DLL write sent nothing */
	fx_close(&f);
}

static void test_uart16550_ignores_odd_accesses(void **state)
{
	struct uart_fixture f;

	(void)state;
	fx_open(&f, HV_BUS_PIO, 0);
	wr(&f, SCR, 0x42);
	/* Port I/O: bytes only. Wider reads see ones, wider writes do nothing. */
	assert_int_equal(dt_pio(f.vcpu, COM1 + 6, 2, false, 0), 0xffff);
	assert_int_equal(dt_pio(f.vcpu, COM1 + 4, 4, false, 0), 0xffffffffu);
	dt_pio(f.vcpu, COM1 + 6, 2, true, 0x1111);
	dt_pio(f.vcpu, COM1, 4, true, 0x41414141);
	assert_int_equal(rd(&f, SCR), 0x42);
	assert_int_equal(f.sink.len, 0);
	/* Writes to LSR and MSR are ignored. */
	wr(&f, LSR, 0);
	wr(&f, MSR, 0xff);
	assert_int_equal(rd(&f, LSR), 0x60);
	assert_int_equal(rd(&f, MSR), 0xb0);
	fx_close(&f);

	/* MMIO with reg_shift 2: byte or 32-bit at register offsets. */
	fx_open(&f, HV_BUS_MMIO, 2);
	dt_mmio(f.vcpu, MBASE + 7 * 4, 4, true, 0xabcdef99);
	assert_int_equal(dt_mmio(f.vcpu, MBASE + 7 * 4, 4, false, 0), 0x99);
	assert_int_equal(dt_mmio(f.vcpu, MBASE + 7 * 4, 1, false, 0), 0x99);
	assert_int_equal(dt_mmio(f.vcpu, MBASE + 7 * 4, 2, false, 0), 0);
	assert_int_equal(dt_mmio(f.vcpu, MBASE + 7 * 4 + 1, 1, false, 0), 0);
	assert_int_equal(dt_mmio(f.vcpu, MBASE, 8, false, 0), 0);
	dt_mmio(f.vcpu, MBASE + 7 * 4 + 2, 1, true, 0x11);
	dt_mmio(f.vcpu, MBASE + 7 * 4, 2, true, 0x11);
	assert_int_equal(rd(&f, SCR), 0x99);
	dt_mmio(f.vcpu, MBASE, 4, true, 'M');
	assert_int_equal(f.sink.len, 1);
	fx_close(&f);

	/* MMIO with reg_shift 0: bytes only. */
	fx_open(&f, HV_BUS_MMIO, 0);
	dt_mmio(f.vcpu, MBASE + 4, 4, true, 0x01010101);
	assert_int_equal(rd(&f, MCR), 0);
	assert_int_equal(dt_mmio(f.vcpu, MBASE + 4, 4, false, 0), 0);
	fx_close(&f);
}

static void test_uart16550_reset_restores_power_on_state(void **state)
{
	struct uart_fixture f;

	(void)state;
	fx_open(&f, HV_BUS_PIO, 0);
	wr(&f, IIR, 0xc1);
	wr(&f, LCR, 0x1b);
	wr(&f, MCR, 0x0b);
	wr(&f, IER, 0x0f);
	wr(&f, SCR, 0x77);
	assert_int_equal(input(&f, "abc", 3), 3);
	assert_true(dt_irq(f.vm, IRQ));
	dt_sink_set_appetite(&f.sink, 0);
	wr(&f, RBR, 'q');
	assert_int_equal(hv_vm_stop(f.vm), HV_OK);
	assert_int_equal(hv_vm_wait(f.vm, NULL), HV_OK);
	assert_int_equal(hv_vm_reset(f.vm), HV_OK);
	assert_false(dt_irq(f.vm, IRQ));
	dt_start(f.vm);
	dt_sink_set_appetite(&f.sink, -1);
	assert_int_equal(rd(&f, IER), 0);
	assert_int_equal(rd(&f, IIR), 0x01);
	assert_int_equal(rd(&f, LCR), 0);
	assert_int_equal(rd(&f, MCR), 0);
	assert_int_equal(rd(&f, LSR), 0x60);
	assert_int_equal(rd(&f, SCR), 0);
	assert_int_equal(f.sink.len, 0); /* the byte pending at reset is gone */
	fx_close(&f);
}

static void test_uart16550_add_rejects_bad_arguments(void **state)
{
	hv_uart16550_config_t c = HV_UART16550_CONFIG_INIT;
	hv_chardev_ops_t bad = dt_sink_ops;
	struct dt_sink sink;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = dt_vm(&vcpu, NULL);
	struct ts_dev other;
	unsigned long n;

	(void)state;
	c.bus = HV_BUS_PIO;
	c.base = COM1;
	c.irq = IRQ;
	c.out = dt_sink_init(&sink);
	assert_int_equal(hv_uart16550_add(NULL, &c, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_uart16550_add(vm, NULL, NULL), HV_ERR_INVALID_ARG);
	c.struct_size = 4;
	assert_int_equal(hv_uart16550_add(vm, &c, NULL), HV_ERR_ABI);
	c.struct_size = sizeof(c);
	c.reg_shift = 3;
	assert_int_equal(hv_uart16550_add(vm, &c, NULL), HV_ERR_INVALID_ARG);
	c.reg_shift = 0;
	c.bus = (hv_bus_t)7;
	assert_int_equal(hv_uart16550_add(vm, &c, NULL), HV_ERR_INVALID_ARG);
	c.bus = HV_BUS_PIO;
	c.out.ops = &bad;
	bad.version = 99;
	assert_int_equal(hv_uart16550_add(vm, &c, NULL), HV_ERR_ABI);
	bad.version = HV_CHARDEV_OPS_VERSION;
	bad.write = NULL;
	assert_int_equal(hv_uart16550_add(vm, &c, NULL), HV_ERR_INVALID_ARG);
	c.out.ops = &dt_sink_ops;
	/* Window and interrupt input. */
	c.base = 0xfffc;
	assert_int_equal(hv_uart16550_add(vm, &c, NULL), HV_ERR_RANGE);
	c.base = COM1;
	c.irq = 500;
	assert_int_equal(hv_uart16550_add(vm, &c, NULL), HV_ERR_RANGE);
	c.irq = IRQ;
	memset(&other, 0, sizeof(other));
	ts_dev_add(vm, &other, HV_BUS_PIO, COM1 + 7, 1);
	assert_int_equal(hv_uart16550_add(vm, &c, NULL), HV_ERR_OVERLAP);
	assert_int_equal(dt_lines(vm), 0); /* no route left behind */
	c.base = 0x2f8;
	assert_int_equal(hv_uart16550_add(vm, &c, NULL), HV_OK);
	c.base = 0x3e8;
	assert_int_equal(hv_uart16550_add(vm, &c, NULL), HV_ERR_BUSY);
	/* Out of memory at every allocation in turn: nothing added, nothing leaked. */
	c.irq = 3;
	c.out.ops = NULL;
	for (n = 1;; n++) {
		hv_status_t st;

		tp_fail_alloc_at(n);
		st = hv_uart16550_add(vm, &c, NULL);
		if (st == HV_OK)
			break;
		assert_int_equal(st, HV_ERR_NO_MEMORY);
		assert_int_equal(dt_lines(vm), 1);
	}
	tp_fail_alloc_at(0);
	assert_true(n > 2);
	assert_int_equal(dt_lines(vm), 2);
	c.out.ops = &dt_sink_ops;
	/* Running. */
	dt_start(vm);
	assert_int_equal(hv_uart16550_add(vm, &c, NULL), HV_ERR_STATE);
	/* The failed adds left the stream with its owner: destroyed once, by the one add. */
	assert_int_equal(sink.destroys, 0);
	hv_vm_destroy(vm);
	assert_int_equal(sink.destroys, 1);
	pthread_mutex_destroy(&sink.mu);
}

static void test_uart16550_add_needs_port_io_for_a_port_window(void **state)
{
	hv_uart16550_config_t c = HV_UART16550_CONFIG_INIT;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm;

	(void)state;
	mock_knobs.caps_flags &= ~(uint32_t)HV_CAP_PIO;
	vm = dt_vm(&vcpu, NULL);
	c.bus = HV_BUS_PIO;
	c.base = COM1;
	c.irq = IRQ;
	assert_int_equal(hv_uart16550_add(vm, &c, NULL), HV_ERR_UNSUPPORTED);
	c.bus = HV_BUS_MMIO;
	c.base = MBASE;
	assert_int_equal(hv_uart16550_add(vm, &c, NULL), HV_OK);
	hv_vm_destroy(vm);
}

static void test_uart16550_serial_input_checks_its_arguments(void **state)
{
	struct uart_fixture f;
	struct ts_dev plain;
	hv_device_t *pd;
	size_t n = 99;

	(void)state;
	fx_open(&f, HV_BUS_PIO, 0);
	assert_int_equal(hv_serial_input(NULL, "a", 1, &n), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_serial_input(f.dev, NULL, 1, &n), HV_ERR_INVALID_ARG);
	assert_int_equal(n, 99);
	assert_int_equal(hv_serial_input(f.dev, NULL, 0, &n), HV_OK);
	assert_int_equal(n, 0);
	assert_int_equal(hv_serial_input(f.dev, "a", 1, NULL), HV_OK);
	hv_vm_stop(f.vm);
	hv_vm_wait(f.vm, NULL);
	memset(&plain, 0, sizeof(plain));
	pd = ts_dev_add(f.vm, &plain, HV_BUS_PIO, 0x100, 1);
	assert_int_equal(hv_serial_input(pd, "a", 1, &n), HV_ERR_UNSUPPORTED);
	/* Removing the device releases it and its stream. */
	assert_int_equal(hv_device_remove(f.dev), HV_OK);
	assert_int_equal(f.sink.destroys, 1);
	hv_vm_destroy(f.vm);
	pthread_mutex_destroy(&f.sink.mu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_uart16550_passes_linux_8250_autoconfig_as_a_16550a),
		TS_TEST(test_uart16550_remove_frees_its_interrupt_input),
		TS_TEST(test_uart16550_transmits_to_the_stream),
		TS_TEST(test_uart16550_without_a_stream_discards_output),
		TS_TEST(test_uart16550_takes_input_up_to_its_fifo),
		TS_TEST(test_uart16550_rx_trigger_levels_select_data_or_timeout),
		TS_TEST(test_uart16550_thre_interrupt_follows_the_datasheet),
		TS_TEST(test_uart16550_interrupt_priorities),
		TS_TEST(test_uart16550_out2_gates_the_pc_line_only),
		TS_TEST(test_uart16550_loopback_routes_tx_and_modem_lines),
		TS_TEST(test_uart16550_back_pressure_keeps_bytes_in_the_fifo),
		DT_TEST(test_uart16550_retries_a_stalled_stream_on_a_timer),
		TS_TEST(test_uart16550_stream_may_answer_from_its_write),
		TS_TEST(test_uart16550_divisor_latch_shares_offsets_0_and_1),
		TS_TEST(test_uart16550_ignores_odd_accesses),
		TS_TEST(test_uart16550_reset_restores_power_on_state),
		TS_TEST(test_uart16550_add_rejects_bad_arguments),
		TS_TEST(test_uart16550_add_needs_port_io_for_a_port_window),
		TS_TEST(test_uart16550_serial_input_checks_its_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
