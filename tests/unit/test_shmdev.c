/* SPDX-License-Identifier: MIT */
/* Shared memory between VMs with doorbells: mapping, registers, doorbells, errors, teardown. */
#include "test_support.h"

#define SHM_SIZE (64u * 1024u)
#define SHM_GPA 0x40000000ull
#define REGS 0x50000000ull
#define IRQ 9

enum {
	R_ID = 0x00,
	R_PEER = 0x04,
	R_PEERS = 0x08,
	R_SIZE_KIB = 0x0c,
	R_DOORBELL = 0x10,
	R_PENDING = 0x14,
	R_ACK = 0x18,
	R_READ_ONLY = 0x1c,
};

struct peer {
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	hv_device_t *dev;
};

static uint64_t mmio(struct peer *p, uint64_t gpa, uint32_t width, bool write, uint64_t v)
{
	hv_exit_t exit;

	memset(&exit, 0, sizeof(exit));
	exit.reason = HV_EXIT_MMIO;
	exit.u.mmio.gpa = gpa;
	exit.u.mmio.width = (uint8_t)width;
	exit.u.mmio.is_write = write;
	exit.u.mmio.data = write ? v : 0x5a5a5a5a5a5a5a5aull;
	hv_vcpu_dispatch(p->vcpu, &exit);
	return write ? 0 : exit.u.mmio.data & (width == 8 ? ~0ull : (1ull << (8 * width)) - 1);
}

static uint32_t reg(struct peer *p, uint32_t off)
{
	return (uint32_t)mmio(p, REGS + off, 4, false, 0);
}

static void reg_wr(struct peer *p, uint32_t off, uint32_t v)
{
	mmio(p, REGS + off, 4, true, v);
}

static bool line(struct peer *p, uint32_t input)
{
	for (const struct hv_irq_line *l = p->vm->lines; l != NULL; l = l->next)
		if (l->input == input)
			return hv_irq_line_level(l);
	fail_msg("no line on input %u", input);
	return false;
}

static hv_shmdev_config_t shm_config(hv_shm_t *shm, bool ro)
{
	hv_shmdev_config_t c = HV_SHMDEV_CONFIG_INIT;

	c.name = "shm";
	c.shm = shm;
	c.shm_gpa = SHM_GPA;
	c.read_only = ro;
	c.regs_base = REGS;
	c.irq = IRQ;
	return c;
}

static void peer_new(struct peer *p, hv_shm_t *shm, bool ro)
{
	hv_shmdev_config_t c = shm_config(shm, ro);

	p->vm = ts_vm_new(0);
	p->vcpu = ts_vcpu_new(p->vm, 0);
	ts_map_ram(p->vm, 0, 0x100000);
	assert_int_equal(hv_shmdev_add(p->vm, &c, &p->dev), HV_OK);
	assert_non_null(p->dev);
}

static void test_shmdev_memory_is_shared_between_two_vms(void **state)
{
	hv_shm_t *shm = NULL;
	struct peer a, b;
	char buf[16];
	uint8_t *hva;

	(void)state;
	assert_int_equal(hv_shm_create(SHM_SIZE, &shm), HV_OK);
	peer_new(&a, shm, false);
	peer_new(&b, shm, false);
	assert_int_equal(hv_vm_write(a.vm, SHM_GPA + 100, "hello", 6), HV_OK);
	assert_int_equal(hv_vm_read(b.vm, SHM_GPA + 100, buf, 6), HV_OK);
	assert_string_equal(buf, "hello");
	hva = hv_shm_hva(shm);
	assert_string_equal((char *)hva + 100, "hello");
	/* A guest store in one VM is a guest load in the other. */
	mmio(&b, SHM_GPA + SHM_SIZE - 8, 8, true, 0x1122334455667788ull);
	assert_int_equal(mmio(&a, SHM_GPA + SHM_SIZE - 8, 8, false, 0), 0x1122334455667788ull);
	hv_vm_destroy(a.vm);
	hv_vm_destroy(b.vm);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
}

static void test_shmdev_registers_describe_the_peer(void **state)
{
	hv_shm_t *shm = NULL;
	struct peer a, b;

	(void)state;
	assert_int_equal(hv_shm_create(SHM_SIZE, &shm), HV_OK);
	peer_new(&a, shm, false);
	peer_new(&b, shm, true);
	assert_int_equal(reg(&a, R_ID), 0x4d535648); /* "HVSM" */
	assert_int_equal(reg(&a, R_PEER), 0);
	assert_int_equal(reg(&b, R_PEER), 1);
	assert_int_equal(reg(&a, R_PEERS), 2);
	assert_int_equal(reg(&b, R_SIZE_KIB), SHM_SIZE / 1024);
	assert_int_equal(reg(&a, R_READ_ONLY), 0);
	assert_int_equal(reg(&b, R_READ_ONLY), 1);
	assert_int_equal(reg(&a, R_PENDING), 0);
	assert_int_equal(reg(&a, R_DOORBELL), 0);
	assert_int_equal(reg(&a, 0xfc), 0);
	/* Other widths and unaligned offsets read 0 and writes are ignored. */
	assert_int_equal(mmio(&a, REGS + R_ID, 2, false, 0), 0);
	assert_int_equal(mmio(&a, REGS + R_ID + 1, 4, false, 0), 0);
	assert_int_equal(mmio(&a, REGS + R_ID, 8, false, 0), 0);
	mmio(&a, REGS + R_DOORBELL, 2, true, 1);
	mmio(&a, REGS + R_DOORBELL, 8, true, 1);
	assert_int_equal(reg(&b, R_PENDING), 0);
	reg_wr(&a, R_ID, 5); /* read-only register */
	assert_int_equal(reg(&a, R_ID), 0x4d535648);
	hv_vm_destroy(b.vm);
	assert_int_equal(reg(&a, R_PEERS), 1);
	hv_vm_destroy(a.vm);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
}

static void test_shmdev_doorbells_set_pending_and_lines(void **state)
{
	hv_shm_t *shm = NULL;
	struct peer p[3];

	(void)state;
	assert_int_equal(hv_shm_create(SHM_SIZE, &shm), HV_OK);
	for (int i = 0; i < 3; i++)
		peer_new(&p[i], shm, false);
	reg_wr(&p[0], R_DOORBELL, 1);
	assert_int_equal(reg(&p[1], R_PENDING), 1u << 0);
	assert_true(line(&p[1], IRQ));
	assert_false(line(&p[0], IRQ));
	assert_false(line(&p[2], IRQ));
	reg_wr(&p[2], R_DOORBELL, 1);
	assert_int_equal(reg(&p[1], R_PENDING), (1u << 0) | (1u << 2));
	/* The line stays up while any bit is pending. */
	reg_wr(&p[1], R_ACK, 1u << 0);
	assert_int_equal(reg(&p[1], R_PENDING), 1u << 2);
	assert_true(line(&p[1], IRQ));
	reg_wr(&p[1], R_ACK, 1u << 2);
	assert_int_equal(reg(&p[1], R_PENDING), 0);
	assert_false(line(&p[1], IRQ));
	/* Ringing oneself works; absent and impossible peers are ignored. */
	reg_wr(&p[2], R_DOORBELL, 2);
	assert_int_equal(reg(&p[2], R_PENDING), 1u << 2);
	reg_wr(&p[2], R_ACK, 0xffffffffu);
	assert_false(line(&p[2], IRQ));
	reg_wr(&p[0], R_DOORBELL, 3);
	reg_wr(&p[0], R_DOORBELL, 31);
	reg_wr(&p[0], R_DOORBELL, 32);
	reg_wr(&p[0], R_DOORBELL, 0xffffffffu);
	for (int i = 0; i < 3; i++)
		assert_int_equal(reg(&p[i], R_PENDING), 0);
	/* A departed peer gets no doorbells, and its number is reused. */
	hv_vm_destroy(p[1].vm);
	reg_wr(&p[0], R_DOORBELL, 1);
	assert_int_equal(reg(&p[0], R_PEERS), 2);
	peer_new(&p[1], shm, false);
	assert_int_equal(reg(&p[1], R_PEER), 1);
	assert_int_equal(reg(&p[1], R_PENDING), 0);
	reg_wr(&p[0], R_DOORBELL, 1);
	assert_int_equal(reg(&p[1], R_PENDING), 1);
	/* A VM reset clears what was pending. */
	hv__vm_reset_devices(p[1].vm);
	assert_int_equal(reg(&p[1], R_PENDING), 0);
	assert_false(line(&p[1], IRQ));
	for (int i = 0; i < 3; i++)
		hv_vm_destroy(p[i].vm);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
}

static void test_shmdev_read_only_mapping_refuses_writes(void **state)
{
	hv_shm_t *shm = NULL;
	struct peer a, b;
	struct mock_vm *mb;
	uint8_t *hva;

	(void)state;
	assert_int_equal(hv_shm_create(SHM_SIZE, &shm), HV_OK);
	hva = hv_shm_hva(shm);
	peer_new(&a, shm, false);
	peer_new(&b, shm, true);
	mb = mock_vm(b.vm);
	assert_int_equal(mb->maps[mb->map_calls - 1].type, HV_REGION_SHARED);
	assert_true(mb->maps[mb->map_calls - 1].flags & HV_REGION_READONLY);
	assert_false(mock_vm(a.vm)->maps[mock_vm(a.vm)->map_calls - 1].flags & HV_REGION_READONLY);
	hva[0] = 0x42;
	assert_int_equal(hv_vm_write(b.vm, SHM_GPA, "x", 1), HV_ERR_STATE);
	assert_int_equal(hva[0], 0x42);
	/* A guest store that traps (backends map it read-only) is dropped. */
	mmio(&b, SHM_GPA, 1, true, 0x99);
	assert_int_equal(hva[0], 0x42);
	assert_int_equal(mmio(&b, SHM_GPA, 1, false, 0), 0x42);
	assert_int_equal(hv_vm_write(a.vm, SHM_GPA, "y", 1), HV_OK);
	assert_int_equal(hva[0], 'y');
	/* Doorbells work both ways regardless. */
	reg_wr(&b, R_DOORBELL, 0);
	assert_true(line(&a, IRQ));
	hv_vm_destroy(a.vm);
	hv_vm_destroy(b.vm);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
}

static void test_shmdev_add_errors_leave_nothing_mapped(void **state)
{
	hv_shm_t *shm = NULL;
	hv_vm_t *vm = ts_vm_new(0);
	hv_shmdev_config_t c;
	hv_region_t *r = NULL;
	struct ts_dev dev;

	(void)state;
	assert_int_equal(hv_shm_create(SHM_SIZE, &shm), HV_OK);
	ts_map_ram(vm, 0, 0x100000);
	c = shm_config(shm, false);
	assert_int_equal(hv_shmdev_add(NULL, &c, NULL), HV_ERR_INVALID_ARG);
	assert_int_equal(hv_shmdev_add(vm, NULL, NULL), HV_ERR_INVALID_ARG);
	c.struct_size = 0;
	assert_int_equal(hv_shmdev_add(vm, &c, NULL), HV_ERR_ABI);
	c = shm_config(NULL, false);
	assert_int_equal(hv_shmdev_add(vm, &c, NULL), HV_ERR_INVALID_ARG);
	/* The memory overlaps RAM. */
	c = shm_config(shm, false);
	c.shm_gpa = 0x80000;
	assert_int_equal(hv_shmdev_add(vm, &c, NULL), HV_ERR_OVERLAP);
	c.shm_gpa = SHM_GPA + 1;
	assert_int_equal(hv_shmdev_add(vm, &c, NULL), HV_ERR_ALIGNMENT);
	/* The registers overlap the shared memory: it is mapped, then unmapped again. */
	c = shm_config(shm, false);
	c.regs_base = SHM_GPA + 0x1000;
	assert_int_equal(hv_shmdev_add(vm, &c, NULL), HV_ERR_OVERLAP);
	assert_int_equal(hv_vm_find_region(vm, SHM_GPA, &r), HV_ERR_NOT_MAPPED);
	assert_int_equal(mock_vm(vm)->map_calls, mock_vm(vm)->unmap_calls + 1);
	/* The interrupt input is taken or out of range. */
	{
		hv_irq_route_config_t rc = HV_IRQ_ROUTE_CONFIG_INIT;
		hv_irq_line_t *l;

		rc.input = IRQ;
		assert_int_equal(hv_irq_route_add(vm, &rc, &l), HV_OK);
	}
	c = shm_config(shm, false);
	assert_int_equal(hv_shmdev_add(vm, &c, NULL), HV_ERR_BUSY);
	c.irq = 100;
	assert_int_equal(hv_shmdev_add(vm, &c, NULL), HV_ERR_RANGE);
	assert_int_equal(hv_vm_find_region(vm, SHM_GPA, &r), HV_ERR_NOT_MAPPED);
	/* The registers are taken by another device. */
	ts_dev_add(vm, &dev, HV_BUS_MMIO, REGS, 0x10);
	c.irq = IRQ + 1;
	assert_int_equal(hv_shmdev_add(vm, &c, NULL), HV_ERR_OVERLAP);
	assert_int_equal(hv_vm_find_region(vm, SHM_GPA, &r), HV_ERR_NOT_MAPPED);
	/* Nothing is attached: the object can go. */
	hv_vm_destroy(vm);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
}

static void test_shmdev_add_survives_allocation_failures(void **state)
{
	hv_shm_t *shm = NULL;
	unsigned long n;

	(void)state;
	assert_int_equal(hv_shm_create(SHM_SIZE, &shm), HV_OK);
	for (n = 1;; n++) {
		hv_vm_t *vm = ts_vm_new(0);
		hv_shmdev_config_t c = shm_config(shm, false);
		hv_status_t st;

		tp_fail_alloc_at(n);
		st = hv_shmdev_add(vm, &c, NULL);
		tp_fail_alloc_at(0);
		hv_vm_destroy(vm);
		if (st == HV_OK)
			break;
		assert_int_equal(st, HV_ERR_NO_MEMORY);
		assert_int_equal(hv_shm_destroy(shm), HV_OK);
		assert_int_equal(hv_shm_create(SHM_SIZE, &shm), HV_OK);
	}
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
}

static void test_shmdev_33rd_peer_is_over_the_limit(void **state)
{
	hv_shm_t *shm = NULL;
	hv_vm_t *vms[11];
	hv_shmdev_config_t c;
	hv_region_t *r = NULL;
	int added = 0;

	(void)state;
	assert_int_equal(hv_shm_create(SHM_SIZE, &shm), HV_OK);
	/* Three attachments per VM (a VM may attach several times, at different places). */
	for (int v = 0; v < 11; v++) {
		vms[v] = ts_vm_new(0);
		for (int k = 0; k < 3 && added < 32; k++, added++) {
			c = shm_config(shm, false);
			c.shm_gpa = SHM_GPA + (uint64_t)k * 0x100000;
			c.regs_base = REGS + (uint64_t)k * 0x1000;
			c.irq = IRQ + (uint32_t)k;
			assert_int_equal(hv_shmdev_add(vms[v], &c, NULL), HV_OK);
		}
	}
	c = shm_config(shm, false);
	c.shm_gpa = SHM_GPA + 2 * 0x100000;
	c.regs_base = REGS + 2 * 0x1000;
	c.irq = IRQ + 2;
	assert_int_equal(hv_shmdev_add(vms[10], &c, NULL), HV_ERR_LIMIT);
	assert_int_equal(hv_vm_find_region(vms[10], c.shm_gpa, &r), HV_ERR_NOT_MAPPED);
	assert_int_equal(hv_shm_destroy(shm), HV_ERR_BUSY);
	/* One leaves: there is room again. */
	hv_vm_destroy(vms[0]);
	assert_int_equal(hv_shmdev_add(vms[10], &c, NULL), HV_OK);
	for (int v = 1; v < 11; v++)
		hv_vm_destroy(vms[v]);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
}

static void test_shmdev_remove_unmaps_and_detaches(void **state)
{
	hv_shm_t *shm = NULL;
	struct peer a, b;
	hv_region_t *r = NULL;
	unsigned unmaps;

	(void)state;
	assert_int_equal(hv_shm_create(SHM_SIZE, &shm), HV_OK);
	peer_new(&a, shm, false);
	peer_new(&b, shm, false);
	assert_int_equal(hv_shm_destroy(shm), HV_ERR_BUSY);
	assert_int_equal(hv_vm_find_region(a.vm, SHM_GPA, &r), HV_OK);
	unmaps = mock_vm(a.vm)->unmap_calls;
	assert_int_equal(hv_device_remove(a.dev), HV_OK);
	assert_int_equal(mock_vm(a.vm)->unmap_calls, unmaps + 1);
	assert_int_equal(hv_vm_find_region(a.vm, SHM_GPA, &r), HV_ERR_NOT_MAPPED);
	assert_int_equal(reg(&b, R_PEERS), 1);
	/* The interrupt input is free again, and the window too. */
	{
		hv_shmdev_config_t c = shm_config(shm, true);

		assert_int_equal(hv_shmdev_add(a.vm, &c, &a.dev), HV_OK);
		assert_int_equal(reg(&a, R_PEER), 0);
		assert_int_equal(reg(&a, R_READ_ONLY), 1);
	}
	assert_int_equal(hv_shm_destroy(shm), HV_ERR_BUSY);
	hv_vm_destroy(b.vm);
	assert_int_equal(hv_shm_destroy(shm), HV_ERR_BUSY);
	hv_vm_destroy(a.vm);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
}

#define RINGS 20000u

struct ringer {
	struct peer *me;
	uint32_t to;
};

static void *ring(void *arg)
{
	struct ringer *r = arg;

	for (uint32_t i = 0; i < RINGS; i++) {
		reg_wr(r->me, R_DOORBELL, r->to);
		reg_wr(r->me, R_ACK, reg(r->me, R_PENDING));
	}
	return NULL;
}

static void test_shmdev_doorbells_from_several_threads(void **state)
{
	hv_shm_t *shm = NULL;
	struct peer p[2];
	struct ringer r[2] = { { &p[0], 1 }, { &p[1], 0 } };
	pthread_t t[2];

	(void)state;
	assert_int_equal(hv_shm_create(SHM_SIZE, &shm), HV_OK);
	peer_new(&p[0], shm, false);
	peer_new(&p[1], shm, false);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, ring, &r[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	/* Whatever is pending, the line agrees with it. */
	for (int i = 0; i < 2; i++)
		assert_int_equal(line(&p[i], IRQ), reg(&p[i], R_PENDING) != 0);
	for (int i = 0; i < 2; i++)
		hv_vm_destroy(p[i].vm);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS_TEST(test_shmdev_memory_is_shared_between_two_vms),
		TS_TEST(test_shmdev_registers_describe_the_peer),
		TS_TEST(test_shmdev_doorbells_set_pending_and_lines),
		TS_TEST(test_shmdev_read_only_mapping_refuses_writes),
		TS_TEST(test_shmdev_add_errors_leave_nothing_mapped),
		TS_TEST(test_shmdev_add_survives_allocation_failures),
		TS_TEST(test_shmdev_33rd_peer_is_over_the_limit),
		TS_TEST(test_shmdev_remove_unmaps_and_detaches),
		TS_TEST(test_shmdev_doorbells_from_several_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
