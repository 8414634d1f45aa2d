// SPDX-License-Identifier: GPL-2.0
/* virtprof run: one step of load against the given targets, profiled; cost per request by owner. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "report/session_report.h"
#include "session/options.h"
#include "session/session.h"
#include "sys/util.h"

static void run_usage(FILE *f)
{
	fprintf(f,
		"Usage: virtprof run --url URL [--vm PID|NAME|UUID] [--container ID|NAME|CGROUP|PID]\n"
		"                    [--netns NAME] [load options] [--json FILE] [--csv DIR]\n"
		"                    [--html FILE]\n"
		"       virtprof run --load-cmd 'CMD ARGS' [--url URL] [--requests-from URL] ...\n"
		"       virtprof run --requests-from URL [--duration D] [--vm ...] [--container ...]\n"
		"\n"
		"Profile while driving HTTP load: every CPU nanosecond charged to its owner (VM\n"
		"roles, container app and runtime, kernel network path, the load generator itself,\n"
		"the profiler, other) and normalized per request.  With no --vm/--container every\n"
		"qemu process and docker container found is a target.\n"
		"\n"
		"  --url URL             the server to load (or the first non-option argument); with\n"
		"                        --load-cmd only shown, and put in place of {url} in CMD\n" SESSION_SOURCE_HELP
		"  --interval D          reporting interval (default 1s)\n"
		"  --json FILE           the report as JSON (schema virtprof-session/1, docs/report.md)\n"
		"  --csv DIR             timeline.csv and summary.csv into DIR\n"
		"  --html FILE           one self-contained page: charts, tables, notes\n" SESSION_MAX_THREADS_HELP
			SESSION_RUN_LIGHT_HELP SESSION_STACK_HELP SESSION_EXIT_PROFILE_HELP
				SESSION_GUEST_SYMBOLS_HELP "  -v, --verbose\n"
		"\n%s"
		"\nExamples:\n"
		"  virtprof run --url http://127.0.0.1:8080/ --users 100 --duration 20s --warmup 2s\n"
		"  virtprof run --url http://10.213.0.2/ --netns virtprof-tb --vm virtprof-vm \\\n"
		"               --users 50 --duration 10s --json vm.json\n"
		"  virtprof run --url http://127.0.0.1:8080/ --stacks --folded /tmp/fg --pprof p.pb.gz\n"
		"  virtprof run --container web --load-cmd 'wrk -t2 -c100 -d10s http://10.0.0.2/'\n"
		"  virtprof run --container web --requests-from http://10.0.0.2/status --duration 60s\n",
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
		SESSION_GUEST_SYMBOLS_OPTION,
		SESSION_MAX_THREADS_OPTION,
		SESSION_LIGHT_OPTION,
		SESSION_MAX_TARGETS_OPTION,
		SESSION_OUTPUT_OPTIONS,
		SESSION_STACK_OPTIONS,
		SESSION_EXIT_PROFILE_OPTIONS,
		SESSION_SOURCE_OPTIONS,
		LOAD_LONG_OPTIONS,
		{},
	};
	int opt, err, ret = VP_EXIT_FAIL;
	struct session_cli cli;
	struct capture_opts copts;
	struct sess_step *st;
	char cmd[1024];
	bool builtin;
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
	if (!url && !cli.load_cmd && !cli.have_rc) {
		vp_err("no URL: give --url URL (or --load-cmd, or --requests-from)");
		return VP_EXIT_USAGE;
	}
	builtin = url && !cli.load_cmd;
	cli.plan.url = url;
	if (builtin && load_plan_validate(&cli.plan, msg, sizeof(msg))) {
		vp_err("%s", msg);
		return VP_EXIT_USAGE;
	}
	if (session_check_sources(&cli, builtin))
		return VP_EXIT_USAGE;
	if (cli.load_cmd && session_cmd_expand(cli.load_cmd, url, 0, cmd, sizeof(cmd))) {
		vp_err("--load-cmd: too long");
		return VP_EXIT_USAGE;
	}
	if (session_check_light(&cli) || session_check_outputs(cli.json, cli.csv, cli.html) ||
	    session_check_stack_outputs(&cli))
		return VP_EXIT_USAGE;

	copts = session_capture_opts(&cli, true);
	err = session_open(&s, &copts, cli.interval_ns);
	if (err)
		return vp_exit_code(err);
	if (cli.stack_hz)
		capture_stacks(&s.cap, cli.stack_hz); /* not available is reported, not fatal */
	st = session_add_step(&s, "run", s.cap.targets.n == 1 ? 0 : -1, &cli.plan);
	if (!st)
		goto out;
	if (cli.load_cmd)
		session_step_cmd(st, cmd);
	if (cli.have_rc)
		session_step_reqcount(st, &cli.rc);
	err = session_run_step(&s, st);
	if (err && builtin && !st->have_res) {
		ret = err == -EINVAL ? VP_EXIT_USAGE : VP_EXIT_FAIL;
		goto out;
	}
	session_report_text(&s, stdout, TEXT_RUN);
	ret = session_report_outputs(&s, &cli, "run");
	/* the user's command failing is the run failing, after the report of what was measured */
	if (cli.load_cmd && session_step_cmd_failed(st, msg, sizeof(msg))) {
		vp_err("%s", msg);
		if (ret == VP_EXIT_OK)
			ret = VP_EXIT_FAIL;
	}
out:
	session_close(&s);
	return ret;
}
