/* SPDX-License-Identifier: MIT */
/*
 * hv_pc_setup(): what a PC's BIOS leaves behind for an OS booted directly, the ACPI tables in a
 * ROM region and the PM registers; and the command-line alternative for virtio-mmio devices.
 */
#include "pc.h"

#define GPA_32BIT (1ull << 32)

static bool port_answers(const hv_vm_t *vm, uint16_t port)
{
	return hv__rangemap_find(&vm->pio, port) != NULL;
}

static hv_status_t pc_check(const hv_vm_t *vm, const hv_pc_config_t *c, struct hv__acpi_desc *d)
{
	uint32_t i;

	d->vcpu_count = c->vcpu_count != 0 ? c->vcpu_count : vm->vcpu_count;
	d->gpa = c->tables_gpa != 0 ? c->tables_gpa : HV_PC_TABLES_GPA;
	d->pm_port = c->pm_port != 0 ? c->pm_port : HV_PC_PM_PORT;
	d->sci_irq = c->sci_irq != 0 ? c->sci_irq : HV_PC_SCI_IRQ;
	d->virtio = c->virtio;
	d->virtio_count = c->virtio_count;
	if (d->vcpu_count == 0 || d->vcpu_count > HV_PC_VCPU_MAX)
		return HV_ERR_INVALID_ARG;
	if (d->virtio_count > HV_PC_VIRTIO_MAX || (d->virtio == NULL && d->virtio_count != 0))
		return HV_ERR_INVALID_ARG;
	if (d->sci_irq == 2 || d->sci_irq >= vm->caps.irq_inputs)
		return HV_ERR_INVALID_ARG;
	if ((uint32_t)d->pm_port + HV_PC_PM_SIZE > 0x10000u)
		return HV_ERR_INVALID_ARG;
	if (d->gpa >= GPA_32BIT || GPA_32BIT - d->gpa < HV_PC_TABLES_SIZE)
		return HV_ERR_RANGE; /* the RSDT and the FADT hold 32-bit pointers */
	for (i = 0; i < d->virtio_count; i++) {
		if (d->virtio[i].base >= GPA_32BIT ||
		    GPA_32BIT - d->virtio[i].base < HV_VIRTIO_MMIO_SIZE)
			return HV_ERR_RANGE; /* Memory32Fixed */
	}
	/*
	 * The 8042 boot flag tells the OS to probe a keyboard and a mouse behind the controller.
	 * hvlib's i8042 has neither (it is there for resets, which OSes request through port 0x64
	 * without looking at the flag), so the flag stays clear and the OS does not spend its
	 * probe's time-outs (a quarter of a second of Linux's boot) on devices that are not there.
	 */
	d->i8042 = false;
	d->rtc = port_answers(vm, 0x70);
	d->reset_reg = port_answers(vm, 0xcf9);
	return HV_OK;
}

hv_status_t hv_pc_setup(hv_vm_t *vm, const hv_pc_config_t *config)
{
	hv_region_config_t rc = HV_REGION_CONFIG_INIT;
	struct hv__acpi_desc d;
	hv_region_t *region = NULL;
	uint8_t *tables = NULL;
	size_t used;
	hv_status_t st;

	if (vm == NULL || config == NULL)
		return HV_ERR_INVALID_ARG;
	if (HV__CHECK_STRUCT(config, hv_pc_config_t) != HV_OK)
		return HV_ERR_ABI;
	if ((vm->caps.flags & HV_CAP_PIO) == 0)
		return HV_ERR_UNSUPPORTED;
	hv__memset(&d, 0, sizeof(d));
	st = pc_check(vm, config, &d);
	if (st != HV_OK)
		return st;

	tables = hv__alloc(HV_PC_TABLES_SIZE);
	if (tables == NULL)
		return HV_ERR_NO_MEMORY;
	st = hv__acpi_build(&d, tables, HV_PC_TABLES_SIZE, &used);
	if (st != HV_OK)
		goto out;
	rc.type = HV_REGION_ROM;
	rc.name = "acpi-tables";
	rc.gpa = d.gpa;
	rc.size = HV_PC_TABLES_SIZE;
	st = hv_vm_map_region(vm, &rc, &region);
	if (st != HV_OK)
		goto out;
	st = hv_vm_write(vm, d.gpa, tables, used);
	if (st == HV_OK)
		st = hv__pm_add(vm, d.pm_port, NULL);
	if (st != HV_OK)
		hv_vm_unmap_region(region);
out:
	hv__free(tables, HV_PC_TABLES_SIZE);
	return st;
}

/* "virtio_mmio.device=512@0x<base>:<irq>", space-separated. */
hv_status_t hv_pc_virtio_cmdline(const hv_pc_virtio_t *devs, uint32_t count, char *buf, size_t size,
				 size_t *len)
{
	char one[64];
	size_t total = 0, n;
	uint32_t i;

	if (len == NULL || (devs == NULL && count != 0) || (buf == NULL && size != 0))
		return HV_ERR_INVALID_ARG;
	for (i = 0; i < count; i++) {
		n = hv__snprintf(one, sizeof(one), "%svirtio_mmio.device=%u@0x%llx:%u",
				 i > 0 ? " " : "", HV_VIRTIO_MMIO_SIZE,
				 (unsigned long long)devs[i].base, devs[i].irq);
		if (total + n < size)
			hv__memcpy(buf + total, one, n);
		total += n;
	}
	*len = total;
	if (total >= size)
		return HV_ERR_RANGE;
	buf[total] = '\0';
	return HV_OK;
}
