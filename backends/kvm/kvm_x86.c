/* SPDX-License-Identifier: MIT */
/* The KVM backend on x86-64: in-kernel PIC/IOAPIC/LAPIC, CPUID, registers, port I/O. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm.h"

/*
 * KVM on Intel needs three pages for a real-mode TSS and one for an identity-mapped page
 * table, somewhere in guest-physical space that nothing else uses. They sit where a PC has
 * nothing, just below the top 16 MiB.
 */
#define HV_KVM_IDENTITY_MAP 0xfeffc000ull
#define HV_KVM_TSS (HV_KVM_IDENTITY_MAP + 0x1000)
#define HV_KVM_IOAPIC 0xfec00000ull
#define HV_KVM_LAPIC 0xfee00000ull
#define HV_KVM_GSI_COUNT 24

#define HV_MSR_EFER 0xc0000080u

void hv_kvm_arch_caps(int kvm_fd, hv_backend_caps_t *caps)
{
	unsigned eax = 0, ebx, ecx, edx, bits = 36;

	caps->flags |= HV_CAP_PIO;
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) > 0) {
		caps->flags |= HV_CAP_IRQCHIP;
		caps->irq_inputs = HV_KVM_GSI_COUNT;
	}
	if (__get_cpuid(0x80000000u, &eax, &ebx, &ecx, &edx) && eax >= 0x80000008u &&
	    __get_cpuid(0x80000008u, &eax, &ebx, &ecx, &edx))
		bits = eax & 0xff;
	caps->max_gpa = bits >= 64 ? 0 : 1ull << bits;
}

hv_status_t hv_kvm_arch_vm_init(hv_vm_t *vm, struct hv_kvm_vm *kv)
{
	static const struct {
		hv_bus_t bus;
		uint64_t base, size;
	} reserved[] = {
		{ HV_BUS_MMIO, HV_KVM_IOAPIC, 0x1000 },       /* in-kernel IOAPIC */
		{ HV_BUS_MMIO, HV_KVM_LAPIC, 0x1000 },        /* in-kernel local APICs */
		{ HV_BUS_MMIO, HV_KVM_IDENTITY_MAP, 0x4000 }, /* identity map and TSS */
		{ HV_BUS_PIO, 0x20, 2 },                      /* master PIC */
		{ HV_BUS_PIO, 0xa0, 2 },                      /* slave PIC */
		{ HV_BUS_PIO, 0x4d0, 2 },                     /* ELCR */
		{ HV_BUS_PIO, 0x40, 4 },                      /* in-kernel PIT (8254) */
		{ HV_BUS_PIO, 0x61, 1 },                      /* its speaker/gate port (NMI status) */
	};
	hv_irq_route_config_t pit_route = HV_IRQ_ROUTE_CONFIG_INIT;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	hv_irq_line_t *pit_line;
	uint64_t identity = HV_KVM_IDENTITY_MAP;
	size_t i;

	if (ioctl(kv->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0 ||
	    ioctl(kv->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)HV_KVM_TSS) < 0) {
		HV_LOGE("kvm: cannot place the TSS and identity map: %s", strerror(errno));
		return HV_ERR_BACKEND;
	}
	if (ioctl(kv->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		HV_LOGE("kvm: cannot create the in-kernel interrupt controller: %s",
			strerror(errno));
		return HV_ERR_BACKEND;
	}
	/*
	 * The PC's timer, as every PC has one: Linux checks that IRQ 0 ticks through the IOAPIC
	 * before it trusts its local APIC timer, and calibrates with it when nothing better is
	 * there. In the kernel, its ticks never leave it; channel 2's gate and output are port
	 * 0x61 (KVM_PIT_SPEAKER_DUMMY: the kernel answers that port too).
	 */
	if (ioctl(kv->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		HV_LOGE("kvm: cannot create the in-kernel PIT: %s", strerror(errno));
		return HV_ERR_BACKEND;
	}
	for (i = 0; i < HV__ARRAY_SIZE(reserved); i++)
		if (hv__vm_reserve(vm, reserved[i].bus, reserved[i].base, reserved[i].size) != HV_OK)
			return HV_ERR_NO_MEMORY;
	/* Input 0 is the PIT's: a route there would share its line. */
	pit_route.name = "pit";
	pit_route.input = 0;
	pit_route.trigger = HV_IRQ_EDGE;
	return hv_irq_route_add(vm, &pit_route, &pit_line);
}

/* The guest sees what KVM can virtualise, with its own APIC ID in each vCPU's leaves. */
hv_status_t hv_kvm_arch_vcpu_init(struct hv_kvm_vm *kv, struct hv_kvm_vcpu *kc)
{
	struct kvm_cpuid2 *cpuid = NULL;
	uint32_t nent = 64, i;
	hv_status_t st = HV_ERR_BACKEND;

	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
		if (cpuid == NULL)
			return HV_ERR_NO_MEMORY;
		cpuid->nent = nent;
		if (ioctl(kv->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
			break;
		free(cpuid);
		if (errno != E2BIG || nent >= 4096)
			return HV_ERR_BACKEND;
		nent *= 2;
	}
	for (i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == 1) {
			e->ebx = (e->ebx & 0x00ffffffu) | (kc->index << 24);
			/*
			 * CPUID.1:ECX[31], "running under a hypervisor": KVM leaves it to the VMM.
			 * With it the guest finds KVM's leaves at 0x40000000 (kvmclock, PV EOI,
			 * the TSC frequency) instead of calibrating against emulated timers.
			 */
			e->ecx |= 1u << 31;
		}
		else if (e->function == 0xb || e->function == 0x1f)
			e->edx = kc->index;
	}
	if (ioctl(kc->fd, KVM_SET_CPUID2, cpuid) == 0)
		st = HV_OK;
	else
		HV_LOGE("kvm: KVM_SET_CPUID2: %s", strerror(errno));
	free(cpuid);
	return st;
}

/* kvm_segment <-> VMX access-rights layout. */
static uint64_t hv_kvm_seg_attr(const struct kvm_segment *s)
{
	return (uint64_t)(s->type & 0xf) | (uint64_t)(s->s & 1) << 4 | (uint64_t)(s->dpl & 3) << 5 |
	       (uint64_t)(s->present & 1) << 7 | (uint64_t)(s->avl & 1) << 12 |
	       (uint64_t)(s->l & 1) << 13 | (uint64_t)(s->db & 1) << 14 |
	       (uint64_t)(s->g & 1) << 15 | (uint64_t)(s->unusable & 1) << 16;
}

static void hv_kvm_seg_set_attr(struct kvm_segment *s, uint64_t a)
{
	s->type = a & 0xf;
	s->s = (a >> 4) & 1;
	s->dpl = (a >> 5) & 3;
	s->present = (a >> 7) & 1;
	s->avl = (a >> 12) & 1;
	s->l = (a >> 13) & 1;
	s->db = (a >> 14) & 1;
	s->g = (a >> 15) & 1;
	s->unusable = (a >> 16) & 1;
}

enum hv_kvm_where { HV_KVM_NONE, HV_KVM_REGS, HV_KVM_SREGS, HV_KVM_MSR };

static enum hv_kvm_where hv_kvm_classify(hv_reg_t reg)
{
	uint64_t n;

	if ((reg & ~0xffffffffull) == HV_X86_MSR_CLASS)
		return HV_KVM_MSR;
	if ((reg & ~0xffffffffull) != HV_X86_REG_CLASS)
		return HV_KVM_NONE;
	n = reg & 0xffffffffull;
	if (n <= 17)
		return HV_KVM_REGS;
	if ((n >= 20 && n <= 25) || (n >= 30 && n <= 33) || (n >= 0x100 && n < 0x100 + 8 * 4))
		return HV_KVM_SREGS;
	return HV_KVM_NONE;
}

static __u64 *hv_kvm_gpr(struct kvm_regs *r, unsigned n)
{
	__u64 *const map[18] = {
		&r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
		&r->r8,	 &r->r9,  &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
		&r->rip, &r->rflags,
	};

	return map[n];
}

static struct kvm_segment *hv_kvm_seg(struct kvm_sregs *s, unsigned seg)
{
	struct kvm_segment *const map[8] = { &s->es, &s->cs, &s->ss, &s->ds,
					     &s->fs, &s->gs, &s->ldt, &s->tr };

	return map[seg];
}

/* One sregs field by register number; write when @p in is non-NULL. */
static uint64_t hv_kvm_sreg(struct kvm_sregs *s, unsigned n, const uint64_t *in)
{
	__u64 *p64 = NULL;
	uint64_t v = in ? *in : 0;

	switch (n) {
	case 20: p64 = &s->cr0; break;
	case 21: p64 = &s->cr2; break;
	case 22: p64 = &s->cr3; break;
	case 23: p64 = &s->cr4; break;
	case 24: p64 = &s->cr8; break;
	case 25: p64 = &s->efer; break;
	case 30: p64 = &s->gdt.base; break;
	case 31:
		if (in)
			s->gdt.limit = (uint16_t)v;
		return s->gdt.limit;
	case 32: p64 = &s->idt.base; break;
	case 33:
		if (in)
			s->idt.limit = (uint16_t)v;
		return s->idt.limit;
	default: {
		struct kvm_segment *seg = hv_kvm_seg(s, (n - 0x100) / 4);

		switch ((n - 0x100) % 4) {
		case HV_X86_SEG_SELECTOR:
			if (in)
				seg->selector = (uint16_t)v;
			return seg->selector;
		case HV_X86_SEG_BASE:
			if (in)
				seg->base = v;
			return seg->base;
		case HV_X86_SEG_LIMIT:
			if (in)
				seg->limit = (uint32_t)v;
			return seg->limit;
		default:
			if (in)
				hv_kvm_seg_set_attr(seg, v);
			return hv_kvm_seg_attr(seg);
		}
	}
	}
	if (in)
		*p64 = v;
	return *p64;
}

static hv_status_t hv_kvm_msr(struct hv_kvm_vcpu *kc, uint32_t index, uint64_t *value, bool set)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = index;
	m.e.data = set ? *value : 0;
	if (ioctl(kc->fd, set ? KVM_SET_MSRS : KVM_GET_MSRS, &m) != 1)
		return HV_ERR_UNKNOWN_REG;
	if (!set)
		*value = m.e.data;
	return HV_OK;
}

/* Give the MSRs among regs[0..n) the values they had before a refused batch. */
static void hv_kvm_msr_rollback(struct hv_kvm_vcpu *kc, const hv_reg_t *regs, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < HV_KVM_MSR_UNDO; i++) {
		uint64_t v = kc->msr_undo[i];

		if (hv_kvm_classify(regs[i]) == HV_KVM_MSR)
			hv_kvm_msr(kc, (uint32_t)regs[i], &v, true);
	}
}

static hv_status_t hv_kvm_regs(struct hv_kvm_vcpu *kc, const hv_reg_t *regs, uint64_t *out,
			       const uint64_t *in, size_t count)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	bool need_regs = false, need_sregs = false;
	size_t i;

	for (i = 0; i < count; i++) {
		switch (hv_kvm_classify(regs[i])) {
		case HV_KVM_NONE: return HV_ERR_UNKNOWN_REG;
		case HV_KVM_REGS: need_regs = true; break;
		case HV_KVM_SREGS: need_sregs = true; break;
		case HV_KVM_MSR: break;
		}
	}
	if (need_regs && ioctl(kc->fd, KVM_GET_REGS, &r) < 0)
		return HV_ERR_BACKEND;
	if (need_sregs && ioctl(kc->fd, KVM_GET_SREGS, &s) < 0)
		return HV_ERR_BACKEND;
	/* Reads of MSRs go first so that an unknown MSR leaves nothing half-written. */
	for (i = 0; i < count; i++) {
		unsigned n = (unsigned)(regs[i] & 0xffffffffu);
		uint64_t v;

		switch (hv_kvm_classify(regs[i])) {
		case HV_KVM_REGS:
			if (in)
				*hv_kvm_gpr(&r, n) = in[i];
			else
				out[i] = *hv_kvm_gpr(&r, n);
			break;
		case HV_KVM_SREGS:
			v = hv_kvm_sreg(&s, n, in ? &in[i] : NULL);
			if (!in)
				out[i] = v;
			break;
		case HV_KVM_MSR:
			if (in) {
				if (hv_kvm_msr(kc, n, &v, false) != HV_OK)
					return HV_ERR_UNKNOWN_REG;
				if (i < HV_KVM_MSR_UNDO)
					kc->msr_undo[i] = v;
			} else if (hv_kvm_msr(kc, n, &out[i], false) != HV_OK) {
				return HV_ERR_UNKNOWN_REG;
			}
			break;
		default:
			break;
		}
	}
	if (!in)
		return HV_OK;
	/*
	 * MSRs go first: KVM may refuse a value, and then nothing else may have changed. MSRs
	 * written before the refused one get their old values back.
	 */
	for (i = 0; i < count; i++) {
		uint64_t v = in[i];

		if (hv_kvm_classify(regs[i]) != HV_KVM_MSR)
			continue;
		if (hv_kvm_msr(kc, (uint32_t)regs[i], &v, true) != HV_OK) {
			hv_kvm_msr_rollback(kc, regs, i);
			return HV_ERR_BACKEND;
		}
	}
	if (need_sregs && ioctl(kc->fd, KVM_SET_SREGS, &s) < 0)
		return HV_ERR_BACKEND;
	if (need_regs && ioctl(kc->fd, KVM_SET_REGS, &r) < 0)
		return HV_ERR_BACKEND;
	/*
	 * With the in-kernel APIC, secondary vCPUs wait for INIT/SIPI. A host that places one
	 * at an entry point means it to run from there, as the boot vCPU does.
	 */
	for (i = 0; i < count && kc->index != 0; i++) {
		if (regs[i] == HV_X86_RIP) {
			struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

			if (ioctl(kc->fd, KVM_SET_MP_STATE, &mp) < 0)
				return HV_ERR_BACKEND;
			break;
		}
	}
	return HV_OK;
}

hv_status_t hv_kvm_arch_get_regs(struct hv_kvm_vcpu *kc, const hv_reg_t *regs, uint64_t *values,
				 size_t count)
{
	return hv_kvm_regs(kc, regs, values, NULL, count);
}

hv_status_t hv_kvm_arch_set_regs(struct hv_kvm_vcpu *kc, const hv_reg_t *regs,
				 const uint64_t *values, size_t count)
{
	return hv_kvm_regs(kc, regs, NULL, values, count);
}

hv_status_t hv_kvm_arch_save(struct hv_kvm_vcpu *kc, void *snapshot)
{
	struct hv_kvm_snapshot *s = snapshot;

	if (ioctl(kc->fd, KVM_GET_REGS, &s->regs) < 0 || ioctl(kc->fd, KVM_GET_SREGS, &s->sregs) < 0 ||
	    ioctl(kc->fd, KVM_GET_FPU, &s->fpu) < 0 ||
	    ioctl(kc->fd, KVM_GET_MP_STATE, &s->mp_state) < 0 ||
	    ioctl(kc->fd, KVM_GET_LAPIC, &s->lapic) < 0 ||
	    ioctl(kc->fd, KVM_GET_VCPU_EVENTS, &s->events) < 0) {
		HV_LOGE("kvm: cannot save vcpu %u: %s", kc->index, strerror(errno));
		return HV_ERR_BACKEND;
	}
	return HV_OK;
}

hv_status_t hv_kvm_arch_restore(struct hv_kvm_vcpu *kc, const void *snapshot)
{
	const struct hv_kvm_snapshot *s = snapshot;

	if (ioctl(kc->fd, KVM_SET_SREGS, &s->sregs) < 0 || ioctl(kc->fd, KVM_SET_REGS, &s->regs) < 0 ||
	    ioctl(kc->fd, KVM_SET_FPU, &s->fpu) < 0 || ioctl(kc->fd, KVM_SET_LAPIC, &s->lapic) < 0 ||
	    ioctl(kc->fd, KVM_SET_VCPU_EVENTS, &s->events) < 0 ||
	    ioctl(kc->fd, KVM_SET_MP_STATE, &s->mp_state) < 0) {
		HV_LOGE("kvm: cannot restore vcpu %u: %s", kc->index, strerror(errno));
		return HV_ERR_BACKEND;
	}
	return HV_OK;
}

/*
 * The faulting PC of a triple fault, or 0 when it is gone: KVM on AMD resets the vCPU before
 * it reports the shutdown, and the reset vector (F000:FFF0) is not where the guest faulted.
 */
static uint64_t hv_kvm_shutdown_pc(struct hv_kvm_vcpu *kc)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(kc->fd, KVM_GET_REGS, &r) < 0 || ioctl(kc->fd, KVM_GET_SREGS, &s) < 0)
		return 0;
	if (r.rip == 0xfff0 && s.cs.selector == 0xf000 && s.cs.base == 0xffff0000ull)
		return 0;
	return r.rip;
}

bool hv_kvm_arch_exit(struct hv_kvm_vcpu *kc, hv_exit_t *exit)
{
	struct kvm_run *run = kc->run;
	uint8_t *data;

	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		/*
		 * The data area starts a page of the run mapping, with room for far more than
		 * 4 bytes: load 4 and keep the access's width (port I/O is 1, 2 or 4 bytes).
		 */
		uint32_t v;

		data = (uint8_t *)run + run->io.data_offset;
		memcpy(&v, data, sizeof(v));
		exit->reason = HV_EXIT_IO;
		exit->u.io.port = run->io.port;
		exit->u.io.width = run->io.size;
		exit->u.io.is_write = run->io.direction == KVM_EXIT_IO_OUT;
		exit->u.io.count = run->io.count;
		exit->u.io.buf = run->io.count > 1 ? data : NULL;
		exit->u.io.data = run->io.size >= 4 ? v : v & ((1u << (run->io.size * 8)) - 1);
		return true;
	}
	case KVM_EXIT_SHUTDOWN:
		exit->reason = HV_EXIT_FAULT;
		exit->u.fault.kind = HV_FAULT_TRIPLE;
		exit->u.fault.gpa = 0;
		exit->u.fault.detail = 0;
		exit->pc = hv_kvm_shutdown_pc(kc);
		return true;
	default:
		return false;
	}
}

void hv_kvm_arch_complete(struct hv_kvm_vcpu *kc, const hv_exit_t *exit)
{
	struct kvm_run *run = kc->run;

	if (exit->reason == HV_EXIT_IO && !exit->u.io.is_write && exit->u.io.count <= 1 &&
	    run->exit_reason == KVM_EXIT_IO) {
		uint32_t v = (uint32_t)exit->u.io.data;

		/* KVM hands the guest only io.size bytes of the 4 stored. */
		memcpy((uint8_t *)run + run->io.data_offset, &v, sizeof(v));
	}
}

uint64_t hv_kvm_arch_pc(struct hv_kvm_vcpu *kc)
{
	struct kvm_regs r;

	return ioctl(kc->fd, KVM_GET_REGS, &r) < 0 ? 0 : r.rip;
}
