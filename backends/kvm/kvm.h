/* SPDX-License-Identifier: MIT */
/*
 * The KVM backend. kvm.c holds what every architecture shares (VM and vCPU file descriptors,
 * memory slots, KVM_RUN and the generic exits, kicks, interrupt lines); kvm_<arch>.c holds
 * registers, interrupt-controller set-up, snapshots and arch-specific exits.
 */
#ifndef HV_KVM_H
#define HV_KVM_H

#include <linux/kvm.h>
#include <pthread.h>

#include "hv_internal.h"

#define HV_KVM_MAX_SLOTS 512

struct hv_kvm_vm {
	int kvm_fd;
	int vm_fd;
	int run_size;
	bool readonly_mem;
	uint8_t slot_used[HV_KVM_MAX_SLOTS];
};

/* MSR values a register batch can put back if KVM refuses one of its writes. */
#define HV_KVM_MSR_UNDO 32

struct hv_kvm_vcpu {
	struct hv_kvm_vm *vm;
	uint64_t msr_undo[HV_KVM_MSR_UNDO];
	int fd;
	uint32_t index;
	struct kvm_run *run;
	pthread_t tid;
	uint8_t in_run; /* atomic */
};

/* What a reset returns a vCPU to: everything KVM_RUN depends on. */
#if defined(__x86_64__)
struct hv_kvm_snapshot {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_mp_state mp_state;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
};
#endif

/* Architecture hooks, implemented once per architecture. */
void hv_kvm_arch_caps(int kvm_fd, hv_backend_caps_t *caps);
hv_status_t hv_kvm_arch_vm_init(hv_vm_t *vm, struct hv_kvm_vm *kv);
hv_status_t hv_kvm_arch_vcpu_init(struct hv_kvm_vm *kv, struct hv_kvm_vcpu *kc);
hv_status_t hv_kvm_arch_get_regs(struct hv_kvm_vcpu *kc, const hv_reg_t *regs, uint64_t *values,
				 size_t count);
hv_status_t hv_kvm_arch_set_regs(struct hv_kvm_vcpu *kc, const hv_reg_t *regs,
				 const uint64_t *values, size_t count);
hv_status_t hv_kvm_arch_save(struct hv_kvm_vcpu *kc, void *snapshot);
hv_status_t hv_kvm_arch_restore(struct hv_kvm_vcpu *kc, const void *snapshot);
/* Translate an arch-specific exit; false if the reason is not one of the arch's. */
bool hv_kvm_arch_exit(struct hv_kvm_vcpu *kc, hv_exit_t *exit);
/* Complete an arch-specific read before the next KVM_RUN. */
void hv_kvm_arch_complete(struct hv_kvm_vcpu *kc, const hv_exit_t *exit);
uint64_t hv_kvm_arch_pc(struct hv_kvm_vcpu *kc);

int hv_kvm_ioctl(int fd, unsigned long req, void *arg);

#endif /* HV_KVM_H */
