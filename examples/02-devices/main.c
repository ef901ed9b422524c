/* SPDX-License-Identifier: MIT */
/*
 * Tutorial 02: an MMIO device and an interrupt the guest receives.
 *
 * The device is a "doubler" at guest-physical 0xD0000000: the guest writes an operand to
 * DATA and rings DOORBELL; the device computes twice the operand into RESULT and raises its
 * interrupt line; the guest's handler reads RESULT and writes ACK, which lowers the line.
 * The line is routed to input 5 of the guest's interrupt controller (the PC's IRQ 5).
 *
 * The guest stays in 16-bit real mode, where every KVM implementation delivers interrupts
 * (see the README for why that matters on this project's build machines).
 */
#include <stdio.h>
#include <string.h>

#include <hvlib/hvlib.h>

extern const unsigned char devices_guest_start[], devices_guest_end[];

#define GUEST_LOAD 0x1000
#define DOUBLER_BASE 0xd0000000u
#define DOUBLER_IRQ 5

/* ---- the doubler: an MMIO device model -------------------------------------------------- */

enum { REG_ID = 0x00, REG_DOORBELL = 0x04, REG_DATA = 0x08, REG_RESULT = 0x0c, REG_ACK = 0x10 };

struct doubler {
	hv_irq_line_t *irq; /* the device knows its line, never the interrupt controller */
	uint32_t data;
	uint32_t result;
	unsigned interrupts;
};

static void doubler_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	struct doubler *d = ctx;

	/* Registers are 32 bits wide; other widths and offsets read as zero. */
	if (width != 4) {
		*value = 0;
		return;
	}
	switch (offset) {
	case REG_ID: *value = 0x31445648; break; /* "HVD1" */
	case REG_DATA: *value = d->data; break;
	case REG_RESULT: *value = d->result; break;
	default: *value = 0; break;
	}
}

static void doubler_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct doubler *d = ctx;

	if (width != 4)
		return;
	switch (offset) {
	case REG_DATA:
		d->data = (uint32_t)value;
		break;
	case REG_DOORBELL:
		d->result = d->data * 2;
		d->interrupts++;
		hv_irq_line_raise(d->irq);
		break;
	case REG_ACK:
		hv_irq_line_lower(d->irq);
		break;
	default:
		break;
	}
}

static void doubler_reset(void *ctx)
{
	struct doubler *d = ctx;

	d->data = 0;
	d->result = 0;
}

static const hv_device_ops_t doubler_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = doubler_read,
	.write = doubler_write,
	.reset = doubler_reset,
};

/* ---- the console of tutorial 01, again ----------------------------------------------------- */

struct console {
	hv_vm_t *vm;
	char text[512];
	size_t len;
};

static void console_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	(void)ctx;
	(void)offset;
	(void)width;
	*value = 0;
}

static void console_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct console *con = ctx;

	(void)width;
	if (offset == 0 && con->len + 1 < sizeof(con->text))
		con->text[con->len++] = (char)value;
	else if (offset == 1)
		hv_vm_stop(con->vm);
}

static const hv_device_ops_t console_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = console_read,
	.write = console_write,
};

static int fail(const char *what, hv_status_t st)
{
	fprintf(stderr, "02-devices: %s: %s\n", what, hv_status_str(st));
	return st == HV_ERR_NO_BACKEND ? 77 : 1;
}

int main(void)
{
	hv_vm_config_t vm_cfg = HV_VM_CONFIG_INIT;
	hv_region_config_t ram = HV_REGION_CONFIG_INIT;
	hv_irq_route_config_t route = HV_IRQ_ROUTE_CONFIG_INIT;
	hv_device_config_t dev = HV_DEVICE_CONFIG_INIT;
	struct doubler dbl = { 0 };
	struct console con = { 0 };
	hv_stop_info_t stop = HV_STOP_INFO_INIT;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm;
	hv_status_t st;

	vm_cfg.name = "devices";
	st = hv_vm_create(&vm_cfg, &vm);
	if (st != HV_OK)
		return fail("hv_vm_create", st);
	con.vm = vm;

	ram.type = HV_REGION_RAM;
	ram.name = "ram";
	ram.gpa = 0;
	ram.size = 1024 * 1024;
	st = hv_vm_map_region(vm, &ram, NULL);
	if (st == HV_OK)
		st = hv_vm_write(vm, GUEST_LOAD, devices_guest_start,
				 (uint64_t)(devices_guest_end - devices_guest_start));
	if (st != HV_OK)
		return fail("memory", st);

	/* The interrupt route: a line driving input 5 of the guest's interrupt controller. */
	route.input = DOUBLER_IRQ;
	route.trigger = HV_IRQ_LEVEL;
	route.name = "doubler";
	st = hv_irq_route_add(vm, &route, &dbl.irq);
	if (st != HV_OK)
		return fail("hv_irq_route_add", st);

	/* The device window: 4 KiB of MMIO space, checked against RAM and other devices. */
	dev.name = "doubler";
	dev.bus = HV_BUS_MMIO;
	dev.base = DOUBLER_BASE;
	dev.size = 0x1000;
	dev.ops = &doubler_ops;
	dev.ctx = &dbl;
	st = hv_device_add(vm, &dev, NULL);
	if (st != HV_OK)
		return fail("hv_device_add(doubler)", st);

	/* Two things never answer at one address: a second window over the first is refused. */
	dev.base = DOUBLER_BASE + 0x800;
	st = hv_device_add(vm, &dev, NULL);
	printf("A second device over the doubler's window: %s\n", hv_status_str(st));

	dev.name = "console";
	dev.bus = HV_BUS_PIO;
	dev.base = 0xe9;
	dev.size = 2;
	dev.ops = &console_ops;
	dev.ctx = &con;
	st = hv_device_add(vm, &dev, NULL);
	if (st != HV_OK)
		return fail("hv_device_add(console)", st);

	/*
	 * The vCPU starts in real mode at CS:IP = 0:0x1000. Giving DS a 4 GiB limit ("unreal
	 * mode") lets 16-bit code use 32-bit addresses, enough to reach the device; such a limit
	 * needs the granularity bit (G, bit 15) in DS's attributes beside the usual 0x93 (present,
	 * writable data, accessed). One call sets all six registers; none is written if any
	 * identifier were unknown.
	 */
	st = hv_vcpu_create(vm, 0, &vcpu);
	if (st == HV_OK) {
		static const hv_reg_t regs[] = {
			HV_X86_SEG(HV_X86_CS, HV_X86_SEG_SELECTOR),
			HV_X86_SEG(HV_X86_CS, HV_X86_SEG_BASE),
			HV_X86_SEG(HV_X86_DS, HV_X86_SEG_BASE),
			HV_X86_SEG(HV_X86_DS, HV_X86_SEG_LIMIT),
			HV_X86_SEG(HV_X86_DS, HV_X86_SEG_ATTR),
			HV_REG_PC,
		};
		static const uint64_t values[] = { 0, 0, 0, 0xffffffff, 0x8093, GUEST_LOAD };

		st = hv_vcpu_set_regs(vcpu, regs, values, 6);
	}
	if (st != HV_OK)
		return fail("vcpu", st);

	st = hv_vm_run(vm, NULL);
	if (st != HV_OK)
		return fail("hv_vm_run", st);
	if (hv_vm_get_stop_info(vm, &stop) == HV_OK && stop.cause != HV_EVENT_VM_STOPPED)
		printf("The VM stopped early: %s\n", hv_event_type_str(stop.cause));

	printf("The guest said:\n%.*s", (int)con.len, con.text);
	printf("The doubler raised %u interrupt(s); its line is now %s.\n", dbl.interrupts,
	       hv_irq_line_level(dbl.irq) ? "high" : "low");
	hv_vm_destroy(vm);
	return strstr(con.text, "result = 42\n") != NULL && dbl.interrupts == 1 ? 0 : 1;
}
