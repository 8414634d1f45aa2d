// SPDX-License-Identifier: GPL-2.0
/*
 * Attach bpf/floor.bpf.c's programs (the cost floor on virtprof's hottest tracepoints) until
 * SIGINT/SIGTERM or SECONDS pass:  probe_floor [SECONDS]   (default 600)
 * Prints "attached" once every program is attached.  For scripts/bench/floor.sh.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct floor_bpf *skel;
	char *end = NULL;
	long secs = 600;
	int err;

	if (argc > 2 || (argc == 2 && ((secs = strtol(argv[1], &end, 10)) <= 0 || *end))) {
		fprintf(stderr, "usage: probe_floor [SECONDS > 0]\n");
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	skel = floor_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "probe_floor: cannot load the floor programs: %s\n", strerror(errno));
		return 1;
	}
	err = floor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "probe_floor: cannot attach: %s\n", strerror(-err));
		floor_bpf__destroy(skel);
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	for (long i = 0; i < secs * 10 && !stop; i++)
		usleep(100000);
	floor_bpf__destroy(skel);
	return 0;
}
