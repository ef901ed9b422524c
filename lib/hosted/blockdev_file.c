/* SPDX-License-Identifier: MIT */
/*
 * Hosted: block storage in an image file. Reads and writes are positional (pread/pwrite, safe
 * from any thread without a lock), retried on EINTR and on short transfers; flush is fsync;
 * discard punches a hole and, where the file system cannot, writes zeros instead.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv_internal.h"

#define HV__SECTOR 512u
#define HV__ZERO_CHUNK 65536u

struct hv__filedisk {
	int fd;
	bool punch; /* cleared once the file system refused a hole */
};

/*
 * Not const on purpose: in .bss an untouched zero buffer costs no memory (reads map the
 * kernel's zero page), where .rodata would be file pages a VMM keeps resident.
 */
static uint8_t hv__zeros[HV__ZERO_CHUNK];

static hv_status_t hv__filedisk_read(void *ctx, uint64_t offset, void *buf, size_t len)
{
	struct hv__filedisk *d = ctx;
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(d->fd, p, len, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return HV_ERR_BACKEND;
		if (n == 0) {
			/* The image shrank under us: what is not there reads as zeros. */
			hv__memset(p, 0, len);
			return HV_OK;
		}
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return HV_OK;
}

static hv_status_t hv__filedisk_write(void *ctx, uint64_t offset, const void *buf, size_t len)
{
	struct hv__filedisk *d = ctx;
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(d->fd, p, len, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return HV_ERR_BACKEND;
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return HV_OK;
}

static hv_status_t hv__filedisk_flush(void *ctx)
{
	struct hv__filedisk *d = ctx;

	while (fsync(d->fd) != 0) {
		if (errno != EINTR)
			return HV_ERR_BACKEND;
	}
	return HV_OK;
}

static hv_status_t hv__filedisk_discard(void *ctx, uint64_t offset, uint64_t len)
{
	struct hv__filedisk *d = ctx;

	if (__atomic_load_n(&d->punch, __ATOMIC_RELAXED)) {
		int mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;

		for (;;) {
			if (fallocate(d->fd, mode, (off_t)offset, (off_t)len) == 0)
				return HV_OK;
			if (errno != EINTR)
				break;
		}
		if (errno != EOPNOTSUPP && errno != ENOSYS)
			return HV_ERR_BACKEND;
		__atomic_store_n(&d->punch, false, __ATOMIC_RELAXED);
	}
	while (len > 0) {
		size_t n = len < HV__ZERO_CHUNK ? (size_t)len : HV__ZERO_CHUNK;
		hv_status_t st = hv__filedisk_write(ctx, offset, hv__zeros, n);

		if (st != HV_OK)
			return st;
		offset += n;
		len -= n;
	}
	return HV_OK;
}

static void hv__filedisk_destroy(void *ctx)
{
	struct hv__filedisk *d = ctx;

	close(d->fd);
	hv__free(d, sizeof(*d));
}

static const hv_blockdev_ops_t hv__filedisk_ops = {
	.struct_size = sizeof(hv_blockdev_ops_t),
	.version = HV_BLOCKDEV_OPS_VERSION,
	.read = hv__filedisk_read,
	.write = hv__filedisk_write,
	.flush = hv__filedisk_flush,
	.discard = hv__filedisk_discard,
	.destroy = hv__filedisk_destroy,
};

static const hv_blockdev_ops_t hv__filedisk_ro_ops = {
	.struct_size = sizeof(hv_blockdev_ops_t),
	.version = HV_BLOCKDEV_OPS_VERSION,
	.read = hv__filedisk_read,
	.destroy = hv__filedisk_destroy,
};

hv_status_t hv_blockdev_file(const char *path, bool read_only, hv_blockdev_t *out)
{
	struct hv__filedisk *d;
	struct stat sb;
	hv_status_t st;
	int fd;

	if (path == NULL || out == NULL)
		return HV_ERR_INVALID_ARG;
	do {
		fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return HV_ERR_NOT_FOUND;
	st = HV_ERR_NOT_FOUND;
	if (fstat(fd, &sb) != 0 || (!S_ISREG(sb.st_mode) && !S_ISBLK(sb.st_mode)))
		goto err;
	if (S_ISBLK(sb.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);

		if (end < 0)
			goto err;
		sb.st_size = end;
	}
	st = HV_ERR_ZERO_SIZE;
	if (sb.st_size == 0)
		goto err;
	st = HV_ERR_ALIGNMENT;
	if (sb.st_size % HV__SECTOR != 0)
		goto err;
	st = HV_ERR_NO_MEMORY;
	d = hv__alloc(sizeof(*d));
	if (d == NULL)
		goto err;
	d->fd = fd;
	d->punch = true;
	out->ops = read_only ? &hv__filedisk_ro_ops : &hv__filedisk_ops;
	out->ctx = d;
	out->size = (uint64_t)sb.st_size;
	out->read_only = read_only;
	return HV_OK;
err:
	close(fd);
	return st;
}
