/* SPDX-License-Identifier: MIT */
/* Interrupt routes: lines from devices to inputs of the guest's interrupt controller. */
#include "hv_internal.h"

hv_status_t hv_irq_route_add(hv_vm_t *vm, const hv_irq_route_config_t *config,
			     hv_irq_line_t **out)
{
	struct hv_irq_line *l;

	if (vm == NULL || config == NULL || out == NULL)
		return HV_ERR_INVALID_ARG;
	if (HV__CHECK_STRUCT(config, hv_irq_route_config_t) != HV_OK)
		return HV_ERR_ABI;
	if ((unsigned)config->trigger > HV_IRQ_EDGE || (config->flags & ~HV_IRQ_ROUTE_HOST) != 0)
		return HV_ERR_INVALID_ARG;
	if (!hv__vm_quiescent(vm))
		return HV_ERR_STATE;
	if ((vm->caps.flags & HV_CAP_IRQCHIP) == 0 || vm->backend->irq_set == NULL)
		return HV_ERR_UNSUPPORTED;
	if (config->input >= vm->caps.irq_inputs)
		return HV_ERR_RANGE;
	if ((config->flags & HV_IRQ_ROUTE_HOST) &&
	    ((vm->caps.flags & HV_CAP_IRQ_PASSTHROUGH) == 0 || vm->backend->irq_host == NULL))
		return HV_ERR_UNSUPPORTED;
	for (l = vm->lines; l != NULL; l = l->next)
		if (l->input == config->input)
			return HV_ERR_BUSY;
	l = hv__alloc(sizeof(*l));
	if (l == NULL)
		return HV_ERR_NO_MEMORY;
	l->name = hv__strdup(config->name != NULL ? config->name : "irq");
	if (l->name == NULL) {
		hv__free(l, sizeof(*l));
		return HV_ERR_NO_MEMORY;
	}
	if (config->flags & HV_IRQ_ROUTE_HOST) {
		hv_status_t st = vm->backend->irq_host(vm->bstate, config->input, config->host_irq,
						       config->trigger, true);

		if (st != HV_OK) {
			hv__strfree(l->name);
			hv__free(l, sizeof(*l));
			return st;
		}
		l->host = true;
		l->host_irq = config->host_irq;
	}
	l->vm = vm;
	l->input = config->input;
	l->trigger = config->trigger;
	l->next = vm->lines;
	vm->lines = l;
	*out = l;
	return HV_OK;
}

void hv__irq_route_remove(hv_irq_line_t *line)
{
	struct hv_irq_line **pp;

	for (pp = &line->vm->lines; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == line) {
			*pp = line->next;
			break;
		}
	}
	if (line->host)
		line->vm->backend->irq_host(line->vm->bstate, line->input, line->host_irq,
					    line->trigger, false);
	else if (line->level)
		line->vm->backend->irq_set(line->vm->bstate, line->input, false);
	hv__strfree(line->name);
	hv__free(line, sizeof(*line));
}

void hv__vm_release_lines(hv_vm_t *vm)
{
	struct hv_irq_line *l = vm->lines;

	while (l != NULL) {
		struct hv_irq_line *next = l->next;

		if (l->host)
			vm->backend->irq_host(vm->bstate, l->input, l->host_irq, l->trigger, false);
		hv__strfree(l->name);
		hv__free(l, sizeof(*l));
		l = next;
	}
	vm->lines = NULL;
}

static hv_status_t hv__line_set(hv_irq_line_t *line, bool level)
{
	hv_vm_t *vm;

	if (line == NULL)
		return HV_ERR_INVALID_ARG;
	if (line->host)
		return HV_ERR_UNSUPPORTED; /* the host's interrupt drives it */
	vm = line->vm;
	__atomic_store_n(&line->level, (uint8_t)level, __ATOMIC_RELEASE);
	if (vm->backend->irq_set(vm->bstate, line->input, level) != HV_OK) {
		HV_LOGD("vm %s: irq %s (input %u) refused by the backend", vm->name, line->name,
			line->input);
		return HV_ERR_BACKEND;
	}
	return HV_OK;
}

hv_status_t hv_irq_line_raise(hv_irq_line_t *line)
{
	return hv__line_set(line, true);
}

hv_status_t hv_irq_line_lower(hv_irq_line_t *line)
{
	return hv__line_set(line, false);
}

hv_status_t hv_irq_line_pulse(hv_irq_line_t *line)
{
	hv_status_t st = hv__line_set(line, true);

	if (st != HV_OK)
		return st;
	return hv__line_set(line, false);
}

bool hv_irq_line_level(const hv_irq_line_t *line)
{
	return line != NULL && __atomic_load_n(&line->level, __ATOMIC_ACQUIRE) != 0;
}

uint32_t hv_irq_line_input(const hv_irq_line_t *line)
{
	return line != NULL ? line->input : UINT32_MAX;
}

hv_status_t hv_vm_signal_msi(hv_vm_t *vm, uint64_t address, uint32_t data)
{
	if (vm == NULL)
		return HV_ERR_INVALID_ARG;
	if ((vm->caps.flags & HV_CAP_MSI) == 0 || vm->backend->msi == NULL)
		return HV_ERR_UNSUPPORTED;
	if (vm->backend->msi(vm->bstate, address, data) != HV_OK)
		return HV_ERR_BACKEND;
	return HV_OK;
}
