/* SPDX-License-Identifier: MIT */
/**
 * @file hostdev.h
 * @brief The host side of devices: byte streams, block storage, network links.
 *
 * @defgroup hostdev Host backends of devices
 * @brief What a device model talks to on the host, kept small so the same device code runs
 *        in a Linux process (files, TAP) and in firmware (memory buffers, a UART, a switch).
 *
 * A device given a host backend owns it from a successful add on: the backend's destroy
 * callback runs when the device is removed or its VM destroyed. When the add fails, the
 * caller still owns it. The implementations here marked "hosted" exist only in hosted builds
 * (they return @ref HV_ERR_UNSUPPORTED in freestanding ones).
 * @{
 */
#ifndef HVLIB_HOSTDEV_H
#define HVLIB_HOSTDEV_H

#include "defs.h"
#include "status.h"

HV_EXTERN_C_BEGIN

/* ---- byte streams ----------------------------------------------------------------------- */

/** Version of @ref hv_chardev_ops_t. */
#define HV_CHARDEV_OPS_VERSION 1

/** Where a serial device's output goes. Input goes the other way, with hv_serial_input(). */
typedef struct hv_chardev_ops {
	uint32_t struct_size; /**< sizeof(hv_chardev_ops_t). */
	uint32_t version;     /**< @ref HV_CHARDEV_OPS_VERSION. */
	/**
	 * Bytes the guest sent. Return how many were taken; fewer than @p len is back-pressure
	 * (the device keeps the rest and offers it again). Called on vCPU threads, and on the
	 * platform's timer context when the device retries held output. Mandatory.
	 */
	size_t (*write)(void *ctx, const uint8_t *buf, size_t len);
	/** Optional: release ctx. */
	void (*destroy)(void *ctx);
} hv_chardev_ops_t;

/** A byte stream: ops and their context. A zero value (NULL ops) discards output. */
typedef struct hv_chardev {
	const hv_chardev_ops_t *ops; /**< The callbacks, or NULL. */
	void *ctx;                   /**< Passed to every callback. */
} hv_chardev_t;

/**
 * @brief Hosted: a byte stream writing to a file descriptor (for example 1, standard output).
 * @param[in] fd The descriptor; not closed by the stream.
 * @param[out] out Receives the stream.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG if @p out is NULL or @p fd negative;
 *         @ref HV_ERR_NO_MEMORY; @ref HV_ERR_UNSUPPORTED in freestanding builds.
 */
HV_API hv_status_t hv_chardev_fd(int fd, hv_chardev_t *out);

/**
 * @brief Give bytes to a serial device's receiver (16550, PL011, virtio-console).
 * @param[in] device A serial device from this library.
 * @param[in] buf The bytes.
 * @param[in] len How many.
 * @param[out] accepted Optional: receives how many the device took (its FIFO or the guest's
 *                      buffers may be full; offer the rest later).
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for a NULL device, or NULL @p buf with a non-zero
 *         @p len; @ref HV_ERR_UNSUPPORTED if the device is not a serial device.
 * @note Callable from any thread.
 */
HV_API hv_status_t hv_serial_input(hv_device_t *device, const void *buf, size_t len,
				   size_t *accepted);

/* ---- block storage ---------------------------------------------------------------------- */

/** Version of @ref hv_blockdev_ops_t. */
#define HV_BLOCKDEV_OPS_VERSION 1

/** Storage behind a disk device. Offsets and lengths are in bytes, checked by the device. */
typedef struct hv_blockdev_ops {
	uint32_t struct_size; /**< sizeof(hv_blockdev_ops_t). */
	uint32_t version;     /**< @ref HV_BLOCKDEV_OPS_VERSION. */
	/** Read @p len bytes at @p offset. Mandatory. */
	hv_status_t (*read)(void *ctx, uint64_t offset, void *buf, size_t len);
	/** Write @p len bytes at @p offset. NULL for read-only storage. */
	hv_status_t (*write)(void *ctx, uint64_t offset, const void *buf, size_t len);
	/** Optional: make completed writes durable. */
	hv_status_t (*flush)(void *ctx);
	/** Optional: the range's contents are no longer needed (reads may then return zeros). */
	hv_status_t (*discard)(void *ctx, uint64_t offset, uint64_t len);
	/** Optional: release ctx. */
	void (*destroy)(void *ctx);
} hv_blockdev_ops_t;

/** Block storage: ops, context and geometry. */
typedef struct hv_blockdev {
	const hv_blockdev_ops_t *ops; /**< The callbacks. */
	void *ctx;                    /**< Passed to every callback. */
	uint64_t size;                /**< Capacity in bytes, a multiple of 512. */
	bool read_only;               /**< Writes are refused (also when ops->write is NULL). */
} hv_blockdev_t;

/**
 * @brief Block storage in memory the caller owns (for firmware and tests).
 * @param[in] buf The memory; it must outlive the device using it.
 * @param[in] size Its size, a non-zero multiple of 512.
 * @param[in] read_only Refuse writes.
 * @param[out] out Receives the storage.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL @p buf or @p out;
 *         @ref HV_ERR_ZERO_SIZE; @ref HV_ERR_ALIGNMENT if @p size is not a multiple of 512.
 */
HV_API hv_status_t hv_blockdev_memory(void *buf, uint64_t size, bool read_only,
				      hv_blockdev_t *out);

/**
 * @brief Hosted: block storage in an image file (flush is fsync, discard punches holes).
 * @param[in] path The image; its size must be a non-zero multiple of 512.
 * @param[in] read_only Open it read-only and refuse writes.
 * @param[out] out Receives the storage; its destroy closes the file.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments; @ref HV_ERR_NOT_FOUND if the
 *         file cannot be opened; @ref HV_ERR_ZERO_SIZE; @ref HV_ERR_ALIGNMENT;
 *         @ref HV_ERR_NO_MEMORY; @ref HV_ERR_UNSUPPORTED in freestanding builds.
 */
HV_API hv_status_t hv_blockdev_file(const char *path, bool read_only, hv_blockdev_t *out);

/* ---- network links ------------------------------------------------------------------------ */

/** Version of @ref hv_netdev_ops_t. */
#define HV_NETDEV_OPS_VERSION 1

/** Receives frames for a network device; callable from any thread. */
typedef void (*hv_net_rx_fn)(void *rx_ctx, const void *frame, size_t len);

/**
 * The link behind a network device: Ethernet frames both ways.
 *
 * Locking rule, which keeps two VMs sending to each other from deadlocking: the device calls
 * send() without holding any device lock; an rx callback takes only its own device's lock and
 * never calls send() on the same link or switch from inside the callback.
 */
typedef struct hv_netdev_ops {
	uint32_t struct_size; /**< sizeof(hv_netdev_ops_t). */
	uint32_t version;     /**< @ref HV_NETDEV_OPS_VERSION. */
	/**
	 * The device connects: from now on, frames for it go to rx(rx_ctx, ...). Called once,
	 * when the device is added. Mandatory.
	 */
	void (*attach)(void *ctx, hv_net_rx_fn rx, void *rx_ctx);
	/** A frame from the guest (without any virtio header). Mandatory. */
	void (*send)(void *ctx, const void *frame, size_t len);
	/** Optional: disconnect (no rx call after it returns) and release ctx. */
	void (*destroy)(void *ctx);
} hv_netdev_ops_t;

/** A network link: ops and their context. */
typedef struct hv_netdev {
	const hv_netdev_ops_t *ops; /**< The callbacks. */
	void *ctx;                  /**< Passed to every callback. */
} hv_netdev_t;

/** An Ethernet switch inside the library, connecting VMs (opaque; owned by the caller). */
typedef struct hv_switch hv_switch_t;

/**
 * @brief Create a learning Ethernet switch: frames go to the port that last sent from their
 *        destination address, broadcast and unknown destinations to every other port.
 * @param[out] sw Receives the switch.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG if @p sw is NULL; @ref HV_ERR_NO_MEMORY;
 *         @ref HV_ERR_NO_PLATFORM.
 */
HV_API hv_status_t hv_switch_create(hv_switch_t **sw);

/**
 * @brief A new port of the switch, to give to a network device.
 * @param[in] sw The switch.
 * @param[out] port Receives the link; the device that takes it owns the port.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments; @ref HV_ERR_LIMIT past 64
 *         ports; @ref HV_ERR_NO_MEMORY.
 */
HV_API hv_status_t hv_switch_port(hv_switch_t *sw, hv_netdev_t *port);

/**
 * @brief Destroy a switch.
 * @param[in] sw The switch, or NULL (no-op, @ref HV_OK).
 * @return @ref HV_OK; @ref HV_ERR_BUSY while a device still holds one of its ports.
 */
HV_API hv_status_t hv_switch_destroy(hv_switch_t *sw);

/**
 * @brief Hosted: a link to a Linux TAP interface (created if it does not exist).
 * @param[in] ifname The interface name, e.g. "tap0".
 * @param[out] out Receives the link; a thread reads the interface while a device holds it.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments or a name too long;
 *         @ref HV_ERR_BACKEND if the interface cannot be opened (no /dev/net/tun, no
 *         permission); @ref HV_ERR_NO_MEMORY; @ref HV_ERR_UNSUPPORTED in freestanding builds.
 */
HV_API hv_status_t hv_netdev_tap(const char *ifname, hv_netdev_t *out);

/* ---- entropy ------------------------------------------------------------------------------ */

/** A source of random bytes: fill @p buf, return @ref HV_OK or a failure. */
typedef hv_status_t (*hv_entropy_fn)(void *ctx, void *buf, size_t len);

HV_EXTERN_C_END

/** @} */
#endif /* HVLIB_HOSTDEV_H */
