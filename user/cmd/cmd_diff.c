// SPDX-License-Identifier: GPL-2.0
/* virtprof diff: two saved sessions, B against A, with --fail-if gates for CI (report/diff.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "report/diff.h"
#include "report/doc.h"
#include "session/options.h"
#include "sys/util.h"

static void diff_usage(FILE *f)
{
	fprintf(f,
		"Usage: virtprof diff A.json B.json [--fail-if EXPR]... [--json F] [--html F]\n"
		"\n"
		"Session B against session A (run/compare --json, the same steps and targets):\n"
		"per step, target and metric, B - A with an uncertainty u from the spread of\n"
		"each session's intervals.  A change within u is not a change.\n"
		"\n"
		"  --fail-if EXPR  exit 1 when a change beyond u crosses the limit; repeatable.\n"
		"                  METRIC>LIMIT or METRIC<LIMIT; LIMIT signed, in %% of A or\n"
		"                  absolute.  METRIC: loadgen_us own_us virt_us path_us\n"
		"                  other_us (CPU us/request), p99_ms, req_per_s\n"
		"  --json FILE     the changes as JSON (schema virtprof-diff/1, docs/report.md)\n"
		"  --html FILE     the changes as one self-contained page\n"
		"\nExit: 0 no gate violated, 1 a gate violated, 2 bad input or sessions that\n"
		"do not match.\n"
		"\nExamples:\n"
		"  virtprof diff before.json after.json\n"
		"  virtprof diff base.json pr.json --fail-if 'virt_us>+10%%' \\\n"
		"                --fail-if 'p99_ms>+20%%'\n"
		"  virtprof diff a.json b.json --fail-if 'req_per_s<-5%%' --html d.html\n");
}

static int write_json(const struct diff *d, const char *path, const char *a, const char *b,
		      int fails)
{
	struct atomic_file *af = atomic_file_open(path);
	struct out o;
	struct jw *w;

	if (!af)
		return -errno;
	out_init(&o, atomic_file_stream(af), OUT_JSON, true);
	w = &o.jw;
	jw_obj_begin(w);
	jw_kstr(w, "schema", "virtprof-diff/1");
	jw_kstr(w, "a", a);
	jw_kstr(w, "b", b);
	jw_kstr(w, "verdict", fails ? "fail" : "pass");
	jw_key(w, "gates");
	jw_arr_begin(w);
	for (int k = 0; k < d->ngates; k++) {
		const struct diff_gate *g = &d->gates[k];
		char op[2] = { g->op, 0 };

		jw_obj_begin(w);
		jw_kstr(w, "expr", g->expr);
		jw_kstr(w, "metric", diff_metric_key[g->metric]);
		jw_kstr(w, "op", op);
		jw_kdouble(w, "limit", g->limit);
		jw_kstr(w, "unit", g->pct ? "percent" : "absolute");
		jw_ku64(w, "violations", g->violations);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	diff_table(d, &o);
	jw_obj_end(w);
	jw_end_line(w);
	return atomic_file_commit(af);
}

static int write_html(const struct diff *d, const char *path, const json_t *a, const json_t *b,
		      const char *an, const char *bn)
{
	struct atomic_file *af = atomic_file_open(path);

	if (!af)
		return -errno;
	diff_html(atomic_file_stream(af), d, a, b, an, bn);
	return atomic_file_commit(af);
}

int cmd_diff(int argc, char **argv)
{
	enum { OPT_FAIL_IF = 256, OPT_JSON, OPT_HTML };
	static const struct option opts[] = {
		{ "fail-if", required_argument, NULL, OPT_FAIL_IF },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "html", required_argument, NULL, OPT_HTML },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *json = NULL, *html = NULL;
	json_t *a = NULL, *b = NULL;
	struct diff d = { 0 };
	int opt, err, fails, ret = VP_EXIT_USAGE;
	char msg[512];
	struct out o;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_FAIL_IF:
			if (d.ngates == DIFF_MAX_GATES) {
				vp_err("too many --fail-if (at most %d)", DIFF_MAX_GATES);
				return VP_EXIT_USAGE;
			}
			if (diff_parse_gate(optarg, &d.gates[d.ngates], msg, sizeof(msg))) {
				vp_err("%s", msg);
				return VP_EXIT_USAGE;
			}
			d.ngates++;
			break;
		case OPT_JSON:
			json = optarg;
			break;
		case OPT_HTML:
			html = optarg;
			break;
		case 'h':
			diff_usage(stdout);
			return VP_EXIT_OK;
		default:
			diff_usage(stderr);
			return VP_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		vp_err("want two sessions: virtprof diff A.json B.json (try --help)");
		return VP_EXIT_USAGE;
	}
	if (session_check_outputs(json, NULL, html))
		return VP_EXIT_USAGE;
	a = doc_load(argv[optind], &ret);
	if (!a)
		return ret;
	b = doc_load(argv[optind + 1], &ret);
	if (!b)
		goto out;
	err = diff_sessions(a, b, &d, msg, sizeof(msg));
	if (err) {
		if (err == -EINVAL)
			vp_err("%s", msg);
		ret = vp_exit_code(err);
		goto out;
	}
	fails = diff_gates(&d);
	printf("A = %s\nB = %s\n\n", argv[optind], argv[optind + 1]);
	out_init(&o, stdout, OUT_TEXT, false);
	diff_table(&d, &o);
	for (int k = 0; k < d.ngates; k++)
		printf("%s --fail-if '%s': %d change(s) beyond their uncertainty cross the limit\n",
		       d.gates[k].violations ? "FAIL" : "pass", d.gates[k].expr,
		       d.gates[k].violations);
	ret = fails ? VP_EXIT_FAIL : VP_EXIT_OK;
	if (json && (err = write_json(&d, json, argv[optind], argv[optind + 1], fails))) {
		vp_err("write %s: %s", json, vp_file_error(err));
		ret = VP_EXIT_USAGE;
	}
	if (html && (err = write_html(&d, html, a, b, argv[optind], argv[optind + 1]))) {
		vp_err("write %s: %s", html, vp_file_error(err));
		ret = VP_EXIT_USAGE;
	}
out:
	diff_free(&d);
	json_decref(a);
	json_decref(b);
	return ret;
}
