/* SPDX-License-Identifier: MIT */
/*
 * Firmware for a PC that embeds hvlib with its x86 VMX backend. GRUB loads it (multiboot2);
 * boot.S enters long mode; this file installs the platform ops and then defines and runs VMs
 * with the public API only, exactly as a program on KVM does. Each scenario prints
 * "RESULT <name> PASS" or "RESULT <name> FAIL: <why>"; the tests read those lines from
 * port 0xE9 (Bochs's console). One core runs every vCPU: VMs are time-sliced by the VMX
 * preemption timer (a slice ends with HV_EXIT_KICK from hv_vcpu_run_once()).
 */
#include "fw.h"

#define GUEST_LOAD 0x8000
#define GUEST_RAM (2u << 20)
#define ROM_GPA 0xfffff000ull
#define SCRATCH_GPA 0xd0000000ull
#define MAX_VMS 2
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define GUEST_SYM(name)                                                                           \
	extern const uint8_t guest_##name##_start[], guest_##name##_end[]
GUEST_SYM(basic);
GUEST_SYM(doomed);
GUEST_SYM(survivor);
GUEST_SYM(timer);
GUEST_SYM(iso);
GUEST_SYM(bench);
GUEST_SYM(hostile);
GUEST_SYM(smp);
#define GUEST_IMAGE(name) guest_##name##_start, (size_t)(guest_##name##_end - guest_##name##_start)

/* Multiboot2 modules (tag 3) GRUB loaded, by the name on their module2 line. */
struct module {
	const char *name;
	const uint8_t *data;
	size_t size;
};

static const hv_backend_t *backend;
static unsigned failures_total;

/* ---- host exceptions (boot.S) ------------------------------------------------------------ */

void fw_exception(uint64_t vector, const uint64_t *frame)
{
	uint64_t cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	fw_printf("HOST EXCEPTION %u error 0x%lx rip 0x%lx cr2 0x%lx\n", (unsigned)vector,
		  frame[1], frame[2], cr2);
	fw_shutdown();
}

/* ---- one VM: its devices and state ------------------------------------------------------- */

struct scratch {
	uint8_t mem[0x1000];
	struct {
		uint16_t off;
		uint8_t width, is_write;
		uint64_t value;
	} trace[48];
	unsigned count;
};

struct vm {
	const char *name;
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;     /* the boot vCPU */
	hv_vcpu_t *ap;       /* a second vCPU, or NULL */
	hv_region_t *rom;
	bool line_start;
	bool exited; /* through the exit port */
	uint8_t exit_code;
	unsigned seq;           /* the counting port's next value */
	unsigned priority;      /* time slices per round */
	unsigned slices;        /* slices it ran */
	unsigned shared_slices; /* of which while every VM of its run_vms() call was running */
	uint64_t shared_ticks;  /* TSC ticks those shared slices took */
	uint64_t deadline;      /* TSC at which run_vms() stops it; 0: none */
	const char *marker;     /* a console line to watch for (the start of the line) */
	uint64_t marker_tsc;    /* TSC when that line was complete; 0: not seen */
	char line[96];          /* the start of the current console line */
	size_t line_len;
	struct scratch scratch;
};

/* Whether a console line is exactly text. */
static bool line_is(const char *line, const char *text)
{
	while (*line != '\0' && *line == *text)
		line++, text++;
	return *line == *text;
}

/* The guest's COM1 output, each line prefixed with the VM's name. */
static size_t con_out(void *ctx, const uint8_t *buf, size_t len)
{
	struct vm *v = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		if (v->line_start)
			fw_printf("[%s] ", v->name);
		if (buf[i] != '\r')
			con_putc((char)buf[i]);
		v->line_start = buf[i] == '\n';
		if (buf[i] == '\n') {
			v->line[v->line_len] = '\0';
			if (v->marker != NULL && v->marker_tsc == 0 && line_is(v->line, v->marker))
				v->marker_tsc = rdtsc();
			v->line_len = 0;
		} else if (buf[i] != '\r' && v->line_len < sizeof(v->line) - 1) {
			v->line[v->line_len++] = (char)buf[i];
		}
	}
	return len;
}

static const hv_chardev_ops_t con_ops = {
	.struct_size = sizeof(hv_chardev_ops_t),
	.version = HV_CHARDEV_OPS_VERSION,
	.write = con_out,
};

/* Port 0xF4: the guest's exit code; the VM stops. */
static void exit_read(void *ctx, uint64_t off, uint32_t width, uint64_t *value)
{
	(void)ctx;
	(void)off;
	(void)width;
	*value = 0;
}

static void exit_write(void *ctx, uint64_t off, uint32_t width, uint64_t value)
{
	struct vm *v = ctx;

	(void)off;
	(void)width;
	v->exited = true;
	v->exit_code = (uint8_t)value;
	hv_vm_stop(v->vm);
}

static void null_write(void *ctx, uint64_t off, uint32_t width, uint64_t value)
{
	(void)ctx;
	(void)off;
	(void)width;
	(void)value;
}

static const hv_device_ops_t null_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = exit_read,
	.write = null_write,
};

/* Port 0x510: reads give 0, 1, 2, ... (for REP INSB); a write restarts the count. */
static void seq_read(void *ctx, uint64_t off, uint32_t width, uint64_t *value)
{
	struct vm *v = ctx;

	(void)off;
	(void)width;
	*value = v->seq++ & 0xff;
}

static void seq_write(void *ctx, uint64_t off, uint32_t width, uint64_t value)
{
	(void)off;
	(void)width;
	(void)value;
	((struct vm *)ctx)->seq = 0;
}

static const hv_device_ops_t seq_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = seq_read,
	.write = seq_write,
};

static const hv_device_ops_t exit_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = exit_read,
	.write = exit_write,
};

/* A page of scratch registers that records the first accesses it sees. */
static void scratch_read(void *ctx, uint64_t off, uint32_t width, uint64_t *value)
{
	struct scratch *s = &((struct vm *)ctx)->scratch;
	uint64_t v = 0;

	if (off + width <= sizeof(s->mem))
		memcpy(&v, s->mem + off, width);
	if (s->count < ARRAY_SIZE(s->trace)) {
		s->trace[s->count].off = (uint16_t)off;
		s->trace[s->count].width = (uint8_t)width;
		s->trace[s->count].is_write = 0;
		s->trace[s->count].value = v;
	}
	s->count++;
	*value = v;
}

static void scratch_write(void *ctx, uint64_t off, uint32_t width, uint64_t value)
{
	struct scratch *s = &((struct vm *)ctx)->scratch;

	if (off + width <= sizeof(s->mem))
		memcpy(s->mem + off, &value, width);
	if (s->count < ARRAY_SIZE(s->trace)) {
		s->trace[s->count].off = (uint16_t)off;
		s->trace[s->count].width = (uint8_t)width;
		s->trace[s->count].is_write = 1;
		s->trace[s->count].value = value;
	}
	s->count++;
}

static const hv_device_ops_t scratch_ops = {
	.struct_size = sizeof(hv_device_ops_t),
	.version = HV_DEVICE_OPS_VERSION,
	.read = scratch_read,
	.write = scratch_write,
};

static bool check(hv_status_t st, const char *what)
{
	if (st != HV_OK)
		fw_printf("error: %s: %s\n", what, hv_status_str(st));
	return st == HV_OK;
}

/*
 * A PC-like VM: 2 MiB of RAM at 0 holding the guest at 0x8000, a 4 KiB ROM at the top of the
 * 4 GiB space whose reset vector jumps there, COM1 (IRQ 4), the exit port and a scratch device.
 */
/* The time slice vm_build() asks for (hv_vm_config_t.time_slice_us); 0: the backend's. */
static uint32_t build_slice_us;

static bool vm_build(struct vm *v, const char *name, const uint8_t *image, size_t size,
		     hv_unmapped_t unmapped)
{
	hv_vm_config_t cfg = HV_VM_CONFIG_INIT;
	hv_region_config_t ram = HV_REGION_CONFIG_INIT, rom = HV_REGION_CONFIG_INIT;
	hv_uart16550_config_t uart = HV_UART16550_CONFIG_INIT;
	hv_device_config_t dev = HV_DEVICE_CONFIG_INIT;
	static const uint8_t reset_jump[] = { 0xea, 0x00, 0x80, 0x00, 0x00 }; /* ljmp 0:8000 */
	uint8_t page[64];

	memset(v, 0, sizeof(*v));
	v->name = name;
	v->line_start = true;
	cfg.name = name;
	cfg.backend = backend;
	cfg.flags = HV_VM_MANUAL_RUN;
	cfg.unmapped_mmio = unmapped;
	cfg.time_slice_us = build_slice_us;
	if (!check(hv_vm_create(&cfg, &v->vm), "hv_vm_create"))
		return false;
	ram.type = HV_REGION_RAM;
	ram.name = "ram";
	ram.gpa = 0;
	ram.size = GUEST_RAM;
	rom.type = HV_REGION_ROM;
	rom.name = "rom";
	rom.gpa = ROM_GPA;
	rom.size = HV_PAGE_SIZE;
	memset(page, 0, sizeof(page));
	memcpy(page, "hvlib-rom", 9);
	if (!check(hv_vm_map_region(v->vm, &ram, NULL), "map ram") ||
	    !check(hv_vm_map_region(v->vm, &rom, &v->rom), "map rom") ||
	    !check(hv_vm_write(v->vm, ROM_GPA, page, sizeof(page)), "write rom") ||
	    !check(hv_vm_write(v->vm, ROM_GPA + 0xff0, reset_jump, sizeof(reset_jump)),
		   "write reset vector") ||
	    !check(hv_vm_write(v->vm, GUEST_LOAD, image, size), "load guest"))
		return false;
	uart.name = "com1";
	uart.bus = HV_BUS_PIO;
	uart.base = 0x3f8;
	uart.irq = 4;
	uart.out.ops = &con_ops;
	uart.out.ctx = v;
	if (!check(hv_uart16550_add(v->vm, &uart, NULL), "hv_uart16550_add"))
		return false;
	dev.name = "exit";
	dev.bus = HV_BUS_PIO;
	dev.base = 0xf4;
	dev.size = 1;
	dev.ops = &exit_ops;
	dev.ctx = v;
	if (!check(hv_device_add(v->vm, &dev, NULL), "exit device"))
		return false;
	dev.name = "post";
	dev.base = 0x80; /* the POST code port: a device that does nothing, for the benchmark */
	dev.ops = &null_ops;
	if (!check(hv_device_add(v->vm, &dev, NULL), "post device"))
		return false;
	dev.name = "seq";
	dev.base = 0x510;
	dev.ops = &seq_ops;
	if (!check(hv_device_add(v->vm, &dev, NULL), "seq device"))
		return false;
	dev.name = "scratch";
	dev.bus = HV_BUS_MMIO;
	dev.base = SCRATCH_GPA;
	dev.size = 0x1000;
	dev.ops = &scratch_ops;
	if (!check(hv_device_add(v->vm, &dev, NULL), "scratch device"))
		return false;
	return check(hv_vcpu_create(v->vm, 0, &v->vcpu), "hv_vcpu_create");
}

/*
 * Run VMs on this core until all have stopped, by priority: in each round a VM gets as many
 * time slices as its priority. A slice runs the vCPU until the backend ends it
 * (HV_EXIT_KICK, from the VMX preemption timer); every other exit is dispatched as
 * hv_vcpu_run() would.
 */
static void run_vms(struct vm *vms, int n)
{
	int i, running = 0;
	unsigned k;

	for (i = 0; i < n; i++) {
		if (vms[i].priority == 0)
			vms[i].priority = 1;
		if (check(hv_vm_start(vms[i].vm), "hv_vm_start"))
			running++;
	}
	while (running > 0) {
		bool all = running == n;

		running = 0;
		for (i = 0; i < n; i++) {
			for (k = 0; k < vms[i].priority; k++) {
				hv_exit_t *exit;

				if (hv_vm_get_state(vms[i].vm) != HV_VM_RUNNING)
					break;
				if (vms[i].deadline != 0 && rdtsc() > vms[i].deadline) {
					fw_printf("%s: out of time, stopped\n", vms[i].name);
					hv_vm_stop(vms[i].vm);
					break;
				}
				hv_vcpu_t *cpus[2] = { vms[i].vcpu, vms[i].ap };
				uint64_t t0 = rdtsc();
				unsigned c;

				vms[i].slices++;
				vms[i].shared_slices += all;
				for (c = 0; c < 2 && cpus[c] != NULL; c++)
					while (hv_vcpu_run_once(cpus[c], &exit) == HV_OK &&
					       exit->reason != HV_EXIT_KICK &&
					       hv_vcpu_dispatch(cpus[c], exit) == HV_OK)
						;
				if (all)
					vms[i].shared_ticks += rdtsc() - t0;
			}
			if (hv_vm_get_state(vms[i].vm) == HV_VM_RUNNING)
				running++;
		}
	}
	for (i = 0; i < n; i++)
		hv_vm_wait(vms[i].vm, NULL);
}

static hv_stop_info_t stop_info(struct vm *v)
{
	hv_stop_info_t info = HV_STOP_INFO_INIT;

	hv_vm_get_stop_info(v->vm, &info);
	return info;
}

static void result(const char *scenario, const char *why)
{
	if (why == NULL) {
		fw_printf("RESULT %s PASS\n", scenario);
	} else {
		fw_printf("RESULT %s FAIL: %s\n", scenario, why);
		failures_total++;
	}
}

static void destroy(struct vm *vms, int n)
{
	int i;

	for (i = 0; i < n; i++)
		hv_vm_destroy(vms[i].vm);
}

static struct vm vms[MAX_VMS];

/* ---- scenarios --------------------------------------------------------------------------- */

static void scenario_basic(void)
{
	static const struct {
		uint16_t off;
		uint8_t width, is_write;
		uint64_t value;
	} expect[] = {
		{ 0x00, 4, 1, 0x11223344 }, { 0x00, 4, 0, 0x11223344 },
		{ 0x08, 1, 1, 0x85 },       { 0x08, 1, 0, 0x85 },
		{ 0x10, 8, 1, 0x0123456789abcdefull }, { 0x10, 8, 0, 0x0123456789abcdefull },
		{ 0x18, 2, 1, 0xcdef },     { 0x18, 2, 0, 0xcdef },
		{ 0x20, 1, 1, 0x77 },       { 0x20, 1, 0, 0x77 },
		{ 0x40, 4, 1, 0x5a5aa5a5 }, { 0x40, 4, 0, 0x5a5aa5a5 },
		{ 0x60, 4, 1, 0xcafef00d }, { 0x60, 4, 0, 0xcafef00d },
		/* read-modify-write and friends: a read, then a write if the result goes there */
		{ 0x80, 4, 1, 0x0f0f00ff }, { 0x80, 4, 0, 0x0f0f00ff }, /* movl, orl */
		{ 0x80, 4, 1, 0x3f0f00ff }, { 0x80, 2, 0, 0x00ff },     /* andw */
		{ 0x80, 2, 1, 0x000f },     { 0x80, 1, 0, 0x0f },       /* addb */
		{ 0x80, 1, 1, 0x10 },       { 0x80, 4, 0, 0x3f0f0010 }, /* subl */
		{ 0x80, 4, 1, 0x3f0f0000 }, { 0x80, 4, 0, 0x3f0f0000 }, /* cmpl */
		{ 0x81, 1, 0, 0x00 },                                   /* testb */
		{ 0x80, 4, 0, 0x3f0f0000 }, { 0x80, 4, 1, 5 },          /* xchg */
		{ 0x80, 4, 0, 5 },                                      /* add into %ecx */
		{ 0x80, 4, 0, 5 },          { 0x80, 4, 1, 6 },          /* adcl */
		{ 0x80, 4, 0, 6 },          { 0x80, 4, 1, 0xffffffff }, /* subl */
		{ 0x80, 4, 0, 0xffffffff }, { 0x80, 4, 1, 0 },          /* incl */
		{ 0x80, 4, 0, 0 },          { 0x80, 4, 1, 0 },          /* negl */
		{ 0x80, 2, 0, 0 },          { 0x80, 2, 1, 0xffff },     /* notw */
		{ 0x80, 1, 0, 0xff },       { 0x80, 1, 1, 0xfe },       /* decb */
		{ 0x80, 4, 0, 0xfffe },                                 /* cmpl */
	};
	struct vm *v = &vms[0];
	hv_stop_info_t info;
	size_t i;

	fw_printf("== scenario basic\n");
	if (!vm_build(v, "basic", GUEST_IMAGE(basic), HV_UNMAPPED_FAULT)) {
		result("basic", "cannot build the VM");
		return;
	}
	run_vms(v, 1);
	info = stop_info(v);
	fw_printf("basic: stopped (%s), exit %s at pc 0x%lx; %u scratch accesses\n",
		  hv_event_type_str(info.cause), hv_exit_reason_str(info.exit.reason),
		  info.exit.pc, v->scratch.count);
	if (info.exit.reason != HV_EXIT_HALT) {
		result("basic", "the VM did not end with HLT");
	} else if (v->scratch.count != ARRAY_SIZE(expect)) {
		result("basic", "wrong number of MMIO accesses");
	} else {
		const char *why = NULL;

		for (i = 0; i < ARRAY_SIZE(expect) && why == NULL; i++) {
			if (v->scratch.trace[i].off != expect[i].off ||
			    v->scratch.trace[i].width != expect[i].width ||
			    v->scratch.trace[i].is_write != expect[i].is_write ||
			    v->scratch.trace[i].value != expect[i].value) {
				fw_printf("basic: access %u: off 0x%x width %u write %u value 0x%lx\n",
					  (unsigned)i, v->scratch.trace[i].off,
					  v->scratch.trace[i].width, v->scratch.trace[i].is_write,
					  v->scratch.trace[i].value);
				why = "an MMIO access was decoded wrongly";
			}
		}
		result("basic", why);
	}
	destroy(v, 1);
}

static void scenario_triple_fault(void)
{
	hv_stop_info_t a, b;

	fw_printf("== scenario triple_fault\n");
	if (!vm_build(&vms[0], "doomed", GUEST_IMAGE(doomed), HV_UNMAPPED_FAULT) ||
	    !vm_build(&vms[1], "survivor", GUEST_IMAGE(survivor), HV_UNMAPPED_FAULT)) {
		result("triple_fault", "cannot build the VMs");
		return;
	}
	run_vms(vms, 2);
	a = stop_info(&vms[0]);
	b = stop_info(&vms[1]);
	fw_printf("doomed: %s, %s (%s); survivor: %s, exit code %u after %u slices\n",
		  hv_event_type_str(a.cause), hv_exit_reason_str(a.exit.reason),
		  a.exit.reason == HV_EXIT_FAULT ? hv_fault_kind_str(a.exit.u.fault.kind) : "-",
		  hv_event_type_str(b.cause), vms[1].exit_code, vms[1].slices);
	if (a.cause != HV_EVENT_FAULT || a.exit.reason != HV_EXIT_FAULT ||
	    a.exit.u.fault.kind != HV_FAULT_TRIPLE)
		result("triple_fault", "the doomed VM did not stop with a triple fault");
	else if (!vms[1].exited || vms[1].exit_code != 0)
		result("triple_fault", "the survivor did not finish");
	else if (vms[1].slices < 2)
		result("triple_fault", "the survivor never ran after the fault");
	else
		result("triple_fault", NULL);

	/* Both back to their boot state (registers of the first start, devices reset): again. */
	fw_printf("== scenario reset\n");
	vms[1].exited = false;
	vms[1].exit_code = 0xff;
	if (!check(hv_vm_reset(vms[0].vm), "hv_vm_reset doomed") ||
	    !check(hv_vm_reset(vms[1].vm), "hv_vm_reset survivor")) {
		result("reset", "hv_vm_reset failed");
	} else {
		run_vms(vms, 2);
		a = stop_info(&vms[0]);
		if (a.exit.reason != HV_EXIT_FAULT || a.exit.u.fault.kind != HV_FAULT_TRIPLE)
			result("reset", "the doomed VM did not triple-fault again");
		else if (!vms[1].exited || vms[1].exit_code != 0)
			result("reset", "the survivor did not run to its end again");
		else
			result("reset", NULL);
	}
	destroy(vms, 2);
}

static void scenario_timer(void)
{
	struct vm *v = &vms[0];

	fw_printf("== scenario timer\n");
	if (!vm_build(v, "timer", GUEST_IMAGE(timer), HV_UNMAPPED_FAULT)) {
		result("timer", "cannot build the VM");
		return;
	}
	run_vms(v, 1);
	if (!v->exited)
		result("timer", "the guest did not finish");
	else if (v->exit_code != 0)
		result("timer", "the guest counted failures");
	else
		result("timer", NULL);
	destroy(v, 1);
}

/* A guest that attacks the hypervisor: refused, then stopped alone; the firmware goes on. */
static void scenario_hostile(void)
{
	struct vm *v = &vms[0];
	hv_stop_info_t info;

	fw_printf("== scenario hostile\n");
	if (!vm_build(v, "hostile", GUEST_IMAGE(hostile), HV_UNMAPPED_FAULT)) {
		result("hostile", "cannot build the VM");
		return;
	}
	run_vms(v, 1);
	info = stop_info(v);
	fw_printf("hostile: %s, exit %s (%s) at 0x%lx, gpa 0x%lx\n", hv_event_type_str(info.cause),
		  hv_exit_reason_str(info.exit.reason),
		  info.exit.reason == HV_EXIT_FAULT ? hv_fault_kind_str(info.exit.u.fault.kind) : "-",
		  info.exit.pc, info.exit.u.fault.gpa);
	if (v->exited)
		result("hostile", "the guest found something it could do");
	else if (info.cause != HV_EVENT_FAULT || info.exit.reason != HV_EXIT_FAULT ||
		 info.exit.u.fault.kind != HV_FAULT_EMULATION || info.exit.u.fault.gpa != SCRATCH_GPA)
		result("hostile", "the unemulated MMIO instruction did not stop the VM");
	else
		result("hostile", NULL);

	/* Unmapped, the ROM is gone from EPT too: after a reset the first fetch faults. */
	fw_printf("== scenario unmap\n");
	if (!check(hv_vm_unmap_region(v->rom), "hv_vm_unmap_region") ||
	    !check(hv_vm_reset(v->vm), "hv_vm_reset")) {
		result("unmap", "cannot unmap the ROM and reset");
	} else {
		run_vms(v, 1);
		info = stop_info(v);
		fw_printf("unmap: %s, exit %s (%s), gpa 0x%lx\n", hv_event_type_str(info.cause),
			  hv_exit_reason_str(info.exit.reason),
			  info.exit.reason == HV_EXIT_FAULT ? hv_fault_kind_str(info.exit.u.fault.kind)
							    : "-",
			  info.exit.u.fault.gpa);
		if (info.cause != HV_EVENT_FAULT || info.exit.reason != HV_EXIT_FAULT ||
		    info.exit.u.fault.kind != HV_FAULT_UNMAPPED ||
		    info.exit.u.fault.gpa != ROM_GPA + 0xff0)
			result("unmap", "the reset vector was still reachable");
		else
			result("unmap", NULL);
	}
	destroy(v, 1);
}

static uint64_t pattern(uint64_t addr, uint64_t id)
{
	return addr * 0x9e3779b97f4a7c15ull + id;
}

static void scenario_isolation(void)
{
	static const char *const names[2] = { "iso1", "iso2" };
	const char *why = NULL;
	void *hva[2];
	int i;

	fw_printf("== scenario isolation\n");
	/* 4 ms slices, asked through the public API (the backend's default is 2^21 TSC ticks). */
	build_slice_us = 4000;
	for (i = 0; i < 2; i++) {
		if (!vm_build(&vms[i], names[i], GUEST_IMAGE(iso), HV_UNMAPPED_IGNORE) ||
		    !check(hv_vm_gpa_to_hva(vms[i].vm, 0x100000, 0x100000, &hva[i]), "gpa_to_hva")) {
			build_slice_us = 0;
			result("isolation", "cannot build the VMs");
			return;
		}
	}
	build_slice_us = 0;
	/* Each guest learns where the other's RAM lies in host-physical memory, and its id. */
	for (i = 0; i < 2; i++) {
		if (!check(hv_vcpu_set_reg(vms[i].vcpu, HV_X86_RDI, (uint64_t)i + 1), "rdi") ||
		    !check(hv_vcpu_set_reg(vms[i].vcpu, HV_X86_RSI,
					   (uint64_t)(uintptr_t)hva[1 - i]), "rsi")) {
			result("isolation", "cannot set registers");
			return;
		}
	}
	vms[0].priority = 2; /* iso1 gets two slices for each of iso2's */
	fw_printf("isolation: iso1 RAM at host 0x%lx, iso2 RAM at host 0x%lx\n",
		  (uint64_t)(uintptr_t)hva[0], (uint64_t)(uintptr_t)hva[1]);
	run_vms(vms, 2);
	for (i = 0; i < 2 && why == NULL; i++) {
		const uint64_t *m = hva[i];
		uint64_t a;

		fw_printf("isolation: %s exit code %u, %u slices\n", names[i], vms[i].exit_code,
			  vms[i].slices);
		if (!vms[i].exited || vms[i].exit_code != 0)
			why = "a guest saw another VM's memory or lost its own";
		for (a = 0x100000; a < 0x200000 && why == NULL; a += 8)
			if (m[(a - 0x100000) / 8] != pattern(a, (uint64_t)i + 1))
				why = "the host sees a VM's memory changed";
		if (vms[i].slices < 3)
			why = "the VMs were not time-sliced";
	}
	fw_printf("isolation: while both ran, iso1 (priority 2) had %u slices, iso2 (priority 1) "
		  "%u\n", vms[0].shared_slices, vms[1].shared_slices);
	if (why == NULL && (vms[0].shared_slices < 2 * vms[1].shared_slices - 2 ||
			    vms[0].shared_slices > 2 * vms[1].shared_slices + 2))
		why = "the slices did not follow the priorities";
	if (why == NULL && vms[0].shared_slices + vms[1].shared_slices == 0)
		why = "the VMs never ran side by side";
	if (why == NULL) {
		/* The compute-bound guests use their slices whole: each lasts the 4 ms asked for. */
		uint64_t want = 4000 * (clock_tsc_hz() / 1000) / 1000;
		uint64_t got = (vms[0].shared_ticks + vms[1].shared_ticks) /
			       (vms[0].shared_slices + vms[1].shared_slices);

		fw_printf("isolation: a slice took %lu TSC ticks on average, 4 ms is %lu\n", got,
			  want);
		if (got < want * 3 / 4 || got > want * 3 / 2)
			why = "the slices did not last the time_slice_us asked for";
	}
	result("isolation", why);
	destroy(vms, 2);
}

/*
 * Figures: TSC ticks per round trip measured by the guest (Bochs advances the TSC by one per
 * emulated instruction, guest and hypervisor alike), less the empty loop's.
 */
static void scenario_bench(void)
{
	static const char *const what[] = {
		"pio_exit_round_trip",      /* OUT: exit, decode, core dispatch, device, entry */
		"cpuid_exit_round_trip",    /* handled inside the backend */
		"lapic_mmio_exit_round_trip", /* EPT violation decoded and served in the backend */
		"mmio_exit_round_trip",     /* EPT violation decoded, dispatched by the core */
		"self_ipi_round_trip",      /* ICR write exit + injection + handler + EOI exit */
	};
	struct vm *v = &vms[0];
	uint64_t r[7], n = 1000;
	unsigned i;

	fw_printf("== scenario bench\n");
	if (!vm_build(v, "bench", GUEST_IMAGE(bench), HV_UNMAPPED_FAULT)) {
		result("bench", "cannot build the VM");
		return;
	}
	run_vms(v, 1);
	memcpy(r, v->scratch.mem, sizeof(r));
	if (!v->exited || v->exit_code != 0 || r[6] != n) {
		hv_stop_info_t info = stop_info(v);

		fw_printf("bench: %s, exit %s at 0x%lx, code %u, %lu IPIs handled\n",
			  hv_event_type_str(info.cause), hv_exit_reason_str(info.exit.reason),
			  info.exit.pc, v->exit_code, r[6]);
		result("bench", "the benchmark guest did not finish");
	} else {
		/* Three instructions (MOV, DEC, JNZ): shows what a tick is. */
		fw_printf("BENCH empty_loop_iteration %lu ticks\n", r[0] / n);
		for (i = 0; i < 5; i++)
			fw_printf("BENCH %s %lu ticks\n", what[i], (r[i + 1] - r[0]) / n);
		/* An IPI costs two LAPIC exits; what remains is injection and the handler. */
		fw_printf("BENCH interrupt_injection_and_handler %lu ticks\n",
			  (r[5] - r[0]) / n - 2 * ((r[3] - r[0]) / n));
		result("bench", NULL);
	}
	destroy(v, 1);
}

/* Two vCPUs of one VM on this core: the AP starts on INIT and STARTUP IPIs only. */
static void scenario_smp(void)
{
	struct vm *v = &vms[0];

	fw_printf("== scenario smp\n");
	if (!vm_build(v, "smp", GUEST_IMAGE(smp), HV_UNMAPPED_FAULT) ||
	    !check(hv_vcpu_create(v->vm, 1, &v->ap), "hv_vcpu_create 1")) {
		result("smp", "cannot build the VM");
		return;
	}
	run_vms(v, 1);
	{
		hv_stop_info_t info = stop_info(v);

		fw_printf("smp: %s on vcpu %u, exit %s at 0x%lx (fault gpa 0x%lx), code 0x%x\n",
			  hv_event_type_str(info.cause), info.vcpu_index,
			  hv_exit_reason_str(info.exit.reason), info.exit.pc,
			  info.exit.u.fault.gpa, v->exit_code);
	}
	if (!v->exited)
		result("smp", "the guest did not finish");
	else if (v->exit_code == 0x55)
		result("smp", "the AP ran from the reset vector");
	else if (v->exit_code != 0)
		result("smp", "the AP did not start as it should");
	else
		result("smp", NULL);
	destroy(v, 1);
}

/*
 * An unmodified Linux (Debian's kernel, its vmlinux booted through PVH) with a busybox
 * initramfs, on a PC built with the public API as hvrun builds one on KVM: RAM below 640 KiB
 * and from 1 MiB, the PC platform pieces, COM1, ACPI tables. The guest's /init prints
 * LINUX_MARKER first, then powers off (ACPI S5).
 */
#define LINUX_RAM (192ull << 20)
#define LINUX_MARKER "HVLIB-VMX-INIT"
#define LINUX_CPUS 2 /* the boot CPU and one AP, both on this core */
#define LINUX_CMDLINE \
	"earlyprintk=serial,ttyS0 console=ttyS0 reboot=k panic=-1 pci=off tsc=reliable mce=off"
#define LINUX_DISK_GPA 0xd0000000ull /* a virtio-blk window, described in the DSDT */
#define LINUX_DISK_IRQ 16
#define LINUX_DISK_LINE "HVLIB-VMX-DISK-OK" /* the disk's first line, printed by the guest */
#define LINUX_TICKS (8ull << 30) /* the firmware gives up after that many TSC ticks (4x a boot) */

static uint8_t linux_disk[64 << 10];

static void scenario_linux(const struct module *kernel, const struct module *initrd)
{
	static const hv_pc_virtio_t disk_acpi = { LINUX_DISK_GPA, LINUX_DISK_IRQ };
	struct vm *v = &vms[0];
	hv_virtio_blk_config_t blk = HV_VIRTIO_BLK_CONFIG_INIT;
	hv_vm_config_t cfg = HV_VM_CONFIG_INIT;
	hv_region_config_t ram = HV_REGION_CONFIG_INIT;
	hv_uart16550_config_t uart = HV_UART16550_CONFIG_INIT;
	hv_x86_platform_config_t pc = HV_X86_PLATFORM_CONFIG_INIT;
	hv_pc_config_t acpi = HV_PC_CONFIG_INIT;
	hv_linux_config_t lc = HV_LINUX_CONFIG_INIT;
	hv_linux_info_t li = HV_LINUX_INFO_INIT;
	hv_stop_info_t info;
	uint64_t t0;

	fw_printf("== scenario linux\n");
	fw_printf("linux: kernel %lu bytes, initrd %lu bytes, %lu MiB of RAM, \"%s\"\n",
		  (uint64_t)kernel->size, initrd != NULL ? (uint64_t)initrd->size : 0,
		  (uint64_t)(LINUX_RAM >> 20), LINUX_CMDLINE);
	memset(v, 0, sizeof(*v));
	v->name = "linux";
	v->line_start = true;
	v->marker = LINUX_MARKER;
	cfg.name = "linux";
	cfg.backend = backend;
	cfg.flags = HV_VM_MANUAL_RUN;
	cfg.unmapped_mmio = HV_UNMAPPED_IGNORE; /* as on a PC bus: Linux probes for hardware */
	cfg.unmapped_pio = HV_UNMAPPED_IGNORE;
	if (!check(hv_vm_create(&cfg, &v->vm), "hv_vm_create")) {
		result("linux", "cannot create the VM");
		return;
	}
	ram.type = HV_REGION_RAM;
	ram.name = "ram-low";
	ram.gpa = 0;
	ram.size = 0xa0000;
	if (!check(hv_vm_map_region(v->vm, &ram, NULL), "map ram-low")) {
		result("linux", "cannot map RAM");
		goto out;
	}
	/* The legacy hole 0xA0000-0xDFFFF stays unmapped: as on a PC bus without VGA or option
	 * ROMs, reads give all ones (Linux scans it with CMP for the iBFT, with MOV for ROMs). */
	ram.name = "ram";
	ram.gpa = 0x100000;
	ram.size = LINUX_RAM - 0x100000;
	if (!check(hv_vm_map_region(v->vm, &ram, NULL), "map ram") ||
	    !check(hv_vcpu_create(v->vm, 0, &v->vcpu), "hv_vcpu_create") ||
	    (LINUX_CPUS > 1 && !check(hv_vcpu_create(v->vm, 1, &v->ap), "hv_vcpu_create 1"))) {
		result("linux", "cannot map RAM or create the vCPU");
		goto out;
	}
	uart.name = "ttyS0";
	uart.bus = HV_BUS_PIO;
	uart.base = 0x3f8;
	uart.irq = 4;
	uart.out.ops = &con_ops;
	uart.out.ctx = v;
	acpi.vcpu_count = LINUX_CPUS;
	acpi.virtio = &disk_acpi;
	acpi.virtio_count = 1;
	/* A read-only disk in the firmware's memory; the guest prints its first line. */
	memset(linux_disk, 0, sizeof(linux_disk));
	memcpy(linux_disk, LINUX_DISK_LINE "\n", sizeof(LINUX_DISK_LINE));
	blk.name = "vda";
	blk.mmio.base = LINUX_DISK_GPA;
	blk.mmio.irq = LINUX_DISK_IRQ;
	if (!check(hv_x86_platform_add(v->vm, &pc), "hv_x86_platform_add") ||
	    !check(hv_uart16550_add(v->vm, &uart, NULL), "hv_uart16550_add") ||
	    !check(hv_blockdev_memory(linux_disk, sizeof(linux_disk), true, &blk.disk),
		   "hv_blockdev_memory") ||
	    !check(hv_virtio_blk_add(v->vm, &blk, NULL), "hv_virtio_blk_add") ||
	    !check(hv_pc_setup(v->vm, &acpi), "hv_pc_setup")) {
		result("linux", "cannot add the PC devices");
		goto out;
	}
	lc.kernel = kernel->data;
	lc.kernel_size = kernel->size;
	if (initrd != NULL) {
		lc.initrd = initrd->data;
		lc.initrd_size = initrd->size;
	}
	lc.cmdline = LINUX_CMDLINE;
	if (!check(hv_linux_load(v->vm, &lc, &li), "hv_linux_load")) {
		result("linux", "cannot load the kernel");
		goto out;
	}
	fw_printf("linux: %s entry at 0x%lx, initrd at 0x%lx\n", li.pvh ? "PVH" : "64-bit",
		  li.entry, li.initrd_gpa);
	t0 = rdtsc();
	v->deadline = t0 + LINUX_TICKS;
	run_vms(v, 1);
	info = stop_info(v);
	fw_printf("linux: %s, exit %s (%s) at pc 0x%lx, gpa 0x%lx, after %lu TSC ticks\n",
		  hv_event_type_str(info.cause), hv_exit_reason_str(info.exit.reason),
		  info.exit.reason == HV_EXIT_FAULT ? hv_fault_kind_str(info.exit.u.fault.kind) : "-",
		  info.exit.pc, info.exit.u.fault.gpa, rdtsc() - t0);
	if (v->marker_tsc != 0)
		fw_printf("linux: init marker after %lu TSC ticks\n", v->marker_tsc - t0);
	if (v->marker_tsc == 0)
		result("linux", "the guest did not reach its init marker");
	else if (info.cause != HV_EVENT_GUEST_SHUTDOWN)
		result("linux", "the guest did not power off");
	else
		result("linux", NULL);
out:
	destroy(v, 1);
}

/* ---- entry ------------------------------------------------------------------------------- */

extern uint8_t __image_end[];

/* The usable RAM region that holds the end of the image, from the multiboot2 memory map. */
static uint64_t ram_end(uint32_t mbi)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)mbi + 8;
	const uint8_t *end = (const uint8_t *)(uintptr_t)mbi + *(const uint32_t *)(uintptr_t)mbi;
	uint64_t img = (uint64_t)(uintptr_t)__image_end;

	while (p + 8 <= end) {
		uint32_t type = ((const uint32_t *)p)[0], size = ((const uint32_t *)p)[1];

		if (type == 0)
			break;
		if (type == 6) {
			uint32_t esize = ((const uint32_t *)p)[2];
			const uint8_t *e;

			for (e = p + 16; esize != 0 && e + esize <= p + size; e += esize) {
				uint64_t base = *(const uint64_t *)e, len = *(const uint64_t *)(e + 8);

				if (*(const uint32_t *)(e + 16) == 1 && base <= img && img < base + len)
					return base + len < 0x100000000ull ? base + len : 0x100000000ull;
			}
		}
		p += (size + 7) & ~7u;
	}
	return 0;
}

static struct module modules[4];
static unsigned module_count;

/* Records the modules; returns the end of what the heap must not cover (modules, the MBI). */
static uint64_t find_modules(uint32_t mbi)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)mbi + 8;
	const uint8_t *end = (const uint8_t *)(uintptr_t)mbi + *(const uint32_t *)(uintptr_t)mbi;
	uint64_t top = (uint64_t)(uintptr_t)end;

	while (p + 8 <= end) {
		uint32_t type = ((const uint32_t *)p)[0], size = ((const uint32_t *)p)[1];

		if (type == 0 || size < 8 || p + size > end)
			break;
		if (type == 3 && size > 16 && module_count < ARRAY_SIZE(modules)) {
			uint32_t start = ((const uint32_t *)p)[2], stop = ((const uint32_t *)p)[3];

			if (stop > start) {
				modules[module_count].name = (const char *)p + 16;
				modules[module_count].data = (const uint8_t *)(uintptr_t)start;
				modules[module_count].size = stop - start;
				module_count++;
				if (stop > top)
					top = stop;
			}
		}
		p += (size + 7) & ~7u;
	}
	return top;
}

static const struct module *module_named(const char *name)
{
	unsigned i;

	for (i = 0; i < module_count; i++) {
		const char *a = modules[i].name, *b = name;

		while (*a != '\0' && *a == *b)
			a++, b++;
		if (*a == *b)
			return &modules[i];
	}
	return NULL;
}

void fw_main(uint32_t mbi)
{
	uint64_t top = ram_end(mbi), keep = find_modules(mbi);
	hv_backend_caps_t caps = HV_BACKEND_CAPS_INIT;
	uint64_t heap_before;
	hv_status_t st;

	con_init();
	/* Mask both PICs: the host runs with interrupts off, and VM exits acknowledge them. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	fw_printf("hvlib %s VMX firmware\n", hv_version_str());
	if (top == 0) {
		fw_printf("error: no usable RAM in the multiboot2 memory map\n");
		fw_shutdown();
	}
	/* GRUB puts the modules and its information after the image: the heap starts above. */
	if (keep < (uint64_t)(uintptr_t)__image_end)
		keep = (uint64_t)(uintptr_t)__image_end;
	heap_init(keep, top);
	clock_init();
	fw_printf("heap: %lu KiB free; TSC %lu kHz\n", heap_free_bytes() / 1024,
		  clock_tsc_hz() / 1000);
	if (!check(hv_platform_set(fw_platform()), "hv_platform_set"))
		fw_shutdown();
#ifndef FW_LOG_LEVEL
#define FW_LOG_LEVEL HV_LOG_INFO
#endif
	hv_log_set_level(FW_LOG_LEVEL);
	st = hv_backend_find("x86-vmx", &backend);
	if (st == HV_OK)
		st = hv_backend_caps(backend, &caps);
	if (st != HV_OK) {
		fw_printf("RESULT backend FAIL: x86-vmx: %s\n", hv_status_str(st));
		fw_shutdown();
	}
	fw_printf("x86-vmx: %u vCPUs, %u interrupt inputs, %u-bit guest-physical space\n",
		  caps.max_vcpus, caps.irq_inputs, (unsigned)__builtin_ctzll(caps.max_gpa));

	heap_before = heap_free_bytes();
	if (module_named("vmlinux") != NULL) {
		/* The Linux image (scripts/vmx-test.sh linux): that scenario alone. */
		scenario_linux(module_named("vmlinux"), module_named("initrd"));
		fw_printf("ALL DONE: %u failed (TSC %lu)\n", failures_total, rdtsc());
		fw_shutdown();
	}
	scenario_basic();
	scenario_triple_fault();
	scenario_timer();
	scenario_hostile();
	scenario_smp();
	scenario_isolation();
	scenario_bench();

	/* Every VM is destroyed: all it took from the heap (EPT tables, VMCS, RAM) is back. */
	fw_printf("heap: %lu bytes free before the scenarios, %lu after\n", heap_before,
		  heap_free_bytes());
	result("no_leaks", heap_free_bytes() == heap_before ? NULL : "heap memory was not returned");
	fw_printf("ALL DONE: %u failed (TSC %lu)\n", failures_total, rdtsc());
	fw_shutdown();
}
