/* SPDX-License-Identifier: MIT */
/*
 * The product: firmware for QEMU's virt board that embeds hvlib as its hypervisor. Core 0
 * defines the VMs and watches them; the other cores each run one vCPU, statically
 * partitioned as Bao and Jailhouse do. Two guests at once: one taking timer interrupts
 * through the virtual GIC on core 1, one with two vCPUs (PSCI CPU_ON) on cores 2 and 3.
 */
#include "vms.h"

FW_GUEST(timer);
FW_GUEST(smp);

void fw_main(void)
{
	static const uint32_t timer_cores[] = { 1 }, smp_cores[] = { 2, 3 };
	static struct fw_vm timer, smp;
	struct fw_vm *all[] = { &timer, &smp };
	hv_status_t st;
	size_t i;

	fw_printf("fw: hvlib %s at EL2 on QEMU virt\n", hv_version_str());
	fw_start_cores(4);
	st = fw_vm_create(&timer, "timer", FW_GUEST_IMAGE(timer), 1, timer_cores);
	if (st == HV_OK)
		st = fw_vm_create(&smp, "smp", FW_GUEST_IMAGE(smp), 2, smp_cores);
	if (st == HV_OK)
		st = fw_vm_start(&timer);
	if (st == HV_OK)
		st = fw_vm_start(&smp);
	if (st != HV_OK) {
		fw_printf("fw: cannot set up the guests: %s\n", hv_status_str(st));
		fw_exit(1);
	}
	fw_vm_wait_all(all, 2);
	for (i = 0; i < 2; i++) {
		fw_vm_report(all[i]);
		hv_vm_destroy(all[i]->vm);
	}
	fw_printf("fw: all guests ended\n");
}
