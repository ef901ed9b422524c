/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the KVM integration tests (header-only; tests/support/ belongs to the unit
 * tests). Include it first: it selects the POSIX/GNU feature set the helpers need.
 *
 * What it gives a test:
 *  - itest_require_kvm(): exit 77 (skip) with the reason when no backend works here;
 *  - struct itest_vm: a VM with RAM at guest-physical 0, vCPU 0, an event recorder and the
 *    "itest device" on ports 0xE9-0xF0:
 *      0xE9 (offset 0)  write: a console byte;              read: 0
 *      0xEA (offset 1)  write: power off (hv_vm_stop);       read: 0
 *      0xEC (offset 3)  write (any width): record a result;  read: the host's `input` value
 *  - a watchdog thread that stops a VM after a time and records that it fired (a test whose
 *    watchdog fired has failed: real-mode guests that fault run away without exiting);
 *  - register set-up for real mode, flat 32-bit protected mode and 64-bit long mode;
 *  - small utilities (sleeping, polling guest memory, counting open file descriptors).
 */
#ifndef HVLIB_ITEST_H
#define HVLIB_ITEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hvlib/hvlib.h>

/* ---- ports and memory layout shared by the test guests ---------------------------------- */

#define ITEST_PORT_BASE 0xe9
#define ITEST_PORT_CONSOLE 0xe9
#define ITEST_PORT_POWEROFF 0xea
#define ITEST_PORT_RESULT 0xec

#define ITEST_GDT 0x800         /* flat GDT written by the protected/long-mode set-up */
#define ITEST_PT 0x80000        /* long-mode page tables: PML4, PDPT, 8 PDs (0-8 GiB) */
#define ITEST_PT_GIB 8          /* identity-mapped GiB */
#define ITEST_SEL_CODE32 0x08
#define ITEST_SEL_DATA 0x10
#define ITEST_SEL_CODE64 0x18

#define ITEST_MAX_EVENTS 64
#define ITEST_MAX_RESULTS 256
#define ITEST_MAX_VCPUS 4
#define ITEST_WATCHDOG_MS 5000

/* ---- small utilities --------------------------------------------------------------------- */

static inline double itest_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void itest_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Skip the whole program (exit 77) when no backend can run a VM here. */
static inline void itest_require_kvm(void)
{
	const hv_backend_t *be;
	hv_status_t st = hv_backend_probe(&be);

	if (st != HV_OK) {
		printf("SKIP: no usable hypervisor backend (/dev/kvm missing or unusable): %s\n",
		       hv_status_str(st));
		exit(77);
	}
}

static inline hv_backend_caps_t itest_caps(void)
{
	const hv_backend_t *be = NULL;
	hv_backend_caps_t caps = HV_BACKEND_CAPS_INIT;

	assert_int_equal(hv_backend_probe(&be), HV_OK);
	assert_int_equal(hv_backend_caps(be, &caps), HV_OK);
	return caps;
}

/* Open file descriptors of this process (the directory's own descriptor not counted). */
static inline int itest_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

/*
 * User threads of this process. KVM attaches kernel worker tasks to the process for each VM
 * (e.g. "kvm-nx-lpage-recovery"); they live as long as the VM and are not counted.
 */
static inline int itest_thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	char path[64], comm[32];
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.20s/comm", e->d_name);
		f = fopen(path, "r");
		comm[0] = 0;
		if (f != NULL) {
			if (fgets(comm, sizeof(comm), f) == NULL)
				comm[0] = 0;
			fclose(f);
		}
		if (strncmp(comm, "kvm-", 4) != 0)
			n++;
	}
	closedir(d);
	return n;
}

/*
 * Wait up to @p ms for the thread count to fall to @p want: a joined thread's task can stay
 * listed in /proc for a moment after pthread_join() returns.
 */
static inline int itest_thread_count_settle(int want, unsigned ms)
{
	double end = itest_now() + ms / 1000.0;
	int n;

	while ((n = itest_thread_count()) > want && itest_now() < end)
		itest_sleep_ms(1);
	return n;
}

/* ---- watchdog ---------------------------------------------------------------------------- */

struct itest_watchdog {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	hv_vm_t *vm;
	unsigned ms;
	bool cancel;
	bool fired;
	bool running;
};

static inline void *itest_watchdog_main(void *arg)
{
	struct itest_watchdog *wd = arg;
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += wd->ms / 1000;
	deadline.tv_nsec += (long)(wd->ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&wd->lock);
	while (!wd->cancel) {
		if (pthread_cond_timedwait(&wd->cond, &wd->lock, &deadline) == ETIMEDOUT) {
			if (!wd->cancel) {
				wd->fired = true;
				fprintf(stderr, "itest: watchdog fired after %u ms: stopping VM %s\n",
					wd->ms, hv_vm_name(wd->vm));
				hv_vm_stop(wd->vm);
			}
			break;
		}
	}
	pthread_mutex_unlock(&wd->lock);
	return NULL;
}

static inline void itest_watchdog_start(struct itest_watchdog *wd, hv_vm_t *vm, unsigned ms)
{
	pthread_condattr_t ca;

	memset(wd, 0, sizeof(*wd));
	wd->vm = vm;
	wd->ms = ms;
	pthread_mutex_init(&wd->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wd->cond, &ca);
	pthread_condattr_destroy(&ca);
	assert_int_equal(pthread_create(&wd->thread, NULL, itest_watchdog_main, wd), 0);
	wd->running = true;
}

/* Cancel and join the watchdog; returns whether it fired. */
static inline bool itest_watchdog_stop(struct itest_watchdog *wd)
{
	if (!wd->running)
		return wd->fired;
	pthread_mutex_lock(&wd->lock);
	wd->cancel = true;
	pthread_cond_signal(&wd->cond);
	pthread_mutex_unlock(&wd->lock);
	pthread_join(wd->thread, NULL);
	pthread_cond_destroy(&wd->cond);
	pthread_mutex_destroy(&wd->lock);
	wd->running = false;
	return wd->fired;
}

/* ---- the itest device: console, power switch, result port -------------------------------- */

struct itest_con {
	hv_vm_t *vm;
	pthread_mutex_t lock;
	char text[4096];
	size_t len;
	uint64_t results[ITEST_MAX_RESULTS];
	uint32_t result_width[ITEST_MAX_RESULTS];
	size_t result_count;
	uint64_t input;          /* what a read of the result port returns */
	unsigned poweroffs;
	unsigned resets;          /* device reset callbacks */
	unsigned destroys;        /* device destroy callbacks */
};

static inline void itest_con_read(void *ctx, uint64_t offset, uint32_t width, uint64_t *value)
{
	struct itest_con *c = ctx;

	(void)width;
	*value = offset == 3 ? c->input : 0;
}

static inline void itest_con_write(void *ctx, uint64_t offset, uint32_t width, uint64_t value)
{
	struct itest_con *c = ctx;

	pthread_mutex_lock(&c->lock);
	if (offset == 0 && c->len + 1 < sizeof(c->text)) {
		c->text[c->len++] = (char)value;
		c->text[c->len] = 0;
	} else if (offset == 1) {
		c->poweroffs++;
	} else if (offset == 3 && c->result_count < ITEST_MAX_RESULTS) {
		c->result_width[c->result_count] = width;
		c->results[c->result_count++] = value;
	}
	pthread_mutex_unlock(&c->lock);
	if (offset == 1)
		hv_vm_stop(c->vm);
}

static inline void itest_con_reset(void *ctx)
{
	struct itest_con *c = ctx;

	pthread_mutex_lock(&c->lock);
	c->resets++;
	pthread_mutex_unlock(&c->lock);
}

static inline void itest_con_destroy(void *ctx)
{
	struct itest_con *c = ctx;

	c->destroys++;
}

static const hv_device_ops_t itest_con_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = itest_con_read,
	.write = itest_con_write,
	.reset = itest_con_reset,
	.destroy = itest_con_destroy,
};

static inline size_t itest_result_count(struct itest_con *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->result_count;
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* ---- the test VM ------------------------------------------------------------------------- */

struct itest_vm {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu[ITEST_MAX_VCPUS];
	struct itest_con con;
	/* event recorder */
	pthread_mutex_t ev_lock;
	size_t ev_count;
	hv_event_type_t ev_type[ITEST_MAX_EVENTS];
	uint32_t ev_vcpu[ITEST_MAX_EVENTS];
	bool ev_has_exit[ITEST_MAX_EVENTS];
	hv_exit_t ev_exit[ITEST_MAX_EVENTS];
	/* reset hook: reload the image (if set) and count */
	const uint8_t *image;
	size_t image_size;
	uint64_t image_gpa;
	bool reload_on_reset;
	unsigned host_resets;
	/* last run */
	struct itest_watchdog wd;
	bool watchdog_fired;
};

static inline void itest_on_event(void *user, const hv_event_t *ev)
{
	struct itest_vm *t = user;
	size_t i;

	pthread_mutex_lock(&t->ev_lock);
	i = t->ev_count;
	if (i < ITEST_MAX_EVENTS) {
		t->ev_type[i] = ev->type;
		t->ev_vcpu[i] = ev->vcpu_index;
		t->ev_has_exit[i] = ev->exit != NULL;
		if (ev->exit != NULL)
			t->ev_exit[i] = *ev->exit;
		t->ev_count++;
	}
	pthread_mutex_unlock(&t->ev_lock);
}

static inline hv_status_t itest_on_reset(void *user, hv_vm_t *vm)
{
	struct itest_vm *t = user;

	__atomic_add_fetch(&t->host_resets, 1, __ATOMIC_ACQ_REL);
	if (t->reload_on_reset && t->image != NULL)
		return hv_vm_write(vm, t->image_gpa, t->image, t->image_size);
	return HV_OK;
}

static inline size_t itest_event_count(struct itest_vm *t, hv_event_type_t type)
{
	size_t i, n = 0;

	pthread_mutex_lock(&t->ev_lock);
	for (i = 0; i < t->ev_count && i < ITEST_MAX_EVENTS; i++)
		n += t->ev_type[i] == type;
	pthread_mutex_unlock(&t->ev_lock);
	return n;
}

/* Index of the first event of @p type at or after @p from, or -1. */
static inline int itest_event_find(struct itest_vm *t, hv_event_type_t type, size_t from)
{
	size_t i;
	int found = -1;

	pthread_mutex_lock(&t->ev_lock);
	for (i = from; i < t->ev_count && i < ITEST_MAX_EVENTS; i++)
		if (t->ev_type[i] == type) {
			found = (int)i;
			break;
		}
	pthread_mutex_unlock(&t->ev_lock);
	return found;
}

static inline void itest_events_print(struct itest_vm *t)
{
	size_t i;

	pthread_mutex_lock(&t->ev_lock);
	fprintf(stderr, "events of %s:", hv_vm_name(t->vm));
	for (i = 0; i < t->ev_count && i < ITEST_MAX_EVENTS; i++)
		fprintf(stderr, " %s", hv_event_type_str(t->ev_type[i]));
	fprintf(stderr, "\n");
	pthread_mutex_unlock(&t->ev_lock);
}

/*
 * Create a test VM: @p cfg (may be NULL) with the event recorder and reset hook installed
 * unless it brings its own; @p ram_size bytes of RAM at guest-physical 0 (none if 0); the
 * itest device; @p vcpus vCPUs.
 */
static inline void itest_vm_init(struct itest_vm *t, const hv_vm_config_t *cfg, const char *name,
				 uint64_t ram_size, unsigned vcpus)
{
	hv_vm_config_t c = HV_VM_CONFIG_INIT;
	hv_region_config_t ram = HV_REGION_CONFIG_INIT;
	hv_device_config_t dev = HV_DEVICE_CONFIG_INIT;
	unsigned i;

	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->ev_lock, NULL);
	pthread_mutex_init(&t->con.lock, NULL);
	if (cfg != NULL)
		c = *cfg;
	c.name = name;
	if (c.on_event == NULL) {
		c.on_event = itest_on_event;
		c.event_user = t;
	}
	if (c.on_reset == NULL && c.event_user == t)
		c.on_reset = itest_on_reset;
	assert_int_equal(hv_vm_create(&c, &t->vm), HV_OK);
	t->con.vm = t->vm;
	if (ram_size != 0) {
		ram.type = HV_REGION_RAM;
		ram.name = "ram";
		ram.gpa = 0;
		ram.size = ram_size;
		assert_int_equal(hv_vm_map_region(t->vm, &ram, NULL), HV_OK);
	}
	dev.name = "itest";
	dev.bus = HV_BUS_PIO;
	dev.base = ITEST_PORT_BASE;
	dev.size = 8;
	dev.ops = &itest_con_ops;
	dev.ctx = &t->con;
	assert_int_equal(hv_device_add(t->vm, &dev, NULL), HV_OK);
	assert_true(vcpus <= ITEST_MAX_VCPUS);
	for (i = 0; i < vcpus; i++)
		assert_int_equal(hv_vcpu_create(t->vm, i, &t->vcpu[i]), HV_OK);
}

static inline void itest_vm_fini(struct itest_vm *t)
{
	hv_vm_destroy(t->vm);
	t->vm = NULL;
	pthread_mutex_destroy(&t->ev_lock);
	pthread_mutex_destroy(&t->con.lock);
}

/* Copy a guest image into RAM at @p gpa and remember it for reloads on reset. */
static inline void itest_load(struct itest_vm *t, const uint8_t *start, const uint8_t *end,
			      uint64_t gpa)
{
	t->image = start;
	t->image_size = (size_t)(end - start);
	t->image_gpa = gpa;
	assert_int_equal(hv_vm_write(t->vm, gpa, start, (uint64_t)(end - start)), HV_OK);
}

static inline void itest_set_regs(hv_vcpu_t *vcpu, const hv_reg_t *regs, const uint64_t *values,
				  size_t count)
{
	hv_status_t st = hv_vcpu_set_regs(vcpu, regs, values, count);

	if (st != HV_OK)
		fprintf(stderr, "itest: hv_vcpu_set_regs: %s\n", hv_status_str(st));
	assert_int_equal(st, HV_OK);
}

static inline uint64_t itest_reg(hv_vcpu_t *vcpu, hv_reg_t reg)
{
	uint64_t v = 0;

	assert_int_equal(hv_vcpu_get_reg(vcpu, reg, &v), HV_OK);
	return v;
}

#define ITEST_SEG(s, f) HV_X86_SEG(HV_X86_##s, HV_X86_SEG_##f)

/*
 * Real mode at 0:@p pc with all data segments at base 0. With @p unreal, DS and ES get a 4 GiB
 * limit so 32-bit addresses reach MMIO above 1 MiB.
 */
static inline void itest_setup_real(hv_vcpu_t *vcpu, uint64_t pc, bool unreal)
{
	const hv_reg_t regs[] = {
		ITEST_SEG(CS, SELECTOR), ITEST_SEG(CS, BASE), ITEST_SEG(DS, SELECTOR),
		ITEST_SEG(DS, BASE),     ITEST_SEG(ES, SELECTOR), ITEST_SEG(ES, BASE),
		ITEST_SEG(SS, SELECTOR), ITEST_SEG(SS, BASE), HV_X86_RSP,
		HV_X86_RFLAGS,           HV_REG_PC,
	};
	const uint64_t values[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0xf000, 2, pc };

	itest_set_regs(vcpu, regs, values, sizeof(values) / sizeof(values[0]));
	if (unreal) {
		const hv_reg_t r2[] = { ITEST_SEG(DS, LIMIT), ITEST_SEG(DS, ATTR),
					ITEST_SEG(ES, LIMIT), ITEST_SEG(ES, ATTR) };
		const uint64_t v2[] = { 0xffffffff, 0x8093, 0xffffffff, 0x8093 };

		itest_set_regs(vcpu, r2, v2, 4);
	}
}

static inline void itest_write_gdt(hv_vm_t *vm)
{
	static const uint64_t gdt[] = {
		0,
		0x00cf9b000000ffffull, /* 0x08: flat 32-bit code */
		0x00cf93000000ffffull, /* 0x10: flat data */
		0x00af9b000000ffffull, /* 0x18: 64-bit code */
	};

	assert_int_equal(hv_vm_write(vm, ITEST_GDT, gdt, sizeof(gdt)), HV_OK);
}

/* Flat 32-bit protected mode, paging off, no IDT (any exception is a triple fault). */
static inline void itest_setup_prot32(hv_vm_t *vm, hv_vcpu_t *vcpu, uint64_t pc, uint64_t sp)
{
	const hv_reg_t regs[] = {
		ITEST_SEG(CS, SELECTOR), ITEST_SEG(CS, BASE), ITEST_SEG(CS, LIMIT), ITEST_SEG(CS, ATTR),
		ITEST_SEG(DS, SELECTOR), ITEST_SEG(DS, BASE), ITEST_SEG(DS, LIMIT), ITEST_SEG(DS, ATTR),
		ITEST_SEG(ES, SELECTOR), ITEST_SEG(ES, BASE), ITEST_SEG(ES, LIMIT), ITEST_SEG(ES, ATTR),
		ITEST_SEG(SS, SELECTOR), ITEST_SEG(SS, BASE), ITEST_SEG(SS, LIMIT), ITEST_SEG(SS, ATTR),
		ITEST_SEG(FS, SELECTOR), ITEST_SEG(FS, BASE), ITEST_SEG(FS, LIMIT), ITEST_SEG(FS, ATTR),
		ITEST_SEG(GS, SELECTOR), ITEST_SEG(GS, BASE), ITEST_SEG(GS, LIMIT), ITEST_SEG(GS, ATTR),
		HV_X86_GDTR_BASE, HV_X86_GDTR_LIMIT, HV_X86_IDTR_BASE, HV_X86_IDTR_LIMIT,
		HV_X86_CR0, HV_X86_CR4, HV_X86_EFER, HV_X86_RSP, HV_X86_RFLAGS, HV_REG_PC,
	};
	const uint64_t values[] = {
		ITEST_SEL_CODE32, 0, 0xffffffff, 0xc09b,
		ITEST_SEL_DATA, 0, 0xffffffff, 0xc093,
		ITEST_SEL_DATA, 0, 0xffffffff, 0xc093,
		ITEST_SEL_DATA, 0, 0xffffffff, 0xc093,
		ITEST_SEL_DATA, 0, 0xffffffff, 0xc093,
		ITEST_SEL_DATA, 0, 0xffffffff, 0xc093,
		ITEST_GDT, 4 * 8 - 1, 0, 0,
		0x11 /* PE | ET */, 0, 0, sp, 2, pc,
	};

	itest_write_gdt(vm);
	itest_set_regs(vcpu, regs, values, sizeof(values) / sizeof(values[0]));
}

/* 64-bit long mode: identity paging of the first ITEST_PT_GIB GiB with 2 MiB pages. */
static inline void itest_setup_long(hv_vm_t *vm, hv_vcpu_t *vcpu, uint64_t pc, uint64_t sp)
{
	static uint64_t pd[512];
	uint64_t e;
	unsigned i, j;
	const hv_reg_t regs[] = {
		ITEST_SEG(CS, SELECTOR), ITEST_SEG(CS, BASE), ITEST_SEG(CS, LIMIT), ITEST_SEG(CS, ATTR),
		ITEST_SEG(DS, SELECTOR), ITEST_SEG(DS, BASE), ITEST_SEG(DS, LIMIT), ITEST_SEG(DS, ATTR),
		ITEST_SEG(ES, SELECTOR), ITEST_SEG(ES, BASE), ITEST_SEG(ES, LIMIT), ITEST_SEG(ES, ATTR),
		ITEST_SEG(SS, SELECTOR), ITEST_SEG(SS, BASE), ITEST_SEG(SS, LIMIT), ITEST_SEG(SS, ATTR),
		HV_X86_GDTR_BASE, HV_X86_GDTR_LIMIT, HV_X86_IDTR_BASE, HV_X86_IDTR_LIMIT,
		HV_X86_CR3, HV_X86_CR4, HV_X86_EFER, HV_X86_CR0, HV_X86_RSP, HV_X86_RFLAGS, HV_REG_PC,
	};
	const uint64_t values[] = {
		ITEST_SEL_CODE64, 0, 0xffffffff, 0xa09b,
		ITEST_SEL_DATA, 0, 0xffffffff, 0xc093,
		ITEST_SEL_DATA, 0, 0xffffffff, 0xc093,
		ITEST_SEL_DATA, 0, 0xffffffff, 0xc093,
		ITEST_GDT, 4 * 8 - 1, 0, 0,
		ITEST_PT, 0x620, 0x501, 0x80050033, sp, 2, pc,
	};

	itest_write_gdt(vm);
	e = (ITEST_PT + 0x1000) | 3;
	assert_int_equal(hv_vm_write(vm, ITEST_PT, &e, 8), HV_OK);
	for (i = 0; i < ITEST_PT_GIB; i++) {
		e = (ITEST_PT + 0x2000 + i * 0x1000ull) | 3;
		assert_int_equal(hv_vm_write(vm, ITEST_PT + 0x1000 + i * 8, &e, 8), HV_OK);
		for (j = 0; j < 512; j++)
			pd[j] = ((uint64_t)i << 30) | ((uint64_t)j << 21) | 0x83; /* P|RW|PS */
		assert_int_equal(hv_vm_write(vm, ITEST_PT + 0x2000 + i * 0x1000ull, pd, sizeof(pd)),
				 HV_OK);
	}
	itest_set_regs(vcpu, regs, values, sizeof(values) / sizeof(values[0]));
}

/* ---- running ----------------------------------------------------------------------------- */

/* hv_vm_run() under a watchdog of @p ms; records whether the watchdog fired. */
static inline hv_status_t itest_run(struct itest_vm *t, unsigned ms, hv_vm_state_t *state)
{
	hv_status_t st;

	itest_watchdog_start(&t->wd, t->vm, ms);
	st = hv_vm_run(t->vm, state);
	t->watchdog_fired = itest_watchdog_stop(&t->wd);
	return st;
}

/* Run to the guest's power-off: OK, STOPPED, no watchdog, one power-off. */
static inline void itest_run_to_poweroff(struct itest_vm *t, unsigned ms)
{
	hv_vm_state_t state = HV_VM_CREATED;
	hv_status_t st = itest_run(t, ms, &state);

	if (t->watchdog_fired || t->con.poweroffs != 1) {
		fprintf(stderr, "itest: %s: console so far: \"%s\"\n", hv_vm_name(t->vm), t->con.text);
		itest_events_print(t);
	}
	assert_int_equal(st, HV_OK);
	assert_false(t->watchdog_fired);
	assert_int_equal(state, HV_VM_STOPPED);
	assert_int_equal(t->con.poweroffs, 1);
}

static inline hv_stop_info_t itest_stop_info(struct itest_vm *t)
{
	hv_stop_info_t info = HV_STOP_INFO_INIT;

	assert_int_equal(hv_vm_get_stop_info(t->vm, &info), HV_OK);
	return info;
}

static inline uint32_t itest_read32(hv_vm_t *vm, uint64_t gpa)
{
	uint32_t v = 0;

	assert_int_equal(hv_vm_read(vm, gpa, &v, sizeof(v)), HV_OK);
	return v;
}

/* Poll guest memory until the 32-bit value at @p gpa is >= @p want or @p ms pass. */
static inline bool itest_wait_mem32(hv_vm_t *vm, uint64_t gpa, uint32_t want, unsigned ms)
{
	double end = itest_now() + ms / 1000.0;

	while (itest_now() < end) {
		if (itest_read32(vm, gpa) >= want)
			return true;
		itest_sleep_ms(1);
	}
	return itest_read32(vm, gpa) >= want;
}

#endif /* HVLIB_ITEST_H */
