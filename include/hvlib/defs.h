/* SPDX-License-Identifier: MIT */
/**
 * @file defs.h
 * @brief Basic types, handles and export macros shared by every hvlib header.
 *
 * @defgroup defs Basic definitions
 * @brief Handle types, address types and the export macro.
 *
 * Every object hvlib hands out is an opaque handle. A VM owns its vCPUs, memory regions,
 * devices and interrupt lines: destroying the VM destroys them. Shared-memory objects
 * (@ref hv_shm_t) are owned by the caller and outlive any VM they are mapped into.
 * @{
 */
#ifndef HVLIB_DEFS_H
#define HVLIB_DEFS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
#define HV_EXTERN_C_BEGIN extern "C" {
#define HV_EXTERN_C_END }
#else
/** Opens an `extern "C"` block for C++ callers. */
#define HV_EXTERN_C_BEGIN
/** Closes an `extern "C"` block for C++ callers. */
#define HV_EXTERN_C_END
#endif

/**
 * @def HV_API
 * Marks a function as part of the exported API (empty for static builds).
 */
#if defined(HVLIB_STATIC)
#define HV_API
#elif defined(__GNUC__) || defined(__clang__)
#define HV_API __attribute__((visibility("default")))
#else
#define HV_API
#endif

/** A guest-physical address. */
typedef uint64_t hv_gpa_t;

/** A virtual machine (opaque). Created by hv_vm_create(), destroyed by hv_vm_destroy(). */
typedef struct hv_vm hv_vm_t;
/** A virtual CPU (opaque). Owned by its VM. */
typedef struct hv_vcpu hv_vcpu_t;
/** A region of the guest-physical memory map (opaque). Owned by its VM. */
typedef struct hv_region hv_region_t;
/** A device on one of the VM's buses (opaque). Owned by its VM. */
typedef struct hv_device hv_device_t;
/** An interrupt line from a device to an input of the guest's interrupt controller (opaque). */
typedef struct hv_irq_line hv_irq_line_t;
/** Memory that can be mapped into several VMs (opaque). Owned by the caller. */
typedef struct hv_shm hv_shm_t;
/** A hypervisor backend (opaque, static: never freed). */
typedef struct hv_backend hv_backend_t;

/** Guest instruction-set architecture. */
typedef enum hv_arch {
	HV_ARCH_NONE = 0,    /**< Unknown or not applicable. */
	HV_ARCH_X86_64 = 1,  /**< x86-64 (guests may start in real mode). */
	HV_ARCH_AARCH64 = 2, /**< AArch64 (guests run at EL1). */
} hv_arch_t;

/** The two address spaces a device window can live in. */
typedef enum hv_bus {
	HV_BUS_MMIO = 0, /**< Guest-physical memory space. */
	HV_BUS_PIO = 1,  /**< x86 port-I/O space (16-bit ports). */
} hv_bus_t;

/** @} */
#endif /* HVLIB_DEFS_H */
