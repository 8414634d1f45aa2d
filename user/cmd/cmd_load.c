// SPDX-License-Identifier: GPL-2.0
/* `virtprof load URL [options]`: the load generator on its own, to hold against wrk and h2load. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "load/load.h"
#include "sys/util.h"

static struct load_handle *volatile cur;
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
	if (cur)
		load_stop(cur);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: virtprof load URL [options]\n"
		"Drive HTTP/1.1 load at URL and report latency, throughput and errors (wrk-like).\n\n"
		"%s"
		"Output:\n"
		"  --json FILE        write the result as JSON (schema virtprof-load/1, docs/load.md)\n"
		"  --progress         one-line live progress on stderr even when it is no terminal\n"
		"  -v, --verbose      debug messages\n\n"
		"Examples:\n"
		"  virtprof load http://127.0.0.1:8080/ --users 100 --duration 30s --warmup 5s\n"
		"  virtprof load http://127.0.0.1:8080/ --users 1000 --ramp-up 1s --loops 10\n"
		"  virtprof load http://127.0.0.1:8080/ --rate 20000 --duration 20s --json out.json\n",
		load_options_help);
}

/* The output file must be writable before any traffic, not found out after the run. */
static int check_out_path(const char *path)
{
	int err = vp_out_check(path, false);

	if (err) {
		vp_err("--json %s: cannot be written: %s", path, vp_file_error(err));
		return -EINVAL;
	}
	return 0;
}

static void progress(struct load_handle *h, size_t *seen, uint64_t *reqs, uint64_t *errs)
{
	struct load_tick t[16];
	size_t n;

	while ((n = load_timeline_read(h, *seen, t, ARRAY_SIZE(t))) > 0) {
		for (size_t i = 0; i < n; i++) {
			char p50[32], p99[32];

			if (!t[i].warmup) {
				*reqs += t[i].requests;
				*errs += t[i].errors;
			}
			fmt_duration(t[i].p50_ns, p50, sizeof(p50));
			fmt_duration(t[i].p99_ns, p99, sizeof(p99));
			fprintf(stderr,
				"\r\033[K[%4" PRIu64 "s%s] %" PRIu64 " req/s  p50 %s  p99 %s  "
				"in flight %" PRIu64 "  total %" PRIu64 " req, %" PRIu64 " errors",
				t[i].sec + 1, t[i].warmup ? " warm-up" : "", t[i].requests,
				t[i].requests ? p50 : "-", t[i].requests ? p99 : "-", t[i].inflight,
				*reqs, *errs);
		}
		*seen += n;
	}
}

int cmd_load(int argc, char **argv)
{
	static const struct option opts[] = {
		LOAD_LONG_OPTIONS,
		{ "json", required_argument, NULL, 'j' },
		{ "progress", no_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct load_plan plan;
	struct load_result res;
	struct load_handle *h;
	struct sigaction sa = { .sa_handler = on_signal };
	const char *json = NULL;
	bool show = isatty(STDERR_FILENO), shown = false;
	size_t seen = 0;
	uint64_t reqs = 0, errs = 0;
	char err[512];
	int c, r;

	load_plan_init(&plan);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = optarg;
			break;
		case 'P':
			show = true;
			break;
		case 'v':
			vp_verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return VP_EXIT_OK;
		case ':':
			vp_err("load: option %s needs a value", argv[optind - 1]);
			return VP_EXIT_USAGE;
		case '?':
			vp_err("load: unknown option '%s' (try 'virtprof load --help')",
			       argv[optind - 1]);
			return VP_EXIT_USAGE;
		default:
			r = load_plan_parse_opt(&plan, c, optarg, err, sizeof(err));
			if (r) {
				vp_err("load: %s", err);
				return VP_EXIT_USAGE;
			}
		}
	}
	if (optind >= argc) {
		vp_err("load: no URL given (virtprof load URL [options])");
		return VP_EXIT_USAGE;
	}
	if (argc - optind > 1) {
		vp_err("load: one URL only, got '%s' and '%s'", argv[optind], argv[optind + 1]);
		return VP_EXIT_USAGE;
	}
	plan.url = argv[optind];
	if (load_plan_validate(&plan, err, sizeof(err))) {
		vp_err("load: %s", err);
		return VP_EXIT_USAGE;
	}
	if (json && check_out_path(json))
		return VP_EXIT_USAGE;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r = load_start(&plan, &h, err, sizeof(err));
	if (r) {
		vp_err("load: %s", err);
		return r == -EINVAL ? VP_EXIT_USAGE : VP_EXIT_FAIL;
	}
	cur = h;
	if (got_signal)
		load_stop(h);
	while (!load_done(h)) {
		struct timespec ts = { 0, 100 * 1000000L };

		nanosleep(&ts, NULL);
		if (show) {
			progress(h, &seen, &reqs, &errs);
			shown = seen > 0;
		}
	}
	cur = NULL;
	r = load_wait(h, &res);
	if (shown)
		fprintf(stderr, "\r\033[K");
	if (r) {
		vp_err("load: merging results: %s", strerror(-r));
		load_result_free(&res);
		return VP_EXIT_FAIL;
	}
	load_print_summary(&res, stdout);
	if (res.conn_requested && res.conn_established < res.conn_requested)
		vp_warn("load: only %" PRIu64 " of %" PRIu64 " requested connections were "
			"established",
			res.conn_established, res.conn_requested);
	r = VP_EXIT_OK;
	if (json) {
		int e = load_write_json(&res, json);

		if (e) {
			vp_err("load: write %s: %s", json, vp_file_error(e));
			r = VP_EXIT_FAIL;
		}
	}
	load_result_free(&res);
	return r;
}
