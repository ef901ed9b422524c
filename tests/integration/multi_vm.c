/* SPDX-License-Identifier: MIT */
/*
 * Several VMs in one process: three VMs run at the same time on their own threads, each
 * filling its own RAM with its own pattern and printing its own text, and all stay intact; a
 * VM that faults meanwhile disturbs none of them (the three wait at a gate in their RAM until
 * the faulting VM is gone, so they are running guest code meanwhile however fast the
 * hypervisor runs them). Shared memory: one object mapped read-write
 * into VM A and read-only into VM B at another address carries A's message to B, B's write is
 * dropped, and the object can be destroyed only once no VM maps it.
 */
#include "itest.h"

#include "guest_faults.h"
#include "guest_shm.h"
#include "guest_worker.h"

#define NVM 3

static const uint32_t patterns[NVM] = { 0x11111111u, 0xa5a5a5a5u, 0xdeadbeefu };
static const uint32_t loops[NVM] = { 150000u, 200000u, 250000u };
#define WORKER_GATE 0x4000 /* each worker spins until this word is non-zero */

static void worker_vm(struct itest_vm *t, unsigned i)
{
	const hv_reg_t regs[] = { HV_X86_RBX, HV_X86_RCX, HV_X86_RDX, HV_X86_RDI };
	const uint64_t values[] = { patterns[i], loops[i], 'A' + i, WORKER_GATE };
	char name[8];

	snprintf(name, sizeof(name), "vm%c", 'A' + i);
	itest_vm_init(t, NULL, name, 64 * 1024, 1);
	itest_load(t, guest_worker_start, guest_worker_end, GUEST_WORKER_ORG);
	itest_setup_real(t->vcpu[0], GUEST_WORKER_ORG, false);
	itest_set_regs(t->vcpu[0], regs, values, 4);
}

static void check_worker(struct itest_vm *t, unsigned i)
{
	char text[16];
	unsigned j;

	snprintf(text, sizeof(text), "vm%c:ok\n", 'A' + i);
	assert_false(t->watchdog_fired);
	assert_int_equal(t->con.poweroffs, 1);
	assert_string_equal(t->con.text, text);
	assert_int_equal(t->con.result_count, 2);
	assert_int_equal(t->con.results[0],
			 (uint32_t)((uint64_t)loops[i] * (loops[i] - 1) / 2));
	assert_int_equal(t->con.results[1], 0x600d);
	for (j = 0; j < 1024; j++)
		assert_int_equal(itest_read32(t->vm, 0x2000 + 4 * j), patterns[i]);
	assert_int_equal(itest_stop_info(t).cause, HV_EVENT_VM_STOPPED);
}

static void test_multi_vm_concurrent_and_isolated(void **state)
{
	static struct itest_vm w[NVM];
	struct itest_vm bad;
	hv_vm_state_t st;
	uint32_t go = 1;
	unsigned i;
	bool all_running = true;

	(void)state;
	for (i = 0; i < NVM; i++)
		worker_vm(&w[i], i);
	itest_vm_init(&bad, NULL, "bad", 64 * 1024, 1);
	itest_load(&bad, guest_faults_start, guest_faults_end, GUEST_FAULTS_ORG);
	itest_setup_prot32(bad.vm, bad.vcpu[0], GUEST_FAULTS_ORG, 0x8000);

	for (i = 0; i < NVM; i++) {
		itest_watchdog_start(&w[i].wd, w[i].vm, 3 * ITEST_WATCHDOG_MS);
		assert_int_equal(hv_vm_start(w[i].vm), HV_OK);
	}
	/* The faulting VM comes and goes while the others run. */
	assert_int_equal(itest_run(&bad, ITEST_WATCHDOG_MS, &st), HV_OK);
	for (i = 0; i < NVM; i++)
		all_running &= hv_vm_get_state(w[i].vm) == HV_VM_RUNNING;
	assert_false(bad.watchdog_fired);
	assert_int_equal(st, HV_VM_STOPPED);
	assert_int_equal(itest_stop_info(&bad).exit.u.fault.kind, HV_FAULT_TRIPLE);
	itest_vm_fini(&bad);

	for (i = 0; i < NVM; i++)
		assert_int_equal(hv_vm_write(w[i].vm, WORKER_GATE, &go, sizeof(go)), HV_OK);
	for (i = 0; i < NVM; i++) {
		assert_int_equal(hv_vm_wait(w[i].vm, &st), HV_OK);
		w[i].watchdog_fired = itest_watchdog_stop(&w[i].wd);
		assert_int_equal(st, HV_VM_STOPPED);
	}
	for (i = 0; i < NVM; i++) {
		check_worker(&w[i], i);
		itest_vm_fini(&w[i]);
	}
	/* Checked last so that the isolation failures above, if any, show first. */
	assert_true(all_running);
}

static void map_shm(struct itest_vm *t, hv_shm_t *shm, hv_gpa_t gpa, uint32_t flags)
{
	hv_region_config_t r = HV_REGION_CONFIG_INIT;

	r.type = HV_REGION_SHARED;
	r.name = "shared";
	r.gpa = gpa;
	r.size = HV_PAGE_SIZE;
	r.shm = shm;
	r.flags = flags;
	assert_int_equal(hv_vm_map_region(t->vm, &r, NULL), HV_OK);
}

static void test_multi_vm_shared_memory(void **state)
{
	struct itest_vm a, b;
	hv_shm_t *shm = NULL;
	const char *mem;
	char buf[16] = { 0 };

	(void)state;
	assert_int_equal(hv_shm_create(HV_PAGE_SIZE, &shm), HV_OK);
	assert_int_equal(hv_shm_size(shm), HV_PAGE_SIZE);
	mem = hv_shm_hva(shm);
	assert_non_null(mem);
	assert_int_equal(mem[0], 0); /* zeroed */

	itest_vm_init(&a, NULL, "A", 64 * 1024, 1);
	itest_load(&a, guest_shm_start, guest_shm_end, GUEST_SHM_ORG);
	map_shm(&a, shm, 0x10000, 0);
	itest_setup_real(a.vcpu[0], GUEST_SHM_ORG, false);
	assert_int_equal(hv_vcpu_set_reg(a.vcpu[0], HV_X86_RBX, 0x1000), HV_OK);

	itest_vm_init(&b, NULL, "B", 64 * 1024, 1);
	itest_load(&b, guest_shm_start, guest_shm_end, GUEST_SHM_ORG);
	map_shm(&b, shm, 0x20000, HV_REGION_READONLY);
	itest_setup_real(b.vcpu[0], GUEST_SHM_ORG + 0x100, false);
	assert_int_equal(hv_vcpu_set_reg(b.vcpu[0], HV_X86_RBX, 0x2000), HV_OK);

	/* A writes, then B reads. */
	itest_run_to_poweroff(&a, ITEST_WATCHDOG_MS);
	assert_string_equal(mem, "hello from A");
	itest_run_to_poweroff(&b, ITEST_WATCHDOG_MS);
	assert_string_equal(b.con.text, "hello from A|h");
	assert_string_equal(mem, "hello from A"); /* B's write was dropped */
	assert_int_equal(itest_event_count(&b, HV_EVENT_FAULT), 0);

	/* The host sees the same bytes through both VMs; B's mapping refuses host writes. */
	assert_int_equal(hv_vm_read(a.vm, 0x10000, buf, 13), HV_OK);
	assert_string_equal(buf, "hello from A");
	memset(buf, 0, sizeof(buf));
	assert_int_equal(hv_vm_read(b.vm, 0x20000, buf, 13), HV_OK);
	assert_string_equal(buf, "hello from A");
	assert_int_equal(hv_vm_write(b.vm, 0x20000, "Z", 1), HV_ERR_STATE);
	assert_int_equal(hv_vm_write(a.vm, 0x10005, "_", 1), HV_OK);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(hv_vm_read(b.vm, 0x20000, buf, 13), HV_OK);
	assert_string_equal(buf, "hello_from A");

	/* Destroyable only when no VM maps it; it outlives the VMs. */
	assert_int_equal(hv_shm_destroy(shm), HV_ERR_BUSY);
	itest_vm_fini(&a);
	assert_int_equal(hv_shm_destroy(shm), HV_ERR_BUSY);
	assert_string_equal(mem, "hello_from A");
	itest_vm_fini(&b);
	assert_int_equal(hv_shm_destroy(shm), HV_OK);
	assert_int_equal(hv_shm_destroy(NULL), HV_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_multi_vm_concurrent_and_isolated),
		cmocka_unit_test(test_multi_vm_shared_memory),
	};

	itest_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
