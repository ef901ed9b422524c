/* SPDX-License-Identifier: MIT */
/**
 * @file backend.h
 * @brief Choosing the hypervisor underneath: KVM, AArch64 EL2 or x86 VMX.
 *
 * @defgroup backend Backends
 * @brief Backends compiled into the library, found by name or by probing.
 *
 * A backend is a static object: handles returned here are never freed. Backend names are
 * `"kvm"`, `"aarch64-el2"` and `"x86-vmx"`; which are present depends on how the library
 * was built (see hv_backend_list()).
 * @{
 */
#ifndef HVLIB_BACKEND_H
#define HVLIB_BACKEND_H

#include "defs.h"
#include "status.h"

HV_EXTERN_C_BEGIN

/** The backend has an in-kernel or hardware-assisted interrupt controller. */
#define HV_CAP_IRQCHIP (1u << 0)
/** hv_vm_signal_msi() works. */
#define HV_CAP_MSI (1u << 1)
/** Read-only memory (ROM) traps writes instead of being silently writable. */
#define HV_CAP_READONLY_MEM (1u << 2)
/** The port-I/O bus exists (x86). */
#define HV_CAP_PIO (1u << 3)
/** Several VMs can exist at once. */
#define HV_CAP_MULTI_VM (1u << 4)
/** Host interrupts can drive guest inputs (@ref HV_IRQ_ROUTE_HOST). */
#define HV_CAP_IRQ_PASSTHROUGH (1u << 5)
/** vCPUs can be time-sliced (@ref hv_vm_config_t.time_slice_us). */
#define HV_CAP_TIME_SLICE (1u << 6)

/** What a backend can do on this host. */
typedef struct hv_backend_caps {
	uint32_t struct_size;   /**< sizeof(hv_backend_caps_t), set by @ref HV_BACKEND_CAPS_INIT. */
	hv_arch_t arch;         /**< Architecture of the guests it runs. */
	uint32_t flags;         /**< `HV_CAP_*` bits. */
	uint32_t max_vcpus;     /**< vCPUs per VM. */
	uint32_t max_regions;   /**< Memory regions per VM. */
	uint32_t irq_inputs;    /**< Inputs of the guest interrupt controller usable by routes. */
	uint64_t max_gpa;       /**< One past the highest guest-physical address. */
} hv_backend_caps_t;

/** Initialiser for @ref hv_backend_caps_t. */
#define HV_BACKEND_CAPS_INIT                                                                      \
	{                                                                                         \
		.struct_size = sizeof(hv_backend_caps_t)                                          \
	}

/**
 * @brief List the backends compiled into this library, working or not.
 * @param[out] out Receives up to @p capacity handles; may be NULL when @p capacity is 0.
 * @param[in] capacity Number of slots in @p out.
 * @param[out] count Receives the number of compiled backends (may exceed @p capacity).
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG if @p count is NULL, or @p out is NULL with a
 *         non-zero @p capacity.
 */
HV_API hv_status_t hv_backend_list(const hv_backend_t **out, size_t capacity, size_t *count);

/**
 * @brief Find a compiled backend by name, without checking that it works here.
 * @param[in] name For example `"kvm"`.
 * @param[out] backend Receives the handle.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments;
 *         @ref HV_ERR_NOT_FOUND if no backend of that name was compiled in.
 */
HV_API hv_status_t hv_backend_find(const char *name, const hv_backend_t **backend);

/**
 * @brief Check whether a backend works on this host (for KVM: opens and queries `/dev/kvm`).
 * @param[in] backend A handle from hv_backend_find() or hv_backend_list().
 * @return @ref HV_OK if it works; @ref HV_ERR_INVALID_ARG if @p backend is NULL;
 *         @ref HV_ERR_NO_BACKEND if the host cannot run it (no device, no permission,
 *         no virtualisation extensions, an API version it does not support);
 *         @ref HV_ERR_NO_PLATFORM if no platform ops are installed.
 */
HV_API hv_status_t hv_backend_check(const hv_backend_t *backend);

/**
 * @brief Find the first compiled backend that works on this host.
 * @param[out] backend Receives the handle.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG if @p backend is NULL;
 *         @ref HV_ERR_NO_BACKEND if none works; @ref HV_ERR_NO_PLATFORM as hv_backend_check().
 */
HV_API hv_status_t hv_backend_probe(const hv_backend_t **backend);

/**
 * @brief The backend's name.
 * @param[in] backend A handle, or NULL.
 * @return A static string; `"(null)"` for NULL.
 */
HV_API const char *hv_backend_name(const hv_backend_t *backend);

/**
 * @brief Query what a working backend can do on this host.
 * @param[in] backend A handle.
 * @param[in,out] caps Initialised with @ref HV_BACKEND_CAPS_INIT; filled on success.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments; @ref HV_ERR_ABI for an
 *         unknown struct size; @ref HV_ERR_NO_BACKEND if the backend does not work here.
 */
HV_API hv_status_t hv_backend_caps(const hv_backend_t *backend, hv_backend_caps_t *caps);

HV_EXTERN_C_END

/** @} */
#endif /* HVLIB_BACKEND_H */
