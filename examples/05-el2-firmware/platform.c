/* SPDX-License-Identifier: MIT */
/*
 * hvlib's platform ops for this firmware: a first-fit allocator over the RAM after the image
 * (free spans kept sorted and merged; the library passes the size back on free, so blocks have
 * no headers), spinlocks, the generic timer as the clock, the console as the log. Also the
 * four memory functions the compiler and the library may call.
 */
#include <hvlib/hvlib.h>

#include "board.h"

struct fw_span {
	uintptr_t size;
	struct fw_span *next;
};

static struct fw_span *fw_free_list;
static uint32_t fw_heap_lock;
/*
 * Everything of the heap at or above this address has never been handed out since power-on,
 * so it still holds what the board left there: zeros on QEMU's virt (FW_RAM_ZEROED). Guest RAM
 * taken from there needs no zeroing; anything below it that was used before does.
 */
static uintptr_t fw_heap_fresh;

void fw_spin_lock(uint32_t *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			;
}

void fw_spin_unlock(uint32_t *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static void fw_heap_insert(uintptr_t addr, uintptr_t size)
{
	struct fw_span **pp = &fw_free_list, *s = (struct fw_span *)addr, *prev = NULL;

	while (*pp != NULL && (uintptr_t)*pp < addr) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	s->size = size;
	s->next = *pp;
	*pp = s;
	if (s->next != NULL && addr + size == (uintptr_t)s->next) {
		s->size += s->next->size;
		s->next = s->next->next;
	}
	if (prev != NULL && (uintptr_t)prev + prev->size == addr) {
		prev->size += s->size;
		prev->next = s->next;
	}
}

void fw_heap_init(uintptr_t start, uintptr_t end)
{
	start = (start + 15) & ~(uintptr_t)15;
	fw_heap_insert(start, end - start);
	fw_heap_fresh = FW_RAM_ZEROED ? start : end;
}

/* First fit; *fresh (if given) receives how many bytes at the end were never used before. */
static void *fw_alloc_fresh(size_t size, size_t align, size_t *fresh)
{
	struct fw_span **pp;
	void *out = NULL;

	size = (size + 15) & ~(size_t)15;
	if (size == 0)
		size = 16;
	if (align < 16)
		align = 16;
	fw_spin_lock(&fw_heap_lock);
	for (pp = &fw_free_list; *pp != NULL; pp = &(*pp)->next) {
		struct fw_span *s = *pp;
		uintptr_t base = (uintptr_t)s, end = base + s->size;
		uintptr_t a = (base + align - 1) & ~(uintptr_t)(align - 1);

		if (a != base && a - base < 16)
			a += align;
		if (a + size > end || a + size < a)
			continue;
		*pp = s->next; /* take the span out; give back what is left on either side */
		if (a > base)
			fw_heap_insert(base, a - base);
		if (a + size < end)
			fw_heap_insert(a + size, end - (a + size));
		out = (void *)a;
		if (fresh != NULL) {
			/* The span's header (fw_span) may sit in the block's first bytes. */
			uintptr_t used = fw_heap_fresh > a + 16 ? fw_heap_fresh : a + 16;

			*fresh = used >= a + size ? 0 : a + size - used;
		}
		if (a + size > fw_heap_fresh)
			fw_heap_fresh = a + size;
		break;
	}
	fw_spin_unlock(&fw_heap_lock);
	return out;
}

static void *fw_alloc(void *ctx, size_t size, size_t align)
{
	(void)ctx;
	return fw_alloc_fresh(size, align, NULL);
}

static void fw_free(void *ctx, void *ptr, size_t size)
{
	(void)ctx;
	if (ptr == NULL)
		return;
	size = (size + 15) & ~(size_t)15;
	if (size == 0)
		size = 16;
	fw_spin_lock(&fw_heap_lock);
	fw_heap_insert((uintptr_t)ptr, size);
	fw_spin_unlock(&fw_heap_lock);
}

/*
 * Guest RAM: zeroed, but only where it is not known to be zero already; 2 MiB-aligned when
 * that big, so stage 2 maps it with blocks rather than pages.
 */
static void *fw_ram_alloc(void *ctx, size_t size)
{
	size_t fresh = 0;
	uint8_t *p;

	(void)ctx;
	p = fw_alloc_fresh(size, size >= 0x200000 ? 0x200000 : 4096, &fresh);
	if (p == NULL && size >= 0x200000)
		p = fw_alloc_fresh(size, 4096, &fresh);
	if (p != NULL && fresh < size)
		__builtin_memset(p, 0, size - fresh);
	return p;
}

static void fw_ram_free(void *ctx, void *ptr, size_t size)
{
	fw_free(ctx, ptr, size);
}

static void fw_log(void *ctx, hv_log_level_t level, const char *line)
{
	(void)ctx;
	(void)level;
	fw_printf("hvlib: %s\n", line);
}

static uint64_t fw_time_ns(void *ctx)
{
	uint64_t t = fw_ticks(), hz = fw_tick_hz();

	(void)ctx;
	return t / hz * 1000000000ull + t % hz * 1000000000ull / hz;
}

static void fw_panic(void *ctx, const char *msg)
{
	(void)ctx;
	fw_printf("fw: PANIC: %s\n", msg);
	fw_exit(70);
}

static void *fw_lock_create(void *ctx)
{
	uint32_t *l = fw_alloc(ctx, sizeof(uint32_t), 16);

	if (l != NULL)
		*l = 0;
	return l;
}

static void fw_lock_destroy(void *ctx, void *lock)
{
	fw_free(ctx, lock, sizeof(uint32_t));
}

static void fw_lock_acquire(void *ctx, void *lock)
{
	(void)ctx;
	fw_spin_lock(lock);
}

static void fw_lock_release(void *ctx, void *lock)
{
	(void)ctx;
	fw_spin_unlock(lock);
}

static hv_platform_ops_t fw_platform = HV_PLATFORM_OPS_INIT;

void fw_platform_install(void)
{
	hv_status_t st;

	fw_platform.alloc = fw_alloc;
	fw_platform.free = fw_free;
	fw_platform.ram_alloc = fw_ram_alloc;
	fw_platform.ram_free = fw_ram_free;
	fw_platform.log = fw_log;
	fw_platform.time_ns = fw_time_ns;
	fw_platform.panic = fw_panic;
	fw_platform.lock_create = fw_lock_create;
	fw_platform.lock_destroy = fw_lock_destroy;
	fw_platform.lock_acquire = fw_lock_acquire;
	fw_platform.lock_release = fw_lock_release;
	st = hv_platform_set(&fw_platform);
	if (st != HV_OK) {
		fw_printf("fw: hv_platform_set: %s\n", hv_status_str(st));
		fw_exit(70);
	}
}

/* ---- what the compiler may call ------------------------------------------------------- */

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* 128 bytes per iteration once both sides are 16-byte aligned: guest images are big. */
void *memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if ((((uintptr_t)d | (uintptr_t)s) & 15) == 0) {
		for (; n >= 128; n -= 128, d += 128, s += 128)
			__asm__ volatile("ldp x2, x3, [%1]\n\tldp x4, x5, [%1, #16]\n\t"
					 "ldp x6, x7, [%1, #32]\n\tldp x8, x9, [%1, #48]\n\t"
					 "ldp x10, x11, [%1, #64]\n\tldp x12, x13, [%1, #80]\n\t"
					 "ldp x14, x15, [%1, #96]\n\tldp x16, x17, [%1, #112]\n\t"
					 "stp x2, x3, [%0]\n\tstp x4, x5, [%0, #16]\n\t"
					 "stp x6, x7, [%0, #32]\n\tstp x8, x9, [%0, #48]\n\t"
					 "stp x10, x11, [%0, #64]\n\tstp x12, x13, [%0, #80]\n\t"
					 "stp x14, x15, [%0, #96]\n\tstp x16, x17, [%0, #112]"
					 :
					 : "r"(d), "r"(s)
					 : "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
					   "x11", "x12", "x13", "x14", "x15", "x16", "x17",
					   "memory");
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(uint64_t *)d = *(const uint64_t *)s;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

/* Zeroes whole blocks with DC ZVA (guest RAM is zeroed when it is allocated). */
void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;
	uint64_t dczid, block;

	__asm__ volatile("mrs %0, dczid_el0" : "=r"(dczid));
	block = 4ull << (dczid & 0xf);
	if ((uint8_t)c == 0 && !(dczid & 0x10) && n >= 2 * block) {
		while ((uintptr_t)d & (block - 1)) {
			*d++ = 0;
			n--;
		}
		for (; n >= 8 * block; n -= 8 * block, d += 8 * block)
			__asm__ volatile("dc zva, %0\n\tadd x9, %0, %1\n\tdc zva, x9\n\t"
					 "add x9, x9, %1\n\tdc zva, x9\n\tadd x9, x9, %1\n\t"
					 "dc zva, x9\n\tadd x9, x9, %1\n\tdc zva, x9\n\t"
					 "add x9, x9, %1\n\tdc zva, x9\n\tadd x9, x9, %1\n\t"
					 "dc zva, x9\n\tadd x9, x9, %1\n\tdc zva, x9"
					 :
					 : "r"(d), "r"(block)
					 : "x9", "memory");
		for (; n >= block; n -= block, d += block)
			__asm__ volatile("dc zva, %0" ::"r"(d) : "memory");
	}
	if ((((uintptr_t)d | n) & 7) == 0) {
		uint64_t v = (uint8_t)c * 0x0101010101010101ull;

		for (; n; n -= 8, d += 8)
			*(uint64_t *)d = v;
		return dst;
	}
	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

/* ---- what libfdt needs from a libc (Debian's libfdt.a); strtoul for the command line -- */

void *memchr(const void *s, int c, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
unsigned long strtoul(const char *s, char **end, int base);
void __stack_chk_fail(void);

uintptr_t __stack_chk_guard = 0x595e9fbd94fda766ull;

void __stack_chk_fail(void)
{
	fw_printf("fw: PANIC: stack smashing detected\n");
	fw_exit(70);
}

void *memchr(const void *s, int c, size_t n)
{
	const uint8_t *p = s;

	for (; n; n--, p++)
		if (*p == (uint8_t)c)
			return (void *)p;
	return NULL;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (*s == 0)
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (*s == 0)
			return (char *)last;
	}
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

unsigned long strtoul(const char *s, char **end, int base)
{
	unsigned long v = 0;

	while (*s == ' ')
		s++;
	if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		base = 16;
	} else if (base == 0) {
		base = s[0] == '0' ? 8 : 10;
	}
	for (;; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' :
			*s >= 'a' && *s <= 'z' ? *s - 'a' + 10 :
			*s >= 'A' && *s <= 'Z' ? *s - 'A' + 10 :
						 99;

		if (d >= base)
			break;
		v = v * (unsigned long)base + (unsigned long)d;
	}
	if (end != NULL)
		*end = (char *)s;
	return v;
}
