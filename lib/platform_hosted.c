/* SPDX-License-Identifier: MIT */
/* The hosted platform: libc allocation, stderr logging, POSIX clocks, mutexes and threads. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "hv_internal.h"

#define HV__HUGE (2u << 20)

static void *hosted_alloc(void *ctx, size_t size, size_t align)
{
	void *p = NULL;

	(void)ctx;
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (posix_memalign(&p, align, size) != 0)
		return NULL;
	return p;
}

static void hosted_free(void *ctx, void *ptr, size_t size)
{
	(void)ctx;
	(void)size;
	free(ptr);
}

static void hosted_log(void *ctx, hv_log_level_t level, const char *line)
{
	static const char *const names[] = { "", "error", "warn", "info", "debug", "trace" };

	(void)ctx;
	fprintf(stderr, "hvlib %s: %s\n", (unsigned)level < 6 ? names[level] : "?", line);
}

static uint64_t hosted_time_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void hosted_panic(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
	abort();
}

static void *hosted_lock_create(void *ctx)
{
	pthread_mutex_t *m = malloc(sizeof(*m));

	(void)ctx;
	if (m != NULL && pthread_mutex_init(m, NULL) != 0) {
		free(m);
		m = NULL;
	}
	return m;
}

static void hosted_lock_destroy(void *ctx, void *lock)
{
	(void)ctx;
	pthread_mutex_destroy(lock);
	free(lock);
}

static void hosted_lock_acquire(void *ctx, void *lock)
{
	(void)ctx;
	pthread_mutex_lock(lock);
}

static void hosted_lock_release(void *ctx, void *lock)
{
	(void)ctx;
	pthread_mutex_unlock(lock);
}

struct hosted_thread {
	pthread_t tid;
	void (*fn)(void *arg);
	void *arg;
};

static void *hosted_thread_main(void *p)
{
	struct hosted_thread *t = p;

	t->fn(t->arg);
	return NULL;
}

/*
 * Library threads (vCPUs, timers) run the library's code and the host's callbacks, which need
 * far less than the default 8 MiB. A stack under 2 MiB also keeps transparent huge pages off
 * it: with THP "always", the first touch of an 8 MiB stack can commit a whole 2 MiB page.
 */
#define HV__THREAD_STACK (1u << 20)

static int hosted_pthread_create(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int rc;

	if (pthread_attr_init(&attr) != 0)
		return pthread_create(tid, NULL, fn, arg);
	pthread_attr_setstacksize(&attr, HV__THREAD_STACK);
	rc = pthread_create(tid, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return rc;
}

static hv_status_t hosted_thread_create(void *ctx, void (*fn)(void *arg), void *arg, void **out)
{
	struct hosted_thread *t = malloc(sizeof(*t));

	(void)ctx;
	if (t == NULL)
		return HV_ERR_NO_MEMORY;
	t->fn = fn;
	t->arg = arg;
	if (hosted_pthread_create(&t->tid, hosted_thread_main, t) != 0) {
		free(t);
		return HV_ERR_BACKEND;
	}
	*out = t;
	return HV_OK;
}

static void hosted_thread_join(void *ctx, void *thread)
{
	struct hosted_thread *t = thread;

	(void)ctx;
	pthread_join(t->tid, NULL);
	free(t);
}

/*
 * Guest RAM from mmap, 2 MiB-aligned when it is at least that large, so the host can back it
 * with huge pages and nested paging stays cheap.
 */
static void *hosted_ram_alloc(void *ctx, size_t size)
{
	size_t span = size >= HV__HUGE ? size + HV__HUGE : size;
	uint8_t *p, *aligned;

	(void)ctx;
	p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (span == size)
		return p;
	aligned = (uint8_t *)(((uintptr_t)p + HV__HUGE - 1) & ~(uintptr_t)(HV__HUGE - 1));
	if (aligned != p)
		munmap(p, (size_t)(aligned - p));
	if (aligned + size != p + span)
		munmap(aligned + size, (size_t)(p + span - (aligned + size)));
	madvise(aligned, size, MADV_HUGEPAGE);
	return aligned;
}

static void hosted_ram_free(void *ctx, void *ptr, size_t size)
{
	(void)ctx;
	munmap(ptr, size);
}

static uint64_t hosted_realtime_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Timers: one thread for the whole process, started on first use, fires armed timers in
 * deadline order. Callbacks run on that thread, one at a time.
 */
struct hosted_timer {
	void (*fn)(void *arg);
	void *arg;
	uint64_t deadline;
	bool armed;
	bool running;
	struct hosted_timer *next; /* in the armed list */
};

static pthread_mutex_t timer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t timer_wake;
static pthread_cond_t timer_done;
static struct hosted_timer *timer_list;
static pthread_t timer_thread;
static pthread_once_t timer_once = PTHREAD_ONCE_INIT;
static bool timer_ok;

static void timer_unlink(struct hosted_timer *t)
{
	struct hosted_timer **pp;

	for (pp = &timer_list; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->next = NULL;
	t->armed = false;
}

static void *timer_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&timer_lock);
	for (;;) {
		struct hosted_timer *t, *first = NULL;
		uint64_t now = hosted_time_ns(NULL);

		for (t = timer_list; t != NULL; t = t->next)
			if (first == NULL || t->deadline < first->deadline)
				first = t;
		if (first == NULL) {
			pthread_cond_wait(&timer_wake, &timer_lock);
		} else if (first->deadline <= now) {
			timer_unlink(first);
			first->running = true;
			pthread_mutex_unlock(&timer_lock);
			first->fn(first->arg);
			pthread_mutex_lock(&timer_lock);
			first->running = false;
			pthread_cond_broadcast(&timer_done);
		} else {
			struct timespec ts;

			ts.tv_sec = (time_t)(first->deadline / 1000000000ull);
			ts.tv_nsec = (long)(first->deadline % 1000000000ull);
			pthread_cond_timedwait(&timer_wake, &timer_lock, &ts);
		}
	}
	return NULL;
}

static void timer_start(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&timer_wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&timer_done, NULL);
	timer_ok = hosted_pthread_create(&timer_thread, timer_main, NULL) == 0;
	if (timer_ok)
		pthread_detach(timer_thread);
}

static void *hosted_timer_create(void *ctx, void (*fn)(void *arg), void *arg)
{
	struct hosted_timer *t;

	(void)ctx;
	pthread_once(&timer_once, timer_start);
	if (!timer_ok)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t != NULL) {
		t->fn = fn;
		t->arg = arg;
	}
	return t;
}

static void hosted_timer_arm(void *ctx, void *timer, uint64_t deadline_ns)
{
	struct hosted_timer *t = timer;

	(void)ctx;
	pthread_mutex_lock(&timer_lock);
	if (t->armed)
		timer_unlink(t);
	t->deadline = deadline_ns;
	t->armed = true;
	t->next = timer_list;
	timer_list = t;
	pthread_cond_signal(&timer_wake);
	pthread_mutex_unlock(&timer_lock);
}

static void hosted_timer_cancel(void *ctx, void *timer)
{
	struct hosted_timer *t = timer;

	(void)ctx;
	pthread_mutex_lock(&timer_lock);
	if (t->armed)
		timer_unlink(t);
	while (t->running && !pthread_equal(pthread_self(), timer_thread))
		pthread_cond_wait(&timer_done, &timer_lock);
	/* The callback may have re-armed the timer while we waited for it to finish. */
	if (t->armed)
		timer_unlink(t);
	pthread_mutex_unlock(&timer_lock);
}

static void hosted_timer_destroy(void *ctx, void *timer)
{
	hosted_timer_cancel(ctx, timer);
	free(timer);
}

static const hv_platform_ops_t hosted_ops = {
	.struct_size = sizeof(hv_platform_ops_t),
	.version = HV_PLATFORM_OPS_VERSION,
	.alloc = hosted_alloc,
	.free = hosted_free,
	.log = hosted_log,
	.time_ns = hosted_time_ns,
	.panic = hosted_panic,
	.lock_create = hosted_lock_create,
	.lock_destroy = hosted_lock_destroy,
	.lock_acquire = hosted_lock_acquire,
	.lock_release = hosted_lock_release,
	.thread_create = hosted_thread_create,
	.thread_join = hosted_thread_join,
	.ram_alloc = hosted_ram_alloc,
	.ram_free = hosted_ram_free,
	.realtime_ns = hosted_realtime_ns,
	.timer_create = hosted_timer_create,
	.timer_arm = hosted_timer_arm,
	.timer_cancel = hosted_timer_cancel,
	.timer_destroy = hosted_timer_destroy,
};

const hv_platform_ops_t *hv_platform_hosted(void)
{
	return &hosted_ops;
}
