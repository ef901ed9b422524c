/* SPDX-License-Identifier: MIT */
/*
 * Port-I/O exit round trip: the same guest (tests/guests/bench_pio.S: N `out`s to port 0x80)
 * run by a bare KVM ioctl loop written here, and by hvlib (its run loop on a library thread,
 * and hv_vcpu_run on the calling thread), alternating in one process. Prints microseconds per
 * exit and the ratio hvlib / raw, median of the rounds. Timings vary with machine load: the
 * ratio of runs taken side by side is the figure to read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <hvlib/hvlib.h>

#include "guest_bench_pio.h"

#define RAM_SIZE (64 * 1024)
#define ROUNDS 7

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t guest_size(void)
{
	return (size_t)(guest_bench_pio_end - guest_bench_pio_start);
}

/* ---- the baseline: KVM ioctls and nothing else, set up as hvlib sets up its VMs ---------- */

/* The bare loop, out of line so that callgrind can count it alone (tests/bench/run.sh). */
__attribute__((noinline)) static void raw_loop(int vcpu, struct kvm_run *run)
{
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0 && errno != EINTR) {
			perror("raw: KVM_RUN");
			exit(1);
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0x80)
			continue;
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0xea)
			break;
		fprintf(stderr, "raw: unexpected exit %u\n", run->exit_reason);
		exit(1);
	}
}

static double run_raw(unsigned exits)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm, vcpu, run_size;
	uint64_t identity = 0xfeffc000;
	struct kvm_userspace_memory_region mem;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint8_t *ram;
	double t0, t;

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (kvm < 0 || vm < 0 || ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0 ||
	    ioctl(vm, KVM_SET_TSS_ADDR, 0xfeffd000ul) < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) {
		perror("raw: VM");
		exit(1);
	}
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(ram + GUEST_BENCH_PIO_ORG, guest_bench_pio_start, guest_size());
	memset(&mem, 0, sizeof(mem));
	mem.memory_size = RAM_SIZE;
	mem.userspace_addr = (uintptr_t)ram;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mem) < 0 || vcpu < 0 || run_size <= 0) {
		perror("raw: vCPU");
		exit(1);
	}
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ioctl(vcpu, KVM_GET_SREGS, &sregs);
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	ioctl(vcpu, KVM_SET_SREGS, &sregs);
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_BENCH_PIO_ORG;
	regs.rflags = 2;
	regs.rcx = exits;
	ioctl(vcpu, KVM_SET_REGS, &regs);

	t0 = now_s();
	raw_loop(vcpu, run);
	t = now_s() - t0;
	munmap(run, (size_t)run_size);
	close(vcpu);
	close(vm);
	close(kvm);
	munmap(ram, RAM_SIZE);
	return t;
}

/* ---- hvlib: a sink device at 0x80, a power switch at 0xEA --------------------------------- */

static unsigned sink_count;

static void sink_read(void *ctx, uint64_t off, uint32_t w, uint64_t *v)
{
	(void)ctx;
	(void)off;
	(void)w;
	*v = 0;
}

static void sink_write(void *ctx, uint64_t off, uint32_t w, uint64_t v)
{
	(void)ctx;
	(void)off;
	(void)w;
	(void)v;
	sink_count++;
}

static void power_write(void *ctx, uint64_t off, uint32_t w, uint64_t v)
{
	(void)off;
	(void)w;
	(void)v;
	hv_vm_stop(ctx);
}

static const hv_device_ops_t sink_ops = {
	sizeof(hv_device_ops_t), HV_DEVICE_OPS_VERSION, sink_read, sink_write, NULL, NULL
};
static const hv_device_ops_t power_ops = {
	sizeof(hv_device_ops_t), HV_DEVICE_OPS_VERSION, sink_read, power_write, NULL, NULL
};

static hv_vm_t *make_vm(unsigned exits, bool manual, hv_vcpu_t **vcpu)
{
	hv_vm_config_t cfg = HV_VM_CONFIG_INIT;
	hv_region_config_t ram = HV_REGION_CONFIG_INIT;
	hv_device_config_t dev = HV_DEVICE_CONFIG_INIT;
	hv_vm_t *vm;
	const hv_reg_t ids[] = { HV_X86_SEG(HV_X86_CS, HV_X86_SEG_SELECTOR),
				 HV_X86_SEG(HV_X86_CS, HV_X86_SEG_BASE), HV_REG_PC, HV_X86_RCX };
	const uint64_t vals[] = { 0, 0, GUEST_BENCH_PIO_ORG, exits };

	cfg.name = "bench";
	cfg.flags = manual ? HV_VM_MANUAL_RUN : 0;
	ram.gpa = 0;
	ram.size = RAM_SIZE;
	if (hv_vm_create(&cfg, &vm) != HV_OK || hv_vm_map_region(vm, &ram, NULL) != HV_OK ||
	    hv_vm_write(vm, GUEST_BENCH_PIO_ORG, guest_bench_pio_start, guest_size()) != HV_OK)
		exit(1);
	dev.bus = HV_BUS_PIO;
	dev.base = 0x80;
	dev.size = 1;
	dev.ops = &sink_ops;
	if (hv_device_add(vm, &dev, NULL) != HV_OK)
		exit(1);
	dev.base = 0xea;
	dev.ops = &power_ops;
	dev.ctx = vm;
	if (hv_device_add(vm, &dev, NULL) != HV_OK || hv_vcpu_create(vm, 0, vcpu) != HV_OK ||
	    hv_vcpu_set_regs(*vcpu, ids, vals, 4) != HV_OK)
		exit(1);
	return vm;
}

static double run_hvlib(unsigned exits, bool manual)
{
	hv_vcpu_t *vcpu;
	hv_vm_t *vm = make_vm(exits, manual, &vcpu);
	double t0, t;

	sink_count = 0;
	t0 = now_s();
	if (manual) {
		if (hv_vm_start(vm) != HV_OK || hv_vcpu_run(vcpu) != HV_OK)
			exit(1);
	} else if (hv_vm_run(vm, NULL) != HV_OK) {
		exit(1);
	}
	t = now_s() - t0;
	if (sink_count != exits) {
		fprintf(stderr, "hvlib: %u exits counted, %u expected\n", sink_count, exits);
		exit(1);
	}
	hv_vm_destroy(vm);
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	unsigned exits = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 20000;
	double raw[ROUNDS], thr[ROUNDS], man[ROUNDS], r_thr[ROUNDS], r_man[ROUNDS];
	const hv_backend_t *be;
	int i;

	if (hv_backend_find("kvm", &be) != HV_OK || hv_backend_check(be) != HV_OK) {
		printf("pio_roundtrip: skipped: no usable /dev/kvm\n");
		return 77;
	}
	if (argc > 2 && strcmp(argv[2], "once") == 0) {
		/* One run of each loop, for instruction counting under callgrind. */
		run_raw(exits);
		run_hvlib(exits, true);
		return 0;
	}
	run_raw(exits / 10); /* warm up */
	for (i = 0; i < ROUNDS; i++) {
		raw[i] = run_raw(exits);
		thr[i] = run_hvlib(exits, false);
		man[i] = run_hvlib(exits, true);
		r_thr[i] = thr[i] / raw[i];
		r_man[i] = man[i] / raw[i];
	}
	qsort(raw, ROUNDS, sizeof(double), cmp_double);
	qsort(thr, ROUNDS, sizeof(double), cmp_double);
	qsort(man, ROUNDS, sizeof(double), cmp_double);
	qsort(r_thr, ROUNDS, sizeof(double), cmp_double);
	qsort(r_man, ROUNDS, sizeof(double), cmp_double);
	printf("pio_roundtrip: %u port-I/O exits per run, %d rounds, medians\n", exits, ROUNDS);
	printf("  raw KVM ioctl loop          %8.3f us/exit\n", raw[ROUNDS / 2] * 1e6 / exits);
	printf("  hvlib hv_vm_run (thread)    %8.3f us/exit\n", thr[ROUNDS / 2] * 1e6 / exits);
	printf("  hvlib hv_vcpu_run (caller)  %8.3f us/exit\n", man[ROUNDS / 2] * 1e6 / exits);
	printf("  ratio hvlib/raw, thread     %8.4f (min %.4f, max %.4f)\n", r_thr[ROUNDS / 2],
	       r_thr[0], r_thr[ROUNDS - 1]);
	printf("  ratio hvlib/raw, caller     %8.4f (min %.4f, max %.4f)\n", r_man[ROUNDS / 2],
	       r_man[0], r_man[ROUNDS - 1]);
	return 0;
}
