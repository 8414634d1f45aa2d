// SPDX-License-Identifier: GPL-2.0
/*
 * Other load generators' reports (load/tool.c), on outputs captured from the real tools against
 * a loopback nginx (tests/unit/data/loadtool/: wrk 4.1, h2load 1.52, ab 2.3, hey 0.1.4, nginx
 * 1.22's stub_status), the command-line splitter of --load-cmd and the --requests-from counters.
 * Inputs written by hand say so in their names (*_handmade): the JMeter results file, in 2.13's
 * default CSV columns (e2e/load_cmd runs the real JMeter); k6's summary export and
 * handleSummary data, and oha's JSON, from the keys their sources write (k6's summary export,
 * oha's printer.rs print_json) because neither tool is packaged in Debian; the Prometheus page.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "load/reqcount.h"
#include "load/tool.h"

static char *slurp(const char *name)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "tests/unit/data/loadtool/%s", name);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	fclose(f);
	return buf;
}

static void parse(enum load_tool t, const char *file, struct tool_result *r, int want)
{
	char *text = slurp(file);

	assert_int_equal(load_tool_parse(t, text, r), want);
	free(text);
}

static void test_tool_of(void **state)
{
	(void)state;
	assert_int_equal(load_tool_of("wrk"), TOOL_WRK);
	assert_int_equal(load_tool_of("/usr/local/bin/wrk2"), TOOL_WRK);
	assert_int_equal(load_tool_of("h2load"), TOOL_H2LOAD);
	assert_int_equal(load_tool_of("/usr/bin/ab"), TOOL_AB);
	assert_int_equal(load_tool_of("jmeter"), TOOL_JMETER);
	assert_int_equal(load_tool_of("/usr/bin/hey"), TOOL_HEY);
	assert_int_equal(load_tool_of("oha"), TOOL_OHA);
	assert_int_equal(load_tool_of("/usr/local/bin/k6"), TOOL_K6);
	assert_int_equal(load_tool_of("curl"), TOOL_UNKNOWN);
	assert_int_equal(load_tool_of("wrkx"), TOOL_UNKNOWN);
}

/*
 * A report read back from a captured file: requests and errors always checked; the latency
 * figures a case checks written "name=value" as the tool printed them, "nan" where it printed none
 * (it must read back as unknown); flags that must be set.  A failure names the file and figure.
 */
enum { HAVE_REQUESTS = 1, HAVE_ERRORS = 2 };

struct report_case {
	enum load_tool tool;
	const char *file;
	uint64_t requests, errors;
	const char *ms;
	unsigned int have;
};

static const struct report_case reports[] = {
	/* no --latency: no percentiles printed */
	{ TOOL_WRK, "wrk_ok.txt", 6885, 0, "mean=3.43 stddev=3.27 max=16.14 p50=nan",
	  HAVE_REQUESTS },
	/*
	 * errors: "Non-2xx or 3xx responses: 6786".  The Thread Stats line as well as the
	 * distribution: parse_wrk once skipped it when "Latency Distribution" followed anywhere.
	 */
	{ TOOL_WRK, "wrk_500_latency.txt", 6786, 6786,
	  "mean=3.35 stddev=4.54 max=24.58 p50=0.625 p90=10.26 p99=19.08" },
	{ TOOL_WRK, "wrk_sockerr.txt", 0, 2893 /* Socket errors: read 2893 */, "" },
	{ TOOL_H2LOAD, "h2load_ok.txt", 2000, 0, "min=0.068 max=154.93 mean=3.59 stddev=12.83" },
	{ TOOL_H2LOAD, "h2load_404_dur.txt", 5813 /* 4xx responses are responses */, 5813, "" },
	{ TOOL_H2LOAD, "h2load_refused.txt", 0, 100, "mean=nan" },
	{ TOOL_AB, "ab_ok.txt", 500, 0, "mean=4 stddev=4.1 p50=2 p90=9 p99=21 max=21" },
	{ TOOL_AB, "ab_500.txt", 200, 200 /* Non-2xx responses */, "" },
	/* hey -n 2000 -c 10: every response a 200 */
	{ TOOL_HEY, "hey_ok.txt", 2000, 0,
	  "mean=0.6 min=0 max=12.6 p50=0.3 p90=1.0 p95=2.3 p99=5.6 stddev=nan",
	  HAVE_REQUESTS | HAVE_ERRORS },
	/* 300 responses, all 500: requests, and errors by hey's own status table */
	{ TOOL_HEY, "hey_500.txt", 300, 300, "" },
	/* connection refused: no response, 50 errors, latency unknown (hey prints NaN / 0) */
	{ TOOL_HEY, "hey_refused.txt", 0, 50, "mean=nan min=nan p50=nan", HAVE_REQUESTS },
	/* errors: 503s and a transport error */
	{ TOOL_OHA, "oha_handmade.json", 1996, 6 + 3,
	  "mean=0.9131 min=0.0812 max=21.3445 p50=0.6522 p95=2.1987 p99=6.1234" },
	/* serde writes NaN as null: no response, the figures unknown */
	{ TOOL_OHA, "oha_refused_handmade.json", 0, 50, "mean=nan p99=nan" },
	/*
	 * --summary-export: figures flat under each metric; default trend stats (no p99).
	 * errors: http_req_failed, where a "pass" is a failed request.
	 */
	{ TOOL_K6, "k6_export_handmade.json", 3000, 12,
	  "mean=0.8124 p50=0.5532 p90=1.3307 p95=1.9218 p99=nan max=14.2201", HAVE_ERRORS },
	/* handleSummary's data: the same under "values", p(99) when asked for */
	{ TOOL_K6, "k6_handlesummary_handmade.json", 500, 0, "p99=8.75 min=1.0" },
	/* 5 samples: 4 HTTP responses (one 500), one read timeout without a response;
	 * mean (12 + 3 + 7 + 5) / 4 */
	{ TOOL_JMETER, "jmeter_2.13_handmade.jtl", 4, 2, "mean=6.75 min=3 max=12 p50=5 p99=12" },
};

static double figure(const struct tool_result *r, const char *file, const char *name)
{
	static const char *const names[] = { "mean", "stddev", "min", "max",
					     "p50",  "p90",    "p95", "p99" };
	const double v[] = { r->mean_ms, r->stddev_ms, r->min_ms, r->max_ms,
			     r->p50_ms,	 r->p90_ms,    r->p95_ms, r->p99_ms };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return v[i];
	fail_msg("%s: no figure named '%s' in the case", file, name);
	return NAN;
}

static void check_report(const struct report_case *c)
{
	char ms[128], *save = NULL;
	struct tool_result r;

	parse(c->tool, c->file, &r, 0);
	if ((c->have & HAVE_REQUESTS) && !r.have_requests)
		fail_msg("%s: no request count", c->file);
	if ((c->have & HAVE_ERRORS) && !r.have_errors)
		fail_msg("%s: no error count", c->file);
	if (r.requests != c->requests || r.errors != c->errors)
		fail_msg("%s: %llu requests %llu errors, want %llu and %llu", c->file,
			 (unsigned long long)r.requests, (unsigned long long)r.errors,
			 (unsigned long long)c->requests, (unsigned long long)c->errors);
	snprintf(ms, sizeof(ms), "%s", c->ms);
	for (char *t = strtok_r(ms, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(t, '=');
		double got, want;

		if (!eq)
			fail_msg("%s: '%s' is not name=value", c->file, t);
		*eq = '\0';
		got = figure(&r, c->file, t);
		want = strtod(eq + 1, NULL);
		if (isnan(want) ? !isnan(got) : !(fabs(got - want) <= 1e-9))
			fail_msg("%s: %s_ms %g, want %s", c->file, t, got, eq + 1);
	}
}

static void test_reports(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(reports) / sizeof(reports[0]); i++)
		check_report(&reports[i]);
}

/* What is not a report: no figures, and the reason says why. */
static void test_not_reports(void **state)
{
	struct tool_result r;

	(void)state;
	assert_int_equal(load_tool_parse(TOOL_WRK,
					 "unable to connect to 127.0.0.1:1 Connection "
					 "refused\n",
					 &r),
			 -ENODATA);
	assert_false(r.have_requests);
	assert_non_null(strstr(r.na.detail, "no summary"));

	assert_int_equal(load_tool_parse(TOOL_AB, "apr_socket_recv: Connection refused (111)\n",
					 &r),
			 -ENODATA);

	assert_int_equal(load_tool_parse(TOOL_HEY, "Usage: hey [options...] <url>\n", &r),
			 -ENODATA);
	assert_non_null(strstr(r.na.detail, "hey"));

	/* oha's text summary: not read, and the reason says how to get JSON */
	assert_int_equal(load_tool_parse(TOOL_OHA, "Summary:\n  Success rate:\t100.00%\n", &r),
			 -ENODATA);
	assert_non_null(strstr(r.na.detail, "--output-format json"));
	assert_int_equal(load_tool_parse(TOOL_OHA, "{\"summary\": {", &r), -ENODATA);
	assert_non_null(strstr(r.na.detail, "did not parse"));
	assert_int_equal(load_tool_parse(TOOL_OHA, "{\"summary\": {}}", &r), -ENODATA);

	assert_int_equal(load_tool_parse(TOOL_K6, "{\"metrics\": {}}", &r), -ENODATA);
	assert_non_null(strstr(r.na.detail, "http_reqs"));
	assert_int_equal(load_tool_parse(TOOL_K6, "", &r), -ENODATA);

	assert_int_equal(load_tool_parse(TOOL_JMETER, "<?xml version=\"1.0\"?>\n<testResults>", &r),
			 -ENODATA);
	assert_non_null(strstr(r.na.detail, "CSV"));
}

static void test_unknown(void **state)
{
	struct tool_result r;

	(void)state;
	assert_int_equal(load_tool_parse(TOOL_UNKNOWN, "1000 requests", &r), -ENODATA);
	assert_false(r.have_requests);
	assert_non_null(strstr(r.na.detail, "--requests-from"));
}

static void test_argv_split(void **state)
{
	char err[128], **a;

	(void)state;
	a = load_argv_split("  wrk -t2 -c 'a b' \"x \\\"y\\\" \\$z\" c\\ d ''", err, sizeof(err));
	assert_non_null(a);
	assert_string_equal(a[0], "wrk");
	assert_string_equal(a[1], "-t2");
	assert_string_equal(a[2], "-c");
	assert_string_equal(a[3], "a b");
	assert_string_equal(a[4], "x \"y\" $z");
	assert_string_equal(a[5], "c d");
	assert_string_equal(a[6], "");
	assert_null(a[7]);
	load_argv_free(a);
	assert_null(load_argv_split("wrk 'open", err, sizeof(err)));
	assert_non_null(strstr(err, "unbalanced"));
	assert_null(load_argv_split("a \"b", err, sizeof(err)));
	assert_null(load_argv_split("   ", err, sizeof(err)));
	assert_non_null(strstr(err, "empty"));
}

/* The file a tool writes its results to, from its command line; NULL: none named. */
static void test_results_file(void **state)
{
	static const struct {
		const char *cmd;
		enum load_tool tool;
		const char *want;
	} c[] = {
		{ "jmeter -n -t plan.jmx -l /tmp/r.jtl", TOOL_JMETER, "/tmp/r.jtl" },
		{ "jmeter -n -t plan.jmx -l /tmp/r.jtl", TOOL_K6, NULL },
		{ "jmeter -n -t plan.jmx --logfile=/x.jtl", TOOL_JMETER, "/x.jtl" },
		{ "jmeter -n -t plan.jmx", TOOL_JMETER, NULL },
		{ "k6 run --summary-export=/tmp/s.json s.js", TOOL_K6, "/tmp/s.json" },
		{ "k6 run --summary-export /tmp/t.json s.js", TOOL_K6, "/tmp/t.json" },
		{ "k6 run -l 3 s.js", TOOL_K6, NULL },
	};
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char **a = load_argv_split(c[i].cmd, err, sizeof(err));
		const char *got;

		if (!a)
			fail_msg("'%s' did not split: %s", c[i].cmd, err);
		got = load_tool_results_file(c[i].tool, a);
		if (got ? !c[i].want || strcmp(got, c[i].want) : !!c[i].want)
			fail_msg("'%s' as %s: results file %s, want %s", c[i].cmd,
				 c[i].tool == TOOL_K6 ? "k6" : "jmeter", got ? got : "none",
				 c[i].want ? c[i].want : "none");
		load_argv_free(a);
	}
	assert_true(load_tool_reads_file(TOOL_K6));
	assert_false(load_tool_reads_file(TOOL_HEY));
}

static void test_reqcount(void **state)
{
	struct reqcount_read a = { 0 }, b = { 0 };
	struct reqcount_src src;
	char err[256], *text = slurp("nginx_stub_status.txt");
	uint64_t n;

	(void)state;
	assert_int_equal(reqcount_value(text, "", &a), 0);
	free(text);
	assert_int_equal(a.kind, RC_NGINX);
	assert_int_equal(a.value, 47360); /* the third number: requests, not accepts */
	b = a;
	b.value = 57361;
	assert_int_equal(reqcount_delta(&a, &b, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 10000); /* the second status read is not the load's */
	b.value = 10;
	assert_int_equal(reqcount_delta(&a, &b, &n, err, sizeof(err)), -ENODATA);
	assert_non_null(strstr(err, "went back"));

	assert_int_equal(reqcount_value("Total Accesses: 1234\nTotal kBytes: 5\n", "", &a), 0);
	assert_int_equal(a.kind, RC_APACHE);
	assert_int_equal(a.value, 1234);

	/* hand-written Prometheus text: the exact series, labels as written */
	const char *prom = "# TYPE http_requests_total counter\n"
			   "http_requests_total{code=\"200\"} 1.5e+03\n"
			   "http_requests_total{code=\"500\"} 7\n";
	assert_int_equal(reqcount_value(prom, "http_requests_total{code=\"500\"}", &a), 0);
	assert_int_equal(a.value, 7);
	assert_int_equal(reqcount_value(prom, "http_requests_total{code=\"200\"}", &a), 0);
	assert_int_equal(a.value, 1500);
	b = a;
	b.value = 1600;
	assert_int_equal(reqcount_delta(&a, &b, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 100); /* not ours to subtract: an exporter's counter */
	assert_int_equal(reqcount_value(prom, "http_requests_total", &a), -ENODATA);
	assert_int_equal(reqcount_value("<html>hello</html>", "", &a), -ENODATA);
	assert_non_null(strstr(a.err, "Prometheus"));

	assert_int_equal(reqcount_parse_spec("http://h/metrics#x{a=\"b\"}", &src, err, sizeof(err)),
			 0);
	assert_string_equal(src.url, "http://h/metrics");
	assert_string_equal(src.series, "x{a=\"b\"}");
	assert_int_equal(reqcount_parse_spec("ftp://h/", &src, err, sizeof(err)), -EINVAL);
	assert_int_equal(reqcount_parse_spec("http://h/#", &src, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tool_of),	    cmocka_unit_test(test_reports),
		cmocka_unit_test(test_not_reports), cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_argv_split),  cmocka_unit_test(test_results_file),
		cmocka_unit_test(test_reqcount),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
