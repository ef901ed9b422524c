/* SPDX-License-Identifier: MIT */
/* The PC firmware pieces: the ACPI table builder (acpi.c) and the PM registers (pm.c). */
#ifndef HV_X86_PC_H
#define HV_X86_PC_H

#include "hv_internal.h"

/* What the tables describe; everything already validated by hv_pc_setup(). */
struct hv__acpi_desc {
	uint64_t gpa; /* guest-physical address of buf[0]; the RSDP goes there */
	uint32_t vcpu_count;
	uint16_t pm_port;
	uint32_t sci_irq;
	const hv_pc_virtio_t *virtio;
	uint32_t virtio_count;
	bool i8042;     /* an i8042 with a keyboard: the 8042 boot flag */
	bool rtc;       /* a CMOS RTC answers at port 0x70 */
	bool reset_reg; /* a reset control register answers at port 0xCF9 */
};

/* FADT PM1 register block lengths and offsets from the PM base. */
#define HV__PM1_EVT_LEN 4u
#define HV__PM1_CNT_LEN 2u
#define HV__PM_TMR_LEN 4u
#define HV__PM1_CNT_OFF 4u
#define HV__PM_TMR_OFF 8u
#define HV__PM_SLP_TYP_S5 5u

/*
 * Build the tables into buf (size bytes, zeroed by the caller): the RSDP at buf[0], the others
 * after it. HV_ERR_RANGE if they do not fit; *used receives the bytes used.
 */
hv_status_t hv__acpi_build(const struct hv__acpi_desc *d, uint8_t *buf, size_t size, size_t *used);

/* Add the PM registers at [port, port + HV_PC_PM_SIZE) on the port bus. */
hv_status_t hv__pm_add(hv_vm_t *vm, uint16_t port, hv_device_t **device);

#endif
