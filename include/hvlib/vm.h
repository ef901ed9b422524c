/* SPDX-License-Identifier: MIT */
/**
 * @file vm.h
 * @brief Virtual machines: configuration, life cycle and events.
 *
 * @defgroup vm Virtual machines
 * @brief Create a VM from a config, assemble it, start it, wait for it, destroy it.
 *
 * Life cycle: a VM is created in @ref HV_VM_CREATED, where its memory map, vCPUs, devices
 * and interrupt routes are defined. hv_vm_start() makes it @ref HV_VM_RUNNING. A stop
 * request (from the host, a device or the guest) makes it @ref HV_VM_STOPPED; a pause
 * request makes it @ref HV_VM_PAUSED. hv_vm_start() resumes a paused VM; hv_vm_reset()
 * returns a paused or stopped VM to its boot state.
 *
 * Threads: with a platform that has threads (the hosted one does), hv_vm_start() runs each
 * vCPU on its own thread and hv_vm_wait() waits for them. Without threads (bare metal), or
 * with @ref HV_VM_MANUAL_RUN, the caller runs each vCPU itself with hv_vcpu_run() or
 * hv_vcpu_run_once(), typically one physical core per vCPU.
 *
 * Several VMs may exist at once; calls on different VMs never block each other.
 * @{
 */
#ifndef HVLIB_VM_H
#define HVLIB_VM_H

#include "defs.h"
#include "status.h"
#include "exit.h"

HV_EXTERN_C_BEGIN

/** VM states. */
typedef enum hv_vm_state {
	HV_VM_CREATED = 0, /**< Being assembled; never run. */
	HV_VM_RUNNING = 1, /**< vCPUs may enter the guest. */
	HV_VM_PAUSED = 2,  /**< Stopped on request; can resume where it was. */
	HV_VM_STOPPED = 3, /**< Ended (shutdown, fault, stop request); can be reset. */
} hv_vm_state_t;

/** What happened, as reported to the host's event callback. */
typedef enum hv_event_type {
	HV_EVENT_VM_STOPPED = 1,     /**< The VM entered @ref HV_VM_STOPPED (any cause). */
	HV_EVENT_GUEST_SHUTDOWN = 2, /**< The guest powered itself off. */
	HV_EVENT_GUEST_RESET = 3,    /**< The guest asked for a reset. */
	HV_EVENT_UNHANDLED_EXIT = 4, /**< An exit no device or policy handled. */
	HV_EVENT_FAULT = 5,          /**< The guest faulted (triple fault, wild access, garbage). */
	HV_EVENT_VM_RESTARTED = 6,   /**< The library reset and restarted the VM per its policy. */
	HV_EVENT_VM_PAUSED = 7,      /**< The VM entered @ref HV_VM_PAUSED. */
	HV_EVENT_WATCHDOG = 8,       /**< A watchdog device expired: the guest is hung (see on_fault). */
} hv_event_type_t;

/** An event delivered to @ref hv_vm_config_t::on_event. */
typedef struct hv_event {
	hv_event_type_t type;   /**< What happened. */
	hv_vm_t *vm;            /**< The VM concerned. */
	uint32_t vcpu_index;    /**< The vCPU concerned, or UINT32_MAX for the whole VM. */
	const hv_exit_t *exit;  /**< The exit that caused it, or NULL; valid during the call. */
} hv_event_t;

/**
 * @brief Event callback.
 *
 * Called on the thread (or core) that observed the event, often a vCPU thread. It may call
 * hv_vm_stop(), hv_vm_pause(), hv_irq_line_*() and the guest memory accessors; it must not
 * call hv_vm_wait() or hv_vm_destroy() on the same VM.
 */
typedef void (*hv_event_fn)(void *user, const hv_event_t *event);

/** What the library does when the guest resets itself or faults. */
typedef enum hv_policy {
	HV_POLICY_STOP = 0,    /**< Stop the VM and report it (the default). */
	HV_POLICY_RESTART = 1, /**< Reset the VM to its boot state and start it again. */
} hv_policy_t;

/** What an access to an address with no memory and no device does. */
typedef enum hv_unmapped {
	HV_UNMAPPED_FAULT = 0,  /**< Stop the VM with @ref HV_FAULT_UNMAPPED (the default). */
	HV_UNMAPPED_IGNORE = 1, /**< Reads return all ones, writes are dropped (as on a PC bus). */
} hv_unmapped_t;

/** Never create library threads: the caller runs each vCPU with hv_vcpu_run(). */
#define HV_VM_MANUAL_RUN (1u << 0)

/** Configuration of a new VM. Zero values select the defaults. */
typedef struct hv_vm_config {
	uint32_t struct_size;          /**< sizeof(hv_vm_config_t), set by @ref HV_VM_CONFIG_INIT. */
	const char *name;              /**< For logs; copied. NULL gives "vm". */
	const hv_backend_t *backend;   /**< NULL: the first that works (hv_backend_probe()). */
	uint32_t flags;                /**< `HV_VM_*` flags. */
	hv_event_fn on_event;          /**< Optional event callback. */
	void *event_user;              /**< Passed to on_event and on_reset. */
	hv_policy_t on_guest_reset;    /**< When the guest resets itself. */
	hv_policy_t on_fault;          /**< When the guest faults or its watchdog expires. */
	uint32_t restart_limit;        /**< Automatic restarts allowed; 0 means unlimited. */
	hv_unmapped_t unmapped_mmio;   /**< Accesses to unbacked guest-physical addresses. */
	hv_unmapped_t unmapped_pio;    /**< Accesses to ports no device claims. */
	/**
	 * Optional: called during every reset, after vCPUs and devices are back in their boot
	 * state and before the VM runs again, so the host can reload images into guest memory.
	 * A status other than @ref HV_OK leaves the VM stopped.
	 */
	hv_status_t (*on_reset)(void *user, hv_vm_t *vm);
	/**
	 * Optional: time slices of this many microseconds, for hosts that run several vCPUs on
	 * one physical core (firmware scheduling VMs by priority). A vCPU then leaves the guest
	 * with @ref HV_EXIT_KICK when its slice ends, and as soon as it waits for an interrupt
	 * with nothing pending (its slice is given away); a slice goes on across other exits
	 * until one of these. 0: the backend's default: no slices where each vCPU has a core of
	 * its own (AArch64 EL2: a vCPU stays in the guest until an exit the backend cannot handle
	 * itself), slices of 2^21 TSC ticks on x86 VMX, which runs every vCPU on one core.
	 * Needs @ref HV_CAP_TIME_SLICE.
	 */
	uint32_t time_slice_us;
} hv_vm_config_t;

/** Initialiser for @ref hv_vm_config_t. */
#define HV_VM_CONFIG_INIT                                                                         \
	{                                                                                         \
		.struct_size = sizeof(hv_vm_config_t)                                             \
	}

/**
 * @brief Create a VM.
 * @param[in] config The configuration; read during the call only.
 * @param[out] vm Receives the new VM, in @ref HV_VM_CREATED.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments or out-of-range enum values;
 *         @ref HV_ERR_ABI for an unknown struct size; @ref HV_ERR_NO_BACKEND if the chosen
 *         backend (or every backend, when none is chosen) does not work here;
 *         @ref HV_ERR_NO_PLATFORM; @ref HV_ERR_NO_MEMORY; @ref HV_ERR_BACKEND if the
 *         hypervisor refused to create the VM; @ref HV_ERR_LIMIT if the backend allows no
 *         more VMs; @ref HV_ERR_UNSUPPORTED for time slices on a backend without
 *         @ref HV_CAP_TIME_SLICE.
 */
HV_API hv_status_t hv_vm_create(const hv_vm_config_t *config, hv_vm_t **vm);

/**
 * @brief Destroy a VM and everything it owns (vCPUs, regions, devices, lines).
 *
 * A running VM is stopped first and its vCPU threads are joined. Device destroy callbacks
 * run. Shared-memory objects mapped into it stay alive (they belong to the caller).
 * @param[in] vm The VM, or NULL (no-op).
 * @note Must not be called from the VM's own vCPU threads or event callback.
 */
HV_API void hv_vm_destroy(hv_vm_t *vm);

/**
 * @brief Start or resume a VM.
 *
 * From @ref HV_VM_CREATED or @ref HV_VM_PAUSED. Starts one thread per vCPU unless the
 * platform has no threads or the VM has @ref HV_VM_MANUAL_RUN.
 * @param[in] vm The VM.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG if @p vm is NULL; @ref HV_ERR_STATE if the VM is
 *         running or stopped (reset it first) or has no vCPU; @ref HV_ERR_BACKEND if the
 *         boot registers could not be recorded (first start); @ref HV_ERR_NO_MEMORY or
 *         @ref HV_ERR_BACKEND if a vCPU thread could not be started (the VM is then paused).
 */
HV_API hv_status_t hv_vm_start(hv_vm_t *vm);

/**
 * @brief Ask a running VM to pause. Returns at once; hv_vm_wait() waits for it.
 * @param[in] vm The VM.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG if @p vm is NULL; @ref HV_ERR_STATE if the VM is
 *         not running.
 * @note Callable from any thread, device callbacks and the event callback.
 */
HV_API hv_status_t hv_vm_pause(hv_vm_t *vm);

/**
 * @brief Ask a VM to stop for good (until reset). Returns at once.
 * @param[in] vm The VM.
 * @return @ref HV_OK (also when already stopped); @ref HV_ERR_INVALID_ARG if @p vm is NULL.
 * @note Callable from any thread, device callbacks and the event callback.
 */
HV_API hv_status_t hv_vm_stop(hv_vm_t *vm);

/**
 * @brief Wait until no vCPU thread of the VM runs any more.
 *
 * Returns when the VM is paused or stopped and its threads are joined. When the VM stopped
 * because the guest reset itself or faulted and the VM's policy is @ref HV_POLICY_RESTART,
 * this is where the restart happens: the VM is reset, restarted, and waiting goes on.
 * @param[in] vm The VM.
 * @param[out] state Optional: receives the final state.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG if @p vm is NULL; @ref HV_ERR_STATE if the VM was
 *         never started; a status of hv_vm_reset() or hv_vm_start() if a restart failed.
 * @note Must not be called from the VM's own vCPU threads or event callback.
 */
HV_API hv_status_t hv_vm_wait(hv_vm_t *vm, hv_vm_state_t *state);

/**
 * @brief Start a VM and wait for it: hv_vm_start() then hv_vm_wait().
 * @param[in] vm The VM.
 * @param[out] state Optional: receives the final state.
 * @return As hv_vm_start() and hv_vm_wait().
 */
HV_API hv_status_t hv_vm_run(hv_vm_t *vm, hv_vm_state_t *state);

/**
 * @brief Return a paused or stopped VM to its boot state.
 *
 * Every vCPU gets back the registers it had when the VM first started; every device's reset
 * callback runs; then the config's on_reset callback. The VM becomes @ref HV_VM_PAUSED, ready
 * for hv_vm_start(). Memory contents are left as they are (on_reset may reload them).
 * @param[in] vm The VM.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG if @p vm is NULL; @ref HV_ERR_STATE if the VM is
 *         running or its threads have not been waited for; @ref HV_ERR_BACKEND if a vCPU's
 *         state could not be restored; the status of on_reset if it failed.
 */
HV_API hv_status_t hv_vm_reset(hv_vm_t *vm);

/**
 * @brief The VM's current state.
 * @param[in] vm The VM, or NULL.
 * @return The state; @ref HV_VM_STOPPED for NULL.
 */
HV_API hv_vm_state_t hv_vm_get_state(const hv_vm_t *vm);

/** Why a VM stopped. */
typedef struct hv_stop_info {
	uint32_t struct_size;   /**< sizeof(hv_stop_info_t), set by @ref HV_STOP_INFO_INIT. */
	hv_event_type_t cause;  /**< What stopped it: guest shutdown, fault, watchdog, host... */
	uint32_t vcpu_index;    /**< The vCPU that caused it, or UINT32_MAX. */
	hv_exit_t exit;         /**< A copy of that vCPU's last exit (reason NONE if none). */
	uint32_t restarts;      /**< Automatic restarts performed so far. */
} hv_stop_info_t;

/** Initialiser for @ref hv_stop_info_t. */
#define HV_STOP_INFO_INIT                                                                         \
	{                                                                                         \
		.struct_size = sizeof(hv_stop_info_t)                                             \
	}

/**
 * @brief Read why the VM last stopped.
 * @param[in] vm The VM.
 * @param[in,out] info Initialised with @ref HV_STOP_INFO_INIT; filled on success.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments; @ref HV_ERR_ABI for an unknown
 *         struct size; @ref HV_ERR_STATE if the VM has not stopped since it was created or reset.
 */
HV_API hv_status_t hv_vm_get_stop_info(const hv_vm_t *vm, hv_stop_info_t *info);

/**
 * @brief The VM's name.
 * @param[in] vm The VM, or NULL.
 * @return The name given at creation; `"(null)"` for NULL.
 */
HV_API const char *hv_vm_name(const hv_vm_t *vm);

/**
 * @brief The backend running the VM.
 * @param[in] vm The VM, or NULL.
 * @return The backend; NULL for NULL.
 */
HV_API const hv_backend_t *hv_vm_backend(const hv_vm_t *vm);

/**
 * @brief Name a VM state.
 * @param[in] state Any value.
 * @return A static string such as `"running"`; `"?"` for unknown values.
 */
HV_API const char *hv_vm_state_str(hv_vm_state_t state);

/**
 * @brief Name an event type.
 * @param[in] type Any value.
 * @return A static string such as `"fault"`; `"?"` for unknown values.
 */
HV_API const char *hv_event_type_str(hv_event_type_t type);

HV_EXTERN_C_END

/** @} */
#endif /* HVLIB_VM_H */
