/* SPDX-License-Identifier: MIT */
/*
 * A raw-KVM probe of the harness, independent of hvlib: runs tests/linux/iret_guest.S (real mode
 * -> protected mode, INT 0x30 and #DE each returning with a protected-mode IRET), checks what the
 * guest printed, then times a loop of port-I/O exits and a spin loop.
 *
 * Usage: kvm_iret [EXITS [SPINS]]   (defaults 10000 and 10000000)
 * Prints "kvm_iret: ok ..." with per-exit and per-iteration costs in ns of the clock it runs on
 * (under the harness's --icount, L1 nanoseconds are emulated instructions) and exits 0;
 * exits 1 with the KVM exit reason on any failure, 77 when /dev/kvm is absent.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

extern const unsigned char iret_guest_start[], iret_guest_end[];

#define MEM_SIZE 0x10000
#define LOAD 0x1000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int die(const char *what)
{
	fprintf(stderr, "kvm_iret: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	uint32_t exits = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 10000;
	uint32_t spins = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 10000000;
	struct kvm_userspace_memory_region region = { 0 };
	struct kvm_run *run;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	char text[64] = { 0 };
	size_t text_len = 0, run_size;
	uint64_t t_exits = 0, t_spin = 0, t_end = 0, t_create, t_first = 0;
	uint32_t exits_seen = 0;
	int kvm, vm, vcpu;
	void *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvm_iret: /dev/kvm: %s (skipped)\n", strerror(errno));
		return 77;
	}
	t_create = now_ns();
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return die("KVM_CREATE_VM");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return die("mmap");
	memcpy((char *)mem + LOAD, iret_guest_start, (size_t)(iret_guest_end - iret_guest_start));
	region.memory_size = MEM_SIZE;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return die("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return die("KVM_CREATE_VCPU");
	run_size = (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return die("mmap kvm_run");

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return die("KVM_GET_SREGS");
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = LOAD;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return die("KVM_SET_REGS");

	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0)
			return die("KVM_RUN");
		if (run->exit_reason == KVM_EXIT_IO) {
			uint8_t *data = (uint8_t *)run + run->io.data_offset;
			uint32_t v;

			if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == 0xe9) {
				if (text_len + 1 < sizeof(text))
					text[text_len++] = (char)data[0];
			} else if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == 0xeb) {
				exits_seen++;
			} else if (run->io.direction == KVM_EXIT_IO_IN && run->io.port == 0xec) {
				v = exits;
				memcpy(data, &v, 4);
				t_exits = now_ns();
			} else if (run->io.direction == KVM_EXIT_IO_IN && run->io.port == 0xed) {
				v = spins;
				memcpy(data, &v, 4);
				t_spin = now_ns();
			} else if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == 0xea) {
				t_end = now_ns();
				break;
			} else {
				fprintf(stderr, "kvm_iret: unexpected port-I/O %s port 0x%x\n",
					run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
					run->io.port);
				return 1;
			}
			if (t_first == 0)
				t_first = now_ns();
			continue;
		}
		ioctl(vcpu, KVM_GET_REGS, &regs);
		fprintf(stderr, "kvm_iret: unexpected exit reason %u at rip 0x%llx", run->exit_reason,
			(unsigned long long)regs.rip);
		if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
			fprintf(stderr, " (fail entry, hw reason 0x%llx)",
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			fprintf(stderr, " (internal error, suberror %u)", run->internal.suberror);
		fprintf(stderr, "; guest printed \"%s\"\n", text);
		return 1;
	}

	if (strcmp(text, "I1D2\n") != 0 || exits_seen != exits) {
		fprintf(stderr, "kvm_iret: guest printed \"%s\" (want \"I1D2\\n\"), %u of %u exits\n",
			text, exits_seen, exits);
		return 1;
	}
	printf("kvm_iret: ok: protected-mode INT 0x30 and #DE returned with IRET; "
	       "setup+first exit %llu ns; %u port-I/O exits: %llu ns each; "
	       "%u spin iterations (2 insns): %.2f ns each\n",
	       (unsigned long long)(t_first - t_create), exits,
	       exits ? (unsigned long long)((t_spin - t_exits) / exits) : 0ull, spins,
	       spins ? (double)(t_end - t_spin) / spins : 0.0);
	return 0;
}
