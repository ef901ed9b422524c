/* SPDX-License-Identifier: MIT */
/**
 * @file devices.h
 * @brief The device library: emulated hardware and VIRTIO devices, one call each.
 *
 * @defgroup devices Device library
 * @brief Real devices speaking their real specifications, the same code on every backend.
 *
 * Each `hv_*_add()` call takes the device's configuration (where it answers, the interrupt
 * input its line drives, its host backend) and checks it against the rest of the VM: its
 * window must not overlap memory or another device (@ref HV_ERR_OVERLAP) and its interrupt
 * input must be free (@ref HV_ERR_BUSY). On success the VM owns the device and its host
 * backend; on failure nothing was added and the caller still owns the backend.
 *
 * Devices treat everything the guest writes as hostile: registers of any width at any
 * offset, descriptor indices, lengths, addresses, loops in descriptor chains, feature
 * negotiation out of order. Such accesses are ignored (or put a VIRTIO device in
 * NEEDS_RESET) and logged at debug level only; they never touch host memory outside the
 * guest's RAM.
 *
 * Common return values of every add call: @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL
 * arguments or invalid fields; @ref HV_ERR_ABI for an unknown struct size; @ref HV_ERR_STATE if
 * the VM is running (or not yet waited for); @ref HV_ERR_OVERLAP, @ref HV_ERR_WRAP,
 * @ref HV_ERR_RANGE for the window;
 * @ref HV_ERR_BUSY, @ref HV_ERR_RANGE or @ref HV_ERR_UNSUPPORTED for the interrupt input (as
 * hv_irq_route_add()); @ref HV_ERR_UNSUPPORTED for a port window on a backend without port I/O
 * or, for devices that need timers, on a platform without them; @ref HV_ERR_NO_MEMORY.
 * @{
 */
#ifndef HVLIB_DEVICES_H
#define HVLIB_DEVICES_H

#include "defs.h"
#include "status.h"
#include "hostdev.h"

HV_EXTERN_C_BEGIN

/* ---- emulated devices ------------------------------------------------------------------- */

/** A 16550A UART with 16-byte FIFOs, as on a PC's COM ports. */
typedef struct hv_uart16550_config {
	uint32_t struct_size; /**< sizeof(hv_uart16550_config_t), set by @ref HV_UART16550_CONFIG_INIT. */
	const char *name;     /**< For logs; copied. May be NULL. */
	hv_bus_t bus;         /**< @ref HV_BUS_PIO (PC: 0x3F8, IRQ 4) or @ref HV_BUS_MMIO. */
	uint64_t base;        /**< First port or address. */
	uint32_t reg_shift;   /**< MMIO only: registers are (1 << reg_shift) bytes apart (0-2). */
	uint32_t irq;         /**< Interrupt input its line drives. */
	hv_chardev_t out;     /**< Where transmitted bytes go. */
} hv_uart16550_config_t;

/** Initialiser for @ref hv_uart16550_config_t. */
#define HV_UART16550_CONFIG_INIT { .struct_size = sizeof(hv_uart16550_config_t) }

/**
 * @brief Add a 16550A UART.
 * @param[in] vm The VM, not running.
 * @param[in] config The configuration.
 * @param[out] device Optional: receives the device (give it input with hv_serial_input()).
 * @return See @ref devices; @ref HV_ERR_INVALID_ARG also for a reg_shift above 2.
 */
HV_API hv_status_t hv_uart16550_add(hv_vm_t *vm, const hv_uart16550_config_t *config,
				    hv_device_t **device);

/** An Arm PrimeCell PL011 UART (MMIO, 4 KiB window). */
typedef struct hv_pl011_config {
	uint32_t struct_size; /**< sizeof(hv_pl011_config_t), set by @ref HV_PL011_CONFIG_INIT. */
	const char *name;     /**< For logs; copied. May be NULL. */
	uint64_t base;        /**< Guest-physical base (QEMU virt: 0x09000000). */
	uint32_t irq;         /**< Interrupt input (GICv3 SPI INTID, or a GSI on x86). */
	hv_chardev_t out;     /**< Where transmitted bytes go. */
} hv_pl011_config_t;

/** Initialiser for @ref hv_pl011_config_t. */
#define HV_PL011_CONFIG_INIT { .struct_size = sizeof(hv_pl011_config_t) }

/**
 * @brief Add a PL011 UART.
 * @param[in] vm The VM, not running.
 * @param[in] config The configuration.
 * @param[out] device Optional: receives the device.
 * @return See @ref devices.
 */
HV_API hv_status_t hv_pl011_add(hv_vm_t *vm, const hv_pl011_config_t *config,
				hv_device_t **device);

/** An Arm PrimeCell PL031 real-time clock (MMIO, 4 KiB window). */
typedef struct hv_pl031_config {
	uint32_t struct_size; /**< sizeof(hv_pl031_config_t), set by @ref HV_PL031_CONFIG_INIT. */
	const char *name;     /**< For logs; copied. May be NULL. */
	uint64_t base;        /**< Guest-physical base. */
	uint32_t irq;         /**< Interrupt input for the match interrupt. */
} hv_pl031_config_t;

/** Initialiser for @ref hv_pl031_config_t. */
#define HV_PL031_CONFIG_INIT { .struct_size = sizeof(hv_pl031_config_t) }

/**
 * @brief Add a PL031 RTC. It counts seconds of the platform's wall clock (realtime_ns).
 * @param[in] vm The VM, not running.
 * @param[in] config The configuration.
 * @param[out] device Optional: receives the device.
 * @return See @ref devices (needs platform timers for its match interrupt).
 */
HV_API hv_status_t hv_pl031_add(hv_vm_t *vm, const hv_pl031_config_t *config,
				hv_device_t **device);

/** An Arm SP805 watchdog (MMIO, 4 KiB window). */
typedef struct hv_sp805_config {
	uint32_t struct_size; /**< sizeof(hv_sp805_config_t), set by @ref HV_SP805_CONFIG_INIT. */
	const char *name;     /**< For logs; copied. May be NULL. */
	uint64_t base;        /**< Guest-physical base. */
	uint32_t irq;         /**< Interrupt input for the first time-out. */
	uint32_t clock_hz;    /**< WDOGCLK; 0 means 1 MHz. */
} hv_sp805_config_t;

/** Initialiser for @ref hv_sp805_config_t. */
#define HV_SP805_CONFIG_INIT { .struct_size = sizeof(hv_sp805_config_t) }

/**
 * @brief Add an SP805 watchdog. On the first time-out it raises its interrupt; on the second,
 *        with resets enabled, the VM stops with @ref HV_EVENT_WATCHDOG, which the VM's
 *        on_fault policy may turn into an automatic restart.
 * @param[in] vm The VM, not running.
 * @param[in] config The configuration.
 * @param[out] device Optional: receives the device.
 * @return See @ref devices (needs platform timers).
 */
HV_API hv_status_t hv_sp805_add(hv_vm_t *vm, const hv_sp805_config_t *config,
				hv_device_t **device);

/** Pieces of a PC platform, for @ref hv_x86_platform_config_t::pieces. */
enum hv_x86_piece {
	HV_X86_CMOS = 1u << 0,     /**< MC146818 RTC and CMOS memory, ports 0x70-0x71, IRQ 8. */
	HV_X86_I8042 = 1u << 1,    /**< i8042 controller without keyboard, ports 0x60, 0x64: reset. */
	HV_X86_PORT92 = 1u << 2,   /**< System control port A, 0x92: fast A20 and reset. */
	HV_X86_POST = 1u << 3,     /**< Port 0x80 (POST codes, I/O delay): writes ignored. */
	HV_X86_NO_PCI = 1u << 4,   /**< PCI configuration ports 0xCF8-0xCFF reporting no devices. */
};

/** The small x86 platform pieces a guest OS needs beyond the interrupt controller. */
typedef struct hv_x86_platform_config {
	uint32_t struct_size; /**< sizeof(...), set by @ref HV_X86_PLATFORM_CONFIG_INIT. */
	uint32_t pieces;      /**< `HV_X86_*` piece bits; 0 means all of them. */
	uint32_t cmos_irq;    /**< Interrupt input of the RTC; 0 means 8. */
} hv_x86_platform_config_t;

/** Initialiser for @ref hv_x86_platform_config_t. */
#define HV_X86_PLATFORM_CONFIG_INIT { .struct_size = sizeof(hv_x86_platform_config_t) }

/**
 * @brief Add the PC platform pieces. A reset requested through the i8042 or port 0x92 ends
 *        the run with @ref HV_EVENT_GUEST_RESET (see the VM's on_guest_reset policy).
 * @param[in] vm The VM, not running, on a backend with port I/O.
 * @param[in] config The configuration.
 * @return See @ref devices.
 */
HV_API hv_status_t hv_x86_platform_add(hv_vm_t *vm, const hv_x86_platform_config_t *config);

/* ---- VIRTIO devices (virtio-mmio transport, version 2) ------------------------------------ */

/** Size of a virtio-mmio window: registers and device configuration. */
#define HV_VIRTIO_MMIO_SIZE 0x200u

/** Where a VIRTIO device answers and which input its line drives; common to all of them. */
typedef struct hv_virtio_mmio {
	uint64_t base; /**< Guest-physical base of the 0x200-byte window. */
	uint32_t irq;  /**< Interrupt input; the line is high while InterruptStatus is non-zero. */
} hv_virtio_mmio_t;

/** virtio-console: one port, the guest's hvc0. */
typedef struct hv_virtio_console_config {
	uint32_t struct_size;   /**< sizeof(...), set by @ref HV_VIRTIO_CONSOLE_CONFIG_INIT. */
	const char *name;       /**< For logs; copied. May be NULL. */
	hv_virtio_mmio_t mmio;  /**< Window and interrupt. */
	hv_chardev_t out;       /**< Where the guest's output goes. */
} hv_virtio_console_config_t;

/** Initialiser for @ref hv_virtio_console_config_t. */
#define HV_VIRTIO_CONSOLE_CONFIG_INIT { .struct_size = sizeof(hv_virtio_console_config_t) }

/**
 * @brief Add a virtio-console device. Input goes in with hv_serial_input().
 * @param[in] vm The VM, not running.
 * @param[in] config The configuration.
 * @param[out] device Optional: receives the device.
 * @return See @ref devices.
 */
HV_API hv_status_t hv_virtio_console_add(hv_vm_t *vm, const hv_virtio_console_config_t *config,
					 hv_device_t **device);

/** virtio-blk: one disk. */
typedef struct hv_virtio_blk_config {
	uint32_t struct_size;   /**< sizeof(...), set by @ref HV_VIRTIO_BLK_CONFIG_INIT. */
	const char *name;       /**< For logs; copied. May be NULL. */
	hv_virtio_mmio_t mmio;  /**< Window and interrupt. */
	hv_blockdev_t disk;     /**< The storage; read-only storage makes a read-only disk. */
	const char *serial;     /**< Optional serial number (up to 20 bytes), for GET_ID. */
} hv_virtio_blk_config_t;

/** Initialiser for @ref hv_virtio_blk_config_t. */
#define HV_VIRTIO_BLK_CONFIG_INIT { .struct_size = sizeof(hv_virtio_blk_config_t) }

/**
 * @brief Add a virtio-blk device: read, write, flush, discard, write-zeroes, get-ID.
 * @param[in] vm The VM, not running.
 * @param[in] config The configuration.
 * @param[out] device Optional: receives the device.
 * @return See @ref devices; @ref HV_ERR_INVALID_ARG also for a disk without read op or with a
 *         size that is zero or not a multiple of 512.
 */
HV_API hv_status_t hv_virtio_blk_add(hv_vm_t *vm, const hv_virtio_blk_config_t *config,
				     hv_device_t **device);

/** virtio-net: one Ethernet interface. */
typedef struct hv_virtio_net_config {
	uint32_t struct_size;   /**< sizeof(...), set by @ref HV_VIRTIO_NET_CONFIG_INIT. */
	const char *name;       /**< For logs; copied. May be NULL. */
	hv_virtio_mmio_t mmio;  /**< Window and interrupt. */
	uint8_t mac[6];         /**< The interface's address; all zero picks a local one. */
	hv_netdev_t link;       /**< The link: a switch port, a TAP interface, your own. */
} hv_virtio_net_config_t;

/** Initialiser for @ref hv_virtio_net_config_t. */
#define HV_VIRTIO_NET_CONFIG_INIT { .struct_size = sizeof(hv_virtio_net_config_t) }

/**
 * @brief Add a virtio-net device.
 * @param[in] vm The VM, not running.
 * @param[in] config The configuration.
 * @param[out] device Optional: receives the device.
 * @return See @ref devices; @ref HV_ERR_INVALID_ARG also for a link without attach or send.
 */
HV_API hv_status_t hv_virtio_net_add(hv_vm_t *vm, const hv_virtio_net_config_t *config,
				     hv_device_t **device);

/** virtio-rng: random bytes for the guest. */
typedef struct hv_virtio_rng_config {
	uint32_t struct_size;   /**< sizeof(...), set by @ref HV_VIRTIO_RNG_CONFIG_INIT. */
	const char *name;       /**< For logs; copied. May be NULL. */
	hv_virtio_mmio_t mmio;  /**< Window and interrupt. */
	hv_entropy_fn entropy;  /**< The source; NULL means the host's (getrandom) in hosted builds. */
	void *entropy_ctx;      /**< Passed to entropy. */
} hv_virtio_rng_config_t;

/** Initialiser for @ref hv_virtio_rng_config_t. */
#define HV_VIRTIO_RNG_CONFIG_INIT { .struct_size = sizeof(hv_virtio_rng_config_t) }

/**
 * @brief Add a virtio-rng device.
 * @param[in] vm The VM, not running.
 * @param[in] config The configuration.
 * @param[out] device Optional: receives the device.
 * @return See @ref devices; @ref HV_ERR_UNSUPPORTED also for a NULL source in freestanding
 *         builds.
 */
HV_API hv_status_t hv_virtio_rng_add(hv_vm_t *vm, const hv_virtio_rng_config_t *config,
				     hv_device_t **device);

/* ---- shared memory between VMs ------------------------------------------------------------ */

/** Size of the shared-memory device's register window. */
#define HV_SHMDEV_REGS_SIZE 0x100u

/**
 * One VM's view of a shared-memory object: the memory, mapped at
 * hv_shmdev_config::shm_gpa with this VM's permission, and a register window with doorbells
 * to the other VMs attached to the same object. Registers (32-bit): 0x00 ID "HVSM", 0x04 this
 * VM's peer number, 0x08 number of peers, 0x0C size of the shared memory in KiB, 0x10
 * DOORBELL (write a peer number: that peer's interrupt is raised), 0x14 PENDING (bit n: a
 * doorbell from peer n; read), 0x18 ACK (write bits to clear them; the line drops when none
 * is left), 0x1C READ_ONLY (1 if this VM may only read the memory).
 */
typedef struct hv_shmdev_config {
	uint32_t struct_size; /**< sizeof(...), set by @ref HV_SHMDEV_CONFIG_INIT. */
	const char *name;     /**< For logs; copied. May be NULL. */
	hv_shm_t *shm;        /**< The shared object (see hv_shm_create()); at most 32 peers. */
	hv_gpa_t shm_gpa;     /**< Where this VM sees the memory (page-aligned). */
	bool read_only;       /**< This VM may only read the memory. */
	uint64_t regs_base;   /**< Guest-physical base of the register window. */
	uint32_t irq;         /**< Interrupt input raised by other peers' doorbells. */
} hv_shmdev_config_t;

/** Initialiser for @ref hv_shmdev_config_t. */
#define HV_SHMDEV_CONFIG_INIT { .struct_size = sizeof(hv_shmdev_config_t) }

/**
 * @brief Attach a VM to a shared-memory object, with doorbells to the other attached VMs.
 * @param[in] vm The VM, not running.
 * @param[in] config The configuration.
 * @param[out] device Optional: receives the device.
 * @return See @ref devices; as hv_vm_map_region() for the memory; @ref HV_ERR_LIMIT past 32
 *         peers on one object.
 */
HV_API hv_status_t hv_shmdev_add(hv_vm_t *vm, const hv_shmdev_config_t *config,
				 hv_device_t **device);

HV_EXTERN_C_END

/** @} */
#endif /* HVLIB_DEVICES_H */
