/* SPDX-License-Identifier: MIT */
/*
 * Block storage in caller-owned memory (firmware, tests). The device using it checks every
 * offset and length against the capacity, so the context is the buffer itself and nothing is
 * allocated. In freestanding builds this file also provides the hv_blockdev_file() stub.
 */
#include "hv_internal.h"

#define HV__SECTOR 512u

static hv_status_t hv__memdisk_read(void *ctx, uint64_t offset, void *buf, size_t len)
{
	hv__memcpy(buf, (uint8_t *)ctx + offset, len);
	return HV_OK;
}

static hv_status_t hv__memdisk_write(void *ctx, uint64_t offset, const void *buf, size_t len)
{
	hv__memcpy((uint8_t *)ctx + offset, buf, len);
	return HV_OK;
}

static hv_status_t hv__memdisk_flush(void *ctx)
{
	HV__UNUSED(ctx);
	return HV_OK;
}

static hv_status_t hv__memdisk_discard(void *ctx, uint64_t offset, uint64_t len)
{
	hv__memset((uint8_t *)ctx + offset, 0, (size_t)len);
	return HV_OK;
}

static const hv_blockdev_ops_t hv__memdisk_ops = {
	.struct_size = sizeof(hv_blockdev_ops_t),
	.version = HV_BLOCKDEV_OPS_VERSION,
	.read = hv__memdisk_read,
	.write = hv__memdisk_write,
	.flush = hv__memdisk_flush,
	.discard = hv__memdisk_discard,
};

static const hv_blockdev_ops_t hv__memdisk_ro_ops = {
	.struct_size = sizeof(hv_blockdev_ops_t),
	.version = HV_BLOCKDEV_OPS_VERSION,
	.read = hv__memdisk_read,
	.flush = hv__memdisk_flush,
};

hv_status_t hv_blockdev_memory(void *buf, uint64_t size, bool read_only, hv_blockdev_t *out)
{
	if (buf == NULL || out == NULL)
		return HV_ERR_INVALID_ARG;
	if (size == 0)
		return HV_ERR_ZERO_SIZE;
	if (size % HV__SECTOR != 0)
		return HV_ERR_ALIGNMENT;
	if ((uint64_t)SIZE_MAX < size || (uintptr_t)buf + (size - 1) < (uintptr_t)buf)
		return HV_ERR_INVALID_ARG;
	out->ops = read_only ? &hv__memdisk_ro_ops : &hv__memdisk_ops;
	out->ctx = buf;
	out->size = size;
	out->read_only = read_only;
	return HV_OK;
}

#if !defined(HVLIB_HOSTED) || !HVLIB_HOSTED
/* Freestanding builds have no files: firmware uses hv_blockdev_memory() or its own ops. */
hv_status_t hv_blockdev_file(const char *path, bool read_only, hv_blockdev_t *out)
{
	HV__UNUSED(path);
	HV__UNUSED(read_only);
	HV__UNUSED(out);
	return HV_ERR_UNSUPPORTED;
}
#endif
