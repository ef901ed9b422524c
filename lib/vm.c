/* SPDX-License-Identifier: MIT */
/* The VM object: creation, life cycle, vCPU threads, stop causes, restart policy, events. */
#include "hv_internal.h"

static hv_status_t hv__check_config(const hv_vm_config_t *cfg)
{
	if (HV__CHECK_STRUCT(cfg, hv_vm_config_t) != HV_OK)
		return HV_ERR_ABI;
	if ((cfg->flags & ~HV_VM_MANUAL_RUN) != 0)
		return HV_ERR_INVALID_ARG;
	if ((unsigned)cfg->on_guest_reset > HV_POLICY_RESTART ||
	    (unsigned)cfg->on_fault > HV_POLICY_RESTART)
		return HV_ERR_INVALID_ARG;
	if ((unsigned)cfg->unmapped_mmio > HV_UNMAPPED_IGNORE ||
	    (unsigned)cfg->unmapped_pio > HV_UNMAPPED_IGNORE)
		return HV_ERR_INVALID_ARG;
	return HV_OK;
}

hv_status_t hv_vm_create(const hv_vm_config_t *config, hv_vm_t **out)
{
	const struct hv_backend *be;
	hv_vm_t *vm;
	hv_status_t st;

	if (config == NULL || out == NULL)
		return HV_ERR_INVALID_ARG;
	st = hv__check_config(config);
	if (st != HV_OK)
		return st;
	if (hv__platform_get() == NULL)
		return HV_ERR_NO_PLATFORM;
	be = config->backend;
	if (be == NULL) {
		st = hv_backend_probe(&be);
		if (st != HV_OK)
			return st;
	} else if (hv_backend_check(be) != HV_OK) {
		return HV_ERR_NO_BACKEND;
	}

	vm = hv__alloc(sizeof(*vm));
	if (vm == NULL)
		return HV_ERR_NO_MEMORY;
	vm->backend = be;
	vm->cfg = *config;
	vm->cfg.backend = be;
	vm->caps.struct_size = sizeof(vm->caps);
	vm->caps.arch = be->arch;
	st = HV_ERR_NO_BACKEND;
	if (be->caps(&vm->caps) != HV_OK)
		goto err_free;
	st = HV_ERR_UNSUPPORTED;
	if (config->time_slice_us != 0 && (vm->caps.flags & HV_CAP_TIME_SLICE) == 0)
		goto err_free;
	st = HV_ERR_NO_MEMORY;
	vm->name = hv__strdup(config->name != NULL ? config->name : "vm");
	vm->cfg.name = vm->name;
	vm->lock = hv__lock_create();
	vm->join_lock = hv__lock_create();
	vm->map_lock = hv__lock_create();
	if (vm->name == NULL || vm->lock == NULL || vm->join_lock == NULL || vm->map_lock == NULL)
		goto err_free;
	vm->vcpu_slots = vm->caps.max_vcpus;
	vm->vcpus = hv__alloc(vm->vcpu_slots * sizeof(*vm->vcpus));
	if (vm->vcpus == NULL)
		goto err_free;
	if (be->vm_size != 0) {
		vm->bstate = hv__alloc(be->vm_size);
		if (vm->bstate == NULL)
			goto err_free;
	}
	hv__rangemap_init(&vm->mem, vm->caps.max_gpa);
	hv__rangemap_init(&vm->pio, 0x10000);
	vm->state = HV_VM_CREATED;
	st = be->vm_init(vm, vm->bstate);
	if (st != HV_OK)
		goto err_free;
	hv__platform_ref();
	HV_LOGI("vm %s: created on backend %s", vm->name, be->name);
	*out = vm;
	return HV_OK;

err_free:
	hv__rangemap_fini(&vm->mem);
	hv__rangemap_fini(&vm->pio);
	hv__free(vm->bstate, be->vm_size);
	hv__free(vm->vcpus, vm->vcpu_slots * sizeof(*vm->vcpus));
	hv__lock_destroy(vm->map_lock);
	hv__lock_destroy(vm->join_lock);
	hv__lock_destroy(vm->lock);
	hv__strfree(vm->name);
	hv__free(vm, sizeof(*vm));
	return st;
}

void hv__vm_event(hv_vm_t *vm, hv_event_type_t type, uint32_t vcpu_index, const hv_exit_t *exit)
{
	hv_event_t ev;

	HV_LOGD("vm %s: event %s (vcpu %u)", vm->name, hv_event_type_str(type), vcpu_index);
	if (vm->cfg.on_event == NULL)
		return;
	ev.type = type;
	ev.vm = vm;
	ev.vcpu_index = vcpu_index;
	ev.exit = exit;
	vm->cfg.on_event(vm->cfg.event_user, &ev);
}

static void hv__vm_kick_all(hv_vm_t *vm)
{
	uint32_t i;

	for (i = 0; i < vm->vcpu_slots; i++)
		if (vm->vcpus[i] != NULL)
			vm->backend->kick(vm->vcpus[i]->bstate);
}

static void hv__vm_set_state(hv_vm_t *vm, hv_vm_state_t state)
{
	__atomic_store_n((int *)&vm->state, (int)state, __ATOMIC_RELEASE);
}

void hv__vm_stop(hv_vm_t *vm, hv_event_type_t cause, const hv_vcpu_t *vcpu, const hv_exit_t *exit)
{
	uint32_t index = vcpu != NULL ? vcpu->index : UINT32_MAX;
	bool stopped = false;

	hv__lock(vm->lock);
	if (vm->state != HV_VM_STOPPED) {
		hv__vm_set_state(vm, HV_VM_STOPPED);
		stopped = true;
		if (!vm->stop_valid) {
			vm->stop_valid = true;
			vm->stop.struct_size = sizeof(vm->stop);
			vm->stop.cause = cause;
			vm->stop.vcpu_index = index;
			if (exit != NULL)
				vm->stop.exit = *exit;
			else
				hv__memset(&vm->stop.exit, 0, sizeof(vm->stop.exit));
		}
		vm->restart_pending =
			(cause == HV_EVENT_GUEST_RESET && vm->cfg.on_guest_reset == HV_POLICY_RESTART) ||
			((cause == HV_EVENT_FAULT || cause == HV_EVENT_WATCHDOG) &&
			 vm->cfg.on_fault == HV_POLICY_RESTART);
	}
	hv__unlock(vm->lock);
	if (!stopped)
		return;
	hv__vm_kick_all(vm);
	if (cause != HV_EVENT_VM_STOPPED)
		hv__vm_event(vm, cause, index, exit);
	hv__vm_event(vm, HV_EVENT_VM_STOPPED, index, exit);
}

/* Join every library thread of the VM. Threads leave once the VM is not running. */
static void hv__vm_join(hv_vm_t *vm)
{
	const hv_platform_ops_t *p = hv__platform_get();
	uint32_t i;

	hv__lock(vm->join_lock);
	for (i = 0; i < vm->vcpu_slots; i++) {
		hv_vcpu_t *vcpu = vm->vcpus[i];

		if (vcpu != NULL && vcpu->thread != NULL) {
			p->thread_join(p->ctx, vcpu->thread);
			vcpu->thread = NULL;
		}
	}
	hv__unlock(vm->join_lock);
}

static bool hv__vm_threaded(const hv_vm_t *vm)
{
	const hv_platform_ops_t *p = hv__platform_get();

	return p->thread_create != NULL && (vm->cfg.flags & HV_VM_MANUAL_RUN) == 0;
}

static bool hv__vm_any_owned(const hv_vm_t *vm)
{
	uint32_t i;

	for (i = 0; i < vm->vcpu_slots; i++)
		if (vm->vcpus[i] != NULL && __atomic_load_n(&vm->vcpus[i]->owned, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

void hv__vm_map_hold(hv_vm_t *vm)
{
	hv__lock(vm->map_lock);
}

void hv__vm_map_release(hv_vm_t *vm)
{
	hv__unlock(vm->map_lock);
}

bool hv__vm_quiescent(const hv_vm_t *vm)
{
	return hv__vm_state(vm) != HV_VM_RUNNING &&
	       __atomic_load_n(&vm->threads, __ATOMIC_ACQUIRE) == 0 && !hv__vm_any_owned(vm);
}

void hv_vm_destroy(hv_vm_t *vm)
{
	const struct hv_backend *be;
	uint32_t i;

	if (vm == NULL)
		return;
	be = vm->backend;
	if (hv__vm_state(vm) == HV_VM_RUNNING)
		hv__vm_stop(vm, HV_EVENT_VM_STOPPED, NULL, NULL);
	if (hv__vm_threaded(vm))
		hv__vm_join(vm);
	/* Devices first: their timers may stop the VM (kicking its vCPUs) until destroyed. */
	hv__vm_release_devices(vm);
	for (i = 0; i < vm->vcpu_slots; i++)
		if (vm->vcpus[i] != NULL)
			hv__vcpu_destroy(vm->vcpus[i]);
	hv__vm_release_lines(vm);
	hv__vm_release_regions(vm);
	be->vm_fini(vm, vm->bstate);
	hv__rangemap_fini(&vm->mem);
	hv__rangemap_fini(&vm->pio);
	HV_LOGI("vm %s: destroyed", vm->name);
	hv__free(vm->bstate, be->vm_size);
	hv__free(vm->vcpus, vm->vcpu_slots * sizeof(*vm->vcpus));
	hv__lock_destroy(vm->map_lock);
	hv__lock_destroy(vm->join_lock);
	hv__lock_destroy(vm->lock);
	hv__strfree(vm->name);
	hv__free(vm, sizeof(*vm));
	hv__platform_unref();
}

static void hv__vcpu_thread(void *arg)
{
	hv_vcpu_t *vcpu = arg;
	hv_status_t st = hv_vcpu_run(vcpu);

	if (st != HV_OK)
		HV_LOGD("vm %s: vcpu %u thread ends: %s", vcpu->vm->name, vcpu->index,
			hv_status_str(st));
	__atomic_sub_fetch(&vcpu->vm->threads, 1, __ATOMIC_ACQ_REL);
}

/* The first start records every vCPU's registers: resets return to them. */
static hv_status_t hv__vm_snapshot(hv_vm_t *vm)
{
	const struct hv_backend *be = vm->backend;
	uint32_t i;

	for (i = 0; i < vm->vcpu_slots; i++) {
		hv_vcpu_t *vcpu = vm->vcpus[i];

		if (vcpu == NULL || vcpu->snapshot == NULL)
			continue;
		if (be->save(vcpu->bstate, vcpu->snapshot) != HV_OK)
			return HV_ERR_BACKEND;
		vcpu->has_snapshot = true;
	}
	return HV_OK;
}

hv_status_t hv_vm_start(hv_vm_t *vm)
{
	const hv_platform_ops_t *p;
	hv_status_t st = HV_OK;
	uint32_t i;

	if (vm == NULL)
		return HV_ERR_INVALID_ARG;
	p = hv__platform_get();
	hv__lock(vm->lock);
	if ((vm->state != HV_VM_CREATED && vm->state != HV_VM_PAUSED) || vm->vcpu_count == 0)
		st = HV_ERR_STATE;
	else if (vm->state == HV_VM_CREATED)
		st = hv__vm_snapshot(vm);
	hv__unlock(vm->lock);
	if (st != HV_OK)
		return st;
	/* Threads from before a pause are on their way out: collect them first. */
	if (hv__vm_threaded(vm))
		hv__vm_join(vm);
	else if (hv__vm_any_owned(vm))
		return HV_ERR_STATE;

	hv__lock(vm->lock);
	if (vm->state != HV_VM_CREATED && vm->state != HV_VM_PAUSED) {
		hv__unlock(vm->lock);
		return HV_ERR_STATE;
	}
	vm->started = true;
	hv__vm_set_state(vm, HV_VM_RUNNING);
	hv__unlock(vm->lock);
	HV_LOGI("vm %s: running", vm->name);
	if (!hv__vm_threaded(vm))
		return HV_OK;

	for (i = 0; i < vm->vcpu_slots; i++) {
		hv_vcpu_t *vcpu = vm->vcpus[i];

		if (vcpu == NULL)
			continue;
		__atomic_add_fetch(&vm->threads, 1, __ATOMIC_ACQ_REL);
		st = p->thread_create(p->ctx, hv__vcpu_thread, vcpu, &vcpu->thread);
		if (st != HV_OK) {
			__atomic_sub_fetch(&vm->threads, 1, __ATOMIC_ACQ_REL);
			vcpu->thread = NULL;
			HV_LOGE("vm %s: cannot start the thread of vcpu %u: %s", vm->name, i,
				hv_status_str(st));
			hv_vm_pause(vm);
			hv__vm_join(vm);
			return st == HV_ERR_NO_MEMORY ? st : HV_ERR_BACKEND;
		}
	}
	return HV_OK;
}

hv_status_t hv_vm_pause(hv_vm_t *vm)
{
	if (vm == NULL)
		return HV_ERR_INVALID_ARG;
	hv__lock(vm->lock);
	if (vm->state != HV_VM_RUNNING) {
		hv__unlock(vm->lock);
		return HV_ERR_STATE;
	}
	hv__vm_set_state(vm, HV_VM_PAUSED);
	hv__unlock(vm->lock);
	hv__vm_kick_all(vm);
	hv__vm_event(vm, HV_EVENT_VM_PAUSED, UINT32_MAX, NULL);
	return HV_OK;
}

hv_status_t hv_vm_stop(hv_vm_t *vm)
{
	if (vm == NULL)
		return HV_ERR_INVALID_ARG;
	hv__vm_stop(vm, HV_EVENT_VM_STOPPED, NULL, NULL);
	return HV_OK;
}

hv_status_t hv_vm_wait(hv_vm_t *vm, hv_vm_state_t *state)
{
	hv_status_t st;

	if (vm == NULL)
		return HV_ERR_INVALID_ARG;
	if (!vm->started)
		return HV_ERR_STATE;
	for (;;) {
		bool restart;

		if (hv__vm_threaded(vm))
			hv__vm_join(vm);
		hv__lock(vm->lock);
		restart = vm->restart_pending && vm->state == HV_VM_STOPPED &&
			  (vm->cfg.restart_limit == 0 || vm->stop.restarts < vm->cfg.restart_limit);
		vm->restart_pending = false;
		hv__unlock(vm->lock);
		if (!restart)
			break;
		st = hv_vm_reset(vm);
		if (st != HV_OK)
			return st;
		vm->stop.restarts++;
		HV_LOGI("vm %s: restarted (%u)", vm->name, vm->stop.restarts);
		hv__vm_event(vm, HV_EVENT_VM_RESTARTED, UINT32_MAX, NULL);
		st = hv_vm_start(vm);
		if (st != HV_OK)
			return st;
		if (!hv__vm_threaded(vm))
			break;
	}
	if (state != NULL)
		*state = hv__vm_state(vm);
	return HV_OK;
}

hv_status_t hv_vm_run(hv_vm_t *vm, hv_vm_state_t *state)
{
	hv_status_t st = hv_vm_start(vm);

	if (st != HV_OK)
		return st;
	return hv_vm_wait(vm, state);
}

hv_status_t hv_vm_reset(hv_vm_t *vm)
{
	const struct hv_backend *be;
	uint32_t i;
	hv_status_t st;

	if (vm == NULL)
		return HV_ERR_INVALID_ARG;
	be = vm->backend;
	if (!hv__vm_quiescent(vm))
		return HV_ERR_STATE;
	if (hv__vm_threaded(vm))
		hv__vm_join(vm);
	for (i = 0; i < vm->vcpu_slots; i++) {
		hv_vcpu_t *vcpu = vm->vcpus[i];

		if (vcpu == NULL)
			continue;
		if (vcpu->has_snapshot && be->restore(vcpu->bstate, vcpu->snapshot) != HV_OK)
			return HV_ERR_BACKEND;
		hv__memset(&vcpu->exit, 0, sizeof(vcpu->exit));
		vcpu->exit.vcpu_index = vcpu->index;
	}
	hv__vm_reset_devices(vm);
	if (vm->cfg.on_reset != NULL) {
		st = vm->cfg.on_reset(vm->cfg.event_user, vm);
		if (st != HV_OK)
			return st;
	}
	hv__lock(vm->lock);
	if (vm->state != HV_VM_CREATED)
		hv__vm_set_state(vm, HV_VM_PAUSED);
	vm->stop_valid = false;
	vm->restart_pending = false;
	hv__unlock(vm->lock);
	HV_LOGI("vm %s: reset", vm->name);
	return HV_OK;
}

hv_vm_state_t hv_vm_get_state(const hv_vm_t *vm)
{
	return vm != NULL ? hv__vm_state(vm) : HV_VM_STOPPED;
}

hv_status_t hv_vm_get_stop_info(const hv_vm_t *vm, hv_stop_info_t *info)
{
	hv_status_t st = HV_OK;

	if (vm == NULL || info == NULL)
		return HV_ERR_INVALID_ARG;
	if (HV__CHECK_STRUCT(info, hv_stop_info_t) != HV_OK)
		return HV_ERR_ABI;
	hv__lock(vm->lock);
	if (vm->stop_valid)
		*info = vm->stop;
	else
		st = HV_ERR_STATE;
	hv__unlock(vm->lock);
	return st;
}

const char *hv_vm_name(const hv_vm_t *vm)
{
	return vm != NULL ? vm->name : "(null)";
}

const hv_backend_t *hv_vm_backend(const hv_vm_t *vm)
{
	return vm != NULL ? vm->backend : NULL;
}

void hv__vm_invalidate_caches(hv_vm_t *vm)
{
	uint32_t i;

	for (i = 0; i < vm->vcpu_slots; i++)
		if (vm->vcpus[i] != NULL) {
			vm->vcpus[i]->mmio_cache = NULL;
			vm->vcpus[i]->pio_cache = NULL;
		}
}
