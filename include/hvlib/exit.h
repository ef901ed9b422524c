/* SPDX-License-Identifier: MIT */
/**
 * @file exit.h
 * @brief The normalised exit: why a vCPU left the guest, the same on every backend.
 *
 * @defgroup exit Exits
 * @brief Each backend turns its hardware's exit into one @ref hv_exit_t.
 *
 * An exit is owned by its vCPU and stays valid until that vCPU runs again.
 * @{
 */
#ifndef HVLIB_EXIT_H
#define HVLIB_EXIT_H

#include "defs.h"

HV_EXTERN_C_BEGIN

/** Why the vCPU stopped running guest code. Values are pinned. */
typedef enum hv_exit_reason {
	HV_EXIT_NONE = 0,      /**< No exit yet. */
	HV_EXIT_IO = 1,        /**< Port I/O (x86): see hv_exit_t::io. */
	HV_EXIT_MMIO = 2,      /**< Access to guest-physical memory not backed by RAM. */
	HV_EXIT_HALT = 3,      /**< HLT/WFI with nothing pending (backends without irqchip). */
	HV_EXIT_SHUTDOWN = 4,  /**< The guest asked to power off (e.g. PSCI SYSTEM_OFF). */
	HV_EXIT_RESET = 5,     /**< The guest asked to reset the machine. */
	HV_EXIT_FAULT = 6,     /**< The guest cannot continue: see hv_exit_t::fault. */
	HV_EXIT_KICK = 7,      /**< The host interrupted the vCPU (pause, stop, kick). */
	HV_EXIT_HYPERCALL = 8, /**< VMCALL/HVC/SMC not handled by the backend. */
	HV_EXIT_UNKNOWN = 9,   /**< Anything else; hv_exit_t::hw_reason holds the raw code. */
} hv_exit_reason_t;

/** What kind of fault ended guest execution. */
typedef enum hv_fault_kind {
	HV_FAULT_NONE = 0,       /**< Not a fault. */
	HV_FAULT_TRIPLE = 1,     /**< x86 triple fault (or AArch64 equivalent: fault in a handler). */
	HV_FAULT_UNMAPPED = 2,   /**< Access to an address with no memory and no device. */
	HV_FAULT_EMULATION = 3,  /**< An instruction the hypervisor could not emulate. */
	HV_FAULT_ENTRY = 4,      /**< The backend refused to enter the guest (invalid state). */
	HV_FAULT_INTERNAL = 5,   /**< The hypervisor underneath reported an internal error. */
} hv_fault_kind_t;

/** A normalised exit. */
typedef struct hv_exit {
	hv_exit_reason_t reason; /**< Which member of the union is valid. */
	uint32_t vcpu_index;     /**< Index of the vCPU that exited. */
	uint64_t hw_reason;      /**< The backend's raw exit code, for diagnostics. */
	uint64_t pc;             /**< Guest program counter at the exit, when known (else 0). */
	union {
		/** @ref HV_EXIT_IO. */
		struct {
			uint16_t port;     /**< First port. */
			uint8_t width;     /**< 1, 2 or 4 bytes. */
			uint8_t is_write;  /**< 1 for OUT, 0 for IN. */
			uint32_t count;    /**< Repetitions (string I/O); 1 for plain IN/OUT. */
			uint64_t data;     /**< Value written, or to be read, when count is 1. */
			uint8_t *buf;      /**< count * width bytes when count > 1, else NULL. */
		} io;
		/** @ref HV_EXIT_MMIO. */
		struct {
			hv_gpa_t gpa;      /**< Address accessed. */
			uint8_t width;     /**< 1, 2, 4 or 8 bytes. */
			uint8_t is_write;  /**< 1 for a store, 0 for a load. */
			uint64_t data;     /**< Value stored, or to be loaded (set it before the next run). */
		} mmio;
		/** @ref HV_EXIT_FAULT. */
		struct {
			hv_fault_kind_t kind; /**< What went wrong. */
			hv_gpa_t gpa;         /**< Faulting guest-physical address, when known. */
			uint64_t detail;      /**< Backend-specific detail (suberror, syndrome). */
		} fault;
		/** @ref HV_EXIT_HYPERCALL. */
		struct {
			uint64_t nr;      /**< Call number (RAX, or X0). */
			uint64_t args[6]; /**< Arguments. */
			uint64_t ret;     /**< Value to return to the guest (set it before the next run). */
		} hypercall;
	} u; /**< Reason-specific detail. */
} hv_exit_t;

/**
 * @brief Name an exit reason.
 * @param[in] reason Any value.
 * @return A static string such as `"MMIO"`; `"?"` for unknown values.
 */
HV_API const char *hv_exit_reason_str(hv_exit_reason_t reason);

/**
 * @brief Name a fault kind.
 * @param[in] kind Any value.
 * @return A static string such as `"triple fault"`; `"?"` for unknown values.
 */
HV_API const char *hv_fault_kind_str(hv_fault_kind_t kind);

HV_EXTERN_C_END

/** @} */
#endif /* HVLIB_EXIT_H */
