/* SPDX-License-Identifier: MIT */
#include "vms.h"

static size_t fw_vm_console(void *ctx, const uint8_t *buf, size_t len)
{
	struct fw_vm *g = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] != '\n' && g->line_len < sizeof(g->line) - 1) {
			g->line[g->line_len++] = (char)buf[i];
			continue;
		}
		g->line[g->line_len] = 0;
		fw_printf("[%s] %s\n", g->name, g->line);
		g->line_len = 0;
		if (buf[i] != '\n')
			g->line[g->line_len++] = (char)buf[i];
	}
	return len;
}

static const hv_chardev_ops_t fw_vm_console_ops = {
	.struct_size = sizeof(hv_chardev_ops_t),
	.version = HV_CHARDEV_OPS_VERSION,
	.write = fw_vm_console,
};

hv_chardev_t fw_vm_console_stream(struct fw_vm *g)
{
	hv_chardev_t c = { &fw_vm_console_ops, g };

	g->line_len = 0;
	return c;
}

hv_status_t fw_vm_create(struct fw_vm *g, const char *name, const void *image, size_t size,
			 uint32_t vcpus, const uint32_t *cores)
{
	return fw_vm_create_ram(g, name, image, size, vcpus, cores, FW_GUEST_RAM_SIZE, false);
}

static hv_status_t fw_vm_create_common(struct fw_vm *g, const char *name, const void *image,
				       size_t size, uint32_t vcpus, const uint32_t *cores,
				       uint64_t ram_size, bool uart_passthrough, uint32_t slice_us);

hv_status_t fw_vm_create_ram(struct fw_vm *g, const char *name, const void *image, size_t size,
			     uint32_t vcpus, const uint32_t *cores, uint64_t ram_size,
			     bool uart_passthrough)
{
	return fw_vm_create_common(g, name, image, size, vcpus, cores, ram_size, uart_passthrough,
				   0);
}

hv_status_t fw_vm_create_sliced(struct fw_vm *g, const char *name, const void *image, size_t size,
				uint32_t vcpus, const uint32_t *cores, uint32_t slice_us)
{
	return fw_vm_create_common(g, name, image, size, vcpus, cores, FW_GUEST_RAM_SIZE, false,
				   slice_us);
}

static hv_status_t fw_vm_create_common(struct fw_vm *g, const char *name, const void *image,
				       size_t size, uint32_t vcpus, const uint32_t *cores,
				       uint64_t ram_size, bool uart_passthrough, uint32_t slice_us)
{
	hv_vm_config_t cfg = HV_VM_CONFIG_INIT;
	hv_region_config_t ram = HV_REGION_CONFIG_INIT;
	hv_pl011_config_t uart = HV_PL011_CONFIG_INIT;
	hv_gpa_t entry = 0;
	hv_vcpu_t *vcpu;
	hv_status_t st;
	uint32_t i;

	if (vcpus == 0 || vcpus > FW_VM_MAX_VCPUS)
		return HV_ERR_INVALID_ARG;
	g->name = name;
	g->vcpu_count = vcpus;
	g->line_len = 0;
	cfg.name = name;
	cfg.flags = HV_VM_MANUAL_RUN;
	cfg.time_slice_us = slice_us;
	st = hv_backend_find("aarch64-el2", &cfg.backend);
	if (st == HV_OK)
		st = hv_vm_create(&cfg, &g->vm);
	if (st != HV_OK)
		return st;
	ram.type = HV_REGION_RAM;
	ram.name = "ram";
	ram.gpa = FW_GUEST_RAM;
	ram.size = ram_size;
	st = ram_size != 0 ? hv_vm_map_region(g->vm, &ram, NULL) : HV_OK; /* 0: the caller's */
	if (st == HV_OK && image != NULL)
		st = hv_elf_load(g->vm, image, size, &entry);
	uart.name = "uart";
	uart.base = 0x09000000;
	uart.irq = 33;
	uart.out.ops = &fw_vm_console_ops;
	uart.out.ctx = g;
	if (st == HV_OK && uart_passthrough) {
		hv_region_config_t pt = HV_REGION_CONFIG_INIT;

		pt.type = HV_REGION_PASSTHROUGH;
		pt.name = "uart";
		pt.gpa = FW_UART_BASE;
		pt.size = 0x1000;
		pt.hva = (void *)(uintptr_t)FW_UART_BASE; /* identity-mapped device memory */
		st = hv_vm_map_region(g->vm, &pt, NULL);
		if (st == HV_OK) {
			/* Its interrupt too (the firmware's own console output polls). */
			hv_irq_route_config_t r = HV_IRQ_ROUTE_CONFIG_INIT;
			hv_irq_line_t *line;

			r.input = 33;
			r.trigger = HV_IRQ_LEVEL;
			r.flags = HV_IRQ_ROUTE_HOST;
			r.host_irq = 33;
			r.name = "uart";
			st = hv_irq_route_add(g->vm, &r, &line);
		}
	} else if (st == HV_OK) {
		st = hv_pl011_add(g->vm, &uart, NULL);
	}
	for (i = 0; i < vcpus && st == HV_OK; i++) {
		g->cores[i] = cores[i];
		st = hv_vcpu_create(g->vm, i, &vcpu);
		if (st == HV_OK && i == 0 && image != NULL)
			st = hv_vcpu_set_reg(vcpu, HV_REG_PC, entry);
	}
	if (st != HV_OK) {
		hv_vm_destroy(g->vm);
		g->vm = NULL;
	}
	return st;
}

static void fw_vm_run_vcpu(void *arg)
{
	hv_vcpu_t *vcpu = arg;
	hv_status_t st = hv_vcpu_run(vcpu);

	if (st != HV_OK && st != HV_ERR_STATE)
		fw_printf("fw: vm %s: vcpu %u: %s\n", hv_vm_name(hv_vcpu_vm(vcpu)),
			  hv_vcpu_index(vcpu), hv_status_str(st));
}

hv_status_t fw_vm_start(struct fw_vm *g)
{
	hv_status_t st = hv_vm_start(g->vm);
	uint32_t i;

	if (st != HV_OK)
		return st;
	for (i = 0; i < g->vcpu_count; i++)
		fw_core_run(g->cores[i], fw_vm_run_vcpu, hv_vcpu_get(g->vm, i));
	return HV_OK;
}

static void fw_sched_run(void *arg)
{
	struct fw_sched *s = arg;
	uint32_t i, k, j, running;

	do {
		running = 0;
		for (i = 0; i < s->count; i++) {
			hv_vm_t *vm = s->vm[i]->vm;

			for (k = 0; k < s->priority[i]; k++) {
				uint64_t t0 = fw_ticks();

				if (hv_vm_get_state(vm) != HV_VM_RUNNING)
					break;
				for (j = 0; j < s->vm[i]->vcpu_count; j++) {
					hv_vcpu_t *vcpu = hv_vcpu_get(vm, j);
					hv_exit_t *exit;

					while (hv_vcpu_run_once(vcpu, &exit) == HV_OK &&
					       exit->reason != HV_EXIT_KICK &&
					       hv_vcpu_dispatch(vcpu, exit) == HV_OK)
						;
				}
				__atomic_store_n(&s->ticks[i], s->ticks[i] + (fw_ticks() - t0),
						 __ATOMIC_RELAXED);
				__atomic_store_n(&s->slices[i], s->slices[i] + 1, __ATOMIC_RELAXED);
			}
			if (hv_vm_get_state(vm) == HV_VM_RUNNING)
				running++;
		}
	} while (running > 0);
}

hv_status_t fw_sched_start(struct fw_sched *s, uint32_t core)
{
	hv_status_t st = HV_OK;
	uint32_t i, j;

	if (s->count == 0 || s->count > FW_SCHED_MAX)
		return HV_ERR_INVALID_ARG;
	for (i = 0; i < s->count && st == HV_OK; i++) {
		if (s->priority[i] == 0)
			s->priority[i] = 1;
		s->slices[i] = s->ticks[i] = 0;
		for (j = 0; j < s->vm[i]->vcpu_count; j++)
			s->vm[i]->cores[j] = core; /* for fw_vm_wait_all */
		st = hv_vm_start(s->vm[i]->vm);
	}
	if (st != HV_OK) {
		while (--i > 0)
			hv_vm_stop(s->vm[i - 1]->vm); /* those started: nobody would run them */
		return st;
	}
	fw_core_run(core, fw_sched_run, s);
	return HV_OK;
}

void fw_vm_wait_all(struct fw_vm *const *g, size_t count)
{
	size_t i;
	uint32_t j;

	for (i = 0; i < count; i++) {
		while (hv_vm_get_state(g[i]->vm) == HV_VM_RUNNING)
			fw_idle();
		for (j = 0; j < g[i]->vcpu_count; j++)
			while (fw_core_busy(g[i]->cores[j]))
				fw_idle();
	}
}

void fw_vm_report(struct fw_vm *g)
{
	hv_stop_info_t info = HV_STOP_INFO_INIT;

	if (hv_vm_get_stop_info(g->vm, &info) != HV_OK) {
		fw_printf("fw: vm %s: no stop information\n", g->name);
		return;
	}
	fw_printf("fw: vm %s stopped: %s", g->name, hv_event_type_str(info.cause));
	if (info.exit.reason == HV_EXIT_FAULT)
		fw_printf(" (%s at 0x%llx, pc 0x%llx, syndrome 0x%llx)",
			  hv_fault_kind_str(info.exit.u.fault.kind),
			  (unsigned long long)info.exit.u.fault.gpa,
			  (unsigned long long)info.exit.pc,
			  (unsigned long long)info.exit.u.fault.detail);
	fw_printf("\n");
}
