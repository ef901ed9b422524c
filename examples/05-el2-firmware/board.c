/* SPDX-License-Identifier: MIT */
/*
 * QEMU virt at EL2: identity-mapped EL2 MMU (device memory below 1 GiB, normal write-back
 * memory above), the PL011 console, the physical GICv3 set up as the aarch64-el2 backend
 * expects (system registers, affinity routing, group 1, EOImode 1, its PPIs and kick SGI),
 * secondary cores through PSCI (QEMU's conduit with virtualization=on is SMC), and
 * semihosting for the exit status and the command line.
 */
#include <stdarg.h>

#include "board.h"

#define MMIO32(a) (*(volatile uint32_t *)(uintptr_t)(a))

/* ---- EL2 MMU ------------------------------------------------------------------------- */

static uint64_t fw_l1[512] __attribute__((aligned(4096)));

#define PTE_BLOCK 1ull
#define PTE_ATTR(i) ((uint64_t)(i) << 2)
#define PTE_AP1 (1ull << 6) /* RES1 in the EL2 regime */
#define PTE_SH_INNER (3ull << 8)
#define PTE_AF (1ull << 10)
#define PTE_XN (1ull << 54)

void fw_mmu_tables(void);
void fw_mmu_tables(void)
{
	uint64_t i;

	fw_l1[0] = PTE_BLOCK | PTE_ATTR(0) | PTE_AP1 | PTE_AF | PTE_XN; /* devices */
	for (i = 1; i < 4; i++)
		fw_l1[i] = (i << 30) | PTE_BLOCK | PTE_ATTR(1) | PTE_AP1 | PTE_SH_INNER | PTE_AF;
}

void fw_mmu_enable(void);
void fw_mmu_enable(void)
{
	/* MAIR: 0 Device-nGnRnE, 1 Normal write-back. TCR: 4 GiB, 4 KiB pages, 40-bit PA. */
	uint64_t mair = 0xff00, tcr = 32 | (1u << 8) | (1u << 10) | (3u << 12) | (2u << 16) |
				      (1u << 23) | (1u << 31);
	uint64_t sctlr = 0x30c50830ull | 1 | (1u << 2) | (1u << 12); /* RES1, M, C, I */

	__asm__ volatile("msr mair_el2, %0\n\tmsr tcr_el2, %1\n\tmsr ttbr0_el2, %2\n\t"
			 "dsb sy\n\ttlbi alle2\n\tdsb sy\n\tisb\n\t"
			 "msr sctlr_el2, %3\n\tisb"
			 :
			 : "r"(mair), "r"(tcr), "r"(fw_l1), "r"(sctlr)
			 : "memory");
}

/* ---- console -------------------------------------------------------------------------- */

static uint32_t fw_console;

void fw_console_lock(void)
{
	fw_spin_lock(&fw_console);
}

void fw_console_unlock(void)
{
	fw_spin_unlock(&fw_console);
}

void fw_putc(char c)
{
	while (MMIO32(FW_UART_BASE + 0x18) & 0x20) /* TXFF */
		;
	MMIO32(FW_UART_BASE) = (uint32_t)(uint8_t)c;
}

void fw_puts(const char *s)
{
	while (*s)
		fw_putc(*s++);
}

static void fw_putnum(uint64_t v, unsigned base, int width, bool neg)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (n < width--)
		fw_putc(base == 16 ? '0' : ' ');
	while (n)
		fw_putc(buf[--n]);
}

/* %s %c %d %u %x with l/ll and a width; enough for the firmware's own messages. */
void fw_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fw_console_lock();
	for (; *fmt; fmt++) {
		int width = 0, lng = 0;

		if (*fmt != '%') {
			fw_putc(*fmt);
			continue;
		}
		fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 's':
			fw_puts(va_arg(ap, const char *));
			break;
		case 'c':
			fw_putc((char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);

			fw_putnum(v < 0 ? (uint64_t)-v : (uint64_t)v, 10, width, v < 0);
			break;
		}
		case 'u':
			fw_putnum(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width,
				  false);
			break;
		case 'x':
			fw_putnum(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width,
				  false);
			break;
		default:
			fw_putc('%');
			fw_putc(*fmt);
			break;
		}
	}
	fw_console_unlock();
	va_end(ap);
}

/* ---- GICv3 ---------------------------------------------------------------------------- */

#define GICD_CTLR 0x0
#define GICR_WAKER 0x14
#define GICR_SGI 0x10000
#define GICR_IGROUPR0 0x80
#define GICR_ISENABLER0 0x100
#define GICR_IPRIORITYR 0x400

void fw_gic_init(void)
{
	MMIO32(FW_GICD_BASE + GICD_CTLR) = (1u << 4) | (1u << 1); /* ARE, group 1 */
	while (MMIO32(FW_GICD_BASE + GICD_CTLR) & (1u << 31))
		;
}

void fw_gic_init_cpu(uint32_t core)
{
	uint64_t rd = FW_GICR_BASE + 0x20000ull * core;
	uint32_t i;

	MMIO32(rd + GICR_WAKER) &= ~2u;
	while (MMIO32(rd + GICR_WAKER) & 4u)
		;
	MMIO32(rd + GICR_SGI + GICR_IGROUPR0) = 0xffffffffu;
	for (i = 0; i < 32; i += 4)
		MMIO32(rd + GICR_SGI + GICR_IPRIORITYR + i) = 0x80808080u;
	/*
	 * The backend's kick SGI 8, the maintenance interrupt 25, the virtual timer 27; and the
	 * EL2 physical timer 26 and SGI 0, which wake this firmware's idle cores (fw_idle).
	 */
	MMIO32(rd + GICR_SGI + GICR_ISENABLER0) =
		(1u << 0) | (1u << 8) | (1u << 25) | (1u << 26) | (1u << 27);
	__asm__ volatile("msr S3_4_C12_C9_5, %0\n\tisb" ::"r"(9ull));  /* ICC_SRE_EL2 */
	__asm__ volatile("msr S3_0_C4_C6_0, %0" ::"r"(0xffull));       /* ICC_PMR_EL1 */
	__asm__ volatile("msr S3_0_C12_C12_4, %0" ::"r"(2ull));        /* ICC_CTLR_EL1: EOImode */
	__asm__ volatile("msr S3_0_C12_C12_7, %0\n\tisb" ::"r"(1ull)); /* ICC_IGRPEN1_EL1 */
}

/* ---- cores, PSCI, semihosting, time --------------------------------------------------- */

uint32_t fw_core(void)
{
	uint64_t mpidr;

	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
	return (uint32_t)(mpidr & 0xff);
}

int64_t fw_psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t ctx)
{
	register uint64_t x0 __asm__("x0") = 0xc4000003ull;
	register uint64_t x1 __asm__("x1") = mpidr;
	register uint64_t x2 __asm__("x2") = entry;
	register uint64_t x3 __asm__("x3") = ctx;

	__asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
	return (int64_t)x0;
}

static uint64_t fw_semihost(uint64_t op, uint64_t arg)
{
	register uint64_t x0 __asm__("x0") = op;
	register uint64_t x1 __asm__("x1") = arg;

	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
	return x0;
}

void fw_exit(int code)
{
	uint64_t block[2] = { 0x20026, (uint64_t)(int64_t)code }; /* ADP_Stopped_ApplicationExit */

	fw_semihost(0x18, (uint64_t)(uintptr_t)block);
	for (;;)
		__asm__ volatile("wfi");
}

size_t fw_cmdline(char *buf, size_t size)
{
	uint64_t block[2] = { (uint64_t)(uintptr_t)buf, size };

	if (fw_semihost(0x15, (uint64_t)(uintptr_t)block) != 0)
		return 0;
	return (size_t)block[1];
}

uint64_t fw_ticks(void)
{
	uint64_t v;

	__asm__ volatile("isb\n\tmrs %0, cntpct_el0" : "=r"(v));
	return v;
}

uint64_t fw_tick_hz(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

/*
 * Sleep for about a millisecond, or until an interrupt: QEMU's WFE does not sleep, so idle
 * cores wait in WFI for the EL2 physical timer instead of spinning.
 */
void fw_idle(void)
{
	uint64_t iar;

	__asm__ volatile("msr cnthp_tval_el2, %0\n\tmsr cnthp_ctl_el2, %1\n\tisb\n\t"
			 "dsb sy\n\twfi\n\tmsr cnthp_ctl_el2, xzr\n\tisb"
			 :
			 : "r"(fw_tick_hz() / 1000), "r"(1ull)
			 : "memory");
	for (;;) {
		__asm__ volatile("mrs %0, S3_0_C12_C12_0" : "=r"(iar)); /* ICC_IAR1_EL1 */
		if ((iar & 0xffffff) >= 1020)
			break;
		__asm__ volatile("msr S3_0_C12_C12_1, %0\n\tmsr S3_0_C12_C11_1, %0" ::"r"(iar));
	}
}

/* ---- secondary cores ------------------------------------------------------------------ */

struct fw_work {
	void (*fn)(void *arg);
	void *arg;
	uint32_t busy; /* atomic */
	uint32_t up;   /* atomic */
};

static struct fw_work fw_work[FW_MAX_CORES];

void fw_core_run(uint32_t core, void (*fn)(void *arg), void *arg)
{
	struct fw_work *w = &fw_work[core];

	while (__atomic_load_n(&w->busy, __ATOMIC_ACQUIRE))
		fw_idle();
	w->fn = fn;
	w->arg = arg;
	__atomic_store_n(&w->busy, 1, __ATOMIC_RELEASE);
	__asm__ volatile("dsb ish\n\tsev" ::: "memory");
	/* SGI 0 ends its fw_idle() at once instead of at its next timer tick. */
	__asm__ volatile("msr S3_0_C12_C11_5, %0\n\tisb" /* ICC_SGI1R_EL1 */
			 ::"r"((uint64_t)(core / 16) << 16 | 1ull << (core % 16))
			 : "memory");
}

bool fw_core_busy(uint32_t core)
{
	return __atomic_load_n(&fw_work[core].busy, __ATOMIC_ACQUIRE);
}

static void fw_secondary(uint32_t core)
{
	struct fw_work *w = &fw_work[core];

	fw_gic_init_cpu(core);
	__atomic_store_n(&w->up, 1, __ATOMIC_RELEASE);
	__asm__ volatile("dsb ish\n\tsev" ::: "memory");
	for (;;) {
		while (!__atomic_load_n(&w->busy, __ATOMIC_ACQUIRE))
			fw_idle();
		w->fn(w->arg);
		__atomic_store_n(&w->busy, 0, __ATOMIC_RELEASE);
		__asm__ volatile("dsb ish\n\tsev" ::: "memory");
	}
}

void fw_start_cores(uint32_t count)
{
	uint32_t i;

	for (i = 1; i < count && i < FW_MAX_CORES; i++) {
		int64_t r = fw_psci_cpu_on(i, (uint64_t)(uintptr_t)fw_secondary_entry, i);

		if (r != 0) {
			fw_printf("fw: core %u: PSCI CPU_ON returned %d\n", i, (int)r);
			continue;
		}
		while (!__atomic_load_n(&fw_work[i].up, __ATOMIC_ACQUIRE))
			fw_idle();
	}
}

void fw_cstart(uint32_t core);
void fw_cstart(uint32_t core)
{
	if (core != 0) {
		fw_secondary(core);
		return;
	}
	fw_gic_init();
	fw_gic_init_cpu(0);
	fw_heap_init((uintptr_t)__fw_end, FW_RAM_END);
	fw_platform_install();
	fw_main();
	fw_exit(0);
}
