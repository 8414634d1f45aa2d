// SPDX-License-Identifier: GPL-2.0
/*
 * A known CPU profile for the stack tests.
 *   stack_hot hot SECONDS  two hot functions, hot_a doing 7 units of work for every 3 of hot_b:
 *                          70 / 30 of the samples
 *   stack_hot sys SECONDS  a loop of getppid(): its kernel function on the thread's stacks
 * The hot functions are leaves (no calls), so the sampled leaf IP names them whether or not the
 * user stack can be walked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define UNIT 200000

volatile unsigned long sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline, noclone)) void hot_a(int units)
{
	unsigned long x = sink;

	for (long i = 0; i < (long)units * UNIT; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	sink = x;
}

__attribute__((noinline, noclone)) void hot_b(int units)
{
	unsigned long x = sink;

	for (long i = 0; i < (long)units * UNIT; i++)
		x = x * 2862933555777941757UL + 3037000493UL; /* not folded into hot_a */
	sink = x;
}

int main(int argc, char **argv)
{
	double end;

	if (argc != 3 || (strcmp(argv[1], "hot") && strcmp(argv[1], "sys"))) {
		fprintf(stderr, "usage: stack_hot hot|sys SECONDS\n");
		return 2;
	}
	end = now() + atof(argv[2]);
	while (now() < end) {
		if (argv[1][0] == 'h') {
			hot_a(7);
			hot_b(3);
		} else {
			for (int i = 0; i < 10000; i++)
				syscall(SYS_getppid);
		}
	}
	return 0;
}
