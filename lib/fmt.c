/* SPDX-License-Identifier: MIT */
/*
 * A small vsnprintf for log lines, so the core needs no libc: %d %i %u %x %X %p %s %c %%
 * with the l, ll, z and h length modifiers, '0' and '-' flags, and a field width.
 */
#include "hv_internal.h"

struct hv__out {
	char *buf;
	size_t size;
	size_t len;
};

static void hv__put(struct hv__out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void hv__put_padded(struct hv__out *o, const char *s, size_t n, unsigned width, bool left,
			   char pad)
{
	size_t i;

	if (!left)
		for (i = n; i < width; i++)
			hv__put(o, pad);
	for (i = 0; i < n; i++)
		hv__put(o, s[i]);
	if (left)
		for (i = n; i < width; i++)
			hv__put(o, ' ');
}

static void hv__put_num(struct hv__out *o, unsigned long long v, unsigned base, bool neg,
			bool upper, unsigned width, bool left, char pad)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = digits[v % base];
		v /= base;
	} while (v != 0);
	if (neg) {
		if (pad == '0' && !left) {
			hv__put(o, '-');
			if (width > 0)
				width--;
		} else {
			tmp[sizeof(tmp) - 1 - n++] = '-';
		}
	}
	hv__put_padded(o, &tmp[sizeof(tmp) - n], n, width, left, pad);
}

size_t hv__vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct hv__out o = { buf, size, 0 };

	for (; *fmt != '\0'; fmt++) {
		unsigned width = 0;
		bool left = false;
		char pad = ' ';
		int lng = 0; /* 1: l or z, 2: ll, -1: h */
		unsigned long long u;
		long long s;

		if (*fmt != '%') {
			hv__put(&o, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		for (;; fmt++) {
			if (*fmt == 'l')
				lng = lng == 1 ? 2 : 1;
			else if (*fmt == 'z')
				lng = 1;
			else if (*fmt == 'h')
				lng = -1;
			else
				break;
		}
		switch (*fmt) {
		case 'd':
		case 'i':
			s = lng == 2 ? va_arg(ap, long long)
			    : lng == 1 ? va_arg(ap, long) : va_arg(ap, int);
			if (lng == -1)
				s = (short)s;
			u = s < 0 ? 0ull - (unsigned long long)s : (unsigned long long)s;
			hv__put_num(&o, u, 10, s < 0, false, width, left, pad);
			break;
		case 'u':
		case 'x':
		case 'X':
			u = lng == 2 ? va_arg(ap, unsigned long long)
			    : lng == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			if (lng == -1)
				u = (unsigned short)u;
			hv__put_num(&o, u, *fmt == 'u' ? 10 : 16, false, *fmt == 'X', width, left,
				    pad);
			break;
		case 'p':
			hv__put(&o, '0');
			hv__put(&o, 'x');
			hv__put_num(&o, (uintptr_t)va_arg(ap, void *), 16, false, false, width, left,
				    pad);
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);

			if (str == NULL)
				str = "(null)";
			hv__put_padded(&o, str, hv__strlen(str), width, left, ' ');
			break;
		}
		case 'c':
			hv__put(&o, (char)va_arg(ap, int));
			break;
		case '%':
			hv__put(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			hv__put(&o, '%');
			hv__put(&o, *fmt);
			break;
		}
	}
	if (size > 0)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

size_t hv__snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = hv__vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
