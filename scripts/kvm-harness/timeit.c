/* SPDX-License-Identifier: MIT */
/*
 * timeit LABEL PROGRAM [ARGS...]: run PROGRAM, then print
 *   "TIMEIT label=LABEL ns=N status=S"
 * with N the CLOCK_MONOTONIC nanoseconds from fork to exit and S its exit status (128+signal
 * if killed). Exits with the program's status. Built statically for the L1 harness, whose
 * busybox cannot time below 10 ms; under run-l1.sh --icount, N counts emulated instructions.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	uint64_t t0, t1;
	int status, rc;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: timeit LABEL PROGRAM [ARGS...]\n");
		return 2;
	}
	fflush(stdout);
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror("timeit: exec");
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("timeit: waitpid");
		return 2;
	}
	t1 = now_ns();
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("TIMEIT label=%s ns=%llu status=%d\n", argv[1], (unsigned long long)(t1 - t0), rc);
	return rc;
}
