/* SPDX-License-Identifier: MIT */
/* The KVM backend: what every architecture shares. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm.h"

/* A vCPU thread is kicked out of KVM_RUN by this signal; its handler does nothing. */
#define HV_KVM_KICK_SIGNAL (SIGRTMIN + 3)

int hv_kvm_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EAGAIN);
	return r;
}

static int hv_kvm_open(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION ||
	    ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0 ||
	    ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static hv_status_t hv_kvm_check(void)
{
	int fd = hv_kvm_open();

	if (fd < 0)
		return HV_ERR_NO_BACKEND;
	close(fd);
	return HV_OK;
}

static hv_status_t hv_kvm_caps(hv_backend_caps_t *caps)
{
	int fd = hv_kvm_open();
	int n;

	if (fd < 0)
		return HV_ERR_NO_BACKEND;
	caps->flags = HV_CAP_MULTI_VM;
	n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (n <= 0)
		n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	caps->max_vcpus = n > 0 ? (uint32_t)n : 1;
	n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	caps->max_regions = n > 0 ? (uint32_t)n : 32;
	if (caps->max_regions > HV_KVM_MAX_SLOTS)
		caps->max_regions = HV_KVM_MAX_SLOTS;
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0)
		caps->flags |= HV_CAP_READONLY_MEM;
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI) > 0)
		caps->flags |= HV_CAP_MSI;
	hv_kvm_arch_caps(fd, caps);
	close(fd);
	return HV_OK;
}

static void hv_kvm_kick_handler(int sig)
{
	(void)sig;
}

static pthread_once_t hv_kvm_signal_once = PTHREAD_ONCE_INIT;

static void hv_kvm_install_signal(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hv_kvm_kick_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(HV_KVM_KICK_SIGNAL, &sa, NULL);
}

static hv_status_t hv_kvm_vm_init(hv_vm_t *vm, void *vs)
{
	struct hv_kvm_vm *kv = vs;
	hv_status_t st;

	pthread_once(&hv_kvm_signal_once, hv_kvm_install_signal);
	kv->vm_fd = -1;
	kv->kvm_fd = hv_kvm_open();
	if (kv->kvm_fd < 0)
		return HV_ERR_NO_BACKEND;
	kv->run_size = ioctl(kv->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	kv->readonly_mem = ioctl(kv->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
	kv->vm_fd = ioctl(kv->kvm_fd, KVM_CREATE_VM, 0);
	if (kv->vm_fd < 0 || kv->run_size <= 0) {
		HV_LOGE("kvm: cannot create a VM: %s", strerror(errno));
		st = errno == EMFILE || errno == ENOMEM ? HV_ERR_LIMIT : HV_ERR_BACKEND;
		goto err;
	}
	st = hv_kvm_arch_vm_init(vm, kv);
	if (st != HV_OK)
		goto err;
	return HV_OK;
err:
	if (kv->vm_fd >= 0)
		close(kv->vm_fd);
	close(kv->kvm_fd);
	return st;
}

static void hv_kvm_vm_fini(hv_vm_t *vm, void *vs)
{
	struct hv_kvm_vm *kv = vs;

	(void)vm;
	close(kv->vm_fd);
	close(kv->kvm_fd);
}

static hv_status_t hv_kvm_vcpu_init(hv_vcpu_t *vcpu, void *vs, void *cs)
{
	struct hv_kvm_vm *kv = vs;
	struct hv_kvm_vcpu *kc = cs;
	hv_status_t st;

	kc->vm = kv;
	kc->index = hv_vcpu_index(vcpu);
	kc->fd = ioctl(kv->vm_fd, KVM_CREATE_VCPU, (unsigned long)kc->index);
	if (kc->fd < 0) {
		HV_LOGE("kvm: cannot create vcpu %u: %s", kc->index, strerror(errno));
		return errno == EINVAL ? HV_ERR_LIMIT : HV_ERR_BACKEND;
	}
	kc->run = mmap(NULL, (size_t)kv->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, kc->fd, 0);
	if (kc->run == MAP_FAILED) {
		close(kc->fd);
		return HV_ERR_NO_MEMORY;
	}
	st = hv_kvm_arch_vcpu_init(kv, kc);
	if (st != HV_OK) {
		munmap(kc->run, (size_t)kv->run_size);
		close(kc->fd);
	}
	return st;
}

static void hv_kvm_vcpu_fini(hv_vcpu_t *vcpu, void *vs, void *cs)
{
	struct hv_kvm_vm *kv = vs;
	struct hv_kvm_vcpu *kc = cs;

	(void)vcpu;
	munmap(kc->run, (size_t)kv->run_size);
	close(kc->fd);
}

static hv_status_t hv_kvm_set_slot(struct hv_kvm_vm *kv, uint32_t slot, hv_region_t *r,
				   uint64_t size)
{
	struct kvm_userspace_memory_region m;

	memset(&m, 0, sizeof(m));
	m.slot = slot;
	m.guest_phys_addr = hv_region_gpa(r);
	m.memory_size = size;
	m.userspace_addr = (uintptr_t)hv_region_hva(r);
	if (r->flags & HV_REGION_READONLY)
		m.flags |= KVM_MEM_READONLY;
	if (ioctl(kv->vm_fd, KVM_SET_USER_MEMORY_REGION, &m) < 0) {
		HV_LOGE("kvm: memory slot %u at 0x%llx: %s", slot,
			(unsigned long long)m.guest_phys_addr, strerror(errno));
		return HV_ERR_BACKEND;
	}
	return HV_OK;
}

static hv_status_t hv_kvm_map(void *vs, hv_region_t *r)
{
	struct hv_kvm_vm *kv = vs;
	uint32_t slot;
	hv_status_t st;

	if ((r->flags & HV_REGION_READONLY) && !kv->readonly_mem)
		return HV_ERR_BACKEND;
	for (slot = 0; slot < HV_KVM_MAX_SLOTS && kv->slot_used[slot]; slot++)
		;
	if (slot == HV_KVM_MAX_SLOTS)
		return HV_ERR_LIMIT;
	st = hv_kvm_set_slot(kv, slot, r, r->size);
	if (st == HV_OK) {
		kv->slot_used[slot] = 1;
		r->slot = slot;
	}
	return st;
}

static hv_status_t hv_kvm_unmap(void *vs, hv_region_t *r)
{
	struct hv_kvm_vm *kv = vs;
	hv_status_t st = hv_kvm_set_slot(kv, r->slot, r, 0);

	if (st == HV_OK)
		kv->slot_used[r->slot] = 0;
	return st;
}

/* Hand the guest what the previous exit's read produced. */
static inline void hv_kvm_complete(struct hv_kvm_vcpu *kc, const hv_exit_t *exit)
{
	if (exit->reason == HV_EXIT_MMIO) {
		if (!exit->u.mmio.is_write)
			memcpy(kc->run->mmio.data, &exit->u.mmio.data, sizeof(kc->run->mmio.data));
	} else if (exit->reason == HV_EXIT_HYPERCALL) {
		kc->run->hypercall.ret = exit->u.hypercall.ret;
	} else {
		hv_kvm_arch_complete(kc, exit);
	}
}

static void hv_kvm_fault(struct hv_kvm_vcpu *kc, hv_exit_t *exit, hv_fault_kind_t kind,
			 uint64_t detail)
{
	exit->reason = HV_EXIT_FAULT;
	exit->u.fault.kind = kind;
	exit->u.fault.gpa = 0;
	exit->u.fault.detail = detail;
	exit->pc = hv_kvm_arch_pc(kc);
}

static inline void hv_kvm_translate(struct hv_kvm_vcpu *kc, hv_exit_t *exit)
{
	struct kvm_run *run = kc->run;

	exit->hw_reason = run->exit_reason;
	exit->pc = 0;
	switch (run->exit_reason) {
	case KVM_EXIT_MMIO: {
		/* The data field is 8 bytes: load it whole and keep the bytes written. */
		uint64_t data;
		uint32_t len = run->mmio.len;

		memcpy(&data, run->mmio.data, sizeof(data));
		exit->reason = HV_EXIT_MMIO;
		exit->u.mmio.gpa = run->mmio.phys_addr;
		exit->u.mmio.width = (uint8_t)len;
		exit->u.mmio.is_write = run->mmio.is_write;
		exit->u.mmio.data = !run->mmio.is_write ? 0
				    : len >= 8	     ? data
						     : data & ((1ull << (len * 8)) - 1);
		return;
	}
	case KVM_EXIT_HLT:
		exit->reason = HV_EXIT_HALT;
		exit->pc = hv_kvm_arch_pc(kc);
		return;
	case KVM_EXIT_INTR:
		exit->reason = HV_EXIT_KICK;
		return;
	case KVM_EXIT_HYPERCALL:
		exit->reason = HV_EXIT_HYPERCALL;
		exit->u.hypercall.nr = run->hypercall.nr;
		memcpy(exit->u.hypercall.args, run->hypercall.args, sizeof(exit->u.hypercall.args));
		exit->u.hypercall.ret = 0;
		return;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
			exit->reason = HV_EXIT_SHUTDOWN;
		} else if (run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
			exit->reason = HV_EXIT_RESET;
		} else {
			hv_kvm_fault(kc, exit, HV_FAULT_INTERNAL, run->system_event.type);
		}
		return;
	case KVM_EXIT_FAIL_ENTRY:
		hv_kvm_fault(kc, exit, HV_FAULT_ENTRY,
			     run->fail_entry.hardware_entry_failure_reason);
		return;
	case KVM_EXIT_INTERNAL_ERROR:
		hv_kvm_fault(kc, exit,
			     run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
				     ? HV_FAULT_EMULATION
				     : HV_FAULT_INTERNAL,
			     run->internal.suberror);
		return;
	default:
		if (hv_kvm_arch_exit(kc, exit))
			return;
		exit->reason = HV_EXIT_UNKNOWN;
		exit->pc = hv_kvm_arch_pc(kc);
		return;
	}
}

static hv_status_t hv_kvm_run(hv_vcpu_t *vcpu, void *cs, hv_exit_t *exit)
{
	struct hv_kvm_vcpu *kc = cs;
	int r;

	(void)vcpu;
	hv_kvm_complete(kc, exit);
	kc->tid = pthread_self();
	__atomic_store_n(&kc->in_run, 1, __ATOMIC_SEQ_CST);
	r = ioctl(kc->fd, KVM_RUN, 0);
	__atomic_store_n(&kc->in_run, 0, __ATOMIC_SEQ_CST);
	if (HV__UNLIKELY(r < 0)) {
		int err = errno;

		if (err == EINTR || err == EAGAIN) {
			__atomic_store_n(&kc->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
			exit->reason = HV_EXIT_KICK;
			exit->hw_reason = KVM_EXIT_INTR;
			return HV_OK;
		}
		HV_LOGE("kvm: KVM_RUN on vcpu %u: %s", kc->index, strerror(err));
		return HV_ERR_BACKEND;
	}
	hv_kvm_translate(kc, exit);
	return HV_OK;
}

static void hv_kvm_kick(void *cs)
{
	struct hv_kvm_vcpu *kc = cs;

	__atomic_store_n(&kc->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&kc->in_run, __ATOMIC_SEQ_CST))
		pthread_kill(kc->tid, HV_KVM_KICK_SIGNAL);
}

static hv_status_t hv_kvm_get_regs(void *cs, const hv_reg_t *regs, uint64_t *values,
				   size_t count)
{
	return hv_kvm_arch_get_regs(cs, regs, values, count);
}

static hv_status_t hv_kvm_set_regs(void *cs, const hv_reg_t *regs, const uint64_t *values,
				   size_t count)
{
	return hv_kvm_arch_set_regs(cs, regs, values, count);
}

static hv_status_t hv_kvm_save(void *cs, void *snapshot)
{
	return hv_kvm_arch_save(cs, snapshot);
}

static hv_status_t hv_kvm_restore(void *cs, const void *snapshot)
{
	return hv_kvm_arch_restore(cs, snapshot);
}

static hv_status_t hv_kvm_irq_set(void *vs, uint32_t input, bool level)
{
	struct hv_kvm_vm *kv = vs;
	struct kvm_irq_level irq;

	irq.irq = input;
	irq.level = level ? 1 : 0;
	return ioctl(kv->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? HV_ERR_BACKEND : HV_OK;
}

static hv_status_t hv_kvm_msi(void *vs, uint64_t address, uint32_t data)
{
	struct hv_kvm_vm *kv = vs;
	struct kvm_msi msi;

	memset(&msi, 0, sizeof(msi));
	msi.address_lo = (uint32_t)address;
	msi.address_hi = (uint32_t)(address >> 32);
	msi.data = data;
	return ioctl(kv->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? HV_ERR_BACKEND : HV_OK;
}

const struct hv_backend hv__backend_kvm = {
	.version = HV__BACKEND_VERSION,
	.name = "kvm",
#if defined(__x86_64__)
	.arch = HV_ARCH_X86_64,
#elif defined(__aarch64__)
	.arch = HV_ARCH_AARCH64,
#endif
	.vm_size = sizeof(struct hv_kvm_vm),
	.vcpu_size = sizeof(struct hv_kvm_vcpu),
	.snapshot_size = sizeof(struct hv_kvm_snapshot),
	.check = hv_kvm_check,
	.caps = hv_kvm_caps,
	.vm_init = hv_kvm_vm_init,
	.vm_fini = hv_kvm_vm_fini,
	.vcpu_init = hv_kvm_vcpu_init,
	.vcpu_fini = hv_kvm_vcpu_fini,
	.map = hv_kvm_map,
	.unmap = hv_kvm_unmap,
	.run = hv_kvm_run,
	.kick = hv_kvm_kick,
	.get_regs = hv_kvm_get_regs,
	.set_regs = hv_kvm_set_regs,
	.save = hv_kvm_save,
	.restore = hv_kvm_restore,
	.irq_set = hv_kvm_irq_set,
	.msi = hv_kvm_msi,
};
