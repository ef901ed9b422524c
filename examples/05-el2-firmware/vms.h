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
 * Likewise with ram_size bytes of RAM (none when 0: the caller maps it); no image when image
 * is NULL. With uart_passthrough, the
 * board's own PL011 page is mapped into the guest instead of an emulated one, its interrupt
 * routed there too (static partitioning as Bao does it: no exits for console output).
 */
hv_status_t fw_vm_create_ram(struct fw_vm *g, const char *name, const void *image, size_t size,
			     uint32_t vcpus, const uint32_t *cores, uint64_t ram_size,
			     bool uart_passthrough);
/*
 * Likewise, for a VM whose vCPUs share their core with other VMs' (fw_sched): its vCPUs leave
 * the guest at the end of each slice of slice_us microseconds (hv_vm_config_t.time_slice_us)
 * and whenever they wait for an interrupt with nothing pending.
 */
hv_status_t fw_vm_create_sliced(struct fw_vm *g, const char *name, const void *image, size_t size,
				uint32_t vcpus, const uint32_t *cores, uint32_t slice_us);
/* A byte stream printing whole lines to the console, prefixed with g->name (g's line buffer). */
hv_chardev_t fw_vm_console_stream(struct fw_vm *g);
/* Start it: each vCPU runs on its core with hv_vcpu_run() until the VM stops. */
hv_status_t fw_vm_start(struct fw_vm *g);
/* Wait until every VM given has stopped and its cores are idle again. */
void fw_vm_wait_all(struct fw_vm *const *g, size_t count);
/* Print how the VM stopped. */
void fw_vm_report(struct fw_vm *g);

/*
 * Several VMs time-sliced on one core, by priority: in each round a VM gets as many slices as
 * its priority (a slice runs each of its vCPUs until hv_vcpu_run_once() returns
 * HV_EXIT_KICK; other exits are dispatched as hv_vcpu_run() would). A VM whose vCPUs wait
 * for interrupts gives its slices away early. The counters are the scheduler's, readable
 * from other cores while it runs.
 */
#define FW_SCHED_MAX 4u
struct fw_sched {
	struct fw_vm *vm[FW_SCHED_MAX];
	uint32_t priority[FW_SCHED_MAX]; /* slices per round, >= 1 */
	uint32_t count;
	uint64_t slices[FW_SCHED_MAX]; /* slices run */
	uint64_t ticks[FW_SCHED_MAX];  /* counter ticks spent in them */
};
/* Start s's VMs (created with fw_vm_create_sliced) and schedule them on `core` until all stop. */
hv_status_t fw_sched_start(struct fw_sched *s, uint32_t core);

/* The guest images built into this firmware (guests.S, generated). */
#define FW_GUEST(n)                               \
	extern const char fw_guest_##n##_start[]; \
	extern const char fw_guest_##n##_end[]
#define FW_GUEST_IMAGE(n) fw_guest_##n##_start, (size_t)(fw_guest_##n##_end - fw_guest_##n##_start)

#endif
