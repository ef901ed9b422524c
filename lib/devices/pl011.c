/* SPDX-License-Identifier: MIT */
/*
 * An Arm PrimeCell UART (PL011) after its r1p5 Technical Reference Manual (DDI 0183): data,
 * receive status, flags, baud divisors (stored; nothing is paced by them), line control with
 * 32-byte FIFOs (1-byte holding registers without FEN), control, FIFO interrupt levels,
 * interrupt mask/raw/masked/clear, DMA control (stored; no DMA) and the PrimeCell ID registers
 * that let Linux's amba-pl011 driver bind.
 *
 * Choices where a host link differs from a wire:
 * - Transmission is instant: bytes written to DR go to the host stream at once. When it takes
 *   fewer (back-pressure), the rest stays in the TX FIFO (BUSY set, TXFE clear, TXFF when full)
 *   and is offered again on the next register access or host input, and, on platforms with
 *   timers, by a 1 ms retry timer. TXRIS is set whenever bytes leave the FIFO and leave it at
 *   or below the TX trigger level (the TRM's "passes through the level", for a FIFO that can
 *   empty in one step), and cleared by ICR or by writes that fill it above the level.
 * - UARTEN, TXE and RXE are stored but gate nothing: direct-boot guests (Linux earlycon) write
 *   DR before anyone enables the UART.
 * - The receive timeout is immediate: when a host input call or a loopback write leaves data
 *   in the RX FIFO, RTRIS is set; it clears when the FIFO empties or by ICR.
 * - Host input is taken only while it fits; overrun happens only in loopback.
 * - The modem inputs are those of a connected terminal: CTS, DSR, DCD (in loopback: the
 *   outputs RTS, DTR, Out1 and RI from Out2, per the TRM's loopback wiring).
 * - Accesses of 1, 2 or 4 bytes at word-aligned offsets (Linux uses 16-bit accessors for the
 *   Arm variant, earlycon bytes); anything else reads 0 and is ignored on write.
 * - No IrDA, break, parity or framing errors; no DMA (DMACR is only stored).
 */
#include "hv_internal.h"

#define PL011_FIFO_SIZE 32u
#define PL011_RETRY_NS 1000000ull
#define PL011_WINDOW 0x1000u

#define REG_DR 0x000
#define REG_RSR 0x004
#define REG_FR 0x018
#define REG_ILPR 0x020
#define REG_IBRD 0x024
#define REG_FBRD 0x028
#define REG_LCR_H 0x02c
#define REG_CR 0x030
#define REG_IFLS 0x034
#define REG_IMSC 0x038
#define REG_RIS 0x03c
#define REG_MIS 0x040
#define REG_ICR 0x044
#define REG_DMACR 0x048
#define REG_ID 0xfe0

#define FR_CTS 0x001u
#define FR_DSR 0x002u
#define FR_DCD 0x004u
#define FR_BUSY 0x008u
#define FR_RXFE 0x010u
#define FR_TXFF 0x020u
#define FR_RXFF 0x040u
#define FR_TXFE 0x080u
#define FR_RI 0x100u

#define LCRH_FEN 0x10u

#define CR_LBE 0x0080u
#define CR_DTR 0x0400u
#define CR_RTS 0x0800u
#define CR_OUT1 0x1000u
#define CR_OUT2 0x2000u

#define INT_RX 0x010u
#define INT_TX 0x020u
#define INT_RT 0x040u
#define INT_OE 0x400u
#define INT_ALL 0x7ffu

#define RSR_OE 0x08u
#define DR_OE 0x800u

static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

struct pl011_fifo {
	uint16_t buf[PL011_FIFO_SIZE];
	unsigned int head;
	unsigned int count;
};

struct pl011 {
	void *lock;
	hv_irq_line_t *line;
	hv_chardev_t out;
	void *retry;

	uint32_t rsr, ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr;
	struct pl011_fifo rx, tx;
	bool tx_busy;
	uint32_t tx_gen;
	bool retry_armed;
	bool dying; /* destroy has begun: the retry timer is not armed again */
	bool level;
};

static void fifo_reset(struct pl011_fifo *f)
{
	f->head = 0;
	f->count = 0;
}

static void fifo_push(struct pl011_fifo *f, uint16_t v)
{
	f->buf[(f->head + f->count) % PL011_FIFO_SIZE] = v;
	f->count++;
}

static uint16_t fifo_pop(struct pl011_fifo *f)
{
	uint16_t v = f->buf[f->head];

	f->head = (f->head + 1) % PL011_FIFO_SIZE;
	f->count--;
	return v;
}

static unsigned int pl011_depth(const struct pl011 *p)
{
	return (p->lcr_h & LCRH_FEN) ? PL011_FIFO_SIZE : 1u;
}

/* IFLS levels: 1/8, 1/4, 1/2, 3/4, 7/8 of the FIFO; reserved values act as 1/2. */
static unsigned int pl011_level(const struct pl011 *p, unsigned int sel)
{
	static const uint8_t eighths[8] = { 1, 2, 4, 6, 7, 4, 4, 4 };

	if (!(p->lcr_h & LCRH_FEN))
		return 1;
	return PL011_FIFO_SIZE * eighths[sel & 7] / 8;
}

static unsigned int pl011_rx_level(const struct pl011 *p)
{
	return pl011_level(p, p->ifls >> 3);
}

/* TX interrupt when the FIFO holds this many or fewer; 0 without FIFOs (holding reg empty). */
static unsigned int pl011_tx_level(const struct pl011 *p)
{
	return (p->lcr_h & LCRH_FEN) ? pl011_level(p, p->ifls) : 0;
}

static void pl011_update_irq(struct pl011 *p)
{
	bool level = (p->ris & p->imsc) != 0;

	if (level == p->level)
		return;
	p->level = level;
	if (level)
		hv_irq_line_raise(p->line);
	else
		hv_irq_line_lower(p->line);
}

static void pl011_tx_drain(struct pl011 *p)
{
	while (p->tx.count > 0 && !p->tx_busy) {
		uint8_t buf[PL011_FIFO_SIZE];
		unsigned int n = p->tx.count, i;
		uint32_t gen = p->tx_gen;
		size_t taken;

		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)p->tx.buf[(p->tx.head + i) % PL011_FIFO_SIZE];
		if (p->out.ops == NULL) {
			taken = n;
		} else {
			p->tx_busy = true;
			hv__unlock(p->lock);
			taken = p->out.ops->write(p->out.ctx, buf, n);
			hv__lock(p->lock);
			p->tx_busy = false;
		}
		if (taken > n)
			taken = n;
		if (gen == p->tx_gen && taken > 0) {
			p->tx.head = (p->tx.head + (unsigned int)taken) % PL011_FIFO_SIZE;
			p->tx.count -= (unsigned int)taken;
			if (p->tx.count <= pl011_tx_level(p))
				p->ris |= INT_TX;
		}
		if (taken < n)
			break;
	}
	if (p->tx.count > 0 && !p->tx_busy && p->retry != NULL && !p->retry_armed && !p->dying) {
		p->retry_armed = true;
		hv__timer_arm(p->retry, hv__time_ns() + PL011_RETRY_NS);
	}
}

static void pl011_retry(void *arg)
{
	struct pl011 *p = arg;

	hv__lock(p->lock);
	p->retry_armed = false;
	pl011_tx_drain(p);
	pl011_update_irq(p);
	hv__unlock(p->lock);
}

static void pl011_rx_push(struct pl011 *p, uint16_t v)
{
	if (p->rx.count >= pl011_depth(p)) {
		p->rsr |= RSR_OE;
		p->ris |= INT_OE;
		return;
	}
	fifo_push(&p->rx, v);
	if (p->rx.count >= pl011_rx_level(p))
		p->ris |= INT_RX;
}

static void pl011_write_dr(struct pl011 *p, uint8_t b)
{
	if (p->cr & CR_LBE) {
		pl011_rx_push(p, b);
		p->ris |= INT_RT | (p->tx.count <= pl011_tx_level(p) ? INT_TX : 0);
		return;
	}
	if (p->tx.count >= pl011_depth(p)) {
		HV_LOGD("pl011: DR written while the TX FIFO is full: byte dropped");
		return;
	}
	fifo_push(&p->tx, b);
	if (p->tx.count > pl011_tx_level(p))
		p->ris &= ~INT_TX;
	pl011_tx_drain(p);
}

static uint32_t pl011_read_dr(struct pl011 *p)
{
	uint32_t v = 0;

	if (p->rx.count == 0)
		return 0;
	v = fifo_pop(&p->rx);
	if (p->rx.count < pl011_rx_level(p))
		p->ris &= ~INT_RX;
	if (p->rx.count == 0)
		p->ris &= ~INT_RT;
	return v;
}

static uint32_t pl011_fr(const struct pl011 *p)
{
	uint32_t fr = 0;

	if (p->cr & CR_LBE) {
		fr |= (p->cr & CR_RTS) ? FR_CTS : 0;
		fr |= (p->cr & CR_DTR) ? FR_DSR : 0;
		fr |= (p->cr & CR_OUT1) ? FR_DCD : 0;
		fr |= (p->cr & CR_OUT2) ? FR_RI : 0;
	} else {
		fr |= FR_CTS | FR_DSR | FR_DCD;
	}
	fr |= p->tx.count > 0 ? FR_BUSY : FR_TXFE;
	fr |= p->tx.count >= pl011_depth(p) ? FR_TXFF : 0;
	fr |= p->rx.count == 0 ? FR_RXFE : 0;
	fr |= p->rx.count >= pl011_depth(p) ? FR_RXFF : 0;
	return fr;
}

static uint32_t pl011_reg_read(struct pl011 *p, uint64_t off)
{
	if (off >= REG_ID)
		return pl011_id[(off - REG_ID) / 4];
	switch (off) {
	case REG_DR:
		return pl011_read_dr(p);
	case REG_RSR:
		return p->rsr;
	case REG_FR:
		return pl011_fr(p);
	case REG_ILPR:
		return p->ilpr;
	case REG_IBRD:
		return p->ibrd;
	case REG_FBRD:
		return p->fbrd;
	case REG_LCR_H:
		return p->lcr_h;
	case REG_CR:
		return p->cr;
	case REG_IFLS:
		return p->ifls;
	case REG_IMSC:
		return p->imsc;
	case REG_RIS:
		return p->ris;
	case REG_MIS:
		return p->ris & p->imsc;
	case REG_DMACR:
		return p->dmacr;
	default:
		HV_LOGD("pl011: read of unknown or write-only register 0x%llx",
			(unsigned long long)off);
		return 0;
	}
}

static void pl011_reg_write(struct pl011 *p, uint64_t off, uint32_t v)
{
	switch (off) {
	case REG_DR:
		pl011_write_dr(p, (uint8_t)v);
		break;
	case REG_RSR:
		p->rsr = 0; /* UARTECR: any write clears the errors */
		break;
	case REG_ILPR:
		p->ilpr = v & 0xffu;
		break;
	case REG_IBRD:
		p->ibrd = v & 0xffffu;
		break;
	case REG_FBRD:
		p->fbrd = v & 0x3fu;
		break;
	case REG_LCR_H:
		/* Contents survive a FIFO depth change; "full" compares with the new depth. */
		p->lcr_h = v & 0xffu;
		break;
	case REG_CR:
		p->cr = v & 0xff87u;
		break;
	case REG_IFLS:
		p->ifls = v & 0x3fu;
		break;
	case REG_IMSC:
		p->imsc = v & INT_ALL;
		break;
	case REG_ICR:
		p->ris &= ~(v & INT_ALL);
		break;
	case REG_DMACR:
		p->dmacr = v & 0x7u;
		break;
	default:
		HV_LOGD("pl011: write 0x%x to unknown or read-only register 0x%llx ignored", v,
			(unsigned long long)off);
		break;
	}
}

static bool pl011_valid(uint64_t offset, uint32_t width)
{
	return (offset & 3) == 0 && offset < PL011_WINDOW &&
	       (width == 1 || width == 2 || width == 4);
}

static void pl011_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	struct pl011 *p = ctx;
	uint32_t v;

	if (!pl011_valid(offset, width)) {
		HV_LOGD("pl011: read of %u bytes at 0x%llx ignored", width,
			(unsigned long long)offset);
		*value = 0;
		return;
	}
	hv__lock(p->lock);
	pl011_tx_drain(p);
	v = pl011_reg_read(p, offset);
	pl011_update_irq(p);
	hv__unlock(p->lock);
	*value = width == 4 ? v : v & ((1u << (width * 8)) - 1);
}

static void pl011_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct pl011 *p = ctx;

	if (!pl011_valid(offset, width)) {
		HV_LOGD("pl011: write of %u bytes at 0x%llx ignored", width,
			(unsigned long long)offset);
		return;
	}
	hv__lock(p->lock);
	pl011_tx_drain(p);
	pl011_reg_write(p, offset, (uint32_t)value);
	pl011_update_irq(p);
	hv__unlock(p->lock);
}

static size_t pl011_input(void *ctx, const uint8_t *buf, size_t len)
{
	struct pl011 *p = ctx;
	size_t n = 0;

	hv__lock(p->lock);
	pl011_tx_drain(p);
	if (!(p->cr & CR_LBE)) {
		for (; n < len && p->rx.count < pl011_depth(p); n++)
			pl011_rx_push(p, buf[n]);
		if (p->rx.count > 0)
			p->ris |= INT_RT;
	}
	pl011_update_irq(p);
	hv__unlock(p->lock);
	return n;
}

/* Reset values from the TRM's register summary. */
static void pl011_power_on(struct pl011 *p)
{
	p->rsr = 0;
	p->ilpr = 0;
	p->ibrd = 0;
	p->fbrd = 0;
	p->lcr_h = 0;
	p->cr = 0x0300;
	p->ifls = 0x12;
	p->imsc = 0;
	p->ris = 0;
	p->dmacr = 0;
	fifo_reset(&p->rx);
	fifo_reset(&p->tx);
	p->tx_gen++;
	p->retry_armed = false;
	p->level = false;
}

static void pl011_reset(void *ctx)
{
	struct pl011 *p = ctx;

	if (p->retry != NULL)
		hv__timer_cancel(p->retry);
	hv__lock(p->lock);
	pl011_power_on(p);
	hv__unlock(p->lock);
}

static void pl011_free(struct pl011 *p)
{
	hv__timer_destroy(p->retry);
	hv__lock_destroy(p->lock);
	hv__free(p, sizeof(*p));
}

static void pl011_destroy(void *ctx)
{
	struct pl011 *p = ctx;

	/* A running retry may re-arm its timer until it sees this; then cancelling is final. */
	hv__lock(p->lock);
	p->dying = true;
	hv__unlock(p->lock);
	hv__timer_destroy(p->retry);
	p->retry = NULL;
	hv__chardev_release(&p->out);
	pl011_free(p);
}

static const hv_device_ops_t pl011_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = pl011_read,
	.write = pl011_write,
	.reset = pl011_reset,
	.destroy = pl011_destroy,
};

static const struct hv__devclass pl011_class = {
	.kind = HV__DEV_SERIAL,
	.fdt_kind = HV_FDT_DEV_PL011,
	.serial_input = pl011_input,
};

hv_status_t hv_pl011_add(hv_vm_t *vm, const hv_pl011_config_t *config, hv_device_t **device)
{
	hv_device_config_t dc = HV_DEVICE_CONFIG_INIT;
	struct pl011 *p;
	hv_status_t st;

	if (vm == NULL || config == NULL)
		return HV_ERR_INVALID_ARG;
	if (HV__CHECK_STRUCT(config, hv_pl011_config_t) != HV_OK)
		return HV_ERR_ABI;
	st = hv__chardev_check(&config->out);
	if (st != HV_OK)
		return st;

	p = hv__alloc(sizeof(*p));
	if (p == NULL)
		return HV_ERR_NO_MEMORY;
	p->lock = hv__lock_create();
	if (hv__have_timers())
		p->retry = hv__timer_create(pl011_retry, p);
	st = HV_ERR_NO_MEMORY;
	if (p->lock == NULL || (hv__have_timers() && p->retry == NULL))
		goto err;
	pl011_power_on(p);

	dc.name = config->name != NULL ? config->name : "pl011";
	dc.bus = HV_BUS_MMIO;
	dc.base = config->base;
	dc.size = PL011_WINDOW;
	dc.ops = &pl011_ops;
	dc.ctx = p;
	st = hv__libdev_add(vm, &dc, &pl011_class, config->irq, &p->line, device);
	if (st != HV_OK)
		goto err;
	p->out = config->out;
	return HV_OK;
err:
	pl011_free(p);
	return st;
}
