// SPDX-License-Identifier: GPL-2.0
/* virtprof run: one step of load against the given targets, profiled; cost per request by owner. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "report/session.h"
#include "session/options.h"
#include "session/session.h"
#include "sys/util.h"

static void run_usage(FILE *f)
{
	fprintf(f,
		"Usage: virtprof run --url URL [--vm PID|NAME] [--container ID|NAME|CGROUP|PID]\n"
		"                    [--netns NAME] [load options] [--json FILE] [--csv DIR]\n"
		"                    [--html FILE]\n"
		"\n"
		"Profile while driving HTTP load: every CPU nanosecond charged to its owner (VM\n"
		"roles, container app and runtime, kernel network path, the load generator itself,\n"
		"the profiler, other) and normalized per request.  With no --vm/--container every\n"
		"qemu process and docker container found is a target.\n"
		"\n"
		"  --url URL             the server to load (or the first non-option argument)\n"
		"  --interval D          reporting interval (default 1s)\n"
		"  --json FILE           the report as JSON (schema virtprof-session/1, docs/report.md)\n"
		"  --csv DIR             timeline.csv and summary.csv into DIR\n"
		"  --html FILE           one self-contained page: charts, tables, notes\n" SESSION_MAX_THREADS_HELP
			SESSION_STACK_HELP "  -v, --verbose\n"
		"\n%s"
		"\nExamples:\n"
		"  virtprof run --url http://127.0.0.1:8080/ --users 100 --duration 20s --warmup 2s\n"
		"  virtprof run --url http://10.213.0.2/ --netns virtprof-tb --vm virtprof-vm \\\n"
		"               --users 50 --duration 10s --json vm.json\n"
		"  virtprof run --url http://127.0.0.1:8080/ --stacks --folded /tmp/fg --pprof p.pb.gz\n",
		load_options_help);
}

int cmd_run(int argc, char **argv)
{
	enum { OPT_URL = 256 };
	static const struct option opts[] = {
		{ "url", required_argument, NULL, OPT_URL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		SESSION_TARGET_OPTIONS,
		SESSION_MAX_THREADS_OPTION,
		SESSION_OUTPUT_OPTIONS,
		SESSION_STACK_OPTIONS,
		LOAD_LONG_OPTIONS,
		{},
	};
	int opt, err, ret = VP_EXIT_FAIL;
	struct session_cli cli;
	struct sess_step *st;
	const char *url = NULL;
	struct session s;
	char msg[256];

	session_cli_init(&cli);
	while ((opt = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_URL:
			url = optarg;
			break;
		case 'v':
			vp_verbose++;
			break;
		case 'h':
			run_usage(stdout);
			return VP_EXIT_OK;
		default:
			err = session_cli_opt(&cli, opt, optarg);
			if (err < 0)
				return VP_EXIT_USAGE;
			if (!err)
				break;
			run_usage(stderr);
			return VP_EXIT_USAGE;
		}
	}
	if (!url && optind < argc)
		url = argv[optind++];
	if (optind < argc) {
		vp_err("unexpected argument '%s'", argv[optind]);
		return VP_EXIT_USAGE;
	}
	if (!url) {
		vp_err("no URL: give --url URL");
		return VP_EXIT_USAGE;
	}
	cli.plan.url = url;
	if (load_plan_validate(&cli.plan, msg, sizeof(msg))) {
		vp_err("%s", msg);
		return VP_EXIT_USAGE;
	}
	if (session_check_outputs(cli.json, cli.csv, cli.html) || session_check_stack_outputs(&cli))
		return VP_EXIT_USAGE;

	err = session_open(&s, cli.vms, cli.nvm, cli.ctrs, cli.nctr, cli.interval_ns,
			   cli.max_threads);
	if (err)
		return vp_exit_code(err);
	if (cli.stack_hz)
		capture_stacks(&s.cap, cli.stack_hz); /* not available is reported, not fatal */
	st = session_add_step(&s, "run", s.cap.targets.n == 1 ? 0 : -1, &cli.plan);
	if (!st)
		goto out;
	err = session_run_step(&s, st);
	if (err && !st->have_res) {
		ret = err == -EINVAL ? VP_EXIT_USAGE : VP_EXIT_FAIL;
		goto out;
	}
	session_report_text(&s, stdout, false);
	ret = session_write_outputs(&s, &cli, "run");
out:
	session_close(&s);
	return ret;
}
