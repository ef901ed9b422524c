/* SPDX-License-Identifier: MIT */
/* The core's own snprintf (hv__snprintf): conversions, flags, widths, truncation. */
#include "test_support.h"

#include <stdio.h>

/* The text and the returned length must both match. */
#define EXPECT_FMT_WITH(fn, expect, ...)                         \
	do {                                                     \
		char _buf[128];                                  \
		size_t _n = fn(_buf, sizeof(_buf), __VA_ARGS__); \
		assert_string_equal(_buf, (expect));             \
		assert_int_equal(_n, strlen(expect));            \
	} while (0)
#define EXPECT_FMT(expect, ...) EXPECT_FMT_WITH(hv__snprintf, expect, __VA_ARGS__)
/* For formats the compiler's format checking rightly objects to (NULL %s, bad conversions). */
#define EXPECT_FMT_RAW(expect, ...) EXPECT_FMT_WITH(fmt_raw, expect, __VA_ARGS__)

static size_t fmt_raw(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = hv__vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void test_fmt_formats_signed_decimal(void **state)
{
	(void)state;
	EXPECT_FMT("0", "%d", 0);
	EXPECT_FMT("42", "%d", 42);
	EXPECT_FMT("-42", "%d", -42);
	EXPECT_FMT("-7", "%i", -7);
	EXPECT_FMT("2147483647", "%d", INT_MAX);
	EXPECT_FMT("-2147483648", "%d", INT_MIN);
	EXPECT_FMT("-9223372036854775808", "%lld", LLONG_MIN);
	EXPECT_FMT("9223372036854775807", "%lld", LLONG_MAX);
	EXPECT_FMT("-1", "%ld", -1L);
}

static void test_fmt_formats_unsigned_and_hex(void **state)
{
	(void)state;
	EXPECT_FMT("0", "%u", 0u);
	EXPECT_FMT("4294967295", "%u", UINT_MAX);
	EXPECT_FMT("ff", "%x", 255u);
	EXPECT_FMT("FF", "%X", 255u);
	EXPECT_FMT("deadbeef", "%x", 0xdeadbeefu);
	EXPECT_FMT("ffffffffffffffff", "%llx", ~0ull);
	EXPECT_FMT("123456789abcdef0", "%llx", 0x123456789abcdef0ull);
	EXPECT_FMT("18446744073709551615", "%llu", ~0ull);
	EXPECT_FMT("1000", "%lx", 0x1000ul);
}

static void test_fmt_formats_size_t(void **state)
{
	(void)state;
	EXPECT_FMT("0", "%zu", (size_t)0);
	EXPECT_FMT("4096", "%zu", (size_t)4096);
	EXPECT_FMT("18446744073709551615", "%zu", SIZE_MAX);
	EXPECT_FMT("1000", "%zx", (size_t)0x1000);
}

static void test_fmt_formats_pointers(void **state)
{
	char expect[64];
	int x;

	(void)state;
	snprintf(expect, sizeof(expect), "0x%llx", (unsigned long long)(uintptr_t)&x);
	EXPECT_FMT(expect, "%p", (void *)&x);
	EXPECT_FMT("0x1000", "%p", (void *)(uintptr_t)0x1000);
	EXPECT_FMT("0x0", "%p", (void *)NULL);
}

static void test_fmt_formats_strings_and_null(void **state)
{
	(void)state;
	EXPECT_FMT("hello", "%s", "hello");
	EXPECT_FMT("", "%s", "");
	EXPECT_FMT_RAW("(null)", "%s", (const char *)NULL);
	EXPECT_FMT_RAW("a=vm0 b=(null)", "a=%s b=%s", "vm0", (const char *)NULL);
	EXPECT_FMT("   ab", "%5s", "ab");
	EXPECT_FMT("ab   |", "%-5s|", "ab");
	EXPECT_FMT("toolong", "%3s", "toolong");
}

static void test_fmt_formats_chars_and_percent(void **state)
{
	(void)state;
	EXPECT_FMT("x", "%c", 'x');
	EXPECT_FMT("[A]", "[%c]", 65);
	EXPECT_FMT("100%", "100%%");
	EXPECT_FMT("%d", "%%d");
	EXPECT_FMT("a%b", "a%%b");
}

static void test_fmt_pads_to_width(void **state)
{
	(void)state;
	EXPECT_FMT("   42", "%5d", 42);
	EXPECT_FMT("42   |", "%-5d|", 42);
	EXPECT_FMT("00042", "%05d", 42);
	EXPECT_FMT("0000beef", "%08x", 0xbeefu);
	EXPECT_FMT("00000000deadbeef", "%016llx", 0xdeadbeefull);
	EXPECT_FMT("123456", "%3d", 123456);
	EXPECT_FMT("  7", "%3u", 7u);
	EXPECT_FMT("0", "%0d", 0);
}

static void test_fmt_pads_negative_numbers(void **state)
{
	(void)state;
	EXPECT_FMT("  -42", "%5d", -42);
	EXPECT_FMT("-0042", "%05d", -42);
	EXPECT_FMT("-42  |", "%-5d|", -42);
	EXPECT_FMT_RAW("-42  |", "%-05d|", -42);
	EXPECT_FMT("-42", "%2d", -42);
	EXPECT_FMT("-42", "%02d", -42);
}

static void test_fmt_truncates_and_returns_the_full_length(void **state)
{
	char buf[8];
	size_t n;

	(void)state;
	memset(buf, 'x', sizeof(buf));
	n = hv__snprintf(buf, sizeof(buf), "%s", "0123456789");
	assert_int_equal(n, 10);
	assert_string_equal(buf, "0123456");

	memset(buf, 'x', sizeof(buf));
	n = hv__snprintf(buf, 4, "%d-%d", 1234, 5678);
	assert_int_equal(n, 9);
	assert_string_equal(buf, "123");
	assert_int_equal(buf[4], 'x'); /* nothing past size */

	memset(buf, 'x', sizeof(buf));
	n = hv__snprintf(buf, 1, "abc");
	assert_int_equal(n, 3);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'x');

	/* Exactly fitting: size - 1 characters and the terminator. */
	n = hv__snprintf(buf, sizeof(buf), "%07d", 42);
	assert_int_equal(n, 7);
	assert_string_equal(buf, "0000042");
}

static void test_fmt_size_zero_writes_nothing(void **state)
{
	char buf[4] = { 'q', 'q', 'q', 'q' };
	size_t n;

	(void)state;
	n = hv__snprintf(buf, 0, "%s %d", "hello", 12345);
	assert_int_equal(n, 11);
	assert_int_equal(buf[0], 'q');
	n = hv__snprintf(NULL, 0, "%llx", 0xabcull);
	assert_int_equal(n, 3);
}

static void test_fmt_mixes_conversions_like_a_log_line(void **state)
{
	(void)state;
	EXPECT_FMT("vm guest: region ram at 0x100000 size 0x2000 (3 of 16, -1)",
		   "vm %s: region %s at 0x%llx size 0x%llx (%u of %zu, %d)", "guest", "ram",
		   0x100000ull, 0x2000ull, 3u, (size_t)16, -1);
}

static void test_fmt_leaves_unknown_conversions_visible(void **state)
{
	(void)state;
	EXPECT_FMT_RAW("%q", "%q");
	EXPECT_FMT_RAW("abc", "abc%");
}

static void test_fmt_honours_the_h_length_modifier(void **state)
{
	/* fmt.c says it supports 'h': a short argument is converted to short before printing. */
	(void)state;
	EXPECT_FMT("2345", "%hx", 0x12345);
	EXPECT_FMT("-1", "%hd", 0xffff);
	EXPECT_FMT("65535", "%hu", -1);
}

static void test_fmt_vsnprintf_takes_a_va_list(void **state)
{
	(void)state;
	EXPECT_FMT_RAW("1 -2 ff x", "%d %d %x %s", 1, -2, 0xffu, "x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_fmt_formats_signed_decimal),
		TS_TEST(test_fmt_formats_unsigned_and_hex),
		TS_TEST(test_fmt_formats_size_t),
		TS_TEST(test_fmt_formats_pointers),
		TS_TEST(test_fmt_formats_strings_and_null),
		TS_TEST(test_fmt_formats_chars_and_percent),
		TS_TEST(test_fmt_pads_to_width),
		TS_TEST(test_fmt_pads_negative_numbers),
		TS_TEST(test_fmt_truncates_and_returns_the_full_length),
		TS_TEST(test_fmt_size_zero_writes_nothing),
		TS_TEST(test_fmt_mixes_conversions_like_a_log_line),
		TS_TEST(test_fmt_leaves_unknown_conversions_visible),
		TS_TEST(test_fmt_honours_the_h_length_modifier),
		TS_TEST(test_fmt_vsnprintf_takes_a_va_list),
	};

	return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
