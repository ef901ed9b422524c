/* SPDX-License-Identifier: MIT */
/*
 * Support for the unit tests: a counting platform (leaks, size mismatches, injected failures,
 * log capture, pthread locks and threads), a scriptable mock backend, and small helpers.
 *
 * Include this header first in every unit test: it pulls in cmocka and its prerequisites.
 */
#ifndef HV_TEST_SUPPORT_H
#define HV_TEST_SUPPORT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hv_internal.h"

/* ---- counting platform (test_platform.c) ---------------------------------------------------- */

/* Flags of tp_install(). */
#define TP_NO_THREADS (1u << 0)   /* thread_create/thread_join are NULL */
#define TP_NO_RAM_ALLOC (1u << 1) /* ram_alloc/ram_free are NULL: RAM comes from alloc() */

struct tp_stats {
	size_t live_allocs; /* alloc() and ram_alloc() blocks not yet freed */
	size_t live_bytes;
	size_t live_ram;     /* of which from ram_alloc() */
	size_t total_allocs; /* alloc() and ram_alloc() calls that succeeded */
	size_t live_locks;
	size_t live_threads; /* created and not yet joined */
	size_t threads_started;
	size_t bad_frees;  /* unknown pointer, wrong size, or wrong free function */
	size_t bad_aligns; /* a request for an alignment that is not a power of two */
	size_t bad_locks;  /* recursive acquire, release by a non-owner */
};

/* The counting platform's table (built for the flags of the last tp_install()). */
const hv_platform_ops_t *tp_ops(void);
/* Reset every counter and knob, then install the counting platform with hv_platform_set(). */
void tp_install(unsigned flags);
void tp_get_stats(struct tp_stats *stats);
size_t tp_live_allocs(void);
/* Fail the n-th alloc()/ram_alloc() call from now on (1 is the next one); 0 disables. */
void tp_fail_alloc_at(unsigned long n);
/* Calls to alloc()/ram_alloc() since the last tp_fail_alloc_at() or tp_install(). */
unsigned long tp_alloc_calls(void);
/* Fail the n-th lock_create() from now on; 0 disables. */
void tp_fail_lock_at(unsigned long n);
/* Fail the n-th thread_create() from now on with @p status; 0 disables. */
void tp_fail_thread_at(unsigned long n, hv_status_t status);
/* Print what is still allocated, then fail unless nothing leaked and nothing was misused. */
void tp_assert_clean(void);

/* True once an earlier failed test left an object alive, so the platform cannot change. */
bool tp_platform_stuck(void);

/* Log capture: every line the library logs, whatever the level filter let through. */
size_t tp_log_count(void);
bool tp_log_contains(const char *needle);
void tp_log_clear(void);
/* The level of the last captured line, or -1. */
int tp_log_last_level(void);

/* ---- mock backend (mock_backend.c) ---------------------------------------------------------- */

/* What run() does when a vCPU's script is empty. */
enum mock_idle {
	MOCK_IDLE_STOP = 0,  /* hv_vm_stop() the vCPU's VM, return a KICK exit (the default) */
	MOCK_IDLE_BLOCK = 1, /* block until kicked, then return a KICK exit */
};

/* Behaviour of the mock, read at call time. mock_reset() restores the defaults. */
struct mock_knobs {
	hv_status_t check_status;
	hv_status_t caps_status;
	uint32_t caps_flags;        /* default: IRQCHIP | MSI | READONLY_MEM | PIO | MULTI_VM */
	uint32_t max_vcpus;         /* default 4 */
	uint32_t max_regions;       /* default 32; map() answers HV_ERR_LIMIT past it */
	uint32_t irq_inputs;        /* default 24 */
	uint64_t max_gpa;           /* default 1 << 40; 0 means the whole 64-bit space */
	hv_status_t vm_init_status; /* returned after the reservations below */
	uint64_t reserve_mmio_base, reserve_mmio_size; /* vm_init reserves these windows */
	uint64_t reserve_pio_base, reserve_pio_size;
	hv_status_t vcpu_init_status;
	hv_status_t map_status;
	hv_status_t unmap_status;
	hv_status_t get_regs_status;
	hv_status_t set_regs_status;
	hv_status_t save_status;
	hv_status_t restore_status;
	hv_status_t irq_set_status;
	hv_status_t msi_status;
	enum mock_idle idle;
	/* irq_host (HV_IRQ_ROUTE_HOST routes; offered when caps_flags has HV_CAP_IRQ_PASSTHROUGH) */
	hv_status_t irq_host_status; /* what a bind returns */
	unsigned host_binds, host_unbinds;
	uint32_t host_input, host_irq; /* of the last call */
	hv_irq_trigger_t host_trigger;
};

extern struct mock_knobs mock_knobs;
/* The mock: name "mock", arch x86-64. */
extern const struct hv_backend mock_backend;
/* The same without irq_set and msi callbacks. */
extern const struct hv_backend mock_backend_no_irq;

#define MOCK_LOG_MAX 64
#define MOCK_SCRIPT_MAX 128

struct mock_map_rec {
	hv_gpa_t gpa;
	uint64_t size;
	void *hva;
	uint32_t flags;
	hv_region_type_t type;
};

struct mock_vm {
	hv_vm_t *vm;
	pthread_mutex_t mu;
	unsigned map_calls;
	unsigned unmap_calls;
	unsigned regions_live;
	struct mock_map_rec maps[MOCK_LOG_MAX];
	struct mock_map_rec unmaps[MOCK_LOG_MAX];
	unsigned irq_calls;
	struct {
		uint32_t input;
		bool level;
	} irq[MOCK_LOG_MAX];
	unsigned msi_calls;
	struct {
		uint64_t address;
		uint32_t data;
	} msi[MOCK_LOG_MAX];
};

/* The x86 register file the mock keeps (and snapshots). */
enum {
	MOCK_REG_GPR = 0, /* RAX..R15, RIP, RFLAGS: HV_X86_REG(0..17) */
	MOCK_REG_CR0 = 18,
	MOCK_REG_CR3,
	MOCK_REG_CR4,
	MOCK_REG_EFER,
	MOCK_REG_CS_SEL,
	MOCK_REG_CS_BASE,
	MOCK_REG_GDTR_BASE,
	MOCK_REG_GDTR_LIMIT,
	MOCK_REG_CR2,
	MOCK_REG_CR8,
	MOCK_REG_IDTR_BASE,
	MOCK_REG_IDTR_LIMIT,
	/* The other segment fields: HV_X86_SEG(seg, field) at MOCK_REG_SEG + seg * 4 + field
	 * (CS's selector and base stay at MOCK_REG_CS_SEL and MOCK_REG_CS_BASE). */
	MOCK_REG_SEG,
	MOCK_REG_COUNT = MOCK_REG_SEG + 8 * 4,
};

struct mock_regs {
	uint64_t v[MOCK_REG_COUNT];
};

typedef void (*mock_hook_fn)(hv_vcpu_t *vcpu, void *arg);

struct mock_step {
	hv_exit_t exit;     /* returned by run() */
	hv_status_t status; /* if not HV_OK, run() returns it instead */
	mock_hook_fn hook;  /* called inside run() (the vCPU is in the guest) */
	void *arg;
};

struct mock_vcpu {
	hv_vcpu_t *vcpu;
	uint32_t index;
	struct mock_regs regs;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool kick_pending;
	unsigned kicks;
	unsigned runs; /* calls to run() */
	unsigned head, tail;
	struct mock_step script[MOCK_SCRIPT_MAX];
	/* Values delivered to the guest for reads (the data of a read exit at the next entry). */
	unsigned completed_count;
	uint64_t completed[MOCK_LOG_MAX];
};

/* Restore the default knobs, open the gate, zero the instance counters. */
void mock_reset(void);
/* Live VMs and vCPUs of the mock (init without fini). */
unsigned mock_live_vms(void);
unsigned mock_live_vcpus(void);
struct mock_vm *mock_vm(hv_vm_t *vm);
struct mock_vcpu *mock_vcpu(hv_vcpu_t *vcpu);

/* Script the exits run() returns, in order. */
void mock_push_exit(hv_vcpu_t *vcpu, const hv_exit_t *exit);
void mock_push_reason(hv_vcpu_t *vcpu, hv_exit_reason_t reason);
void mock_push_mmio(hv_vcpu_t *vcpu, hv_gpa_t gpa, uint8_t width, bool is_write, uint64_t data);
void mock_push_io(hv_vcpu_t *vcpu, uint16_t port, uint8_t width, bool is_write, uint64_t data);
void mock_push_fault(hv_vcpu_t *vcpu, hv_fault_kind_t kind, hv_gpa_t gpa);
void mock_push_error(hv_vcpu_t *vcpu, hv_status_t status);
/* Call hook inside run(), then return a KICK exit. */
void mock_push_hook(hv_vcpu_t *vcpu, mock_hook_fn hook, void *arg);
unsigned mock_script_left(hv_vcpu_t *vcpu);

/* While the gate is closed, every run() waits at its start (kicks do not release it). */
void mock_gate_close(void);
void mock_gate_open(void);
/* Wait (up to 10 s, else fail) until @p n run() calls of @p vcpu have started. */
void mock_wait_runs(hv_vcpu_t *vcpu, unsigned n);

/* ---- helpers (test_helpers.c) --------------------------------------------------------------- */

/* Default setup: mock defaults, counting platform with threads and ram_alloc, log level WARN. */
int ts_setup(void **state);
/* The same on a platform without threads. */
int ts_setup_no_threads(void **state);
/* The same on a platform without ram_alloc/ram_free. */
int ts_setup_no_ram_alloc(void **state);
/* Check for leaks and misuse, that the mock saw every init matched by a fini, and restore
 * the hosted platform (which fails if a VM or shm object is still alive). */
int ts_teardown(void **state);

#define TS_TEST(fn) cmocka_unit_test_setup_teardown(fn, ts_setup, ts_teardown)
#define TS_TEST_NO_THREADS(fn) cmocka_unit_test_setup_teardown(fn, ts_setup_no_threads, ts_teardown)
#define TS_TEST_NO_RAM_ALLOC(fn) \
	cmocka_unit_test_setup_teardown(fn, ts_setup_no_ram_alloc, ts_teardown)

/* A config for the mock backend. */
hv_vm_config_t ts_vm_config(void);
/* Create a VM on the mock with @p flags (e.g. HV_VM_MANUAL_RUN), asserting success. */
hv_vm_t *ts_vm_new(uint32_t flags);
/* Create vCPU @p index, asserting success. */
hv_vcpu_t *ts_vcpu_new(hv_vm_t *vm, uint32_t index);
/* Map RAM (library-allocated) at gpa, asserting success. */
hv_region_t *ts_map_ram(hv_vm_t *vm, hv_gpa_t gpa, uint64_t size);

/* An event recorder for hv_vm_config_t::on_event. */
#define TS_EVENTS_MAX 64
struct ts_event_rec {
	hv_event_type_t type;
	uint32_t vcpu_index;
	bool has_exit;
	hv_exit_t exit;
	hv_vm_state_t state; /* the VM's state when the event arrived */
};
struct ts_events {
	pthread_mutex_t mu;
	unsigned count;
	struct ts_event_rec ev[TS_EVENTS_MAX];
	/* Optional: called after recording, with the event (e.g. to stop the VM). */
	void (*then)(struct ts_events *events, const hv_event_t *event);
	void *user;
};
void ts_events_init(struct ts_events *events);
void ts_events_fini(struct ts_events *events);
void ts_on_event(void *user, const hv_event_t *event);
/* Assert the recorded event types are exactly @p types (count of them @p n). */
void ts_events_expect(struct ts_events *events, const hv_event_type_t *types, unsigned n);

/* A device that records accesses and answers reads with a programmable value. */
#define TS_DEV_LOG_MAX 64
struct ts_access {
	bool is_write;
	uint64_t offset;
	uint32_t width;
	uint64_t value;
};
struct ts_dev {
	uint64_t read_value;   /* returned by reads, unmasked (the core masks) */
	bool read_echo_offset; /* reads return the offset instead */
	unsigned reads, writes, resets, destroys;
	unsigned log_count;
	struct ts_access log[TS_DEV_LOG_MAX];
};
extern const hv_device_ops_t ts_dev_ops;
/* Add a ts_dev on @p bus at [base, base + size), asserting success. */
hv_device_t *ts_dev_add(hv_vm_t *vm, struct ts_dev *dev, hv_bus_t bus, uint64_t base,
			uint64_t size);

#endif /* HV_TEST_SUPPORT_H */
