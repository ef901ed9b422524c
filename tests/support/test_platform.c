/* SPDX-License-Identifier: MIT */
/*
 * The counting platform: malloc-backed allocation that remembers every live block (so a test
 * fails on a leak, a double free, or a free with the wrong size), error-checking pthread
 * mutexes, pthread threads, injected failures, and captured log lines.
 */
#include "test_support.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum tp_kind { TP_ALLOC = 1, TP_RAM = 2 };

struct tp_block {
	void *ptr;
	size_t size;
	enum tp_kind kind;
	struct tp_block *next;
};

#define TP_LOG_LINES 256
#define TP_LOG_LINE 256

static pthread_mutex_t tp_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tp_block *tp_blocks;
static struct tp_stats tp_st;
static unsigned long tp_alloc_seq, tp_alloc_fail;
static unsigned long tp_lock_seq, tp_lock_fail;
static unsigned long tp_thread_seq, tp_thread_fail;
static hv_status_t tp_thread_fail_status;
static char tp_log_lines[TP_LOG_LINES][TP_LOG_LINE];
static size_t tp_log_n;
static int tp_log_level_last = -1;
static hv_platform_ops_t tp_table;
static bool tp_leaked_before;

bool tp_platform_stuck(void)
{
	return tp_leaked_before;
}

/* Called with tp_mu held: true if this call must fail. */
static bool tp_alloc_should_fail(void)
{
	tp_alloc_seq++;
	return tp_alloc_fail != 0 && tp_alloc_seq == tp_alloc_fail;
}

static void *tp_track(void *p, size_t size, enum tp_kind kind)
{
	struct tp_block *b;

	if (p == NULL)
		return NULL;
	b = malloc(sizeof(*b));
	if (b == NULL) {
		free(p);
		return NULL;
	}
	b->ptr = p;
	b->size = size;
	b->kind = kind;
	b->next = tp_blocks;
	tp_blocks = b;
	tp_st.live_allocs++;
	tp_st.live_bytes += size;
	tp_st.total_allocs++;
	if (kind == TP_RAM)
		tp_st.live_ram++;
	return p;
}

static void tp_untrack(void *ptr, size_t size, enum tp_kind kind)
{
	struct tp_block **pp;

	for (pp = &tp_blocks; *pp != NULL; pp = &(*pp)->next) {
		struct tp_block *b = *pp;

		if (b->ptr != ptr)
			continue;
		if (b->size != size || b->kind != kind) {
			fprintf(stderr,
				"tp: free of %p with size %zu (kind %d); allocated %zu (kind %d)\n",
				ptr, size, kind, b->size, b->kind);
			tp_st.bad_frees++;
		}
		*pp = b->next;
		tp_st.live_allocs--;
		tp_st.live_bytes -= b->size;
		if (b->kind == TP_RAM)
			tp_st.live_ram--;
		free(b->ptr);
		free(b);
		return;
	}
	fprintf(stderr, "tp: free of unknown pointer %p (size %zu)\n", ptr, size);
	tp_st.bad_frees++;
}

static void *tp_alloc(void *ctx, size_t size, size_t align)
{
	void *p = NULL;

	(void)ctx;
	pthread_mutex_lock(&tp_mu);
	if (align == 0 || (align & (align - 1)) != 0)
		tp_st.bad_aligns++;
	if (!tp_alloc_should_fail()) {
		if (align < sizeof(void *))
			align = sizeof(void *);
		if (posix_memalign(&p, align, size) != 0)
			p = NULL;
		/* Catch code that assumes alloc() zeroes: the core must zero what it needs. */
		if (p != NULL)
			memset(p, 0xa5, size);
		p = tp_track(p, size, TP_ALLOC);
	}
	pthread_mutex_unlock(&tp_mu);
	return p;
}

static void tp_free(void *ctx, void *ptr, size_t size)
{
	(void)ctx;
	pthread_mutex_lock(&tp_mu);
	tp_untrack(ptr, size, TP_ALLOC);
	pthread_mutex_unlock(&tp_mu);
}

static void *tp_ram_alloc(void *ctx, size_t size)
{
	void *p = NULL;

	(void)ctx;
	pthread_mutex_lock(&tp_mu);
	if (!tp_alloc_should_fail()) {
		if (posix_memalign(&p, HV_PAGE_SIZE, size) != 0)
			p = NULL;
		if (p != NULL)
			memset(p, 0, size);
		p = tp_track(p, size, TP_RAM);
	}
	pthread_mutex_unlock(&tp_mu);
	return p;
}

static void tp_ram_free(void *ctx, void *ptr, size_t size)
{
	(void)ctx;
	pthread_mutex_lock(&tp_mu);
	tp_untrack(ptr, size, TP_RAM);
	pthread_mutex_unlock(&tp_mu);
}

static void tp_log(void *ctx, hv_log_level_t level, const char *line)
{
	(void)ctx;
	pthread_mutex_lock(&tp_mu);
	snprintf(tp_log_lines[tp_log_n % TP_LOG_LINES], TP_LOG_LINE, "%s", line);
	tp_log_n++;
	tp_log_level_last = (int)level;
	pthread_mutex_unlock(&tp_mu);
	if (getenv("HV_TEST_VERBOSE") != NULL)
		fprintf(stderr, "hvlib[%d]: %s\n", (int)level, line);
}

static uint64_t tp_time_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void tp_panic(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "tp: library panic: %s\n", msg);
	abort();
}

static void *tp_lock_create(void *ctx)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t *m;

	(void)ctx;
	pthread_mutex_lock(&tp_mu);
	tp_lock_seq++;
	if (tp_lock_fail != 0 && tp_lock_seq == tp_lock_fail) {
		pthread_mutex_unlock(&tp_mu);
		return NULL;
	}
	pthread_mutex_unlock(&tp_mu);
	m = malloc(sizeof(*m));
	if (m == NULL)
		return NULL;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_mutex_lock(&tp_mu);
	tp_st.live_locks++;
	pthread_mutex_unlock(&tp_mu);
	return m;
}

static void tp_lock_destroy(void *ctx, void *lock)
{
	(void)ctx;
	if (pthread_mutex_destroy(lock) != 0) {
		pthread_mutex_lock(&tp_mu);
		tp_st.bad_locks++;
		pthread_mutex_unlock(&tp_mu);
	}
	free(lock);
	pthread_mutex_lock(&tp_mu);
	tp_st.live_locks--;
	pthread_mutex_unlock(&tp_mu);
}

static void tp_lock_acquire(void *ctx, void *lock)
{
	(void)ctx;
	if (pthread_mutex_lock(lock) != 0) {
		fprintf(stderr, "tp: lock %p acquired recursively\n", lock);
		pthread_mutex_lock(&tp_mu);
		tp_st.bad_locks++;
		pthread_mutex_unlock(&tp_mu);
		abort(); /* the real platform would deadlock here */
	}
}

static void tp_lock_release(void *ctx, void *lock)
{
	(void)ctx;
	if (pthread_mutex_unlock(lock) != 0) {
		fprintf(stderr, "tp: lock %p released by a thread that does not hold it\n", lock);
		pthread_mutex_lock(&tp_mu);
		tp_st.bad_locks++;
		pthread_mutex_unlock(&tp_mu);
	}
}

struct tp_thread {
	pthread_t tid;
	void (*fn)(void *arg);
	void *arg;
};

static void *tp_thread_main(void *p)
{
	struct tp_thread *t = p;

	t->fn(t->arg);
	return NULL;
}

static hv_status_t tp_thread_create(void *ctx, void (*fn)(void *arg), void *arg, void **out)
{
	struct tp_thread *t;

	(void)ctx;
	pthread_mutex_lock(&tp_mu);
	tp_thread_seq++;
	if (tp_thread_fail != 0 && tp_thread_seq == tp_thread_fail) {
		pthread_mutex_unlock(&tp_mu);
		return tp_thread_fail_status;
	}
	pthread_mutex_unlock(&tp_mu);
	t = malloc(sizeof(*t));
	if (t == NULL)
		return HV_ERR_NO_MEMORY;
	t->fn = fn;
	t->arg = arg;
	if (pthread_create(&t->tid, NULL, tp_thread_main, t) != 0) {
		free(t);
		return HV_ERR_BACKEND;
	}
	pthread_mutex_lock(&tp_mu);
	tp_st.live_threads++;
	tp_st.threads_started++;
	pthread_mutex_unlock(&tp_mu);
	*out = t;
	return HV_OK;
}

static void tp_thread_join(void *ctx, void *thread)
{
	struct tp_thread *t = thread;

	(void)ctx;
	pthread_join(t->tid, NULL);
	free(t);
	pthread_mutex_lock(&tp_mu);
	tp_st.live_threads--;
	pthread_mutex_unlock(&tp_mu);
}

const hv_platform_ops_t *tp_ops(void)
{
	return &tp_table;
}

void tp_install(unsigned flags)
{
	hv_platform_ops_t t = HV_PLATFORM_OPS_INIT;
	hv_status_t st;

	pthread_mutex_lock(&tp_mu);
	memset(&tp_st, 0, sizeof(tp_st));
	tp_alloc_seq = tp_alloc_fail = 0;
	tp_lock_seq = tp_lock_fail = 0;
	tp_thread_seq = tp_thread_fail = 0;
	tp_log_n = 0;
	tp_log_level_last = -1;
	pthread_mutex_unlock(&tp_mu);

	t.alloc = tp_alloc;
	t.free = tp_free;
	t.log = tp_log;
	t.time_ns = tp_time_ns;
	t.panic = tp_panic;
	t.lock_create = tp_lock_create;
	t.lock_destroy = tp_lock_destroy;
	t.lock_acquire = tp_lock_acquire;
	t.lock_release = tp_lock_release;
	if ((flags & TP_NO_THREADS) == 0) {
		t.thread_create = tp_thread_create;
		t.thread_join = tp_thread_join;
	}
	if ((flags & TP_NO_RAM_ALLOC) == 0) {
		t.ram_alloc = tp_ram_alloc;
		t.ram_free = tp_ram_free;
	}
	/* Forget blocks a failed earlier test leaked, so that later tests start clean. */
	pthread_mutex_lock(&tp_mu);
	while (tp_blocks != NULL) {
		struct tp_block *b = tp_blocks;

		tp_blocks = b->next;
		free(b);
	}
	pthread_mutex_unlock(&tp_mu);
	/* The library keeps a pointer to the table: swap it only while none is installed. */
	st = hv_platform_set(NULL);
	if (st == HV_ERR_BUSY && hv__platform_get() == &tp_table) {
		/* An earlier failed test left a VM behind: keep going with the same table. */
		fprintf(stderr, "tp: an earlier test leaked a VM or shm object\n");
		tp_table = t;
		tp_leaked_before = true;
		return;
	}
	if (st != HV_OK) {
		fprintf(stderr, "tp: cannot restore the hosted platform: %s\n", hv_status_str(st));
		abort();
	}
	tp_table = t;
	st = hv_platform_set(&tp_table);
	if (st != HV_OK) {
		fprintf(stderr, "tp: cannot install the counting platform: %s\n",
			hv_status_str(st));
		abort();
	}
}

void tp_get_stats(struct tp_stats *stats)
{
	pthread_mutex_lock(&tp_mu);
	*stats = tp_st;
	pthread_mutex_unlock(&tp_mu);
}

size_t tp_live_allocs(void)
{
	size_t n;

	pthread_mutex_lock(&tp_mu);
	n = tp_st.live_allocs;
	pthread_mutex_unlock(&tp_mu);
	return n;
}

void tp_fail_alloc_at(unsigned long n)
{
	pthread_mutex_lock(&tp_mu);
	tp_alloc_seq = 0;
	tp_alloc_fail = n;
	pthread_mutex_unlock(&tp_mu);
}

unsigned long tp_alloc_calls(void)
{
	unsigned long n;

	pthread_mutex_lock(&tp_mu);
	n = tp_alloc_seq;
	pthread_mutex_unlock(&tp_mu);
	return n;
}

void tp_fail_lock_at(unsigned long n)
{
	pthread_mutex_lock(&tp_mu);
	tp_lock_seq = 0;
	tp_lock_fail = n;
	pthread_mutex_unlock(&tp_mu);
}

void tp_fail_thread_at(unsigned long n, hv_status_t status)
{
	pthread_mutex_lock(&tp_mu);
	tp_thread_seq = 0;
	tp_thread_fail = n;
	tp_thread_fail_status = status;
	pthread_mutex_unlock(&tp_mu);
}

void tp_assert_clean(void)
{
	struct tp_stats s;
	struct tp_block *b;

	pthread_mutex_lock(&tp_mu);
	s = tp_st;
	for (b = tp_blocks; b != NULL; b = b->next)
		fprintf(stderr, "tp: leaked %zu bytes at %p (%s)\n", b->size, b->ptr,
			b->kind == TP_RAM ? "ram_alloc" : "alloc");
	pthread_mutex_unlock(&tp_mu);
	if (s.live_locks != 0)
		fprintf(stderr, "tp: %zu locks not destroyed\n", s.live_locks);
	if (s.live_threads != 0)
		fprintf(stderr, "tp: %zu threads not joined\n", s.live_threads);
	assert_int_equal(s.live_allocs, 0);
	assert_int_equal(s.live_bytes, 0);
	assert_int_equal(s.live_locks, 0);
	assert_int_equal(s.live_threads, 0);
	assert_int_equal(s.bad_frees, 0);
	assert_int_equal(s.bad_aligns, 0);
	assert_int_equal(s.bad_locks, 0);
}

size_t tp_log_count(void)
{
	size_t n;

	pthread_mutex_lock(&tp_mu);
	n = tp_log_n;
	pthread_mutex_unlock(&tp_mu);
	return n;
}

bool tp_log_contains(const char *needle)
{
	bool found = false;
	size_t i, first;

	pthread_mutex_lock(&tp_mu);
	first = tp_log_n > TP_LOG_LINES ? tp_log_n - TP_LOG_LINES : 0;
	for (i = first; i < tp_log_n && !found; i++)
		found = strstr(tp_log_lines[i % TP_LOG_LINES], needle) != NULL;
	pthread_mutex_unlock(&tp_mu);
	return found;
}

void tp_log_clear(void)
{
	pthread_mutex_lock(&tp_mu);
	tp_log_n = 0;
	tp_log_level_last = -1;
	pthread_mutex_unlock(&tp_mu);
}

int tp_log_last_level(void)
{
	int l;

	pthread_mutex_lock(&tp_mu);
	l = tp_log_level_last;
	pthread_mutex_unlock(&tp_mu);
	return l;
}
