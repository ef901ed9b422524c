/* SPDX-License-Identifier: MIT */
/*
 * Hosted: a network link to a Linux TAP interface. Frames from the device are written to the
 * TAP file descriptor; a reader thread, started when the device attaches, polls the
 * descriptor and an eventfd (the stop signal) and hands each frame to the device's rx
 * callback. Destroy signals the thread, joins it, and closes both descriptors, so no rx call
 * runs after it returns.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_tun.h>

#include "hv_internal.h"

#define HV__TAP_FRAME_MAX 65536u

struct hv__tap {
	int fd;
	int stop_fd;
	bool running;
	pthread_t thread;
	hv_net_rx_fn rx;
	void *rx_ctx;
	uint8_t buf[HV__TAP_FRAME_MAX];
};

static void *hv__tap_reader(void *arg)
{
	struct hv__tap *t = arg;
	struct pollfd pfd[2] = {
		{ .fd = t->fd, .events = POLLIN },
		{ .fd = t->stop_fd, .events = POLLIN },
	};

	for (;;) {
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			HV_LOGE("tap: poll failed (errno %d); reader stops", errno);
			break;
		}
		if (pfd[1].revents != 0)
			break;
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			HV_LOGE("tap: interface went away; reader stops");
			break;
		}
		n = read(t->fd, t->buf, sizeof(t->buf));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			HV_LOGE("tap: read failed (errno %d); reader stops", errno);
			break;
		}
		if (n > 0)
			t->rx(t->rx_ctx, t->buf, (size_t)n);
	}
	return NULL;
}

static void hv__tap_attach(void *ctx, hv_net_rx_fn rx, void *rx_ctx)
{
	struct hv__tap *t = ctx;

	if (t->running || rx == NULL)
		return;
	t->rx = rx;
	t->rx_ctx = rx_ctx;
	if (pthread_create(&t->thread, NULL, hv__tap_reader, t) != 0) {
		HV_LOGE("tap: cannot start the reader thread: no frames will be received");
		return;
	}
	t->running = true;
}

static void hv__tap_send(void *ctx, const void *frame, size_t len)
{
	struct hv__tap *t = ctx;
	ssize_t n;

	do {
		n = write(t->fd, frame, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		HV_LOGD("tap: frame of %zu bytes dropped (errno %d)", len, errno);
}

static void hv__tap_destroy(void *ctx)
{
	struct hv__tap *t = ctx;
	uint64_t one = 1;

	if (t->running) {
		while (write(t->stop_fd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
		pthread_join(t->thread, NULL);
	}
	close(t->stop_fd);
	close(t->fd);
	hv__free(t, sizeof(*t));
}

static const hv_netdev_ops_t hv__tap_ops = {
	.struct_size = sizeof(hv_netdev_ops_t),
	.version = HV_NETDEV_OPS_VERSION,
	.attach = hv__tap_attach,
	.send = hv__tap_send,
	.destroy = hv__tap_destroy,
};

hv_status_t hv_netdev_tap(const char *ifname, hv_netdev_t *out)
{
	struct hv__tap *t;
	struct ifreq ifr;
	hv_status_t st;
	size_t len;

	if (ifname == NULL || out == NULL)
		return HV_ERR_INVALID_ARG;
	len = strlen(ifname);
	if (len == 0 || len >= IFNAMSIZ)
		return HV_ERR_INVALID_ARG;
	t = hv__alloc(sizeof(*t));
	if (t == NULL)
		return HV_ERR_NO_MEMORY;
	t->stop_fd = -1;
	st = HV_ERR_BACKEND;
	t->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (t->fd < 0)
		goto err;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, ifname, len);
	if (ioctl(t->fd, TUNSETIFF, &ifr) != 0)
		goto err;
	st = HV_ERR_NO_MEMORY;
	t->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->stop_fd < 0)
		goto err;
	out->ops = &hv__tap_ops;
	out->ctx = t;
	return HV_OK;
err:
	HV_LOGD("tap %s: cannot open (errno %d)", ifname, errno);
	if (t->fd >= 0)
		close(t->fd);
	hv__free(t, sizeof(*t));
	return st;
}
