/* SPDX-License-Identifier: MIT */
/**
 * @file version.h
 * @brief Library version, at compile time and at run time.
 *
 * @defgroup version Version
 * @brief Compare `HV_VERSION_NUMBER` (what you compiled against) with hv_version() (what
 *        you run against). The SONAME follows the major version.
 * @{
 */
#ifndef HVLIB_VERSION_H
#define HVLIB_VERSION_H

#include "defs.h"

HV_EXTERN_C_BEGIN

#define HV_VERSION_MAJOR 0 /**< Incompatible ABI changes. */
#define HV_VERSION_MINOR 1 /**< Compatible additions. */
#define HV_VERSION_PATCH 0 /**< Fixes only. */

/** The version as one comparable number: major * 10000 + minor * 100 + patch. */
#define HV_VERSION_NUMBER (HV_VERSION_MAJOR * 10000 + HV_VERSION_MINOR * 100 + HV_VERSION_PATCH)

/**
 * @brief The version of the library linked at run time.
 * @return `HV_VERSION_NUMBER` of the running library.
 * @note Thread-safe.
 */
HV_API unsigned hv_version(void);

/**
 * @brief The version of the library linked at run time, as text.
 * @return A static string such as `"0.1.0"`. Never NULL.
 * @note Thread-safe.
 */
HV_API const char *hv_version_str(void);

HV_EXTERN_C_END

/** @} */
#endif /* HVLIB_VERSION_H */
