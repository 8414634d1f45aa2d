/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Request counts from the server's side (`--requests-from URL`): a counter read over HTTP at a
 * step's boundaries -- nginx stub_status ("server accepts handled requests": the third number),
 * Apache mod_status ?auto ("Total Accesses:"), or one series of a Prometheus text page
 * (URL#name{labels}) -- so CPU per request needs no load of virtprof's.
 */
#ifndef VP_LOAD_REQCOUNT_H
#define VP_LOAD_REQCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The status read may queue behind the load on a saturated server (seconds): be patient. */
#define REQCOUNT_TIMEOUT_MS 30000

enum reqcount_kind { RC_UNKNOWN, RC_NGINX, RC_APACHE, RC_PROMETHEUS };
extern const char *const reqcount_kind_names[4];

struct reqcount_src {
	char url[512];	  /* without the #series */
	char series[256]; /* Prometheus series, "" for nginx / Apache */
};

struct reqcount_read {
	bool ok;
	enum reqcount_kind kind;
	uint64_t value;
	uint64_t mono_ns;  /* when the read started */
	double latency_ms; /* how long the read took */
	char err[192];	   /* !ok: why */
};

/* "http://host/status" or "http://host/metrics#name{labels}"; -EINVAL with the reason. */
int reqcount_parse_spec(const char *spec, struct reqcount_src *src, char *err, size_t errlen);
/*
 * The counter in a status page: nginx and Apache recognized by their text, else the Prometheus
 * series (exact name and labels as written in the page).  Pure; 0 or -ENODATA with r->err.
 */
int reqcount_value(const char *body, const char *series, struct reqcount_read *r);
/* Fetch the page (libcurl, REQCOUNT_TIMEOUT_MS) and read the counter; the result in *r. */
int reqcount_read(const struct reqcount_src *src, struct reqcount_read *r);
/*
 * Requests between two reads: after - before, minus the one status request of ours the counter
 * holds (nginx counts a request when it starts, Apache when it ends: either way exactly one of
 * the two reads is inside the difference); a Prometheus counter is taken as it is.
 */
int reqcount_delta(const struct reqcount_read *before, const struct reqcount_read *after,
		   uint64_t *out, char *err, size_t errlen);

#endif
