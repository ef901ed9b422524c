/* SPDX-License-Identifier: MIT */
/**
 * @file pc.h
 * @brief A PC's firmware tables and power management, for booting an unmodified OS (Linux).
 *
 * @defgroup pc PC firmware tables
 * @brief ACPI tables describing the vCPUs, the interrupt controllers and virtio-mmio devices,
 *        and the ACPI power-management registers through which a guest powers itself off.
 *
 * hv_pc_setup() plays the part of a PC's BIOS for an OS booted directly (for example by a Linux
 * loader): it maps a 128 KiB ROM region holding the ACPI tables and adds the ACPI PM registers
 * on the port-I/O bus. The tables are:
 *
 * - RSDP (revision 2), at the very start of the region, so at 0xE0000 by default, where an OS
 *   scanning the BIOS area (0xE0000-0xFFFFF, 16-byte steps) finds it. When the region is
 *   elsewhere, hand its address to the OS (Linux: boot_params.acpi_rsdp_addr or the
 *   `acpi_rsdp=` parameter).
 * - RSDT and XSDT, listing the FADT and the MADT.
 * - FADT (revision 6.3, not hardware-reduced) with the FACS and the DSDT: the PM1a event and
 *   control blocks and the 32-bit PM timer at @ref hv_pc_config_t::pm_port, the SCI input, SCI
 *   already enabled (no SMI command port), and these facts about what is already on the port
 *   bus when the call is made: a missing RTC (port 0x70) sets "CMOS RTC not present" (else the
 *   century is CMOS byte 0x32), and the reset control register (port 0xCF9) becomes the ACPI
 *   reset register (value 6). Add the PC platform pieces (hv_x86_platform_add()) first. VGA is
 *   described as absent, and so is the 8042 flag: hvlib's i8042 has no keyboard or mouse
 *   behind it (it serves resets), so the OS should not probe for them.
 * - DSDT: the sleep state S5 (`\_S5_`, SLP_TYP 5), one processor device (`ACPI0007`) per vCPU
 *   and one `LNRO0005` device per virtio-mmio window, the identifier Linux's virtio-mmio driver
 *   binds.
 * - MADT: one enabled local APIC per vCPU (APIC IDs and processor UIDs 0 to n-1), the I/O APIC at
 *   0xFEC00000 (ID n, GSI base 0), IRQ 0 routed to GSI 2, the SCI level-triggered active-high,
 *   and LINT1 of every local APIC as NMI.
 *
 * The PM registers: PM1_STS and PM1_EN (2 bytes each) at pm_port, PM1_CNT (2 bytes) at
 * pm_port + 4, the PM timer (3.579545 MHz, 32 bits) at pm_port + 8; accesses of 1, 2 or 4 bytes.
 * Writing PM1_CNT with SLP_EN and SLP_TYP 5 powers the guest off: the run ends with
 * @ref HV_EVENT_GUEST_SHUTDOWN. Other sleep types are ignored (logged at debug level). PM1_STS
 * bits are write-1-to-clear; TMR_STS is set whenever bit 31 of the timer changed. No event
 * raises the SCI (there are no buttons and no general-purpose events), so no interrupt route
 * is created for it: its input stays free for the host, and the SCI never fires.
 *
 * A guest resets the PC through port 0xCF9, the i8042 or port 0x92 (hv_x86_platform_add()).
 * @{
 */
#ifndef HVLIB_PC_H
#define HVLIB_PC_H

#include "defs.h"
#include "status.h"
#include "vm.h"

HV_EXTERN_C_BEGIN

/** Default guest-physical base of the table region: the BIOS area the OS scans. */
#define HV_PC_TABLES_GPA 0xE0000ull
/** Size of the ROM region holding the tables. */
#define HV_PC_TABLES_SIZE 0x20000ull
/** Default base of the PM registers. */
#define HV_PC_PM_PORT 0x600u
/** Ports the PM registers occupy from their base. */
#define HV_PC_PM_SIZE 12u
/** Default interrupt input of the SCI. */
#define HV_PC_SCI_IRQ 9u
/** Most virtio-mmio devices one DSDT describes (devices VR00 to VRFF). */
#define HV_PC_VIRTIO_MAX 256u
/** Most vCPUs the tables describe (xAPIC IDs, leaving one ID for the I/O APIC). */
#define HV_PC_VCPU_MAX 254u

/** A virtio-mmio window (@ref HV_VIRTIO_MMIO_SIZE bytes) and the interrupt input it drives. */
typedef struct hv_pc_virtio {
	hv_gpa_t base; /**< Guest-physical base; the window must end at or below 4 GiB. */
	uint32_t irq;  /**< Interrupt input (GSI), level-triggered, active high. */
} hv_pc_virtio_t;

/** What hv_pc_setup() describes. Zero fields take their defaults. */
typedef struct hv_pc_config {
	uint32_t struct_size; /**< sizeof(hv_pc_config_t), set by @ref HV_PC_CONFIG_INIT. */
	/** Processors to describe (APIC IDs 0 to n-1), at most @ref HV_PC_VCPU_MAX; 0: the
	 *  number of vCPUs created so far. */
	uint32_t vcpu_count;
	/** Base of the @ref HV_PC_TABLES_SIZE ROM region this call maps: page-aligned, below
	 *  4 GiB (32-bit table pointers); 0: @ref HV_PC_TABLES_GPA. The RSDP is at this address. */
	hv_gpa_t tables_gpa;
	uint16_t pm_port; /**< Base of the PM registers; 0: @ref HV_PC_PM_PORT. */
	uint32_t sci_irq; /**< Interrupt input of the SCI (not 2); 0: @ref HV_PC_SCI_IRQ. */
	/** Optional: virtio-mmio devices to describe in the DSDT; read during the call only. */
	const hv_pc_virtio_t *virtio;
	uint32_t virtio_count; /**< Entries in @ref virtio, at most @ref HV_PC_VIRTIO_MAX. */
} hv_pc_config_t;

/** Initialiser for @ref hv_pc_config_t. */
#define HV_PC_CONFIG_INIT                             \
	{                                             \
		.struct_size = sizeof(hv_pc_config_t) \
	}

/**
 * @brief Map the ACPI tables of a PC and add its PM registers (see @ref pc).
 * @param[in] vm The VM, not running, on a backend with port I/O. Its PC platform pieces
 *            should already be added (they decide some FADT flags).
 * @param[in] config The description; read during the call only.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments, no vCPU to describe, more
 *         than @ref HV_PC_VCPU_MAX vCPUs or @ref HV_PC_VIRTIO_MAX devices, a NULL device array
 *         with a non-zero count, an SCI on input 2 or beyond the backend's inputs, a PM
 *         block running past port 0xFFFF; @ref HV_ERR_ABI for an unknown struct size;
 *         @ref HV_ERR_UNSUPPORTED on a backend without port I/O; @ref HV_ERR_RANGE if the
 *         table region or a virtio-mmio window is not below 4 GiB, or the tables do not fit;
 *         @ref HV_ERR_NO_MEMORY; and the statuses of hv_vm_map_region() (e.g.
 *         @ref HV_ERR_OVERLAP, @ref HV_ERR_ALIGNMENT, @ref HV_ERR_STATE) and hv_device_add()
 *         (e.g. @ref HV_ERR_OVERLAP for the PM ports). On failure nothing is left mapped or
 *         added.
 * @note The region and the device belong to the VM. Call from the thread that owns the VM.
 */
HV_API hv_status_t hv_pc_setup(hv_vm_t *vm, const hv_pc_config_t *config);

/**
 * @brief Format the kernel command-line fragment announcing virtio-mmio devices to Linux
 *        without ACPI: `virtio_mmio.device=512@0xd0000000:5 virtio_mmio.device=...`.
 *
 * Use it or the DSDT (hv_pc_setup() with the same devices), not both: Linux would probe each
 * device twice.
 * @param[in] devs The devices; may be NULL when @p count is 0.
 * @param[in] count Number of devices; 0 gives the empty string.
 * @param[out] buf Receives the NUL-terminated fragment; may be NULL when @p size is 0.
 * @param[in] size Size of @p buf in bytes.
 * @param[out] len Receives the length of the fragment without its NUL, also when it does not
 *             fit (then a buffer of *len + 1 bytes is needed), as snprintf() does.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG if @p len is NULL, @p devs is NULL with a
 *         non-zero @p count, or @p buf is NULL with a non-zero @p size; @ref HV_ERR_RANGE if the
 *         fragment and its NUL do not fit in @p size bytes (@p buf then holds nothing useful).
 * @note Thread-safe; needs no VM.
 */
HV_API hv_status_t hv_pc_virtio_cmdline(const hv_pc_virtio_t *devs, uint32_t count, char *buf,
					size_t size, size_t *len);

HV_EXTERN_C_END

/** @} */
#endif /* HVLIB_PC_H */
