/* SPDX-License-Identifier: MIT */
/* Freestanding builds have no file descriptors: hv_chardev_fd() exists and refuses. */
#include "hv_internal.h"

#if !defined(HVLIB_HOSTED) || !HVLIB_HOSTED
hv_status_t hv_chardev_fd(int fd, hv_chardev_t *out)
{
	HV__UNUSED(fd);
	HV__UNUSED(out);
	return HV_ERR_UNSUPPORTED;
}
#endif
