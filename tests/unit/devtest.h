/* SPDX-License-Identifier: MIT */
/*
 * Shared by the unit tests of the emulated devices (include after test_support.h): a counting
 * platform with the hosted timers and wall clock added, a started manual-run VM on the mock
 * whose vCPU 0 makes guest accesses through the real dispatch path, a recording byte stream
 * with a programmable appetite, and the level of an interrupt input.
 */
#ifndef HV_DEVTEST_H
#define HV_DEVTEST_H

#include <time.h>
#include <unistd.h>

static hv_platform_ops_t dt_table;

static inline void *dt_timer_create(void *ctx, void (*fn)(void *arg), void *arg)
{
	const hv_platform_ops_t *h = hv_platform_hosted();

	(void)ctx;
	return h->timer_create(h->ctx, fn, arg);
}

static inline void dt_timer_arm(void *ctx, void *timer, uint64_t deadline_ns)
{
	const hv_platform_ops_t *h = hv_platform_hosted();

	(void)ctx;
	h->timer_arm(h->ctx, timer, deadline_ns);
}

static inline void dt_timer_cancel(void *ctx, void *timer)
{
	const hv_platform_ops_t *h = hv_platform_hosted();

	(void)ctx;
	h->timer_cancel(h->ctx, timer);
}

static inline void dt_timer_destroy(void *ctx, void *timer)
{
	const hv_platform_ops_t *h = hv_platform_hosted();

	(void)ctx;
	h->timer_destroy(h->ctx, timer);
}

/* When non-zero, the wall clock the library sees (for tests of sub-second behaviour). */
static uint64_t dt_fake_realtime;

static inline uint64_t dt_realtime_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	if (__atomic_load_n(&dt_fake_realtime, __ATOMIC_RELAXED) != 0)
		return __atomic_load_n(&dt_fake_realtime, __ATOMIC_RELAXED);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t dt_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The counting platform (ts_setup) plus hosted timers and wall clock. */
static inline int dt_setup_timers(void **state)
{
	ts_setup(state);
	dt_fake_realtime = 0;
	dt_table = *tp_ops();
	dt_table.timer_create = dt_timer_create;
	dt_table.timer_arm = dt_timer_arm;
	dt_table.timer_cancel = dt_timer_cancel;
	dt_table.timer_destroy = dt_timer_destroy;
	dt_table.realtime_ns = dt_realtime_ns;
	if (hv_platform_set(&dt_table) != HV_OK)
		return -1;
	return 0;
}

#define DT_TEST(fn) cmocka_unit_test_setup_teardown(fn, dt_setup_timers, ts_teardown)

/* A manual-run VM on the mock with vCPU 0 (not started: add devices, then dt_start()). */
static inline hv_vm_t *dt_vm(hv_vcpu_t **vcpu, struct ts_events *events)
{
	hv_vm_config_t c = ts_vm_config();
	hv_vm_t *vm = NULL;

	c.flags = HV_VM_MANUAL_RUN;
	if (events != NULL) {
		c.on_event = ts_on_event;
		c.event_user = events;
	}
	assert_int_equal(hv_vm_create(&c, &vm), HV_OK);
	assert_int_equal(hv_vcpu_create(vm, 0, vcpu), HV_OK);
	return vm;
}

static inline void dt_start(hv_vm_t *vm)
{
	assert_int_equal(hv_vm_start(vm), HV_OK);
}

static inline uint64_t dt_mmio(hv_vcpu_t *vcpu, uint64_t gpa, uint32_t width, bool is_write,
			       uint64_t data)
{
	hv_exit_t exit;

	memset(&exit, 0, sizeof(exit));
	exit.reason = HV_EXIT_MMIO;
	exit.u.mmio.gpa = gpa;
	exit.u.mmio.width = (uint8_t)width;
	exit.u.mmio.is_write = is_write;
	exit.u.mmio.data = is_write ? data : 0x5a5a5a5a5a5a5a5aull;
	hv_vcpu_dispatch(vcpu, &exit);
	if (is_write)
		return 0;
	return width >= 8 ? exit.u.mmio.data : exit.u.mmio.data & ((1ull << (width * 8)) - 1);
}

static inline uint32_t dt_rd32(hv_vcpu_t *vcpu, uint64_t gpa)
{
	return (uint32_t)dt_mmio(vcpu, gpa, 4, false, 0);
}

static inline void dt_wr32(hv_vcpu_t *vcpu, uint64_t gpa, uint32_t v)
{
	dt_mmio(vcpu, gpa, 4, true, v);
}

static inline uint64_t dt_pio(hv_vcpu_t *vcpu, uint16_t port, uint32_t width, bool is_write,
			      uint64_t data)
{
	hv_exit_t exit;

	memset(&exit, 0, sizeof(exit));
	exit.reason = HV_EXIT_IO;
	exit.u.io.port = port;
	exit.u.io.width = (uint8_t)width;
	exit.u.io.is_write = is_write;
	exit.u.io.count = 1;
	exit.u.io.data = is_write ? data : 0x5a5a5a5a5a5a5a5aull;
	hv_vcpu_dispatch(vcpu, &exit);
	if (is_write)
		return 0;
	return exit.u.io.data & ((1ull << (width * 8)) - 1);
}

static inline uint8_t dt_inb(hv_vcpu_t *vcpu, uint16_t port)
{
	return (uint8_t)dt_pio(vcpu, port, 1, false, 0);
}

static inline void dt_outb(hv_vcpu_t *vcpu, uint16_t port, uint8_t v)
{
	dt_pio(vcpu, port, 1, true, v);
}

/* The level of the line driving @p input (false if there is none). */
static inline bool dt_irq(hv_vm_t *vm, uint32_t input)
{
	const struct hv_irq_line *l;

	for (l = vm->lines; l != NULL; l = l->next)
		if (l->input == input)
			return hv_irq_line_level(l);
	return false;
}

static inline unsigned dt_lines(hv_vm_t *vm)
{
	const struct hv_irq_line *l;
	unsigned n = 0;

	for (l = vm->lines; l != NULL; l = l->next)
		n++;
	return n;
}

/* Wait up to @p ms for the VM to leave RUNNING. */
static inline bool dt_wait_stopped(hv_vm_t *vm, unsigned ms)
{
	uint64_t end = dt_mono_ns() + (uint64_t)ms * 1000000ull;

	while (hv_vm_get_state(vm) == HV_VM_RUNNING) {
		if (dt_mono_ns() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/* A byte stream that records what it takes, up to `appetite` bytes per call (-1: all). */
struct dt_sink {
	pthread_mutex_t mu;
	uint8_t buf[4096];
	size_t len;
	long appetite;
	unsigned calls;
	unsigned destroys;
};

static inline size_t dt_sink_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct dt_sink *s = ctx;
	size_t n = len;

	pthread_mutex_lock(&s->mu);
	s->calls++;
	if (s->appetite >= 0 && n > (size_t)s->appetite)
		n = (size_t)s->appetite;
	if (n > sizeof(s->buf) - s->len)
		n = sizeof(s->buf) - s->len;
	memcpy(s->buf + s->len, buf, n);
	s->len += n;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static inline void dt_sink_destroy(void *ctx)
{
	struct dt_sink *s = ctx;

	s->destroys++;
}

static const hv_chardev_ops_t dt_sink_ops = {
	.struct_size = sizeof(hv_chardev_ops_t),
	.version = HV_CHARDEV_OPS_VERSION,
	.write = dt_sink_write,
	.destroy = dt_sink_destroy,
};

static inline hv_chardev_t dt_sink_init(struct dt_sink *s)
{
	hv_chardev_t c;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->appetite = -1;
	c.ops = &dt_sink_ops;
	c.ctx = s;
	return c;
}

static inline void dt_sink_set_appetite(struct dt_sink *s, long appetite)
{
	pthread_mutex_lock(&s->mu);
	s->appetite = appetite;
	pthread_mutex_unlock(&s->mu);
}

static inline size_t dt_sink_len(struct dt_sink *s)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = s->len;
	pthread_mutex_unlock(&s->mu);
	return n;
}

#endif
