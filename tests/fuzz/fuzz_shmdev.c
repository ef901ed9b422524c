/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the shared-memory device: two VMs attached to one object (the second read-only, by
 * the first input byte), register and memory accesses of any width at any offset from either
 * VM, and removal of a peer. Each iteration fresh VMs and a fresh object.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"

#define SHM_SIZE 0x4000u
#define SHM_GPA 0x200000ull
#define REGS 0x300000ull
#define IRQ 7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t widths[8] = { 1, 2, 4, 8, 4, 4, 3, 0 };
	struct fuzz_input in = { data, size };
	hv_vcpu_t *vcpu[2];
	hv_device_t *dev[2];
	hv_vm_t *vm[2];
	hv_shm_t *shm;
	uint8_t flags = fuzz_u8(&in);
	unsigned ops = 0;

	memset(fuzz_irq_level, 0, sizeof(fuzz_irq_level));
	if (hv_shm_create(SHM_SIZE, &shm) != HV_OK)
		abort();
	for (int i = 0; i < 2; i++) {
		hv_shmdev_config_t c = HV_SHMDEV_CONFIG_INIT;

		vm[i] = fuzz_vm_create(&vcpu[i]);
		c.shm = shm;
		c.shm_gpa = SHM_GPA;
		c.read_only = i == 1 && (flags & 1);
		c.regs_base = REGS;
		c.irq = IRQ + (uint32_t)i;
		if (hv_shmdev_add(vm[i], &c, &dev[i]) != HV_OK)
			abort();
		fuzz_vm_start(vm[i]);
	}
	while (in.left > 0 && ops++ < 4096) {
		uint8_t op = fuzz_u8(&in);
		int v = op & 1;
		uint32_t width = widths[(op >> 1) & 7];
		uint64_t addr;

		if (dev[v] == NULL)
			continue;
		switch (op >> 4) {
		case 0: /* remove this peer (the VM is stopped first) */
			if (hv_vm_stop(vm[v]) == HV_OK && hv_vm_wait(vm[v], NULL) == HV_OK &&
			    hv_device_remove(dev[v]) == HV_OK)
				dev[v] = NULL;
			break;
		case 1:
		case 2:
		case 3: /* memory */
			addr = SHM_GPA + fuzz_u16(&in) % (SHM_SIZE + 16);
			fuzz_mmio(vcpu[v], addr, width, op & 0x20, fuzz_u64(&in));
			break;
		default: /* registers, sometimes the meaningful ones with small values */
			addr = REGS + (op & 0x80 ? fuzz_u8(&in) % 0x20 : fuzz_u16(&in) % 0x110);
			fuzz_mmio(vcpu[v], addr, width, op & 0x40,
				  fuzz_u8(&in) & 1 ? fuzz_u64(&in) : fuzz_u8(&in) % 34);
			break;
		}
		/* The line of each peer is up exactly while something is pending. */
		for (int i = 0; i < 2; i++) {
			uint64_t pending;

			if (dev[i] == NULL)
				continue;
			pending = fuzz_mmio(vcpu[i], REGS + 0x14, 4, 0, 0);
			if ((pending != 0) != (fuzz_irq_level[IRQ + i] != 0))
				abort();
		}
	}
	for (int i = 0; i < 2; i++)
		hv_vm_destroy(vm[i]);
	if (hv_shm_destroy(shm) != HV_OK)
		abort(); /* every peer detached: the object must be free */
	return 0;
}
