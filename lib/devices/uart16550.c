/* SPDX-License-Identifier: MIT */
/*
 * A 16550A UART after the National Semiconductor PC16550D datasheet: 16-byte FIFOs, the four
 * interrupt sources in their IIR priority order, loopback, divisor latches (stored; nothing is
 * paced by them), scratch register.
 *
 * Choices where a host link differs from a wire:
 * - Transmission is instant: a byte written to THR goes to the host stream at once, so THRE and
 *   TEMT mean "the host took every byte". When the stream takes fewer bytes (back-pressure), the
 *   rest stays in the TX FIFO (THRE clear) and is offered again on the next register access or
 *   host input, and, on platforms with timers, by a 1 ms retry timer (never a busy loop).
 *   Bytes go out as written, whatever the word length in LCR (the host stream has no framing).
 * - The character timeout is immediate: host input arrives in whole calls, so input has ended
 *   as soon as a call returns. In FIFO mode a non-empty RX FIFO below the trigger level reports
 *   the timeout (IIR 0x0C); at or above it, "data available" (IIR 0x04).
 * - Host input is taken only while it fits (16 bytes, 1 with FIFOs off); hv_serial_input()
 *   reports how much. Overrun (OE) happens only in loopback, where the guest feeds itself.
 * - The modem inputs are those of a connected terminal: CTS, DSR and DCD asserted, RI not.
 * - The interrupt output: on the port bus (a PC's COM port) the board gates it with OUT2, as
 *   PC drivers expect, and loopback forces OUT2 inactive, cutting it. Memory-mapped 16550s on
 *   SoCs wire it directly: there the line is the IIR's "interrupt pending" alone.
 * - Port I/O: byte accesses only; wider ones read all ones and are ignored on write.
 *   MMIO: byte or (1 << reg_shift)-byte accesses at register offsets; others read 0 and are
 *   ignored on write. Break and parity are not modelled (no line errors but overrun).
 */
#include "hv_internal.h"

#define UART_FIFO_SIZE 16u
#define UART_RETRY_NS 1000000ull

#define IER_RDI 0x01u
#define IER_THRI 0x02u
#define IER_RLSI 0x04u
#define IER_MSI 0x08u

#define IIR_NO_INT 0x01u
#define IIR_MSI 0x00u
#define IIR_THRI 0x02u
#define IIR_RDI 0x04u
#define IIR_RLSI 0x06u
#define IIR_CTI 0x0cu
#define IIR_FIFO 0xc0u

#define FCR_ENABLE 0x01u
#define FCR_CLEAR_RX 0x02u
#define FCR_CLEAR_TX 0x04u
#define FCR_DMA 0x08u
#define FCR_TRIGGER 0xc0u

#define LCR_DLAB 0x80u

#define MCR_DTR 0x01u
#define MCR_RTS 0x02u
#define MCR_OUT1 0x04u
#define MCR_OUT2 0x08u
#define MCR_LOOP 0x10u

#define LSR_DR 0x01u
#define LSR_OE 0x02u
#define LSR_THRE 0x20u
#define LSR_TEMT 0x40u

#define MSR_DCTS 0x01u
#define MSR_DDSR 0x02u
#define MSR_TERI 0x04u
#define MSR_DDCD 0x08u
#define MSR_CTS 0x10u
#define MSR_DSR 0x20u
#define MSR_RI 0x40u
#define MSR_DCD 0x80u

struct uart_fifo {
	uint8_t buf[UART_FIFO_SIZE];
	unsigned int head;
	unsigned int count;
};

struct uart {
	void *lock;
	hv_irq_line_t *line;
	hv_chardev_t out;
	void *retry; /* timer, or NULL on platforms without timers */
	bool pio;
	uint32_t shift;

	uint8_t ier, lcr, mcr, fcr, scr, dll, dlm;
	uint8_t lsr_err; /* OE: cleared by reading LSR */
	uint8_t msr_delta;
	bool thri; /* THR-empty interrupt pending */
	struct uart_fifo rx, tx;
	bool tx_busy;    /* a thread is in out.ops->write() without the lock */
	uint32_t tx_gen; /* bumped when the TX FIFO is cleared */
	bool retry_armed;
	bool dying; /* destroy has begun: the retry timer is not armed again */
	bool level;
};

static void fifo_reset(struct uart_fifo *f)
{
	f->head = 0;
	f->count = 0;
}

static void fifo_push(struct uart_fifo *f, uint8_t b)
{
	f->buf[(f->head + f->count) % UART_FIFO_SIZE] = b;
	f->count++;
}

static uint8_t fifo_pop(struct uart_fifo *f)
{
	uint8_t b = f->buf[f->head];

	f->head = (f->head + 1) % UART_FIFO_SIZE;
	f->count--;
	return b;
}

static unsigned int uart_depth(const struct uart *u)
{
	return (u->fcr & FCR_ENABLE) ? UART_FIFO_SIZE : 1u;
}

static unsigned int uart_trigger(const struct uart *u)
{
	static const uint8_t levels[4] = { 1, 4, 8, 14 };

	return levels[u->fcr >> 6];
}

/* The modem inputs: a connected terminal, or in loopback the modem outputs. */
static uint8_t uart_msr_status(const struct uart *u)
{
	uint8_t m = u->mcr;

	if (!(m & MCR_LOOP))
		return MSR_CTS | MSR_DSR | MSR_DCD;
	return (uint8_t)(((m & MCR_RTS) ? MSR_CTS : 0) | ((m & MCR_DTR) ? MSR_DSR : 0) |
			 ((m & MCR_OUT1) ? MSR_RI : 0) | ((m & MCR_OUT2) ? MSR_DCD : 0));
}

static uint8_t uart_iir(const struct uart *u)
{
	if ((u->ier & IER_RLSI) && u->lsr_err != 0)
		return IIR_RLSI;
	if ((u->ier & IER_RDI) && u->rx.count > 0) {
		if ((u->fcr & FCR_ENABLE) && u->rx.count < uart_trigger(u))
			return IIR_CTI;
		return IIR_RDI;
	}
	if ((u->ier & IER_THRI) && u->thri)
		return IIR_THRI;
	if ((u->ier & IER_MSI) && u->msr_delta != 0)
		return IIR_MSI;
	return IIR_NO_INT;
}

static void uart_update_irq(struct uart *u)
{
	bool level = uart_iir(u) != IIR_NO_INT;

	if (u->pio && (!(u->mcr & MCR_OUT2) || (u->mcr & MCR_LOOP)))
		level = false;
	if (level == u->level)
		return;
	u->level = level;
	if (level)
		hv_irq_line_raise(u->line);
	else
		hv_irq_line_lower(u->line);
}

/*
 * Offer the TX FIFO to the host stream. Called and returns with the lock held, but drops it
 * around the stream's write so that the stream may call hv_serial_input() on this device.
 */
static void uart_tx_drain(struct uart *u)
{
	while (u->tx.count > 0 && !u->tx_busy) {
		uint8_t buf[UART_FIFO_SIZE];
		unsigned int n = u->tx.count, i;
		uint32_t gen = u->tx_gen;
		size_t taken;

		for (i = 0; i < n; i++)
			buf[i] = u->tx.buf[(u->tx.head + i) % UART_FIFO_SIZE];
		if (u->out.ops == NULL) {
			taken = n;
		} else {
			u->tx_busy = true;
			hv__unlock(u->lock);
			taken = u->out.ops->write(u->out.ctx, buf, n);
			hv__lock(u->lock);
			u->tx_busy = false;
		}
		if (taken > n)
			taken = n;
		if (gen == u->tx_gen) {
			/* Bytes written meanwhile are behind these: take exactly those sent. */
			u->tx.head = (u->tx.head + (unsigned int)taken) % UART_FIFO_SIZE;
			u->tx.count -= (unsigned int)taken;
			if (u->tx.count == 0)
				u->thri = true;
		}
		if (taken < n)
			break;
	}
	if (u->tx.count > 0 && !u->tx_busy && u->retry != NULL && !u->retry_armed && !u->dying) {
		u->retry_armed = true;
		hv__timer_arm(u->retry, hv__time_ns() + UART_RETRY_NS);
	}
}

static void uart_retry(void *arg)
{
	struct uart *u = arg;

	hv__lock(u->lock);
	u->retry_armed = false;
	uart_tx_drain(u);
	uart_update_irq(u);
	hv__unlock(u->lock);
}

static void uart_rx_push(struct uart *u, uint8_t b)
{
	if (u->rx.count >= uart_depth(u)) {
		u->lsr_err |= LSR_OE;
		return;
	}
	fifo_push(&u->rx, b);
}

static void uart_write_thr(struct uart *u, uint8_t b)
{
	u->thri = false;
	if (u->mcr & MCR_LOOP) {
		uart_rx_push(u, b);
		u->thri = true;
		return;
	}
	if (u->tx.count >= uart_depth(u)) {
		HV_LOGD("uart16550: THR written while full: byte dropped");
		return;
	}
	fifo_push(&u->tx, b);
	uart_tx_drain(u);
}

static void uart_write_fcr(struct uart *u, uint8_t v)
{
	if ((v ^ u->fcr) & FCR_ENABLE) {
		fifo_reset(&u->rx);
		fifo_reset(&u->tx);
		u->tx_gen++;
		u->thri = true;
	}
	if (!(v & FCR_ENABLE)) {
		u->fcr = 0;
		return;
	}
	if (v & FCR_CLEAR_RX)
		fifo_reset(&u->rx);
	if (v & FCR_CLEAR_TX) {
		fifo_reset(&u->tx);
		u->tx_gen++;
		u->thri = true;
	}
	u->fcr = v & (FCR_ENABLE | FCR_DMA | FCR_TRIGGER);
}

static void uart_write_mcr(struct uart *u, uint8_t v)
{
	uint8_t before = uart_msr_status(u), after, changed;

	u->mcr = v & 0x1fu;
	after = uart_msr_status(u);
	changed = before ^ after;
	if (changed & MSR_CTS)
		u->msr_delta |= MSR_DCTS;
	if (changed & MSR_DSR)
		u->msr_delta |= MSR_DDSR;
	if ((before & MSR_RI) && !(after & MSR_RI))
		u->msr_delta |= MSR_TERI;
	if (changed & MSR_DCD)
		u->msr_delta |= MSR_DDCD;
}

static void uart_reg_write(struct uart *u, unsigned int reg, uint8_t v)
{
	bool dlab = (u->lcr & LCR_DLAB) != 0;

	switch (reg) {
	case 0:
		if (dlab)
			u->dll = v;
		else
			uart_write_thr(u, v);
		break;
	case 1:
		if (dlab) {
			u->dlm = v;
			break;
		}
		/* Enabling the THRE interrupt while THR is empty raises it (PC16550D, IIR). */
		if ((v & IER_THRI) && !(u->ier & IER_THRI) && u->tx.count == 0)
			u->thri = true;
		u->ier = v & 0x0fu;
		break;
	case 2:
		uart_write_fcr(u, v);
		break;
	case 3:
		u->lcr = v;
		break;
	case 4:
		uart_write_mcr(u, v);
		break;
	case 7:
		u->scr = v;
		break;
	default:
		HV_LOGD("uart16550: write 0x%x to read-only register %u ignored", v, reg);
		break;
	}
}

static uint8_t uart_reg_read(struct uart *u, unsigned int reg)
{
	bool dlab = (u->lcr & LCR_DLAB) != 0;
	uint8_t v = 0;

	switch (reg) {
	case 0:
		if (dlab)
			v = u->dll;
		else if (u->rx.count > 0)
			v = fifo_pop(&u->rx);
		break;
	case 1:
		v = dlab ? u->dlm : u->ier;
		break;
	case 2:
		v = uart_iir(u);
		if (v == IIR_THRI)
			u->thri = false;
		if (u->fcr & FCR_ENABLE)
			v |= IIR_FIFO;
		break;
	case 3:
		v = u->lcr;
		break;
	case 4:
		v = u->mcr;
		break;
	case 5:
		v = u->lsr_err | (u->rx.count > 0 ? LSR_DR : 0) |
		    (u->tx.count == 0 ? LSR_THRE | LSR_TEMT : 0);
		u->lsr_err = 0;
		break;
	case 6:
		v = uart_msr_status(u) | u->msr_delta;
		u->msr_delta = 0;
		break;
	default:
		v = u->scr;
		break;
	}
	return v;
}

/* The register an access reaches, or -1 for an access the device ignores. */
static int uart_decode(const struct uart *u, uint64_t offset, uint32_t width)
{
	if (u->pio)
		return width == 1 && offset < 8 ? (int)offset : -1;
	if ((offset & ((1u << u->shift) - 1)) != 0 || (width != 1 && width != 1u << u->shift))
		return -1;
	offset >>= u->shift;
	return offset < 8 ? (int)offset : -1;
}

static void uart_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	struct uart *u = ctx;
	int reg = uart_decode(u, offset, width);

	if (reg < 0) {
		HV_LOGD("uart16550: read of %u bytes at 0x%llx ignored", width,
			(unsigned long long)offset);
		*value = u->pio ? ~0ull : 0;
		return;
	}
	hv__lock(u->lock);
	uart_tx_drain(u);
	*value = uart_reg_read(u, (unsigned int)reg);
	uart_update_irq(u);
	hv__unlock(u->lock);
}

static void uart_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct uart *u = ctx;
	int reg = uart_decode(u, offset, width);

	if (reg < 0) {
		HV_LOGD("uart16550: write of %u bytes at 0x%llx ignored", width,
			(unsigned long long)offset);
		return;
	}
	hv__lock(u->lock);
	uart_tx_drain(u);
	uart_reg_write(u, (unsigned int)reg, (uint8_t)value);
	uart_update_irq(u);
	hv__unlock(u->lock);
}

static size_t uart_input(void *ctx, const uint8_t *buf, size_t len)
{
	struct uart *u = ctx;
	size_t n = 0;

	hv__lock(u->lock);
	uart_tx_drain(u);
	/* In loopback the receiver listens to the transmitter, not to the line. */
	if (!(u->mcr & MCR_LOOP))
		for (; n < len && u->rx.count < uart_depth(u); n++)
			fifo_push(&u->rx, buf[n]);
	uart_update_irq(u);
	hv__unlock(u->lock);
	return n;
}

/* Power-on state (PC16550D, table "UART reset configuration"); divisor latches are kept. */
static void uart_power_on(struct uart *u)
{
	u->ier = 0;
	u->lcr = 0;
	u->mcr = 0;
	u->fcr = 0;
	u->scr = 0;
	u->lsr_err = 0;
	u->msr_delta = 0;
	u->thri = false;
	fifo_reset(&u->rx);
	fifo_reset(&u->tx);
	u->tx_gen++;
	u->retry_armed = false;
	u->level = false; /* the core lowers every line after resetting devices */
}

static void uart_reset(void *ctx)
{
	struct uart *u = ctx;

	if (u->retry != NULL)
		hv__timer_cancel(u->retry);
	hv__lock(u->lock);
	uart_power_on(u);
	hv__unlock(u->lock);
}

static void uart_free(struct uart *u)
{
	hv__timer_destroy(u->retry);
	hv__lock_destroy(u->lock);
	hv__free(u, sizeof(*u));
}

static void uart_destroy(void *ctx)
{
	struct uart *u = ctx;

	/* A running retry may re-arm its timer until it sees this; then cancelling is final. */
	hv__lock(u->lock);
	u->dying = true;
	hv__unlock(u->lock);
	hv__timer_destroy(u->retry);
	u->retry = NULL;
	hv__chardev_release(&u->out);
	uart_free(u);
}

static const hv_device_ops_t uart_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = uart_read,
	.write = uart_write,
	.reset = uart_reset,
	.destroy = uart_destroy,
};

static const struct hv__devclass uart_class = {
	.kind = HV__DEV_SERIAL,
	.serial_input = uart_input,
};

hv_status_t hv_uart16550_add(hv_vm_t *vm, const hv_uart16550_config_t *config, hv_device_t **device)
{
	hv_device_config_t dc = HV_DEVICE_CONFIG_INIT;
	struct uart *u;
	hv_status_t st;

	if (vm == NULL || config == NULL)
		return HV_ERR_INVALID_ARG;
	if (HV__CHECK_STRUCT(config, hv_uart16550_config_t) != HV_OK)
		return HV_ERR_ABI;
	if (config->reg_shift > 2)
		return HV_ERR_INVALID_ARG;
	st = hv__chardev_check(&config->out);
	if (st != HV_OK)
		return st;

	u = hv__alloc(sizeof(*u));
	if (u == NULL)
		return HV_ERR_NO_MEMORY;
	u->pio = config->bus == HV_BUS_PIO;
	u->shift = u->pio ? 0 : config->reg_shift;
	u->lock = hv__lock_create();
	if (hv__have_timers())
		u->retry = hv__timer_create(uart_retry, u);
	st = HV_ERR_NO_MEMORY;
	if (u->lock == NULL || (hv__have_timers() && u->retry == NULL))
		goto err;
	uart_power_on(u);

	dc.name = config->name != NULL ? config->name : "uart16550";
	dc.bus = config->bus;
	dc.base = config->base;
	dc.size = 8ull << u->shift;
	dc.ops = &uart_ops;
	dc.ctx = u;
	st = hv__libdev_add(vm, &dc, &uart_class, config->irq, &u->line, device);
	if (st != HV_OK)
		goto err;
	u->out = config->out;
	return HV_OK;
err:
	uart_free(u);
	return st;
}
