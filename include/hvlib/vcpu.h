/* SPDX-License-Identifier: MIT */
/**
 * @file vcpu.h
 * @brief Virtual CPUs: creation, registers, running.
 *
 * @defgroup vcpu Virtual CPUs
 * @brief Registers by identifier, and two ways to run: one exit at a time, or a loop.
 *
 * Registers are named by 64-bit identifiers: the generic ones below work on every
 * architecture, the others are in regs_x86.h and regs_arm64.h. Registers can be read and
 * written while the vCPU is not inside hv_vcpu_run() or hv_vcpu_run_once(), from the thread
 * that runs it or, when it is not running, from any thread.
 * @{
 */
#ifndef HVLIB_VCPU_H
#define HVLIB_VCPU_H

#include "defs.h"
#include "status.h"
#include "exit.h"
#include "regs_x86.h"
#include "regs_arm64.h"

HV_EXTERN_C_BEGIN

/** A register identifier: generic, `HV_X86_*` or `HV_ARM64_*`. */
typedef uint64_t hv_reg_t;

/** Generic registers, mapped to the vCPU's architecture. */
enum {
	HV_REG_PC = 1,    /**< RIP or PC. */
	HV_REG_SP = 2,    /**< RSP or SP_EL1. */
	HV_REG_FLAGS = 3, /**< RFLAGS or PSTATE. */
};

/**
 * @brief Create a vCPU.
 * @param[in] vm The VM, in @ref HV_VM_CREATED.
 * @param[in] index The vCPU's index: 0 for the boot CPU, then 1, 2, ... (its APIC ID or MPIDR
 *                  affinity follows from it).
 * @param[out] vcpu Receives the vCPU (owned by the VM). It starts in its architecture's reset
 *                  state (x86: real mode at F000:FFF0; AArch64: EL1h, MMU off, PC 0).
 *                  The boot vCPU (index 0) runs when the VM starts. A secondary vCPU waits
 *                  for the architecture's start-up protocol (INIT/SIPI on x86, PSCI CPU_ON
 *                  on AArch64) unless the host sets its program counter before the VM starts:
 *                  then it runs from there too.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments; @ref HV_ERR_STATE if the VM
 *         has been started; @ref HV_ERR_LIMIT if @p index is at or above the backend's
 *         maximum; @ref HV_ERR_BUSY if that index exists; @ref HV_ERR_NO_MEMORY;
 *         @ref HV_ERR_BACKEND.
 */
HV_API hv_status_t hv_vcpu_create(hv_vm_t *vm, uint32_t index, hv_vcpu_t **vcpu);

/**
 * @brief Find a vCPU by index.
 * @param[in] vm The VM.
 * @param[in] index The index.
 * @return The vCPU, or NULL if there is none (or @p vm is NULL).
 */
HV_API hv_vcpu_t *hv_vcpu_get(const hv_vm_t *vm, uint32_t index);

/** A vCPU's index. @param[in] vcpu The vCPU. @return Its index, UINT32_MAX for NULL. */
HV_API uint32_t hv_vcpu_index(const hv_vcpu_t *vcpu);

/** The VM a vCPU belongs to. @param[in] vcpu The vCPU. @return Its VM, NULL for NULL. */
HV_API hv_vm_t *hv_vcpu_vm(const hv_vcpu_t *vcpu);

/**
 * @brief Read one register.
 * @param[in] vcpu The vCPU, not running.
 * @param[in] reg The register identifier.
 * @param[out] value Receives the value.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments; @ref HV_ERR_UNKNOWN_REG if
 *         the register does not exist on this architecture or backend; @ref HV_ERR_BUSY if
 *         the vCPU is inside a run call on another thread; @ref HV_ERR_BACKEND.
 */
HV_API hv_status_t hv_vcpu_get_reg(hv_vcpu_t *vcpu, hv_reg_t reg, uint64_t *value);

/**
 * @brief Write one register.
 * @param[in] vcpu The vCPU, not running.
 * @param[in] reg The register identifier.
 * @param[in] value The value.
 * @return As hv_vcpu_get_reg().
 */
HV_API hv_status_t hv_vcpu_set_reg(hv_vcpu_t *vcpu, hv_reg_t reg, uint64_t value);

/**
 * @brief Read several registers in one call (cheaper than one call each).
 * @param[in] vcpu The vCPU, not running.
 * @param[in] regs Identifiers.
 * @param[out] values Receives @p count values; written only on success.
 * @param[in] count Number of registers.
 * @return As hv_vcpu_get_reg(); @ref HV_ERR_INVALID_ARG also for a zero count;
 *         @ref HV_ERR_NO_MEMORY if more than 16 registers are asked for and the platform
 *         allocator fails.
 */
HV_API hv_status_t hv_vcpu_get_regs(hv_vcpu_t *vcpu, const hv_reg_t *regs, uint64_t *values,
				    size_t count);

/**
 * @brief Write several registers in one call. Nothing is written if any identifier is unknown,
 *        nor (on KVM, for batches of up to 32 registers) if the hypervisor refuses a value.
 * @param[in] vcpu The vCPU, not running.
 * @param[in] regs Identifiers.
 * @param[in] values Values.
 * @param[in] count Number of registers.
 * @return As hv_vcpu_get_regs().
 */
HV_API hv_status_t hv_vcpu_set_regs(hv_vcpu_t *vcpu, const hv_reg_t *regs,
				    const uint64_t *values, size_t count);

/**
 * @brief Enter the guest until the next exit and return it, without dispatching it.
 *
 * If the previous exit was a read (port or MMIO load), the value in that exit's data field
 * is delivered to the guest first. The caller may hand the exit to hv_vcpu_dispatch() or
 * handle it itself. A kick that arrived while the vCPU was outside the guest (for example
 * the one a pause or stop sends) makes the next call return @ref HV_EXIT_KICK at once:
 * simply run again.
 * @param[in] vcpu The vCPU of a running VM, not run by a library thread.
 * @param[out] exit Receives a pointer to the vCPU's exit, valid until it runs again.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments; @ref HV_ERR_STATE if the VM
 *         is not running; @ref HV_ERR_BUSY if a library thread or another caller is running
 *         this vCPU; @ref HV_ERR_BACKEND if the hypervisor failed (the VM is then stopped).
 */
HV_API hv_status_t hv_vcpu_run_once(hv_vcpu_t *vcpu, hv_exit_t **exit);

/**
 * @brief Handle an exit the way the run loop does: send I/O to the bus's device, apply the
 *        VM's policies to shutdown, reset and fault exits, and report events.
 * @param[in] vcpu The vCPU whose exit it is.
 * @param[in,out] exit The exit from hv_vcpu_run_once(); read data is written into it.
 * @return @ref HV_OK if the vCPU can run on; @ref HV_ERR_INVALID_ARG for NULL arguments;
 *         @ref HV_ERR_STATE if the exit stopped or paused the VM.
 */
HV_API hv_status_t hv_vcpu_dispatch(hv_vcpu_t *vcpu, hv_exit_t *exit);

/**
 * @brief Run a vCPU, dispatching every exit, until its VM is no longer running.
 *
 * This is what library threads do; firmware calls it on the core that owns the vCPU.
 * @param[in] vcpu The vCPU of a running VM.
 * @return @ref HV_OK when the VM paused or stopped; otherwise as hv_vcpu_run_once().
 */
HV_API hv_status_t hv_vcpu_run(hv_vcpu_t *vcpu);

/**
 * @brief Make a vCPU leave the guest soon, from any thread (its run returns @ref HV_EXIT_KICK).
 * @param[in] vcpu The vCPU.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG if @p vcpu is NULL.
 */
HV_API hv_status_t hv_vcpu_kick(hv_vcpu_t *vcpu);

HV_EXTERN_C_END

/** @} */
#endif /* HVLIB_VCPU_H */
