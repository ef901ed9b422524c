/* SPDX-License-Identifier: MIT */
/* hv_elf_load(), hv_raw_load() and hv_file_read(). */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* ELF64: two PT_LOADs (text at 0x10000 linked at 0xffff800000010000, data+bss at 0x20000). */
#define PH 64u
#define TEXT_OFF 0x100u
#define DATA_OFF 0x180u
#define IMG_SIZE 0x200u

static void elf64_make(uint8_t *p)
{
	uint8_t *ph;
	unsigned i;

	memset(p, 0, IMG_SIZE);
	memcpy(p, "\x7f" "ELF", 4);
	p[4] = 2;
	p[5] = 1;
	p[6] = 1;
	put16(p + 16, 2);
	put16(p + 18, 62);
	put32(p + 20, 1);
	put64(p + 24, 0xffff800000010010ull);
	put64(p + 32, PH);
	put16(p + 54, 56);
	put16(p + 56, 2);
	ph = p + PH;
	put32(ph, 1);
	put64(ph + 8, TEXT_OFF);
	put64(ph + 16, 0xffff800000010000ull);
	put64(ph + 24, 0x10000);
	put64(ph + 32, 0x80);
	put64(ph + 40, 0x80);
	ph += 56;
	put32(ph, 1);
	put64(ph + 8, DATA_OFF);
	put64(ph + 16, 0xffff800000020000ull);
	put64(ph + 24, 0x20000);
	put64(ph + 32, 0x80);
	put64(ph + 40, 0x2000);
	for (i = TEXT_OFF; i < IMG_SIZE; i++)
		p[i] = (uint8_t)(i ^ 0x5a);
}

/* ELF32: one PT_LOAD at 0x30000. */
static void elf32_make(uint8_t *p)
{
	uint8_t *ph = p + 52;

	memset(p, 0, IMG_SIZE);
	memcpy(p, "\x7f" "ELF", 4);
	p[4] = 1;
	p[5] = 1;
	p[6] = 1;
	put16(p + 16, 2);
	put16(p + 18, 3);
	put32(p + 20, 1);
	put32(p + 24, 0x30004);
	put32(p + 28, 52);
	put16(p + 42, 32);
	put16(p + 44, 1);
	put32(ph, 1);
	put32(ph + 4, TEXT_OFF);
	put32(ph + 8, 0x30000);
	put32(ph + 12, 0x30000);
	put32(ph + 16, 0x10);
	put32(ph + 20, 0x20);
	memset(p + TEXT_OFF, 0xab, 0x10);
}

static hv_vm_t *vm_with_ram(void)
{
	hv_vm_t *vm = ts_vm_new(HV_VM_MANUAL_RUN);

	ts_vcpu_new(vm, 0);
	ts_map_ram(vm, 0, 0x100000);
	return vm;
}

static void fill(hv_vm_t *vm, uint64_t gpa, uint8_t v, size_t n)
{
	uint8_t buf[0x4000];

	memset(buf, v, n);
	assert_int_equal(hv_vm_write(vm, gpa, buf, n), HV_OK);
}

static bool is_filled(hv_vm_t *vm, uint64_t gpa, uint8_t v, size_t n)
{
	uint8_t buf[0x4000];
	size_t i;

	assert_int_equal(hv_vm_read(vm, gpa, buf, n), HV_OK);
	for (i = 0; i < n; i++)
		if (buf[i] != v)
			return false;
	return true;
}

static void test_elf_loads_segments_at_physical_addresses_and_zeroes_bss(void **state)
{
	uint8_t img[IMG_SIZE], buf[0x80];
	hv_vm_t *vm = vm_with_ram();
	hv_gpa_t entry = 0;

	(void)state;
	elf64_make(img);
	fill(vm, 0x20000, 0xee, 0x3000);
	assert_int_equal(hv_elf_load(vm, img, sizeof(img), &entry), HV_OK);
	assert_int_equal(entry, 0x10010); /* translated through the text segment */
	assert_int_equal(hv_vm_read(vm, 0x10000, buf, 0x80), HV_OK);
	assert_memory_equal(buf, img + TEXT_OFF, 0x80);
	assert_int_equal(hv_vm_read(vm, 0x20000, buf, 0x80), HV_OK);
	assert_memory_equal(buf, img + DATA_OFF, 0x80);
	assert_true(is_filled(vm, 0x20080, 0, 0x2000 - 0x80));
	assert_true(is_filled(vm, 0x22000, 0xee, 0x1000)); /* nothing past memsz */
	/* Entry outside every segment: as is. The out-parameter is optional. */
	put64(img + 24, 0x1234);
	assert_int_equal(hv_elf_load(vm, img, sizeof(img), &entry), HV_OK);
	assert_int_equal(entry, 0x1234);
	assert_int_equal(hv_elf_load(vm, img, sizeof(img), NULL), HV_OK);
	hv_vm_destroy(vm);
}

static void test_elf_loads_elf32_images(void **state)
{
	uint8_t img[IMG_SIZE];
	hv_vm_t *vm = vm_with_ram();
	hv_gpa_t entry = 0;

	(void)state;
	elf32_make(img);
	assert_int_equal(hv_elf_load(vm, img, sizeof(img), &entry), HV_OK);
	assert_int_equal(entry, 0x30004);
	assert_true(is_filled(vm, 0x30000, 0xab, 0x10));
	assert_true(is_filled(vm, 0x30010, 0, 0x10));
	hv_vm_destroy(vm);
}

static void test_elf_truncated_at_every_length_is_a_bad_image(void **state)
{
	uint8_t img[IMG_SIZE];
	hv_vm_t *vm = vm_with_ram();
	size_t n;

	(void)state;
	elf64_make(img);
	for (n = 0; n < DATA_OFF + 0x80; n++)
		assert_int_equal(hv_elf_load(vm, img, n, NULL), HV_ERR_BAD_IMAGE);
	elf32_make(img);
	for (n = 0; n < TEXT_OFF + 0x10; n++)
		assert_int_equal(hv_elf_load(vm, img, n, NULL), HV_ERR_BAD_IMAGE);
	assert_true(is_filled(vm, 0x10000, 0, 0x100));
	assert_true(is_filled(vm, 0x30000, 0, 0x100));
	hv_vm_destroy(vm);
}

static void test_elf_inconsistent_headers_are_bad_images(void **state)
{
	struct {
		size_t off;
		unsigned width;
		uint64_t value;
	} const cases[] = {
		{ 0, 1, 0x7e },                       /* magic */
		{ 4, 1, 3 },                          /* class */
		{ 5, 1, 0 },                          /* data encoding */
		{ 6, 1, 2 },                          /* ident version */
		{ 16, 2, 1 },                         /* ET_REL */
		{ 20, 4, 2 },                         /* e_version */
		{ 54, 2, 64 },                        /* e_phentsize */
		{ 56, 2, 0 },                         /* no program headers */
		{ 56, 2, 0xffff },                    /* PN_XNUM */
		{ 32, 8, IMG_SIZE - 56 },             /* table past the end */
		{ 32, 8, UINT64_MAX - 8 },            /* table offset overflows */
		{ PH + 8, 8, UINT64_MAX - 0x40 },     /* p_offset + p_filesz overflows */
		{ PH + 32, 8, IMG_SIZE },             /* p_filesz past the end */
		{ PH + 40, 8, 0x7f },                 /* p_memsz < p_filesz */
		{ PH + 24, 8, UINT64_MAX - 0x10 },    /* segment wraps */
		{ PH, 4, 6 },                         /* no PT_LOAD left... */
	};
	uint8_t img[IMG_SIZE];
	hv_vm_t *vm = vm_with_ram();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		elf64_make(img);
		memcpy(img + cases[i].off, &cases[i].value, cases[i].width);
		if (i == sizeof(cases) / sizeof(cases[0]) - 1)
			put32(img + PH + 56, 6); /* ...at all */
		assert_int_equal(hv_elf_load(vm, img, sizeof(img), NULL), HV_ERR_BAD_IMAGE);
	}
	/* ELF32 addresses stop at 4 GiB. */
	elf32_make(img);
	put32(img + 52 + 12, 0xfffffff0);
	assert_int_equal(hv_elf_load(vm, img, sizeof(img), NULL), HV_ERR_BAD_IMAGE);
	assert_true(is_filled(vm, 0x10000, 0, 0x100));
	hv_vm_destroy(vm);
}

static void test_elf_foreign_images_are_unsupported(void **state)
{
	uint8_t img[IMG_SIZE];
	hv_vm_t *vm = vm_with_ram();

	(void)state;
	elf64_make(img);
	img[5] = 2; /* big-endian */
	assert_int_equal(hv_elf_load(vm, img, sizeof(img), NULL), HV_ERR_UNSUPPORTED);
	elf64_make(img);
	put16(img + 18, 183); /* AArch64 on an x86-64 VM */
	assert_int_equal(hv_elf_load(vm, img, sizeof(img), NULL), HV_ERR_UNSUPPORTED);
	hv_vm_destroy(vm);
}

static void test_elf_segments_outside_memory_are_not_mapped_and_nothing_is_written(void **state)
{
	hv_region_config_t rom = HV_REGION_CONFIG_INIT;
	uint8_t img[IMG_SIZE];
	hv_vm_t *vm = vm_with_ram();

	(void)state;
	elf64_make(img);
	put64(img + PH + 56 + 24, 0xff000); /* data + bss run past RAM */
	assert_int_equal(hv_elf_load(vm, img, sizeof(img), NULL), HV_ERR_NOT_MAPPED);
	assert_true(is_filled(vm, 0x10000, 0, 0x80)); /* the text segment was not written */
	/* ROM is fine (firmware images), and adjacent regions may be spanned. */
	rom.type = HV_REGION_ROM;
	rom.gpa = 0x100000;
	rom.size = 0x2000;
	assert_int_equal(hv_vm_map_region(vm, &rom, NULL), HV_OK);
	assert_int_equal(hv_elf_load(vm, img, sizeof(img), NULL), HV_OK);
	assert_true(is_filled(vm, 0xff080, 0, 0x1f80));
	hv_vm_destroy(vm);
}

static void test_elf_and_raw_loads_check_arguments_and_state(void **state)
{
	uint8_t img[IMG_SIZE];
	hv_vm_t *vm = vm_with_ram();

	(void)state;
	elf64_make(img);
	assert_int_equal(hv_elf_load(NULL, img, sizeof(img), NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_elf_load(vm, NULL, sizeof(img), NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_raw_load(NULL, img, 1, 0), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_raw_load(vm, NULL, 1, 0), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_vm_start(vm), HV_OK);
	assert_int_equal(hv_elf_load(vm, img, sizeof(img), NULL), HV_ERR_STATE);
	assert_int_equal(hv_raw_load(vm, img, sizeof(img), 0), HV_ERR_STATE);
	assert_int_equal(hv_vm_stop(vm), HV_OK);
	assert_int_equal(hv_vm_wait(vm, NULL), HV_OK);
	assert_int_equal(hv_elf_load(vm, img, sizeof(img), NULL), HV_OK);
	hv_vm_destroy(vm);
}

static void test_raw_load_copies_inside_memory_only(void **state)
{
	uint8_t img[0x3000];
	hv_vm_t *vm = vm_with_ram();

	(void)state;
	memset(img, 0x42, sizeof(img));
	ts_map_ram(vm, 0x100000, 0x1000);
	assert_int_equal(hv_raw_load(vm, img, sizeof(img), 0xfe000), HV_OK); /* spans two */
	assert_true(is_filled(vm, 0xfe000, 0x42, sizeof(img)));
	assert_int_equal(hv_raw_load(vm, img, sizeof(img), 0xff000), HV_ERR_NOT_MAPPED);
	assert_int_equal(hv_raw_load(vm, img, 2, UINT64_MAX), HV_ERR_NOT_MAPPED);
	assert_int_equal(hv_raw_load(vm, img, 0, 0), HV_ERR_BAD_IMAGE);
	hv_vm_destroy(vm);
}

/* An image the host put where the guest's RAM already is: loading it in place keeps it. */
static void test_raw_load_of_an_image_already_in_place(void **state)
{
	static uint8_t ram[0x4000] __attribute__((aligned(4096)));
	hv_vm_t *vm = ts_vm_new(0);
	hv_region_config_t r = HV_REGION_CONFIG_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ram); i++)
		ram[i] = (uint8_t)(i * 7);
	r.type = HV_REGION_RAM;
	r.gpa = 0x200000;
	r.size = sizeof(ram);
	r.hva = ram;
	assert_int_equal(hv_vm_map_region(vm, &r, NULL), HV_OK);
	assert_int_equal(hv_raw_load(vm, ram + 0x1000, 0x2000, 0x201000), HV_OK);
	for (i = 0; i < sizeof(ram); i++)
		assert_int_equal(ram[i], (uint8_t)(i * 7));
	/* Elsewhere in the same memory: a real copy (overlap-free here). */
	assert_int_equal(hv_raw_load(vm, ram, 0x1000, 0x203000), HV_OK);
	assert_memory_equal(ram + 0x3000, ram, 0x1000);
	hv_vm_destroy(vm);
}

static void test_file_read_returns_the_whole_file(void **state)
{
	char path[] = "/tmp/hvlib-loader-XXXXXX";
	uint8_t data[10000];
	void *got = NULL;
	size_t n = 0, i;
	int fd;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, sizeof(data)), sizeof(data));
	assert_int_equal(hv_file_read(path, &got, &n), HV_OK);
	assert_int_equal(n, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	hv_file_free(got, n);
	/* Empty: a buffer all the same. */
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(hv_file_read(path, &got, &n), HV_OK);
	assert_non_null(got);
	assert_int_equal(n, 0);
	hv_file_free(got, n);
	close(fd);
	unlink(path);
	hv_file_free(NULL, 0);
}

static void test_file_read_reports_missing_files_and_bad_arguments(void **state)
{
	void *got = (void *)1;
	size_t n = 7;

	(void)state;
	assert_int_equal(hv_file_read("/nonexistent/hvlib", &got, &n), HV_ERR_NOT_FOUND);
	assert_int_equal(hv_file_read("/tmp", &got, &n), HV_ERR_NOT_FOUND);
	assert_ptr_equal(got, (void *)1);
	assert_int_equal(n, 7);
	assert_int_equal(hv_file_read(NULL, &got, &n), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_file_read("/tmp", NULL, &n), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_file_read("/tmp", &got, NULL), HV_ERR_INVALID_ARG);
}

static void test_file_read_reports_allocation_failure(void **state)
{
	char path[] = "/tmp/hvlib-loader-XXXXXX";
	void *got = NULL;
	size_t n = 0;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	tp_fail_alloc_at(1);
	assert_int_equal(hv_file_read(path, &got, &n), HV_ERR_NO_MEMORY);
	tp_fail_alloc_at(0);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_elf_loads_segments_at_physical_addresses_and_zeroes_bss),
		TS_TEST(test_elf_loads_elf32_images),
		TS_TEST(test_elf_truncated_at_every_length_is_a_bad_image),
		TS_TEST(test_elf_inconsistent_headers_are_bad_images),
		TS_TEST(test_elf_foreign_images_are_unsupported),
		TS_TEST(test_elf_segments_outside_memory_are_not_mapped_and_nothing_is_written),
		TS_TEST(test_elf_and_raw_loads_check_arguments_and_state),
		TS_TEST(test_raw_load_copies_inside_memory_only),
		TS_TEST(test_raw_load_of_an_image_already_in_place),
		TS_TEST(test_file_read_returns_the_whole_file),
		TS_TEST(test_file_read_reports_missing_files_and_bad_arguments),
		TS_TEST(test_file_read_reports_allocation_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
