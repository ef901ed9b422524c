/* SPDX-License-Identifier: MIT */
/*
 * Guests the way this firmware defines them, with hvlib's public API only: RAM at 0x40000000,
 * an ELF image loaded with hv_elf_load(), a PL011 at 0x09000000 (SPI 33) whose output goes to the
 * console prefixed with the VM's name, vCPUs pinned to physical cores.
 */
#ifndef FW_VMS_H
#define FW_VMS_H

#include <hvlib/hvlib.h>

#include "board.h"

#define FW_GUEST_RAM 0x40000000ull
#define FW_GUEST_RAM_SIZE (16ull << 20)
#define FW_VM_MAX_VCPUS 4u

struct fw_vm {
	hv_vm_t *vm;
	const char *name;
	uint32_t vcpu_count;
	uint32_t cores[FW_VM_MAX_VCPUS]; /* physical core of each vCPU */
	char line[128];                  /* console output not yet printed */
	size_t line_len;
};

/* Create the VM with its RAM, ELF image, console and vCPUs (vCPU 0 starts at its entry). */
hv_status_t fw_vm_create(struct fw_vm *g, const char *name, const void *image, size_t size,
			 uint32_t vcpus, const uint32_t *cores);
/*
 * Likewise with ram_size bytes of RAM; no image when image is NULL. With uart_passthrough, the
 * board's own PL011 page is mapped into the guest instead of an emulated one (static
 * partitioning as Bao does it: no exits for console output, no interrupt either).
 */
hv_status_t fw_vm_create_ram(struct fw_vm *g, const char *name, const void *image, size_t size,
			     uint32_t vcpus, const uint32_t *cores, uint64_t ram_size,
			     bool uart_passthrough);
/* A byte stream printing whole lines to the console, prefixed with g->name (g's line buffer). */
hv_chardev_t fw_vm_console_stream(struct fw_vm *g);
/* Start it: each vCPU runs on its core with hv_vcpu_run() until the VM stops. */
hv_status_t fw_vm_start(struct fw_vm *g);
/* Wait until every VM given has stopped and its cores are idle again. */
void fw_vm_wait_all(struct fw_vm *const *g, size_t count);
/* Print how the VM stopped. */
void fw_vm_report(struct fw_vm *g);

/* The guest images built into this firmware (guests.S, generated). */
#define FW_GUEST(n)                               \
	extern const char fw_guest_##n##_start[]; \
	extern const char fw_guest_##n##_end[]
#define FW_GUEST_IMAGE(n) fw_guest_##n##_start, (size_t)(fw_guest_##n##_end - fw_guest_##n##_start)

#endif
