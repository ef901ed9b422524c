/* SPDX-License-Identifier: MIT */
/**
 * @file platform.h
 * @brief How hvlib reaches the outside world: allocation, logging, time, locks, threads.
 *
 * @defgroup platform Platform
 * @brief One ops table connects the library to its environment.
 *
 * The core and the bare-metal backends use no libc: everything they need from their
 * environment comes through @ref hv_platform_ops_t. The hosted build (Linux) installs its own
 * implementation automatically; firmware installs one with hv_platform_set() before creating
 * any VM. The table must stay valid until the last VM is destroyed.
 * @{
 */
#ifndef HVLIB_PLATFORM_H
#define HVLIB_PLATFORM_H

#include <stdarg.h>

#include "defs.h"
#include "status.h"

HV_EXTERN_C_BEGIN

/** Log levels, most severe first. Messages above the current level are not formatted. */
typedef enum hv_log_level {
	HV_LOG_NONE = 0,  /**< Nothing is logged. */
	HV_LOG_ERROR = 1, /**< Host-side failures. */
	HV_LOG_WARN = 2,  /**< Suspicious host-side conditions. */
	HV_LOG_INFO = 3,  /**< Life-cycle milestones. */
	HV_LOG_DEBUG = 4, /**< Everything a guest can trigger logs at this level or below it. */
	HV_LOG_TRACE = 5, /**< Every exit. */
} hv_log_level_t;

/** Version of @ref hv_platform_ops_t this header describes. */
#define HV_PLATFORM_OPS_VERSION 1

/**
 * @brief The platform ops table.
 *
 * Every callback receives @c ctx. All callbacks but the thread ones are mandatory and must
 * be callable from any vCPU context (any thread, or any physical core on bare metal).
 */
typedef struct hv_platform_ops {
	uint32_t struct_size; /**< sizeof(hv_platform_ops_t), set by @ref HV_PLATFORM_OPS_INIT. */
	uint32_t version;     /**< @ref HV_PLATFORM_OPS_VERSION. */
	void *ctx;            /**< Passed to every callback. */

	/** Allocate @p size bytes aligned to @p align (a power of two), or return NULL. */
	void *(*alloc)(void *ctx, size_t size, size_t align);
	/** Free what alloc() returned; @p size is the size that was asked for. */
	void (*free)(void *ctx, void *ptr, size_t size);
	/** Emit one formatted log line (no trailing newline). */
	void (*log)(void *ctx, hv_log_level_t level, const char *line);
	/** A monotonic clock in nanoseconds. */
	uint64_t (*time_ns)(void *ctx);
	/** An internal invariant failed: the library cannot continue. Must not return. */
	void (*panic)(void *ctx, const char *msg);

	/** Create a lock (a mutex or a spinlock); NULL on failure. */
	void *(*lock_create)(void *ctx);
	/** Destroy a lock made by lock_create(). */
	void (*lock_destroy)(void *ctx, void *lock);
	/** Acquire a lock. Locks are not recursive. */
	void (*lock_acquire)(void *ctx, void *lock);
	/** Release a lock. */
	void (*lock_release)(void *ctx, void *lock);

	/**
	 * Optional: start a thread running fn(arg); write a handle to @p thread.
	 * NULL on platforms without threads: the caller then runs each vCPU with hv_vcpu_run().
	 */
	hv_status_t (*thread_create)(void *ctx, void (*fn)(void *arg), void *arg, void **thread);
	/** Optional (with thread_create): wait for a thread to end and release its handle. */
	void (*thread_join)(void *ctx, void *thread);

	/**
	 * Optional: allocate @p size bytes of zeroed, page-aligned memory for guest RAM.
	 * NULL means alloc() with 4 KiB alignment followed by zeroing.
	 */
	void *(*ram_alloc)(void *ctx, size_t size);
	/** Optional (with ram_alloc): free memory from ram_alloc(). */
	void (*ram_free)(void *ctx, void *ptr, size_t size);

	/**
	 * Optional: wall-clock time in nanoseconds since 1970-01-01 UTC, for real-time-clock
	 * devices. NULL: they count from 0 at start-up.
	 */
	uint64_t (*realtime_ns)(void *ctx);
	/**
	 * Optional: create a one-shot timer that calls fn(arg) when it expires, from a context
	 * of the platform's choosing (a timer thread, an interrupt handler). NULL on failure.
	 * Devices that need time to pass without guest exits (a watchdog, a UART's pacing)
	 * are refused with @ref HV_ERR_UNSUPPORTED on platforms without timers.
	 */
	void *(*timer_create)(void *ctx, void (*fn)(void *arg), void *arg);
	/** With timer_create: (re)arm a timer to fire once at deadline_ns on the time_ns() clock. */
	void (*timer_arm)(void *ctx, void *timer, uint64_t deadline_ns);
	/**
	 * With timer_create: disarm a timer. On return it is not armed (even if its callback
	 * re-armed it meanwhile), its callback is not running (unless the call comes from that
	 * callback), and it will not run until the timer is armed again.
	 */
	void (*timer_cancel)(void *ctx, void *timer);
	/** With timer_create: cancel and free a timer. Never called from the timer's own callback. */
	void (*timer_destroy)(void *ctx, void *timer);
} hv_platform_ops_t;

/** Initialiser for @ref hv_platform_ops_t; sets the size and version fields. */
#define HV_PLATFORM_OPS_INIT                                                                      \
	{                                                                                         \
		.struct_size = sizeof(hv_platform_ops_t), .version = HV_PLATFORM_OPS_VERSION      \
	}

/**
 * @brief Install the platform ops used by every later call.
 * @param[in] ops The table; it must stay valid while any VM exists. NULL restores the hosted
 *                default in hosted builds.
 * @return @ref HV_OK;
 *         @ref HV_ERR_ABI if @p ops has an unknown size or version;
 *         @ref HV_ERR_INVALID_ARG if a mandatory callback is NULL, or only part of a group
 *         (thread_create/thread_join, ram_alloc/ram_free, the four timer callbacks) is set;
 *         @ref HV_ERR_NO_PLATFORM if @p ops is NULL in a freestanding build;
 *         @ref HV_ERR_BUSY if any VM or shared-memory object exists.
 * @note Not thread-safe: call it once, at start-up.
 */
HV_API hv_status_t hv_platform_set(const hv_platform_ops_t *ops);

/**
 * @brief The hosted platform (libc, POSIX threads, mmap), when the library was built with it.
 * @return The table, or NULL in freestanding builds.
 */
HV_API const hv_platform_ops_t *hv_platform_hosted(void);

/**
 * @brief Set the most verbose level that is logged. The default is @ref HV_LOG_WARN.
 * @param[in] level A level; values above @ref HV_LOG_TRACE are clamped to it.
 * @note Thread-safe; takes effect for messages formatted after the call.
 */
HV_API void hv_log_set_level(hv_log_level_t level);

/**
 * @brief The current log level.
 * @return The level set by hv_log_set_level().
 */
HV_API hv_log_level_t hv_log_get_level(void);

HV_EXTERN_C_END

/** @} */
#endif /* HVLIB_PLATFORM_H */
