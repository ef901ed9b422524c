/* SPDX-License-Identifier: MIT */
/**
 * @file status.h
 * @brief Status codes returned by every fallible hvlib call.
 *
 * @defgroup status Status codes
 * @brief `HV_OK` is zero, failures are negative. Values are pinned and only ever appended.
 *
 * Out-parameters are written only when a call returns @ref HV_OK.
 * @{
 */
#ifndef HVLIB_STATUS_H
#define HVLIB_STATUS_H

#include "defs.h"

HV_EXTERN_C_BEGIN

/** Result of a fallible call. The numeric values are part of the ABI. */
typedef enum hv_status {
	HV_OK = 0,                /**< Success. */
	HV_ERR_INVALID_ARG = -1,  /**< A pointer was NULL or a value out of its documented range. */
	HV_ERR_NO_MEMORY = -2,    /**< The platform allocator failed. */
	HV_ERR_UNSUPPORTED = -3,  /**< The backend or platform cannot do this. */
	HV_ERR_ABI = -4,          /**< A struct's size field or an ops table's version is unknown. */
	HV_ERR_STATE = -5,        /**< The object is in the wrong state for this call. */
	HV_ERR_NOT_FOUND = -6,    /**< No such backend, region, device or register. */
	HV_ERR_ZERO_SIZE = -7,    /**< A range has zero length. */
	HV_ERR_WRAP = -8,         /**< A range wraps around the end of its address space. */
	HV_ERR_OVERLAP = -9,      /**< A range overlaps one already in the map or on the bus. */
	HV_ERR_ALIGNMENT = -10,   /**< An address, size or host pointer is misaligned. */
	HV_ERR_BUSY = -11,        /**< The resource is already in use (interrupt input, vCPU). */
	HV_ERR_LIMIT = -12,       /**< A count or index exceeds what the VM or backend allows. */
	HV_ERR_UNKNOWN_REG = -13, /**< The register does not exist on this vCPU's architecture. */
	HV_ERR_NO_BACKEND = -14,  /**< No backend works on this host (or the named one does not). */
	HV_ERR_BACKEND = -15,     /**< The hypervisor underneath refused the operation. */
	HV_ERR_NOT_MAPPED = -16,  /**< A guest-physical range is not backed by memory. */
	HV_ERR_NO_PLATFORM = -17, /**< No platform ops installed (freestanding builds). */
	HV_ERR_RANGE = -18,       /**< A range lies outside what its address space allows. */
	HV_ERR_BAD_IMAGE = -19,   /**< A guest image (kernel, initrd, ELF) is truncated or malformed. */
} hv_status_t;

/**
 * @brief Name a status code.
 * @param[in] status Any value, known or not.
 * @return A static string such as `"HV_ERR_OVERLAP"`; `"HV_ERR_UNKNOWN"` for values this
 *         version does not know. Never NULL.
 * @note Thread-safe; callable before any other hvlib call.
 */
HV_API const char *hv_status_str(hv_status_t status);

HV_EXTERN_C_END

/** @} */
#endif /* HVLIB_STATUS_H */
