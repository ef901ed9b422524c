/* SPDX-License-Identifier: MIT */
/* The PC platform pieces: what x86_platform.c needs of the RTC in x86_cmos.c. */
#ifndef HV_X86_PLATFORM_H
#define HV_X86_PLATFORM_H

#include "hv_internal.h"

struct hv__cmos;

/* A powered-on MC146818 RTC with its CMOS memory, or NULL (no memory). */
struct hv__cmos *hv__cmos_create(void);
/* Its device callbacks (ports 0x70-0x71); destroy also frees it. */
extern const hv_device_ops_t hv__cmos_ops;
void hv__cmos_destroy(void *ctx);
/* Where hv__libdev_add stores its interrupt line. */
hv_irq_line_t **hv__cmos_line(struct hv__cmos *c);

#endif
