/* SPDX-License-Identifier: MIT */
/*
 * Tutorial 01: the smallest VM. One vCPU, 64 KiB of RAM holding a 16-bit guest, and one
 * port-I/O device the program defines: port 0xE9 prints a byte, port 0xEA powers off.
 * The program prints what the guest said and exits 0 if it said it.
 */
#include <stdio.h>
#include <string.h>

#include <hvlib/hvlib.h>

/* The guest binary, assembled from guest.S and linked into this program. */
extern const unsigned char hello_guest_start[], hello_guest_end[];

#define GUEST_LOAD 0x1000 /* where the guest's code goes, and where the vCPU starts */

/* Our device: a console and a power switch. Its state is what the guest printed. */
struct console {
	hv_vm_t *vm;
	char text[256];
	size_t len;
};

static void console_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	(void)ctx;
	(void)offset;
	(void)width;
	*value = 0; /* nothing to read: a write-only device reads as zero */
}

static void console_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct console *con = ctx;

	(void)width;
	if (offset == 0 && con->len + 1 < sizeof(con->text))
		con->text[con->len++] = (char)value;
	else if (offset == 1)
		hv_vm_stop(con->vm); /* the guest asked to power off */
}

static const hv_device_ops_t console_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = console_read,
	.write = console_write,
};

static int fail(const char *what, hv_status_t st)
{
	fprintf(stderr, "01-hello: %s: %s\n", what, hv_status_str(st));
	return st == HV_ERR_NO_BACKEND ? 77 : 1;
}

int main(void)
{
	hv_vm_config_t vm_cfg = HV_VM_CONFIG_INIT;
	hv_region_config_t ram = HV_REGION_CONFIG_INIT;
	hv_device_config_t dev = HV_DEVICE_CONFIG_INIT;
	struct console con = { 0 };
	hv_vm_state_t state;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm;
	hv_status_t st;

	/* 1. A VM on the first backend that works here (KVM on Linux). */
	vm_cfg.name = "hello";
	st = hv_vm_create(&vm_cfg, &vm);
	if (st != HV_OK)
		return fail("hv_vm_create", st);
	con.vm = vm;

	/* 2. RAM: 64 KiB at guest-physical 0, allocated by the library, then the guest's code. */
	ram.type = HV_REGION_RAM;
	ram.name = "ram";
	ram.gpa = 0;
	ram.size = 64 * 1024;
	st = hv_vm_map_region(vm, &ram, NULL);
	if (st == HV_OK)
		st = hv_vm_write(vm, GUEST_LOAD, hello_guest_start,
				 (uint64_t)(hello_guest_end - hello_guest_start));
	if (st != HV_OK)
		return fail("memory", st);

	/* 3. The device: ports 0xE9-0xEA. The bus hands it offsets 0 and 1. */
	dev.name = "console";
	dev.bus = HV_BUS_PIO;
	dev.base = 0xe9;
	dev.size = 2;
	dev.ops = &console_ops;
	dev.ctx = &con;
	st = hv_device_add(vm, &dev, NULL);
	if (st != HV_OK)
		return fail("hv_device_add", st);

	/* 4. One vCPU. It starts in real mode; point CS:IP at the guest's code. */
	st = hv_vcpu_create(vm, 0, &vcpu);
	if (st == HV_OK)
		st = hv_vcpu_set_reg(vcpu, HV_X86_SEG(HV_X86_CS, HV_X86_SEG_SELECTOR), 0);
	if (st == HV_OK)
		st = hv_vcpu_set_reg(vcpu, HV_X86_SEG(HV_X86_CS, HV_X86_SEG_BASE), 0);
	if (st == HV_OK)
		st = hv_vcpu_set_reg(vcpu, HV_REG_PC, GUEST_LOAD);
	if (st != HV_OK)
		return fail("vcpu", st);

	/* 5. Run until the guest powers off (our device stops the VM). */
	st = hv_vm_run(vm, &state);
	if (st != HV_OK)
		return fail("hv_vm_run", st);

	printf("The guest said: %.*s", (int)con.len, con.text);
	printf("VM %s is %s.\n", hv_vm_name(vm), hv_vm_state_str(state));
	hv_vm_destroy(vm);
	return strstr(con.text, "Hello from a real-mode guest") != NULL ? 0 : 1;
}
