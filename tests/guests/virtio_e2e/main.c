/* SPDX-License-Identifier: MIT */
/*
 * The virtio_e2e guest: drives hvlib's virtio-console and virtio-blk with a real (small)
 * driver, the way an operating system would, and reports every step as a line on the
 * virtio-console ("ok <step>" or "FAIL <step>: <why>"), then a last line
 * "virtio_e2e: PASS (<n> checks)" or "virtio_e2e: FAIL (<k> of <n> checks)". main() returns the
 * number of failed checks, which entry.S writes to the itest result port before powering off.
 *
 * The disk (layout in e2e.h): sector 0 and the last sector must hold the host's pattern;
 * sectors 8..15 are written with the guest's pattern in a request of two data buffers, flushed
 * and read back; GET_ID must give the serial; reads at and across the end of the disk must
 * fail with IOERR. On a read-only disk (VIRTIO_BLK_F_RO offered) the write must fail with
 * IOERR and the read-back must find the host's pattern unchanged.
 *
 * Without a working virtio-console the lines go to the itest console port (0xE9) instead.
 */
#include "e2e.h"
#include "virtio.h"

/* virtio-blk (5.2) */
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_CFG_CAPACITY 0
#define VIRTIO_BLK_CFG_BLK_SIZE 20
#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_T_OUT 1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_T_GET_ID 8u
#define VIRTIO_BLK_S_OK 0u
#define VIRTIO_BLK_S_IOERR 1u
#define VIRTIO_BLK_ID_BYTES 20u

/* virtio-console (5.3): port 0's queues */
#define VIRTIO_CONSOLE_RXQ 0
#define VIRTIO_CONSOLE_TXQ 1

#define QUEUE_ENTRIES 16
#define ITEST_PORT_CONSOLE 0xe9

struct blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* Queue memory and buffers live in .bss, page-aligned where the driver needs it. */
static uint8_t con_rxq_mem[4096] __attribute__((aligned(4096)));
static uint8_t con_txq_mem[4096] __attribute__((aligned(4096)));
static uint8_t blk_q_mem[4096] __attribute__((aligned(4096)));
static uint64_t io_buf[E2E_WRITE_COUNT * E2E_SECTOR / 8] __attribute__((aligned(4096)));
static char con_rx_buf[64];
static char line[128];
static unsigned line_len;

static struct virtio_dev con_dev, blk_dev;
static struct virtq con_rxq, con_txq, blk_q;
static bool have_console;
static unsigned checks, failures;

/* ---- output ------------------------------------------------------------------------------- */

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void flush_line(void)
{
	if (line_len == 0)
		return;
	if (have_console) {
		struct virtq_buf b = { line, line_len, false };

		if (virtq_run(&con_txq, &b, 1) < 0)
			have_console = false; /* say the rest on the port */
	}
	if (!have_console)
		for (unsigned i = 0; i < line_len; i++)
			outb(ITEST_PORT_CONSOLE, (uint8_t)line[i]);
	line_len = 0;
}

static void putc_(char c)
{
	line[line_len++] = c;
	if (c == '\n' || line_len == sizeof(line))
		flush_line();
}

static void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

static void putdec(uint64_t v)
{
	char buf[21];
	int i = 0;

	do {
		buf[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (i > 0)
		putc_(buf[--i]);
}

static void puthex(uint64_t v)
{
	int shift = 60;

	puts_("0x");
	while (shift > 0 && (v >> shift) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		putc_("0123456789abcdef"[(v >> shift) & 15]);
}

/* Record one check: "ok <what><more>" or "FAIL <what><more>: <why> <value>". */
static bool check2(bool ok, const char *what, const char *more, const char *why, int64_t value)
{
	checks++;
	if (ok) {
		puts_("ok ");
		puts_(what);
		puts_(more);
	} else {
		failures++;
		puts_("FAIL ");
		puts_(what);
		puts_(more);
		puts_(": ");
		puts_(why);
		putc_(' ');
		if (value < 0) {
			putc_('-');
			putdec((uint64_t)-value);
		} else {
			putdec((uint64_t)value);
		}
	}
	putc_('\n');
	return ok;
}

static bool check(bool ok, const char *what, const char *why, int64_t value)
{
	return check2(ok, what, "", why, value);
}

/* ---- virtio-console ----------------------------------------------------------------------- */

static int console_init(void)
{
	int r = virtio_init(&con_dev, E2E_CONSOLE_BASE, VIRTIO_ID_CONSOLE, 0);

	if (r == VIRTIO_OK)
		r = virtq_setup(&con_dev, &con_rxq, VIRTIO_CONSOLE_RXQ, con_rxq_mem,
				sizeof(con_rxq_mem), QUEUE_ENTRIES);
	if (r == VIRTIO_OK)
		r = virtq_setup(&con_dev, &con_txq, VIRTIO_CONSOLE_TXQ, con_txq_mem,
				sizeof(con_txq_mem), QUEUE_ENTRIES);
	if (r == VIRTIO_OK)
		r = virtio_driver_ok(&con_dev);
	if (r == VIRTIO_OK) {
		/* A receive buffer, as a console driver keeps posted (input is not tested here). */
		struct virtq_buf b = { con_rx_buf, sizeof(con_rx_buf), true };

		if (virtq_submit(&con_rxq, &b, 1) >= 0)
			virtq_kick(&con_rxq);
	}
	if (r != VIRTIO_OK && con_dev.device_id == VIRTIO_ID_CONSOLE)
		virtio_fail(&con_dev);
	return r;
}

/* ---- virtio-blk ----------------------------------------------------------------------------- */

static struct blk_req_hdr blk_hdr;
static uint8_t blk_status;

/*
 * One request: header, up to two data buffers (both readable for OUT, both writable
 * otherwise), status. Returns the status byte, or a negative driver error.
 */
static int blk_request(uint32_t type, uint64_t sector, void *data, uint32_t len, unsigned nbufs,
		       uint32_t *written)
{
	struct virtq_buf b[4];
	bool out = type == VIRTIO_BLK_T_OUT;
	unsigned n = 0;
	int r;

	blk_hdr.type = type;
	blk_hdr.reserved = 0;
	blk_hdr.sector = sector;
	blk_status = 0xff;
	b[n++] = (struct virtq_buf){ &blk_hdr, sizeof(blk_hdr), false };
	if (len != 0 && nbufs == 2) {
		b[n++] = (struct virtq_buf){ data, len / 2, !out };
		b[n++] = (struct virtq_buf){ (uint8_t *)data + len / 2, len - len / 2, !out };
	} else if (len != 0) {
		b[n++] = (struct virtq_buf){ data, len, !out };
	}
	b[n++] = (struct virtq_buf){ &blk_status, 1, true };
	r = virtq_run(&blk_q, b, n);
	if (r < 0)
		return r;
	if (written != NULL)
		*written = (uint32_t)r;
	return blk_status;
}

/* Index of the first word of io_buf that differs from the pattern, or -1. */
static int64_t pattern_mismatch(uint64_t seed, uint64_t sector, unsigned sectors)
{
	uint64_t base = sector * E2E_SECTOR;

	for (unsigned i = 0; i < sectors * E2E_SECTOR / 8; i++)
		if (io_buf[i] != e2e_word(seed, base + i * 8ull))
			return i;
	return -1;
}

static void pattern_fill(uint64_t seed, uint64_t sector, unsigned sectors)
{
	uint64_t base = sector * E2E_SECTOR;

	for (unsigned i = 0; i < sectors * E2E_SECTOR / 8; i++)
		io_buf[i] = e2e_word(seed, base + i * 8ull);
}

static void blk_read_verify(const char *what, uint64_t sector, unsigned sectors, uint64_t seed)
{
	int64_t bad;
	int st;

	memset(io_buf, 0, sectors * E2E_SECTOR);
	st = blk_request(VIRTIO_BLK_T_IN, sector, io_buf, sectors * E2E_SECTOR, 1, NULL);
	if (!check(st == VIRTIO_BLK_S_OK, what, "status", st))
		return;
	bad = pattern_mismatch(seed, sector, sectors);
	check2(bad < 0, what, ": data matches", "first bad word", bad);
}

static void blk_test(void)
{
	uint64_t capacity;
	uint32_t written = 0;
	bool ro;
	char id[VIRTIO_BLK_ID_BYTES + 1];
	int r, st;

	r = virtio_init(&blk_dev, E2E_BLK_BASE, VIRTIO_ID_BLOCK,
			(1ull << VIRTIO_BLK_F_RO) | (1ull << VIRTIO_BLK_F_FLUSH) |
				(1ull << VIRTIO_BLK_F_BLK_SIZE) | (1ull << VIRTIO_BLK_F_SEG_MAX));
	if (r == VIRTIO_OK)
		r = virtq_setup(&blk_dev, &blk_q, 0, blk_q_mem, sizeof(blk_q_mem), QUEUE_ENTRIES);
	if (r == VIRTIO_OK)
		r = virtio_driver_ok(&blk_dev);
	if (!check(r == VIRTIO_OK, "blk init", "error", r)) {
		if (blk_dev.device_id == VIRTIO_ID_BLOCK)
			virtio_fail(&blk_dev);
		return;
	}
	ro = (blk_dev.features >> VIRTIO_BLK_F_RO) & 1;
	puts_("blk: features ");
	puthex(blk_dev.features);
	puts_(ro ? " read-only\n" : " read-write\n");
	check((blk_dev.features >> VIRTIO_BLK_F_FLUSH) & 1, "blk flush feature", "missing", 0);

	capacity = virtio_config64(&blk_dev, VIRTIO_BLK_CFG_CAPACITY);
	puts_("blk: capacity ");
	putdec(capacity);
	puts_(" sectors\n");
	check(capacity == E2E_DISK_SECTORS, "blk capacity", "is", (int64_t)capacity);
	if ((blk_dev.features >> VIRTIO_BLK_F_BLK_SIZE) & 1)
		check(virtio_config32(&blk_dev, VIRTIO_BLK_CFG_BLK_SIZE) == E2E_SECTOR,
		      "blk blk_size", "is", virtio_config32(&blk_dev, VIRTIO_BLK_CFG_BLK_SIZE));

	blk_read_verify("read sector 0", 0, 1, E2E_SEED_INITIAL);
	blk_read_verify("read last sector", E2E_DISK_SECTORS - 1, 1, E2E_SEED_INITIAL);

	pattern_fill(E2E_SEED_WRITTEN, E2E_WRITE_SECTOR, E2E_WRITE_COUNT);
	st = blk_request(VIRTIO_BLK_T_OUT, E2E_WRITE_SECTOR, io_buf, E2E_WRITE_COUNT * E2E_SECTOR,
			 2, NULL);
	if (ro)
		check(st == VIRTIO_BLK_S_IOERR, "write sectors 8-15 refused (read-only)", "status",
		      st);
	else
		check(st == VIRTIO_BLK_S_OK, "write sectors 8-15", "status", st);

	st = blk_request(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 0, NULL);
	check(st == VIRTIO_BLK_S_OK, "flush", "status", st);

	blk_read_verify(ro ? "read back sectors 8-15 (unchanged)" : "read back sectors 8-15",
			E2E_WRITE_SECTOR, E2E_WRITE_COUNT,
			ro ? E2E_SEED_INITIAL : E2E_SEED_WRITTEN);

	memset(id, 0, sizeof(id));
	st = blk_request(VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES, 1, &written);
	if (check(st == VIRTIO_BLK_S_OK, "get id", "status", st)) {
		puts_("blk: id \"");
		puts_(id);
		puts_("\"\n");
		check(memcmp(id, E2E_SERIAL, sizeof(E2E_SERIAL)) == 0, "get id matches serial",
		      "length", (int64_t)strlen(id));
	}

	st = blk_request(VIRTIO_BLK_T_IN, capacity, io_buf, E2E_SECTOR, 1, NULL);
	check(st == VIRTIO_BLK_S_IOERR, "read beyond capacity gives IOERR", "status", st);
	st = blk_request(VIRTIO_BLK_T_IN, capacity - 1, io_buf, 2 * E2E_SECTOR, 1, NULL);
	check(st == VIRTIO_BLK_S_IOERR, "read across the end gives IOERR", "status", st);
	check((virtio_status(&blk_dev) & VIRTIO_STATUS_NEEDS_RESET) == 0, "blk device healthy",
	      "status", virtio_status(&blk_dev));
}

int main(void)
{
	int r = console_init();

	have_console = r == VIRTIO_OK;
	puts_("virtio_e2e: guest up\n");
	check(have_console, "console init", "error", r);
	blk_test();
	puts_("virtio_e2e: ");
	if (failures == 0) {
		puts_("PASS (");
	} else {
		puts_("FAIL (");
		putdec(failures);
		puts_(" of ");
	}
	putdec(checks);
	puts_(" checks)\n");
	flush_line();
	return (int)failures;
}
