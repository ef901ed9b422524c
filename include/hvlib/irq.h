/* SPDX-License-Identifier: MIT */
/**
 * @file irq.h
 * @brief Interrupt routes: from a device's line to an input of the guest's interrupt controller.
 *
 * @defgroup irq Interrupts
 * @brief Lines are wires; the backend's interrupt controller is what the guest sees.
 *
 * An input is a global system interrupt (GSI) on x86 (0-15 reach the PIC and IOAPIC,
 * 16-23 the IOAPIC only) and a shared peripheral interrupt's INTID on AArch64 GICv3
 * (32 and up). Each input is driven by at most one line: a second route to the same input
 * is refused with @ref HV_ERR_BUSY.
 *
 * Raising, lowering and pulsing are callable from any thread, device callbacks included.
 * @{
 */
#ifndef HVLIB_IRQ_H
#define HVLIB_IRQ_H

#include "defs.h"
#include "status.h"

HV_EXTERN_C_BEGIN

/** How the input is triggered. */
typedef enum hv_irq_trigger {
	HV_IRQ_LEVEL = 0, /**< Level-triggered, active high: raise/lower follow the device's state. */
	HV_IRQ_EDGE = 1,  /**< Edge-triggered: use hv_irq_line_pulse(). */
} hv_irq_trigger_t;

/**
 * Route flag: the input is driven by one of the host's physical interrupts (@ref
 * hv_irq_route_config_t.host_irq), typically that of a device passed through to the guest
 * with an @ref HV_REGION_PASSTHROUGH region, and not by hv_irq_line_raise() and friends. The
 * backend takes the physical interrupt, makes the input pending, and completes the physical
 * interrupt when the guest completes the virtual one. Only backends with
 * @ref HV_CAP_IRQ_PASSTHROUGH offer it; see the backend's README for which host interrupts
 * qualify.
 */
#define HV_IRQ_ROUTE_HOST 0x1u

/** Definition of an interrupt route. */
typedef struct hv_irq_route_config {
	uint32_t struct_size;     /**< sizeof(...), set by @ref HV_IRQ_ROUTE_CONFIG_INIT. */
	uint32_t input;           /**< Interrupt-controller input (GSI or INTID). */
	hv_irq_trigger_t trigger; /**< Trigger mode. */
	const char *name;         /**< For logs; copied. May be NULL. */
	uint32_t flags;           /**< @ref HV_IRQ_ROUTE_HOST or 0. */
	/**
	 * With @ref HV_IRQ_ROUTE_HOST, the host's physical interrupt (on AArch64 a GICv3 SPI's
	 * INTID), configured with the trigger above. At most one route, of any VM, per host
	 * interrupt. Ignored without the flag.
	 */
	uint32_t host_irq;
} hv_irq_route_config_t;

/** Initialiser for @ref hv_irq_route_config_t. */
#define HV_IRQ_ROUTE_CONFIG_INIT                                                                  \
	{                                                                                         \
		.struct_size = sizeof(hv_irq_route_config_t)                                      \
	}

/**
 * @brief Create a line routed to one input of the VM's interrupt controller.
 * @param[in] vm The VM, not running.
 * @param[in] config The route.
 * @param[out] line Receives the line (owned by the VM).
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG for NULL arguments, an unknown trigger or
 *         unknown flags; @ref HV_ERR_ABI for an unknown struct size; @ref HV_ERR_STATE if the
 *         VM is running, or paused or stopped but not yet waited for (hv_vm_wait());
 *         @ref HV_ERR_RANGE if the input does not exist on this backend's controller, or
 *         (@ref HV_IRQ_ROUTE_HOST) the host interrupt does not exist or cannot be passed
 *         through (on AArch64 EL2: not an SPI of the physical distributor);
 *         @ref HV_ERR_BUSY if another line already drives the input, or
 *         (@ref HV_IRQ_ROUTE_HOST) the host interrupt is already routed to a VM or is one the
 *         backend uses itself;
 *         @ref HV_ERR_LIMIT if the backend has no room for another host route in this VM;
 *         @ref HV_ERR_UNSUPPORTED if the backend has no interrupt controller, or
 *         (@ref HV_IRQ_ROUTE_HOST) cannot pass host interrupts through;
 *         @ref HV_ERR_NO_MEMORY.
 */
HV_API hv_status_t hv_irq_route_add(hv_vm_t *vm, const hv_irq_route_config_t *config,
				    hv_irq_line_t **line);

/**
 * @brief Assert a line (level stays high until lowered).
 * @param[in] line The line.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG if @p line is NULL; @ref HV_ERR_UNSUPPORTED if
 *         the line is a host interrupt's (a @ref HV_IRQ_ROUTE_HOST route, which the device drives);
 *         @ref HV_ERR_BACKEND if the hypervisor refused.
 */
HV_API hv_status_t hv_irq_line_raise(hv_irq_line_t *line);

/**
 * @brief Deassert a line.
 * @param[in] line The line.
 * @return As hv_irq_line_raise().
 */
HV_API hv_status_t hv_irq_line_lower(hv_irq_line_t *line);

/**
 * @brief Raise then lower a line: one edge.
 * @param[in] line The line.
 * @return As hv_irq_line_raise().
 */
HV_API hv_status_t hv_irq_line_pulse(hv_irq_line_t *line);

/**
 * @brief The line's current level as last set by raise or lower.
 * @param[in] line The line, or NULL.
 * @return true if raised.
 */
HV_API bool hv_irq_line_level(const hv_irq_line_t *line);

/**
 * @brief The input a line drives.
 * @param[in] line The line, or NULL.
 * @return The input; UINT32_MAX for NULL.
 */
HV_API uint32_t hv_irq_line_input(const hv_irq_line_t *line);

/**
 * @brief Send a message-signalled interrupt to the guest.
 * @param[in] vm The VM.
 * @param[in] address The MSI address (x86: 0xFEExxxxx; AArch64: the ITS doorbell).
 * @param[in] data The MSI data.
 * @return @ref HV_OK; @ref HV_ERR_INVALID_ARG if @p vm is NULL; @ref HV_ERR_UNSUPPORTED if the
 *         backend has no MSI (see @ref HV_CAP_MSI); @ref HV_ERR_BACKEND if it refused.
 */
HV_API hv_status_t hv_vm_signal_msi(hv_vm_t *vm, uint64_t address, uint32_t data);

HV_EXTERN_C_END

/** @} */
#endif /* HVLIB_IRQ_H */
