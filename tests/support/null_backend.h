/* SPDX-License-Identifier: MIT */
/*
 * A backend that does nothing, for programs that exercise the core and the device models
 * without a hypervisor: fuzz targets and benchmarks. It has port I/O, an interrupt controller
 * with 64 inputs (whose levels it records) and MSI; it maps anything and never runs a guest.
 */
#ifndef HV_NULL_BACKEND_H
#define HV_NULL_BACKEND_H

#include "hv_internal.h"

extern const struct hv_backend hv_null_backend;

/* Interrupt line changes seen, and the last level of each input below 64. */
extern unsigned hv_null_irq_changes;
extern uint8_t hv_null_irq_level[64];

#endif
