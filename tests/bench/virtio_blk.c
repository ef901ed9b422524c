/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk request throughput in-process: 64 KiB requests on a memory-backed disk through the
 * real device code, against a plain memcpy of the same bytes between the same buffers.
 *
 * The program is the guest's driver, from the host side: on a backend that does nothing (no
 * hypervisor), it negotiates VIRTIO 1 with the virtio-mmio registers, lays out one split queue
 * in the VM's RAM, and for each request writes three descriptors (header, 64 KiB data buffer in
 * guest RAM, status byte), publishes them, writes QueueNotify as an MMIO exit dispatched with
 * hv_vcpu_dispatch(), and polls the used ring. Requests alternate OUT and IN and walk a 16 MiB
 * disk; the memcpy baseline copies the same 64 KiB between the same guest buffer and disk
 * offsets in the same order. The driver asks for no interrupts (VIRTQ_AVAIL_F_NO_INTERRUPT),
 * as a polling driver does.
 *
 *   bench_virtio_blk [requests]     timed runs: bytes/s of both and the ratio (target >= 0.7)
 *   bench_virtio_blk device N       N requests only (for callgrind: --toggle-collect=device_request)
 *   bench_virtio_blk memcpy N       N copies only  (for callgrind: --toggle-collect=memcpy_request)
 *
 * tests/bench/run.sh runs the last two under callgrind and prints instructions per request.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hv_internal.h"
#include "null_backend.h"
#include "virtio/virtio.h"

#define REQ_SIZE (64u * 1024u)
#define DISK_SIZE (16u << 20)
#define DISK_SLOTS (DISK_SIZE / REQ_SIZE)
#define RAM_SIZE (1u << 20)
#define BLK_BASE 0xd0000000ull
#define BLK_IRQ 5
#define QSIZE 64u

/* Guest-physical layout of the driver's memory */
#define GPA_DESC 0x1000ull
#define GPA_AVAIL 0x2000ull
#define GPA_USED 0x3000ull
#define GPA_HDR 0x4000ull
#define GPA_STATUS 0x4010ull
#define GPA_DATA 0x10000ull

/* ---- a backend that does nothing ------------------------------------------------------------ */

/* ---- the driver --------------------------------------------------------------------------------- */

struct bench {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	uint8_t *ram; /* host view of guest RAM at 0 */
	uint8_t *disk;
	struct hv__vring_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[] */
	volatile uint16_t *used;  /* flags, idx, then elements */
	uint16_t avail_idx;
	uint16_t last_used;
	unsigned slot; /* next disk position */
};

static void die(const char *what)
{
	fprintf(stderr, "bench_virtio_blk: %s\n", what);
	exit(1);
}

/* One 32-bit register access, as the MMIO exit a guest's load or store would make. */
static uint64_t reg(struct bench *b, uint64_t off, bool is_write, uint32_t value)
{
	hv_exit_t ex;

	memset(&ex, 0, sizeof(ex));
	ex.reason = HV_EXIT_MMIO;
	ex.u.mmio.gpa = BLK_BASE + off;
	ex.u.mmio.width = 4;
	ex.u.mmio.is_write = is_write;
	ex.u.mmio.data = value;
	if (hv_vcpu_dispatch(b->vcpu, &ex) != HV_OK)
		die("dispatch failed");
	return ex.u.mmio.data;
}

static void wr(struct bench *b, uint64_t off, uint32_t value)
{
	reg(b, off, true, value);
}

static uint32_t rd(struct bench *b, uint64_t off)
{
	return (uint32_t)reg(b, off, false, 0);
}

static void setup(struct bench *b)
{
	hv_vm_config_t cfg = HV_VM_CONFIG_INIT;
	hv_region_config_t ram = HV_REGION_CONFIG_INIT;
	hv_virtio_blk_config_t blk = HV_VIRTIO_BLK_CONFIG_INIT;
	void *hva;

	memset(b, 0, sizeof(*b));
	hv_log_set_level(HV_LOG_WARN);
	cfg.name = "bench";
	cfg.backend = &hv_null_backend;
	cfg.flags = HV_VM_MANUAL_RUN;
	ram.name = "ram";
	ram.gpa = 0;
	ram.size = RAM_SIZE;
	b->disk = malloc(DISK_SIZE);
	if (b->disk == NULL)
		die("out of memory");
	memset(b->disk, 0x5a, DISK_SIZE);
	if (hv_vm_create(&cfg, &b->vm) != HV_OK || hv_vm_map_region(b->vm, &ram, NULL) != HV_OK ||
	    hv_vcpu_create(b->vm, 0, &b->vcpu) != HV_OK)
		die("VM set-up failed");
	blk.mmio.base = BLK_BASE;
	blk.mmio.irq = BLK_IRQ;
	if (hv_blockdev_memory(b->disk, DISK_SIZE, false, &blk.disk) != HV_OK ||
	    hv_virtio_blk_add(b->vm, &blk, NULL) != HV_OK || hv_vm_start(b->vm) != HV_OK)
		die("virtio-blk set-up failed");
	if (hv_vm_gpa_to_hva(b->vm, 0, RAM_SIZE, &hva) != HV_OK)
		die("no RAM");
	b->ram = hva;
	memset(b->ram + GPA_DATA, 0xa5, REQ_SIZE);

	/* VIRTIO 1.2, 3.1.1 and 4.2.3.2: what a guest driver does. */
	if (rd(b, HV_VMMIO_MAGIC) != HV_VIRTIO_MAGIC ||
	    rd(b, HV_VMMIO_DEVICE_ID) != HV_VIRTIO_ID_BLOCK)
		die("no virtio-blk");
	wr(b, HV_VMMIO_STATUS, 0);
	wr(b, HV_VMMIO_STATUS, HV_VIRTIO_STATUS_ACKNOWLEDGE);
	wr(b, HV_VMMIO_STATUS, HV_VIRTIO_STATUS_ACKNOWLEDGE | HV_VIRTIO_STATUS_DRIVER);
	wr(b, HV_VMMIO_DRIVER_FEATURES_SEL, 0);
	wr(b, HV_VMMIO_DRIVER_FEATURES, 0);
	wr(b, HV_VMMIO_DRIVER_FEATURES_SEL, 1);
	wr(b, HV_VMMIO_DRIVER_FEATURES, 1u << (HV_VIRTIO_F_VERSION_1 - 32));
	wr(b, HV_VMMIO_STATUS,
	   HV_VIRTIO_STATUS_ACKNOWLEDGE | HV_VIRTIO_STATUS_DRIVER | HV_VIRTIO_STATUS_FEATURES_OK);
	if (!(rd(b, HV_VMMIO_STATUS) & HV_VIRTIO_STATUS_FEATURES_OK))
		die("features refused");
	wr(b, HV_VMMIO_QUEUE_SEL, 0);
	if (rd(b, HV_VMMIO_QUEUE_NUM_MAX) < QSIZE)
		die("queue too small");
	wr(b, HV_VMMIO_QUEUE_NUM, QSIZE);
	wr(b, HV_VMMIO_QUEUE_DESC_LOW, (uint32_t)GPA_DESC);
	wr(b, HV_VMMIO_QUEUE_DESC_HIGH, 0);
	wr(b, HV_VMMIO_QUEUE_DRIVER_LOW, (uint32_t)GPA_AVAIL);
	wr(b, HV_VMMIO_QUEUE_DRIVER_HIGH, 0);
	wr(b, HV_VMMIO_QUEUE_DEVICE_LOW, (uint32_t)GPA_USED);
	wr(b, HV_VMMIO_QUEUE_DEVICE_HIGH, 0);
	b->desc = (struct hv__vring_desc *)(b->ram + GPA_DESC);
	b->avail = (volatile uint16_t *)(b->ram + GPA_AVAIL);
	b->used = (volatile uint16_t *)(b->ram + GPA_USED);
	b->avail[0] = HV_VRING_AVAIL_F_NO_INTERRUPT;
	wr(b, HV_VMMIO_QUEUE_READY, 1);
	wr(b, HV_VMMIO_STATUS,
	   HV_VIRTIO_STATUS_ACKNOWLEDGE | HV_VIRTIO_STATUS_DRIVER | HV_VIRTIO_STATUS_FEATURES_OK |
		   HV_VIRTIO_STATUS_DRIVER_OK);
	if (rd(b, HV_VMMIO_QUEUE_READY) != 1 ||
	    (rd(b, HV_VMMIO_STATUS) & HV_VIRTIO_STATUS_DRIVER_OK) == 0)
		die("device not live");
}

/* One request, submitted and completed: the device's whole path, driver side included. */
__attribute__((noinline)) static void device_request(struct bench *b, bool out)
{
	uint64_t sector = (uint64_t)b->slot * (REQ_SIZE / 512);
	uint8_t *hdr = b->ram + GPA_HDR;
	uint32_t type = out ? 1u : 0u; /* VIRTIO_BLK_T_OUT / _IN */
	uint16_t head = (uint16_t)((b->avail_idx * 3u) % QSIZE);

	b->slot = (b->slot + 1) % DISK_SLOTS;
	memcpy(hdr, &type, 4);
	memset(hdr + 4, 0, 4);
	memcpy(hdr + 8, &sector, 8);
	b->ram[GPA_STATUS] = 0xff;
	b->desc[head] = (struct hv__vring_desc){ GPA_HDR, 16, HV_VRING_DESC_F_NEXT,
						 (uint16_t)((head + 1) % QSIZE) };
	b->desc[(head + 1) % QSIZE] = (struct hv__vring_desc){
		GPA_DATA, REQ_SIZE,
		(uint16_t)(HV_VRING_DESC_F_NEXT | (out ? 0 : HV_VRING_DESC_F_WRITE)),
		(uint16_t)((head + 2) % QSIZE)
	};
	b->desc[(head + 2) % QSIZE] =
		(struct hv__vring_desc){ GPA_STATUS, 1, HV_VRING_DESC_F_WRITE, 0 };
	b->avail[2 + b->avail_idx % QSIZE] = head;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	b->avail[1] = ++b->avail_idx;
	wr(b, HV_VMMIO_QUEUE_NOTIFY, 0);
	while (b->used[1] == b->last_used)
		;
	b->last_used++;
	if (b->ram[GPA_STATUS] != 0)
		die("request failed");
}

/* The same bytes moved by memcpy between the same buffers. */
__attribute__((noinline)) static void memcpy_request(struct bench *b, bool out)
{
	uint8_t *disk = b->disk + (size_t)b->slot * REQ_SIZE;

	b->slot = (b->slot + 1) % DISK_SLOTS;
	if (out)
		memcpy(disk, b->ram + GPA_DATA, REQ_SIZE);
	else
		memcpy(b->ram + GPA_DATA, disk, REQ_SIZE);
	__asm__ __volatile__("" : : "r"(disk) : "memory");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double run(struct bench *b, bool device, unsigned n)
{
	double t0 = now();

	b->slot = 0;
	for (unsigned i = 0; i < n; i++) {
		if (device)
			device_request(b, (i & 1) == 0);
		else
			memcpy_request(b, (i & 1) == 0);
	}
	return now() - t0;
}

int main(int argc, char **argv)
{
	struct bench b;
	unsigned n = 4096, rounds = 7;
	double best_dev = 1e9, best_cpy = 1e9;
	double bytes;

	setup(&b);
	if (argc == 3 && (strcmp(argv[1], "device") == 0 || strcmp(argv[1], "memcpy") == 0)) {
		n = (unsigned)strtoul(argv[2], NULL, 0);
		run(&b, strcmp(argv[1], "device") == 0, n);
		printf("virtio_blk: %u %s requests of %u bytes\n", n, argv[1], REQ_SIZE);
		hv_vm_destroy(b.vm);
		free(b.disk);
		return 0;
	}
	if (argc == 2)
		n = (unsigned)strtoul(argv[1], NULL, 0);
	if (n == 0)
		die("usage: bench_virtio_blk [requests] | device N | memcpy N");

	run(&b, true, DISK_SLOTS); /* warm up: touch every page of both buffers */
	run(&b, false, DISK_SLOTS);
	/* Interleaved rounds, best of each: the machine is shared and noisy. */
	for (unsigned r = 0; r < rounds; r++) {
		double d = run(&b, true, n), c = run(&b, false, n);

		best_dev = d < best_dev ? d : best_dev;
		best_cpy = c < best_cpy ? c : best_cpy;
	}
	bytes = (double)n * REQ_SIZE;
	printf("virtio_blk: %u requests of %u KiB (OUT and IN alternating, %u MiB disk), "
	       "best of %u rounds\n",
	       n, REQ_SIZE / 1024, DISK_SIZE >> 20, rounds);
	printf("  device path: %8.1f MB/s  %6.2f us per request\n", bytes / best_dev / 1e6,
	       best_dev / n * 1e6);
	printf("  memcpy:      %8.1f MB/s  %6.2f us per copy\n", bytes / best_cpy / 1e6,
	       best_cpy / n * 1e6);
	printf("  ratio device/memcpy: %.3f (target >= 0.7)\n", best_cpy / best_dev);
	hv_vm_destroy(b.vm);
	free(b.disk);
	return 0;
}
