/* SPDX-License-Identifier: MIT */
/*
 * hvrun: boot Linux (or any x86-64 kernel speaking the Linux boot protocol or PVH) in a VM built
 * with hvlib's public API only. See `hvrun --help` and README.md next to this file.
 *
 * The machine hvrun assembles for each VM (x86-64, KVM backend):
 *   RAM     [0, 0xA0000) and [1 MiB, top of low RAM), the rest above 4 GiB; one host block,
 *           2 MiB-aligned and congruent with guest addresses so that huge pages back it
 *   ROM     0xE0000-0xFFFFF: ACPI tables (RSDP, XSDT, FADT, DSDT, MADT) from hv_pc_setup()
 *   ports   PC platform pieces (RTC/CMOS, i8042 reset, port 0x92, POST, no PCI), ACPI PM at 0x600,
 *           a 16550A at 0x3F8 (IRQ 4): the kernel console, ttyS0
 *   MMIO    virtio-mmio windows from 0xD0000000, 4 KiB apart, on GSIs 16-23 then 5, 6, 7, 10,
 *           11; announced to the guest in the DSDT
 *   vCPUs   one thread each; the secondary ones wait for the guest's INIT/SIPI
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <hvlib/hvlib.h>

/* ---- exit statuses: the guest's outcome ------------------------------------------------- */

enum {
	EXIT_POWEROFF = 0, /* every guest powered itself off */
	EXIT_SETUP = 1,    /* a VM could not be built (bad image, memory, devices) */
	EXIT_USAGE = 2,    /* bad command line or configuration file */
	EXIT_REBOOT = 3,   /* a guest asked for a reset and its policy was to stop */
	EXIT_FAULT = 4,    /* a guest faulted, or its watchdog expired */
	EXIT_HOST = 5,     /* stopped from the host: signal, or the console's escape (Ctrl-A x) */
};

#define MAX_VMS 8
#define MAX_DISKS 8
#define MAX_NETS 4
#define LOW_RAM_TOP 0xC0000000ull  /* RAM below 4 GiB ends here; devices live above */
#define HIGH_RAM_BASE 0x100000000ull
#define VIRTIO_BASE 0xD0000000ull
#define VIRTIO_STRIDE 0x1000ull
#define MIN_MEM (16ull << 20)
#define DEFAULT_MEM (256ull << 20)
#define DEFAULT_CMDLINE "console=ttyS0 reboot=k panic=-1 pci=off"

static const uint32_t virtio_irqs[] = { 16, 17, 18, 19, 20, 21, 22, 23, 5, 6, 7, 10, 11 };
#define MAX_VIRTIO (sizeof(virtio_irqs) / sizeof(virtio_irqs[0]))

/* ---- what the user asked for -------------------------------------------------------------- */

enum console_kind { CON_NONE, CON_STDIO, CON_FILE };

/* A virtio device: what it uses, and where it answers when the user placed it. */
struct dev_spec {
	char *name;
	bool ro;
	uint64_t addr; /* 0: the next free window */
	uint32_t irq;  /* 0: the window's default input */
};

struct console_spec {
	enum console_kind kind;
	char *path; /* CON_FILE */
};

struct vm_spec {
	char name[32];
	char *kernel;
	char *initrd;
	char *cmdline;
	bool default_cmdline;
	uint64_t mem;
	uint32_t cpus;
	struct dev_spec disks[MAX_DISKS]; /* name: the image file */
	unsigned n_disks;
	struct dev_spec nets[MAX_NETS];   /* name: "switch" or a TAP interface name */
	unsigned n_nets;
	struct console_spec console;  /* the 16550 (ttyS0) */
	struct console_spec vconsole; /* virtio-console (hvc0) */
	bool rng;
	hv_policy_t on_reboot;
	uint32_t restart_limit;
	hv_unmapped_t unmapped;
	const char *origin; /* "command line" or the configuration file, for messages */
	unsigned line;      /* the [vm] line in that file */

	/* ---- run time ---- */
	hv_vm_t *vm;
	uint8_t *ram;
	uint64_t ram_size;
	hv_device_t *stdin_dev; /* the device stdin feeds, if any */
	int files[2];           /* console files hvrun opened */
	int outcome;
	pthread_t waiter;
};

static struct vm_spec specs[MAX_VMS];
static unsigned n_specs;

static struct {
	bool timing;
	char *marker;
	hv_log_level_t log_level;
	bool check;
} opt = { .log_level = HV_LOG_WARN };

static hv_switch_t *net_switch;
static const char *prog = "hvrun";

/* ---- messages ---------------------------------------------------------------------------- */

static void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: error: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage_hint(void)
{
	fprintf(stderr, "Try '%s --help' for the options.\n", prog);
}

static void help(void)
{
	printf(
"Usage: hvrun [OPTION]...                     boot one VM described by the options\n"
"       hvrun --config FILE [GLOBAL OPTION]... boot the VMs a configuration file describes\n"
"       hvrun --check                          can this host run VMs at usable speed?\n"
"\n"
"Boots an x86-64 Linux kernel (bzImage, or a vmlinux with a PVH entry) in a VM built with hvlib\n"
"on the KVM backend: RAM, ACPI tables, a 16550 console (ttyS0), the PC's small platform pieces\n"
"and virtio-mmio devices (blk, net, console, rng).\n"
"\n"
"VM options (also keys of a configuration file, without the dashes):\n"
"  --kernel FILE        the kernel (required)\n"
"  --initrd FILE        an initial RAM disk\n"
"  --cmdline TEXT       kernel command line, appended to the default one:\n"
"                         \"" DEFAULT_CMDLINE "\"\n"
"  --no-default-cmdline pass --cmdline alone\n"
"  --mem SIZE           guest RAM, bytes with an optional K, M or G suffix (default 256M,\n"
"                       at least 16M)\n"
"  --cpus N             vCPUs, 1 to 254 (default 1); started by the guest through INIT/SIPI\n"
"  --disk FILE[,ro][,addr=GPA][,irq=N]\n"
"                       a virtio-blk disk on an image file (size a multiple of 512), read-only\n"
"                       with ro; repeatable, up to 8\n"
"  --net switch|tap:NAME|NAME[,addr=GPA][,irq=N]\n"
"                       a virtio-net interface on the switch inside hvrun that connects the\n"
"                       VMs of one configuration file, or on the TAP interface NAME (created\n"
"                       if missing; needs CAP_NET_ADMIN); repeatable, up to 4\n"
"                       addr= and irq= place a device (page-aligned, below 4 GiB; IOAPIC\n"
"                       input 1-23); otherwise devices take 4 KiB windows from 0xD0000000\n"
"                       and inputs 16-23, 5, 6, 7, 10, 11 in order. Two things at one address\n"
"                       or input are refused\n"
"  --console stdio|file:PATH|none\n"
"                       where the 16550 (ttyS0, the kernel console) goes (default stdio)\n"
"  --vconsole stdio|file:PATH|none\n"
"                       add a virtio-console (hvc0) going there (default none)\n"
"  --rng / --no-rng     a virtio-rng device fed from getrandom() (default on)\n"
"  --on-reboot stop|restart\n"
"                       what a guest reboot does: end the VM (default) or restart it\n"
"  --restart-limit N    restarts allowed with --on-reboot restart (default 0: no limit)\n"
"  --unmapped ignore|fault\n"
"                       accesses where nothing answers: read ones and drop writes, as a PC\n"
"                       bus does (default), or stop the VM as faulted\n"
"  --name NAME          the VM's name in messages (default vm, or the [vm NAME] section)\n"
"\n"
"Global options:\n"
"  --config FILE        read the VMs from FILE (VM options are then not allowed)\n"
"  --timing             print boot milestones (ms since hvrun started) to stderr at the end\n"
"  --timing-marker TEXT a milestone when console output first contains TEXT; with\n"
"                       --timing, also the host memory hvrun uses beyond guest RAM then\n"
"  --log LEVEL          library log level: none, error, warn (default), info, debug, trace\n"
"  --check              run a small guest loop and report whether /dev/kvm is usable for\n"
"                       Linux guests (exit 0) or too slow (exit 3; e.g. a software KVM)\n"
"  -h, --help           this text\n"
"  --version            hvrun's and hvlib's versions\n"
"\n"
"Console: with stdio, standard input goes to the guest. On a terminal it is raw; Ctrl-A x\n"
"ends every VM, Ctrl-A Ctrl-A sends Ctrl-A. At most one console may be stdio.\n"
"\n"
"Configuration file: lines KEY = VALUE with the VM option names; '#' starts a comment;\n"
"a line [vm NAME] starts a VM, so one file may describe several VMs, which run at once and\n"
"may share the switch (net = switch). Relative paths are relative to the file. Flags take\n"
"yes or no (rng = no). Global options may be keys before the first [vm] line.\n"
"\n"
"  [vm a]\n"
"  kernel = vmlinuz\n"
"  initrd = initramfs.cpio.gz\n"
"  mem = 256M\n"
"  net = switch\n"
"\n"
"Exit status: the guests' outcome, the worst of all VMs:\n"
"  0 powered off   1 a VM could not be built   2 bad usage   3 guest rebooted (policy stop)\n"
"  4 guest faulted or its watchdog expired     5 stopped from the host (signal, Ctrl-A x)\n");
}

/* ---- timing ------------------------------------------------------------------------------ */

static uint64_t t_start;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define MAX_MILESTONES 64
static struct {
	uint64_t ns;
	char what[96];
} milestones[MAX_MILESTONES];
static unsigned n_milestones;
static pthread_mutex_t milestone_lock = PTHREAD_MUTEX_INITIALIZER;

static void milestone(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void milestone(const char *fmt, ...)
{
	uint64_t t = now_ns();
	va_list ap;

	if (!opt.timing)
		return;
	pthread_mutex_lock(&milestone_lock);
	if (n_milestones < MAX_MILESTONES) {
		milestones[n_milestones].ns = t - t_start;
		va_start(ap, fmt);
		vsnprintf(milestones[n_milestones].what, sizeof(milestones[0].what), fmt, ap);
		va_end(ap);
		n_milestones++;
	}
	pthread_mutex_unlock(&milestone_lock);
}

static void print_milestones(void)
{
	unsigned i;

	/* Integer formatting: hvrun stays free of the C library's floating-point code. */
	for (i = 0; i < n_milestones; i++)
		fprintf(stderr, "hvrun: timing: %6" PRIu64 ".%03u ms  %s\n",
			milestones[i].ns / 1000000u, (unsigned)(milestones[i].ns / 1000u % 1000u),
			milestones[i].what);
}

/*
 * Resident host memory beyond guest RAM: the sum of Rss over /proc/self/smaps, less the Rss of
 * the guest RAM blocks. Returns KiB, or -1 when smaps cannot be read.
 */
static long rss_beyond_guest_kib(void)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	long total = 0, guest = 0;
	bool in_guest = false;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *end;
		unsigned long lo = strtoul(line, &end, 16);

		if (end != line && *end == '-') {
			unsigned long hi = strtoul(end + 1, &end, 16);
			unsigned i;

			in_guest = false;
			for (i = 0; i < n_specs; i++)
				if (specs[i].ram != NULL && lo >= (uintptr_t)specs[i].ram &&
				    hi <= (uintptr_t)specs[i].ram + specs[i].ram_size)
					in_guest = true;
		} else if (!strncmp(line, "Rss:", 4)) {
			long kib = strtol(line + 4, NULL, 10);

			total += kib;
			if (in_guest)
				guest += kib;
		}
	}
	fclose(f);
	return total - guest;
}

/* ---- console streams ----------------------------------------------------------------------- */

/* Output of one console: a file descriptor, and the timing marker search. */
struct con_out {
	int fd;
	struct vm_spec *spec;
	const char *dev;
	bool seen_byte;
	size_t match; /* bytes of the marker matched so far */
	bool seen_marker;
};

static size_t con_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct con_out *c = ctx;
	size_t i, off = 0;

	if (!c->seen_byte) {
		c->seen_byte = true;
		milestone("%s: first output on %s", c->spec->name, c->dev);
	}
	if (opt.marker != NULL && !c->seen_marker) {
		size_t mlen = strlen(opt.marker);

		for (i = 0; i < len && !c->seen_marker; i++) {
			if (buf[i] == (uint8_t)opt.marker[c->match]) {
				if (++c->match == mlen)
					c->seen_marker = true;
			} else {
				c->match = buf[i] == (uint8_t)opt.marker[0] ? 1 : 0;
			}
		}
		if (c->seen_marker) {
			long kib = opt.timing ? rss_beyond_guest_kib() : -1;

			milestone("%s: marker \"%s\" on %s", c->spec->name, opt.marker, c->dev);
			if (kib >= 0)
				milestone("%s: host memory beyond guest RAM: %ld KiB", c->spec->name,
					  kib);
		}
	}
	while (off < len) {
		ssize_t n = write(c->fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* a closed output: drop the rest rather than stall the guest */
		off += (size_t)n;
	}
	return len;
}

static void con_destroy(void *ctx)
{
	free(ctx);
}

static const hv_chardev_ops_t con_ops = {
	.struct_size = sizeof(hv_chardev_ops_t),
	.version = HV_CHARDEV_OPS_VERSION,
	.write = con_write,
	.destroy = con_destroy,
};

/* Opens the output of a console spec; *chardev stays zero (discard) for CON_NONE. */
static int console_open(struct vm_spec *s, const struct console_spec *cs, const char *dev,
			hv_chardev_t *chardev)
{
	struct con_out *c;
	int fd;

	memset(chardev, 0, sizeof(*chardev));
	if (cs->kind == CON_NONE)
		return 0;
	if (cs->kind == CON_STDIO) {
		fd = STDOUT_FILENO;
	} else {
		fd = open(cs->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			err("vm %s: cannot open %s output '%s': %s", s->name, dev, cs->path,
			    strerror(errno));
			return -1;
		}
		s->files[s->files[0] < 0 ? 0 : 1] = fd;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		err("out of memory");
		return -1;
	}
	c->fd = fd;
	c->spec = s;
	c->dev = dev;
	chardev->ops = &con_ops;
	chardev->ctx = c;
	return 0;
}

/* ---- standard input to the guest --------------------------------------------------------- */

static struct termios saved_tio;
static bool tio_saved;
static volatile sig_atomic_t host_stop;

static void restore_tty(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

static void stop_all(void)
{
	unsigned i;

	host_stop = 1;
	for (i = 0; i < n_specs; i++)
		if (specs[i].vm != NULL)
			hv_vm_stop(specs[i].vm);
}

/* Held while input goes to a device; inputs_closed is set under it before VMs are destroyed. */
static pthread_mutex_t input_lock = PTHREAD_MUTEX_INITIALIZER;
static bool inputs_closed;

static void feed(hv_device_t *dev, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		size_t took = 0;
		hv_status_t st = HV_ERR_STATE;

		pthread_mutex_lock(&input_lock);
		if (!inputs_closed)
			st = hv_serial_input(dev, buf, len, &took);
		pthread_mutex_unlock(&input_lock);
		if (st != HV_OK)
			return;
		buf += took;
		len -= took;
		if (len > 0) {
			if (host_stop)
				return;
			usleep(1000); /* the device's buffer is full: the guest has not read yet */
		}
	}
}

static void *stdin_thread(void *arg)
{
	hv_device_t *dev = arg;
	bool escape = false;
	uint8_t buf[256], out[256];

	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		size_t i, o = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL; /* end of input: the guest keeps running */
		if (!tio_saved) {
			feed(dev, buf, (size_t)n);
			continue;
		}
		for (i = 0; i < (size_t)n; i++) {
			if (escape) {
				escape = false;
				if (buf[i] == 'x' || buf[i] == 'X') {
					restore_tty();
					fprintf(stderr, "\r\nhvrun: stopping (Ctrl-A x)\r\n");
					stop_all();
					return NULL;
				}
				if (buf[i] != 0x01)
					continue;
			} else if (buf[i] == 0x01) {
				escape = true;
				continue;
			}
			out[o++] = buf[i];
		}
		feed(dev, out, o);
	}
}

static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		fprintf(stderr, "\nhvrun: %s: stopping the VMs\n", strsignal(sig));
		stop_all();
	}
	return NULL;
}

/* ---- parsing ------------------------------------------------------------------------------- */

static void spec_init(struct vm_spec *s, const char *name, const char *origin, unsigned line)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->default_cmdline = true;
	s->mem = DEFAULT_MEM;
	s->cpus = 1;
	s->console.kind = CON_STDIO;
	s->rng = true;
	s->on_reboot = HV_POLICY_STOP;
	s->unmapped = HV_UNMAPPED_IGNORE;
	s->origin = origin;
	s->line = line;
	s->files[0] = s->files[1] = -1;
}

static bool parse_size(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long n;
	unsigned shift = 0;

	if (!isdigit((unsigned char)v[0]))
		return false;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0)
		return false;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	default: return false;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' ? (end[1] == 'B' ? 2 : 1) : 1;
	if (*end != '\0' || n > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)n << shift;
	return true;
}

static bool parse_uint(const char *v, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long n;

	if (!isdigit((unsigned char)v[0]))
		return false;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || n > max)
		return false;
	*out = (uint32_t)n;
	return true;
}

static bool parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1")) {
		*out = true;
		return true;
	}
	if (!strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0")) {
		*out = false;
		return true;
	}
	return false;
}

/* A path from a configuration file is relative to the file's directory. */
static char *resolve(const char *v, const char *base_dir)
{
	char *p;

	if (base_dir == NULL || v[0] == '/')
		return strdup(v);
	if (asprintf(&p, "%s/%s", base_dir, v) < 0)
		return NULL;
	return p;
}

static bool parse_console(const char *v, const char *base_dir, struct console_spec *cs)
{
	free(cs->path);
	cs->path = NULL;
	if (!strcmp(v, "stdio")) {
		cs->kind = CON_STDIO;
	} else if (!strcmp(v, "none")) {
		cs->kind = CON_NONE;
	} else if (!strncmp(v, "file:", 5) && v[5] != '\0') {
		cs->kind = CON_FILE;
		cs->path = resolve(v + 5, base_dir);
	} else {
		return false;
	}
	return true;
}

enum opt_result { OPT_OK, OPT_UNKNOWN, OPT_BAD };

/*
 * A device value: NAME[,ro][,addr=GPA][,irq=N]. For a disk NAME is the image (relative to
 * base_dir) and ro is allowed; for a network interface NAME is "switch", "tap:IFNAME" or
 * IFNAME.
 */
static int parse_dev(const char *v, bool disk, const char *base_dir, struct dev_spec *d,
		     const char *where)
{
	char *copy = strdup(v), *tok, *save = NULL;
	const char *name;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if (copy == NULL)
		return -1;
	name = strtok_r(copy, ",", &save);
	if (name == NULL || v[0] == ',') {
		err("%s: missing %s in '%s'", where, disk ? "image file" : "interface", v);
		goto out;
	}
	if (!disk) {
		if (!strncmp(name, "tap:", 4))
			name += 4;
		if (name[0] == '\0' || strlen(name) >= 16) {
			err("%s: --net takes 'switch' or a TAP interface name (at most 15 "
			    "characters), not '%s'", where, name);
			goto out;
		}
	}
	while ((tok = strtok_r(NULL, ",", &save)) != NULL) {
		char *end;

		if (disk && (!strcmp(tok, "ro") || !strcmp(tok, "rw"))) {
			d->ro = tok[1] == 'o';
		} else if (!strncmp(tok, "addr=", 5)) {
			errno = 0;
			d->addr = strtoull(tok + 5, &end, 0);
			if (errno != 0 || end == tok + 5 || *end != '\0' || d->addr == 0 ||
			    (d->addr & 0xfff) != 0 || d->addr >= HIGH_RAM_BASE) {
				err("%s: addr= takes a page-aligned address below 4 GiB, not "
				    "'%s'", where, tok + 5);
				goto out;
			}
		} else if (!strncmp(tok, "irq=", 4)) {
			if (!parse_uint(tok + 4, 23, &d->irq) || d->irq == 0) {
				err("%s: irq= takes an IOAPIC input from 1 to 23, not '%s'",
				    where, tok + 4);
				goto out;
			}
		} else {
			err("%s: unknown %s option '%s' (%s)", where, disk ? "disk" : "net", tok,
			    disk ? "ro, rw, addr=, irq=" : "addr=, irq=");
			goto out;
		}
	}
	d->name = disk ? resolve(name, base_dir) : strdup(name);
	rc = d->name != NULL ? 0 : -1;
out:
	free(copy);
	return rc;
}

/* Applies a global option; `where` names the place for messages. */
static enum opt_result apply_global(const char *key, const char *v, const char *where)
{
	static const char *const levels[] = { "none", "error", "warn", "info", "debug", "trace" };
	unsigned i;

	if (!strcmp(key, "timing")) {
		if (v != NULL && !parse_bool(v, &opt.timing))
			goto bad;
		if (v == NULL)
			opt.timing = true;
	} else if (!strcmp(key, "timing-marker")) {
		if (v[0] == '\0')
			goto bad;
		free(opt.marker);
		opt.marker = strdup(v);
	} else if (!strcmp(key, "log")) {
		for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
			if (!strcmp(v, levels[i]))
				break;
		if (i == sizeof(levels) / sizeof(levels[0]))
			goto bad;
		opt.log_level = (hv_log_level_t)i;
	} else {
		return OPT_UNKNOWN;
	}
	return OPT_OK;
bad:
	err("%s: invalid value '%s' for %s", where, v, key);
	return OPT_BAD;
}

/* Applies a VM option to a spec. Flags (no-default-cmdline, rng, no-rng) take v == NULL. */
static enum opt_result apply_vm(struct vm_spec *s, const char *key, const char *v,
				const char *base_dir, const char *where)
{
	bool flag;

	if (!strcmp(key, "kernel") || !strcmp(key, "initrd")) {
		char **dst = key[0] == 'k' ? &s->kernel : &s->initrd;

		if (v[0] == '\0')
			goto bad;
		free(*dst);
		*dst = resolve(v, base_dir);
	} else if (!strcmp(key, "cmdline")) {
		free(s->cmdline);
		s->cmdline = strdup(v);
	} else if (!strcmp(key, "no-default-cmdline") || !strcmp(key, "default-cmdline")) {
		flag = true;
		if (v != NULL && !parse_bool(v, &flag))
			goto bad;
		s->default_cmdline = key[0] == 'n' ? !flag : flag;
	} else if (!strcmp(key, "mem")) {
		if (!parse_size(v, &s->mem))
			goto bad;
	} else if (!strcmp(key, "cpus")) {
		if (!parse_uint(v, HV_PC_VCPU_MAX, &s->cpus) || s->cpus == 0) {
			err("%s: cpus takes 1 to %u, not '%s'", where, HV_PC_VCPU_MAX, v);
			return OPT_BAD;
		}
	} else if (!strcmp(key, "disk") || !strcmp(key, "net")) {
		bool disk = key[0] == 'd';
		struct dev_spec *d = disk ? &s->disks[s->n_disks] : &s->nets[s->n_nets];

		if (disk ? s->n_disks == MAX_DISKS : s->n_nets == MAX_NETS) {
			err("%s: more than %d %s", where, disk ? MAX_DISKS : MAX_NETS,
			    disk ? "disks" : "network interfaces");
			return OPT_BAD;
		}
		if (parse_dev(v, disk, base_dir, d, where) != 0)
			return OPT_BAD;
		if (disk)
			s->n_disks++;
		else
			s->n_nets++;
	} else if (!strcmp(key, "console") || !strcmp(key, "vconsole")) {
		if (!parse_console(v, base_dir, key[0] == 'c' ? &s->console : &s->vconsole))
			goto bad;
	} else if (!strcmp(key, "rng") || !strcmp(key, "no-rng")) {
		flag = true;
		if (v != NULL && !parse_bool(v, &flag))
			goto bad;
		s->rng = key[0] == 'n' ? !flag : flag;
	} else if (!strcmp(key, "on-reboot")) {
		if (!strcmp(v, "stop"))
			s->on_reboot = HV_POLICY_STOP;
		else if (!strcmp(v, "restart"))
			s->on_reboot = HV_POLICY_RESTART;
		else
			goto bad;
	} else if (!strcmp(key, "restart-limit")) {
		if (!parse_uint(v, UINT32_MAX, &s->restart_limit))
			goto bad;
	} else if (!strcmp(key, "unmapped")) {
		if (!strcmp(v, "ignore"))
			s->unmapped = HV_UNMAPPED_IGNORE;
		else if (!strcmp(v, "fault"))
			s->unmapped = HV_UNMAPPED_FAULT;
		else
			goto bad;
	} else if (!strcmp(key, "name")) {
		if (v[0] == '\0' || strlen(v) >= sizeof(s->name))
			goto bad;
		snprintf(s->name, sizeof(s->name), "%s", v);
	} else {
		return OPT_UNKNOWN;
	}
	return OPT_OK;
bad:
	err("%s: invalid value '%s' for %s", where, v != NULL ? v : "", key);
	return OPT_BAD;
}

static const char *const value_keys[] = {
	"kernel", "initrd", "cmdline", "mem", "cpus", "disk", "net", "console", "vconsole",
	"on-reboot", "restart-limit", "unmapped", "name", "config", "timing-marker", "log",
};

static bool is_value_key(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(value_keys) / sizeof(value_keys[0]); i++)
		if (!strcmp(key, value_keys[i]))
			return true;
	return false;
}

static bool is_flag(const char *key)
{
	return !strcmp(key, "no-default-cmdline") || !strcmp(key, "rng") ||
	       !strcmp(key, "no-rng") || !strcmp(key, "timing") || !strcmp(key, "check");
}

static char *trim(char *p)
{
	char *e;

	while (isspace((unsigned char)*p))
		p++;
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return p;
}

static int parse_config(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *dir, *slash;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;
	struct vm_spec *cur = NULL;
	char where[PATH_MAX + 32];

	if (f == NULL) {
		err("cannot open configuration file '%s': %s", path, strerror(errno));
		return -1;
	}
	dir = strdup(path);
	slash = dir != NULL ? strrchr(dir, '/') : NULL;
	if (slash != NULL)
		*slash = '\0';
	else {
		free(dir);
		dir = strdup(".");
	}
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		char *p, *eq, *key, *val, *hash;

		lineno++;
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		p = trim(line);
		if (*p == '\0')
			continue;
		if (*p == '[') {
			char *end = strchr(p, ']'), *name;

			if (end == NULL || trim(end + 1)[0] != '\0' || strncmp(p, "[vm", 3) != 0 ||
			    (p[3] != ']' && !isspace((unsigned char)p[3]))) {
				err("%s: expected '[vm NAME]', got '%s'", where, p);
				rc = -1;
				break;
			}
			*end = '\0';
			name = trim(p + 3);
			if (n_specs == MAX_VMS) {
				err("%s: more than %d VMs", where, MAX_VMS);
				rc = -1;
				break;
			}
			if (strlen(name) >= sizeof(cur->name)) {
				err("%s: VM name '%s' is too long", where, name);
				rc = -1;
				break;
			}
			cur = &specs[n_specs++];
			spec_init(cur, name[0] != '\0' ? name : "vm", path, lineno);
			if (name[0] == '\0' && n_specs > 1)
				snprintf(cur->name, sizeof(cur->name), "vm%u", n_specs - 1);
			continue;
		}
		eq = strchr(p, '=');
		if (eq == NULL) {
			key = p;
			val = NULL;
			if (!is_flag(key)) {
				err("%s: expected 'KEY = VALUE', got '%s'", where, p);
				rc = -1;
				break;
			}
		} else {
			*eq = '\0';
			key = trim(p);
			val = trim(eq + 1);
		}
		if (cur == NULL) {
			enum opt_result r;

			if (!strcmp(key, "config") || !strcmp(key, "check")) {
				err("%s: '%s' is not allowed in a configuration file", where, key);
				rc = -1;
				break;
			}
			r = apply_global(key, val != NULL ? val : NULL, where);
			if (r == OPT_OK)
				continue;
			if (r == OPT_BAD) {
				rc = -1;
				break;
			}
			/* A VM key before any [vm]: the file describes one unnamed VM. */
			cur = &specs[n_specs++];
			spec_init(cur, "vm", path, lineno);
		}
		switch (apply_vm(cur, key, val, dir, where)) {
		case OPT_OK: break;
		case OPT_BAD: rc = -1; break;
		case OPT_UNKNOWN:
			if (apply_global(key, val, where) == OPT_UNKNOWN)
				err("%s: unknown key '%s'", where, key);
			else
				err("%s: '%s' is global: put it before the first [vm] line", where,
				    key);
			rc = -1;
			break;
		}
	}
	free(line);
	free(dir);
	fclose(f);
	if (rc == 0 && n_specs == 0) {
		err("%s: describes no VM", path);
		rc = -1;
	}
	return rc;
}

/* The VM the command-line options describe; moved to specs[0] once complete. */
static struct vm_spec cli;

static void spec_free(struct vm_spec *s)
{
	unsigned i;

	free(s->kernel);
	free(s->initrd);
	free(s->cmdline);
	free(s->console.path);
	free(s->vconsole.path);
	for (i = 0; i < s->n_disks; i++)
		free(s->disks[i].name);
	for (i = 0; i < s->n_nets; i++)
		free(s->nets[i].name);
	memset(s, 0, sizeof(*s));
}

/* Everything parsing allocated, on every way out of main(). */
static void free_options(void)
{
	unsigned i;

	spec_free(&cli);
	for (i = 0; i < n_specs; i++)
		spec_free(&specs[i]);
	free(opt.marker);
	opt.marker = NULL;
}

static int parse_args(int argc, char **argv)
{
	bool cli_vm = false;
	const char *config = NULL;
	int i;

	spec_init(&cli, "vm", "command line", 0);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *key, *val = NULL;
		char where[64];
		enum opt_result r;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			help();
			free_options();
			exit(0);
		}
		if (!strcmp(a, "--version")) {
			printf("hvrun (hvlib %s)\n", hv_version_str());
			free_options();
			exit(0);
		}
		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			err("unexpected argument '%s'", a);
			return -1;
		}
		key = a + 2;
		snprintf(where, sizeof(where), "--%s", key);
		if (strchr(key, '=') != NULL) {
			err("write '--%.*s VALUE', not '%s'", (int)(strchr(key, '=') - key), key, a);
			return -1;
		}
		if (!strcmp(key, "check")) {
			opt.check = true;
			continue;
		}
		if (!is_flag(key) && !is_value_key(key)) {
			err("unknown option '%s'", a);
			return -1;
		}
		if (!is_flag(key)) {
			if (i + 1 >= argc) {
				err("option '%s' needs a value", a);
				return -1;
			}
			val = argv[++i];
		}
		if (!strcmp(key, "config")) {
			config = val;
			continue;
		}
		r = apply_global(key, val, "command line");
		if (r == OPT_OK)
			continue;
		if (r == OPT_BAD)
			return -1;
		r = apply_vm(&cli, key, val, NULL, where);
		if (r == OPT_BAD)
			return -1;
		if (r == OPT_UNKNOWN) {
			err("unknown option '%s'", a);
			return -1;
		}
		cli_vm = true;
	}
	if (opt.check)
		return 0;
	if (config != NULL) {
		if (cli_vm) {
			err("VM options cannot be combined with --config: put them in the file");
			return -1;
		}
		return parse_config(config);
	}
	if (!cli_vm) {
		err("nothing to run: give --kernel (or --config)");
		return -1;
	}
	specs[n_specs++] = cli;
	memset(&cli, 0, sizeof(cli)); /* now owned by specs[0] */
	return 0;
}

static int check_specs(void)
{
	unsigned i, j, stdio = 0;

	for (i = 0; i < n_specs; i++) {
		struct vm_spec *s = &specs[i];
		const char *o = s->origin;

		if (s->kernel == NULL) {
			err("vm %s (%s): no kernel given (--kernel)", s->name, o);
			return -1;
		}
		if (s->mem < MIN_MEM || (s->mem & 0xfff) != 0) {
			err("vm %s (%s): --mem %" PRIu64 " bytes: give at least 16M, in whole 4 KiB "
			    "pages", s->name, o, s->mem);
			return -1;
		}
		stdio += s->console.kind == CON_STDIO;
		stdio += s->vconsole.kind == CON_STDIO;
		for (j = 0; j < i; j++)
			if (!strcmp(specs[j].name, s->name)) {
				err("two VMs are named '%s'", s->name);
				return -1;
			}
		if (s->n_disks + s->n_nets + (s->vconsole.kind != CON_NONE) + s->rng > MAX_VIRTIO) {
			err("vm %s: more than %zu virtio devices", s->name, MAX_VIRTIO);
			return -1;
		}
	}
	if (stdio > 1) {
		err("more than one console on stdio: give the others file:PATH or none");
		return -1;
	}
	return 0;
}

/* ---- building a VM ------------------------------------------------------------------------- */

static int fail(struct vm_spec *s, const char *what, hv_status_t st)
{
	err("vm %s: %s: %s", s->name, what, hv_status_str(st));
	return -1;
}

/* A device the VM refused: say where it was to go and what was in the way. */
static int fail_dev(struct vm_spec *s, const char *what, uint64_t base, uint32_t irq,
		    hv_status_t st)
{
	const char *why = "";

	if (st == HV_ERR_OVERLAP)
		why = ": something else already answers in its window (memory or another device)";
	else if (st == HV_ERR_BUSY)
		why = ": its interrupt input is already in use";
	else if (st == HV_ERR_RANGE)
		why = ": the address or interrupt input is out of range";
	err("vm %s: cannot add %s at 0x%" PRIx64 "-0x%" PRIx64 ", irq %u: %s%s", s->name, what,
	    base, base + HV_VIRTIO_MMIO_SIZE - 1, irq, hv_status_str(st), why);
	return -1;
}

static void on_event(void *user, const hv_event_t *ev)
{
	struct vm_spec *s = user;

	switch (ev->type) {
	case HV_EVENT_GUEST_SHUTDOWN:
		milestone("%s: guest powered off", s->name);
		break;
	case HV_EVENT_GUEST_RESET:
		milestone("%s: guest reset", s->name);
		if (s->on_reboot == HV_POLICY_RESTART)
			fprintf(stderr, "hvrun: vm %s: guest rebooted: restarting\n", s->name);
		break;
	case HV_EVENT_FAULT:
	case HV_EVENT_UNHANDLED_EXIT:
		if (ev->exit != NULL && ev->exit->reason == HV_EXIT_FAULT)
			fprintf(stderr, "hvrun: vm %s: vCPU %u: %s at pc 0x%" PRIx64 " gpa 0x%" PRIx64
				" (detail 0x%" PRIx64 ")\n", s->name, ev->vcpu_index,
				hv_fault_kind_str(ev->exit->u.fault.kind), ev->exit->pc,
				ev->exit->u.fault.gpa, ev->exit->u.fault.detail);
		else if (ev->exit != NULL)
			fprintf(stderr, "hvrun: vm %s: vCPU %u: unhandled %s exit at pc 0x%" PRIx64
				" (raw 0x%" PRIx64 ")\n", s->name, ev->vcpu_index,
				hv_exit_reason_str(ev->exit->reason), ev->exit->pc,
				ev->exit->hw_reason);
		break;
	case HV_EVENT_WATCHDOG:
		fprintf(stderr, "hvrun: vm %s: watchdog expired\n", s->name);
		break;
	case HV_EVENT_VM_RESTARTED:
		milestone("%s: restarted", s->name);
		break;
	default:
		break;
	}
}

/*
 * What Linux can unpack as an initramfs (a cpio archive, plain or compressed with one of the
 * kernel's decompressors) or mount as an old-style initrd (ext2, squashfs, cramfs, romfs).
 * Anything else would only give a panic deep in the boot ("invalid magic at start of
 * compressed archive"), so hvrun refuses it up front.
 */
static const char *initrd_format(const uint8_t *p, size_t n)
{
	static const struct {
		size_t off;
		const char *magic;
		size_t len;
		const char *name;
	} formats[] = {
		{ 0, "070701", 6, "cpio" },     { 0, "070702", 6, "cpio" },
		{ 0, "070707", 6, "cpio" },     { 0, "\x1f\x8b", 2, "gzip" },
		{ 0, "\x1f\x9e", 2, "gzip" },   { 0, "\xfd" "7zXZ", 6, "xz" },
		{ 0, "\x28\xb5\x2f\xfd", 4, "zstd" }, { 0, "\x02\x21\x4c\x18", 4, "lz4" },
		{ 0, "BZh", 3, "bzip2" },        { 0, "\x5d\x00\x00", 3, "lzma" },
		{ 0, "\x89LZO", 4, "lzo" },      { 0, "hsqs", 4, "squashfs" },
		{ 0, "\x45\x3d\xcd\x28", 4, "cramfs" }, { 0, "-rom1fs-", 8, "romfs" },
		{ 1080, "\x53\xef", 2, "ext2" },
	};
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (n >= formats[i].off + formats[i].len &&
		    !memcmp(p + formats[i].off, formats[i].magic, formats[i].len))
			return formats[i].name;
	return NULL;
}

/* Reads the kernel and initrd and loads them; also the VM's on_reset hook after a reboot. */
static hv_status_t load_images(void *user, hv_vm_t *vm)
{
	struct vm_spec *s = user;
	hv_linux_config_t lc = HV_LINUX_CONFIG_INIT;
	hv_linux_info_t info = HV_LINUX_INFO_INIT;
	void *kernel = NULL, *initrd = NULL;
	size_t ksize = 0, isize = 0;
	char *cmdline = NULL;
	hv_status_t st;

	st = hv_file_read(s->kernel, &kernel, &ksize);
	if (st != HV_OK) {
		err("vm %s: cannot read kernel '%s': %s", s->name, s->kernel, hv_status_str(st));
		return st;
	}
	if (s->initrd != NULL) {
		st = hv_file_read(s->initrd, &initrd, &isize);
		if (st != HV_OK) {
			err("vm %s: cannot read initrd '%s': %s", s->name, s->initrd,
			    hv_status_str(st));
			hv_file_free(kernel, ksize);
			return st;
		}
		if (initrd_format(initrd, isize) == NULL) {
			err("vm %s: initrd '%s' is neither a cpio archive (plain, or compressed with "
			    "gzip, xz, zstd, lz4, bzip2, lzma or lzo) nor a file system image the "
			    "kernel can mount (ext2, squashfs, cramfs, romfs)", s->name, s->initrd);
			st = HV_ERR_BAD_IMAGE;
			goto out;
		}
	}
	if (asprintf(&cmdline, "%s%s%s", s->default_cmdline ? DEFAULT_CMDLINE : "",
		     s->default_cmdline && s->cmdline != NULL ? " " : "",
		     s->cmdline != NULL ? s->cmdline : "") < 0) {
		cmdline = NULL;
		st = HV_ERR_NO_MEMORY;
		goto out;
	}
	lc.kernel = kernel;
	lc.kernel_size = ksize;
	lc.initrd = initrd;
	lc.initrd_size = isize;
	lc.cmdline = cmdline;
	st = hv_linux_load(vm, &lc, &info);
	if (st == HV_OK) {
		milestone("%s: kernel loaded (%s, entry 0x%" PRIx64 ")", s->name,
			  info.pvh ? "PVH" : "bzImage", info.entry);
	} else {
		const char *why = "";

		if (st == HV_ERR_BAD_IMAGE)
			why = " (not a bzImage or PVH vmlinux, or truncated)";
		else if (st == HV_ERR_NOT_MAPPED)
			why = " (the kernel does not fit in guest RAM: give more --mem)";
		else if (st == HV_ERR_RANGE)
			why = s->initrd != NULL ? " (the initrd or command line does not fit: give "
						  "more --mem or a shorter --cmdline)"
						: " (the command line is too long)";
		else if (st == HV_ERR_UNSUPPORTED)
			why = " (this kind of kernel cannot be booted)";
		err("vm %s: cannot load kernel '%s'%s%s%s: %s%s", s->name, s->kernel,
		    s->initrd != NULL ? " with initrd '" : "", s->initrd != NULL ? s->initrd : "",
		    s->initrd != NULL ? "'" : "", hv_status_str(st), why);
	}
out:
	free(cmdline);
	hv_file_free(kernel, ksize);
	if (initrd != NULL)
		hv_file_free(initrd, isize);
	return st;
}

/* Guest RAM: one host block, 2 MiB-aligned, so guest and host addresses agree modulo 2 MiB. */
static int map_ram(struct vm_spec *s)
{
	const uint64_t huge = 2ull << 20;
	uint64_t low = s->mem < LOW_RAM_TOP ? s->mem : LOW_RAM_TOP;
	size_t span = (size_t)s->mem + huge;
	uint8_t *p, *ram;
	hv_status_t st;
	struct {
		const char *name;
		hv_gpa_t gpa;
		uint64_t size;
		uint64_t offset;
	} parts[3] = {
		{ "ram-low", 0, 0xA0000, 0 },
		{ "ram", 0x100000, low - 0x100000, 0x100000 },
		{ "ram-high", HIGH_RAM_BASE, s->mem - low, low },
	};
	unsigned i;

	if ((uint64_t)(size_t)s->mem != s->mem) {
		err("vm %s: --mem too large for this host", s->name);
		return -1;
	}
	p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED) {
		err("vm %s: cannot reserve %" PRIu64 " MiB of guest RAM: %s", s->name,
		    s->mem >> 20, strerror(errno));
		return -1;
	}
	ram = (uint8_t *)(((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1));
	if (ram > p)
		munmap(p, (size_t)(ram - p));
	if (ram + s->mem < p + span)
		munmap(ram + s->mem, (size_t)(p + span - (ram + s->mem)));
	madvise(ram, s->mem, MADV_HUGEPAGE);
	s->ram = ram;
	s->ram_size = s->mem;
	for (i = 0; i < 3; i++) {
		hv_region_config_t rc = HV_REGION_CONFIG_INIT;

		if (parts[i].size == 0)
			continue;
		rc.type = HV_REGION_RAM;
		rc.name = parts[i].name;
		rc.gpa = parts[i].gpa;
		rc.size = parts[i].size;
		rc.hva = ram + parts[i].offset;
		st = hv_vm_map_region(s->vm, &rc, NULL);
		if (st != HV_OK)
			return fail(s, "cannot map guest RAM", st);
	}
	return 0;
}

static int build_vm(struct vm_spec *s)
{
	hv_vm_config_t vc = HV_VM_CONFIG_INIT;
	hv_x86_platform_config_t pc = HV_X86_PLATFORM_CONFIG_INIT;
	hv_uart16550_config_t uc = HV_UART16550_CONFIG_INIT;
	hv_pc_config_t acpi = HV_PC_CONFIG_INIT;
	hv_pc_virtio_t virtio[MAX_VIRTIO];
	unsigned nv = 0, i;
	hv_device_t *dev;
	hv_status_t st;
	char what[PATH_MAX + 64];

	vc.name = s->name;
	vc.on_event = on_event;
	vc.event_user = s;
	vc.on_guest_reset = s->on_reboot;
	vc.restart_limit = s->restart_limit;
	vc.unmapped_mmio = s->unmapped;
	vc.unmapped_pio = s->unmapped;
	vc.on_reset = load_images;
	st = hv_vm_create(&vc, &s->vm);
	if (st == HV_ERR_NO_BACKEND) {
		err("vm %s: no hypervisor backend works here (is /dev/kvm present and usable?)",
		    s->name);
		return -1;
	}
	if (st != HV_OK)
		return fail(s, "cannot create the VM", st);
	if (map_ram(s) != 0)
		return -1;
	for (i = 0; i < s->cpus; i++) {
		hv_vcpu_t *vcpu;

		st = hv_vcpu_create(s->vm, i, &vcpu);
		if (st != HV_OK)
			return fail(s, "cannot create a vCPU", st);
	}
	st = hv_x86_platform_add(s->vm, &pc);
	if (st != HV_OK)
		return fail(s, "cannot add the PC platform devices", st);

	uc.name = "ttyS0";
	uc.bus = HV_BUS_PIO;
	uc.base = 0x3f8;
	uc.irq = 4;
	if (console_open(s, &s->console, "ttyS0", &uc.out) != 0)
		return -1;
	st = hv_uart16550_add(s->vm, &uc, &dev);
	if (st != HV_OK) {
		if (uc.out.ops != NULL)
			uc.out.ops->destroy(uc.out.ctx);
		return fail(s, "cannot add the 16550 (ttyS0)", st);
	}
	if (s->console.kind == CON_STDIO)
		s->stdin_dev = dev;

#define NEXT_MMIO(cfg, d)                                                               \
	do {                                                                            \
		(cfg).mmio.base = (d) != NULL && (d)->addr ? (d)->addr                  \
							   : VIRTIO_BASE + nv * VIRTIO_STRIDE; \
		(cfg).mmio.irq = (d) != NULL && (d)->irq ? (d)->irq : virtio_irqs[nv];  \
	} while (0)

	for (i = 0; i < s->n_disks; i++) {
		hv_virtio_blk_config_t bc = HV_VIRTIO_BLK_CONFIG_INIT;
		char name[16];

		snprintf(name, sizeof(name), "vd%c", 'a' + i);
		st = hv_blockdev_file(s->disks[i].name, s->disks[i].ro, &bc.disk);
		if (st != HV_OK) {
			const char *why = st == HV_ERR_NOT_FOUND ? "cannot open it"
					  : st == HV_ERR_ZERO_SIZE ? "it is empty"
					  : st == HV_ERR_ALIGNMENT ? "its size is not a multiple of 512"
								   : hv_status_str(st);

			err("vm %s: disk '%s': %s", s->name, s->disks[i].name, why);
			return -1;
		}
		bc.name = name;
		bc.serial = name;
		NEXT_MMIO(bc, &s->disks[i]);
		st = hv_virtio_blk_add(s->vm, &bc, NULL);
		if (st != HV_OK) {
			bc.disk.ops->destroy(bc.disk.ctx);
			snprintf(what, sizeof(what), "disk '%s'", s->disks[i].name);
			return fail_dev(s, what, bc.mmio.base, bc.mmio.irq, st);
		}
		virtio[nv].base = bc.mmio.base;
		virtio[nv].irq = bc.mmio.irq;
		nv++;
	}
	for (i = 0; i < s->n_nets; i++) {
		hv_virtio_net_config_t nc = HV_VIRTIO_NET_CONFIG_INIT;
		char name[16];

		snprintf(name, sizeof(name), "eth%u", i);
		if (!strcmp(s->nets[i].name, "switch")) {
			if (net_switch == NULL) {
				st = hv_switch_create(&net_switch);
				if (st != HV_OK)
					return fail(s, "cannot create the switch", st);
			}
			st = hv_switch_port(net_switch, &nc.link);
			if (st != HV_OK)
				return fail(s, "cannot get a switch port", st);
		} else {
			st = hv_netdev_tap(s->nets[i].name, &nc.link);
			if (st != HV_OK) {
				err("vm %s: cannot open TAP interface '%s' (needs /dev/net/tun and "
				    "CAP_NET_ADMIN): %s", s->name, s->nets[i].name, hv_status_str(st));
				return -1;
			}
		}
		/* A locally administered address naming the VM and the interface. */
		nc.mac[0] = 0x52;
		nc.mac[1] = 0x54;
		nc.mac[2] = 0x00;
		nc.mac[3] = 0x68;
		nc.mac[4] = (uint8_t)(s - specs);
		nc.mac[5] = (uint8_t)i;
		nc.name = name;
		NEXT_MMIO(nc, &s->nets[i]);
		st = hv_virtio_net_add(s->vm, &nc, NULL);
		if (st != HV_OK) {
			if (nc.link.ops->destroy != NULL)
				nc.link.ops->destroy(nc.link.ctx);
			snprintf(what, sizeof(what), "network interface %s ('%s')", name,
				 s->nets[i].name);
			return fail_dev(s, what, nc.mmio.base, nc.mmio.irq, st);
		}
		virtio[nv].base = nc.mmio.base;
		virtio[nv].irq = nc.mmio.irq;
		nv++;
	}
	if (s->vconsole.kind != CON_NONE) {
		hv_virtio_console_config_t cc = HV_VIRTIO_CONSOLE_CONFIG_INIT;

		cc.name = "hvc0";
		if (console_open(s, &s->vconsole, "hvc0", &cc.out) != 0)
			return -1;
		NEXT_MMIO(cc, (struct dev_spec *)NULL);
		st = hv_virtio_console_add(s->vm, &cc, &dev);
		if (st != HV_OK) {
			if (cc.out.ops != NULL)
				cc.out.ops->destroy(cc.out.ctx);
			return fail_dev(s, "the virtio console", cc.mmio.base, cc.mmio.irq, st);
		}
		if (s->vconsole.kind == CON_STDIO)
			s->stdin_dev = dev;
		virtio[nv].base = cc.mmio.base;
		virtio[nv].irq = cc.mmio.irq;
		nv++;
	}
	if (s->rng) {
		hv_virtio_rng_config_t rc = HV_VIRTIO_RNG_CONFIG_INIT;

		rc.name = "rng";
		NEXT_MMIO(rc, (struct dev_spec *)NULL);
		st = hv_virtio_rng_add(s->vm, &rc, NULL);
		if (st != HV_OK)
			return fail_dev(s, "the virtio-rng device", rc.mmio.base, rc.mmio.irq, st);
		virtio[nv].base = rc.mmio.base;
		virtio[nv].irq = rc.mmio.irq;
		nv++;
	}
#undef NEXT_MMIO

	acpi.virtio = virtio;
	acpi.virtio_count = nv;
	st = hv_pc_setup(s->vm, &acpi);
	if (st != HV_OK)
		return fail(s, "cannot set up the ACPI tables", st);
	milestone("%s: VM built (%" PRIu64 " MiB, %u vCPU%s, %u virtio device%s)", s->name,
		  s->mem >> 20, s->cpus, s->cpus == 1 ? "" : "s", nv, nv == 1 ? "" : "s");
	if (load_images(s, s->vm) != HV_OK)
		return -1;
	return 0;
}

/* ---- running ------------------------------------------------------------------------------- */

static int outcome_of(struct vm_spec *s)
{
	hv_stop_info_t info = HV_STOP_INFO_INIT;

	if (hv_vm_get_stop_info(s->vm, &info) != HV_OK)
		return EXIT_HOST;
	switch (info.cause) {
	case HV_EVENT_GUEST_SHUTDOWN: return EXIT_POWEROFF;
	case HV_EVENT_GUEST_RESET: return EXIT_REBOOT;
	case HV_EVENT_FAULT:
	case HV_EVENT_UNHANDLED_EXIT:
	case HV_EVENT_WATCHDOG: return EXIT_FAULT;
	default: return host_stop ? EXIT_HOST : EXIT_FAULT;
	}
}

static const char *outcome_str(int o)
{
	switch (o) {
	case EXIT_POWEROFF: return "powered off";
	case EXIT_REBOOT: return "rebooted";
	case EXIT_FAULT: return "faulted";
	case EXIT_HOST: return "stopped by the host";
	default: return "failed";
	}
}

static void *waiter(void *arg)
{
	struct vm_spec *s = arg;
	hv_vm_state_t state;
	hv_status_t st = hv_vm_wait(s->vm, &state);

	if (st != HV_OK) {
		err("vm %s: waiting for the VM: %s", s->name, hv_status_str(st));
		s->outcome = EXIT_SETUP;
		return NULL;
	}
	s->outcome = outcome_of(s);
	milestone("%s: ended: %s", s->name, outcome_str(s->outcome));
	if (n_specs > 1 || s->outcome != EXIT_POWEROFF)
		fprintf(stderr, "hvrun: vm %s: %s\n", s->name, outcome_str(s->outcome));
	return NULL;
}

/* ---- --check: is /dev/kvm fast enough for Linux? ------------------------------------------ */

/*
 * A real-mode guest at 0x1000: `mov ecx, 2000000; 1: dec ecx; jnz 1b; out 0x80, al; hlt`.
 * On hardware-assisted KVM the loop takes about a millisecond; on a software KVM (this
 * project's build machines) several seconds.
 */
static const uint8_t check_guest[] = {
	0x66, 0xb9, 0x80, 0x84, 0x1e, 0x00, /* mov ecx, 2000000 */
	0x66, 0x49,                         /* dec ecx */
	0x75, 0xfc,                         /* jnz -4 */
	0xe6, 0x80,                         /* out 0x80, al */
	0xf4,                               /* hlt */
};

static int run_check(void)
{
	hv_vm_config_t vc = HV_VM_CONFIG_INIT;
	hv_region_config_t rc = HV_REGION_CONFIG_INIT;
	hv_vm_t *vm;
	hv_vcpu_t *vcpu;
	hv_exit_t *exit;
	hv_status_t st;
	uint64_t t0, t1, ms;
	const char *name;

	vc.name = "check";
	vc.flags = HV_VM_MANUAL_RUN;
	st = hv_vm_create(&vc, &vm);
	if (st != HV_OK) {
		printf("hvrun: check: no usable backend: %s\n", hv_status_str(st));
		return EXIT_SETUP;
	}
	rc.type = HV_REGION_RAM;
	rc.size = 0x10000;
	if ((st = hv_vm_map_region(vm, &rc, NULL)) != HV_OK ||
	    (st = hv_vm_write(vm, 0x1000, check_guest, sizeof(check_guest))) != HV_OK ||
	    (st = hv_vcpu_create(vm, 0, &vcpu)) != HV_OK ||
	    (st = hv_vcpu_set_reg(vcpu, HV_X86_SEG(HV_X86_CS, HV_X86_SEG_SELECTOR), 0)) != HV_OK ||
	    (st = hv_vcpu_set_reg(vcpu, HV_X86_SEG(HV_X86_CS, HV_X86_SEG_BASE), 0)) != HV_OK ||
	    (st = hv_vcpu_set_reg(vcpu, HV_REG_PC, 0x1000)) != HV_OK ||
	    (st = hv_vm_start(vm)) != HV_OK) {
		printf("hvrun: check: cannot set up the probe: %s\n", hv_status_str(st));
		hv_vm_destroy(vm);
		return EXIT_SETUP;
	}
	t0 = now_ns();
	st = hv_vcpu_run_once(vcpu, &exit);
	t1 = now_ns();
	ms = (t1 - t0) / 1000000u;
	if (st != HV_OK || exit->reason != HV_EXIT_IO || exit->u.io.port != 0x80) {
		printf("hvrun: check: the probe guest did not run as expected (%s, exit %s)\n",
		       hv_status_str(st), st == HV_OK ? hv_exit_reason_str(exit->reason) : "-");
		hv_vm_destroy(vm);
		return EXIT_SETUP;
	}
	name = hv_backend_name(hv_vm_backend(vm));
	hv_vm_destroy(vm);
	/* 2 million iterations: 1-2 ms with hardware assistance, over a second in software. */
	if (ms < 200) {
		printf("hvrun: check: backend %s runs guests at usable speed (probe loop %" PRIu64
		       " ms)\n", name, ms);
		return 0;
	}
	printf("hvrun: check: /dev/kvm works but runs guests far too slowly for Linux (probe loop "
	       "%" PRIu64 " ms, expected a few ms): a software KVM, or nested without hardware "
	       "help\n", ms);
	return EXIT_REBOOT; /* 3: usable for tests only */
}

/* ---- main ---------------------------------------------------------------------------------- */

/* hvrun's own threads need little stack; small stacks keep its memory footprint small. */
static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128u << 10);
	rc = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return rc;
}

int main(int argc, char **argv)
{
	sigset_t sigs;
	pthread_t sig_thread, in_thread;
	int worst = EXIT_POWEROFF;
	unsigned i;

	t_start = now_ns();
	if (parse_args(argc, argv) != 0) {
		usage_hint();
		free_options();
		return EXIT_USAGE;
	}
	hv_log_set_level(opt.log_level);
	if (opt.check) {
		free_options();
		return run_check();
	}
	if (check_specs() != 0) {
		usage_hint();
		free_options();
		return EXIT_USAGE;
	}
	milestone("arguments parsed");

	/* Signals go to one thread, which stops the VMs; vCPU threads inherit the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	start_thread(&sig_thread, signal_thread, &sigs);

	for (i = 0; i < n_specs; i++) {
		if (build_vm(&specs[i]) != 0) {
			worst = EXIT_SETUP;
			goto out;
		}
	}
	for (i = 0; i < n_specs; i++) {
		if (specs[i].stdin_dev != NULL) {
			if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
				struct termios raw = saved_tio;

				cfmakeraw(&raw);
				raw.c_oflag |= OPOST | ONLCR;
				tio_saved = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
			}
			start_thread(&in_thread, stdin_thread, specs[i].stdin_dev);
			pthread_detach(in_thread);
		}
	}
	for (i = 0; i < n_specs; i++) {
		hv_status_t st = hv_vm_start(specs[i].vm);

		if (st != HV_OK) {
			fail(&specs[i], "cannot start the VM", st);
			worst = EXIT_SETUP;
			stop_all();
			break;
		}
		milestone("%s: started", specs[i].name);
	}
	for (i = 0; i < n_specs; i++)
		if (hv_vm_get_state(specs[i].vm) != HV_VM_CREATED)
			start_thread(&specs[i].waiter, waiter, &specs[i]);
	for (i = 0; i < n_specs; i++) {
		if (hv_vm_get_state(specs[i].vm) == HV_VM_CREATED)
			continue;
		pthread_join(specs[i].waiter, NULL);
		/* One VM's fault does not end the others; a host stop ends all. */
		if (specs[i].outcome > worst)
			worst = specs[i].outcome;
	}
out:
	restore_tty();
	pthread_mutex_lock(&input_lock);
	inputs_closed = true;
	pthread_mutex_unlock(&input_lock);
	for (i = 0; i < n_specs; i++)
		if (specs[i].vm != NULL)
			hv_vm_destroy(specs[i].vm);
	hv_switch_destroy(net_switch);
	for (i = 0; i < n_specs; i++) {
		if (specs[i].ram != NULL)
			munmap(specs[i].ram, specs[i].ram_size);
		if (specs[i].files[0] >= 0)
			close(specs[i].files[0]);
		if (specs[i].files[1] >= 0)
			close(specs[i].files[1]);
	}
	if (opt.timing)
		print_milestones();
	free_options();
	return worst;
}
