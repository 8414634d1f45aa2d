// SPDX-License-Identifier: GPL-2.0
/* Load options: parsing, defaults, conflicts.  No side effects here: only the plan is filled. */
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "load/load.h"
#include "sys/util.h"

const char load_options_help[] =
	"Load options (closed model, JMeter thread-group semantics):\n"
	"  --users N          concurrent virtual users, one connection each (default 10)\n"
	"  --ramp-up D        start the users evenly over D (default 0s: all at once)\n"
	"  --loops N|forever  requests per user (default forever, bounded by --duration)\n"
	"  --think D          pause between a response and the user's next request\n"
	"Open model:\n"
	"  --rate R           R requests/s on one global schedule t0 + i/R; latency from the\n"
	"                     intended send time (coordinated omission corrected)\n"
	"  --max-inflight N   cap on concurrent transfers (default 1000); sends due beyond it wait\n"
	"Both:\n"
	"  --new-conn         a fresh connection per request (default keep-alive)\n"
	"  --duration D       run time (default 10s unless --loops is given)\n"
	"  --warmup D         first D of the run excluded from every statistic\n"
	"  --timeout D        abort a transfer after D (connect and response timeouts apart)\n"
	"  --workers N        worker threads (default one per online CPU)\n"
	"  --netns NAME       load threads join /run/netns/NAME (only they do)\n"
	"  --engine E         fast (own HTTP/1.1 client, http:// only), curl (libcurl), or\n"
	"                     auto (default: fast where it serves the URL, else curl)\n"
	"  --loadgen-cpus LIST  load threads run only on these CPUs (\"1\", \"0,2-3\"); keep\n"
	"                     them off the targets' CPUs (testbed: --target-cpus)\n"
	"Durations need a unit: ns us ms s m h (\"500ms\", \"10s\").\n";

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

const char *const load_engine_names[3] = {
	[LOAD_ENGINE_AUTO] = "auto",
	[LOAD_ENGINE_CURL] = "curl",
	[LOAD_ENGINE_FAST] = "fast",
};

/* The fast engine speaks plain HTTP/1.1 to the URL's own host (no TLS, no credentials). */
static bool fast_serves(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *user = NULL;
	bool ok = false;

	if (u && !curl_url_set(u, CURLUPART_URL, url, 0) &&
	    !curl_url_get(u, CURLUPART_SCHEME, &scheme, 0)) {
		ok = !strcasecmp(scheme, "http") &&
		     curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER;
	}
	curl_free(scheme);
	curl_free(user);
	curl_url_cleanup(u);
	return ok;
}

enum load_engine load_plan_engine(const struct load_plan *p)
{
	if (p->engine != LOAD_ENGINE_AUTO)
		return p->engine;
	return fast_serves(p->url) ? LOAD_ENGINE_FAST : LOAD_ENGINE_CURL;
}

void load_plan_init(struct load_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->users = LOAD_DEFAULT_USERS;
	p->max_inflight = LOAD_DEFAULT_MAX_INFLIGHT;
}

static int dur(const char *name, const char *arg, uint64_t *out, bool zero_ok, char *err,
	       size_t len)
{
	int r = parse_duration_ns(arg, out);

	if (r == -ERANGE)
		return fail(err, len, "--%s '%s': too long", name, arg);
	if (r)
		return fail(err, len,
			    "--%s '%s': not a duration; a duration needs a unit "
			    "(ns, us, ms, s, m, h), e.g. 10s",
			    name, arg);
	if (!zero_ok && *out == 0)
		return fail(err, len, "--%s must be greater than 0", name);
	return 0;
}

int load_plan_parse_opt(struct load_plan *p, int opt, const char *arg, char *err, size_t len)
{
	uint64_t v;

	switch (opt) {
	case LOAD_OPT_USERS:
		if (parse_u64(arg, 0, UINT64_MAX, &v) || v < 1)
			return fail(err, len, "--users '%s': must be a whole number >= 1", arg);
		if (v > LOAD_MAX_USERS)
			return fail(err, len, "--users %s: at most %llu", arg, LOAD_MAX_USERS);
		p->users = v;
		p->set_users = true;
		return 0;
	case LOAD_OPT_RAMP_UP:
		p->set_ramp = true;
		return dur("ramp-up", arg, &p->ramp_up_ns, true, err, len);
	case LOAD_OPT_LOOPS:
		p->set_loops = true;
		if (!strcasecmp(arg, "forever") || !strcmp(arg, "-1")) {
			p->loops = 0;
			return 0;
		}
		if (parse_u64(arg, 1, UINT64_MAX, &p->loops))
			return fail(err, len,
				    "--loops '%s': must be a whole number >= 1 or 'forever'", arg);
		return 0;
	case LOAD_OPT_THINK:
		p->set_think = true;
		return dur("think", arg, &p->think_ns, true, err, len);
	case LOAD_OPT_DURATION:
		p->set_duration = true;
		return dur("duration", arg, &p->duration_ns, false, err, len);
	case LOAD_OPT_WARMUP:
		return dur("warmup", arg, &p->warmup_ns, true, err, len);
	case LOAD_OPT_TIMEOUT:
		return dur("timeout", arg, &p->timeout_ns, false, err, len);
	case LOAD_OPT_RATE:
		if (parse_pos_double(arg, &p->rate) || p->rate > 1e8)
			return fail(err, len,
				    "--rate '%s': must be a number of requests per second > 0",
				    arg);
		return 0;
	case LOAD_OPT_MAX_INFLIGHT:
		if (parse_u64(arg, 1, LOAD_MAX_USERS, &p->max_inflight))
			return fail(err, len,
				    "--max-inflight '%s': must be a whole number in 1..%llu", arg,
				    LOAD_MAX_USERS);
		p->set_inflight = true;
		return 0;
	case LOAD_OPT_NEW_CONN:
		p->new_conn = true;
		return 0;
	case LOAD_OPT_WORKERS:
		if (parse_u64(arg, 1, 1024, &v))
			return fail(err, len, "--workers '%s': must be a whole number in 1..1024",
				    arg);
		p->workers = (unsigned)v;
		return 0;
	case LOAD_OPT_CPUS:
		if (parse_cpu_list(arg, &p->cpus))
			return fail(err, len,
				    "--loadgen-cpus '%s': want online CPU numbers and ranges, "
				    "\"1\" or \"0,2-3\"",
				    arg);
		p->set_cpus = true;
		return 0;
	case LOAD_OPT_ENGINE:
		for (int i = 0; i < (int)ARRAY_SIZE(load_engine_names); i++) {
			if (!strcmp(arg, load_engine_names[i])) {
				p->engine = (enum load_engine)i;
				return 0;
			}
		}
		return fail(err, len, "--engine '%s': want fast, curl or auto", arg);
	case LOAD_OPT_NETNS:
		if (!*arg || strchr(arg, '/') || strlen(arg) > 200 || !strcmp(arg, ".") ||
		    !strcmp(arg, ".."))
			return fail(err, len, "--netns '%s': not a namespace name under /run/netns",
				    arg);
		p->netns = arg;
		return 0;
	}
	return -ENOENT;
}

static int check_url(const char *url, char *err, size_t len)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	CURLUcode uc;
	int r = 0;

	if (!u)
		return fail(err, len, "out of memory");
	/* No guessing of a scheme: "localhost:8080" must not silently become http. */
	uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc == CURLUE_UNSUPPORTED_SCHEME) {
		r = fail(err, len, "URL '%s': unsupported scheme (use http:// or https://)", url);
		goto out;
	}
	if (uc) {
		r = fail(err, len, "URL '%s': malformed (%s)", url, curl_url_strerror(uc));
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    (strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))) {
		r = fail(err, len, "URL '%s': unsupported scheme '%s' (use http:// or https://)",
			 url, scheme ? scheme : "");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) || !host || !*host)
		r = fail(err, len, "URL '%s': no host", url);
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return r;
}

int load_plan_validate(struct load_plan *p, char *err, size_t len)
{
	int r;

	if (!p->url || !*p->url)
		return fail(err, len, "no URL given (virtprof load URL [options])");
	r = check_url(p->url, err, len);
	if (r)
		return r;
	if (p->engine == LOAD_ENGINE_FAST && !fast_serves(p->url))
		return fail(err, len,
			    "--engine fast speaks plain http:// without credentials in the URL; "
			    "use --engine curl (or auto) for '%s'",
			    p->url);
	if (p->rate > 0) {
		if (p->set_users)
			return fail(err, len,
				    "--users is the closed model; with --rate use "
				    "--max-inflight");
		if (p->set_loops || p->set_ramp || p->set_think) {
			const char *o = p->set_loops ? "loops" : p->set_ramp ? "ramp-up" : "think";

			return fail(err, len,
				    "--%s belongs to the closed model and conflicts with "
				    "--rate",
				    o);
		}
		if (!p->duration_ns)
			p->duration_ns = LOAD_DEFAULT_DURATION_NS;
	} else {
		if (p->set_inflight)
			return fail(err, len, "--max-inflight belongs to the open model (--rate)");
		/* wrk's habit: nothing bounds the run, so it runs 10 s */
		if (!p->duration_ns && !p->loops)
			p->duration_ns = LOAD_DEFAULT_DURATION_NS;
	}
	if (p->duration_ns && p->warmup_ns >= p->duration_ns)
		return fail(err, len, "--warmup must be shorter than --duration");
	if (p->duration_ns && p->ramp_up_ns > p->duration_ns)
		return fail(err, len,
			    "--ramp-up is longer than --duration: some users would "
			    "never start");
	return 0;
}

uint64_t load_sched_count(double rate, uint64_t span_ns)
{
	/* smallest n with n / R * 1e9 >= span, i.e. the indices i with t0 + i/R < t0 + span */
	long double n = ceill((long double)span_ns * (long double)rate / 1e9L);
	uint64_t c = (uint64_t)n;

	/* guard the rounding of the float against the exact schedule */
	while (c > 0 && load_sched_ns(0, rate, c - 1) >= span_ns)
		c--;
	while (load_sched_ns(0, rate, c) < span_ns)
		c++;
	return c;
}
