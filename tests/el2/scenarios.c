/* SPDX-License-Identifier: MIT */
/*
 * The EL2 test firmware's program: one scenario per run, named by the last word of the
 * semihosting command line (QEMU's -append). Each defines its VMs with the public API,
 * runs them on their own physical cores and checks how they stopped; the firmware exits
 * through semihosting with 0 when everything held, 1 otherwise.
 */
#include "vms.h"

unsigned long strtoul(const char *s, char **end, int base);

#define HV__ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define hv__memset __builtin_memset

FW_GUEST(mmio);
FW_GUEST(timer);
FW_GUEST(smp);
FW_GUEST(wild);
FW_GUEST(good);
FW_GUEST(bench);
FW_GUEST(hostile);
FW_GUEST(spy);
FW_GUEST(ptirq);
FW_GUEST(spin);
FW_GUEST(nap);

static int fw_failures;

#define CHECK(cond)                                                 \
	do {                                                        \
		if (!(cond)) {                                      \
			fw_printf("fw: CHECK FAILED: %s\n", #cond); \
			fw_failures++;                              \
		}                                                   \
	} while (0)

static bool fw_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static hv_event_type_t fw_cause(struct fw_vm *g, hv_stop_info_t *info);

/* Does the command line hold this word? */
static bool fw_has(const char *cmd, const char *word)
{
	size_t i;

	for (; *cmd; cmd++) {
		for (i = 0; word[i] && cmd[i] == word[i]; i++)
			;
		if (word[i] == 0)
			return true;
	}
	return false;
}

static uint64_t fw_good_count(struct fw_vm *good)
{
	uint64_t n = 0;

	CHECK(hv_vm_read(good->vm, 0x40300000, &n, sizeof(n)) == HV_OK);
	return n;
}

/*
 * The good guest must still be running and count `more` ticks beyond `from`; then it is told
 * to power off, and must.
 */
static void fw_good_finish(struct fw_vm *good, uint64_t from, uint64_t more)
{
	struct fw_vm *gd[] = { good };
	hv_stop_info_t info;
	uint64_t stop = 1;

	CHECK(hv_vm_get_state(good->vm) == HV_VM_RUNNING);
	while (hv_vm_get_state(good->vm) == HV_VM_RUNNING && fw_good_count(good) < from + more)
		fw_idle();
	fw_printf("fw: good counted %u ticks, %u after the misbehaviour\n",
		  (unsigned)fw_good_count(good), (unsigned)(fw_good_count(good) - from));
	CHECK(hv_vm_write(good->vm, 0x40300008, &stop, sizeof(stop)) == HV_OK);
	fw_vm_wait_all(gd, 1);
	fw_vm_report(good);
	CHECK(fw_cause(good, &info) == HV_EVENT_GUEST_SHUTDOWN);
	CHECK(fw_good_count(good) >= from + more);
}

static hv_event_type_t fw_cause(struct fw_vm *g, hv_stop_info_t *info)
{
	info->struct_size = sizeof(*info);
	if (hv_vm_get_stop_info(g->vm, info) != HV_OK)
		return (hv_event_type_t)0;
	return info->cause;
}

/* One VM with one or two vCPUs that must power itself off. */
static void fw_single(const char *name, const char *image, size_t size, uint32_t vcpus)
{
	static const uint32_t cores[] = { 1, 2 };
	struct fw_vm g;
	struct fw_vm *all[] = { &g };
	hv_stop_info_t info;
	hv_status_t st;

	st = fw_vm_create(&g, name, image, size, vcpus, cores);
	CHECK(st == HV_OK);
	if (st != HV_OK)
		return;
	if (fw_streq(name, "mmio")) {
		/* A read-only region the guest checks its writes cannot change. */
		hv_region_config_t rom = HV_REGION_CONFIG_INIT;
		uint32_t magic = 0x0ddba11u;

		rom.type = HV_REGION_ROM;
		rom.gpa = 0x50000000;
		rom.size = 0x1000;
		CHECK(hv_vm_map_region(g.vm, &rom, NULL) == HV_OK);
		CHECK(hv_vm_write(g.vm, 0x50000000, &magic, sizeof(magic)) == HV_OK);
	}
	CHECK(fw_vm_start(&g) == HV_OK);
	fw_vm_wait_all(all, 1);
	fw_vm_report(&g);
	CHECK(fw_cause(&g, &info) == HV_EVENT_GUEST_SHUTDOWN);
	hv_vm_destroy(g.vm);
}

/* A VM that faults next to one that keeps working: only the first may stop. */
static void fw_wild(void)
{
	static const uint32_t core1[] = { 1 }, core2[] = { 2 };
	struct fw_vm wild, good;
	struct fw_vm *w[] = { &wild };
	hv_stop_info_t info;

	CHECK(fw_vm_create(&good, "good", FW_GUEST_IMAGE(good), 1, core2) == HV_OK);
	CHECK(fw_vm_create(&wild, "wild", FW_GUEST_IMAGE(wild), 1, core1) == HV_OK);
	if (fw_failures)
		return;
	CHECK(fw_vm_start(&good) == HV_OK);
	CHECK(fw_vm_start(&wild) == HV_OK);
	fw_vm_wait_all(w, 1);
	fw_vm_report(&wild);
	CHECK(fw_cause(&wild, &info) == HV_EVENT_FAULT);
	CHECK(info.exit.reason == HV_EXIT_FAULT);
	CHECK(info.exit.u.fault.kind == HV_FAULT_UNMAPPED);
	CHECK(info.exit.u.fault.gpa == 0x200000000ull);
	fw_good_finish(&good, fw_good_count(&good), 5);
	hv_vm_destroy(wild.vm);
	hv_vm_destroy(good.vm);
}

/* Hostile guests one after the other on core 1, next to a good one on core 2. */
static void fw_hostile(void)
{
	static const uint32_t core1[] = { 1 }, core2[] = { 2 };
	static const struct {
		hv_event_type_t cause;
		hv_fault_kind_t kind;
		uint64_t gpa;
	} expect[] = {
		{ HV_EVENT_FAULT, HV_FAULT_EMULATION, 0x09000000 },
		{ HV_EVENT_FAULT, HV_FAULT_UNMAPPED, 0x09000000 },
		{ HV_EVENT_FAULT, HV_FAULT_UNMAPPED, 0x70000200 },
		{ HV_EVENT_GUEST_RESET, HV_FAULT_NONE, 0 },
		{ HV_EVENT_FAULT, HV_FAULT_UNMAPPED, 0x8000000000ull },
	};
	struct fw_vm bad, good;
	struct fw_vm *b[] = { &bad };
	hv_stop_info_t info;
	uint32_t i;

	CHECK(fw_vm_create(&good, "good", FW_GUEST_IMAGE(good), 1, core2) == HV_OK);
	if (fw_failures)
		return;
	CHECK(fw_vm_start(&good) == HV_OK);
	for (i = 0; i < HV__ARRAY_SIZE(expect); i++) {
		CHECK(fw_vm_create(&bad, "hostile", FW_GUEST_IMAGE(hostile), 1, core1) == HV_OK);
		if (fw_failures)
			break;
		CHECK(hv_vcpu_set_reg(hv_vcpu_get(bad.vm, 0), HV_ARM64_X(0), i) == HV_OK);
		CHECK(fw_vm_start(&bad) == HV_OK);
		fw_vm_wait_all(b, 1);
		fw_vm_report(&bad);
		CHECK(fw_cause(&bad, &info) == expect[i].cause);
		if (expect[i].cause == HV_EVENT_FAULT) {
			CHECK(info.exit.u.fault.kind == expect[i].kind);
			CHECK(info.exit.u.fault.gpa == expect[i].gpa);
		}
		if (expect[i].cause == HV_EVENT_GUEST_RESET) {
			/* Reset it as the host would, run it again: the same boot, the same end. */
			CHECK(hv_vm_reset(bad.vm) == HV_OK);
			CHECK(fw_vm_start(&bad) == HV_OK);
			fw_vm_wait_all(b, 1);
			fw_printf("fw: after hv_vm_reset: ");
			fw_vm_report(&bad);
			CHECK(fw_cause(&bad, &info) == HV_EVENT_GUEST_RESET);
		}
		hv_vm_destroy(bad.vm);
	}
	fw_good_finish(&good, fw_good_count(&good), 3);
	hv_vm_destroy(good.vm);
}

static hv_irq_line_t *fw_line;

static hv_status_t fw_host_route(hv_vm_t *vm, uint32_t input, uint32_t host)
{
	hv_irq_route_config_t r = HV_IRQ_ROUTE_CONFIG_INIT;

	r.input = input;
	r.trigger = HV_IRQ_LEVEL;
	r.flags = HV_IRQ_ROUTE_HOST;
	r.host_irq = host;
	r.name = "rtc";
	fw_line = NULL;
	return hv_irq_route_add(vm, &r, &fw_line);
}

/*
 * The board's PL031 RTC passed through to a guest on core 1, its SPI (INTID 34) routed to the
 * guest's INTID 34 with the public API; the guest takes two alarms. Before that, routes the
 * backend must refuse.
 */
static void fw_ptirq(void)
{
	static const uint32_t core1[] = { 1 }, core2[] = { 2 };
	hv_region_config_t rtc = HV_REGION_CONFIG_INIT;
	struct fw_vm g, other;
	struct fw_vm *all[] = { &g };
	hv_stop_info_t info;

	CHECK(fw_vm_create(&g, "ptirq", FW_GUEST_IMAGE(ptirq), 1, core1) == HV_OK);
	CHECK(fw_vm_create(&other, "other", FW_GUEST_IMAGE(good), 1, core2) == HV_OK);
	if (fw_failures)
		return;
	rtc.type = HV_REGION_PASSTHROUGH;
	rtc.name = "rtc";
	rtc.gpa = 0x09010000;
	rtc.size = 0x1000;
	rtc.hva = (void *)(uintptr_t)0x09010000; /* identity-mapped device memory */
	CHECK(hv_vm_map_region(g.vm, &rtc, NULL) == HV_OK);
	/* Refused: inputs and host interrupts that do not exist, the backend's own, private ones. */
	CHECK(fw_host_route(g.vm, 200, 34) == HV_ERR_RANGE);
	CHECK(fw_host_route(g.vm, 20, 34) == HV_ERR_RANGE);
	CHECK(fw_host_route(g.vm, 34, 1020) == HV_ERR_RANGE);
	CHECK(fw_host_route(g.vm, 34, 5000) == HV_ERR_RANGE);
	CHECK(fw_host_route(g.vm, 34, 27) == HV_ERR_BUSY);
	CHECK(fw_host_route(g.vm, 34, 26) == HV_ERR_BUSY);
	CHECK(fw_host_route(g.vm, 34, 8) == HV_ERR_BUSY);
	CHECK(fw_host_route(g.vm, 34, 30) == HV_ERR_RANGE);
	/* Another VM holds the RTC's interrupt: refused until that VM is gone. */
	CHECK(fw_host_route(other.vm, 40, 34) == HV_OK);
	CHECK(fw_host_route(g.vm, 34, 34) == HV_ERR_BUSY);
	hv_vm_destroy(other.vm);
	CHECK(fw_host_route(g.vm, 34, 34) == HV_OK);
	/* A host line is not the host's to drive; and the input is taken now. */
	CHECK(hv_irq_line_raise(fw_line) == HV_ERR_UNSUPPORTED);
	CHECK(fw_host_route(g.vm, 34, 35) == HV_ERR_BUSY);
	fw_printf("fw: ptirq: bad routes refused, RTC SPI 34 routed to the guest\n");
	CHECK(fw_vm_start(&g) == HV_OK);
	fw_vm_wait_all(all, 1);
	fw_vm_report(&g);
	CHECK(fw_cause(&g, &info) == HV_EVENT_GUEST_SHUTDOWN);
	hv_vm_destroy(g.vm);
}

/* Ratio a/b in thousandths. */
static uint64_t fw_permille(uint64_t a, uint64_t b)
{
	return b == 0 ? UINT64_MAX : a * 1000 / b;
}

/*
 * Three VMs time-sliced on core 1 (2 ms slices), scheduled by priority with the public API
 * (fw_sched): two that only compute, priorities 2 and 1, and one that sleeps on its virtual
 * timer, priority 4. Over half a second while all run: the computing ones' iteration counts
 * and core time must be 2:1 (within 20 %), and the sleeping one, though of the highest
 * priority, must give its slices away at each WFI (under 10 % of the core) while still taking
 * its timer interrupts.
 */
static void fw_slice(void)
{
	static const uint32_t core1[] = { 1 };
	static struct fw_vm a, b, n;
	static struct fw_sched s;
	struct fw_vm *all[] = { &a, &b, &n };
	uint64_t c0[3], c1[3], t0[3], t1[3], total, hz = fw_tick_hz(), end, stop = 1;
	uint64_t r_count, r_time;
	hv_stop_info_t info;
	uint32_t i;

	CHECK(fw_vm_create_sliced(&a, "spin2", FW_GUEST_IMAGE(spin), 1, core1, 2000) == HV_OK);
	CHECK(fw_vm_create_sliced(&b, "spin1", FW_GUEST_IMAGE(spin), 1, core1, 2000) == HV_OK);
	CHECK(fw_vm_create_sliced(&n, "nap", FW_GUEST_IMAGE(nap), 1, core1, 2000) == HV_OK);
	if (fw_failures)
		return;
	s.vm[0] = &a;
	s.vm[1] = &b;
	s.vm[2] = &n;
	s.priority[0] = 2;
	s.priority[1] = 1;
	s.priority[2] = 4;
	s.count = 3;
	CHECK(fw_sched_start(&s, 1) == HV_OK);
	if (fw_failures)
		return;
	/* Let them all get going, then measure over 500 ms. */
	for (end = fw_ticks() + hz / 10; fw_ticks() < end;)
		fw_idle();
	for (i = 0; i < 3; i++) {
		CHECK(hv_vm_read(all[i]->vm, 0x40300000, &c0[i], sizeof(c0[i])) == HV_OK);
		t0[i] = __atomic_load_n(&s.ticks[i], __ATOMIC_RELAXED);
	}
	for (end = fw_ticks() + hz / 2; fw_ticks() < end;)
		fw_idle();
	for (i = 0; i < 3; i++) {
		CHECK(hv_vm_read(all[i]->vm, 0x40300000, &c1[i], sizeof(c1[i])) == HV_OK);
		t1[i] = __atomic_load_n(&s.ticks[i], __ATOMIC_RELAXED);
		CHECK(hv_vm_get_state(all[i]->vm) == HV_VM_RUNNING);
	}
	for (i = 0; i < 3; i++)
		CHECK(hv_vm_write(all[i]->vm, 0x40300008, &stop, sizeof(stop)) == HV_OK);
	fw_vm_wait_all(all, 3);
	for (i = 0; i < 3; i++) {
		fw_vm_report(all[i]);
		CHECK(fw_cause(all[i], &info) == HV_EVENT_GUEST_SHUTDOWN);
	}
	total = (t1[0] - t0[0]) + (t1[1] - t0[1]) + (t1[2] - t0[2]);
	r_count = fw_permille(c1[0] - c0[0], c1[1] - c0[1]);
	r_time = fw_permille(t1[0] - t0[0], t1[1] - t0[1]);
	fw_printf("fw: slice: in 500 ms, spin2 (priority 2) 0x%llx iterations, spin1 (priority 1) "
		  "0x%llx: ratio %llu/1000, core time ratio %llu/1000\n",
		  (unsigned long long)(c1[0] - c0[0]), (unsigned long long)(c1[1] - c0[1]),
		  (unsigned long long)r_count, (unsigned long long)r_time);
	fw_printf("fw: slice: nap (priority 4) %llu timer ticks, %llu/1000 of the core; slices "
		  "%llu %llu %llu\n",
		  (unsigned long long)(c1[2] - c0[2]),
		  (unsigned long long)fw_permille(t1[2] - t0[2], total),
		  (unsigned long long)s.slices[0], (unsigned long long)s.slices[1],
		  (unsigned long long)s.slices[2]);
	CHECK(c1[0] > c0[0] && c1[1] > c0[1]);
	CHECK(r_count >= 1600 && r_count <= 2400);
	CHECK(r_time >= 1600 && r_time <= 2400);
	CHECK(fw_permille(t1[2] - t0[2], total) < 100);
	CHECK(c1[2] - c0[2] >= 20); /* a tick about every 4 ms: ~125 in 500 ms */
	if (fw_failures == 0)
		fw_printf("fw: slice: shares follow the priorities\n");
	for (i = 0; i < 3; i++)
		hv_vm_destroy(all[i]->vm);
}

#include "linux.h"

/*
 * Debian's arm64 kernel with a busybox initramfs, both put in RAM by QEMU's generic loader
 * (tests/el2/linux.sh): two vCPUs on cores 1 and 2 (or one, with "cpus=1"), 256 MiB, the
 * emulated PL011 as console (or the board's, passed through, with "uart=pt"); with "virtio",
 * a virtio-blk disk in memory and a virtio-console too; with "spy", a small guest on core 3
 * meanwhile tries to read Linux's RAM and must stop alone. Init prints its marker, uses the
 * virtio devices if there are any, and powers off.
 */
static void fw_linux(const char *cmd)
{
	static const uint32_t cores[] = { 1, 2 };
	static uint8_t disk[1 << 20] __attribute__((aligned(4096)));
	static struct fw_vm hvc = { .name = "linux-hvc" };
	static const char sector0[] = "HVLIB-DISK-SECTOR0";
	static const char written[] = "HVLIB-WRITTEN";
	hv_virtio_blk_config_t blk = HV_VIRTIO_BLK_CONFIG_INIT;
	hv_virtio_console_config_t con = HV_VIRTIO_CONSOLE_CONFIG_INIT;
	struct fw_vm g;
	struct fw_vm *all[] = { &g };
	struct fw_linux l = { 0 };
	size_t i;
	hv_stop_info_t info;
	const char *p = cmd, *q = cmd;
	bool virtio = fw_has(cmd, "virtio");
	bool spy_on = fw_has(cmd, "spy");
	bool peek = fw_has(cmd, "peek");
	static const char secret_text[] = "HVLIB-SECRET-OF-ANOTHER-VM";
	static char cmdline[160];
	struct fw_vm spy, good;
	uint64_t secret = 0, good_at_fault = 0;
	uint32_t vcpus = 2;
	hv_status_t st;

	while (*p && !(p[0] == 'r' && p[1] == 'd' && p[2] == '='))
		p++;
	while (*q && !(q[0] == 'c' && q[1] == 'p' && q[2] == 'u' && q[3] == 's' && q[4] == '='))
		q++;
	if (*q && q[5] >= '1' && q[5] <= '2')
		vcpus = (uint32_t)(q[5] - '0');
	l.image = (const void *)(uintptr_t)FW_BLOB_KERNEL;
	l.image_size = FW_BLOB_INITRD - FW_BLOB_KERNEL;
	l.initrd = (const void *)(uintptr_t)FW_BLOB_INITRD;
	l.initrd_size = *p ? strtoul(p + 3, NULL, 16) : 0;
	l.ram_gpa = FW_GUEST_RAM;
	l.ram_size = 256ull << 20;
	l.initrd_gpa = FW_GUEST_RAM + (128ull << 20);
	l.cmdline =
		virtio ? "console=ttyAMA0 earlycon=pl011,0x9000000 rdinit=/init panic=-1 virtio" :
			 "console=ttyAMA0 earlycon=pl011,0x9000000 rdinit=/init panic=-1";
	if (peek) {
		/* Linux learns the address to look at from its disk: see below. */
		size_t n = 0;

		for (p = l.cmdline; *p && n < sizeof(cmdline) - 16; p++)
			cmdline[n++] = *p;
		for (p = " hvpeek"; *p; p++)
			cmdline[n++] = *p;
		cmdline[n] = '\0';
		l.cmdline = cmdline;
	}
	/* RAM: fw_linux_load maps it, the kernel and initrd where QEMU's loader put them. */
	st = fw_vm_create_ram(&g, "linux", NULL, 0, vcpus, cores, 0, fw_has(cmd, "uart=pt"));
	/* A virtio-blk disk in memory, its first sector marked, and a virtio-console. */
	hv__memset(disk, 0, sizeof(disk));
	for (i = 0; i < sizeof(sector0); i++)
		disk[i] = (uint8_t)sector0[i];
	blk.name = "vda";
	blk.mmio.base = 0x0a000000;
	blk.mmio.irq = 48;
	if (st == HV_OK && virtio)
		st = hv_blockdev_memory(disk, sizeof(disk), false, &blk.disk);
	if (st == HV_OK && virtio)
		st = hv_virtio_blk_add(g.vm, &blk, NULL);
	con.name = "hvc0";
	con.mmio.base = 0x0a000200;
	con.mmio.irq = 49;
	con.out = fw_vm_console_stream(&hvc);
	if (st == HV_OK && virtio)
		st = hv_virtio_console_add(g.vm, &con, NULL);
	if (st == HV_OK)
		st = fw_linux_load(&g, &l);
	fw_printf("fw: linux loaded: %s (initrd %u bytes)\n", hv_status_str(st),
		  (unsigned)l.initrd_size);
	CHECK(st == HV_OK);
	if (st != HV_OK)
		return;
	if (peek) {
		/*
		 * The other direction: a small guest on core 3 (spin.S, which counts) with 256 MiB
		 * of RAM whose last page holds a secret the host wrote. Its host address is not
		 * one of Linux's own (the heap starts above 0x40000000, so the end of 256 MiB is
		 * above Linux's RAM: checked); it goes into the disk's third sector, and init loads
		 * from it through /dev/mem. That must stop Linux alone.
		 */
		static const uint32_t core3[] = { 3 };
		static const char hex[] = "0123456789abcdef";
		void *hva = NULL;
		int b;

		CHECK(fw_vm_create_ram(&good, "secret", FW_GUEST_IMAGE(spin), 1, core3, 256ull << 20,
				       false) == HV_OK);
		CHECK(hv_vm_write(good.vm, FW_GUEST_RAM + (256ull << 20) - 4096, secret_text,
				  sizeof(secret_text)) == HV_OK);
		CHECK(hv_vm_gpa_to_hva(good.vm, FW_GUEST_RAM + (256ull << 20) - 4096, 8, &hva) ==
		      HV_OK);
		secret = (uint64_t)(uintptr_t)hva;
		CHECK(secret < FW_GUEST_RAM || secret >= FW_GUEST_RAM + l.ram_size);
		disk[1024] = '0';
		disk[1025] = 'x';
		for (b = 0; b < 16; b++)
			disk[1026 + b] = (uint8_t)hex[(secret >> (60 - 4 * b)) & 0xf];
	}
	/* Under -icount, the counter says how much of the boot is the firmware's. */
	fw_printf("fw: linux starts at counter 0x%llx\n", (unsigned long long)fw_ticks());
	CHECK(fw_vm_start(&g) == HV_OK);
	if (peek) {
		struct fw_vm *gd[] = { &g };

		CHECK(fw_vm_start(&good) == HV_OK);
		fw_vm_wait_all(gd, 1);
		good_at_fault = fw_good_count(&good);
		fw_vm_report(&g);
		CHECK(fw_cause(&g, &info) == HV_EVENT_FAULT);
		CHECK(info.exit.u.fault.kind == HV_FAULT_UNMAPPED &&
		      info.exit.u.fault.gpa == secret);
		/* The small guest did not notice: it counts on, then stops when told. */
		fw_good_finish(&good, good_at_fault, 3);
		{
			char back[sizeof(secret_text)];

			CHECK(hv_vm_read(good.vm, FW_GUEST_RAM + (256ull << 20) - 4096, back,
					 sizeof(back)) == HV_OK);
			CHECK(__builtin_memcmp(back, secret_text, sizeof(back)) == 0);
		}
		hv_vm_destroy(good.vm);
		hv_vm_destroy(g.vm);
		return;
	}
	if (spy_on) {
		/* A second guest on core 3 looks for Linux's RAM where the host has it. */
		static const uint32_t core3[] = { 3 };
		struct fw_vm *sp[] = { &spy };
		void *hva = NULL;
		uint64_t target;

		CHECK(hv_vm_gpa_to_hva(g.vm, FW_GUEST_RAM + (64ull << 20), 8, &hva) == HV_OK);
		target = (uint64_t)(uintptr_t)hva;
		CHECK(fw_vm_create(&spy, "spy", FW_GUEST_IMAGE(spy), 1, core3) == HV_OK);
		CHECK(hv_vcpu_set_reg(hv_vcpu_get(spy.vm, 0), HV_ARM64_X(0), target) == HV_OK);
		CHECK(fw_vm_start(&spy) == HV_OK);
		fw_vm_wait_all(sp, 1);
		fw_vm_report(&spy);
		CHECK(fw_cause(&spy, &info) == HV_EVENT_FAULT);
		CHECK(info.exit.u.fault.kind == HV_FAULT_UNMAPPED &&
		      info.exit.u.fault.gpa == target);
		CHECK(hv_vm_get_state(g.vm) == HV_VM_RUNNING);
		hv_vm_destroy(spy.vm);
	}
	fw_vm_wait_all(all, 1);
	fw_vm_report(&g);
	CHECK(fw_cause(&g, &info) == HV_EVENT_GUEST_SHUTDOWN);
	/* What the guest wrote to its disk's second sector reached the memory behind it. */
	for (i = 0; i + 1 < sizeof(written) && disk[512 + i] == (uint8_t)written[i]; i++)
		;
	if (i + 1 == sizeof(written))
		fw_printf("fw: disk sector 1 holds what the guest wrote\n");
	hv_vm_destroy(g.vm);
}

void fw_main(void)
{
	char cmd[128];
	size_t n = fw_cmdline(cmd, sizeof(cmd) - 1);
	const char *scenario = cmd;
	size_t i;

	cmd[n] = 0;
	for (i = 0; i < n; i++)
		if (cmd[i] == ' ')
			scenario = &cmd[i + 1];
	fw_printf("fw: hvlib %s at EL2, scenario '%s'\n", hv_version_str(), scenario);
	fw_start_cores(4);
	if (fw_streq(scenario, "mmio"))
		fw_single("mmio", FW_GUEST_IMAGE(mmio), 1);
	else if (fw_streq(scenario, "timer"))
		fw_single("timer", FW_GUEST_IMAGE(timer), 1);
	else if (fw_streq(scenario, "smp"))
		fw_single("smp", FW_GUEST_IMAGE(smp), 2);
	else if (fw_streq(scenario, "wild"))
		fw_wild();
	else if (fw_streq(scenario, "hostile"))
		fw_hostile();
	else if (fw_streq(scenario, "ptirq"))
		fw_ptirq();
	else if (fw_streq(scenario, "slice"))
		fw_slice();
	else if (fw_streq(scenario, "reuse")) {
		/* The timer guest leaves its timer armed when it powers off: core 1 must still be
		 * able to run the next VM. */
		fw_single("timer", FW_GUEST_IMAGE(timer), 1);
		fw_single("mmio", FW_GUEST_IMAGE(mmio), 1);
		fw_single("timer", FW_GUEST_IMAGE(timer), 1);
	}
	else if (fw_streq(scenario, "linux"))
		fw_linux(cmd);
	else if (fw_streq(scenario, "bench"))
		fw_single("bench", FW_GUEST_IMAGE(bench), 1);
	else {
		fw_printf("fw: unknown scenario\n");
		fw_failures++;
	}
	fw_printf("fw: RESULT: %s\n", fw_failures ? "FAIL" : "PASS");
	fw_exit(fw_failures ? 1 : 0);
}
