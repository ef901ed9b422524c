/* SPDX-License-Identifier: MIT */
/**
 * @file devtree.h
 * @brief Device trees for AArch64 guests, made from a VM's definition.
 *
 * @defgroup devtree Device trees
 * @brief What an AArch64 Linux guest is told about its machine: a flattened device tree.
 *
 * Two steps. hv_arm64_fdt_describe() reads a VM's definition into a description: its RAM
 * regions (contiguous ones merged), its vCPUs, and the devices of this library it has on its
 * MMIO bus that a device tree can name (PL011, PL031, virtio-mmio), with the interrupt input
 * each is routed to. The caller adds what the VM does not say: the command line, the initrd,
 * devices passed through to the guest. hv_arm64_fdt_write() turns a description into a
 * device tree blob (version 17): memory, CPUs with PSCI, the GICv3 distributor and
 * redistributors, the architected timer, a fixed 24 MHz clock for the PrimeCell devices, the
 * devices, and /chosen with the command line, the initrd and stdout-path (the first PL011).
 * The writer uses libfdt (its sequential-write API), which a program linking the static
 * library must link too (pkg-config --static and the CMake package say so); a hosted build
 * made without libfdt has the writer answer @ref HV_ERR_UNSUPPORTED. The description needs
 * no libfdt, and the writer needs no VM, so host tools can make the same tree.
 * @{
 */
#ifndef HVLIB_DEVTREE_H
#define HVLIB_DEVTREE_H

#include "defs.h"
#include "status.h"
#include "irq.h"

HV_EXTERN_C_BEGIN

/** RAM ranges a description holds. */
#define HV_ARM64_FDT_MAX_RAM 8u
/** Devices a description holds. */
#define HV_ARM64_FDT_MAX_DEVS 16u

/** Devices a device tree can name. */
typedef enum hv_fdt_dev_kind {
	HV_FDT_DEV_PL011 = 1,       /**< "arm,pl011", "arm,primecell". */
	HV_FDT_DEV_PL031 = 2,       /**< "arm,pl031", "arm,primecell". */
	HV_FDT_DEV_VIRTIO_MMIO = 3, /**< "virtio,mmio", DMA-coherent. */
} hv_fdt_dev_kind_t;

/** One device node. */
typedef struct hv_fdt_dev {
	hv_fdt_dev_kind_t kind;   /**< What it is. */
	hv_gpa_t base;            /**< Its register window. */
	uint64_t size;            /**< The window's size. */
	uint32_t intid;           /**< Its SPI's INTID (32 and up), or 0 for none. */
	hv_irq_trigger_t trigger; /**< How that interrupt is triggered. */
} hv_fdt_dev_t;

/** One range of guest RAM. */
typedef struct hv_fdt_ram {
	hv_gpa_t base; /**< Guest-physical base. */
	uint64_t size; /**< Size in bytes. */
} hv_fdt_ram_t;

/** What a device tree says. Zero values select the defaults. */
typedef struct hv_arm64_fdt_desc {
	uint32_t struct_size; /**< sizeof(...), set by @ref HV_ARM64_FDT_DESC_INIT. */
	uint32_t vcpus;       /**< CPUs, 1 and up; vCPU i has MPIDR Aff0 = i % 16, Aff1 = i / 16. */
	uint32_t ram_count;   /**< Entries of @ref ram used, 1 and up. */
	hv_fdt_ram_t ram[HV_ARM64_FDT_MAX_RAM];  /**< Guest RAM. */
	uint32_t dev_count;                      /**< Entries of @ref dev used. */
	hv_fdt_dev_t dev[HV_ARM64_FDT_MAX_DEVS]; /**< Devices, in this order. */
	hv_gpa_t gicd_base;      /**< GICv3 distributor; 0: 0x08000000 (QEMU virt, aarch64-el2). */
	hv_gpa_t gicr_base;      /**< First redistributor, 128 KiB each; 0: 0x080A0000. */
	const char *psci_method; /**< "hvc" or "smc"; NULL: "hvc". */
	const char *bootargs;    /**< /chosen/bootargs; NULL: none. */
	hv_gpa_t initrd_gpa;     /**< Where the initrd is in guest memory. */
	uint64_t initrd_size;    /**< Its size; 0: no initrd. */
} hv_arm64_fdt_desc_t;

/** Initialiser for @ref hv_arm64_fdt_desc_t. */
#define HV_ARM64_FDT_DESC_INIT                             \
	{                                                  \
		.struct_size = sizeof(hv_arm64_fdt_desc_t) \
	}

/**
 * @brief Describe a VM for its device tree: RAM, vCPUs, devices with their interrupts.
 *
 * Fills @p desc's vcpus (one past the highest vCPU index created), ram (every RAM region,
 * adjacent ones merged) and dev (the VM's PL011, PL031 and virtio-mmio devices of this
 * library, by address; the interrupt is the input of the route the device was added with);
 * resets everything else to its default.
 * @param[in] vm The VM, not running.
 * @param[in,out] desc Its struct_size must be set (@ref HV_ARM64_FDT_DESC_INIT).
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments; @ref HV_ERR_ABI for an
 *         unknown struct size; @ref HV_ERR_UNSUPPORTED if the VM's guests are not AArch64;
 *         @ref HV_ERR_STATE if the VM is running; @ref HV_ERR_NOT_MAPPED if it has no RAM;
 *         @ref HV_ERR_NOT_FOUND if it has no vCPU; @ref HV_ERR_LIMIT if it has more RAM
 *         ranges or devices than a description holds.
 */
HV_API hv_status_t hv_arm64_fdt_describe(const hv_vm_t *vm, hv_arm64_fdt_desc_t *desc);

/**
 * @brief Write the device tree blob of a description.
 * @param[in] desc The description.
 * @param[out] buf Where to write it; may be NULL when @p size is 0.
 * @param[in] size Bytes available at @p buf.
 * @param[out] used Receives the blob's size, also when it did not fit.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL @p desc or @p used, NULL @p buf with a
 *         non-zero @p size, no vCPU or RAM, more entries than the arrays hold, a device kind
 *         not in @ref hv_fdt_dev_kind_t, an interrupt below 32 other than 0, or a
 *         psci_method other than "hvc" and "smc"; @ref HV_ERR_ABI for an unknown struct size;
 *         @ref HV_ERR_LIMIT if the blob is larger than @p size (nothing useful is written;
 *         call again with *used bytes); @ref HV_ERR_UNSUPPORTED if the library was built
 *         without libfdt, or libfdt refused the tree for a reason other than space.
 * @note The blob is made by libfdt in @p buf, which it may use whole while it works; give
 *       an 8-byte aligned @p buf if libfdt's readers are to read it in place.
 */
HV_API hv_status_t hv_arm64_fdt_write(const hv_arm64_fdt_desc_t *desc, void *buf, size_t size,
				      size_t *used);

HV_EXTERN_C_END

/** @} */
#endif /* HVLIB_DEVTREE_H */
