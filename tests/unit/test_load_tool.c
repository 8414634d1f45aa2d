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

static void test_wrk(void **state)
{
	struct tool_result r;

	(void)state;
	parse(TOOL_WRK, "wrk_ok.txt", &r, 0);
	assert_true(r.have_requests);
	assert_int_equal(r.requests, 6885);
	assert_int_equal(r.errors, 0);
	assert_float_equal(r.mean_ms, 3.43, 1e-9);
	assert_float_equal(r.stddev_ms, 3.27, 1e-9);
	assert_float_equal(r.max_ms, 16.14, 1e-9);
	assert_true(isnan(r.p50_ms)); /* no --latency: no percentiles printed */

	parse(TOOL_WRK, "wrk_500_latency.txt", &r, 0);
	assert_int_equal(r.requests, 6786);
	assert_int_equal(r.errors, 6786); /* "Non-2xx or 3xx responses: 6786" */
	assert_float_equal(r.p50_ms, 0.625, 1e-9);
	assert_float_equal(r.p90_ms, 10.26, 1e-9);
	assert_float_equal(r.p99_ms, 19.08, 1e-9);
	assert_float_equal(r.max_ms, 24.58, 1e-9);

	parse(TOOL_WRK, "wrk_sockerr.txt", &r, 0);
	assert_int_equal(r.requests, 0);
	assert_int_equal(r.errors, 2893); /* Socket errors: read 2893 */

	assert_int_equal(load_tool_parse(TOOL_WRK,
					 "unable to connect to 127.0.0.1:1 Connection "
					 "refused\n",
					 &r),
			 -ENODATA);
	assert_false(r.have_requests);
	assert_non_null(strstr(r.na.detail, "no summary"));
}

static void test_h2load(void **state)
{
	struct tool_result r;

	(void)state;
	parse(TOOL_H2LOAD, "h2load_ok.txt", &r, 0);
	assert_int_equal(r.requests, 2000);
	assert_int_equal(r.errors, 0);
	assert_float_equal(r.min_ms, 0.068, 1e-9);
	assert_float_equal(r.max_ms, 154.93, 1e-9);
	assert_float_equal(r.mean_ms, 3.59, 1e-9);
	assert_float_equal(r.stddev_ms, 12.83, 1e-9);

	parse(TOOL_H2LOAD, "h2load_404_dur.txt", &r, 0);
	assert_int_equal(r.requests, 5813); /* 4xx responses are responses */
	assert_int_equal(r.errors, 5813);

	parse(TOOL_H2LOAD, "h2load_refused.txt", &r, 0);
	assert_int_equal(r.requests, 0);
	assert_int_equal(r.errors, 100);
	assert_true(isnan(r.mean_ms));
}

static void test_ab(void **state)
{
	struct tool_result r;

	(void)state;
	parse(TOOL_AB, "ab_ok.txt", &r, 0);
	assert_int_equal(r.requests, 500);
	assert_int_equal(r.errors, 0);
	assert_float_equal(r.mean_ms, 4, 1e-9);
	assert_float_equal(r.stddev_ms, 4.1, 1e-9);
	assert_float_equal(r.p50_ms, 2, 1e-9);
	assert_float_equal(r.p90_ms, 9, 1e-9);
	assert_float_equal(r.p99_ms, 21, 1e-9);
	assert_float_equal(r.max_ms, 21, 1e-9);

	parse(TOOL_AB, "ab_500.txt", &r, 0);
	assert_int_equal(r.requests, 200);
	assert_int_equal(r.errors, 200); /* Non-2xx responses */

	assert_int_equal(load_tool_parse(TOOL_AB, "apr_socket_recv: Connection refused (111)\n",
					 &r),
			 -ENODATA);
}

static void test_hey(void **state)
{
	struct tool_result r;

	(void)state;
	/* hey -n 2000 -c 10: every response a 200 */
	parse(TOOL_HEY, "hey_ok.txt", &r, 0);
	assert_true(r.have_requests && r.have_errors);
	assert_int_equal(r.requests, 2000);
	assert_int_equal(r.errors, 0);
	assert_float_equal(r.mean_ms, 0.6, 1e-9);
	assert_float_equal(r.min_ms, 0, 1e-9);
	assert_float_equal(r.max_ms, 12.6, 1e-9);
	assert_float_equal(r.p50_ms, 0.3, 1e-9);
	assert_float_equal(r.p90_ms, 1.0, 1e-9);
	assert_float_equal(r.p95_ms, 2.3, 1e-9);
	assert_float_equal(r.p99_ms, 5.6, 1e-9);
	assert_true(isnan(r.stddev_ms));

	/* 300 responses, all 500: requests, and errors by hey's own status table */
	parse(TOOL_HEY, "hey_500.txt", &r, 0);
	assert_int_equal(r.requests, 300);
	assert_int_equal(r.errors, 300);

	/* connection refused: no response, 50 errors, latency unknown (hey prints NaN / 0) */
	parse(TOOL_HEY, "hey_refused.txt", &r, 0);
	assert_true(r.have_requests);
	assert_int_equal(r.requests, 0);
	assert_int_equal(r.errors, 50);
	assert_true(isnan(r.mean_ms) && isnan(r.min_ms) && isnan(r.p50_ms));

	assert_int_equal(load_tool_parse(TOOL_HEY, "Usage: hey [options...] <url>\n", &r),
			 -ENODATA);
	assert_non_null(strstr(r.na.detail, "hey"));
}

static void test_oha(void **state)
{
	struct tool_result r;

	(void)state;
	parse(TOOL_OHA, "oha_handmade.json", &r, 0);
	assert_int_equal(r.requests, 1996);
	assert_int_equal(r.errors, 6 + 3); /* 503s and a transport error */
	assert_float_equal(r.mean_ms, 0.9131, 1e-9);
	assert_float_equal(r.min_ms, 0.0812, 1e-9);
	assert_float_equal(r.max_ms, 21.3445, 1e-9);
	assert_float_equal(r.p50_ms, 0.6522, 1e-9);
	assert_float_equal(r.p95_ms, 2.1987, 1e-9);
	assert_float_equal(r.p99_ms, 6.1234, 1e-9);

	/* serde writes NaN as null: no response, the figures unknown */
	parse(TOOL_OHA, "oha_refused_handmade.json", &r, 0);
	assert_int_equal(r.requests, 0);
	assert_int_equal(r.errors, 50);
	assert_true(isnan(r.mean_ms) && isnan(r.p99_ms));

	/* its text summary: not read, and the reason says how to get JSON */
	assert_int_equal(load_tool_parse(TOOL_OHA, "Summary:\n  Success rate:\t100.00%\n", &r),
			 -ENODATA);
	assert_non_null(strstr(r.na.detail, "--output-format json"));
	assert_int_equal(load_tool_parse(TOOL_OHA, "{\"summary\": {", &r), -ENODATA);
	assert_non_null(strstr(r.na.detail, "did not parse"));
	assert_int_equal(load_tool_parse(TOOL_OHA, "{\"summary\": {}}", &r), -ENODATA);
}

static void test_k6(void **state)
{
	struct tool_result r;

	(void)state;
	/* --summary-export: figures flat under each metric; default trend stats (no p99) */
	parse(TOOL_K6, "k6_export_handmade.json", &r, 0);
	assert_int_equal(r.requests, 3000);
	assert_true(r.have_errors);
	assert_int_equal(r.errors, 12); /* http_req_failed: a "pass" is a failed request */
	assert_float_equal(r.mean_ms, 0.8124, 1e-9);
	assert_float_equal(r.p50_ms, 0.5532, 1e-9);
	assert_float_equal(r.p90_ms, 1.3307, 1e-9);
	assert_float_equal(r.p95_ms, 1.9218, 1e-9);
	assert_true(isnan(r.p99_ms));
	assert_float_equal(r.max_ms, 14.2201, 1e-9);

	/* handleSummary's data: the same under "values", p(99) when asked for */
	parse(TOOL_K6, "k6_handlesummary_handmade.json", &r, 0);
	assert_int_equal(r.requests, 500);
	assert_int_equal(r.errors, 0);
	assert_float_equal(r.p99_ms, 8.75, 1e-9);
	assert_float_equal(r.min_ms, 1.0, 1e-9);

	assert_int_equal(load_tool_parse(TOOL_K6, "{\"metrics\": {}}", &r), -ENODATA);
	assert_non_null(strstr(r.na.detail, "http_reqs"));
	assert_int_equal(load_tool_parse(TOOL_K6, "", &r), -ENODATA);
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

	a = load_argv_split("jmeter -n -t plan.jmx -l /tmp/r.jtl", err, sizeof(err));
	assert_string_equal(load_tool_results_file(TOOL_JMETER, a), "/tmp/r.jtl");
	assert_null(load_tool_results_file(TOOL_K6, a));
	load_argv_free(a);
	a = load_argv_split("jmeter -n -t plan.jmx --logfile=/x.jtl", err, sizeof(err));
	assert_string_equal(load_tool_results_file(TOOL_JMETER, a), "/x.jtl");
	load_argv_free(a);
	a = load_argv_split("jmeter -n -t plan.jmx", err, sizeof(err));
	assert_null(load_tool_results_file(TOOL_JMETER, a));
	load_argv_free(a);
	a = load_argv_split("k6 run --summary-export=/tmp/s.json s.js", err, sizeof(err));
	assert_string_equal(load_tool_results_file(TOOL_K6, a), "/tmp/s.json");
	load_argv_free(a);
	a = load_argv_split("k6 run --summary-export /tmp/t.json s.js", err, sizeof(err));
	assert_string_equal(load_tool_results_file(TOOL_K6, a), "/tmp/t.json");
	load_argv_free(a);
	a = load_argv_split("k6 run -l 3 s.js", err, sizeof(err));
	assert_null(load_tool_results_file(TOOL_K6, a));
	assert_true(load_tool_reads_file(TOOL_K6));
	assert_false(load_tool_reads_file(TOOL_HEY));
	load_argv_free(a);
}

static void test_jmeter_csv(void **state)
{
	struct tool_result r;

	(void)state;
	parse(TOOL_JMETER, "jmeter_2.13_handmade.jtl", &r, 0);
	/* 5 samples: 4 HTTP responses (one 500), one read timeout without a response */
	assert_int_equal(r.requests, 4);
	assert_int_equal(r.errors, 2);
	assert_float_equal(r.mean_ms, (12 + 3 + 7 + 5) / 4.0, 1e-9);
	assert_float_equal(r.min_ms, 3, 1e-9);
	assert_float_equal(r.max_ms, 12, 1e-9);
	assert_float_equal(r.p50_ms, 5, 1e-9);
	assert_float_equal(r.p99_ms, 12, 1e-9);
	assert_int_equal(load_tool_parse(TOOL_JMETER, "<?xml version=\"1.0\"?>\n<testResults>", &r),
			 -ENODATA);
	assert_non_null(strstr(r.na.detail, "CSV"));
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
		cmocka_unit_test(test_tool_of),	   cmocka_unit_test(test_wrk),
		cmocka_unit_test(test_h2load),	   cmocka_unit_test(test_ab),
		cmocka_unit_test(test_unknown),	   cmocka_unit_test(test_argv_split),
		cmocka_unit_test(test_jmeter_csv), cmocka_unit_test(test_reqcount),
		cmocka_unit_test(test_hey),	   cmocka_unit_test(test_oha),
		cmocka_unit_test(test_k6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
