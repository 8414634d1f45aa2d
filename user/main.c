// SPDX-License-Identifier: GPL-2.0
/* virtprof: where does the CPU go per request when a web server runs in a VM or a container. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "account/self.h"
#include "sys/util.h"

#define VIRTPROF_VERSION "0.1"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "top", cmd_top, "live CPU table per VM / container / load generator / other" },
	{ "run", cmd_run, "profile while driving HTTP load; cost per request by owner" },
	{ "compare", cmd_compare, "same load plan against several targets, side by side" },
	{ "serve", cmd_serve, "agent: the accounting as Prometheus metrics on /metrics" },
	{ "load", cmd_load, "the HTTP load generator on its own (wrk-like)" },
	{ "report", cmd_report, "render a saved session (--json) as one HTML page" },
	{ "diff", cmd_diff, "session B against A per step and owner; --fail-if gates for CI" },
	{ "testbed", cmd_testbed, "built-in nginx VM + container: up | status | down" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: virtprof COMMAND [OPTIONS]\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'virtprof COMMAND --help' describes a command.  Run as root.\n");
}

int main(int argc, char **argv)
{
	/* stdout may be a pipe to jq or a file a test reads while we run: flush per line. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/*
	 * A reader that goes away (| head) must not kill a session before its probes are detached,
	 * its testbed removed and its --json/--html files written: a write to it fails with EPIPE
	 * instead, and top, which would otherwise run on, ends when stdout is gone.
	 */
	signal(SIGPIPE, SIG_IGN);
	self_register_thread(SELF_PROFILER);

	if (argc < 2) {
		usage(stderr);
		return VP_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return VP_EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("virtprof %s\n", VIRTPROF_VERSION);
		return VP_EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	vp_err("unknown command '%s' (try 'virtprof --help')", argv[1]);
	return VP_EXIT_USAGE;
}
