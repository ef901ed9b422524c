/* SPDX-License-Identifier: MIT */
/*
 * What hvlib needs from this firmware (hv_platform_ops_t): a first-fit heap over the RAM the
 * multiboot2 memory map reports, a TSC clock calibrated against the PIT, spinlocks, a log
 * and a panic. No threads and no timers: the firmware runs every vCPU itself, on one core.
 */
#include "fw.h"

/* ---- memory functions the compiler and hvlib's core call ---------------------------------- */

/* REP MOVSB/STOSB: fast on current CPUs and in emulators alike. */
void *memcpy(void *d, const void *s, size_t n)
{
	void *r = d;

	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return r;
}

void *memset(void *d, int c, size_t n)
{
	void *r = d;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return r;
}

void *memmove(void *d, const void *s, size_t n)
{
	uint8_t *dp = d;
	const uint8_t *sp = s;

	if (dp < sp)
		return memcpy(d, s, n);
	while (n-- > 0)
		dp[n] = sp[n];
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n > 0; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

/* ---- heap: free blocks in address order, coalesced; sizes in 16-byte units ----------------- */

struct free_block {
	uint64_t size;
	struct free_block *next;
};

static struct free_block *heap_list;
static uint64_t heap_free;

#define HEAP_UNIT 16u

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void heap_insert(uint64_t start, uint64_t size)
{
	struct free_block **pp = &heap_list, *b = (struct free_block *)(uintptr_t)start;

	if (size < HEAP_UNIT)
		return;
	while (*pp != NULL && (uint64_t)(uintptr_t)*pp < start)
		pp = &(*pp)->next;
	b->size = size;
	b->next = *pp;
	*pp = b;
	heap_free += size;
	if (b->next != NULL && start + size == (uint64_t)(uintptr_t)b->next) {
		b->size += b->next->size;
		b->next = b->next->next;
	}
	if (pp != &heap_list) {
		struct free_block *prev =
			(struct free_block *)((uint8_t *)pp -
					      __builtin_offsetof(struct free_block, next));

		if ((uint64_t)(uintptr_t)prev + prev->size == start) {
			prev->size += b->size;
			prev->next = b->next;
		}
	}
}

void heap_init(uint64_t start, uint64_t end)
{
	start = round_up(start, 4096);
	if (end > start)
		heap_insert(start, (end - start) & ~(uint64_t)(HEAP_UNIT - 1));
}

uint64_t heap_free_bytes(void)
{
	return heap_free;
}

static void *fw_alloc(void *ctx, size_t size, size_t align)
{
	struct free_block **pp;

	(void)ctx;
	size = round_up(size == 0 ? 1 : size, HEAP_UNIT);
	if (align < HEAP_UNIT)
		align = HEAP_UNIT;
	for (pp = &heap_list; *pp != NULL; pp = &(*pp)->next) {
		struct free_block *b = *pp;
		uint64_t start = (uint64_t)(uintptr_t)b, end = start + b->size;
		uint64_t at = round_up(start, align);

		if (at + size > end)
			continue;
		*pp = b->next; /* take the block out, give back what is left on each side */
		heap_free -= end - start;
		heap_insert(start, at - start);
		heap_insert(at + size, end - at - size);
		return (void *)(uintptr_t)at;
	}
	return NULL;
}

static void fw_free(void *ctx, void *ptr, size_t size)
{
	(void)ctx;
	if (ptr != NULL)
		heap_insert((uint64_t)(uintptr_t)ptr, round_up(size == 0 ? 1 : size, HEAP_UNIT));
}

/* ---- clock ------------------------------------------------------------------------------ */

static uint64_t tsc_hz = 1000000000ull;

/* Count TSC ticks while the PIT's channel 2 counts down 10 ms. */
void clock_init(void)
{
	uint16_t count = 11932; /* 1193182 Hz / 100 */
	uint64_t t0, t1;

	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xb0);
	outb(0x42, (uint8_t)count);
	outb(0x42, (uint8_t)(count >> 8));
	t0 = rdtsc();
	while (!(inb(0x61) & 0x20))
		;
	t1 = rdtsc();
	if (t1 > t0)
		tsc_hz = (t1 - t0) * 100;
}

uint64_t clock_tsc_hz(void)
{
	return tsc_hz;
}

static uint64_t fw_time_ns(void *ctx)
{
	uint64_t t = rdtsc();

	(void)ctx;
	return t / tsc_hz * 1000000000ull + t % tsc_hz * 1000000000ull / tsc_hz;
}

/* ---- the rest of the table -------------------------------------------------------------- */

static void fw_log(void *ctx, hv_log_level_t level, const char *line)
{
	(void)ctx;
	fw_printf("[hvlib %d] %s\n", (int)level, line);
}

static void fw_panic(void *ctx, const char *msg)
{
	(void)ctx;
	fw_printf("PANIC: %s\n", msg);
	fw_shutdown();
}

static void *fw_lock_create(void *ctx)
{
	uint32_t *lock = fw_alloc(ctx, sizeof(uint32_t), HEAP_UNIT);

	if (lock != NULL)
		*lock = 0; /* heap memory is not zeroed */
	return lock;
}

static void fw_lock_destroy(void *ctx, void *lock)
{
	fw_free(ctx, lock, sizeof(uint32_t));
}

static void fw_lock_acquire(void *ctx, void *lock)
{
	(void)ctx;
	while (__atomic_exchange_n((uint32_t *)lock, 1, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
}

static void fw_lock_release(void *ctx, void *lock)
{
	(void)ctx;
	__atomic_store_n((uint32_t *)lock, 0, __ATOMIC_RELEASE);
}

static hv_platform_ops_t fw_ops = HV_PLATFORM_OPS_INIT;

const hv_platform_ops_t *fw_platform(void)
{
	fw_ops.alloc = fw_alloc;
	fw_ops.free = fw_free;
	fw_ops.log = fw_log;
	fw_ops.time_ns = fw_time_ns;
	fw_ops.panic = fw_panic;
	fw_ops.lock_create = fw_lock_create;
	fw_ops.lock_destroy = fw_lock_destroy;
	fw_ops.lock_acquire = fw_lock_acquire;
	fw_ops.lock_release = fw_lock_release;
	return &fw_ops;
}
