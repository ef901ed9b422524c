/* SPDX-License-Identifier: MIT */
/* Block storage backends: memory buffers and image files. */
#include "test_support.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define SZ (16u * 1024u)

static void test_blockdev_memory_reads_writes_discards(void **state)
{
	static uint8_t mem[SZ];
	hv_blockdev_t d;
	uint8_t buf[1024];

	(void)state;
	memset(mem, 0x11, sizeof(mem));
	assert_int_equal(hv_blockdev_memory(mem, SZ, false, &d), HV_OK);
	assert_int_equal(d.size, SZ);
	assert_false(d.read_only);
	assert_non_null(d.ops->write);
	assert_int_equal(d.ops->struct_size, sizeof(hv_blockdev_ops_t));
	assert_int_equal(d.ops->version, HV_BLOCKDEV_OPS_VERSION);
	memset(buf, 0x22, sizeof(buf));
	assert_int_equal(d.ops->write(d.ctx, 512, buf, sizeof(buf)), HV_OK);
	assert_int_equal(mem[511], 0x11);
	assert_int_equal(mem[512], 0x22);
	assert_int_equal(mem[1535], 0x22);
	assert_int_equal(mem[1536], 0x11);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(d.ops->read(d.ctx, 1024, buf, 1024), HV_OK);
	assert_int_equal(buf[0], 0x22);
	assert_int_equal(buf[511], 0x22);
	assert_int_equal(buf[512], 0x11);
	assert_int_equal(d.ops->discard(d.ctx, 0, 1024), HV_OK);
	assert_int_equal(mem[0], 0);
	assert_int_equal(mem[1023], 0);
	assert_int_equal(mem[1024], 0x22);
	assert_int_equal(d.ops->flush(d.ctx), HV_OK);
	assert_null(d.ops->destroy); /* the caller owns the memory */
}

static void test_blockdev_memory_read_only_has_no_write(void **state)
{
	static uint8_t mem[SZ];
	hv_blockdev_t d;

	(void)state;
	assert_int_equal(hv_blockdev_memory(mem, SZ, true, &d), HV_OK);
	assert_true(d.read_only);
	assert_null(d.ops->write);
	assert_null(d.ops->discard);
	assert_non_null(d.ops->read);
}

static void test_blockdev_memory_checks_its_arguments(void **state)
{
	static uint8_t mem[SZ];
	hv_blockdev_t d = { 0 };

	(void)state;
	assert_int_equal(hv_blockdev_memory(NULL, SZ, false, &d), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_blockdev_memory(mem, SZ, false, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_blockdev_memory(mem, 0, false, &d), HV_ERR_ZERO_SIZE);
	assert_int_equal(hv_blockdev_memory(mem, 1000, false, &d), HV_ERR_ALIGNMENT);
	assert_null(d.ops); /* untouched on failure */
}

static void make_file(char *path, size_t size, uint8_t fill)
{
	uint8_t *buf = malloc(size ? size : 1);
	int fd;

	strcpy(path, "/tmp/hvlib-bd-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	memset(buf, fill, size);
	if (size)
		assert_int_equal(write(fd, buf, size), (ssize_t)size);
	close(fd);
	free(buf);
}

static void test_blockdev_file_reads_writes_flushes(void **state)
{
	char path[64];
	hv_blockdev_t d;
	uint8_t buf[2048];
	int fd;

	(void)state;
	make_file(path, SZ, 0x5c);
	assert_int_equal(hv_blockdev_file(path, false, &d), HV_OK);
	assert_int_equal(d.size, SZ);
	assert_false(d.read_only);
	/* The descriptor (first field of the context) does not leak into children. */
	fd = *(int *)d.ctx;
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	memset(buf, 0xa1, sizeof(buf));
	assert_int_equal(d.ops->write(d.ctx, SZ - 2048, buf, 2048), HV_OK);
	assert_int_equal(d.ops->flush(d.ctx), HV_OK);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(d.ops->read(d.ctx, SZ - 4096, buf, 2048), HV_OK);
	assert_int_equal(buf[0], 0x5c);
	assert_int_equal(d.ops->read(d.ctx, SZ - 2048, buf, 2048), HV_OK);
	assert_int_equal(buf[0], 0xa1);
	assert_int_equal(buf[2047], 0xa1);
	d.ops->destroy(d.ctx);
	assert_int_equal(fcntl(fd, F_GETFD), -1); /* closed */
	unlink(path);
}

static void test_blockdev_file_discard_reads_back_zeros(void **state)
{
	char path[64];
	hv_blockdev_t d;
	uint8_t buf[4096];
	struct stat sb;

	(void)state;
	make_file(path, 1u << 20, 0x77);
	assert_int_equal(hv_blockdev_file(path, false, &d), HV_OK);
	assert_int_equal(d.ops->discard(d.ctx, 8192, 65536), HV_OK);
	assert_int_equal(d.ops->read(d.ctx, 4096, buf, 4096), HV_OK);
	assert_int_equal(buf[4095], 0x77);
	for (unsigned off = 8192; off < 8192 + 65536; off += 4096) {
		assert_int_equal(d.ops->read(d.ctx, off, buf, 4096), HV_OK);
		for (unsigned i = 0; i < 4096; i++)
			assert_int_equal(buf[i], 0);
	}
	assert_int_equal(d.ops->read(d.ctx, 8192 + 65536, buf, 1), HV_OK);
	assert_int_equal(buf[0], 0x77);
	/* The size is kept. */
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 1u << 20);
	d.ops->destroy(d.ctx);
	unlink(path);
}

static void test_blockdev_file_reads_zeros_past_a_shrunk_end(void **state)
{
	char path[64];
	hv_blockdev_t d;
	uint8_t buf[1024];

	(void)state;
	make_file(path, SZ, 0x31);
	assert_int_equal(hv_blockdev_file(path, false, &d), HV_OK);
	assert_int_equal(truncate(path, SZ - 512), 0);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(d.ops->read(d.ctx, SZ - 1024, buf, 1024), HV_OK);
	assert_int_equal(buf[511], 0x31);
	assert_int_equal(buf[512], 0);
	assert_int_equal(buf[1023], 0);
	d.ops->destroy(d.ctx);
	unlink(path);
}

static void test_blockdev_file_read_only_opens_read_only(void **state)
{
	char path[64];
	hv_blockdev_t d;
	int fd;

	(void)state;
	make_file(path, SZ, 0);
	assert_int_equal(chmod(path, 0444), 0);
	assert_int_equal(hv_blockdev_file(path, true, &d), HV_OK);
	assert_true(d.read_only);
	assert_null(d.ops->write);
	assert_null(d.ops->discard);
	fd = *(int *)d.ctx;
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	d.ops->destroy(d.ctx);
	unlink(path);
}

static void test_blockdev_file_checks_its_arguments(void **state)
{
	char path[64];
	hv_blockdev_t d = { 0 };

	(void)state;
	assert_int_equal(hv_blockdev_file(NULL, false, &d), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_blockdev_file("/tmp", false, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_blockdev_file("/nonexistent/hvlib.img", true, &d), HV_ERR_NOT_FOUND);
	assert_int_equal(hv_blockdev_file("/tmp", true, &d), HV_ERR_NOT_FOUND); /* a directory */
	make_file(path, 0, 0);
	assert_int_equal(hv_blockdev_file(path, false, &d), HV_ERR_ZERO_SIZE);
	unlink(path);
	make_file(path, 1000, 0);
	assert_int_equal(hv_blockdev_file(path, false, &d), HV_ERR_ALIGNMENT);
	unlink(path);
	make_file(path, SZ, 0);
	tp_fail_alloc_at(1);
	assert_int_equal(hv_blockdev_file(path, false, &d), HV_ERR_NO_MEMORY);
	tp_fail_alloc_at(0);
	unlink(path);
	assert_null(d.ops);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_blockdev_memory_reads_writes_discards),
		TS_TEST(test_blockdev_memory_read_only_has_no_write),
		TS_TEST(test_blockdev_memory_checks_its_arguments),
		TS_TEST(test_blockdev_file_reads_writes_flushes),
		TS_TEST(test_blockdev_file_discard_reads_back_zeros),
		TS_TEST(test_blockdev_file_reads_zeros_past_a_shrunk_end),
		TS_TEST(test_blockdev_file_read_only_opens_read_only),
		TS_TEST(test_blockdev_file_checks_its_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
