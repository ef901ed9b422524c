/* SPDX-License-Identifier: MIT */
/* Freestanding builds have no files: hv_file_read() exists and refuses. */
#include "hv_internal.h"

#if !defined(HVLIB_HOSTED) || !HVLIB_HOSTED
hv_status_t hv_file_read(const char *path, void **data, size_t *size)
{
	HV__UNUSED(path);
	HV__UNUSED(data);
	HV__UNUSED(size);
	return HV_ERR_UNSUPPORTED;
}

void hv_file_free(void *data, size_t size)
{
	HV__UNUSED(data);
	HV__UNUSED(size);
}
#endif
