/* SPDX-License-Identifier: MIT */
/* VMs: creation, life cycle, threads, events, stop causes and the restart policy. */
#include "test_support.h"

#include <unistd.h>

static const hv_event_type_t STOPPED_ONLY[] = { HV_EVENT_VM_STOPPED };

/* ---- creation --------------------------------------------------------------------------------- */

static void test_vm_create_gives_a_created_vm_with_a_default_name(void **state)
{
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm = NULL;

	(void)state;
	assert_int_equal(hv_vm_create(&c, &vm), HV_OK);
	assert_non_null(vm);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_CREATED);
	assert_string_equal(hv_vm_name(vm), "vm");
	assert_ptr_equal(hv_vm_backend(vm), &mock_backend);
	assert_string_equal(hv_backend_name(hv_vm_backend(vm)), "mock");
	assert_int_equal(mock_live_vms(), 1);
	hv_vm_destroy(vm);
	assert_int_equal(mock_live_vms(), 0);
}

static void test_vm_create_copies_the_name(void **state)
{
	hv_vm_config_t c = ts_vm_config();
	char name[16] = "guest-1";
	hv_vm_t *vm = NULL;

	(void)state;
	c.name = name;
	assert_int_equal(hv_vm_create(&c, &vm), HV_OK);
	name[0] = 'X';
	assert_string_equal(hv_vm_name(vm), "guest-1");
	assert_true(hv_vm_name(vm) != name);
	hv_vm_destroy(vm);
}

static void test_vm_time_slices_need_the_capability(void **state)
{
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm = NULL;

	(void)state;
	c.time_slice_us = 1000;
	assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_UNSUPPORTED);
	assert_null(vm);
	assert_int_equal(mock_live_vms(), 0);
	mock_knobs.caps_flags |= HV_CAP_TIME_SLICE;
	assert_int_equal(hv_vm_create(&c, &vm), HV_OK);
	hv_vm_destroy(vm);
}

static void test_vm_accessors_accept_null(void **state)
{
	(void)state;
	assert_string_equal(hv_vm_name(NULL), "(null)");
	assert_null(hv_vm_backend(NULL));
	assert_int_equal(hv_vm_get_state(NULL), HV_VM_STOPPED);
	hv_vm_destroy(NULL); /* no-op */
	assert_int_equal(tp_alloc_calls(), 0);
}

static void test_vm_create_rejects_null_and_out_of_range_arguments(void **state)
{
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm = NULL;

	(void)state;
	assert_int_equal(hv_vm_create(NULL, &vm), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vm_create(&c, NULL), HV_ERR_INVALID_ARG);
	c.flags = 1u << 5;
	assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_INVALID_ARG);
	c = ts_vm_config();
	c.on_guest_reset = (hv_policy_t)2;
	assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_INVALID_ARG);
	c = ts_vm_config();
	c.on_fault = (hv_policy_t)-1;
	assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_INVALID_ARG);
	c = ts_vm_config();
	c.unmapped_mmio = (hv_unmapped_t)2;
	assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_INVALID_ARG);
	c = ts_vm_config();
	c.unmapped_pio = (hv_unmapped_t)7;
	assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_INVALID_ARG);
	assert_null(vm);
	assert_int_equal(tp_live_allocs(), 0);
}

static void test_vm_create_rejects_unknown_struct_size(void **state)
{
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm = NULL;

	(void)state;
	c.struct_size = sizeof(c) + 8;
	assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_ABI);
	c.struct_size = 4;
	assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_ABI);
	assert_null(vm);
}

static void test_vm_create_reports_a_backend_that_does_not_work_here(void **state)
{
	hv_vm_config_t c = ts_vm_config();
	struct hv_backend old = mock_backend;
	hv_vm_t *vm = NULL;

	(void)state;
	mock_knobs.check_status = HV_ERR_BACKEND;
	assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_NO_BACKEND);
	mock_knobs.check_status = HV_OK;
	mock_knobs.caps_status = HV_ERR_BACKEND;
	assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_NO_BACKEND);
	mock_knobs.caps_status = HV_OK;
	/* A backend built for another backend-table version is not used. */
	old.version = HV__BACKEND_VERSION + 1;
	c.backend = &old;
	assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_NO_BACKEND);
	assert_null(vm);
	assert_int_equal(tp_live_allocs(), 0);
	assert_int_equal(mock_live_vms(), 0);
}

static void test_vm_create_without_backend_probes(void **state)
{
	const hv_backend_t *probed = NULL;
	hv_vm_config_t c = HV_VM_CONFIG_INIT;
	hv_vm_t *vm = NULL;

	(void)state;
	if (hv_backend_probe(&probed) == HV_OK) {
		/* A real backend works here: creating a VM on it is the integration tests' job. */
		print_message("a compiled-in backend (%s) works here\n", hv_backend_name(probed));
		skip();
	}
	assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_NO_BACKEND);
	assert_null(vm);
}

static void test_vm_create_reports_backend_refusal_and_limit(void **state)
{
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm = NULL;

	(void)state;
	mock_knobs.vm_init_status = HV_ERR_BACKEND;
	assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_BACKEND);
	mock_knobs.vm_init_status = HV_ERR_LIMIT;
	assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_LIMIT);
	assert_null(vm);
	assert_int_equal(tp_live_allocs(), 0);
}

static void test_vm_create_reports_no_memory_at_every_allocation(void **state)
{
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm = NULL;
	unsigned long n;
	hv_status_t st = HV_ERR_NO_MEMORY;

	(void)state;
	c.name = "a-name";
	for (n = 1; n < 50; n++) {
		tp_fail_alloc_at(n);
		st = hv_vm_create(&c, &vm);
		if (st == HV_OK)
			break;
		assert_int_equal(st, HV_ERR_NO_MEMORY);
		assert_null(vm);
		assert_int_equal(tp_live_allocs(), 0);
	}
	assert_int_equal(st, HV_OK);
	assert_true(n >= 4); /* vm, name, vcpu table, backend state */
	tp_fail_alloc_at(0);
	hv_vm_destroy(vm);
	/* Lock creation failing is an allocation failure too. */
	for (n = 1; n <= 2; n++) {
		struct tp_stats s;

		tp_fail_lock_at(n);
		assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_NO_MEMORY);
		tp_get_stats(&s);
		assert_int_equal(s.live_locks, 0);
		assert_int_equal(s.live_allocs, 0);
	}
}

static void test_vm_create_cleans_up_windows_reserved_before_a_failure(void **state)
{
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm = NULL;

	(void)state;
	/* Like KVM on x86: vm_init reserves in-kernel device windows, then something fails. */
	mock_knobs.reserve_mmio_base = 0xfec00000;
	mock_knobs.reserve_mmio_size = 0x1000;
	mock_knobs.reserve_pio_base = 0x20;
	mock_knobs.reserve_pio_size = 2;
	mock_knobs.vm_init_status = HV_ERR_BACKEND;
	assert_int_equal(hv_vm_create(&c, &vm), HV_ERR_BACKEND);
	assert_null(vm);
	assert_int_equal(tp_live_allocs(), 0);
}

static void test_vm_create_fails_cleanly_when_a_reservation_runs_out_of_memory(void **state)
{
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm = NULL;
	unsigned long n;
	hv_status_t st = HV_ERR_NO_MEMORY;

	(void)state;
	mock_knobs.reserve_mmio_base = 0xfec00000;
	mock_knobs.reserve_mmio_size = 0x1000;
	mock_knobs.reserve_pio_base = 0x20;
	mock_knobs.reserve_pio_size = 2;
	for (n = 1; n < 50; n++) {
		tp_fail_alloc_at(n);
		st = hv_vm_create(&c, &vm);
		if (st == HV_OK)
			break;
		assert_int_equal(st, HV_ERR_NO_MEMORY);
		if (tp_live_allocs() != 0)
			fail_msg("allocation %lu failing leaks %zu blocks", n, tp_live_allocs());
	}
	assert_int_equal(st, HV_OK);
	tp_fail_alloc_at(0);
	hv_vm_destroy(vm);
}

/* ---- life cycle ------------------------------------------------------------------------------- */

static hv_vm_t *vm_with_events(struct ts_events *ev, uint32_t flags, hv_vm_config_t *cfg)
{
	hv_vm_config_t c = cfg != NULL ? *cfg : ts_vm_config();
	hv_vm_t *vm = NULL;

	ts_events_init(ev);
	c.flags |= flags;
	c.on_event = ts_on_event;
	c.event_user = ev;
	assert_int_equal(hv_vm_create(&c, &vm), HV_OK);
	return vm;
}

static void test_vm_start_needs_a_vcpu(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);

	(void)state;
	assert_int_equal(hv_vm_start(vm), HV_ERR_STATE);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_CREATED);
	assert_int_equal(hv_vm_start(NULL), HV_ERR_INVALID_ARG);
	hv_vm_destroy(vm);
}

static void test_vm_runs_on_library_threads_until_stopped(void **state)
{
	struct ts_events ev;
	hv_vm_t *vm = vm_with_events(&ev, 0, NULL);
	hv_vcpu_t *a = ts_vcpu_new(vm, 0), *b = ts_vcpu_new(vm, 1);
	struct tp_stats s;
	hv_vm_state_t st = HV_VM_CREATED;

	(void)state;
	mock_push_reason(a, HV_EXIT_KICK);
	mock_push_reason(b, HV_EXIT_NONE);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vm_wait(vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_STOPPED);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_STOPPED);
	tp_get_stats(&s);
	assert_int_equal(s.threads_started, 2);
	assert_int_equal(s.live_threads, 0);
	/* Whichever vCPU ran out of script first stopped the VM; only that stop reports. */
	assert_true(mock_vcpu(a)->runs + mock_vcpu(b)->runs >= 2);
	ts_events_expect(&ev, STOPPED_ONLY, 1);
	assert_int_equal(ev.ev[0].vcpu_index, UINT32_MAX);
	assert_int_equal(ev.ev[0].state, HV_VM_STOPPED);
	hv_vm_destroy(vm);
	ts_events_fini(&ev);
}

static void test_vm_state_errors_follow_the_life_cycle(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vm_state_t st;

	(void)state;
	ts_vcpu_new(vm, 0);
	mock_knobs.idle = MOCK_IDLE_BLOCK;
	/* Created: nothing to pause or wait for, nothing to report. */
	assert_int_equal(hv_vm_pause(vm), HV_ERR_STATE);
	assert_int_equal(hv_vm_wait(vm, &st), HV_ERR_STATE);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_RUNNING);
	/* Running: cannot start again or reset. */
	assert_int_equal(hv_vm_start(vm), HV_ERR_STATE);
	assert_int_equal(hv_vm_reset(vm), HV_ERR_STATE);
	assert_int_equal(hv_vm_pause(vm), HV_OK);
	assert_int_equal(hv_vm_pause(vm), HV_ERR_STATE);
	assert_int_equal(hv_vm_wait(vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_PAUSED);
	/* Paused: resume. */
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_RUNNING);
	assert_int_equal(hv_vm_stop(vm), HV_OK);
	assert_int_equal(hv_vm_wait(vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_STOPPED);
	/* Stopped: stop again is fine, start and pause are not, until a reset. */
	assert_int_equal(hv_vm_stop(vm), HV_OK);
	assert_int_equal(hv_vm_start(vm), HV_ERR_STATE);
	assert_int_equal(hv_vm_pause(vm), HV_ERR_STATE);
	assert_int_equal(hv_vm_reset(vm), HV_OK);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_PAUSED);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vm_stop(vm), HV_OK);
	assert_int_equal(hv_vm_wait(vm, NULL), HV_OK);
	hv_vm_destroy(vm);
}

static void test_vm_calls_reject_null(void **state)
{
	hv_stop_info_t info = HV_STOP_INFO_INIT;

	(void)state;
	assert_int_equal(hv_vm_pause(NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vm_stop(NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vm_wait(NULL, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vm_run(NULL, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vm_reset(NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vm_get_stop_info(NULL, &info), HV_ERR_INVALID_ARG);
}

static void test_vm_pause_and_resume_report_events(void **state)
{
	static const hv_event_type_t expect[] = { HV_EVENT_VM_PAUSED, HV_EVENT_VM_STOPPED };
	struct ts_events ev;
	hv_vm_t *vm = vm_with_events(&ev, 0, NULL);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	hv_vm_state_t st;

	(void)state;
	mock_knobs.idle = MOCK_IDLE_BLOCK;
	assert_int_equal(hv_vm_start(vm), HV_OK);
	mock_wait_runs(vcpu, 1);
	assert_int_equal(hv_vm_pause(vm), HV_OK);
	assert_int_equal(hv_vm_wait(vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_PAUSED);
	assert_true(mock_vcpu(vcpu)->kicks >= 1);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vm_stop(vm), HV_OK);
	assert_int_equal(hv_vm_wait(vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_STOPPED);
	ts_events_expect(&ev, expect, 2);
	assert_int_equal(ev.ev[0].vcpu_index, UINT32_MAX);
	assert_false(ev.ev[0].has_exit);
	assert_int_equal(ev.ev[0].state, HV_VM_PAUSED);
	hv_vm_destroy(vm);
	ts_events_fini(&ev);
}

static void test_vm_run_starts_and_waits(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	hv_vm_state_t st = HV_VM_CREATED;

	(void)state;
	mock_push_reason(vcpu, HV_EXIT_SHUTDOWN);
	assert_int_equal(hv_vm_run(vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_STOPPED);
	/* A stopped VM cannot run again without a reset. */
	assert_int_equal(hv_vm_run(vm, &st), HV_ERR_STATE);
	hv_vm_destroy(vm);
}

static void test_vm_guest_exits_report_events_in_order(void **state)
{
	static const struct {
		hv_exit_reason_t reason;
		hv_event_type_t event;
	} cases[] = {
		{ HV_EXIT_SHUTDOWN, HV_EVENT_GUEST_SHUTDOWN },
		{ HV_EXIT_RESET, HV_EVENT_GUEST_RESET },
		{ HV_EXIT_FAULT, HV_EVENT_FAULT },
		{ HV_EXIT_HALT, HV_EVENT_UNHANDLED_EXIT },
		{ HV_EXIT_HYPERCALL, HV_EVENT_UNHANDLED_EXIT },
		{ HV_EXIT_UNKNOWN, HV_EVENT_UNHANDLED_EXIT },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hv_event_type_t expect[2] = { cases[i].event, HV_EVENT_VM_STOPPED };
		struct ts_events ev;
		hv_vm_t *vm = vm_with_events(&ev, 0, NULL);
		hv_vcpu_t *vcpu;
		hv_vm_state_t st;

		ts_vcpu_new(vm, 0);
		vcpu = ts_vcpu_new(vm, 2);
		mock_knobs.idle = MOCK_IDLE_BLOCK; /* only the scripted exit stops the VM */
		mock_push_reason(vcpu, cases[i].reason);
		assert_int_equal(hv_vm_run(vm, &st), HV_OK);
		assert_int_equal(st, HV_VM_STOPPED);
		ts_events_expect(&ev, expect, 2);
		assert_int_equal(ev.ev[0].vcpu_index, 2);
		assert_int_equal(ev.ev[1].vcpu_index, 2);
		assert_true(ev.ev[0].has_exit);
		assert_int_equal(ev.ev[0].exit.reason, cases[i].reason);
		assert_int_equal(ev.ev[0].exit.vcpu_index, 2);
		/* Delivered after the state changed. */
		assert_int_equal(ev.ev[0].state, HV_VM_STOPPED);
		hv_vm_destroy(vm);
		ts_events_fini(&ev);
	}
}

/* ---- stop info ---------------------------------------------------------------------------------- */

static void test_vm_stop_info_reports_the_guest_cause(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu;
	hv_stop_info_t info = HV_STOP_INFO_INIT;

	(void)state;
	ts_vcpu_new(vm, 0);
	vcpu = ts_vcpu_new(vm, 1);
	assert_int_equal(hv_vm_get_stop_info(vm, &info), HV_ERR_STATE);
	mock_knobs.idle = MOCK_IDLE_BLOCK;
	mock_push_fault(vcpu, HV_FAULT_TRIPLE, 0x1234);
	assert_int_equal(hv_vm_run(vm, NULL), HV_OK);
	assert_int_equal(hv_vm_get_stop_info(vm, &info), HV_OK);
	assert_int_equal(info.struct_size, sizeof(info));
	assert_int_equal(info.cause, HV_EVENT_FAULT);
	assert_int_equal(info.vcpu_index, 1);
	assert_int_equal(info.exit.reason, HV_EXIT_FAULT);
	assert_int_equal(info.exit.u.fault.kind, HV_FAULT_TRIPLE);
	assert_int_equal(info.exit.u.fault.gpa, 0x1234);
	assert_int_equal(info.exit.vcpu_index, 1);
	assert_int_equal(info.restarts, 0);
	/* A later host stop does not overwrite the first cause. */
	assert_int_equal(hv_vm_stop(vm), HV_OK);
	assert_int_equal(hv_vm_get_stop_info(vm, &info), HV_OK);
	assert_int_equal(info.cause, HV_EVENT_FAULT);
	/* A reset forgets it. */
	assert_int_equal(hv_vm_reset(vm), HV_OK);
	assert_int_equal(hv_vm_get_stop_info(vm, &info), HV_ERR_STATE);
	hv_vm_destroy(vm);
}

static void test_vm_stop_info_reports_a_host_stop(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_stop_info_t info = HV_STOP_INFO_INIT;

	(void)state;
	ts_vcpu_new(vm, 0);
	mock_knobs.idle = MOCK_IDLE_BLOCK;
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vm_stop(vm), HV_OK);
	assert_int_equal(hv_vm_wait(vm, NULL), HV_OK);
	memset(&info, 0x5a, sizeof(info));
	info.struct_size = sizeof(info);
	assert_int_equal(hv_vm_get_stop_info(vm, &info), HV_OK);
	assert_int_equal(info.cause, HV_EVENT_VM_STOPPED);
	assert_int_equal(info.vcpu_index, UINT32_MAX);
	assert_int_equal(info.exit.reason, HV_EXIT_NONE);
	assert_int_equal(info.restarts, 0);
	hv_vm_destroy(vm);
}

static void test_vm_stop_info_checks_its_arguments(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_stop_info_t info = HV_STOP_INFO_INIT;

	(void)state;
	assert_int_equal(hv_vm_stop(vm), HV_OK); /* stopping a created VM is allowed */
	assert_int_equal(hv_vm_get_stop_info(vm, NULL), HV_ERR_INVALID_ARG);
	info.struct_size = sizeof(info) - 4;
	assert_int_equal(hv_vm_get_stop_info(vm, &info), HV_ERR_ABI);
	info.struct_size = sizeof(info);
	assert_int_equal(hv_vm_get_stop_info(vm, &info), HV_OK);
	assert_int_equal(info.cause, HV_EVENT_VM_STOPPED);
	hv_vm_destroy(vm);
}

/* ---- reset -------------------------------------------------------------------------------------- */

struct reset_ctx {
	unsigned calls;
	hv_status_t status;
	hv_vm_t *vm;
};

static hv_status_t on_reset_cb(void *user, hv_vm_t *vm)
{
	struct ts_events *ev = user;
	struct reset_ctx *r = ev->user;

	r->calls++;
	r->vm = vm;
	return r->status;
}

static void bump_rax(hv_vcpu_t *vcpu, void *arg)
{
	(void)arg;
	/* Inside run, the backend owns the registers: change them the way a guest would. */
	mock_vcpu(vcpu)->regs.v[0] = 0xbad;
	mock_vcpu(vcpu)->regs.v[16] = 0x9999;
}

static void test_vm_reset_returns_to_the_boot_state(void **state)
{
	struct ts_events ev;
	struct reset_ctx rc = { 0, HV_OK, NULL };
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	struct ts_dev dev;
	uint64_t v = 0;

	(void)state;
	memset(&dev, 0, sizeof(dev));
	c.on_reset = on_reset_cb;
	vm = vm_with_events(&ev, 0, &c);
	ev.user = &rc;
	vcpu = ts_vcpu_new(vm, 0);
	ts_dev_add(vm, &dev, HV_BUS_MMIO, 0x1000, 0x10);
	assert_int_equal(hv_vcpu_set_reg(vcpu, HV_X86_RAX, 0x1111), HV_OK);
	assert_int_equal(hv_vcpu_set_reg(vcpu, HV_REG_PC, 0x7c00), HV_OK);
	mock_push_hook(vcpu, bump_rax, NULL);
	assert_int_equal(hv_vm_run(vm, NULL), HV_OK);
	assert_int_equal(hv_vcpu_get_reg(vcpu, HV_X86_RAX, &v), HV_OK);
	assert_int_equal(v, 0xbad);
	assert_int_equal(hv_vm_reset(vm), HV_OK);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_PAUSED);
	/* The registers of the first start, every device reset, then on_reset. */
	assert_int_equal(hv_vcpu_get_reg(vcpu, HV_X86_RAX, &v), HV_OK);
	assert_int_equal(v, 0x1111);
	assert_int_equal(hv_vcpu_get_reg(vcpu, HV_X86_RIP, &v), HV_OK);
	assert_int_equal(v, 0x7c00);
	assert_int_equal(dev.resets, 1);
	assert_int_equal(rc.calls, 1);
	assert_ptr_equal(rc.vm, vm);
	hv_vm_destroy(vm);
	ts_events_fini(&ev);
}

static void test_vm_reset_reports_on_reset_failure_and_stays_stopped(void **state)
{
	struct ts_events ev;
	struct reset_ctx rc = { 0, HV_ERR_NOT_FOUND, NULL };
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm;

	(void)state;
	c.on_reset = on_reset_cb;
	vm = vm_with_events(&ev, 0, &c);
	ev.user = &rc;
	ts_vcpu_new(vm, 0);
	assert_int_equal(hv_vm_run(vm, NULL), HV_OK);
	assert_int_equal(hv_vm_reset(vm), HV_ERR_NOT_FOUND);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_STOPPED);
	assert_int_equal(hv_vm_start(vm), HV_ERR_STATE);
	rc.status = HV_OK;
	assert_int_equal(hv_vm_reset(vm), HV_OK);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_PAUSED);
	hv_vm_destroy(vm);
	ts_events_fini(&ev);
}

static void test_vm_reset_reports_a_restore_failure(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);

	(void)state;
	ts_vcpu_new(vm, 0);
	assert_int_equal(hv_vm_run(vm, NULL), HV_OK);
	mock_knobs.restore_status = HV_ERR_INVALID_ARG;
	assert_int_equal(hv_vm_reset(vm), HV_ERR_BACKEND);
	mock_knobs.restore_status = HV_OK;
	hv_vm_destroy(vm);
}

static void test_vm_start_reports_a_snapshot_failure(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);

	(void)state;
	ts_vcpu_new(vm, 0);
	mock_knobs.save_status = HV_ERR_INVALID_ARG;
	assert_int_equal(hv_vm_start(vm), HV_ERR_BACKEND);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_CREATED);
	mock_knobs.save_status = HV_OK;
	assert_int_equal(hv_vm_run(vm, NULL), HV_OK);
	hv_vm_destroy(vm);
}

static void test_vm_reset_refused_until_threads_are_waited_for(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	hv_vm_state_t st;

	(void)state;
	mock_knobs.idle = MOCK_IDLE_BLOCK;
	mock_gate_close();
	assert_int_equal(hv_vm_start(vm), HV_OK);
	mock_wait_runs(vcpu, 1); /* the thread is inside run, held at the gate */
	assert_int_equal(hv_vm_pause(vm), HV_OK);
	assert_int_equal(hv_vm_reset(vm), HV_ERR_STATE);
	mock_gate_open();
	assert_int_equal(hv_vm_wait(vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_PAUSED);
	assert_int_equal(hv_vm_reset(vm), HV_OK);
	hv_vm_destroy(vm);
}

/* ---- restart policy ----------------------------------------------------------------------------- */

static void test_vm_restart_policy_honours_the_restart_limit(void **state)
{
	static const hv_event_type_t expect[] = {
		HV_EVENT_GUEST_RESET, HV_EVENT_VM_STOPPED, HV_EVENT_VM_RESTARTED,
		HV_EVENT_GUEST_RESET, HV_EVENT_VM_STOPPED, HV_EVENT_VM_RESTARTED,
		HV_EVENT_GUEST_RESET, HV_EVENT_VM_STOPPED,
	};
	struct ts_events ev;
	struct reset_ctx rc = { 0, HV_OK, NULL };
	hv_vm_config_t c = ts_vm_config();
	hv_stop_info_t info = HV_STOP_INFO_INIT;
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	hv_vm_state_t st;
	int i;

	(void)state;
	c.on_guest_reset = HV_POLICY_RESTART;
	c.restart_limit = 2;
	c.on_reset = on_reset_cb;
	vm = vm_with_events(&ev, 0, &c);
	ev.user = &rc;
	vcpu = ts_vcpu_new(vm, 0);
	for (i = 0; i < 4; i++)
		mock_push_reason(vcpu, HV_EXIT_RESET);
	assert_int_equal(hv_vm_run(vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_STOPPED);
	ts_events_expect(&ev, expect, 8);
	assert_int_equal(rc.calls, 2);
	assert_int_equal(mock_script_left(vcpu), 1);
	assert_int_equal(hv_vm_get_stop_info(vm, &info), HV_OK);
	assert_int_equal(info.cause, HV_EVENT_GUEST_RESET);
	assert_int_equal(info.restarts, 2);
	hv_vm_destroy(vm);
	ts_events_fini(&ev);
}

static void test_vm_restart_policy_unlimited_and_on_fault(void **state)
{
	struct ts_events ev;
	hv_vm_config_t c = ts_vm_config();
	hv_stop_info_t info = HV_STOP_INFO_INIT;
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	hv_vm_state_t st;

	(void)state;
	c.on_fault = HV_POLICY_RESTART; /* resets stop: on_guest_reset is STOP */
	vm = vm_with_events(&ev, 0, &c);
	vcpu = ts_vcpu_new(vm, 0);
	mock_push_fault(vcpu, HV_FAULT_TRIPLE, 0);
	mock_push_fault(vcpu, HV_FAULT_ENTRY, 0);
	mock_push_fault(vcpu, HV_FAULT_EMULATION, 0);
	mock_push_reason(vcpu, HV_EXIT_RESET);
	assert_int_equal(hv_vm_run(vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_STOPPED);
	assert_int_equal(hv_vm_get_stop_info(vm, &info), HV_OK);
	assert_int_equal(info.cause, HV_EVENT_GUEST_RESET);
	assert_int_equal(info.restarts, 3);
	assert_int_equal(ev.count, 3 * 3 + 2);
	hv_vm_destroy(vm);
	ts_events_fini(&ev);
}

static void test_vm_restart_policy_stop_is_the_default(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	hv_stop_info_t info = HV_STOP_INFO_INIT;

	(void)state;
	mock_push_reason(vcpu, HV_EXIT_RESET);
	mock_push_reason(vcpu, HV_EXIT_RESET);
	assert_int_equal(hv_vm_run(vm, NULL), HV_OK);
	assert_int_equal(mock_script_left(vcpu), 1);
	assert_int_equal(hv_vm_get_stop_info(vm, &info), HV_OK);
	assert_int_equal(info.cause, HV_EVENT_GUEST_RESET);
	assert_int_equal(info.restarts, 0);
	hv_vm_destroy(vm);
}

static void test_vm_wait_reports_a_failed_restart(void **state)
{
	struct ts_events ev;
	struct reset_ctx rc = { 0, HV_ERR_NOT_MAPPED, NULL };
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;

	(void)state;
	c.on_guest_reset = HV_POLICY_RESTART;
	c.on_reset = on_reset_cb;
	vm = vm_with_events(&ev, 0, &c);
	ev.user = &rc;
	vcpu = ts_vcpu_new(vm, 0);
	mock_push_reason(vcpu, HV_EXIT_RESET);
	assert_int_equal(hv_vm_run(vm, NULL), HV_ERR_NOT_MAPPED);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_STOPPED);
	hv_vm_destroy(vm);
	ts_events_fini(&ev);
}

/* ---- threads ------------------------------------------------------------------------------------ */

static void test_vm_start_reports_a_thread_that_cannot_start(void **state)
{
	static const hv_status_t failures[] = { HV_ERR_NO_MEMORY, HV_ERR_INVALID_ARG };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		hv_vm_t *vm = ts_vm_new(0);
		hv_vm_state_t st;

		ts_vcpu_new(vm, 0);
		ts_vcpu_new(vm, 1);
		mock_knobs.idle = MOCK_IDLE_BLOCK;
		tp_fail_thread_at(2, failures[i]);
		/* The platform's own failure is passed on if it is NO_MEMORY, else BACKEND. */
		assert_int_equal(hv_vm_start(vm), failures[i] == HV_ERR_NO_MEMORY ?
							  HV_ERR_NO_MEMORY :
							  HV_ERR_BACKEND);
		assert_int_equal(hv_vm_get_state(vm), HV_VM_PAUSED);
		tp_fail_thread_at(0, HV_OK);
		/* The first thread was collected; the VM can be resumed. */
		assert_int_equal(hv_vm_start(vm), HV_OK);
		assert_int_equal(hv_vm_stop(vm), HV_OK);
		assert_int_equal(hv_vm_wait(vm, &st), HV_OK);
		assert_int_equal(st, HV_VM_STOPPED);
		hv_vm_destroy(vm);
	}
}

static void test_vm_destroy_stops_and_joins_a_running_vm(void **state)
{
	struct ts_events ev;
	hv_vm_t *vm = vm_with_events(&ev, 0, NULL);
	hv_vcpu_t *a = ts_vcpu_new(vm, 0);
	struct ts_dev dev;

	(void)state;
	memset(&dev, 0, sizeof(dev));
	ts_dev_add(vm, &dev, HV_BUS_PIO, 0x80, 1);
	ts_map_ram(vm, 0, HV_PAGE_SIZE);
	ts_vcpu_new(vm, 3);
	mock_knobs.idle = MOCK_IDLE_BLOCK;
	assert_int_equal(hv_vm_start(vm), HV_OK);
	mock_wait_runs(a, 1);
	hv_vm_destroy(vm);
	assert_int_equal(dev.destroys, 1);
	ts_events_expect(&ev, STOPPED_ONLY, 1);
	ts_events_fini(&ev);
	/* The teardown checks that every thread was joined and every lock destroyed. */
}

static void test_vm_destroy_of_a_paused_vm_joins_its_threads(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);

	(void)state;
	mock_knobs.idle = MOCK_IDLE_BLOCK;
	assert_int_equal(hv_vm_start(vm), HV_OK);
	mock_wait_runs(vcpu, 1);
	assert_int_equal(hv_vm_pause(vm), HV_OK);
	hv_vm_destroy(vm);
}

static void test_vm_several_vms_run_at_once(void **state)
{
	enum { N = 3 };
	hv_vm_t *vms[N];
	hv_vcpu_t *vcpus[N];
	hv_stop_info_t info = HV_STOP_INFO_INIT;
	int i;

	(void)state;
	for (i = 0; i < N; i++) {
		hv_vm_config_t c = ts_vm_config();
		char name[8] = "vm-0";

		name[3] = (char)('0' + i);
		c.name = name;
		assert_int_equal(hv_vm_create(&c, &vms[i]), HV_OK);
		vcpus[i] = ts_vcpu_new(vms[i], 0);
		ts_map_ram(vms[i], 0, HV_PAGE_SIZE); /* the same gpa in every VM */
	}
	mock_knobs.idle = MOCK_IDLE_BLOCK;
	mock_push_reason(vcpus[0], HV_EXIT_SHUTDOWN);
	mock_push_fault(vcpus[1], HV_FAULT_TRIPLE, 0);
	for (i = 0; i < N; i++)
		assert_int_equal(hv_vm_start(vms[i]), HV_OK);
	assert_int_equal(hv_vm_wait(vms[0], NULL), HV_OK);
	assert_int_equal(hv_vm_wait(vms[1], NULL), HV_OK);
	/* The third has no script: still running, blocked in its backend. */
	assert_int_equal(hv_vm_get_state(vms[2]), HV_VM_RUNNING);
	assert_int_equal(hv_vm_get_stop_info(vms[0], &info), HV_OK);
	assert_int_equal(info.cause, HV_EVENT_GUEST_SHUTDOWN);
	assert_int_equal(hv_vm_get_stop_info(vms[1], &info), HV_OK);
	assert_int_equal(info.cause, HV_EVENT_FAULT);
	assert_int_equal(hv_vm_get_stop_info(vms[2], &info), HV_ERR_STATE);
	assert_string_equal(hv_vm_name(vms[2]), "vm-2");
	assert_int_equal(mock_live_vms(), N);
	for (i = 0; i < N; i++)
		hv_vm_destroy(vms[i]);
}

static void test_vm_manual_run_creates_no_threads(void **state)
{
	hv_vm_t *vm = ts_vm_new(HV_VM_MANUAL_RUN);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	struct tp_stats s;
	hv_vm_state_t st;

	(void)state;
	mock_push_reason(vcpu, HV_EXIT_KICK);
	mock_push_reason(vcpu, HV_EXIT_SHUTDOWN);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vcpu_run(vcpu), HV_OK);
	assert_int_equal(hv_vm_wait(vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_STOPPED);
	tp_get_stats(&s);
	assert_int_equal(s.threads_started, 0);
	hv_vm_destroy(vm);
}

static void test_vm_platform_without_threads_leaves_running_to_the_caller(void **state)
{
	hv_vm_t *vm = ts_vm_new(0);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	hv_vm_state_t st;

	(void)state;
	mock_push_reason(vcpu, HV_EXIT_SHUTDOWN);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vm_get_state(vm), HV_VM_RUNNING);
	assert_int_equal(hv_vcpu_run(vcpu), HV_OK);
	assert_int_equal(hv_vm_wait(vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_STOPPED);
	hv_vm_destroy(vm);
}

static void test_vm_manual_restart_is_one_step_per_wait(void **state)
{
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm = NULL;
	hv_vcpu_t *vcpu;
	hv_stop_info_t info = HV_STOP_INFO_INIT;
	hv_vm_state_t st;

	(void)state;
	c.flags = HV_VM_MANUAL_RUN;
	c.on_guest_reset = HV_POLICY_RESTART;
	assert_int_equal(hv_vm_create(&c, &vm), HV_OK);
	vcpu = ts_vcpu_new(vm, 0);
	mock_push_reason(vcpu, HV_EXIT_RESET);
	mock_push_reason(vcpu, HV_EXIT_SHUTDOWN);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_vcpu_run(vcpu), HV_OK);
	/* Without threads, wait restarts the VM and hands it back running. */
	assert_int_equal(hv_vm_wait(vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_RUNNING);
	assert_int_equal(hv_vcpu_run(vcpu), HV_OK);
	assert_int_equal(hv_vm_wait(vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_STOPPED);
	assert_int_equal(hv_vm_get_stop_info(vm, &info), HV_OK);
	assert_int_equal(info.cause, HV_EVENT_GUEST_SHUTDOWN);
	assert_int_equal(info.restarts, 1);
	hv_vm_destroy(vm);
}

static void stop_from_event(struct ts_events *ev, const hv_event_t *event)
{
	(void)ev;
	if (event->type == HV_EVENT_VM_PAUSED) {
		/* Callable from the event callback. */
		assert_int_equal(hv_vm_stop(event->vm), HV_OK);
		assert_int_equal(hv_vm_pause(event->vm), HV_ERR_STATE);
	}
}

static void test_vm_event_callback_may_stop_the_vm(void **state)
{
	static const hv_event_type_t expect[] = { HV_EVENT_VM_PAUSED, HV_EVENT_VM_STOPPED };
	struct ts_events ev;
	hv_vm_t *vm = vm_with_events(&ev, 0, NULL);
	hv_vcpu_t *vcpu = ts_vcpu_new(vm, 0);
	hv_vm_state_t st;

	(void)state;
	ev.then = stop_from_event;
	mock_knobs.idle = MOCK_IDLE_BLOCK;
	assert_int_equal(hv_vm_start(vm), HV_OK);
	mock_wait_runs(vcpu, 1);
	assert_int_equal(hv_vm_pause(vm), HV_OK);
	assert_int_equal(hv_vm_wait(vm, &st), HV_OK);
	assert_int_equal(st, HV_VM_STOPPED);
	ts_events_expect(&ev, expect, 2);
	hv_vm_destroy(vm);
	ts_events_fini(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_vm_create_gives_a_created_vm_with_a_default_name),
		TS_TEST(test_vm_create_copies_the_name),
		TS_TEST(test_vm_accessors_accept_null),
		TS_TEST(test_vm_create_rejects_null_and_out_of_range_arguments),
		TS_TEST(test_vm_create_rejects_unknown_struct_size),
		TS_TEST(test_vm_time_slices_need_the_capability),
		TS_TEST(test_vm_create_reports_a_backend_that_does_not_work_here),
		TS_TEST(test_vm_create_without_backend_probes),
		TS_TEST(test_vm_create_reports_backend_refusal_and_limit),
		TS_TEST(test_vm_create_reports_no_memory_at_every_allocation),
		TS_TEST(test_vm_create_cleans_up_windows_reserved_before_a_failure),
		TS_TEST(test_vm_create_fails_cleanly_when_a_reservation_runs_out_of_memory),
		TS_TEST(test_vm_start_needs_a_vcpu),
		TS_TEST(test_vm_runs_on_library_threads_until_stopped),
		TS_TEST(test_vm_state_errors_follow_the_life_cycle),
		TS_TEST(test_vm_calls_reject_null),
		TS_TEST(test_vm_pause_and_resume_report_events),
		TS_TEST(test_vm_run_starts_and_waits),
		TS_TEST(test_vm_guest_exits_report_events_in_order),
		TS_TEST(test_vm_stop_info_reports_the_guest_cause),
		TS_TEST(test_vm_stop_info_reports_a_host_stop),
		TS_TEST(test_vm_stop_info_checks_its_arguments),
		TS_TEST(test_vm_reset_returns_to_the_boot_state),
		TS_TEST(test_vm_reset_reports_on_reset_failure_and_stays_stopped),
		TS_TEST(test_vm_reset_reports_a_restore_failure),
		TS_TEST(test_vm_start_reports_a_snapshot_failure),
		TS_TEST(test_vm_reset_refused_until_threads_are_waited_for),
		TS_TEST(test_vm_restart_policy_honours_the_restart_limit),
		TS_TEST(test_vm_restart_policy_unlimited_and_on_fault),
		TS_TEST(test_vm_restart_policy_stop_is_the_default),
		TS_TEST(test_vm_wait_reports_a_failed_restart),
		TS_TEST(test_vm_start_reports_a_thread_that_cannot_start),
		TS_TEST(test_vm_destroy_stops_and_joins_a_running_vm),
		TS_TEST(test_vm_destroy_of_a_paused_vm_joins_its_threads),
		TS_TEST(test_vm_several_vms_run_at_once),
		TS_TEST(test_vm_manual_run_creates_no_threads),
		TS_TEST_NO_THREADS(test_vm_platform_without_threads_leaves_running_to_the_caller),
		TS_TEST(test_vm_manual_restart_is_one_step_per_wait),
		TS_TEST(test_vm_event_callback_may_stop_the_vm),
	};

	return cmocka_run_group_tests_name("vm", tests, NULL, NULL);
}
