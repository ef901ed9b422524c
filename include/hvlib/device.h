/* SPDX-License-Identifier: MIT */
/**
 * @file device.h
 * @brief Devices on a VM's MMIO and port-I/O buses.
 *
 * @defgroup device Devices
 * @brief A device is an ops table and a context, answering at one window of one bus.
 *
 * A device sees offsets relative to its window's base and accesses of 1, 2, 4 or 8 bytes; it
 * never sees an interrupt controller or a backend. Its interrupts go through the
 * @ref hv_irq_line_t objects the host gives it. The same device code runs on every backend.
 *
 * Callbacks run on the vCPU thread (or core) that made the access; a device reachable from
 * several vCPUs protects its own state. A device's window is checked against the VM's map:
 * MMIO windows may not overlap memory regions or other windows, port windows may not overlap
 * other port windows.
 * @{
 */
#ifndef HVLIB_DEVICE_H
#define HVLIB_DEVICE_H

#include "defs.h"
#include "status.h"

HV_EXTERN_C_BEGIN

/** Version of @ref hv_device_ops_t this header describes. */
#define HV_DEVICE_OPS_VERSION 1

/** A device model's callbacks. */
typedef struct hv_device_ops {
	uint32_t struct_size; /**< sizeof(hv_device_ops_t), set by @ref HV_DEVICE_OPS_INIT. */
	uint32_t version;     /**< @ref HV_DEVICE_OPS_VERSION. */
	/**
	 * The guest reads @p width bytes at @p offset. Write the value (zero-extended) to
	 * @p value. Mandatory. Offsets and widths come from the guest: check them.
	 */
	void (*read)(void *ctx, uint64_t offset, uint32_t width, uint64_t *value);
	/** The guest writes @p width bytes of @p value at @p offset. Mandatory. */
	void (*write)(void *ctx, uint64_t offset, uint32_t width, uint64_t value);
	/** Optional: return to power-on state (VM reset). */
	void (*reset)(void *ctx);
	/** Optional: release the context when the device is removed or its VM destroyed. */
	void (*destroy)(void *ctx);
} hv_device_ops_t;

/** Initialiser for @ref hv_device_ops_t. */
#define HV_DEVICE_OPS_INIT                                                                        \
	{                                                                                         \
		.struct_size = sizeof(hv_device_ops_t), .version = HV_DEVICE_OPS_VERSION          \
	}

/** Where a device answers. */
typedef struct hv_device_config {
	uint32_t struct_size;       /**< sizeof(hv_device_config_t), set by @ref HV_DEVICE_CONFIG_INIT. */
	const char *name;           /**< For logs; copied. May be NULL. */
	hv_bus_t bus;               /**< @ref HV_BUS_MMIO or @ref HV_BUS_PIO. */
	uint64_t base;              /**< First address (or port) of the window. */
	uint64_t size;              /**< Bytes (or ports) in the window. */
	const hv_device_ops_t *ops; /**< The callbacks; must outlive the device. */
	void *ctx;                  /**< Passed to every callback. */
} hv_device_config_t;

/** Initialiser for @ref hv_device_config_t. */
#define HV_DEVICE_CONFIG_INIT                                                                     \
	{                                                                                         \
		.struct_size = sizeof(hv_device_config_t)                                         \
	}

/**
 * @brief Put a device on one of a VM's buses.
 * @param[in] vm The VM, not running.
 * @param[in] config Where and what; read during the call only.
 * @param[out] device Optional: receives the device handle (owned by the VM).
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments, an unknown bus, or ops
 *         without read or write; @ref HV_ERR_ABI for an unknown config size or ops version;
 *         @ref HV_ERR_UNSUPPORTED for a port window on a backend without port I/O;
 *         @ref HV_ERR_STATE if the VM is running, or
 *         paused or stopped but not yet waited for (hv_vm_wait()); @ref HV_ERR_ZERO_SIZE;
 *         @ref HV_ERR_WRAP;
 *         @ref HV_ERR_RANGE for a port window past port 0xffff; @ref HV_ERR_OVERLAP;
 *         @ref HV_ERR_NO_MEMORY.
 * @note On failure the device's destroy callback is not called: the caller still owns ctx.
 */
HV_API hv_status_t hv_device_add(hv_vm_t *vm, const hv_device_config_t *config,
				 hv_device_t **device);

/**
 * @brief Take a device off its bus and call its destroy callback. A device of the device
 *        library also gives back its interrupt input, which a new route may then use.
 * @param[in] device The device, or NULL (no-op, @ref HV_OK).
 * @return @ref HV_OK; @ref HV_ERR_STATE if its VM is running or not
 *         yet waited for.
 */
HV_API hv_status_t hv_device_remove(hv_device_t *device);

/**
 * @brief A device's context.
 * @param[in] device The device.
 * @return The ctx given at creation, NULL for NULL.
 */
HV_API void *hv_device_ctx(const hv_device_t *device);

/** The VM a device belongs to. @param[in] device The device. @return Its VM, NULL for NULL. */
HV_API hv_vm_t *hv_device_vm(const hv_device_t *device);

HV_EXTERN_C_END

/** @} */
#endif /* HVLIB_DEVICE_H */
