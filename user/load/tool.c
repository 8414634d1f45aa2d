// SPDX-License-Identifier: GPL-2.0
/*
 * Other load generators' reports, read back (tool.h).  Each parser keys on the lines the tool's
 * own source prints (wrk.c print_stats_header/print_stats/"Socket errors", h2load's
 * "requests:"/"status codes:"/"time for request:", ab's output_results(), hey's
 * requester/print.go template), or on the keys of the JSON it writes (k6's summary export,
 * oha's printer.rs print_json), so a line the tool did not print leaves the figure unknown
 * instead of guessing it.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/tool.h"

const char *const load_tool_names[TOOL_MAX] = {
	[TOOL_UNKNOWN] = "unknown", [TOOL_WRK] = "wrk", [TOOL_H2LOAD] = "h2load", [TOOL_AB] = "ab",
	[TOOL_JMETER] = "jmeter",   [TOOL_HEY] = "hey", [TOOL_OHA] = "oha",	  [TOOL_K6] = "k6",
};

enum load_tool load_tool_of(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base ? base + 1 : argv0;
	if (!strcmp(base, "wrk") || !strcmp(base, "wrk2"))
		return TOOL_WRK;
	if (!strcmp(base, "h2load"))
		return TOOL_H2LOAD;
	if (!strcmp(base, "ab") || !strcmp(base, "ab2"))
		return TOOL_AB;
	if (!strcmp(base, "jmeter") || !strcmp(base, "jmeter.sh"))
		return TOOL_JMETER;
	if (!strcmp(base, "hey"))
		return TOOL_HEY;
	if (!strcmp(base, "oha"))
		return TOOL_OHA;
	if (!strcmp(base, "k6"))
		return TOOL_K6;
	return TOOL_UNKNOWN;
}

/* The line of `text` that contains `key`, or NULL; *len is its length from the key on. */
static const char *find_line(const char *text, const char *key)
{
	return strstr(text, key);
}

/* "3.43ms", "625.00us", "1.2s", "2m" (wrk, h2load) -> ms; NAN when no unit follows. */
static double parse_time_ms(const char *s, const char **end)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = { { "us", 1e-3 }, { "ms", 1.0 }, { "s", 1e3 }, { "m", 60e3 }, { "h", 3600e3 } };
	char *e;
	double v = strtod(s, &e);

	if (e == s)
		return NAN;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].unit);

		if (!strncmp(e, units[i].unit, n)) {
			if (end)
				*end = e + n;
			return v * units[i].ms;
		}
	}
	return NAN;
}

static void clear(struct tool_result *r, enum load_tool tool)
{
	memset(r, 0, sizeof(*r));
	r->tool = tool;
	r->mean_ms = r->stddev_ms = r->min_ms = r->p50_ms = r->p90_ms = r->p95_ms = r->p99_ms =
		r->max_ms = NAN;
}

static int parse_wrk(const char *text, struct tool_result *r)
{
	unsigned long long n, c, rd, wr, to;
	const char *p;

	/* "    Latency  3.35ms ..." (Thread Stats); not "  Latency Distribution" (--latency) */
	p = find_line(text, "    Latency ");
	if (p && strncmp(p + 12 + strspn(p + 12, " "), "Distribution", 12) != 0) {
		const char *e = p + 12;

		r->mean_ms = parse_time_ms(e + strspn(e, " "), &e);
		if (!isnan(r->mean_ms))
			r->stddev_ms = parse_time_ms(e + strspn(e, " "), &e);
		if (!isnan(r->stddev_ms))
			r->max_ms = parse_time_ms(e + strspn(e, " "), &e);
	}
	/* --latency: "  Latency Distribution" then "     50%  625.00us" lines */
	p = find_line(text, "Latency Distribution");
	if (p) {
		const char *l;

		if ((l = strstr(p, " 50%")))
			r->p50_ms = parse_time_ms(l + 4 + strspn(l + 4, " "), NULL);
		if ((l = strstr(p, " 90%")))
			r->p90_ms = parse_time_ms(l + 4 + strspn(l + 4, " "), NULL);
		if ((l = strstr(p, " 99%")))
			r->p99_ms = parse_time_ms(l + 4 + strspn(l + 4, " "), NULL);
	}
	p = find_line(text, " requests in ");
	if (!p) {
		vp_na_set(&r->na, VP_NA_OTHER,
			  "wrk printed no summary (no \"N requests in\" line)");
		return -ENODATA;
	}
	while (p > text && p[-1] != '\n')
		p--;
	if (sscanf(p, " %llu requests in", &n) != 1) {
		vp_na_set(&r->na, VP_NA_OTHER, "wrk's \"requests in\" line did not parse");
		return -ENODATA;
	}
	r->have_requests = true;
	r->requests = n;
	r->have_errors = true;
	if ((p = find_line(text, "Non-2xx or 3xx responses:")) &&
	    sscanf(p, "Non-2xx or 3xx responses: %llu", &n) == 1)
		r->errors += n;
	if ((p = find_line(text, "Socket errors:")) &&
	    sscanf(p, "Socket errors: connect %llu, read %llu, write %llu, timeout %llu", &c, &rd,
		   &wr, &to) == 4)
		r->errors += c + rd + wr + to;
	return 0;
}

static int parse_h2load(const char *text, struct tool_result *r)
{
	unsigned long long tot, started, done, ok, failed, errored, timeout, s2, s3, s4, s5;
	const char *p;

	p = find_line(text, "\nrequests: ");
	if (!p || sscanf(p + 1,
			 "requests: %llu total, %llu started, %llu done, %llu succeeded, %llu "
			 "failed, %llu errored, %llu timeout",
			 &tot, &started, &done, &ok, &failed, &errored, &timeout) != 7) {
		vp_na_set(&r->na, VP_NA_OTHER, "h2load printed no \"requests:\" summary");
		return -ENODATA;
	}
	r->have_errors = true;
	r->errors = failed;
	p = find_line(text, "\nstatus codes: ");
	if (!p || sscanf(p + 1, "status codes: %llu 2xx, %llu 3xx, %llu 4xx, %llu 5xx", &s2, &s3,
			 &s4, &s5) != 4) {
		vp_na_set(&r->na, VP_NA_OTHER, "h2load printed no \"status codes:\" line");
		return -ENODATA;
	}
	r->have_requests = true;
	r->requests = s2 + s3 + s4 + s5;
	/* "time for request:   min   max   mean   sd   +/- sd" */
	p = find_line(text, "\ntime for request:");
	if (p && r->requests) {
		const char *e = p + 18;

		r->min_ms = parse_time_ms(e + strspn(e, " "), &e);
		if (!isnan(r->min_ms))
			r->max_ms = parse_time_ms(e + strspn(e, " "), &e);
		if (!isnan(r->max_ms))
			r->mean_ms = parse_time_ms(e + strspn(e, " "), &e);
		if (!isnan(r->mean_ms))
			r->stddev_ms = parse_time_ms(e + strspn(e, " "), &e);
	}
	return 0;
}

/* ab: "  50%      2" in the table after "Percentage of the requests served". */
static double ab_pct(const char *table, const char *pct)
{
	const char *l = strstr(table, pct);
	double v;

	return l && sscanf(l + strlen(pct), " %lf", &v) == 1 ? v : NAN;
}

static int parse_ab(const char *text, struct tool_result *r)
{
	unsigned long long n;
	const char *p;
	double mn, mean, sd, med, mx;

	p = find_line(text, "\nComplete requests:");
	if (!p || sscanf(p + 1, "Complete requests: %llu", &n) != 1) {
		vp_na_set(&r->na, VP_NA_OTHER, "ab printed no \"Complete requests\" line");
		return -ENODATA;
	}
	r->have_requests = true;
	r->requests = n;
	r->have_errors = true;
	if ((p = find_line(text, "\nFailed requests:")) &&
	    sscanf(p + 1, "Failed requests: %llu", &n) == 1)
		r->errors += n;
	if ((p = find_line(text, "\nNon-2xx responses:")) &&
	    sscanf(p + 1, "Non-2xx responses: %llu", &n) == 1)
		r->errors += n;
	/* "Total:  min  mean[+/-sd] median  max" in whole ms */
	if ((p = find_line(text, "\nTotal:")) &&
	    sscanf(p + 1, "Total: %lf %lf %lf %lf %lf", &mn, &mean, &sd, &med, &mx) == 5) {
		r->min_ms = mn;
		r->mean_ms = mean;
		r->stddev_ms = sd;
		r->max_ms = mx;
	}
	if ((p = find_line(text, "Percentage of the requests served"))) {
		r->p50_ms = ab_pct(p, "\n  50%");
		r->p90_ms = ab_pct(p, "\n  90%");
		r->p99_ms = ab_pct(p, "\n  99%");
	}
	return 0;
}

/* One CSV field starting at *p (JMeter quotes a field holding the delimiter, "" inside). */
static size_t csv_field(const char **p, char *out, size_t outlen)
{
	const char *s = *p;
	size_t n = 0;

	if (*s == '"') {
		s++;
		while (*s && !(*s == '"' && s[1] != '"')) {
			if (*s == '"')
				s++;
			if (n + 1 < outlen)
				out[n++] = *s;
			s++;
		}
		if (*s == '"')
			s++;
	}
	while (*s && *s != ',' && *s != '\n' && *s != '\r') {
		if (n + 1 < outlen)
			out[n++] = *s;
		s++;
	}
	out[n] = '\0';
	*p = s;
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of sorted v[n] (as JMeter's aggregate report computes it). */
static double rank(const double *v, size_t n, double q)
{
	size_t k = (size_t)ceil(q * n);

	return v[k ? k - 1 : 0];
}

static int parse_jtl(const char *text, struct tool_result *r)
{
	int c_elapsed = -1, c_success = -1, c_code = -1, col = 0;
	const char *p = text;
	double *el = NULL, sum = 0, sq = 0;
	size_t n = 0, cap = 0, rows = 0;
	char f[256];

	/* header: timeStamp,elapsed,label,responseCode,...,success,... */
	while (*p && *p != '\n') {
		csv_field(&p, f, sizeof(f));
		if (!strcmp(f, "elapsed"))
			c_elapsed = col;
		else if (!strcmp(f, "success"))
			c_success = col;
		else if (!strcmp(f, "responseCode"))
			c_code = col;
		col++;
		if (*p == ',')
			p++;
		else
			break;
	}
	if (c_elapsed < 0 || c_success < 0 || c_code < 0) {
		vp_na_set(&r->na, VP_NA_OTHER,
			  "the JMeter results file has no CSV header with elapsed, success and "
			  "responseCode (set jmeter.save.saveservice.output_format=csv)");
		return -ENODATA;
	}
	r->have_errors = true;
	r->have_requests = true;
	while (*p) {
		bool response = false, ok = false;
		double e = NAN;

		while (*p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		for (col = 0;; col++) {
			csv_field(&p, f, sizeof(f));
			if (col == c_elapsed)
				e = strtod(f, NULL);
			else if (col == c_success)
				ok = !strcmp(f, "true");
			/* "Non HTTP response code: java.net.ConnectException": no response */
			else if (col == c_code)
				response = strlen(f) == 3 && f[0] >= '1' && f[0] <= '5';
			if (*p != ',')
				break;
			p++;
		}
		rows++;
		if (!ok)
			r->errors++;
		if (!response)
			continue;
		r->requests++;
		if (isnan(e))
			continue;
		if (n == cap) {
			double *g = realloc(el, (cap ? cap * 2 : 1024) * sizeof(*el));

			if (!g) {
				free(el);
				vp_na_set(&r->na, VP_NA_OTHER, "out of memory reading the results");
				r->have_requests = false;
				return -ENOMEM;
			}
			el = g;
			cap = cap ? cap * 2 : 1024;
		}
		el[n++] = e;
		sum += e;
		sq += e * e;
	}
	(void)rows;
	if (n) {
		qsort(el, n, sizeof(*el), cmp_double);
		r->mean_ms = sum / n;
		r->stddev_ms = sqrt(fmax(0, sq / n - r->mean_ms * r->mean_ms));
		r->min_ms = el[0];
		r->max_ms = el[n - 1];
		r->p50_ms = rank(el, n, 0.50);
		r->p90_ms = rank(el, n, 0.90);
		r->p99_ms = rank(el, n, 0.99);
	}
	free(el);
	return 0;
}

/*
 * The "  [N]\t..." lines of one of hey's distribution sections (they end at a blank line), summed;
 * with `status` the key is an HTTP status and *bad gets the count of those not 2xx/3xx.
 */
static bool hey_section(const char *text, const char *head, uint64_t *sum, uint64_t *bad)
{
	const char *p = strstr(text, head);

	*sum = 0;
	if (bad)
		*bad = 0;
	if (!p)
		return false;
	p = strchr(p + 1, '\n'); /* the end of the title line (head starts with its \n) */
	while (p && p[1] == ' ') {
		unsigned long long a, b;

		p++;
		if (bad && sscanf(p, " [%llu] %llu responses", &a, &b) == 2) {
			*sum += b;
			if (a < 200 || a >= 400)
				*bad += b;
		} else if (!bad && sscanf(p, " [%llu]", &a) == 1) {
			*sum += a;
		}
		p = strchr(p, '\n');
	}
	return true;
}

/* hey: "  Average:\t0.0006 secs" in its Summary; NAN when absent or NaN (no responses). */
static double hey_secs(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	double v;

	if (!p || sscanf(p + strlen(key), " %lf secs", &v) != 1 || isnan(v))
		return NAN;
	return v * 1e3;
}

static int parse_hey(const char *text, struct tool_result *r)
{
	uint64_t n, bad, failed;
	const char *lat;

	/* hey prints the section's title even with no response, then no line under it */
	if (!strstr(text, "\nSummary:") ||
	    !hey_section(text, "\nStatus code distribution:", &n, &bad)) {
		vp_na_set(
			&r->na, VP_NA_OTHER,
			"hey printed no summary (no \"Status code distribution\"; -o csv is not read)");
		return -ENODATA;
	}
	r->have_requests = true;
	r->requests = n;
	hey_section(text, "\nError distribution:", &failed, NULL);
	r->have_errors = true;
	r->errors = bad + failed;
	if (!n)
		return 0;
	r->mean_ms = hey_secs(text, "\n  Average:");
	r->min_ms = hey_secs(text, "\n  Fastest:");
	r->max_ms = hey_secs(text, "\n  Slowest:");
	if ((lat = strstr(text, "\nLatency distribution:"))) {
		r->p50_ms = hey_secs(lat, "\n  50% in");
		r->p90_ms = hey_secs(lat, "\n  90% in");
		r->p95_ms = hey_secs(lat, "\n  95% in");
		r->p99_ms = hey_secs(lat, "\n  99% in");
	}
	return 0;
}

/* A JSON number (serde writes NaN as null) in the object, scaled; NAN when absent or null. */
static double json_num(const json_t *o, const char *key, double scale)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) * scale : NAN;
}

/* The JSON a tool wrote, or NULL with the reason in r->na. */
static json_t *tool_json(const char *text, const char *what, struct tool_result *r)
{
	json_error_t e;
	json_t *root;

	text += strspn(text, " \t\r\n");
	if (*text != '{') {
		vp_na_set(&r->na, VP_NA_OTHER, "%s", what);
		return NULL;
	}
	root = json_loads(text, JSON_DISABLE_EOF_CHECK, &e);
	if (!json_is_object(root)) {
		json_decref(root);
		vp_na_set(&r->na, VP_NA_OTHER, "its JSON did not parse: line %d: %.80s", e.line,
			  e.text);
		return NULL;
	}
	return root;
}

/*
 * oha's JSON (printer.rs print_json): statusCodeDistribution {"200": n}, errorDistribution
 * {"message": n}; summary and latencyPercentiles in seconds over the responses.
 */
static int parse_oha(const char *text, struct tool_result *r)
{
	json_t *root =
		tool_json(text,
			  "oha's report is read as JSON: add --output-format json (-j before "
			  "oha 1.4)",
			  r);
	const json_t *codes, *errs, *sum, *pct, *v;
	const char *k;

	if (!root)
		return -ENODATA;
	codes = json_object_get(root, "statusCodeDistribution");
	if (!json_is_object(codes)) {
		vp_na_set(&r->na, VP_NA_OTHER, "oha's JSON has no statusCodeDistribution");
		json_decref(root);
		return -ENODATA;
	}
	r->have_requests = r->have_errors = true;
	json_object_foreach((json_t *)codes, k, v)
	{
		long code = strtol(k, NULL, 10);
		uint64_t n = json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;

		r->requests += n;
		if (code < 200 || code >= 400)
			r->errors += n;
	}
	errs = json_object_get(root, "errorDistribution");
	json_object_foreach((json_t *)errs, k, v)
	{
		if (json_is_integer(v))
			r->errors += json_integer_value(v);
	}
	if (r->requests) {
		sum = json_object_get(root, "summary");
		r->mean_ms = json_num(sum, "average", 1e3);
		r->min_ms = json_num(sum, "fastest", 1e3);
		r->max_ms = json_num(sum, "slowest", 1e3);
		pct = json_object_get(root, "latencyPercentiles");
		r->p50_ms = json_num(pct, "p50", 1e3);
		r->p90_ms = json_num(pct, "p90", 1e3);
		r->p95_ms = json_num(pct, "p95", 1e3);
		r->p99_ms = json_num(pct, "p99", 1e3);
	}
	json_decref(root);
	return 0;
}

/* A k6 metric's figures: flat in --summary-export, under "values" in handleSummary's data. */
static const json_t *k6_metric(const json_t *metrics, const char *name)
{
	const json_t *m = json_object_get(metrics, name), *v = json_object_get(m, "values");

	return json_is_object(v) ? v : m;
}

/*
 * k6's summary (--summary-export FILE, or handleSummary's `data` written as JSON): http_reqs
 * count; http_req_failed a rate whose "passes" are the failed requests (a true sample is a
 * failure); http_req_duration in ms with the --summary-trend-stats it was given (default avg,
 * min, med, max, p(90), p(95): p99 only when asked for).
 */
static int parse_k6(const char *text, struct tool_result *r)
{
	json_t *root = tool_json(text, "k6's summary file is not JSON", r);
	const json_t *metrics, *reqs, *failed, *dur, *cnt;

	if (!root)
		return -ENODATA;
	metrics = json_object_get(root, "metrics");
	reqs = k6_metric(metrics, "http_reqs");
	cnt = json_object_get(reqs, "count");
	if (!json_is_number(cnt)) {
		vp_na_set(&r->na, VP_NA_OTHER,
			  "k6's summary has no http_reqs count (the script made no HTTP request)");
		json_decref(root);
		return -ENODATA;
	}
	r->have_requests = true;
	r->requests = (uint64_t)json_number_value(cnt);
	failed = k6_metric(metrics, "http_req_failed");
	if (json_is_number(json_object_get(failed, "passes"))) {
		r->have_errors = true;
		r->errors = (uint64_t)json_number_value(json_object_get(failed, "passes"));
	}
	dur = k6_metric(metrics, "http_req_duration");
	if (r->requests && json_is_object(dur)) {
		r->mean_ms = json_num(dur, "avg", 1);
		r->min_ms = json_num(dur, "min", 1);
		r->max_ms = json_num(dur, "max", 1);
		r->p50_ms = json_num(dur, "med", 1);
		if (isnan(r->p50_ms))
			r->p50_ms = json_num(dur, "p(50)", 1);
		r->p90_ms = json_num(dur, "p(90)", 1);
		r->p95_ms = json_num(dur, "p(95)", 1);
		r->p99_ms = json_num(dur, "p(99)", 1);
	}
	json_decref(root);
	return 0;
}

int load_tool_parse(enum load_tool tool, const char *text, struct tool_result *r)
{
	clear(r, tool);
	if (!text)
		text = "";
	switch (tool) {
	case TOOL_WRK:
		return parse_wrk(text, r);
	case TOOL_H2LOAD:
		return parse_h2load(text, r);
	case TOOL_AB:
		return parse_ab(text, r);
	case TOOL_JMETER:
		return parse_jtl(text, r);
	case TOOL_HEY:
		return parse_hey(text, r);
	case TOOL_OHA:
		return parse_oha(text, r);
	case TOOL_K6:
		return parse_k6(text, r);
	default:
		vp_na_set(&r->na, VP_NA_OTHER,
			  "virtprof does not know this tool's output: give --requests-from");
		return -ENODATA;
	}
}

/* The value of an option given as `-x V`, `-xV` (short) or `--long V`, `--long=V`. */
static const char *opt_value(char *const *argv, const char *shrt, const char *lng)
{
	size_t sl = shrt ? strlen(shrt) : 0, ll = strlen(lng);

	for (int i = 1; argv[i]; i++) {
		if (shrt && !strcmp(argv[i], shrt) && argv[i + 1])
			return argv[i + 1];
		if (shrt && !strncmp(argv[i], shrt, sl) && argv[i][sl])
			return argv[i] + sl;
		if (!strncmp(argv[i], lng, ll) && argv[i][ll] == '=')
			return argv[i] + ll + 1;
		if (!strcmp(argv[i], lng) && argv[i + 1])
			return argv[i + 1];
	}
	return NULL;
}

bool load_tool_reads_file(enum load_tool tool)
{
	return tool == TOOL_JMETER || tool == TOOL_K6;
}

const char *load_tool_results_file(enum load_tool tool, char *const *argv)
{
	switch (tool) {
	case TOOL_JMETER:
		return opt_value(argv, "-l", "--logfile");
	case TOOL_K6:
		return opt_value(argv, NULL, "--summary-export");
	default:
		return NULL;
	}
}

void load_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

char **load_argv_split(const char *line, char *err, size_t errlen)
{
	size_t len = strlen(line), nargs = 0;
	char **argv = calloc(len / 2 + 2, sizeof(*argv));
	char *word = malloc(len + 1);
	const char *p = line;

	if (!argv || !word)
		goto nomem;
	for (;;) {
		size_t n = 0;
		bool any = false;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
			any = true;
			if (*p == '\'') {
				const char *q = strchr(p + 1, '\'');

				if (!q) {
					snprintf(err, errlen, "unbalanced ' in the command");
					goto bad;
				}
				memcpy(word + n, p + 1, q - p - 1);
				n += q - p - 1;
				p = q + 1;
			} else if (*p == '"') {
				for (p++; *p && *p != '"'; p++) {
					if (*p == '\\' &&
					    (p[1] == '"' || p[1] == '\\' || p[1] == '$'))
						p++;
					word[n++] = *p;
				}
				if (*p != '"') {
					snprintf(err, errlen, "unbalanced \" in the command");
					goto bad;
				}
				p++;
			} else if (*p == '\\' && p[1]) {
				word[n++] = p[1];
				p += 2;
			} else {
				word[n++] = *p++;
			}
		}
		if (!any)
			break;
		argv[nargs] = strndup(word, n);
		if (!argv[nargs])
			goto nomem;
		nargs++;
	}
	free(word);
	if (!nargs) {
		snprintf(err, errlen, "the command is empty");
		load_argv_free(argv);
		return NULL;
	}
	return argv;
nomem:
	snprintf(err, errlen, "out of memory");
bad:
	free(word);
	load_argv_free(argv);
	return NULL;
}
