/* SPDX-License-Identifier: MIT */
/*
 * Shared by the libFuzzer targets: a VM on a backend that does nothing (no hypervisor is
 * needed to fuzz what a guest controls: the core's dispatch and the device models), with
 * guest RAM, started in manual-run mode, and helpers that send guest accesses through the
 * real dispatch path exactly as a backend's exits would.
 */
#ifndef HV_FUZZ_SUPPORT_H
#define HV_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "hv_internal.h"
#include "null_backend.h"

#define FUZZ_RAM_GPA 0x0ull
#define FUZZ_RAM_SIZE (1u << 20) /* 1 MiB of guest RAM at 0 */

/*
 * A fresh VM with RAM (zeroed) and vCPU 0, not started. Aborts on failure (harness bug).
 * Sets the log level to errors only: guest-triggered debug lines would only slow fuzzing.
 */
hv_vm_t *fuzz_vm_create(hv_vcpu_t **vcpu);
/* Start it (HV_VM_MANUAL_RUN: no threads). Call after adding devices. */
void fuzz_vm_start(hv_vm_t *vm);
/* Stop, reset (every device's reset runs) and restart a started VM, as a guest reset does. */
void fuzz_vm_reset(hv_vm_t *vm);
/* Host address of guest RAM. */
uint8_t *fuzz_ram(hv_vm_t *vm);

/* One guest access, dispatched as a backend exit. Returns the value read (0 for writes). */
uint64_t fuzz_mmio(hv_vcpu_t *vcpu, uint64_t gpa, uint32_t width, int is_write, uint64_t data);
uint64_t fuzz_pio(hv_vcpu_t *vcpu, uint16_t port, uint32_t width, int is_write, uint64_t data);

/* The VM's backend (tests/support/null_backend.c) records interrupt line changes. */
#define fuzz_irq_changes hv_null_irq_changes
#define fuzz_irq_level hv_null_irq_level

/* A byte reader over the fuzzer's input. */
struct fuzz_input {
	const uint8_t *p;
	size_t left;
};
uint8_t fuzz_u8(struct fuzz_input *in);
uint16_t fuzz_u16(struct fuzz_input *in);
uint32_t fuzz_u32(struct fuzz_input *in);
uint64_t fuzz_u64(struct fuzz_input *in);

#endif
