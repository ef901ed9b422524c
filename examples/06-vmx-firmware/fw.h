/* SPDX-License-Identifier: MIT */
/* The PC firmware's own services: ports, console, allocator, platform ops for hvlib. */
#ifndef FW_H
#define FW_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include <hvlib/hvlib.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* console.c: COM1 and port 0xE9 */
void con_init(void);
void con_putc(char c);
void con_write(const char *s, size_t n);
void fw_vprintf(const char *fmt, va_list ap);
void fw_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fw_shutdown(void) __attribute__((noreturn));

/* platform.c: heap, TSC clock, the hvlib platform table */
void heap_init(uint64_t start, uint64_t end);
uint64_t heap_free_bytes(void);
void clock_init(void);
uint64_t clock_tsc_hz(void);
const hv_platform_ops_t *fw_platform(void);

void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif /* FW_H */
