/* SPDX-License-Identifier: MIT */
/**
 * @file memory.h
 * @brief The guest-physical memory map: RAM, ROM, pass-through windows, shared memory.
 *
 * @defgroup memory Memory map
 * @brief Regions of guest-physical memory, checked like a board's address decoder.
 *
 * One map per VM holds memory regions and the MMIO windows of devices (see device.h). Two
 * things never answer at one address: a new range that overlaps anything already in the map
 * is refused with @ref HV_ERR_OVERLAP, a zero-length one with @ref HV_ERR_ZERO_SIZE, one that
 * wraps past the top of the address space with @ref HV_ERR_WRAP. Regions are page-granular
 * (4 KiB). The map can change only while the VM is not running.
 * @{
 */
#ifndef HVLIB_MEMORY_H
#define HVLIB_MEMORY_H

#include "defs.h"
#include "status.h"

HV_EXTERN_C_BEGIN

/** Granularity of memory regions. */
#define HV_PAGE_SIZE 4096u

/** Kinds of memory region. */
typedef enum hv_region_type {
	HV_REGION_RAM = 0,         /**< Read-write memory. */
	HV_REGION_ROM = 1,         /**< Read-only to the guest; the host may write it. */
	HV_REGION_PASSTHROUGH = 2, /**< Host memory or device memory the caller maps (e.g. a BAR). */
	HV_REGION_SHARED = 3,      /**< A @ref hv_shm_t mapped into this VM. */
} hv_region_type_t;

/** Region flag: the guest may only read (implied for ROM; optional for shared memory). */
#define HV_REGION_READONLY (1u << 0)

/** Definition of a memory region. */
typedef struct hv_region_config {
	uint32_t struct_size;   /**< sizeof(hv_region_config_t), set by @ref HV_REGION_CONFIG_INIT. */
	hv_region_type_t type;  /**< What the region is. */
	const char *name;       /**< For logs and dumps; copied. May be NULL. */
	hv_gpa_t gpa;           /**< Guest-physical base, page-aligned. */
	uint64_t size;          /**< Size in bytes, a non-zero multiple of @ref HV_PAGE_SIZE. */
	/**
	 * RAM and ROM: NULL to have the library allocate zeroed memory, or page-aligned memory
	 * the caller owns and keeps valid until the region is unmapped. PASSTHROUGH: required.
	 * SHARED: must be NULL (the memory comes from @ref shm).
	 */
	void *hva;
	hv_shm_t *shm;          /**< SHARED only: the object to map. */
	uint64_t shm_offset;    /**< SHARED only: page-aligned offset into the object. */
	uint32_t flags;         /**< `HV_REGION_*` flags. */
} hv_region_config_t;

/** Initialiser for @ref hv_region_config_t. */
#define HV_REGION_CONFIG_INIT                                                                     \
	{                                                                                         \
		.struct_size = sizeof(hv_region_config_t)                                         \
	}

/**
 * @brief Add a region to a VM's memory map.
 * @param[in] vm The VM, not running.
 * @param[in] config The definition; read during the call only.
 * @param[out] region Optional: receives the region handle (owned by the VM).
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments, an unknown type or flag, a
 *         missing PASSTHROUGH hva, a SHARED region without shm or with hva;
 *         @ref HV_ERR_ABI for an unknown struct size; @ref HV_ERR_STATE if the VM is running, or
 *         paused or stopped but not yet waited for (hv_vm_wait());
 *         @ref HV_ERR_ZERO_SIZE; @ref HV_ERR_WRAP; @ref HV_ERR_ALIGNMENT if gpa, size,
 *         hva or shm_offset is not page-aligned; @ref HV_ERR_RANGE if the region ends above
 *         what the backend can map, or a SHARED region runs past the end of its object;
 *         @ref HV_ERR_OVERLAP; @ref HV_ERR_LIMIT if the backend has no more slots;
 *         @ref HV_ERR_NO_MEMORY; @ref HV_ERR_BACKEND if the hypervisor refused the mapping.
 */
HV_API hv_status_t hv_vm_map_region(hv_vm_t *vm, const hv_region_config_t *config,
				    hv_region_t **region);

/**
 * @brief Remove a region from its VM's map; memory the library allocated is freed.
 * @param[in] region The region, or NULL (no-op, @ref HV_OK).
 * @return @ref HV_OK; @ref HV_ERR_STATE if its VM is running or not
 *         yet waited for; @ref HV_ERR_BACKEND if the
 *         hypervisor refused (the region then stays mapped).
 */
HV_API hv_status_t hv_vm_unmap_region(hv_region_t *region);

/**
 * @brief Find the region containing a guest-physical address.
 * @param[in] vm The VM.
 * @param[in] gpa The address.
 * @param[out] region Receives the region.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments; @ref HV_ERR_NOT_MAPPED if no
 *         memory region contains @p gpa (device windows are not memory).
 */
HV_API hv_status_t hv_vm_find_region(const hv_vm_t *vm, hv_gpa_t gpa, hv_region_t **region);

/** A region's guest-physical base. @param[in] region The region. @return Its base, 0 for NULL. */
HV_API hv_gpa_t hv_region_gpa(const hv_region_t *region);
/** A region's size. @param[in] region The region. @return Its size in bytes, 0 for NULL. */
HV_API uint64_t hv_region_size(const hv_region_t *region);
/**
 * @brief A region's host mapping.
 * @param[in] region The region.
 * @return Its host address, NULL for NULL.
 */
HV_API void *hv_region_hva(const hv_region_t *region);

/**
 * @brief Translate a guest-physical range to a host pointer.
 *
 * The whole range must lie inside one memory region. The pointer stays valid until that
 * region is unmapped.
 * @param[in] vm The VM.
 * @param[in] gpa Start of the range.
 * @param[in] size Length of the range; must be non-zero.
 * @param[out] hva Receives the host address of @p gpa.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments; @ref HV_ERR_ZERO_SIZE;
 *         @ref HV_ERR_WRAP; @ref HV_ERR_NOT_MAPPED if any byte is outside every memory
 *         region or the range spans two regions.
 * @note Callable from any thread, including device callbacks, while the map is not changing.
 */
HV_API hv_status_t hv_vm_gpa_to_hva(const hv_vm_t *vm, hv_gpa_t gpa, uint64_t size, void **hva);

/**
 * @brief Copy bytes out of guest memory (any region type, across adjacent regions).
 * @param[in] vm The VM.
 * @param[in] gpa Source guest-physical address.
 * @param[out] buf Destination.
 * @param[in] size Bytes to copy.
 * @return As hv_vm_gpa_to_hva(), except that adjacent regions may be spanned.
 */
HV_API hv_status_t hv_vm_read(const hv_vm_t *vm, hv_gpa_t gpa, void *buf, uint64_t size);

/**
 * @brief Copy bytes into guest memory. The host may write ROM; read-only SHARED mappings are
 *        refused (the memory belongs to another writer).
 * @param[in] vm The VM.
 * @param[in] gpa Destination guest-physical address.
 * @param[in] buf Source.
 * @param[in] size Bytes to copy.
 * @return As hv_vm_read(), and @ref HV_ERR_STATE for a read-only SHARED mapping.
 */
HV_API hv_status_t hv_vm_write(hv_vm_t *vm, hv_gpa_t gpa, const void *buf, uint64_t size);

/**
 * @brief Create memory that can be mapped into several VMs (see @ref HV_REGION_SHARED).
 * @param[in] size Size in bytes, a non-zero multiple of @ref HV_PAGE_SIZE.
 * @param[out] shm Receives the object; its memory is zeroed.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG if @p shm is NULL; @ref HV_ERR_ZERO_SIZE;
 *         @ref HV_ERR_ALIGNMENT; @ref HV_ERR_NO_MEMORY; @ref HV_ERR_NO_PLATFORM.
 */
HV_API hv_status_t hv_shm_create(uint64_t size, hv_shm_t **shm);

/**
 * @brief Destroy a shared-memory object.
 * @param[in] shm The object, or NULL (no-op, @ref HV_OK).
 * @return @ref HV_OK; @ref HV_ERR_BUSY if it is still mapped into a VM.
 */
HV_API hv_status_t hv_shm_destroy(hv_shm_t *shm);

/**
 * @brief Host address of a shared-memory object.
 * @param[in] shm The object.
 * @return Its memory, NULL for NULL.
 */
HV_API void *hv_shm_hva(const hv_shm_t *shm);
/** Size of a shared-memory object. @param[in] shm The object. @return Its size, 0 for NULL. */
HV_API uint64_t hv_shm_size(const hv_shm_t *shm);

HV_EXTERN_C_END

/** @} */
#endif /* HVLIB_MEMORY_H */
