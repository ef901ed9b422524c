/* SPDX-License-Identifier: MIT */
/* The firmware's console: a 16550 on COM1 (115200 8N1) and Bochs's port 0xE9, and a printf. */
#include "fw.h"

#define COM1 0x3f8

void con_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFOs on and cleared */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void con_putc(char c)
{
	int spin = 100000;

	if (c == '\n')
		con_putc('\r');
	while (!(inb(COM1 + 5) & 0x20) && --spin > 0)
		;
	outb(COM1, (uint8_t)c);
	if (c != '\r')
		outb(0xe9, (uint8_t)c);
}

void con_write(const char *s, size_t n)
{
	while (n-- > 0)
		con_putc(*s++);
}

static void fw_number(uint64_t v, unsigned base, int width, char pad)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	while (width-- > n)
		con_putc(pad);
	while (n > 0)
		con_putc(buf[--n]);
}

/* %s %c %d %u %x with l/ll/z and a zero-padded width: enough for the firmware's own lines. */
void fw_vprintf(const char *fmt, va_list ap)
{
	for (; *fmt != '\0'; fmt++) {
		int longs = 0, width = 0;
		char pad = ' ';
		uint64_t v;

		if (*fmt != '%') {
			con_putc(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);

			for (s = s != NULL ? s : "(null)"; *s != '\0'; s++)
				con_putc(*s);
			break;
		}
		case 'c':
			con_putc((char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t sv = longs ? va_arg(ap, int64_t) : va_arg(ap, int);

			if (sv < 0) {
				con_putc('-');
				sv = -sv;
			}
			fw_number((uint64_t)sv, 10, width, pad);
			break;
		}
		case 'u':
		case 'x':
			v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			fw_number(v, *fmt == 'u' ? 10 : 16, width, pad);
			break;
		case '%':
			con_putc('%');
			break;
		default:
			con_putc('%');
			con_putc(*fmt);
			break;
		}
	}
}

void fw_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fw_vprintf(fmt, ap);
	va_end(ap);
}

/* Bochs ends the simulation on "Shutdown" at port 0x8900; elsewhere, halt. */
void fw_shutdown(void)
{
	const char *s = "Shutdown";

	while (*s != '\0')
		outb(0x8900, (uint8_t)*s++);
	for (;;)
		__asm__ volatile("cli; hlt");
}
