/* SPDX-License-Identifier: MIT */
/*
 * The core's exit dispatch, normalised exit to device callback, with 64 MMIO devices on the
 * bus. It runs on a backend defined here that does nothing, so that callgrind sees the core
 * alone: tests/bench/run.sh runs this program under
 *   valgrind --tool=callgrind --collect-atstart=no --toggle-collect=hv_vcpu_dispatch
 * and divides the instructions counted by the dispatches made (printed below). Three
 * patterns: the same device every time (the per-vCPU cache hits), a walk over all 64 devices
 * (every lookup is a binary search), and port I/O (always a binary search).
 */
#include <stdio.h>
#include <stdlib.h>

#include "hv_internal.h"
#include "null_backend.h"

#define DEVICES 64
#define ITERATIONS 100000

static uint64_t sum;

static void dev_read(void *ctx, uint64_t off, uint32_t w, uint64_t *v)
{
	(void)ctx;
	(void)w;
	*v = off;
}

static void dev_write(void *ctx, uint64_t off, uint32_t w, uint64_t v)
{
	(void)ctx;
	(void)w;
	sum += off + v;
}

static const hv_device_ops_t ops = {
	sizeof(hv_device_ops_t), HV_DEVICE_OPS_VERSION, dev_read, dev_write, NULL, NULL
};

/* Kept out of line so that the loop around it is not what callgrind counts. */
__attribute__((noinline)) static void dispatch(hv_vcpu_t *vcpu, hv_exit_t *exit)
{
	if (hv_vcpu_dispatch(vcpu, exit) != HV_OK)
		abort();
}

int main(int argc, char **argv)
{
	const char *pattern = argc > 1 ? argv[1] : "all";
	bool all = hv__strcmp(pattern, "all") == 0;
	hv_vm_config_t cfg = HV_VM_CONFIG_INIT;
	hv_device_config_t dev = HV_DEVICE_CONFIG_INIT;
	hv_exit_t exit;
	hv_vcpu_t *vcpu;
	hv_vm_t *vm;
	unsigned i;

	cfg.backend = &hv_null_backend;
	cfg.flags = HV_VM_MANUAL_RUN;
	if (hv_vm_create(&cfg, &vm) != HV_OK)
		return 1;
	dev.ops = &ops;
	dev.size = 0x1000;
	for (i = 0; i < DEVICES; i++) {
		dev.bus = HV_BUS_MMIO;
		dev.base = 0xd0000000ull + (uint64_t)i * 0x10000;
		if (hv_device_add(vm, &dev, NULL) != HV_OK)
			return 1;
		dev.bus = HV_BUS_PIO;
		dev.base = 0x100 + i * 8;
		dev.size = 8;
		if (hv_device_add(vm, &dev, NULL) != HV_OK)
			return 1;
		dev.size = 0x1000;
	}
	if (hv_vcpu_create(vm, 0, &vcpu) != HV_OK || hv_vm_start(vm) != HV_OK)
		return 1;

	hv__memset(&exit, 0, sizeof(exit));
	exit.reason = HV_EXIT_MMIO;
	exit.u.mmio.width = 4;
	exit.u.mmio.is_write = 1;
	exit.u.mmio.data = 1;
	exit.u.mmio.gpa = 0xd0000000ull + 17 * 0x10000 + 8;
	if (all || hv__strcmp(pattern, "mmio-same") == 0)
		for (i = 0; i < ITERATIONS; i++)
			dispatch(vcpu, &exit);
	if (all || hv__strcmp(pattern, "mmio-walk") == 0) {
		for (i = 0; i < ITERATIONS; i++) {
			exit.u.mmio.gpa = 0xd0000000ull + (uint64_t)((i * 37) % DEVICES) * 0x10000 + 8;
			dispatch(vcpu, &exit);
		}
	}
	hv__memset(&exit, 0, sizeof(exit));
	exit.reason = HV_EXIT_IO;
	exit.u.io.width = 1;
	exit.u.io.is_write = 1;
	exit.u.io.count = 1;
	exit.u.io.data = 1;
	if (all || hv__strcmp(pattern, "pio-walk") == 0) {
		for (i = 0; i < ITERATIONS; i++) {
			exit.u.io.port = (uint16_t)(0x100 + ((i * 37) % DEVICES) * 8 + 2);
			dispatch(vcpu, &exit);
		}
	}
	printf("dispatch: pattern %s, %d devices per bus, %d dispatches per pattern, checksum %llu\n",
	       pattern, DEVICES, ITERATIONS, (unsigned long long)sum);
	hv_vm_destroy(vm);
	return 0;
}
