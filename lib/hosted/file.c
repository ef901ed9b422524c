/* SPDX-License-Identifier: MIT */
/* Hosted: read a whole file (a kernel, an initrd, a firmware image) into memory. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv_internal.h"

/* Empty files still get a buffer: callers can tell "read nothing" from "read nothing yet". */
static size_t hv__file_alloc_size(size_t size)
{
	return size != 0 ? size : 1;
}

hv_status_t hv_file_read(const char *path, void **data, size_t *size)
{
	struct stat sb;
	uint8_t *buf = NULL;
	size_t len = 0, got = 0;
	hv_status_t st = HV_ERR_NOT_FOUND;
	int fd;

	if (path == NULL || data == NULL || size == NULL)
		return HV_ERR_INVALID_ARG;
	do
		fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return HV_ERR_NOT_FOUND;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		goto out;
	st = HV_ERR_NO_MEMORY;
	if (sb.st_size < 0 || (uint64_t)sb.st_size > SIZE_MAX)
		goto out;
	len = (size_t)sb.st_size;
	buf = hv__ram_alloc(hv__file_alloc_size(len));
	if (buf == NULL)
		goto out;
	/* A file that shrinks under us gives what it still holds; one that grows, its old size. */
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st = HV_ERR_BACKEND;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got < len) {
		/* Free takes the size the caller was given: allocate exactly that. */
		uint8_t *fit = hv__ram_alloc(hv__file_alloc_size(got));

		if (fit == NULL)
			goto out;
		hv__memcpy(fit, buf, got);
		hv__ram_free(buf, hv__file_alloc_size(len));
		buf = fit;
		len = got;
	}
	*data = buf;
	*size = got;
	buf = NULL;
	st = HV_OK;
out:
	if (buf != NULL)
		hv__ram_free(buf, hv__file_alloc_size(len));
	close(fd);
	return st;
}

void hv_file_free(void *data, size_t size)
{
	if (data != NULL)
		hv__ram_free(data, hv__file_alloc_size(size));
}
