/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtprof's HTTP load generator as a library, used by `virtprof load` and by sessions
 * (`run`, `compare`).
 *
 *   struct load_plan plan;
 *   load_plan_init(&plan);
 *   ... for each getopt_long() result: load_plan_parse_opt(&plan, opt, optarg, err, len) ...
 *   plan.url = argv[optind];
 *   if (load_plan_validate(&plan, err, sizeof(err)))  -> print err, exit 2
 *   load_start(&plan, &h, err, sizeof(err));  workers are running when it returns
 *   while (...) load_timeline_read(h, from, ticks, max);  per-second ticks, as they complete
 *   load_stop(h);                     optional: end early (SIGINT), results are still produced
 *   load_wait(h, &res);               joins, merges per-worker statistics
 *   load_render(&res, &out);          text or JSON through out/table.h
 *   load_write_json(&res, path);      the documented --json file (docs/load.md)
 *   load_result_free(&res);
 *
 * Two models: closed (JMeter thread group: --users, --ramp-up, --loops, --think) and open
 * (--rate R on one global schedule t0 + i/R, latency from the intended send time).  Every worker
 * thread registers itself as SELF_LOADGEN so the profiler charges it to `loadgen`.
 */
#ifndef VP_LOAD_H
#define VP_LOAD_H

#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "load/hist.h"
#include "out/table.h"

/*
 * Which code does the HTTP exchange (docs/load.md "Engines").  fast: our own non-blocking
 * sockets and HTTP/1.1 parser (http:// only); curl: libcurl transfers (https:// and anything the
 * fast engine does not speak); auto: fast where it can serve the plan, else curl.
 */
enum load_engine { LOAD_ENGINE_AUTO, LOAD_ENGINE_CURL, LOAD_ENGINE_FAST };
extern const char *const load_engine_names[3];

struct load_plan {
	const char *url;
	enum load_engine engine; /* as asked; load_result.engine says which ran */
	uint64_t users;		 /* closed model: concurrent virtual users (default 10) */
	uint64_t ramp_up_ns;	 /* users start evenly over this span (0: all at once) */
	uint64_t loops;		 /* requests per user; 0 = forever (bounded by duration) */
	uint64_t think_ns;	 /* pause between a user's response and its next request */
	uint64_t duration_ns;	 /* 0 = until every user has done its loops (closed model only) */
	uint64_t warmup_ns;	 /* excluded from all statistics; counted inside duration */
	uint64_t timeout_ns;	 /* per transfer, connect included; 0 = none */
	double rate;		 /* > 0: open model, requests per second */
	uint64_t max_inflight;	 /* open model: cap on concurrent transfers (default 1000) */
	bool new_conn;		 /* a fresh connection per request (default keep-alive) */
	uint64_t body_bytes;	 /* > 0: each request POSTs a body of that many bytes ('x') */
	unsigned workers;	 /* 0 = one per online CPU; never more than users / max_inflight */
	const char *netns;	 /* join /run/netns/NAME in the load threads only; NULL = stay */
	/* --loadgen-cpus: the load threads run only on these CPUs (disjoint from the targets') */
	bool set_cpus;
	cpu_set_t cpus;
	/* which options were given explicitly, for conflict checks */
	bool set_users, set_loops, set_ramp, set_think, set_duration, set_inflight;
};

/*
 * Options every command that drives load accepts.  Option values are LOAD_OPT_BASE + n so they
 * never collide with a command's own short options.  Append LOAD_LONG_OPTIONS to a command's
 * struct option array and pass every opt >= LOAD_OPT_BASE to load_plan_parse_opt().
 */
enum {
	LOAD_OPT_BASE = 0x1000,
	LOAD_OPT_USERS = LOAD_OPT_BASE,
	LOAD_OPT_RAMP_UP,
	LOAD_OPT_LOOPS,
	LOAD_OPT_THINK,
	LOAD_OPT_DURATION,
	LOAD_OPT_WARMUP,
	LOAD_OPT_TIMEOUT,
	LOAD_OPT_RATE,
	LOAD_OPT_MAX_INFLIGHT,
	LOAD_OPT_NEW_CONN,
	LOAD_OPT_WORKERS,
	LOAD_OPT_NETNS,
	LOAD_OPT_CPUS,
	LOAD_OPT_ENGINE,
	LOAD_OPT_END,
};

#define LOAD_LONG_OPTIONS                                                           \
	{ "users", required_argument, NULL, LOAD_OPT_USERS },                       \
		{ "ramp-up", required_argument, NULL, LOAD_OPT_RAMP_UP },           \
		{ "loops", required_argument, NULL, LOAD_OPT_LOOPS },               \
		{ "think", required_argument, NULL, LOAD_OPT_THINK },               \
		{ "duration", required_argument, NULL, LOAD_OPT_DURATION },         \
		{ "warmup", required_argument, NULL, LOAD_OPT_WARMUP },             \
		{ "timeout", required_argument, NULL, LOAD_OPT_TIMEOUT },           \
		{ "rate", required_argument, NULL, LOAD_OPT_RATE },                 \
		{ "max-inflight", required_argument, NULL, LOAD_OPT_MAX_INFLIGHT }, \
		{ "new-conn", no_argument, NULL, LOAD_OPT_NEW_CONN },               \
		{ "workers", required_argument, NULL, LOAD_OPT_WORKERS },           \
		{ "loadgen-cpus", required_argument, NULL, LOAD_OPT_CPUS },         \
		{ "engine", required_argument, NULL, LOAD_OPT_ENGINE },             \
	{                                                                           \
		"netns", required_argument, NULL, LOAD_OPT_NETNS                    \
	}

/* Help text for the options above, for a command's --help. */
extern const char load_options_help[];

#define LOAD_MAX_USERS 1000000ULL
#define LOAD_DEFAULT_USERS 10
#define LOAD_DEFAULT_DURATION_NS (10 * 1000000000ULL)
#define LOAD_DEFAULT_MAX_INFLIGHT 1000

void load_plan_init(struct load_plan *p);
/*
 * Apply one option.  Returns 0, or -EINVAL with a one-line reason in err ("--users: ...").
 * Returns -ENOENT for an opt that is not a load option.
 */
int load_plan_parse_opt(struct load_plan *p, int opt, const char *arg, char *err, size_t errlen);
/*
 * Check the whole plan (URL syntax and scheme, conflicts, defaults filled in) without touching
 * the network or any resource.  Returns 0 or -EINVAL with a one-line reason.
 */
int load_plan_validate(struct load_plan *p, char *err, size_t errlen);
/* The engine a validated plan runs on (auto resolved): LOAD_ENGINE_FAST or LOAD_ENGINE_CURL. */
enum load_engine load_plan_engine(const struct load_plan *p);

/* Open-model schedule: intended send time of global request i (t0 + i/R, exact in ns). */
static inline uint64_t load_sched_ns(uint64_t t0, double rate, uint64_t i)
{
	/* i * 1e9 / R in long double keeps ns precision for 2^63 ns at any sane rate */
	return t0 + (uint64_t)((long double)i * 1e9L / (long double)rate);
}
/* Number of global requests with intended time < t0 + span_ns: ceil(span * R / 1e9). */
uint64_t load_sched_count(double rate, uint64_t span_ns);
/* Worker w of n owns global indices w, w+n, w+2n, ...: how many of the first `count`. */
static inline uint64_t load_sched_share(uint64_t count, unsigned w, unsigned n)
{
	return count > w ? (count - w + n - 1) / n : 0;
}

/* Error classes, each counted apart. */
enum load_err {
	LERR_CONNECT,	       /* connect() failed; errno in connect_errno */
	LERR_RESOLVE,	       /* name resolution failed during the run */
	LERR_SEND,	       /* error while sending the request */
	LERR_RECV,	       /* error or reset while receiving; empty or truncated reply */
	LERR_TIMEOUT_CONNECT,  /* --timeout hit before the connection was established */
	LERR_TIMEOUT_RESPONSE, /* --timeout hit after it was */
	LERR_OTHER,	       /* any other libcurl error (its code in the JSON) */
	LERR_MAX
};

#define LOAD_ERRNO_MAX 160 /* connect errno counts are kept per errno below this */

/* One second of the run, as the timeline hands it out. */
struct load_tick {
	uint64_t sec;		 /* seconds since t0: covers [t0 + sec, t0 + sec + 1) */
	uint64_t mono_ns;	 /* CLOCK_MONOTONIC at the start of the second */
	uint64_t real_ns;	 /* CLOCK_REALTIME at the same instant */
	bool warmup;		 /* inside --warmup (not in the totals) */
	uint64_t requests;	 /* completed in this second (HTTP response of any status) */
	uint64_t errors;	 /* transport errors + HTTP 4xx/5xx */
	uint64_t inflight;	 /* transfers in flight at the end of the second */
	uint64_t p50_ns, p99_ns; /* latency (corrected) of this second's responses; 0 if none */
};

struct load_result {
	struct load_plan plan; /* as run (defaults filled in) */
	char url[1024];
	unsigned workers;
	enum load_engine engine; /* the one that ran: LOAD_ENGINE_FAST or LOAD_ENGINE_CURL */
	bool open_model;
	bool stopped_early; /* load_stop() ended it */
	uint64_t t0_mono_ns, t0_real_ns;
	uint64_t measured_ns; /* wall time of the measured (post-warmup) part */
	uint64_t elapsed_ns;  /* t0 to the end */

	/* totals (post-warmup only) */
	uint64_t requests; /* completed with an HTTP response */
	uint64_t http[6];  /* [1]..[5] = 1xx..5xx, [0] = other codes */
	uint64_t err[LERR_MAX];
	uint64_t connect_errno[LOAD_ERRNO_MAX];
	uint64_t curl_other[100]; /* LERR_OTHER by CURLcode (< 100) */
	uint64_t bytes;		  /* response body bytes */
	uint64_t sent;		  /* transfers started (post-warmup) */
	uint64_t late;		  /* open model: sent more than 1 ms after the intended time */
	uint64_t dropped;	  /* open model: intended before the end, never sent */
	uint64_t cancelled;	  /* in flight when the run ended, not counted */
	uint64_t warmup_requests; /* completed inside the warm-up, excluded */

	/* connections (whole run, warm-up included: a connection is not a statistic) */
	uint64_t conn_requested;   /* users (keep-alive), or one per request (--new-conn) */
	uint64_t conn_established; /* connections libcurl reported as newly made */
	uint64_t conn_peak_open;   /* most sockets open at once (sum of per-worker peaks) */

	/*
	 * The truth about users (closed model; whole run, warm-up included): users that sent a
	 * request, that got at least one response, and that had a connection up but never got a
	 * response (a server's accept queue holds them) with the longest such wait, from the
	 * user's first send to the end.  Users that never connected are started - answered -
	 * unanswered.
	 */
	uint64_t users_started, users_answered, users_unanswered, unanswered_max_wait_ns;
	/* age of each counted transfer still in flight at the end: its latency is at least that
	 * (censored), kept apart from the completed requests' histograms */
	struct hist censored;

	struct hist lat;		  /* from the intended send time (corrected) */
	struct hist lat_uncorr;		  /* from the actual send time */
	struct hist connect, ttfb, total; /* libcurl's CURLINFO_*_TIME_T phases */

	struct load_tick *ticks;
	size_t nticks;
};

struct load_handle;

/*
 * Validate (again), raise RLIMIT_NOFILE as far as the hard limit allows, resolve the host once,
 * spawn the workers (each joins plan->netns itself, then registers SELF_LOADGEN) and return once
 * they are all ready and the clock t0 has started.  Every failure (too many users for the
 * open-file limit, netns missing, unresolvable host) happens here, before any traffic, and is
 * described in err.  Returns 0, -EINVAL (bad input: exit 2) or another -errno.
 */
int load_start(const struct load_plan *plan, struct load_handle **hp, char *err, size_t errlen);
/* Ask the run to end now; thread- and async-signal-safe.  load_wait() still gives results. */
void load_stop(struct load_handle *h);
/* True once every worker has finished (loops done or duration over). */
bool load_done(struct load_handle *h);
/*
 * Copy completed per-second ticks starting at index `from` into out (at most max); returns how
 * many were copied.  Ticks appear about 0.1 s after their second ends.
 */
size_t load_timeline_read(struct load_handle *h, size_t from, struct load_tick *out, size_t max);
/* Join the workers, merge their statistics into *res and free the handle. */
int load_wait(struct load_handle *h, struct load_result *res);
void load_result_free(struct load_result *res);

/*
 * The summary as tables (text or JSON through the same path): load_config, load_latency,
 * load_throughput, load_errors, load_connections.  JSON mode emits them as members of the
 * object the caller has open.
 */
void load_render(const struct load_result *r, struct out *o);
/* Closed model: fewer users answered at least once than requested. */
bool load_users_short(const struct load_result *r);
/* One WARNING line saying so (nothing when all were answered). */
void load_users_warning(const struct load_result *r, FILE *f);
/* wrk-like text summary (headline + load_render in text mode). */
void load_print_summary(const struct load_result *r, FILE *f);
/* The --json file: schema "virtprof-load/1" (docs/load.md), written atomically. */
int load_write_json(const struct load_result *r, const char *path);
void load_json(const struct load_result *r, struct jw *w);

#endif
