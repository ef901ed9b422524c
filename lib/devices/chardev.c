/* SPDX-License-Identifier: MIT */
/* The host byte stream behind every serial device: checked once, released once. */
#include "hv_internal.h"

hv_status_t hv__chardev_check(const hv_chardev_t *out)
{
	const hv_chardev_ops_t *ops = out->ops;

	if (ops == NULL)
		return HV_OK; /* output is discarded */
	if (ops->struct_size != sizeof(hv_chardev_ops_t) || ops->version != HV_CHARDEV_OPS_VERSION)
		return HV_ERR_ABI;
	return ops->write != NULL ? HV_OK : HV_ERR_INVALID_ARG;
}

void hv__chardev_release(hv_chardev_t *out)
{
	if (out->ops != NULL && out->ops->destroy != NULL)
		out->ops->destroy(out->ctx);
	out->ops = NULL;
	out->ctx = NULL;
}
