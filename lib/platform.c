/* SPDX-License-Identifier: MIT */
/* The installed platform ops and the thin wrappers the core calls them through. */
#include "hv_internal.h"

static const hv_platform_ops_t *hv__platform;
static uint32_t hv__platform_users; /* live VMs and shm objects */
int hv__log_level = HV_LOG_WARN;

#if !defined(HVLIB_HOSTED) || !HVLIB_HOSTED
/* Freestanding builds have no default: firmware installs its own with hv_platform_set(). */
const hv_platform_ops_t *hv_platform_hosted(void)
{
	return NULL;
}
#endif

const hv_platform_ops_t *hv__platform_get(void)
{
	const hv_platform_ops_t *p = __atomic_load_n(&hv__platform, __ATOMIC_ACQUIRE);

	if (HV__LIKELY(p != NULL))
		return p;
	p = hv_platform_hosted();
	if (p != NULL) {
		const hv_platform_ops_t *expected = NULL;

		/* First use installs the hosted default; a racing hv_platform_set() wins. */
		if (!__atomic_compare_exchange_n(&hv__platform, &expected, p, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			p = expected;
	}
	return p;
}

void hv__platform_ref(void)
{
	__atomic_add_fetch(&hv__platform_users, 1, __ATOMIC_ACQ_REL);
}

void hv__platform_unref(void)
{
	__atomic_sub_fetch(&hv__platform_users, 1, __ATOMIC_ACQ_REL);
}

static bool hv__ops_valid(const hv_platform_ops_t *ops)
{
	if (!ops->alloc || !ops->free || !ops->log || !ops->time_ns || !ops->panic ||
	    !ops->lock_create || !ops->lock_destroy || !ops->lock_acquire || !ops->lock_release)
		return false;
	if (!ops->thread_create != !ops->thread_join)
		return false;
	if (!ops->ram_alloc != !ops->ram_free)
		return false;
	if (!ops->timer_create != !ops->timer_arm || !ops->timer_create != !ops->timer_cancel ||
	    !ops->timer_create != !ops->timer_destroy)
		return false;
	return true;
}

hv_status_t hv_platform_set(const hv_platform_ops_t *ops)
{
	if (ops == NULL) {
		ops = hv_platform_hosted();
		if (ops == NULL)
			return HV_ERR_NO_PLATFORM;
	}
	if (ops->struct_size != sizeof(hv_platform_ops_t) ||
	    ops->version != HV_PLATFORM_OPS_VERSION)
		return HV_ERR_ABI;
	if (!hv__ops_valid(ops))
		return HV_ERR_INVALID_ARG;
	if (__atomic_load_n(&hv__platform_users, __ATOMIC_ACQUIRE) != 0)
		return HV_ERR_BUSY;
	__atomic_store_n(&hv__platform, ops, __ATOMIC_RELEASE);
	return HV_OK;
}

void hv_log_set_level(hv_log_level_t level)
{
	int l = (int)level;

	if (l < HV_LOG_NONE)
		l = HV_LOG_NONE;
	if (l > HV_LOG_TRACE)
		l = HV_LOG_TRACE;
	__atomic_store_n(&hv__log_level, l, __ATOMIC_RELAXED);
}

hv_log_level_t hv_log_get_level(void)
{
	return (hv_log_level_t)__atomic_load_n(&hv__log_level, __ATOMIC_RELAXED);
}

/* Every internal allocation is 16-byte aligned and zeroed. */
void *hv__alloc(size_t size)
{
	const hv_platform_ops_t *p = hv__platform_get();
	void *ptr;

	if (p == NULL || size == 0)
		return NULL;
	ptr = p->alloc(p->ctx, size, 16);
	if (ptr != NULL)
		hv__memset(ptr, 0, size);
	return ptr;
}

void hv__free(void *ptr, size_t size)
{
	const hv_platform_ops_t *p = hv__platform_get();

	if (ptr != NULL && p != NULL)
		p->free(p->ctx, ptr, size);
}

void *hv__ram_alloc(size_t size)
{
	const hv_platform_ops_t *p = hv__platform_get();
	void *ptr;

	if (p == NULL || size == 0)
		return NULL;
	if (p->ram_alloc != NULL)
		return p->ram_alloc(p->ctx, size);
	ptr = p->alloc(p->ctx, size, HV_PAGE_SIZE);
	if (ptr != NULL)
		hv__memset(ptr, 0, size);
	return ptr;
}

void hv__ram_free(void *ptr, size_t size)
{
	const hv_platform_ops_t *p = hv__platform_get();

	if (ptr == NULL || p == NULL)
		return;
	if (p->ram_free != NULL)
		p->ram_free(p->ctx, ptr, size);
	else
		p->free(p->ctx, ptr, size);
}

size_t hv__strlen(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

int hv__strcmp(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (int)(unsigned char)*a - (int)(unsigned char)*b;
}

char *hv__strdup(const char *s)
{
	size_t n;
	char *d;

	if (s == NULL)
		return NULL;
	n = hv__strlen(s) + 1;
	d = hv__alloc(n);
	if (d != NULL)
		hv__memcpy(d, s, n);
	return d;
}

void hv__strfree(char *s)
{
	if (s != NULL)
		hv__free(s, hv__strlen(s) + 1);
}

void *hv__lock_create(void)
{
	const hv_platform_ops_t *p = hv__platform_get();

	return p != NULL ? p->lock_create(p->ctx) : NULL;
}

void hv__lock_destroy(void *lock)
{
	const hv_platform_ops_t *p = hv__platform_get();

	if (lock != NULL)
		p->lock_destroy(p->ctx, lock);
}

void hv__lock(void *lock)
{
	const hv_platform_ops_t *p = hv__platform_get();

	p->lock_acquire(p->ctx, lock);
}

void hv__unlock(void *lock)
{
	const hv_platform_ops_t *p = hv__platform_get();

	p->lock_release(p->ctx, lock);
}

uint64_t hv__time_ns(void)
{
	const hv_platform_ops_t *p = hv__platform_get();

	return p != NULL ? p->time_ns(p->ctx) : 0;
}

uint64_t hv__realtime_ns(void)
{
	const hv_platform_ops_t *p = hv__platform_get();

	if (p == NULL)
		return 0;
	return p->realtime_ns != NULL ? p->realtime_ns(p->ctx) : p->time_ns(p->ctx);
}

bool hv__have_timers(void)
{
	const hv_platform_ops_t *p = hv__platform_get();

	return p != NULL && p->timer_create != NULL;
}

void *hv__timer_create(void (*fn)(void *arg), void *arg)
{
	const hv_platform_ops_t *p = hv__platform_get();

	return p != NULL && p->timer_create != NULL ? p->timer_create(p->ctx, fn, arg) : NULL;
}

void hv__timer_arm(void *timer, uint64_t deadline_ns)
{
	const hv_platform_ops_t *p = hv__platform_get();

	p->timer_arm(p->ctx, timer, deadline_ns);
}

void hv__timer_cancel(void *timer)
{
	const hv_platform_ops_t *p = hv__platform_get();

	p->timer_cancel(p->ctx, timer);
}

void hv__timer_destroy(void *timer)
{
	const hv_platform_ops_t *p = hv__platform_get();

	if (timer != NULL)
		p->timer_destroy(p->ctx, timer);
}

void hv__log(hv_log_level_t level, const char *fmt, ...)
{
	const hv_platform_ops_t *p = hv__platform_get();
	char line[256];
	va_list ap;

	if (p == NULL)
		return;
	va_start(ap, fmt);
	hv__vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	p->log(p->ctx, level, line);
}

void hv__panic(const char *file, int line, const char *what)
{
	const hv_platform_ops_t *p = hv__platform_get();
	char msg[256];

	hv__snprintf(msg, sizeof(msg), "hvlib: internal error at %s:%d: %s", file, line, what);
	if (p != NULL)
		p->panic(p->ctx, msg);
	for (;;)
		__builtin_trap();
}
