/* SPDX-License-Identifier: MIT */
/**
 * @file loader.h
 * @brief Guest image loaders: Linux on x86 (bzImage, PVH vmlinux), the arm64 Linux Image,
 *        plain ELF, raw images.
 *
 * @defgroup loader Image loaders
 * @brief Put a guest image into a VM's memory and set its boot vCPU up to start it.
 *
 * Images are treated as hostile: every header field and size the loaders read is checked
 * against the image's size and against the VM's memory map before any byte is written. A
 * truncated or inconsistent image gives @ref HV_ERR_BAD_IMAGE; a loader never reads outside
 * the image nor writes outside the VM's memory regions. The loaders only copy: the images
 * stay the caller's, and may be freed once the call returns.
 *
 * Two statuses say that an image does not fit the VM:
 * - @ref HV_ERR_NOT_MAPPED when something must go at a guest-physical address that is fixed (by
 *   the image, like an ELF segment or the kernel's load address and the memory it needs while
 *   it starts, or by the boot protocol, like the loader's structures below 0x30000), and that
 *   range is not entirely inside RAM (ROM too, for hv_elf_load() and hv_raw_load()).
 * - @ref HV_ERR_RANGE when something the loader places itself does not fit: the command line is
 *   longer than the kernel accepts, the initrd finds no room in RAM below its limit, or a
 *   loaded piece would overlap another (an ELF segment over the loader's structures).
 *
 * The loaders may be called while the VM is not running (before its first start, or from its
 * `on_reset` hook, or while paused or stopped), from one thread at a time per VM.
 * @{
 */
#ifndef HVLIB_LOADER_H
#define HVLIB_LOADER_H

#include "defs.h"
#include "status.h"

HV_EXTERN_C_BEGIN

/** Linux on x86: what to load and how to start it. */
typedef struct hv_linux_config {
	uint32_t struct_size; /**< sizeof(hv_linux_config_t), set by @ref HV_LINUX_CONFIG_INIT. */
	/**
	 * A bzImage (boot protocol 2.06 or later, with the 64-bit entry: XLF_KERNEL_64), or an
	 * uncompressed vmlinux ELF with a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY, 18).
	 */
	const void *kernel;
	size_t kernel_size;  /**< Bytes at @ref kernel. */
	const void *initrd;  /**< Optional initial RAM disk; NULL for none. */
	size_t initrd_size;  /**< Bytes at @ref initrd; 0 for none. */
	/**
	 * Optional NUL-terminated command line, copied into guest memory. A bzImage limits its
	 * length to the header's cmdline_size; a PVH kernel to 65535 bytes.
	 */
	const char *cmdline;
	uint32_t vcpu_index; /**< The boot vCPU, 0 by default. */
} hv_linux_config_t;

/** Initialiser for @ref hv_linux_config_t. */
#define HV_LINUX_CONFIG_INIT { .struct_size = sizeof(hv_linux_config_t) }

/** Where hv_linux_load() put things. */
typedef struct hv_linux_info {
	uint32_t struct_size;     /**< sizeof(hv_linux_info_t), set by @ref HV_LINUX_INFO_INIT. */
	bool pvh;                 /**< Entered through PVH (vmlinux), not the 64-bit boot protocol. */
	uint16_t boot_protocol;   /**< The bzImage's protocol version, e.g. 0x020f; 0 for PVH. */
	hv_gpa_t kernel_gpa;      /**< Where the kernel was loaded (its lowest segment for PVH). */
	/**
	 * One past the last byte the kernel occupies: for a bzImage its load address plus the
	 * larger of its size and init_size (the memory it needs while it decompresses).
	 */
	hv_gpa_t kernel_end;
	hv_gpa_t initrd_gpa;      /**< Where the initrd went; 0 without one. */
	uint64_t initrd_size;     /**< Its size; 0 without one. */
	hv_gpa_t boot_params_gpa; /**< The zero page (bzImage) or hvm_start_info (PVH). */
	hv_gpa_t cmdline_gpa;     /**< The command line (an empty one when none was given). */
	hv_gpa_t entry;           /**< The boot vCPU's first instruction. */
} hv_linux_info_t;

/** Initialiser for @ref hv_linux_info_t. */
#define HV_LINUX_INFO_INIT { .struct_size = sizeof(hv_linux_info_t) }

/**
 * @brief Load Linux into an x86 VM and set its boot vCPU up to start it.
 *
 * A bzImage's protected-mode kernel goes to its preferred address (pref_address) when it is
 * relocatable and the memory it needs there (init_size) is RAM below 4 GiB, else to 1 MiB.
 * The boot vCPU starts at the 64-bit entry (load address + 0x200) as the kernel's
 * Documentation/x86/boot.rst describes: long mode, 2 MiB pages identity-mapping the first
 * 4 GiB, flat __BOOT_CS (0x10) and __BOOT_DS (0x18), interrupts disabled, RSI pointing to the
 * zero page. A vmlinux ELF's segments go to their physical addresses and the vCPU starts at
 * its PVH entry in 32-bit protected mode without paging, EBX pointing to an hvm_start_info
 * (version 1, with the memory map; rsdp_paddr is 0: the guest looks for ACPI tables itself).
 *
 * The loader's structures live in low RAM: the GDT at 0x500, the zero page or hvm_start_info
 * at 0x7000 (with PVH's module list and memory map after it), a small stack up to 0x9000,
 * page tables at 0x9000-0xEFFF (bzImage), the command line at 0x20000. The initrd goes as
 * high as possible below min(initrd_addr_max, 4 GiB), page-aligned, above 1 MiB and clear of
 * the kernel. The memory map the guest receives (e820) is the VM's: RAM regions are usable,
 * other memory regions (ROM, pass-through, shared) reserved, adjacent entries of one type
 * merged; when RAM covers 0x9FC00-0x9FFFF, [0x9FC00, 0x100000) is reported reserved as on a
 * PC. Device windows are left out (holes).
 *
 * @param[in] vm The VM (x86-64), not running, with its RAM mapped and the boot vCPU created.
 * @param[in] config What to load; read during the call only.
 * @param[out] info Optional: receives where things went.
 * @return @ref HV_OK;
 *         @ref HV_ERR_INVALID_ARG for a NULL @p vm, @p config or kernel, or an initrd size
 *         without an initrd;
 *         @ref HV_ERR_ABI for an unknown struct size of @p config or @p info;
 *         @ref HV_ERR_STATE if the VM is running (or not yet waited for);
 *         @ref HV_ERR_NOT_FOUND if the VM has no vCPU @ref hv_linux_config_t::vcpu_index;
 *         @ref HV_ERR_UNSUPPORTED if the VM is not x86-64, or the kernel is well-formed but
 *         cannot be started this way (boot protocol older than 2.06, no 64-bit entry, a
 *         big-endian or non-x86 ELF);
 *         @ref HV_ERR_BAD_IMAGE if the kernel is neither a bzImage nor an ELF with a PVH
 *         note, or is truncated or inconsistent;
 *         @ref HV_ERR_NOT_MAPPED if the kernel's memory (below 4 GiB) or the loader's
 *         structures are not RAM; @ref HV_ERR_RANGE if the command line is too long, the
 *         initrd does not fit, or a kernel segment overlaps the loader's structures;
 *         @ref HV_ERR_LIMIT if the memory map needs more than 128 e820 entries;
 *         @ref HV_ERR_NO_MEMORY; @ref HV_ERR_UNKNOWN_REG or @ref HV_ERR_BACKEND if the
 *         backend refused the registers (guest memory has then been written).
 * @note Nothing is written to guest memory unless every check passed.
 */
HV_API hv_status_t hv_linux_load(hv_vm_t *vm, const hv_linux_config_t *config,
				 hv_linux_info_t *info);

/**
 * @brief Load a plain ELF32 or ELF64 image: PT_LOAD segments are copied to their physical
 *        addresses (p_paddr) and the rest of each segment's memory size zeroed.
 *
 * The image must be little-endian, ET_EXEC or ET_DYN, for the VM's architecture (EM_X86_64 or
 * EM_386 on x86-64, EM_AARCH64 on AArch64). Registers are not touched.
 * @param[in] vm The VM, not running.
 * @param[in] image The image; read during the call only.
 * @param[in] size Bytes at @p image.
 * @param[out] entry Optional: receives the entry point as a physical address: e_entry
 *                   translated through the PT_LOAD segment whose virtual range contains it
 *                   (p_vaddr to p_paddr), or e_entry itself when none does.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for a NULL @p vm or @p image;
 *         @ref HV_ERR_STATE if the VM is running (or not yet waited for);
 *         @ref HV_ERR_UNSUPPORTED for a big-endian ELF or one for another architecture;
 *         @ref HV_ERR_BAD_IMAGE if it is not an ELF image, is truncated or inconsistent
 *         (program headers or segments beyond the image, a memory size below the file size,
 *         a segment wrapping the address space, no loadable segment);
 *         @ref HV_ERR_NOT_MAPPED if a segment is not entirely inside RAM or ROM.
 * @note Nothing is written to guest memory unless every segment passed the checks.
 */
HV_API hv_status_t hv_elf_load(hv_vm_t *vm, const void *image, size_t size, hv_gpa_t *entry);

/**
 * @brief Copy a raw image to a guest-physical address.
 * @param[in] vm The VM, not running.
 * @param[in] image The bytes; read during the call only.
 * @param[in] size Their number.
 * @param[in] gpa Where they go.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for a NULL @p vm or @p image;
 *         @ref HV_ERR_STATE if the VM is running (or not yet waited for);
 *         @ref HV_ERR_BAD_IMAGE for an empty image;
 *         @ref HV_ERR_NOT_MAPPED if [gpa, gpa + size) is not entirely inside RAM or ROM
 *         (adjacent regions may be spanned), or wraps the address space.
 */
HV_API hv_status_t hv_raw_load(hv_vm_t *vm, const void *image, size_t size, hv_gpa_t gpa);

/**
 * @brief Load an arm64 Linux `Image` (the kernel's Documentation/arm64/booting.rst) into an
 *        AArch64 VM: the file goes text_offset bytes (from its header) above @p base, and the
 *        whole memory the kernel needs there (the header's image_size, its BSS included) must
 *        be RAM. Registers are not touched: start the boot vCPU at @p entry with x0 holding the
 *        guest-physical address of its device tree, x1-x3 zero, at EL1 with the MMU off.
 * @param[in] vm The VM (AArch64), not running.
 * @param[in] image The Image (not compressed); read during the call only.
 * @param[in] size Bytes at @p image.
 * @param[in] base A 2 MiB-aligned guest-physical address, normally in the VM's lowest RAM.
 * @param[out] entry Optional: receives the kernel's first instruction (base + text_offset).
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for a NULL @p vm or @p image;
 *         @ref HV_ERR_STATE if the VM is running (or not yet waited for);
 *         @ref HV_ERR_UNSUPPORTED if the VM is not AArch64 or the kernel big-endian;
 *         @ref HV_ERR_ALIGNMENT if @p base is not 2 MiB-aligned;
 *         @ref HV_ERR_BAD_IMAGE if the header is missing (shorter than 64 bytes, no "ARM\x64"
 *         magic) or inconsistent (an image_size below the file's size, a text_offset of 1 GiB
 *         or more);
 *         @ref HV_ERR_NOT_MAPPED if the kernel's memory is not entirely inside RAM.
 * @note Nothing is written to guest memory unless every check passed.
 */
HV_API hv_status_t hv_arm64_image_load(hv_vm_t *vm, const void *image, size_t size,
				       hv_gpa_t base, hv_gpa_t *entry);

/**
 * @brief Hosted builds: read a whole file into memory (for images).
 * @param[in] path The file's path.
 * @param[out] data Receives the contents (never NULL on success, even for an empty file);
 *                  free it with hv_file_free().
 * @param[out] size Receives the number of bytes.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments;
 *         @ref HV_ERR_NOT_FOUND if the file cannot be opened or is not a regular file;
 *         @ref HV_ERR_NO_MEMORY; @ref HV_ERR_BACKEND if reading it failed;
 *         @ref HV_ERR_UNSUPPORTED in freestanding builds.
 * @note Callable from any thread.
 */
HV_API hv_status_t hv_file_read(const char *path, void **data, size_t *size);

/**
 * @brief Free what hv_file_read() returned.
 * @param[in] data The contents, or NULL (no-op).
 * @param[in] size The size hv_file_read() gave.
 */
HV_API void hv_file_free(void *data, size_t size);

HV_EXTERN_C_END

/** @} */
#endif /* HVLIB_LOADER_H */
