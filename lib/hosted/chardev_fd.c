/* SPDX-License-Identifier: MIT */
/*
 * Hosted: a byte stream writing to a file descriptor. Partial writes and EINTR are retried;
 * EAGAIN (a non-blocking descriptor that is full) is back-pressure: the device keeps the rest
 * and offers it again. Any other error (a closed pipe, a bad descriptor) discards the bytes,
 * so that a guest never waits on a stream that will not come back.
 */
#include <errno.h>
#include <unistd.h>

#include "hv_internal.h"

struct chardev_fd {
	int fd;
};

static size_t chardev_fd_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct chardev_fd *c = ctx;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(c->fd, buf + done, len - done);

		if (n > 0) {
			done += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
			HV_LOGD("chardev fd %d: write failed (errno %d): output discarded", c->fd,
				n < 0 ? errno : 0);
			return len;
		}
	}
	return done;
}

static void chardev_fd_destroy(void *ctx)
{
	hv__free(ctx, sizeof(struct chardev_fd));
}

static const hv_chardev_ops_t chardev_fd_ops = {
	.struct_size = sizeof(hv_chardev_ops_t),
	.version = HV_CHARDEV_OPS_VERSION,
	.write = chardev_fd_write,
	.destroy = chardev_fd_destroy,
};

hv_status_t hv_chardev_fd(int fd, hv_chardev_t *out)
{
	struct chardev_fd *c;

	if (out == NULL || fd < 0)
		return HV_ERR_INVALID_ARG;
	c = hv__alloc(sizeof(*c));
	if (c == NULL)
		return HV_ERR_NO_MEMORY;
	c->fd = fd;
	out->ops = &chardev_fd_ops;
	out->ctx = c;
	return HV_OK;
}
