/* SPDX-License-Identifier: MIT */
/* The QEMU virt board as this firmware drives it: EL2, GICv3, PL011, PSCI over SMC. */
#ifndef FW_BOARD_H
#define FW_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FW_MAX_CORES 8u
#define FW_UART_BASE 0x09000000ull
#define FW_GICD_BASE 0x08000000ull
#define FW_GICR_BASE 0x080a0000ull
/*
 * QEMU -m 1024: RAM up to 0x80000000. The heap ends at 0x70000000: above it, blobs QEMU's
 * generic loader may put there for the tests (a Linux Image at 0x70000000, an initrd at
 * 0x78000000).
 */
#define FW_RAM_END 0x70000000ull
/* QEMU gives a machine zeroed RAM at power-on: memory never used since then holds zeros. */
#define FW_RAM_ZEROED 1
#define FW_BLOB_KERNEL 0x70000000ull
#define FW_BLOB_INITRD 0x78000000ull

/* board.c */
void fw_putc(char c);
void fw_puts(const char *s);
void fw_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fw_console_lock(void);
void fw_console_unlock(void);
void fw_gic_init_cpu(uint32_t core);
void fw_gic_init(void);
uint32_t fw_core(void);
int64_t fw_psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t ctx);
void fw_exit(int code) __attribute__((noreturn));
size_t fw_cmdline(char *buf, size_t size);
uint64_t fw_ticks(void);
uint64_t fw_tick_hz(void);
void fw_idle(void);

/* platform.c */
void fw_heap_init(uintptr_t start, uintptr_t end);
void fw_platform_install(void);
void fw_spin_lock(uint32_t *l);
void fw_spin_unlock(uint32_t *l);

/* boot.S */
void fw_secondary_entry(void);
extern char __fw_end[];

/* Secondary cores: run fn(arg) on `core`, which waits for work in fw_secondary(). */
void fw_core_run(uint32_t core, void (*fn)(void *arg), void *arg);
bool fw_core_busy(uint32_t core);
void fw_start_cores(uint32_t count);

/* The program: main.c (the product demo) or a test program. */
void fw_main(void);

#endif
