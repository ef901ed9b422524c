/* SPDX-License-Identifier: MIT */
/* Names of status codes, exit reasons, fault kinds, states and events; the version. */
#include "hv_internal.h"

#define HV__STR(x) #x
#define HV__XSTR(x) HV__STR(x)

const char *hv_status_str(hv_status_t status)
{
	switch (status) {
	case HV_OK: return "HV_OK";
	case HV_ERR_INVALID_ARG: return "HV_ERR_INVALID_ARG";
	case HV_ERR_NO_MEMORY: return "HV_ERR_NO_MEMORY";
	case HV_ERR_UNSUPPORTED: return "HV_ERR_UNSUPPORTED";
	case HV_ERR_ABI: return "HV_ERR_ABI";
	case HV_ERR_STATE: return "HV_ERR_STATE";
	case HV_ERR_NOT_FOUND: return "HV_ERR_NOT_FOUND";
	case HV_ERR_ZERO_SIZE: return "HV_ERR_ZERO_SIZE";
	case HV_ERR_WRAP: return "HV_ERR_WRAP";
	case HV_ERR_OVERLAP: return "HV_ERR_OVERLAP";
	case HV_ERR_ALIGNMENT: return "HV_ERR_ALIGNMENT";
	case HV_ERR_BUSY: return "HV_ERR_BUSY";
	case HV_ERR_LIMIT: return "HV_ERR_LIMIT";
	case HV_ERR_UNKNOWN_REG: return "HV_ERR_UNKNOWN_REG";
	case HV_ERR_NO_BACKEND: return "HV_ERR_NO_BACKEND";
	case HV_ERR_BACKEND: return "HV_ERR_BACKEND";
	case HV_ERR_NOT_MAPPED: return "HV_ERR_NOT_MAPPED";
	case HV_ERR_NO_PLATFORM: return "HV_ERR_NO_PLATFORM";
	case HV_ERR_RANGE: return "HV_ERR_RANGE";
	case HV_ERR_BAD_IMAGE: return "HV_ERR_BAD_IMAGE";
	}
	return "HV_ERR_UNKNOWN";
}

const char *hv_exit_reason_str(hv_exit_reason_t reason)
{
	switch (reason) {
	case HV_EXIT_NONE: return "none";
	case HV_EXIT_IO: return "port I/O";
	case HV_EXIT_MMIO: return "MMIO";
	case HV_EXIT_HALT: return "halt";
	case HV_EXIT_SHUTDOWN: return "shutdown";
	case HV_EXIT_RESET: return "reset";
	case HV_EXIT_FAULT: return "fault";
	case HV_EXIT_KICK: return "kick";
	case HV_EXIT_HYPERCALL: return "hypercall";
	case HV_EXIT_UNKNOWN: return "unknown";
	}
	return "?";
}

const char *hv_fault_kind_str(hv_fault_kind_t kind)
{
	switch (kind) {
	case HV_FAULT_NONE: return "none";
	case HV_FAULT_TRIPLE: return "triple fault";
	case HV_FAULT_UNMAPPED: return "access to unmapped address";
	case HV_FAULT_EMULATION: return "instruction emulation failed";
	case HV_FAULT_ENTRY: return "invalid guest state at entry";
	case HV_FAULT_INTERNAL: return "hypervisor internal error";
	}
	return "?";
}

const char *hv_vm_state_str(hv_vm_state_t state)
{
	switch (state) {
	case HV_VM_CREATED: return "created";
	case HV_VM_RUNNING: return "running";
	case HV_VM_PAUSED: return "paused";
	case HV_VM_STOPPED: return "stopped";
	}
	return "?";
}

const char *hv_event_type_str(hv_event_type_t type)
{
	switch (type) {
	case HV_EVENT_VM_STOPPED: return "VM stopped";
	case HV_EVENT_GUEST_SHUTDOWN: return "guest shutdown";
	case HV_EVENT_GUEST_RESET: return "guest reset";
	case HV_EVENT_UNHANDLED_EXIT: return "unhandled exit";
	case HV_EVENT_FAULT: return "fault";
	case HV_EVENT_VM_RESTARTED: return "VM restarted";
	case HV_EVENT_VM_PAUSED: return "VM paused";
	case HV_EVENT_WATCHDOG: return "watchdog expired";
	}
	return "?";
}

unsigned hv_version(void)
{
	return HV_VERSION_NUMBER;
}

const char *hv_version_str(void)
{
	return HV__XSTR(HV_VERSION_MAJOR) "." HV__XSTR(HV_VERSION_MINOR) "." HV__XSTR(
		HV_VERSION_PATCH);
}
