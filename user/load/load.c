// SPDX-License-Identifier: GPL-2.0
/* A load result as tables (text and JSON through report/table.h) and as the --json file. */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "load/load.h"
#include "sys/util.h"

static const char *const load_err_names[LERR_MAX] = {
	[LERR_CONNECT] = "connect",
	[LERR_RESOLVE] = "resolve",
	[LERR_SEND] = "send",
	[LERR_RECV] = "receive",
	[LERR_TIMEOUT_CONNECT] = "timeout_connect",
	[LERR_TIMEOUT_RESPONSE] = "timeout_response",
	[LERR_OTHER] = "other",
};

/* "ECONNREFUSED" etc. for a connect errno; NULL for one without a name here. */
static const char *errno_known(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case EADDRNOTAVAIL:
		return "EADDRNOTAVAIL";
	case ENETUNREACH:
		return "ENETUNREACH";
	case EHOSTUNREACH:
		return "EHOSTUNREACH";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case ECONNRESET:
		return "ECONNRESET";
	case EMFILE:
		return "EMFILE";
	case ENFILE:
		return "ENFILE";
	case EADDRINUSE:
		return "EADDRINUSE";
	case EACCES:
		return "EACCES";
	case EPERM:
		return "EPERM";
	case EAGAIN:
		return "EAGAIN";
	case ENOBUFS:
		return "ENOBUFS";
	case 0:
		return "unknown";
	default:
		return NULL;
	}
}

/* A connect errno's name, else "errno" sep "N" written into buf. */
static const char *load_errno_name(int e, char sep, char *buf, size_t len)
{
	const char *n = errno_known(e);

	if (n)
		return n;
	snprintf(buf, len, "errno%c%d", sep, e);
	return buf;
}

static const char *model_name(const struct load_result *r)
{
	return r->open_model ? "open" : "closed";
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static uint64_t errors_total(const struct load_result *r)
{
	uint64_t n = 0;

	for (int k = 0; k < LERR_MAX; k++)
		n += r->err[k];
	return n;
}

/* The text's latency columns: ms with this many decimals (the JSON's are µs: three fewer). */
#define LAT_MS_DECIMALS 3
static const char *const lat_us_keys[] = { "mean_us", "stddev_us", "min_us",   "p50_us",
					   "p90_us",  "p99_us",	   "p99_9_us", "max_us" };

static void lat_row(struct table *t, const char *name, const struct hist *h, const struct vp_na *na)
{
	struct hist_summary l;
	int row = table_row(t);

	hist_summarize(h, &l);
	table_str(t, row, 0, name);
	table_u64(t, row, 1, l.count);
	if (!l.count) {
		for (int c = 2; c < 10; c++)
			table_na(t, row, c, na);
		return;
	}
	table_f64(t, row, 2, l.mean_ns / 1e6);
	table_f64(t, row, 3, l.stddev_ns / 1e6);
	table_f64(t, row, 4, l.min_ns / 1e6);
	table_f64(t, row, 5, l.p50_ns / 1e6);
	table_f64(t, row, 6, l.p90_ns / 1e6);
	table_f64(t, row, 7, l.p99_ns / 1e6);
	table_f64(t, row, 8, l.p999_ns / 1e6);
	table_f64(t, row, 9, l.max_ns / 1e6);
}

static void err_row(struct table *t, const char *cls, const char *detail, uint64_t n)
{
	int row = table_row(t);

	table_str(t, row, 0, cls);
	table_str(t, row, 1, detail);
	table_u64(t, row, 2, n);
}

/* One section of the load report; text sections are separated by a blank line. */
static void emit(struct table *t, struct out *o)
{
	table_render(t, o);
	table_free(t);
	if (o->mode == OUT_TEXT)
		fputc('\n', o->f);
}

void load_render(const struct load_result *r, struct out *o)
{
	struct table t;
	int row;
	char buf[64];

	table_init(&t, "load_latency", o->mode == OUT_TEXT ? "Latency (ms)" : NULL);
	table_col(&t, "measure", "", 0, true);
	table_col(&t, "count", "count", 0, false);
	table_col(&t, "mean_ms", "mean", LAT_MS_DECIMALS, false);
	table_col(&t, "stddev_ms", "stddev", LAT_MS_DECIMALS, false);
	table_col(&t, "min_ms", "min", LAT_MS_DECIMALS, false);
	table_col(&t, "p50_ms", "p50", LAT_MS_DECIMALS, false);
	table_col(&t, "p90_ms", "p90", LAT_MS_DECIMALS, false);
	table_col(&t, "p99_ms", "p99", LAT_MS_DECIMALS, false);
	table_col(&t, "p99_9_ms", "p99.9", LAT_MS_DECIMALS, false);
	table_col(&t, "max_ms", "max", LAT_MS_DECIMALS, false);
	lat_row(&t, r->open_model ? "corrected" : "latency", &r->lat,
		VP_NA_LIT(VP_NA_UNMEASURED, "no responses"));
	if (r->open_model)
		lat_row(&t, "uncorrected", &r->lat_uncorr,
			VP_NA_LIT(VP_NA_UNMEASURED, "no responses"));
	lat_row(&t, "connect", &r->connect,
		VP_NA_LIT(VP_NA_UNMEASURED, "no new connection in the measured part"));
	lat_row(&t, "first_byte", &r->ttfb, VP_NA_LIT(VP_NA_UNMEASURED, "no responses"));
	lat_row(&t, "total", &r->total, VP_NA_LIT(VP_NA_UNMEASURED, "no responses"));
	if (r->open_model)
		table_note(&t, "corrected: from the intended send time t0 + i/R; uncorrected: from "
			       "the actual send");
	emit(&t, o);

	table_init(&t, "load_throughput", o->mode == OUT_TEXT ? "Throughput" : NULL);
	table_col(&t, "requests", "requests", 0, false);
	table_col(&t, "seconds", "seconds", 2, false);
	table_col(&t, "rps", "req/s", 1, false);
	table_col(&t, "mbytes", "MB read", 2, false);
	table_col(&t, "sent", "sent", 0, false);
	table_col(&t, "errors", "errors", 0, false);
	table_col(&t, "late", "late", 0, false);
	table_col(&t, "dropped", "dropped", 0, false);
	table_col(&t, "cancelled", "cancelled", 0, false);
	table_col(&t, "warmup_requests", "warm-up", 0, false);
	row = table_row(&t);
	table_u64(&t, row, 0, r->requests);
	table_f64(&t, row, 1, secs(r->measured_ns));
	if (r->measured_ns)
		table_f64(&t, row, 2, (double)r->requests / secs(r->measured_ns));
	else
		table_na(&t, row, 2,
			 VP_NA_LIT(VP_NA_UNMEASURED, "nothing measured after the warm-up"));
	table_f64(&t, row, 3, (double)r->bytes / 1e6);
	table_u64(&t, row, 4, r->sent);
	table_u64(&t, row, 5, errors_total(r) + r->http[4] + r->http[5]);
	if (r->open_model) {
		table_u64(&t, row, 6, r->late);
		table_u64(&t, row, 7, r->dropped);
	} else {
		table_na(&t, row, 6,
			 VP_NA_LIT(VP_NA_OPTION, "late/dropped: open model (--rate) only"));
		table_na(&t, row, 7,
			 VP_NA_LIT(VP_NA_OPTION, "late/dropped: open model (--rate) only"));
	}
	table_u64(&t, row, 8, r->cancelled);
	table_u64(&t, row, 9, r->warmup_requests);
	emit(&t, o);

	table_init(&t, "load_connections", o->mode == OUT_TEXT ? "Connections" : NULL);
	table_col(&t, "requested", "requested", 0, false);
	table_col(&t, "established", "established", 0, false);
	table_col(&t, "peak_open", "peak open", 0, false);
	row = table_row(&t);
	if (r->conn_requested || !r->open_model)
		table_u64(&t, row, 0, r->conn_requested);
	else
		table_na(&t, row, 0,
			 VP_NA_LIT(VP_NA_OPTION,
				   "open model with keep-alive: connections follow the in-flight "
				   "count"));
	table_u64(&t, row, 1, r->conn_established);
	table_u64(&t, row, 2, r->conn_peak_open);
	if (r->conn_requested && r->conn_established < r->conn_requested)
		table_note(&t,
			   "FEWER connections established (%" PRIu64 ") than requested (%" PRIu64
			   ")",
			   r->conn_established, r->conn_requested);
	emit(&t, o);

	table_init(&t, "load_users",
		   o->mode == OUT_TEXT ? "Users and requests in flight at the end" : NULL);
	table_col(&t, "started", "started", 0, false);
	table_col(&t, "answered", "answered", 0, false);
	table_col(&t, "connected_unanswered", "connected, never answered", 0, false);
	table_col(&t, "never_connected", "never connected", 0, false);
	table_col(&t, "longest_wait_s", "longest wait s", 2, false);
	table_col(&t, "inflight_at_end", "in flight at end", 0, false);
	table_col(&t, "inflight_age_p50_ms", "age p50 ms", 2, false);
	table_col(&t, "inflight_age_max_ms", "age max ms", 2, false);
	row = table_row(&t);
	if (r->open_model) {
		for (int c = 0; c < 5; c++)
			table_na(
				&t, row, c,
				VP_NA_LIT(VP_NA_OPTION,
					  "users: closed model only (--rate sends on a schedule)"));
	} else {
		table_u64(&t, row, 0, r->users_started);
		table_u64(&t, row, 1, r->users_answered);
		table_u64(&t, row, 2, r->users_unanswered);
		table_u64(&t, row, 3, r->users_started - r->users_answered - r->users_unanswered);
		if (r->users_unanswered)
			table_f64(&t, row, 4, secs(r->unanswered_max_wait_ns));
		else
			table_na(&t, row, 4,
				 VP_NA_LIT(VP_NA_UNMEASURED, "every connected user was answered"));
	}
	table_u64(&t, row, 5, r->censored.total);
	if (r->censored.total) {
		struct hist_summary l;

		hist_summarize(&r->censored, &l);
		table_f64(&t, row, 6, l.p50_ns / 1e6);
		table_f64(&t, row, 7, l.max_ns / 1e6);
	} else {
		table_na(&t, row, 6, VP_NA_LIT(VP_NA_UNMEASURED, "nothing in flight at the end"));
		table_na(&t, row, 7, VP_NA_LIT(VP_NA_UNMEASURED, "nothing in flight at the end"));
	}
	if (load_users_short(r))
		table_note(
			&t,
			"FEWER users answered (%" PRIu64 ") than requested (%" PRIu64
			"): the others never got a response, so the latency above leaves them out",
			r->users_answered, r->plan.users);
	table_note(
		&t,
		"in flight at end: requests cut off by the end, their latency at least their age "
		"(censored), not in the latency table");
	emit(&t, o);

	table_init(&t, "load_errors", o->mode == OUT_TEXT ? "Errors and responses" : NULL);
	table_col(&t, "class", "class", 0, true);
	table_col(&t, "detail", "detail", 0, true);
	table_col(&t, "count", "count", 0, false);
	for (int k = 0; k < LERR_MAX; k++) {
		if (k == LERR_CONNECT) {
			bool any = false;

			for (int e = 0; e < LOAD_ERRNO_MAX; e++) {
				if (!r->connect_errno[e])
					continue;
				err_row(&t, "connect", load_errno_name(e, ' ', buf, sizeof(buf)),
					r->connect_errno[e]);
				any = true;
			}
			if (!any)
				err_row(&t, "connect", "", 0);
			continue;
		}
		if (k == LERR_OTHER) {
			bool any = false;

			for (int c = 0; c < 100; c++) {
				if (!r->curl_other[c])
					continue;
				err_row(&t, "other", curl_easy_strerror((CURLcode)c),
					r->curl_other[c]);
				any = true;
			}
			if (!any)
				err_row(&t, "other", "", 0);
			continue;
		}
		err_row(&t, load_err_names[k], "", r->err[k]);
	}
	for (int c = 1; c <= 5; c++) {
		snprintf(buf, sizeof(buf), "%dxx", c);
		err_row(&t, "http", buf, r->http[c]);
	}
	if (r->http[0])
		err_row(&t, "http", "other status", r->http[0]);
	table_render(&t, o);
	table_free(&t);
}

bool load_users_short(const struct load_result *r)
{
	return !r->open_model && r->users_answered < r->plan.users;
}

void load_users_warning(const struct load_result *r, FILE *f)
{
	if (!load_users_short(r))
		return;
	fprintf(f,
		"  WARNING: %" PRIu64 " of %" PRIu64 " users were answered at least once; %" PRIu64
		" connected but never answered",
		r->users_answered, r->plan.users, r->users_unanswered);
	if (r->users_unanswered)
		fprintf(f, " (longest wait %.2f s)", secs(r->unanswered_max_wait_ns));
	fprintf(f,
		", %" PRIu64 " never connected, %" PRIu64 " never started; %" PRIu64
		" requests still in flight at the end\n",
		r->users_started - r->users_answered - r->users_unanswered,
		r->plan.users - r->users_started, r->censored.total);
}

void load_print_summary(const struct load_result *r, FILE *f)
{
	struct out o;
	char d[32];
	uint64_t errs = errors_total(r);

	fprintf(f, "%s load of %s: %s model, ", r->stopped_early ? "Stopped" : "Finished", r->url,
		model_name(r));
	if (r->open_model)
		fprintf(f, "%.6g req/s, max %" PRIu64 " in flight", r->plan.rate,
			r->plan.max_inflight);
	else
		fprintf(f, "%" PRIu64 " users", r->plan.users);
	fprintf(f, ", %u workers, %s engine, %s\n", r->workers, load_engine_names[r->engine],
		r->plan.new_conn ? "new connection per "
				   "request" :
				   "keep-alive");
	fprintf(f, "  %" PRIu64 " requests in %s", r->requests,
		fmt_duration(r->measured_ns, d, sizeof(d)));
	if (r->plan.warmup_ns)
		fprintf(f, " (after a %s warm-up)", fmt_duration(r->plan.warmup_ns, d, sizeof(d)));
	fprintf(f, ", %.2f MB read\n", (double)r->bytes / 1e6);
	if (r->measured_ns)
		fprintf(f, "  Requests/sec: %.2f\n", (double)r->requests / secs(r->measured_ns));
	if (errs || r->http[4] || r->http[5])
		fprintf(f,
			"  Errors: %" PRIu64 " transport, %" PRIu64 " HTTP 4xx, %" PRIu64
			" HTTP 5xx\n",
			errs, r->http[4], r->http[5]);
	load_users_warning(r, f);
	fputc('\n', f);
	out_init(&o, f, OUT_TEXT, false);
	load_render(r, &o);
}

static void lat_json(struct jw *w, const char *key, const struct hist *h)
{
	struct hist_summary l;

	hist_summarize(h, &l);
	jw_key(w, key);
	jw_obj_begin(w);
	jw_ku64(w, "count", l.count);
	if (!l.count) {
		for (size_t i = 0; i < ARRAY_SIZE(lat_us_keys); i++) {
			jw_key(w, lat_us_keys[i]);
			jw_null(w);
		}
	} else {
		jw_kdouble(w, "mean_us", l.mean_ns / 1e3);
		jw_kdouble(w, "stddev_us", l.stddev_ns / 1e3);
		jw_kdouble(w, "min_us", l.min_ns / 1e3);
		jw_kdouble(w, "p50_us", l.p50_ns / 1e3);
		jw_kdouble(w, "p90_us", l.p90_ns / 1e3);
		jw_kdouble(w, "p99_us", l.p99_ns / 1e3);
		jw_kdouble(w, "p99_9_us", l.p999_ns / 1e3);
		jw_kdouble(w, "max_us", l.max_ns / 1e3);
	}
	jw_obj_end(w);
}

static void opt_secs(struct jw *w, const char *k, uint64_t ns, bool present)
{
	jw_key(w, k);
	if (present)
		jw_double(w, secs(ns));
	else
		jw_null(w);
}

void load_json(const struct load_result *r, struct jw *w)
{
	const struct load_plan *p = &r->plan;
	char buf[64];

	jw_obj_begin(w);
	jw_kstr(w, "schema", "virtprof-load/1");
	jw_key(w, "config");
	jw_obj_begin(w);
	jw_kstr(w, "url", r->url);
	jw_kstr(w, "model", model_name(r));
	jw_key(w, "users");
	if (r->open_model)
		jw_null(w);
	else
		jw_u64(w, p->users);
	opt_secs(w, "ramp_up_s", p->ramp_up_ns, !r->open_model);
	jw_key(w, "loops");
	if (r->open_model || !p->loops)
		jw_null(w);
	else
		jw_u64(w, p->loops);
	opt_secs(w, "think_s", p->think_ns, !r->open_model);
	opt_secs(w, "duration_s", p->duration_ns, p->duration_ns != 0);
	jw_kdouble(w, "warmup_s", secs(p->warmup_ns));
	opt_secs(w, "timeout_s", p->timeout_ns, p->timeout_ns != 0);
	jw_kopt_double(w, "rate", r->open_model, p->rate);
	jw_kopt_u64(w, "max_inflight", r->open_model, p->max_inflight);
	jw_kbool(w, "new_conn", p->new_conn);
	jw_ku64(w, "workers", r->workers);
	jw_kstr(w, "engine", load_engine_names[r->engine]);
	jw_obj_end(w);

	jw_key(w, "start");
	jw_obj_begin(w);
	jw_ku64(w, "mono_ns", r->t0_mono_ns);
	jw_ku64(w, "real_ns", r->t0_real_ns);
	jw_obj_end(w);
	jw_kdouble(w, "elapsed_s", secs(r->elapsed_ns));
	jw_kdouble(w, "measured_s", secs(r->measured_ns));
	jw_kbool(w, "stopped_early", r->stopped_early);

	jw_key(w, "totals");
	jw_obj_begin(w);
	jw_ku64(w, "requests", r->requests);
	jw_kopt_double(w, "rps", r->measured_ns, (double)r->requests / secs(r->measured_ns));
	jw_ku64(w, "bytes", r->bytes);
	jw_ku64(w, "sent", r->sent);
	jw_ku64(w, "errors", errors_total(r));
	jw_kopt_u64(w, "late", r->open_model, r->late);
	jw_kopt_u64(w, "dropped", r->open_model, r->dropped);
	jw_ku64(w, "cancelled", r->cancelled);
	jw_ku64(w, "warmup_requests", r->warmup_requests);
	jw_key(w, "responses");
	jw_obj_begin(w);
	for (int c = 1; c <= 5; c++) {
		snprintf(buf, sizeof(buf), "%dxx", c);
		jw_ku64(w, buf, r->http[c]);
	}
	jw_ku64(w, "other", r->http[0]);
	jw_obj_end(w);
	jw_obj_end(w);

	jw_key(w, "connections");
	jw_obj_begin(w);
	jw_kopt_u64(w, "requested", r->conn_requested || !r->open_model, r->conn_requested);
	jw_ku64(w, "established", r->conn_established);
	jw_ku64(w, "peak_open", r->conn_peak_open);
	jw_obj_end(w);

	jw_key(w, "users");
	jw_obj_begin(w);
	jw_kopt_u64(w, "requested", !r->open_model, r->plan.users);
	jw_kopt_u64(w, "started", !r->open_model, r->users_started);
	jw_kopt_u64(w, "answered", !r->open_model, r->users_answered);
	jw_kopt_u64(w, "connected_unanswered", !r->open_model, r->users_unanswered);
	jw_kopt_u64(w, "never_connected", !r->open_model,
		    r->users_started - r->users_answered - r->users_unanswered);
	jw_kopt_double(w, "longest_unanswered_wait_s", !r->open_model && r->users_unanswered,
		       secs(r->unanswered_max_wait_ns));
	jw_kbool(w, "fewer_answered", load_users_short(r));
	jw_obj_end(w);

	jw_key(w, "latency");
	jw_obj_begin(w);
	lat_json(w, "censored", &r->censored);
	lat_json(w, "corrected", &r->lat);
	lat_json(w, "uncorrected", &r->lat_uncorr);
	lat_json(w, "connect", &r->connect);
	lat_json(w, "first_byte", &r->ttfb);
	lat_json(w, "total", &r->total);
	jw_obj_end(w);
	/* how the text rounds them (a table's "_decimals", out/table.h): the page reads the same */
	jw_key(w, "latency_decimals");
	jw_obj_begin(w);
	for (size_t i = 0; i < ARRAY_SIZE(lat_us_keys); i++)
		jw_ku64(w, lat_us_keys[i], LAT_MS_DECIMALS - 3);
	jw_obj_end(w);

	jw_key(w, "histogram");
	jw_obj_begin(w);
	jw_kstr(w, "of", "corrected");
	jw_kstr(w, "unit", "ns");
	jw_ku64(w, "significant_digits", 3);
	jw_key(w, "buckets");
	jw_arr_begin(w);
	for (int i = 0; r->lat.counts && i < r->lat.counts_len; i++) {
		if (!r->lat.counts[i])
			continue;
		jw_arr_begin(w);
		jw_u64(w, hist_bucket_lo(&r->lat, i));
		jw_u64(w, hist_bucket_hi(&r->lat, i));
		jw_u64(w, r->lat.counts[i]);
		jw_arr_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);

	jw_key(w, "errors");
	jw_obj_begin(w);
	for (int k = 0; k < LERR_MAX; k++)
		jw_ku64(w, load_err_names[k], r->err[k]);
	jw_key(w, "connect_errno");
	jw_obj_begin(w);
	for (int e = 0; e < LOAD_ERRNO_MAX; e++) {
		if (!r->connect_errno[e])
			continue;
		jw_ku64(w, load_errno_name(e, '_', buf, sizeof(buf)), r->connect_errno[e]);
	}
	jw_obj_end(w);
	jw_key(w, "other_curl");
	jw_obj_begin(w);
	for (int c = 0; c < 100; c++) {
		if (!r->curl_other[c])
			continue;
		snprintf(buf, sizeof(buf), "%d", c);
		jw_ku64(w, buf, r->curl_other[c]);
	}
	jw_obj_end(w);
	jw_ku64(w, "http_4xx", r->http[4]);
	jw_ku64(w, "http_5xx", r->http[5]);
	jw_obj_end(w);

	jw_key(w, "timeline");
	jw_arr_begin(w);
	for (size_t i = 0; i < r->nticks; i++) {
		const struct load_tick *t = &r->ticks[i];

		jw_obj_begin(w);
		jw_ku64(w, "sec", t->sec);
		jw_ku64(w, "mono_ns", t->mono_ns);
		jw_ku64(w, "real_ns", t->real_ns);
		jw_kbool(w, "warmup", t->warmup);
		jw_ku64(w, "requests", t->requests);
		jw_ku64(w, "errors", t->errors);
		jw_ku64(w, "inflight", t->inflight);
		jw_key(w, "p50_us");
		if (t->requests)
			jw_double(w, t->p50_ns / 1e3);
		else
			jw_null(w);
		jw_key(w, "p99_us");
		if (t->requests)
			jw_double(w, t->p99_ns / 1e3);
		else
			jw_null(w);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

int load_write_json(const struct load_result *r, const char *path)
{
	struct atomic_file *af = atomic_file_open(path);
	struct jw w;
	int rc;

	if (!af)
		return -errno ? -errno : -EIO;
	jw_init(&w, atomic_file_stream(af), true);
	load_json(r, &w);
	jw_end_line(&w);
	rc = atomic_file_commit(af);
	return rc;
}
