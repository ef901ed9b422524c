/* SPDX-License-Identifier: MIT */
/*
 * The small pieces of a PC a guest OS touches beyond its interrupt controllers, each its own
 * port device:
 *
 * - CMOS (0x70-0x71): a Motorola MC146818A real-time clock and 128 bytes of CMOS memory.
 *   The time is the platform's wall clock plus an offset the guest sets by writing the time
 *   registers (with SET in register B: frozen while set, as the chip inhibits updates).
 *   BCD or binary per DM, 24 or 12 hours per register B. Day of week is computed from the date
 *   (writes to it are ignored). UIP reads 1 in the last 244 us before each second boundary,
 *   the chip's warning time, so a guest that waits for UIP to clear reads a consistent time.
 *   Register C reports UF (a second passed since it was last read), AF (the alarm matches the
 *   current time) and PF (a period of the rate in register A passed); on platforms with timers
 *   a timer also raises them at their time while their interrupt is enabled, and the line is
 *   IRQF (an enabled flag pending) until register C is read. Without timers the flags are
 *   only seen when register C is read, and there are no interrupts. Square wave and daylight
 *   saving are not modelled. The NMI mask bit of port 0x70 is stored (there is no NMI source).
 *   Port 0x70 reads 0xff. CMOS memory and the time survive a VM reset (battery-backed); the
 *   reset clears PIE, AIE, UIE, SQWE and the flags, as the chip's RESET pin does.
 * - i8042 (0x60, 0x64): a keyboard controller with nothing behind it. Status: system flag,
 *   not inhibited, output buffer full only after a command that answers. Commands 0x20/0x60
 *   (command byte), 0xAA (self-test: 0x55), 0xAB (port test: 0), 0xA9 (aux test: 0), 0xAD/0xAE,
 *   0xA7/0xA8, 0xD0/0xD1 (output port: bit 0 clear resets), 0xD2/0xD3 (echo), 0xDD/0xDF (A20),
 *   0xF0-0xFF (pulse: bit 0 clear resets, e.g. 0xFE); others are ignored. Bytes for the
 *   keyboard or mouse get no answer (the guest's driver times out: no device).
 * - Port 0x92 (system control port A): bit 1 A20 (stored, read back; guest memory is never
 *   wrapped), bit 0 from 0 to 1 resets.
 * - Port 0x80 (POST codes, Linux's I/O delay): writes ignored, reads 0xff.
 * - 0xCF8-0xCFF, PCI configuration mechanism #1 with no device: 32-bit CONFIG_ADDRESS at 0xCF8
 *   reads back what was written (reserved bits 30:24 and 1:0 read 0), CONFIG_DATA reads all
 *   ones, writes are ignored. A byte at 0xCF9 is the chipset's reset control register: bit 2
 *   set resets (Linux's reboot=pci). Other accesses to 0xCF8-0xCFB read ones.
 *
 * Resets end the run with HV_EVENT_GUEST_RESET (the VM's on_guest_reset policy decides).
 */
#include "x86_platform.h"

#define ALL_PIECES (HV_X86_CMOS | HV_X86_I8042 | HV_X86_PORT92 | HV_X86_POST | HV_X86_NO_PCI)

/* ---- i8042 keyboard controller without devices -------------------------------------------- */

#define KBC_OBF 0x01u
#define KBC_SYS 0x04u
#define KBC_CMD 0x08u
#define KBC_UNLOCKED 0x10u
#define KBC_AUX_OBF 0x20u
#define CTR_SYS 0x04u
#define CTR_KBD_OFF 0x10u
#define CTR_AUX_OFF 0x20u
#define OUT_RESET 0x01u
#define OUT_A20 0x02u

struct i8042 {
	hv_vm_t *vm;
	void *lock;
	unsigned int refs; /* two devices (0x60 and 0x64) share it */
	uint8_t ctr, outport, out, status, pending;
};

static void kbc_output(struct i8042 *k, uint8_t v, bool aux)
{
	k->out = v;
	k->status |= KBC_OBF;
	if (aux)
		k->status |= KBC_AUX_OBF;
	else
		k->status &= (uint8_t)~KBC_AUX_OBF;
}

/* A command; returns true if it asks for a reset. */
static bool kbc_command(struct i8042 *k, uint8_t cmd)
{
	k->status |= KBC_CMD;
	k->pending = 0;
	switch (cmd) {
	case 0x20:
		kbc_output(k, k->ctr, false);
		break;
	case 0x60:
	case 0xd1:
	case 0xd2:
	case 0xd3:
	case 0xd4:
		k->pending = cmd;
		break;
	case 0xa7:
		k->ctr |= CTR_AUX_OFF;
		break;
	case 0xa8:
		k->ctr &= (uint8_t)~CTR_AUX_OFF;
		break;
	case 0xa9:
	case 0xab:
		kbc_output(k, 0x00, false);
		break;
	case 0xaa:
		k->ctr |= CTR_SYS;
		kbc_output(k, 0x55, false);
		break;
	case 0xad:
		k->ctr |= CTR_KBD_OFF;
		break;
	case 0xae:
		k->ctr &= (uint8_t)~CTR_KBD_OFF;
		break;
	case 0xd0:
		kbc_output(k, k->outport, false);
		break;
	case 0xdd:
		k->outport &= (uint8_t)~OUT_A20;
		break;
	case 0xdf:
		k->outport |= OUT_A20;
		break;
	default:
		if (cmd >= 0xf0)
			return (cmd & 1) == 0;
		HV_LOGD("i8042: command 0x%x ignored", cmd);
		break;
	}
	return false;
}

/* A byte written to port 0x60; returns true if it asks for a reset. */
static bool kbc_data(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending;

	k->status &= (uint8_t)~KBC_CMD;
	k->pending = 0;
	switch (cmd) {
	case 0x60:
		k->ctr = v;
		break;
	case 0xd1:
		k->outport = v;
		return (v & OUT_RESET) == 0;
	case 0xd2:
	case 0xd3:
		kbc_output(k, v, cmd == 0xd3);
		break;
	default:
		HV_LOGD("i8042: byte 0x%x for a device that is not there", v);
		break;
	}
	return false;
}

static void kbc_read(struct i8042 *k, bool status_port, uint64_t *value)
{
	hv__lock(k->lock);
	if (status_port) {
		*value = k->status | ((k->ctr & CTR_SYS) ? KBC_SYS : 0) | KBC_UNLOCKED;
	} else {
		*value = k->out;
		k->status &= (uint8_t) ~(KBC_OBF | KBC_AUX_OBF);
	}
	hv__unlock(k->lock);
}

static void kbc_write(struct i8042 *k, bool command_port, uint8_t v)
{
	bool reset;

	hv__lock(k->lock);
	reset = command_port ? kbc_command(k, v) : kbc_data(k, v);
	hv__unlock(k->lock);
	if (reset) {
		HV_LOGD("vm %s: reset through the i8042", k->vm->name);
		hv__vm_stop(k->vm, HV_EVENT_GUEST_RESET, NULL, NULL);
	}
}

static void kbc_data_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	HV__UNUSED(offset);
	HV__UNUSED(width);
	kbc_read(ctx, false, value);
}

static void kbc_data_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	HV__UNUSED(offset);
	HV__UNUSED(width);
	kbc_write(ctx, false, (uint8_t)value);
}

static void kbc_cmd_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	HV__UNUSED(offset);
	HV__UNUSED(width);
	kbc_read(ctx, true, value);
}

static void kbc_cmd_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	HV__UNUSED(offset);
	HV__UNUSED(width);
	kbc_write(ctx, true, (uint8_t)value);
}

static void kbc_power_on(struct i8042 *k)
{
	k->ctr = 0x45; /* translation, system flag, keyboard interrupt: a BIOS's setting */
	k->outport = OUT_RESET | OUT_A20;
	k->out = 0;
	k->status = 0;
	k->pending = 0;
}

static void kbc_reset(void *ctx)
{
	struct i8042 *k = ctx;

	hv__lock(k->lock);
	kbc_power_on(k);
	hv__unlock(k->lock);
}

static void kbc_destroy(void *ctx)
{
	struct i8042 *k = ctx;

	if (k->refs > 1) {
		k->refs--;
		return;
	}
	hv__lock_destroy(k->lock);
	hv__free(k, sizeof(*k));
}

static const hv_device_ops_t kbc_data_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = kbc_data_read,
	.write = kbc_data_write,
	.reset = kbc_reset,
	.destroy = kbc_destroy,
};

static const hv_device_ops_t kbc_cmd_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = kbc_cmd_read,
	.write = kbc_cmd_write,
	.destroy = kbc_destroy,
};

/* ---- port 0x92, port 0x80, PCI configuration ports ---------------------------------------- */

struct port92 {
	hv_vm_t *vm;
	uint8_t value; /* atomic */
};

static void port92_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	struct port92 *p = ctx;

	HV__UNUSED(offset);
	HV__UNUSED(width);
	*value = __atomic_load_n(&p->value, __ATOMIC_RELAXED);
}

static void port92_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct port92 *p = ctx;
	uint8_t old = __atomic_exchange_n(&p->value, (uint8_t)(value & 3), __ATOMIC_RELAXED);

	HV__UNUSED(offset);
	HV__UNUSED(width);
	if ((value & 1) && !(old & 1)) {
		HV_LOGD("vm %s: fast reset through port 0x92", p->vm->name);
		hv__vm_stop(p->vm, HV_EVENT_GUEST_RESET, NULL, NULL);
	}
}

static void port92_reset(void *ctx)
{
	struct port92 *p = ctx;

	__atomic_store_n(&p->value, 0, __ATOMIC_RELAXED);
}

static void port92_destroy(void *ctx)
{
	hv__free(ctx, sizeof(struct port92));
}

static const hv_device_ops_t port92_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = port92_read,
	.write = port92_write,
	.reset = port92_reset,
	.destroy = port92_destroy,
};

static void post_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	HV__UNUSED(ctx);
	HV__UNUSED(offset);
	HV__UNUSED(width);
	*value = ~0ull;
}

static void post_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	HV__UNUSED(ctx);
	HV__UNUSED(offset);
	HV__UNUSED(width);
	HV__UNUSED(value);
}

static const hv_device_ops_t post_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = post_read,
	.write = post_write,
};

#define PCI_ADDR_MASK 0x80fffffcu
#define RCR_OFFSET 1u
#define RCR_RESET 0x04u

struct nopci {
	hv_vm_t *vm;
	uint32_t address; /* atomic */
	uint8_t rcr;      /* atomic */
};

static void nopci_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	struct nopci *p = ctx;

	if (offset == 0 && width == 4)
		*value = __atomic_load_n(&p->address, __ATOMIC_RELAXED);
	else if (offset == RCR_OFFSET && width == 1)
		*value = __atomic_load_n(&p->rcr, __ATOMIC_RELAXED);
	else
		*value = ~0ull; /* no device answers configuration cycles */
}

static void nopci_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct nopci *p = ctx;

	if (offset == 0 && width == 4) {
		__atomic_store_n(&p->address, (uint32_t)value & PCI_ADDR_MASK, __ATOMIC_RELAXED);
	} else if (offset == RCR_OFFSET && width == 1) {
		__atomic_store_n(&p->rcr, (uint8_t)(value & 0x0a), __ATOMIC_RELAXED);
		if (value & RCR_RESET) {
			HV_LOGD("vm %s: reset through port 0xcf9", p->vm->name);
			hv__vm_stop(p->vm, HV_EVENT_GUEST_RESET, NULL, NULL);
		}
	}
}

static void nopci_reset(void *ctx)
{
	struct nopci *p = ctx;

	__atomic_store_n(&p->address, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&p->rcr, 0, __ATOMIC_RELAXED);
}

static void nopci_destroy(void *ctx)
{
	hv__free(ctx, sizeof(struct nopci));
}

static const hv_device_ops_t nopci_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = nopci_read,
	.write = nopci_write,
	.reset = nopci_reset,
	.destroy = nopci_destroy,
};

/* ---- adding the pieces --------------------------------------------------------------------- */

#define X86_MAX_DEVICES 6

struct x86_adder {
	hv_vm_t *vm;
	hv_device_t *added[X86_MAX_DEVICES];
	unsigned int count;
};

static hv_status_t x86_add_one(struct x86_adder *a, const char *name, uint64_t base, uint64_t size,
			       const hv_device_ops_t *ops, void *ctx, uint32_t irq,
			       hv_irq_line_t **line)
{
	hv_device_config_t dc = HV_DEVICE_CONFIG_INIT;
	hv_status_t st;

	dc.name = name;
	dc.bus = HV_BUS_PIO;
	dc.base = base;
	dc.size = size;
	dc.ops = ops;
	dc.ctx = ctx;
	st = hv__libdev_add(a->vm, &dc, NULL, irq, line, &a->added[a->count]);
	if (st == HV_OK)
		a->count++;
	return st;
}

static hv_status_t x86_add_cmos(struct x86_adder *a, uint32_t irq)
{
	struct hv__cmos *c = hv__cmos_create();
	hv_status_t st;

	if (c == NULL)
		return HV_ERR_NO_MEMORY;
	st = x86_add_one(a, "cmos", 0x70, 2, &hv__cmos_ops, c, irq, hv__cmos_line(c));
	if (st != HV_OK)
		hv__cmos_destroy(c);
	return st;
}

static hv_status_t x86_add_i8042(struct x86_adder *a)
{
	struct i8042 *k = hv__alloc(sizeof(*k));
	hv_status_t st;

	if (k == NULL)
		return HV_ERR_NO_MEMORY;
	k->vm = a->vm;
	k->lock = hv__lock_create();
	if (k->lock == NULL) {
		hv__free(k, sizeof(*k));
		return HV_ERR_NO_MEMORY;
	}
	kbc_power_on(k);
	k->refs = 1;
	st = x86_add_one(a, "i8042-data", 0x60, 1, &kbc_data_ops, k, HV__NO_IRQ, NULL);
	if (st != HV_OK) {
		kbc_destroy(k);
		return st;
	}
	k->refs = 2;
	st = x86_add_one(a, "i8042-cmd", 0x64, 1, &kbc_cmd_ops, k, HV__NO_IRQ, NULL);
	if (st != HV_OK)
		k->refs = 1; /* removing the data port's device frees it */
	return st;
}

static hv_status_t x86_add_port92(struct x86_adder *a)
{
	struct port92 *p = hv__alloc(sizeof(*p));
	hv_status_t st;

	if (p == NULL)
		return HV_ERR_NO_MEMORY;
	p->vm = a->vm;
	st = x86_add_one(a, "port92", 0x92, 1, &port92_ops, p, HV__NO_IRQ, NULL);
	if (st != HV_OK)
		port92_destroy(p);
	return st;
}

static hv_status_t x86_add_nopci(struct x86_adder *a)
{
	struct nopci *p = hv__alloc(sizeof(*p));
	hv_status_t st;

	if (p == NULL)
		return HV_ERR_NO_MEMORY;
	p->vm = a->vm;
	st = x86_add_one(a, "pci-none", 0xcf8, 8, &nopci_ops, p, HV__NO_IRQ, NULL);
	if (st != HV_OK)
		nopci_destroy(p);
	return st;
}

hv_status_t hv_x86_platform_add(hv_vm_t *vm, const hv_x86_platform_config_t *config)
{
	struct x86_adder a = { .vm = vm };
	uint32_t pieces;
	hv_status_t st = HV_OK;

	if (vm == NULL || config == NULL)
		return HV_ERR_INVALID_ARG;
	if (HV__CHECK_STRUCT(config, hv_x86_platform_config_t) != HV_OK)
		return HV_ERR_ABI;
	pieces = config->pieces != 0 ? config->pieces : ALL_PIECES;
	if ((pieces & ~(uint32_t)ALL_PIECES) != 0)
		return HV_ERR_INVALID_ARG;
	if ((vm->caps.flags & HV_CAP_PIO) == 0)
		return HV_ERR_UNSUPPORTED;

	if (pieces & HV_X86_CMOS)
		st = x86_add_cmos(&a, config->cmos_irq != 0 ? config->cmos_irq : 8);
	if (st == HV_OK && (pieces & HV_X86_I8042))
		st = x86_add_i8042(&a);
	if (st == HV_OK && (pieces & HV_X86_PORT92))
		st = x86_add_port92(&a);
	if (st == HV_OK && (pieces & HV_X86_POST))
		st = x86_add_one(&a, "post", 0x80, 1, &post_ops, NULL, HV__NO_IRQ, NULL);
	if (st == HV_OK && (pieces & HV_X86_NO_PCI))
		st = x86_add_nopci(&a);
	if (st != HV_OK) {
		/* Each removal takes its device's interrupt route with it. */
		while (a.count > 0)
			hv_device_remove(a.added[--a.count]);
	}
	return st;
}
