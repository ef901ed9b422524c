/* SPDX-License-Identifier: MIT */
/* Hosted: the default entropy source of virtio-rng, the kernel's getrandom(2). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sys/random.h>

#include "virtio/virtio.h"

hv_status_t hv__entropy_default(void *ctx, void *buf, size_t len)
{
	uint8_t *p = buf;

	HV__UNUSED(ctx);
	while (len != 0) {
		/* Never block a vCPU: before the host's pool is ready, report failure instead. */
		ssize_t n = getrandom(p, len, GRND_NONBLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return HV_ERR_BACKEND;
		p += n;
		len -= (size_t)n;
	}
	return HV_OK;
}
