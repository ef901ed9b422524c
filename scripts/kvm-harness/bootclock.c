/* SPDX-License-Identifier: MIT */
/*
 * bootclock [--ram MIB] MARKER PROGRAM [ARGS...]: run a VMM, relay its standard output, and
 * when a line of it first contains MARKER print
 *   "BOOTCLOCK ns=N rss_kib=R guest_kib=G beyond_kib=B"
 * with N the CLOCK_MONOTONIC nanoseconds from fork to that moment, R the VMM's resident memory
 * then (the sum of Rss in /proc/PID/smaps), G the part of it in mappings of at least the guest's
 * RAM size (--ram; the guest RAM), and B = R - G. With BOOTCLOCK_MAPS=1 in the environment it
 * also prints, per mapping outside the guest RAM that has resident pages,
 *   "BOOTCLOCK map KIB NAME"
 * so the figure B can be explained. Exits with the program's status.
 *
 * Built statically for L1 of the KVM-in-QEMU harness. Under run-l1.sh --icount, L1's clock
 * counts emulated instructions, so N is an instruction count that does not depend on the
 * host's load: this is how the boot figures of hvrun and of other VMMs are taken.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void rss(pid_t pid, unsigned long ram, long *total, long *guest)
{
	char path[64], line[512], name[256] = "";
	unsigned long lo, hi, size = 0;
	long kib;
	int maps = getenv("BOOTCLOCK_MAPS") != NULL;
	FILE *f;

	*total = *guest = 0;
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (f == NULL) {
		*total = *guest = -1;
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			const char *n = line;
			int field;

			size = hi - lo;
			/* The name is the sixth field (absent for anonymous memory). */
			for (field = 0; field < 5 && n != NULL; field++) {
				n = strchr(n, ' ');
				while (n != NULL && *n == ' ')
					n++;
			}
			snprintf(name, sizeof(name), "%s", n != NULL && *n != '\n' ? n : "[anon]\n");
			name[strcspn(name, "\n")] = '\0';
		} else if (sscanf(line, "Rss: %ld kB", &kib) == 1) {
			*total += kib;
			if (ram != 0 && size >= ram)
				*guest += kib;
			else if (maps && kib != 0)
				printf("\nBOOTCLOCK map %ld %s (%lx bytes)", kib, name, size);
		}
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	unsigned long ram = 0;
	const char *marker;
	char buf[4096], window[4096 + 256];
	size_t wlen = 0, mlen;
	uint64_t t0;
	int fds[2], status, argi = 1;
	int seen = 0;
	pid_t pid;

	if (argc > 2 && !strcmp(argv[1], "--ram")) {
		ram = strtoul(argv[2], NULL, 0) << 20;
		argi = 3;
	}
	if (argc - argi < 2) {
		fprintf(stderr, "usage: bootclock [--ram MIB] MARKER PROGRAM [ARGS...]\n");
		return 2;
	}
	marker = argv[argi];
	mlen = strlen(marker);
	if (mlen == 0 || mlen > 255 || pipe(fds) != 0) {
		fprintf(stderr, "bootclock: bad marker or no pipe\n");
		return 2;
	}
	fflush(stdout);
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("bootclock: fork");
		return 2;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[argi + 1], argv + argi + 1);
		perror("bootclock: exec");
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t n = read(fds[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (!seen) {
			/* Search the tail of the previous read plus this one. */
			size_t keep = wlen < mlen - 1 ? wlen : mlen - 1;

			memmove(window, window + wlen - keep, keep);
			memcpy(window + keep, buf, (size_t)n);
			wlen = keep + (size_t)n;
			if (memmem(window, wlen, marker, mlen) != NULL) {
				uint64_t t = now_ns() - t0;
				long total, guest;

				rss(pid, ram, &total, &guest);
				seen = 1;
				if (write(STDOUT_FILENO, buf, (size_t)n) < 0)
					break;
				printf("\nBOOTCLOCK ns=%llu rss_kib=%ld guest_kib=%ld beyond_kib=%ld\n",
				       (unsigned long long)t, total, guest, total - guest);
				fflush(stdout);
				continue;
			}
		}
		if (write(STDOUT_FILENO, buf, (size_t)n) < 0)
			break;
	}
	if (waitpid(pid, &status, 0) < 0)
		return 2;
	if (!seen)
		printf("\nBOOTCLOCK marker not seen\n");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
