/* SPDX-License-Identifier: MIT */
/*
 * VIRTIO end to end on KVM: the C guest tests/guests/virtio_e2e/ (a small virtio-mmio driver
 * written from the VIRTIO 1.2 specification, polling, no interrupts) drives hvlib's
 * virtio-console and virtio-blk and reports each step on the console; the host checks that
 * text, the guest's final status (itest result port), and the disk's bytes on the host side:
 *  - a memory disk behind a counting wrapper: sectors 8..15 hold the guest's pattern, the
 *    rest the host's, the guest's FLUSH reached the storage, the device destroyed it;
 *  - a read-only memory disk: the guest's write fails with IOERR, the buffer is unchanged;
 *  - an image file (hv_blockdev_file): the file's bytes afterwards.
 * The disk's layout and patterns are shared with the guest in tests/guests/virtio_e2e/e2e.h.
 */
#include "itest.h"

#include "guest_virtio_e2e.h"
#include "../guests/virtio_e2e/e2e.h"

#define RAM_SIZE (4u << 20)
#define DISK_SIZE (E2E_DISK_SECTORS * E2E_SECTOR)
#define WRITE_OFF ((uint64_t)E2E_WRITE_SECTOR * E2E_SECTOR)
#define WRITE_LEN ((uint64_t)E2E_WRITE_COUNT * E2E_SECTOR)
#define RUN_MS 30000
#define GUEST_CHECKS "18"

/* ---- host side of the console: capture the text -------------------------------------------- */

struct capture {
	pthread_mutex_t lock;
	char text[8192];
	size_t len;
};

static size_t capture_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct capture *c = ctx;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < len && c->len + 1 < sizeof(c->text); i++)
		c->text[c->len++] = (char)buf[i];
	c->text[c->len] = 0;
	pthread_mutex_unlock(&c->lock);
	return len;
}

static const hv_chardev_ops_t capture_ops = {
	.struct_size = sizeof(hv_chardev_ops_t),
	.version = HV_CHARDEV_OPS_VERSION,
	.write = capture_write,
};

/* ---- a block device that counts what reaches the storage behind it ---------------------------- */

struct counting_disk {
	hv_blockdev_t inner;
	unsigned reads, writes, flushes, destroys;
};

static hv_status_t cd_read(void *ctx, uint64_t offset, void *buf, size_t len)
{
	struct counting_disk *d = ctx;

	d->reads++;
	return d->inner.ops->read(d->inner.ctx, offset, buf, len);
}

static hv_status_t cd_write(void *ctx, uint64_t offset, const void *buf, size_t len)
{
	struct counting_disk *d = ctx;

	d->writes++;
	return d->inner.ops->write(d->inner.ctx, offset, buf, len);
}

static hv_status_t cd_flush(void *ctx)
{
	struct counting_disk *d = ctx;

	d->flushes++;
	return d->inner.ops->flush != NULL ? d->inner.ops->flush(d->inner.ctx) : HV_OK;
}

static void cd_destroy(void *ctx)
{
	struct counting_disk *d = ctx;

	d->destroys++;
	if (d->inner.ops->destroy != NULL)
		d->inner.ops->destroy(d->inner.ctx);
}

static const hv_blockdev_ops_t counting_ops = {
	.struct_size = sizeof(hv_blockdev_ops_t),
	.version = HV_BLOCKDEV_OPS_VERSION,
	.read = cd_read,
	.write = cd_write,
	.flush = cd_flush,
	.destroy = cd_destroy,
};

static hv_blockdev_t counting_disk(struct counting_disk *d, hv_blockdev_t inner)
{
	hv_blockdev_t b = inner;

	memset(d, 0, sizeof(*d));
	d->inner = inner;
	b.ops = &counting_ops;
	b.ctx = d;
	return b;
}

/* ---- disk contents ------------------------------------------------------------------------------ */

static void fill(uint8_t *buf, uint64_t off, uint64_t len, uint64_t seed)
{
	for (uint64_t o = off; o < off + len; o += 8) {
		uint64_t w = e2e_word(seed, o);

		memcpy(buf + (o - off), &w, 8);
	}
}

/* FNV-1a, to print and compare a checksum of a range. */
static uint64_t checksum(const uint8_t *p, uint64_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (uint64_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* The disk image (DISK_SIZE bytes) after a guest that wrote its pattern (or not). */
static void check_disk(const uint8_t *disk, bool written)
{
	static uint8_t want[DISK_SIZE];
	uint64_t got_sum, want_sum;

	fill(want, 0, DISK_SIZE, E2E_SEED_INITIAL);
	if (written)
		fill(want + WRITE_OFF, WRITE_OFF, WRITE_LEN, E2E_SEED_WRITTEN);
	got_sum = checksum(disk + WRITE_OFF, WRITE_LEN);
	want_sum = checksum(want + WRITE_OFF, WRITE_LEN);
	printf("host: sectors %u-%u checksum %016llx (expected %016llx, %s pattern)\n",
	       E2E_WRITE_SECTOR, E2E_WRITE_SECTOR + E2E_WRITE_COUNT - 1,
	       (unsigned long long)got_sum, (unsigned long long)want_sum,
	       written ? "the guest's" : "the host's");
	assert_true(got_sum == want_sum);
	/* Everything else is the host's pattern, untouched. */
	assert_memory_equal(disk, want, WRITE_OFF);
	assert_memory_equal(disk + WRITE_OFF + WRITE_LEN, want + WRITE_OFF + WRITE_LEN,
			    DISK_SIZE - WRITE_OFF - WRITE_LEN);
	assert_memory_equal(disk + WRITE_OFF, want + WRITE_OFF, WRITE_LEN);
}

/* ---- running the guest -------------------------------------------------------------------------- */

static unsigned count_lines(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	unsigned count = 0;

	for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		count += strncmp(p, prefix, n) == 0;
	return count;
}

static void expect_line(const char *text, const char *line)
{
	if (strstr(text, line) == NULL) {
		fprintf(stderr, "console lacks \"%s\"\n", line);
		fail();
	}
}

/* Run the guest with a virtio-blk on `disk` (owned by the device from here on). */
static void run_guest(struct itest_vm *t, hv_blockdev_t disk, struct capture *cap)
{
	hv_virtio_console_config_t con = HV_VIRTIO_CONSOLE_CONFIG_INIT;
	hv_virtio_blk_config_t blk = HV_VIRTIO_BLK_CONFIG_INIT;
	double t0;

	memset(cap, 0, sizeof(*cap));
	pthread_mutex_init(&cap->lock, NULL);
	itest_vm_init(t, NULL, "virtio_e2e", RAM_SIZE, 1);
	itest_load(t, guest_virtio_e2e_start, guest_virtio_e2e_end, GUEST_VIRTIO_E2E_ORG);

	con.name = "hvc0";
	con.mmio.base = E2E_CONSOLE_BASE;
	con.mmio.irq = E2E_CONSOLE_IRQ;
	con.out.ops = &capture_ops;
	con.out.ctx = cap;
	assert_int_equal(hv_virtio_console_add(t->vm, &con, NULL), HV_OK);

	blk.name = "vda";
	blk.mmio.base = E2E_BLK_BASE;
	blk.mmio.irq = E2E_BLK_IRQ;
	blk.disk = disk;
	blk.serial = E2E_SERIAL;
	assert_int_equal(hv_virtio_blk_add(t->vm, &blk, NULL), HV_OK);

	/* entry.S sets its own stack in .bss; this one only needs to be mapped. */
	itest_setup_long(t->vm, t->vcpu[0], GUEST_VIRTIO_E2E_ORG, 0x7f000);
	t0 = itest_now();
	itest_run_to_poweroff(t, RUN_MS);
	printf("guest ran %.0f ms; virtio-console said:\n%s", (itest_now() - t0) * 1e3, cap->text);
	if (t->con.len != 0)
		printf("itest console said:\n%s\n", t->con.text);
}

/* What every run must show: the guest's own verdict and each step it took. */
static void expect_guest_passed(struct itest_vm *t, struct capture *cap)
{
	const char *text = cap->text;

	assert_int_equal(t->con.result_count, 1);
	assert_int_equal(t->con.results[0], 0); /* failed checks */
	assert_int_equal(t->con.len, 0);        /* nothing fell back to the port */
	assert_null(strstr(text, "FAIL"));
	expect_line(text, "virtio_e2e: guest up\n");
	expect_line(text, "ok console init\n");
	expect_line(text, "ok blk init\n");
	expect_line(text, "blk: capacity 64 sectors\n");
	expect_line(text, "ok blk capacity\n");
	expect_line(text, "ok read sector 0: data matches\n");
	expect_line(text, "ok read last sector: data matches\n");
	expect_line(text, "ok flush\n");
	expect_line(text, "blk: id \"" E2E_SERIAL "\"\n");
	expect_line(text, "ok get id matches serial\n");
	expect_line(text, "ok read beyond capacity gives IOERR\n");
	expect_line(text, "ok read across the end gives IOERR\n");
	expect_line(text, "ok blk device healthy\n");
	expect_line(text, "virtio_e2e: PASS (" GUEST_CHECKS " checks)\n");
	assert_int_equal(count_lines(text, "ok "), atoi(GUEST_CHECKS));
}

/* ---- the tests ---------------------------------------------------------------------------------- */

static void test_virtio_e2e_memory_disk_write_flush_read_back(void **state)
{
	static uint8_t disk[DISK_SIZE];
	struct counting_disk cd;
	struct capture cap;
	struct itest_vm t;
	hv_blockdev_t mem;

	(void)state;
	fill(disk, 0, DISK_SIZE, E2E_SEED_INITIAL);
	assert_int_equal(hv_blockdev_memory(disk, DISK_SIZE, false, &mem), HV_OK);
	run_guest(&t, counting_disk(&cd, mem), &cap);
	expect_guest_passed(&t, &cap);
	expect_line(cap.text, " read-write\n");
	expect_line(cap.text, "ok write sectors 8-15\n");
	expect_line(cap.text, "ok read back sectors 8-15: data matches\n");
	check_disk(disk, true);
	printf("host: storage saw %u reads, %u writes, %u flushes\n", cd.reads, cd.writes,
	       cd.flushes);
	assert_int_equal(cd.flushes, 1);
	assert_true(cd.writes >= 1);
	assert_int_equal(cd.destroys, 0);
	itest_vm_fini(&t);
	assert_int_equal(cd.destroys, 1); /* the device owned its storage */
	pthread_mutex_destroy(&cap.lock);
}

static void test_virtio_e2e_read_only_disk_refuses_write(void **state)
{
	static uint8_t disk[DISK_SIZE];
	struct counting_disk cd;
	struct capture cap;
	struct itest_vm t;
	hv_blockdev_t mem;

	(void)state;
	fill(disk, 0, DISK_SIZE, E2E_SEED_INITIAL);
	assert_int_equal(hv_blockdev_memory(disk, DISK_SIZE, true, &mem), HV_OK);
	run_guest(&t, counting_disk(&cd, mem), &cap);
	expect_guest_passed(&t, &cap);
	expect_line(cap.text, " read-only\n");
	expect_line(cap.text, "ok write sectors 8-15 refused (read-only)\n");
	expect_line(cap.text, "ok read back sectors 8-15 (unchanged): data matches\n");
	check_disk(disk, false);
	assert_int_equal(cd.writes, 0);
	itest_vm_fini(&t);
	pthread_mutex_destroy(&cap.lock);
}

static void test_virtio_e2e_file_disk_bytes_on_file(void **state)
{
	static uint8_t image[DISK_SIZE];
	char path[] = "/tmp/hvlib-virtio-e2e-XXXXXX";
	struct capture cap;
	struct itest_vm t;
	hv_blockdev_t file;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fill(image, 0, DISK_SIZE, E2E_SEED_INITIAL);
	assert_int_equal(pwrite(fd, image, DISK_SIZE, 0), DISK_SIZE);
	assert_int_equal(hv_blockdev_file(path, false, &file), HV_OK);
	/* The device has the file open: the name can go (nothing is left behind on failure). */
	unlink(path);

	run_guest(&t, file, &cap);
	expect_guest_passed(&t, &cap);
	expect_line(cap.text, "ok write sectors 8-15\n");
	itest_vm_fini(&t); /* closes the device's descriptor */

	memset(image, 0, sizeof(image));
	assert_int_equal(pread(fd, image, DISK_SIZE, 0), DISK_SIZE);
	assert_int_equal(pread(fd, image, 1, DISK_SIZE), 0); /* the file did not grow */
	close(fd);
	check_disk(image, true);
	pthread_mutex_destroy(&cap.lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virtio_e2e_memory_disk_write_flush_read_back),
		cmocka_unit_test(test_virtio_e2e_read_only_disk_refuses_write),
		cmocka_unit_test(test_virtio_e2e_file_disk_bytes_on_file),
	};

	itest_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
